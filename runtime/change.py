"""Unsupervised bitemporal change evidence: the log-ratio of two sigma0 images.

The log-ratio (dB difference) is the classic SAR change detector: multiplicative speckle
becomes additive, and a pixel whose backscatter changed by more than a few dB stands out.
Used as a baseline detector, for the simulator's difficulty calibration, for the runtime's
change gate and for event location.
"""

from __future__ import annotations

import numpy as np

#: A pixel counts as changed when its backscatter moved by more than this (dB), about twice
#: the spread of the log-ratio of pure speckle after a 3 x 3 multilook at ENL 4.4.
CHANGE_THRESHOLD_DB = 3.0


def multilooked_intensity(image: np.ndarray, looks: int = 3) -> np.ndarray:
    """``looks x looks`` box mean of a linear ``H x W x B`` image (H, W cropped to multiples of
    ``looks``); NaN wherever the block holds a non-finite or non-positive pixel. The block is
    summed in row-major order (part of the definition, for the C++ twin)."""
    values = np.asarray(image, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        values = np.where(np.isfinite(values) & (values > 0), values, np.nan)
    h, w = (values.shape[0] // looks) * looks, (values.shape[1] // looks) * looks
    total = np.zeros((h // looks, w // looks, values.shape[2]), dtype=np.float64)
    for row in range(looks):
        for col in range(looks):
            total += values[row:h:looks, col:w:looks]
    return total / (looks * looks)


def log_ratio_db(first: np.ndarray, second: np.ndarray, looks: int = 3) -> np.ndarray:
    """Per-pixel, per-band ``10 log10(second / first)`` after a ``looks x looks`` box multilook.

    Args:
        first, second: ``H x W x B`` linear sigma0 of the same area; NaN/Inf/<= 0 is no data.
        looks: side of the box filter applied to each linear image before the ratio (speckle
            suppression); 1 disables it. H and W are cropped to multiples of it.

    Returns:
        ``H/looks x W/looks x B`` float64 log-ratio; NaN where either image has no data.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return 10.0 * np.log10(multilooked_intensity(second, looks) / multilooked_intensity(first, looks))


def changed_share(first: np.ndarray, second: np.ndarray, threshold_db: float = CHANGE_THRESHOLD_DB) -> float:
    """Share of valid (3 x 3-multilooked) pixels whose |log-ratio| exceeds ``threshold_db`` in any band.

    Compares the intensity ratio with ``10 ** (threshold_db / 10)`` instead of taking
    logarithms (the same test, a third of the cost). Returns NaN when the two images share
    no valid pixel.
    """
    before, after = multilooked_intensity(first), multilooked_intensity(second)
    valid = np.isfinite(before).all(axis=-1) & np.isfinite(after).all(axis=-1)
    if not valid.any():
        return float("nan")
    factor = 10.0 ** (threshold_db / 10.0)
    with np.errstate(invalid="ignore"):
        changed = ((after > before * factor) | (before > after * factor)).any(axis=-1)
    return float(np.count_nonzero(changed & valid) / np.count_nonzero(valid))
