"""On-board interferogram formation: a same-track complex pair in, what a network reads out.

A same-track pair is two co-registered complex (SLC-like) VV images of one tile, ``pre`` and
``post``, ``H x W`` complex64 with NaN where there is no data. Formation, per ``looks x looks``
block (``looks`` divides ``H`` and ``W``):

1. no-data: a pixel whose real or imaginary part is not finite, in either image, counts as 0
   in both;
2. the multilooked interferogram ``I = Σ post · conj(pre)`` and the powers
   ``P1 = Σ |pre|²``, ``P2 = Σ |post|²``, summed in float64;
3. the coherence estimate ``γ = |I| / sqrt(P1 · P2)`` (the maximum-likelihood estimator of
   the correlation magnitude; Touzi et al. 1999, IEEE TGRS 37(1)), 0 for a block without
   power, clipped to [0, 1];
4. the network's input, float32 ``3 x H/looks x W/looks``: ``cos φ``, ``sin φ`` (φ = arg I,
   the wrapped phase as a unit phasor, so that nothing jumps at ±π) and ``γ``; a block
   without power reads (0, 0, 0).

Every channel already lies in [-1, 1]: no normalisation constants to carry. The phase is
only known up to a constant (the pair's reference): a network must read fringes, not levels.
The layout and the constants travel with a model in its ``config.json`` (``preprocess``:
:meth:`InterferogramConfig.to_dict`). numpy only; the simulator's
:func:`quakesat.simulator.insar.coherence.multilook` is the same estimator (a test holds it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Block side of the on-board multilook: a 256 px tile of 80 m becomes 32 x 32 at 640 m, the
#: geometry docs/simulator.md ("What the phase can show") chose from the detectability study.
DEFAULT_LOOKS = 8
#: The input channels, in order.
CHANNELS = ("cos_phase", "sin_phase", "coherence")
#: The ``kind`` a model's preprocessing dict carries for this input.
KIND = "interferometric"


@dataclass(frozen=True)
class InterferogramConfig:
    """How a same-track pair becomes a network's input (module doc)."""

    looks: int = DEFAULT_LOOKS

    def __post_init__(self) -> None:
        if isinstance(self.looks, bool) or not isinstance(self.looks, (int, np.integer)) or self.looks < 1:
            raise ValueError(f"looks must be a positive integer, got {self.looks!r}")

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """``(C, H, W)`` of the input made from ``height x width`` images."""
        return len(CHANNELS), height // self.looks, width // self.looks

    def to_dict(self) -> dict[str, Any]:
        """The constants as stored beside a model."""
        return {"kind": KIND, "looks": int(self.looks), "channels": list(CHANNELS)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> InterferogramConfig:
        """Read :meth:`to_dict`'s output back.

        Raises:
            ValueError: another kind, or channels this code does not produce.
        """
        if values.get("kind") != KIND:
            raise ValueError(f"not an interferometric preprocessing: kind {values.get('kind')!r}")
        if list(values.get("channels", CHANNELS)) != list(CHANNELS):
            raise ValueError(f"unknown interferometric channels {values.get('channels')!r}; this code makes {CHANNELS}")
        return cls(looks=int(values["looks"]))


def is_interferometric(preprocess: dict[str, Any]) -> bool:
    """Whether a model's stored preprocessing dict describes this input."""
    return isinstance(preprocess, dict) and preprocess.get("kind") == KIND


def _checked_pair(pre: np.ndarray, post: np.ndarray, looks: int) -> tuple[np.ndarray, np.ndarray]:
    pre, post = np.asarray(pre), np.asarray(post)
    if pre.shape != post.shape or pre.ndim != 2:
        raise ValueError(f"pre and post must be 2-D images of one shape, got {pre.shape} and {post.shape}")
    if not (np.iscomplexobj(pre) and np.iscomplexobj(post)):
        raise ValueError(f"a same-track pair is complex, got {pre.dtype} and {post.dtype}")
    if pre.shape[0] % looks or pre.shape[1] % looks:
        raise ValueError(f"image sides {pre.shape} are not multiples of looks={looks}")
    return pre, post


def form_interferogram(pre: np.ndarray, post: np.ndarray, looks: int = DEFAULT_LOOKS
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1-3 of the module doc.

    Args:
        pre: ``H x W`` complex image (NaN: no data).
        post: the later image, same shape.
        looks: block side, dividing ``H`` and ``W``.

    Returns:
        (interferogram complex128, coherence float64), each ``H/looks x W/looks``.

    Raises:
        ValueError: shapes differ, an image is not 2-D complex, or ``looks`` does not divide them.
    """
    pre, post = _checked_pair(pre, post, looks)
    valid = np.isfinite(pre.real) & np.isfinite(pre.imag) & np.isfinite(post.real) & np.isfinite(post.imag)
    a = np.where(valid, pre, 0).astype(np.complex128)
    b = np.where(valid, post, 0).astype(np.complex128)
    height, width = a.shape
    blocks = (height // looks, looks, width // looks, looks)
    interferogram = (b * np.conj(a)).reshape(blocks).sum(axis=(1, 3))
    power = ((np.abs(a) ** 2).reshape(blocks).sum(axis=(1, 3))
             * (np.abs(b) ** 2).reshape(blocks).sum(axis=(1, 3)))
    coherence = np.zeros(power.shape)
    np.divide(np.abs(interferogram), np.sqrt(power), out=coherence, where=power > 0)
    return interferogram, np.clip(coherence, 0.0, 1.0)


def interferogram_features(pre: np.ndarray, post: np.ndarray,
                           config: InterferogramConfig = InterferogramConfig()) -> np.ndarray:
    """The network's input (module doc, step 4): float32 ``3 x H/looks x W/looks``.

    Raises:
        ValueError: as :func:`form_interferogram`.
    """
    interferogram, coherence = form_interferogram(pre, post, config.looks)
    magnitude = np.abs(interferogram)
    powered = magnitude > 0
    cos_phase = np.divide(interferogram.real, magnitude, out=np.zeros(magnitude.shape), where=powered)
    sin_phase = np.divide(interferogram.imag, magnitude, out=np.zeros(magnitude.shape), where=powered)
    return np.stack([cos_phase, sin_phase, coherence]).astype(np.float32)
