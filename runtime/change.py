"""Unsupervised bitemporal change evidence: the log-ratio of two sigma0 images.

The log-ratio (dB difference) is the classic SAR change detector: multiplicative speckle
becomes additive, and a pixel whose backscatter changed by more than a few dB stands out.
Used as a baseline detector, for the simulator's difficulty calibration, and (later) for
the runtime's change gate and event location.
"""

from __future__ import annotations

import numpy as np

#: A pixel counts as changed when its backscatter moved by more than this (dB), about twice
#: the spread of the log-ratio of pure speckle after a 3 x 3 multilook at ENL 4.4.
CHANGE_THRESHOLD_DB = 3.0


def log_ratio_db(first: np.ndarray, second: np.ndarray, looks: int = 3) -> np.ndarray:
    """Per-pixel, per-band ``10 log10(second / first)`` after a ``looks x looks`` box multilook.

    Args:
        first, second: ``H x W x B`` linear sigma0 of the same area; NaN/Inf/<= 0 is no data.
        looks: side of the box filter applied to each linear image before the ratio (speckle
            suppression); 1 disables it. H and W are cropped to multiples of it.

    Returns:
        ``H/looks x W/looks x B`` float64 log-ratio; NaN where either image has no data.
    """
    def multilooked(image: np.ndarray) -> np.ndarray:
        values = np.asarray(image, dtype=np.float64)
        values = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        h, w = (values.shape[0] // looks) * looks, (values.shape[1] // looks) * looks
        blocks = values[:h, :w].reshape(h // looks, looks, w // looks, looks, values.shape[2])
        return blocks.mean(axis=(1, 3))  # any no-data pixel makes its block no-data

    with np.errstate(invalid="ignore", divide="ignore"):
        return 10.0 * np.log10(multilooked(second) / multilooked(first))


def changed_share(first: np.ndarray, second: np.ndarray, threshold_db: float = CHANGE_THRESHOLD_DB) -> float:
    """Share of valid (multilooked) pixels whose |log-ratio| exceeds ``threshold_db`` in any band.

    Returns NaN when the two images share no valid pixel.
    """
    ratio = log_ratio_db(first, second)
    valid = np.isfinite(ratio).all(axis=-1)
    if not valid.any():
        return float("nan")
    return float(np.mean((np.abs(ratio[valid]) > threshold_db).any(axis=-1)))
