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


def _fill(good: np.ndarray) -> tuple[int, complex] | None:
    """(count, value) of the one complex value more than :data:`MAX_REPEATED` of ``good`` (the
    valid pixels, complex64) hold, or None. Exact and linear: a value held by more than half
    of them sits in the middle of their sorted bit patterns (+0 and -0 made one first), so
    that one candidate is counted."""
    keys = (good + np.complex64(0)).view(np.uint64)  # + 0 makes -0 into +0: one value
    candidate = np.partition(keys, keys.size // 2)[keys.size // 2]
    count = int(np.count_nonzero(keys == candidate))
    if count > MAX_REPEATED * keys.size:
        return count, complex(np.array([candidate], dtype=np.uint64).view(np.complex64)[0])
    return None


def _brightest(good: np.ndarray) -> float:
    """The largest intensity ``re² + im²`` (in double) among ``good`` where it may pass
    :data:`MAX_INTENSITY`; a bound below it otherwise (no pixel can then be out of range)."""
    parts = good.view(np.float32)
    bound = float(np.max(np.abs(parts))) if parts.size else 0.0
    if 2.0 * bound * bound <= MAX_INTENSITY:
        return 2.0 * bound * bound
    wide = parts.reshape(-1, 2).astype(np.float64)
    return float(np.max(wide[:, 0] * wide[:, 0] + wide[:, 1] * wide[:, 1]))


def _check_image(image: object, side: int, max_nodata: float) -> tuple[TileCheck, np.ndarray | None]:
    """:func:`check_same_track_image` and the image's no-data mask (None when not computed)."""
    if not isinstance(image, np.ndarray) or not np.issubdtype(image.dtype, np.complexfloating):
        kind = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
        return TileCheck(Status.BAD_DTYPE, f"expected a complex64 array, got {kind}"), None
    if image.shape != (side, side):
        return TileCheck(Status.BAD_SHAPE, f"expected shape {(side, side)}, got {image.shape}"), None
    z = np.ascontiguousarray(image, dtype=np.complex64)
    nodata = np.isnan(z)  # NaN in either part
    missing = int(np.count_nonzero(nodata))
    valid = z.size - missing
    if valid == 0:
        return TileCheck(Status.ALL_NODATA, "every pixel is NaN"), nodata
    if np.isinf(z).any():  # an Inf in either part, whatever the other holds
        infinite = int(np.count_nonzero(np.isinf(z.view(np.float32))))
        return TileCheck(Status.NON_FINITE, f"{infinite} infinite values"), nodata
    share = missing / nodata.size
    if share > max_nodata:
        return TileCheck(Status.MOSTLY_NODATA, f"{share:.1%} of the pixels are NaN (limit {max_nodata:.0%})"), nodata
    good = z[~nodata] if missing else z.reshape(-1)
    if not good.any():
        return TileCheck(Status.ALL_ZERO, "every valid pixel is 0"), nodata
    fill = _fill(good)
    if fill is not None:
        return TileCheck(Status.CONSTANT, f"{fill[0]} of the {valid} valid pixels are {fill[1]!r}"), nodata
    brightest = _brightest(good)
    if brightest > MAX_INTENSITY:
        return TileCheck(Status.OUT_OF_RANGE, f"intensity up to {brightest:.4g}; a pixel's |z|^2 lies in "
                                              f"0..{MAX_INTENSITY:g}"), nodata
    if share > 0:
        return TileCheck(Status.PARTIAL_NODATA, f"{share:.1%} of the pixels are NaN"), nodata
    return TileCheck(Status.OK), nodata


def check_same_track_image(image: object, side: int, max_nodata: float = MAX_NODATA) -> TileCheck:
    """Check one complex image (the module table)."""
    return _check_image(image, side, max_nodata)[0]


def check_same_track_pair(pre: object, post: object, side: int, max_nodata: float = MAX_NODATA) -> TileCheck:
    """Check a same-track pair (module doc): each image, then the pixels lost in either."""
    checked = [_check_image(image, side, max_nodata) for image in (pre, post)]
    for label, (check, _) in zip(("pre", "post"), checked):
        if not check.processable:
            return TileCheck(check.status, f"{label} image: {check.detail}")
    pre_mask, post_mask = (mask if mask is not None else np.zeros((side, side), dtype=bool) for _, mask in checked)
    lost = pre_mask | post_mask  # (both were looked at: a processable image has its mask)
    share = float(np.count_nonzero(lost)) / lost.size
    if share > max_nodata:
        return TileCheck(Status.MOSTLY_NODATA, f"{share:.1%} of the pixels are NaN in one image or the other "
                                               f"(limit {max_nodata:.0%})")
    for label, (check, _) in zip(("pre", "post"), checked):
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
