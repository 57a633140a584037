"""Where inside a flagged tile the event is: the change evidence's peak, or a location head.

Two estimates of the epicentre's pixel, both refining the tile centre:

- :func:`change_peak` — unsupervised (the paper's task 4 in spirit): the log-ratio change map
  (:func:`quakesat.runtime.change.log_ratio_db`, 3 x 3 multilook) is thresholded at 3 dB,
  the changed pixels are counted in a sliding window of ``window`` of the tile side, and the
  centroid of the changed pixels inside the densest window is the estimate. Coseismic damage
  falls off with distance from the epicentre, so the densest damage marks it; a tile with no
  changed pixel has no estimate.
- :func:`head_to_pixel` — a model's location head, which predicts the offset from the tile
  centre in half-tile units (see ``quakesat.models.torch_data.location_target``).

Both return pixel coordinates of the raw tile (``row``, ``col``, centres at integers);
:func:`quakesat.runtime.tile.pixel_to_latlon` turns them into degrees. numpy only.
"""

from __future__ import annotations

import numpy as np

from quakesat.runtime.change import CHANGE_THRESHOLD_DB, log_ratio_db

#: Looks of the change map (pixels per side of each multilook block).
CHANGE_LOOKS = 3
#: Side of the sliding window, as a share of the tile side.
DEFAULT_WINDOW = 0.25
#: Location methods the runtime offers.
METHODS = ("auto", "head", "change", "centre")


def _window_sums(mask: np.ndarray, size: int) -> np.ndarray:
    """Number of true pixels in every ``size x size`` window (top-left indexed)."""
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int64)
    table[1:, 1:] = mask.astype(np.int64).cumsum(0).cumsum(1)
    return table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]


def change_peak(first: np.ndarray, second: np.ndarray, window: float = DEFAULT_WINDOW,
                threshold_db: float = CHANGE_THRESHOLD_DB) -> tuple[float, float] | None:
    """Pixel (row, col) of the densest change in the pair, or None if nothing changed.

    Args:
        first, second: the pair's ``H x W x 2`` linear sigma0 images (NaN: no data).
        window: side of the counting window as a share of the tile side (0 < window <= 1).
        threshold_db: a multilooked pixel is changed when ``|log-ratio|`` exceeds this in
            any band.
    """
    ratio = log_ratio_db(first, second, CHANGE_LOOKS)
    with np.errstate(invalid="ignore"):
        changed = (np.abs(ratio) > threshold_db).any(axis=-1)
    if not changed.any():
        return None
    size = int(np.clip(round(window * min(changed.shape)), 1, min(changed.shape)))
    sums = _window_sums(changed, size)
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    rows, cols = np.nonzero(changed[top:top + size, left:left + size])
    row, col = rows.mean() + top, cols.mean() + left
    # Multilooked block (r, c) covers raw pixels r*L .. r*L + L - 1: its centre is r*L + (L-1)/2.
    half = (CHANGE_LOOKS - 1) / 2.0
    return float(row * CHANGE_LOOKS + half), float(col * CHANGE_LOOKS + half)


def head_to_pixel(offset: np.ndarray, side: int) -> tuple[float, float]:
    """Pixel (row, col) from a location head's ``(d_row, d_col)`` in half-tile units,
    clamped to the tile."""
    centre = (side - 1) / 2.0
    d_row, d_col = (float(np.clip(v, -1.0, 1.0)) for v in np.asarray(offset, dtype=np.float64).reshape(2))
    return centre + d_row * side / 2.0, centre + d_col * side / 2.0
