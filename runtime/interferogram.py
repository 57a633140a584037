"""On-board interferogram formation (preprocessing version 3): a same-track complex pair in,
what a network reads out.

A same-track pair is two co-registered complex (SLC-like) VV images of one tile, ``pre`` and
``post``, ``H x W`` complex64 (images of another complex type are rounded to complex64 first)
with NaN where there is no data. Per ``looks x looks`` block (``looks`` divides ``H`` and
``W``), every step an IEEE double operation that numpy and the C++ runner round the same way,
so that the two agree bit for bit:

1. no-data: a pixel whose real or imaginary part is not finite (``v - v != 0``), in either
   image, counts as 0 in both;
2. per pixel, with ``a = pre`` and ``b = post`` as doubles (each float product is then exact):
   ``re = b.re a.re + b.im a.im``, ``im = b.im a.re - b.re a.im`` (``post · conj(pre)``),
   ``p1 = a.re a.re + a.im a.im``, ``p2 = b.re b.re + b.im b.im``; no fused multiply-add;
3. the block sums ``I = Σ re + i Σ im``, ``P1 = Σ p1``, ``P2 = Σ p2``, accumulated from 0 in the
   block's row-major order (row by row, each row left to right);
4. ``m = sqrt(I.re I.re + I.im I.im)``; ``cos φ = I.re / m`` and ``sin φ = I.im / m`` (0 and 0
   where ``m`` is 0); the coherence estimate ``γ = min(m / sqrt(P1 P2), 1)`` (the
   maximum-likelihood estimator of the correlation magnitude; Touzi et al. 1999, IEEE TGRS
   37(1)), 0 where ``P1 P2`` is 0;
5. the network's input, float32 ``3 x H/looks x W/looks`` (each double rounded to nearest):
   ``cos φ``, ``sin φ`` (the wrapped phase as a unit phasor, so nothing jumps at ±π) and ``γ``.

No trigonometric function is used, only ``+ - * /`` and ``sqrt``, which IEEE 754 rounds
exactly. Every channel lies in [-1, 1]: no normalisation constants to carry. The phase is
only known up to a constant (the pair's reference): a network must read fringes, not levels.
The constants travel with a model (``preprocess``: :meth:`InterferogramConfig.to_dict`).
numpy only; the simulator's :func:`quakesat.simulator.insar.coherence.multilook` is the same
estimator up to rounding (a test holds it).
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
#: The preprocessing version of this input (the amplitude pair's are 1 and 2:
#: :mod:`quakesat.runtime.preprocess`).
INTERFEROMETRIC_VERSION = 3


@dataclass(frozen=True)
class InterferogramConfig:
    """How a same-track pair becomes a network's input (module doc)."""

    looks: int = DEFAULT_LOOKS

    def __post_init__(self) -> None:
        if isinstance(self.looks, bool) or not isinstance(self.looks, (int, np.integer)) or self.looks < 1:
            raise ValueError(f"looks must be a positive integer, got {self.looks!r}")

    @property
    def version(self) -> int:
        """The preprocessing version (the amplitude pair's configuration has one too)."""
        return INTERFEROMETRIC_VERSION

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """``(C, H, W)`` of the input made from ``height x width`` images."""
        return len(CHANNELS), height // self.looks, width // self.looks

    def to_dict(self) -> dict[str, Any]:
        """The constants as stored beside a model."""
        return {"kind": KIND, "version": INTERFEROMETRIC_VERSION, "looks": int(self.looks), "channels": list(CHANNELS)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> InterferogramConfig:
        """Read :meth:`to_dict`'s output back.

        Raises:
            ValueError: another kind, or channels this code does not produce.
        """
        if values.get("kind") != KIND:
            raise ValueError(f"not an interferometric preprocessing: kind {values.get('kind')!r}")
        if values.get("version", INTERFEROMETRIC_VERSION) != INTERFEROMETRIC_VERSION:
            raise ValueError(f"interferometric preprocessing version {values.get('version')!r} is not supported "
                             f"(this runtime implements {INTERFEROMETRIC_VERSION})")
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


def _block_sums(pre: np.ndarray, post: np.ndarray, looks: int) -> tuple[np.ndarray, ...]:
    """Steps 1-3: the block sums ``I.re, I.im, P1, P2`` (float64 ``H/looks x W/looks`` each)."""
    a = pre.astype(np.complex64, copy=False)
    b = post.astype(np.complex64, copy=False)
    ar, ai, br, bi = (np.asarray(part, dtype=np.float32) for part in (a.real, a.imag, b.real, b.imag))
    valid = np.isfinite(ar) & np.isfinite(ai) & np.isfinite(br) & np.isfinite(bi)
    ar, ai, br, bi = (np.where(valid, part, np.float32(0)).astype(np.float64) for part in (ar, ai, br, bi))
    terms = (br * ar + bi * ai, bi * ar - br * ai, ar * ar + ai * ai, br * br + bi * bi)
    height, width = a.shape
    rows, cols = height // looks, width // looks
    sums = []
    for term in terms:
        blocks = term.reshape(rows, looks, cols, looks)
        total = np.zeros((rows, cols))
        for r in range(looks):
            for c in range(looks):
                total = total + blocks[:, r, :, c]
        sums.append(total)
    return tuple(sums)


def _formed(pre: np.ndarray, post: np.ndarray, looks: int) -> tuple[np.ndarray, ...]:
    """Steps 1-4 once: ``I.re``, ``I.im``, ``m`` and the coherence (float64 per block)."""
    pre, post = _checked_pair(pre, post, looks)
    real, imag, power_pre, power_post = _block_sums(pre, post, looks)
    magnitude = np.sqrt(real * real + imag * imag)
    denominator = np.sqrt(power_pre * power_post)
    coherence = np.zeros(magnitude.shape)
    np.divide(magnitude, denominator, out=coherence, where=denominator > 0)
    return real, imag, magnitude, np.minimum(coherence, 1.0)


def form_interferogram(pre: np.ndarray, post: np.ndarray, looks: int = DEFAULT_LOOKS
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1-4 of the module doc.

    Args:
        pre: ``H x W`` complex image (NaN: no data).
        post: the later image, same shape.
        looks: block side, dividing ``H`` and ``W``.

    Returns:
        (interferogram complex128 ``Σ post · conj(pre)``, coherence float64), each
        ``H/looks x W/looks``.

    Raises:
        ValueError: shapes differ, an image is not 2-D complex, or ``looks`` does not divide them.
    """
    real, imag, _, coherence = _formed(pre, post, looks)
    return real + 1j * imag, coherence


def interferogram_features(pre: np.ndarray, post: np.ndarray,
                           config: InterferogramConfig = InterferogramConfig()) -> np.ndarray:
    """The network's input (module doc, step 5): float32 ``3 x H/looks x W/looks``.

    Raises:
        ValueError: as :func:`form_interferogram`.
    """
    real, imag, magnitude, coherence = _formed(pre, post, config.looks)
    powered = magnitude > 0
    cos_phase = np.divide(real, magnitude, out=np.zeros(magnitude.shape), where=powered)
    sin_phase = np.divide(imag, magnitude, out=np.zeros(magnitude.shape), where=powered)
    return np.stack([cos_phase, sin_phase, coherence]).astype(np.float32)
