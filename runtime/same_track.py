"""The input checks of a same-track complex pair, the tile kind the interferometric models take.

A same-track pair is two co-registered complex images of one tile from one track, ``pre``
and ``post``, each ``side x side`` complex64 (VV; ``complex128`` is rounded to complex64
first), NaN in either part where there is no data. Before the pair is formed into an
interferogram (:mod:`quakesat.runtime.interferogram`) it is checked, and a bad pair becomes a
status, never a crash and never an event. :func:`check_same_track_image` looks at one image
and returns the first status that applies, in this order:

==================  ===============================================================
``BAD_DTYPE``       not a complex numpy array
``BAD_SHAPE``       not ``side x side``
``ALL_NODATA``      every pixel no-data (NaN in its real or imaginary part)
``NON_FINITE``      any +/-Inf in either part (NaN is no-data; Inf is corruption)
``MOSTLY_NODATA``   more than ``max_nodata`` of the pixels no-data
``ALL_ZERO``        every valid pixel exactly 0
``CONSTANT``        a fill: more than :data:`MAX_REPEATED` (half) of the valid pixels hold one
                    complex value (both parts ``==``: +0 and -0 are one value)
``OUT_OF_RANGE``    a pixel whose intensity ``re² + im²`` (in double) exceeds
                    :data:`MAX_INTENSITY` (+40 dB, the amplitude tiles' bound)
``PARTIAL_NODATA``  some pixels no-data (degraded: the rest is processed, as 0)
``OK``              none of the above
==================  ===============================================================

:func:`check_same_track_pair` checks both images: a bad input in ``pre`` wins, then one in
``post``; then the pixels lost in either (``MOSTLY_NODATA`` when more than ``max_nodata`` of
the tile is missing in one image or the other: a pixel missing in one is lost to the
interferogram); then a degradation of ``pre``, then of ``post``. (Both images are checked
against ``side``, so two shapes cannot differ.) A file reader refuses a bad file (type,
shape) before any check looks at pixels; the C++ reader takes ``<c8`` only. After formation,
:func:`check_coherence` refuses a pair with **no coherence anywhere** (``NO_COHERENCE``): fewer
than :data:`MIN_COHERENT_SHARE` of its multilooked cells reach :func:`coherent_level`, three
times the estimator's mean for independent images at that many looks. Two images of
different places or of a failed co-registration give that; so does ground that decorrelated
everywhere (water, forest over a long gap), where no phase can show anything either.
numpy only.
"""

from __future__ import annotations

import math

import numpy as np

from quakesat.runtime.status import Status
from quakesat.runtime.tile import MAX_LINEAR, MAX_NODATA, MAX_REPEATED, TileCheck

#: Largest plausible intensity ``|z|²`` of a pixel: the amplitude tiles' +40 dB.
MAX_INTENSITY = MAX_LINEAR
#: Share of multilooked cells that must be coherent for the pair to be formed at all.
MIN_COHERENT_SHARE = 0.01
#: Multiple of the zero-coherence bias a cell's coherence estimate must reach to count as coherent.
COHERENT_BIAS_FACTOR = 3.0


def _as_parts(image: np.ndarray) -> np.ndarray:
    """``side x side x 2`` float32 (real, imaginary) of a complex image, rounded to complex64."""
    return np.ascontiguousarray(image, dtype=np.complex64).view(np.float32).reshape(*image.shape, 2)


def check_same_track_image(image: object, side: int, max_nodata: float = MAX_NODATA) -> TileCheck:
    """Check one complex image (the module table)."""
    if not isinstance(image, np.ndarray) or not np.issubdtype(image.dtype, np.complexfloating):
        kind = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
        return TileCheck(Status.BAD_DTYPE, f"expected a complex64 array, got {kind}")
    if image.shape != (side, side):
        return TileCheck(Status.BAD_SHAPE, f"expected shape {(side, side)}, got {image.shape}")
    parts = _as_parts(image)
    nodata = np.isnan(parts).any(axis=-1)
    valid = parts.shape[0] * parts.shape[1] - int(np.count_nonzero(nodata))
    if valid == 0:
        return TileCheck(Status.ALL_NODATA, "every pixel is NaN")
    infinite = int(np.count_nonzero(np.isinf(parts)))
    if infinite:
        return TileCheck(Status.NON_FINITE, f"{infinite} infinite values")
    share = 1.0 - valid / nodata.size
    if share > max_nodata:
        return TileCheck(Status.MOSTLY_NODATA, f"{share:.1%} of the pixels are NaN (limit {max_nodata:.0%})")
    good = parts[~nodata]
    if not good.any():
        return TileCheck(Status.ALL_ZERO, "every valid pixel is 0")
    keys = (good + np.float32(0.0)).view(np.uint64).reshape(-1)  # + 0 makes -0 into +0: one value
    values, counts = np.unique(keys, return_counts=True)
    most = int(np.argmax(counts))
    if counts[most] > MAX_REPEATED * valid:
        value = values[most:most + 1].view(np.complex64)[0]
        return TileCheck(Status.CONSTANT, f"{int(counts[most])} of the {valid} valid pixels are {complex(value)!r}")
    wide = good.astype(np.float64)
    intensity = wide[:, 0] * wide[:, 0] + wide[:, 1] * wide[:, 1]
    if float(intensity.max()) > MAX_INTENSITY:
        return TileCheck(Status.OUT_OF_RANGE, f"intensity up to {float(intensity.max()):.4g}; a pixel's |z|^2 lies in "
                                              f"0..{MAX_INTENSITY:g}")
    if share > 0:
        return TileCheck(Status.PARTIAL_NODATA, f"{share:.1%} of the pixels are NaN")
    return TileCheck(Status.OK)


def check_same_track_pair(pre: object, post: object, side: int, max_nodata: float = MAX_NODATA) -> TileCheck:
    """Check a same-track pair (module doc): each image, then the pixels lost in either."""
    checks = [check_same_track_image(image, side, max_nodata) for image in (pre, post)]
    for label, check in zip(("pre", "post"), checks):
        if not check.processable:
            return TileCheck(check.status, f"{label} image: {check.detail}")
    lost = np.isnan(_as_parts(pre)).any(axis=-1) | np.isnan(_as_parts(post)).any(axis=-1)  # type: ignore[arg-type]
    share = float(np.count_nonzero(lost)) / lost.size
    if share > max_nodata:
        return TileCheck(Status.MOSTLY_NODATA, f"{share:.1%} of the pixels are NaN in one image or the other "
                                               f"(limit {max_nodata:.0%})")
    for label, check in zip(("pre", "post"), checks):
        if check.status != Status.OK:
            return TileCheck(check.status, f"{label} image: {check.detail}")
    return TileCheck(Status.OK)


def coherent_level(looks: int) -> float:
    """The coherence a multilooked cell must reach to count as coherent: three times the
    estimator's mean for independent images over ``looks²`` looks, ``sqrt(pi / (4 N))``
    (the large-N form of Touzi et al. 1999's bias), at most 1."""
    return min(1.0, COHERENT_BIAS_FACTOR * math.sqrt(math.pi / (4.0 * looks * looks)))


def check_coherence(coherence: np.ndarray, looks: int) -> TileCheck:
    """``NO_COHERENCE`` when fewer than :data:`MIN_COHERENT_SHARE` of the cells of a formed
    interferogram reach :func:`coherent_level` (module doc); ``OK`` otherwise.

    Args:
        coherence: the cells' coherence estimates (the third channel of
            :func:`~quakesat.runtime.interferogram.interferogram_features`).
        looks: the multilook block side they were estimated over.
    """
    level = np.float32(coherent_level(looks))
    coherent = int(np.count_nonzero(np.asarray(coherence) >= level))
    needed = MIN_COHERENT_SHARE * np.asarray(coherence).size
    if coherent < needed:
        return TileCheck(Status.NO_COHERENCE, f"{coherent} of {np.asarray(coherence).size} cells reach coherence "
                                              f"{float(level):.3f}: not co-registered, or decorrelated everywhere")
    return TileCheck(Status.OK)
