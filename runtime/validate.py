"""Input checks before a tile reaches the model: a bad tile becomes a status, never a crash.

:func:`check_pair` looks at a bitemporal pair as it arrives (two ``H x W x 2`` sigma0
images, VV and VH, in the preprocessing's ``units``) and returns the first status that applies, checked in this order (the
first bad-input finding wins; degradations are reported only for otherwise good tiles):

==================  ===============================================================
``BAD_DTYPE``       not a floating-point numpy array
``BAD_SHAPE``       not ``side x side x 2``, or the two images differ in shape
``NON_FINITE``      any +/-Inf (NaN is the no-data convention; Inf is corruption)
``ALL_NODATA``      every pixel NaN
``MOSTLY_NODATA``   more than ``max_nodata`` of the pixels NaN
``ALL_ZERO``        every valid pixel exactly 0
``CONSTANT``        every valid pixel the same value (a stuck or filled product)
``OUT_OF_RANGE``    a negative intensity, or one above ``MAX_LINEAR`` (+40 dB); for tiles
                    in dB, a value outside -80..+40 dB
``PARTIAL_NODATA``  some pixels NaN (degraded: the rest is processed)
``VALUES_CLIPPED``  more than ``max_clipped`` of the valid pixels beyond the preprocessing's
                    dB clip range (degraded)
``OK``              none of the above
==================  ===============================================================

A tile with a bad-input status must not be run through the model and must not raise an
event; a degraded one is processed and flagged. numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quakesat.runtime.preprocess import PreprocessConfig
from quakesat.runtime.status import Status, StatusCategory

#: Largest plausible linear sigma0 (+40 dB): brighter values are corruption, not terrain.
MAX_LINEAR = 1e4
#: Smallest plausible sigma0 in dB for tiles given in dB (far below any sensor's noise floor).
MIN_DB = -80.0
#: Share of no-data pixels above which a tile is not processed.
MAX_NODATA = 0.5
#: Share of valid pixels beyond the clip range above which a processed tile is flagged.
MAX_CLIPPED = 0.01


@dataclass(frozen=True)
class TileCheck:
    """The verdict on one tile or pair: a status and a sentence for the log."""

    status: Status
    detail: str = ""

    @property
    def processable(self) -> bool:
        """True for OK and degraded tiles: the model may run on them."""
        return self.status.category in (StatusCategory.OK, StatusCategory.DEGRADED)


def check_image(image: object, side: int, config: PreprocessConfig = PreprocessConfig(),
                max_nodata: float = MAX_NODATA, max_clipped: float = MAX_CLIPPED) -> TileCheck:
    """Check one ``side x side x 2`` linear image (see the module table)."""
    if not isinstance(image, np.ndarray) or not np.issubdtype(image.dtype, np.floating):
        kind = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
        return TileCheck(Status.BAD_DTYPE, f"expected a float array, got {kind}")
    if image.shape != (side, side, 2):
        return TileCheck(Status.BAD_SHAPE, f"expected shape {(side, side, 2)}, got {image.shape}")
    if np.isinf(image).any():
        return TileCheck(Status.NON_FINITE, f"{int(np.isinf(image).sum())} infinite values")
    valid = image[np.isfinite(image)]
    nodata = 1.0 - valid.size / image.size
    if valid.size == 0:
        return TileCheck(Status.ALL_NODATA, "every pixel is NaN")
    if nodata > max_nodata:
        return TileCheck(Status.MOSTLY_NODATA, f"{nodata:.1%} of the pixels are NaN (limit {max_nodata:.0%})")
    if not valid.any():
        return TileCheck(Status.ALL_ZERO, "every valid pixel is 0")
    if valid.min() == valid.max():
        return TileCheck(Status.CONSTANT, f"every valid pixel is {float(valid.min())!r}")
    bounds = (0.0, MAX_LINEAR) if config.units == "linear" else (MIN_DB, 10.0 * np.log10(MAX_LINEAR))
    if valid.min() < bounds[0] or valid.max() > bounds[1]:
        return TileCheck(Status.OUT_OF_RANGE, f"values span {float(valid.min()):.4g}..{float(valid.max()):.4g}; "
                                              f"{config.units} sigma0 lies in {bounds[0]:g}..{bounds[1]:g}")
    if nodata > 0:
        return TileCheck(Status.PARTIAL_NODATA, f"{nodata:.1%} of the pixels are NaN")
    low, high = config.clip_db if config.units == "db" else (10.0 ** (db / 10.0) for db in config.clip_db)
    clipped = float(np.count_nonzero((valid < low) | (valid > high)) / valid.size)
    if clipped > max_clipped:
        return TileCheck(Status.VALUES_CLIPPED, f"{clipped:.1%} of the pixels lie beyond {config.clip_db} dB")
    return TileCheck(Status.OK)


def check_pair(first: object, second: object, side: int, config: PreprocessConfig = PreprocessConfig(),
               max_nodata: float = MAX_NODATA, max_clipped: float = MAX_CLIPPED) -> TileCheck:
    """Check a bitemporal pair: each image, then that they match; the worse verdict wins
    (a bad input over a degradation; the first image on a tie)."""
    checks = [check_image(image, side, config, max_nodata, max_clipped) for image in (first, second)]
    for label, check in zip(("first", "second"), checks):
        if not check.processable:
            return TileCheck(check.status, f"{label} image: {check.detail}")
    for label, check in zip(("first", "second"), checks):
        if check.status != Status.OK:
            return TileCheck(check.status, f"{label} image: {check.detail}")
    return TileCheck(Status.OK)
