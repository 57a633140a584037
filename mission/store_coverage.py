"""Which tiles the reference store keeps, and what share of earthquakes they cover.

A **hazard layer** is a grid of cells (``cell_deg`` on a side) each with a weight: an expected
rate of damaging earthquakes in the cell, in any unit (only the order and the proportions
matter). Given a store format (:class:`~quakesat.mission.reference_store.StoreFormat`) and a
budget in bytes, :func:`plan_store` keeps whole cells, densest first (weight per stored byte,
so a small cell at high latitude is not favoured for its few tiles alone), until the budget
is spent; a cell is kept as all the ``tile_km`` tiles that cover its land-or-sea area. The
plan's **coverage** of a set of earthquakes is the share whose epicentre lies in a kept cell
(:func:`coverage`); :func:`coverage_curve` gives it against a range of budgets.

A layer can be built from a catalogue by counting its earthquakes per cell, optionally spread
to the neighbouring cells (:func:`layer_from_catalogue`). Coverage measured on the catalogue
the layer was built from is an upper bound (the layer has seen those events): split the
catalogue in time, build from the earlier part and measure on the later one.

Which layer, from which catalogue, and the study that chooses it on past years and measures
it on later ones: :mod:`quakesat.mission.store_study`. numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from quakesat.mission.reference_store import StoreFormat

#: Mean Earth radius, km (IUGG).
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class HazardLayer:
    """Cell weights on a regular latitude/longitude grid: ``weights[row, col]`` for the cell whose
    south-west corner is (``south + row * cell_deg``, ``west + col * cell_deg``). ``land``, when
    given, is each cell's land share in [0, 1] (:func:`quakesat.mission.land.land_fraction`):
    the store then keeps only a cell's land, and never a cell without any."""

    weights: np.ndarray
    cell_deg: float
    south: float = -90.0
    west: float = -180.0
    land: np.ndarray | None = None

    def __post_init__(self) -> None:
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.ndim != 2 or not weights.size:
            raise ValueError(f"weights must be a non-empty 2-D grid, got shape {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("weights must be finite and >= 0")
        if not (self.cell_deg > 0 and math.isfinite(self.cell_deg)):
            raise ValueError(f"cell_deg must be > 0, got {self.cell_deg}")
        if self.south < -90 or self.south + weights.shape[0] * self.cell_deg > 90 + 1e-9:
            raise ValueError("the grid reaches beyond the poles")
        object.__setattr__(self, "weights", weights)
        if self.land is not None:
            land = np.asarray(self.land, dtype=np.float64)
            if land.shape != weights.shape:
                raise ValueError(f"land must have the weights' shape {weights.shape}, got {land.shape}")
            if not np.all(np.isfinite(land)) or np.any(land < 0) or np.any(land > 1):
                raise ValueError("land shares must be in [0, 1]")
            object.__setattr__(self, "land", land)

    def cell_of(self, lat: float, lon: float) -> tuple[int, int] | None:
        """The (row, col) holding a point, or None outside the grid (longitude wraps)."""
        row = math.floor((lat - self.south) / self.cell_deg)
        col = math.floor(((lon - self.west) % 360.0) / self.cell_deg)
        rows, cols = self.weights.shape
        if 0 <= row < rows and 0 <= col < cols:
            return row, col
        return None

    def cell_area_km2(self, row: int) -> float:
        """The area of a cell of ``row`` on a sphere."""
        south = math.radians(self.south + row * self.cell_deg)
        north = math.radians(self.south + (row + 1) * self.cell_deg)
        return EARTH_RADIUS_KM**2 * math.radians(self.cell_deg) * (math.sin(north) - math.sin(south))


def tiles_per_cell(layer: HazardLayer, row: int, tile_km: float, col: int | None = None) -> int:
    """Tiles of ``tile_km`` on a side that cover one cell of ``row`` (rounded up): its whole
    area, or with a land layer and ``col`` given, its land (0 for a cell without land)."""
    if col is None:
        return int(_tiles(np.array(layer.cell_area_km2(row)), np.array(1.0), tile_km))
    return int(tiles_grid(layer, tile_km)[row, col])


def tiles_grid(layer: HazardLayer, tile_km: float) -> np.ndarray:
    """:func:`tiles_per_cell` for every cell at once (its land only, with a land layer)."""
    rows = np.arange(layer.weights.shape[0])
    south = np.radians(layer.south + rows * layer.cell_deg)
    north = np.radians(layer.south + (rows + 1) * layer.cell_deg)
    area = EARTH_RADIUS_KM**2 * math.radians(layer.cell_deg) * (np.sin(north) - np.sin(south))
    share = layer.land if layer.land is not None else np.ones(layer.weights.shape)
    return _tiles(area[:, None], share, tile_km)


def _tiles(area_km2: np.ndarray, share: np.ndarray, tile_km: float) -> np.ndarray:
    """ceil(area x share / tile area), at least 1 where the share is positive, 0 where it is not."""
    if tile_km <= 0:
        raise ValueError(f"tile_km must be > 0, got {tile_km}")
    tiles = np.maximum(np.ceil(area_km2 * share / tile_km**2), 1)
    return np.where(share > 0, tiles, 0).astype(np.int64)


@dataclass(frozen=True)
class StorePlan:
    """The cells a store keeps under one budget."""

    cells: frozenset[tuple[int, int]]
    tiles: int
    bytes: int
    budget_bytes: float
    weight_share: float  # share of the layer's total weight the kept cells hold


def plan_store(layer: HazardLayer, budget_bytes: float, store: StoreFormat, side_px: int, tile_km: float
               ) -> StorePlan:
    """Keep whole cells, largest weight per stored byte first, while they fit in the budget (a
    cell that does not fit is skipped and smaller ones after it may still fit)."""
    if budget_bytes < 0:
        raise ValueError(f"budget must be >= 0 bytes, got {budget_bytes}")
    per_tile = store.tile_bytes(side_px)
    rows, cols = np.nonzero(layer.weights > 0)
    tiles = tiles_grid(layer, tile_km)[rows, cols]
    keepable = tiles > 0
    rows, cols, tiles = rows[keepable], cols[keepable], tiles[keepable]
    density = layer.weights[rows, cols] / (tiles * per_tile)
    kept: set[tuple[int, int]] = set()
    used_tiles = 0
    for index in np.argsort(-density, kind="stable"):
        need = int(tiles[index])
        if (used_tiles + need) * per_tile <= budget_bytes:
            kept.add((int(rows[index]), int(cols[index])))
            used_tiles += need
    total = float(layer.weights.sum())
    held = float(sum(layer.weights[cell] for cell in kept))
    return StorePlan(frozenset(kept), used_tiles, used_tiles * per_tile, float(budget_bytes),
                     held / total if total else 0.0)


def coverage(plan: StorePlan, layer: HazardLayer, epicentres: Iterable[tuple[float, float]]) -> float:
    """The share of ``epicentres`` (lat, lon) that lie in a kept cell (0 for none given)."""
    points = list(epicentres)
    if not points:
        return 0.0
    return float(np.mean(kept_mask(plan, layer, [p[0] for p in points], [p[1] for p in points])))


def kept_mask(plan: StorePlan, layer: HazardLayer, lats: Sequence[float] | np.ndarray,
              lons: Sequence[float] | np.ndarray) -> np.ndarray:
    """Whether each point (``lats[i]``, ``lons[i]``) lies in a kept cell."""
    kept = np.zeros(layer.weights.shape, dtype=bool)
    for cell in plan.cells:
        kept[cell] = True
    rows, cols = cell_indices(layer, lats, lons)
    inside = rows >= 0
    out = np.zeros(rows.shape, dtype=bool)
    out[inside] = kept[rows[inside], cols[inside]]
    return out


def cell_indices(layer: HazardLayer, lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`HazardLayer.cell_of` for arrays: (rows, cols), both -1 outside the grid."""
    lat = np.asarray(lats, dtype=np.float64)
    lon = np.asarray(lons, dtype=np.float64)
    rows = np.floor((lat - layer.south) / layer.cell_deg).astype(np.int64)
    cols = np.floor(((lon - layer.west) % 360.0) / layer.cell_deg).astype(np.int64)
    n_rows, n_cols = layer.weights.shape
    outside = (rows < 0) | (rows >= n_rows) | (cols < 0) | (cols >= n_cols)
    return np.where(outside, -1, rows), np.where(outside, -1, cols)


@dataclass(frozen=True)
class CoveragePoint:
    """One point of the coverage curve."""

    budget_gb: float
    tiles: int
    coverage: float
    weight_share: float


def coverage_curve(layer: HazardLayer, epicentres: Sequence[tuple[float, float]], budgets_gb: Sequence[float],
                   store: StoreFormat, side_px: int, tile_km: float) -> list[CoveragePoint]:
    """Coverage of ``epicentres`` against each budget (GB = 10⁹ bytes)."""
    curve = []
    for budget in budgets_gb:
        plan = plan_store(layer, budget * 1e9, store, side_px, tile_km)
        curve.append(CoveragePoint(float(budget), plan.tiles, coverage(plan, layer, epicentres), plan.weight_share))
    return curve


def layer_from_catalogue(epicentres: Iterable[tuple[float, float]], cell_deg: float, spread_cells: int = 0,
                         weights: Iterable[float] | None = None, land: np.ndarray | None = None) -> HazardLayer:
    """A global layer counting the catalogue's earthquakes per cell (each its ``weights`` entry,
    else 1), each count also added to the cells within ``spread_cells`` (a square; the
    catalogue's epicentres are a sample of where the next ones fall)."""
    rows, cols = math.ceil(180.0 / cell_deg), math.ceil(360.0 / cell_deg)
    if rows * cell_deg > 180.0 + 1e-9:
        raise ValueError(f"cell_deg {cell_deg} does not divide 180°")
    grid = np.zeros((rows, cols))
    layer = HazardLayer(grid, cell_deg)
    points = list(epicentres)
    values = [1.0] * len(points) if weights is None else [float(w) for w in weights]
    if len(values) != len(points):
        raise ValueError("weights must have one entry per epicentre")
    for (lat, lon), value in zip(points, values, strict=True):
        cell = layer.cell_of(lat, lon)
        if cell is None:
            continue
        for d_row in range(-spread_cells, spread_cells + 1):
            row = cell[0] + d_row
            if 0 <= row < rows:
                for d_col in range(-spread_cells, spread_cells + 1):
                    grid[row, (cell[1] + d_col) % cols] += value
    return HazardLayer(grid, cell_deg, land=land)
