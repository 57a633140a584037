"""The reference store's tile choice and coverage against hand-built hazard layers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quakesat.mission.reference_store import StoreFormat
from quakesat.mission.store_coverage import (
    HazardLayer,
    coverage,
    coverage_curve,
    layer_from_catalogue,
    plan_store,
    tiles_per_cell,
)

STORE = StoreFormat(1, 4)
SIDE = 256
TILE_KM = 20.48


def _equatorial_layer(weights: list[float]) -> HazardLayer:
    """One row of 1° cells straddling nothing but the equator's north side."""
    return HazardLayer(np.array([weights]), 1.0, south=0.0, west=0.0)


def test_cell_area_and_tiles_by_hand() -> None:
    layer = _equatorial_layer([1.0])
    # A 1° x 1° cell from 0° to 1° N: R² · (π/180) · sin(1°) ≈ 12,363 km².
    assert layer.cell_area_km2(0) == pytest.approx(6371.0088**2 * math.radians(1) * math.sin(math.radians(1)))
    assert tiles_per_cell(layer, 0, TILE_KM) == math.ceil(layer.cell_area_km2(0) / TILE_KM**2) == 30


def test_the_densest_cells_are_kept_while_they_fit() -> None:
    layer = _equatorial_layer([1.0, 5.0, 3.0, 0.0])
    per_cell = tiles_per_cell(layer, 0, TILE_KM) * STORE.tile_bytes(SIDE)
    plan = plan_store(layer, 2 * per_cell + per_cell - 1, STORE, SIDE, TILE_KM)
    assert plan.cells == {(0, 1), (0, 2)} and plan.bytes == 2 * per_cell
    assert plan.weight_share == pytest.approx(8 / 9)
    assert plan_store(layer, per_cell - 1, STORE, SIDE, TILE_KM).cells == frozenset()
    assert plan_store(layer, 10 * per_cell, STORE, SIDE, TILE_KM).cells == {(0, 0), (0, 1), (0, 2)}  # never 0-weight


def test_weight_per_byte_ranks_a_small_cell_fairly() -> None:
    # Two cells of equal weight, one at the equator and one at 80° N (about a sixth of the area):
    # the polar cell holds the same weight in fewer bytes and is kept first.
    grid = np.zeros((180, 1))
    grid[90, 0] = grid[170, 0] = 1.0
    layer = HazardLayer(grid, 1.0, south=-90.0, west=0.0)
    polar = tiles_per_cell(layer, 170, TILE_KM) * STORE.tile_bytes(SIDE)
    assert plan_store(layer, polar, STORE, SIDE, TILE_KM).cells == {(170, 0)}


def test_coverage_counts_epicentres_in_kept_cells() -> None:
    layer = _equatorial_layer([1.0, 5.0, 3.0, 0.0])
    per_cell = tiles_per_cell(layer, 0, TILE_KM) * STORE.tile_bytes(SIDE)
    plan = plan_store(layer, per_cell, STORE, SIDE, TILE_KM)
    quakes = [(0.5, 1.5), (0.2, 1.9), (0.5, 2.5), (-5.0, 1.5)]  # two in the kept cell, one beside, one off the grid
    assert coverage(plan, layer, quakes) == 0.5
    assert coverage(plan, layer, []) == 0.0


def test_the_curve_rises_with_the_budget_and_reaches_everything_on_the_layer() -> None:
    quakes = [(38.0, 142.0), (38.1, 142.2), (-33.0, -72.0), (28.2, 84.7), (36.9, 37.0), (36.95, 37.1)]
    layer = layer_from_catalogue(quakes, cell_deg=1.0)
    # Two cells hold two events each; the one at 38° N is smaller than the one at 36° N, so it
    # holds them in fewer bytes and is kept first.
    japan = tiles_per_cell(layer, layer.cell_of(38.0, 142.0)[0], TILE_KM) * STORE.tile_bytes(SIDE)
    curve = coverage_curve(layer, quakes, [0.0, japan / 1e9, 0.1, 1.0], STORE, SIDE, TILE_KM)
    shares = [point.coverage for point in curve]
    assert shares == sorted(shares) and shares[0] == 0.0 and shares[-1] == 1.0
    assert curve[1].coverage == pytest.approx(2 / 6) and curve[1].weight_share == pytest.approx(2 / 6)


def test_a_catalogue_layer_counts_and_spreads() -> None:
    layer = layer_from_catalogue([(0.5, 0.5), (0.5, 0.7), (89.9, 179.9)], cell_deg=1.0, spread_cells=1)
    assert layer.weights[90, 180] == 2.0 and layer.weights[89, 179] == 2.0  # the cell and its south-west neighbour
    assert layer.weights[179, 0] == 1.0  # longitude wraps across the antimeridian
    assert layer.weights.sum() == pytest.approx(2 * 9 + 6)  # the polar event's spread stops at the pole
    with pytest.raises(ValueError):
        layer_from_catalogue([], cell_deg=7.0)


@pytest.mark.parametrize("bad", [np.array([1.0]), np.array([[1.0, -1.0]]), np.array([[np.nan]])])
def test_a_layer_out_of_range_is_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        HazardLayer(bad, 1.0)
