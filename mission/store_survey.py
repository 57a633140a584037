"""The reference store on a mission's day: what it holds, what the swath passes over, and
which of the day's earthquakes a survey on stored tiles can see.

The store is the study's (:mod:`quakesat.mission.store_study`): its layer, cell size and
spread chosen on past seismicity, filled to a budget (the study's default unless the scenario
names one). It keeps one reference per tile, of one pass direction (descending by default):
an interferogram needs the previous pass of the *same* track, so a tile seen ascending and
descending would need two references. Nor does any pass of that direction do: a reference is
of one relative orbit, and the neighbouring orbits whose swaths overlap it see the tile at
another incidence. So each stored tile is checked once per repeat cycle, when its own relative
orbit passes, and an earthquake is within the survey's reach when its epicentre lies in a
stored cell.

:func:`store_figures` gives the mission's numbers: bytes held, tiles checked in the window and
per orbit, the refresh written a day, the energy of checking them, the share of the window's
swath (its passes of the store's direction) that lies over stored cells, and the window's
earthquakes inside the store. numpy only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from quakesat.mission.land import land_fraction
from quakesat.mission.reference_store import StoreFormat
from quakesat.mission.store_coverage import HazardLayer, StorePlan, kept_mask, layer_from_catalogue, plan_store
from quakesat.mission.swath import Swath, swath_points

#: Pass directions a store may keep references of.
DIRECTIONS = ("descending", "ascending")


@dataclass(frozen=True)
class OnboardStore:
    """A filled store: the layer, the kept cells, the format, and the pass direction."""

    layer: HazardLayer
    plan: StorePlan
    store_format: StoreFormat
    budget_gb: float
    tile_km: float
    side_px: int
    direction: str = "descending"

    def holds(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Whether each point lies in a stored cell."""
        return kept_mask(self.plan, self.layer, lats, lons)


@functools.lru_cache(maxsize=4)
def default_store(budget_gb: float | None = None, direction: str = "descending") -> OnboardStore:
    """The store study's layer (cell size and spread chosen on validation, counted from
    1965–2005), filled to ``budget_gb`` (default: the study's default budget)."""
    from quakesat.mission.global_catalogue import load_global_catalogue
    from quakesat.mission.store_study import (
        STORE_FORMAT,
        TILE_KM,
        TILE_SIDE_PX,
        VALIDATION_YEARS,
        observable,
        run_store_study,
    )

    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if budget_gb is not None and not budget_gb > 0:
        raise ValueError(f"budget_gb must be > 0, got {budget_gb}")
    study = run_store_study()
    budget = study.default_budget_gb if budget_gb is None else float(budget_gb)
    catalogue = load_global_catalogue()
    events = observable(catalogue.years(catalogue.year.min(), VALIDATION_YEARS[1]))
    layer = layer_from_catalogue(events.epicentres(), study.choice.cell_deg, study.choice.spread_cells,
                                 land=land_fraction(study.choice.cell_deg))
    plan = plan_store(layer, budget * 1e9, STORE_FORMAT, TILE_SIDE_PX, TILE_KM)
    return OnboardStore(layer, plan, STORE_FORMAT, budget, TILE_KM, TILE_SIDE_PX, direction)


def _direction_mask(lat_centre: np.ndarray, direction: str) -> np.ndarray:
    """Track samples flying ``direction`` (latitude falling for descending)."""
    step = np.gradient(lat_centre) if lat_centre.size > 1 else np.zeros_like(lat_centre)
    return step < 0 if direction == "descending" else step > 0


def stored_points(track: Any, swath: Swath, store: OnboardStore, samples: int = 16
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The swath's points (``samples`` across it at every track sample), whether each lies over
    a stored cell on a pass of the store's direction inside the plan's latitudes, and which
    track samples fly that direction: (lat, lon, held, direction), the first three of shape
    (track samples, ``samples``)."""
    lat, lon, inside = swath_points(track, swath, samples=samples)
    held = store.holds(lat.ravel(), lon.ravel()).reshape(lat.shape)
    direction = _direction_mask(lat[:, samples // 2], store.direction)
    return lat, lon, held & (inside & direction)[:, None], direction


def store_figures(store: OnboardStore, track: Any, swath: Swath, quakes: list[Any], period_s: float,
                  repeat_days: int, joules_per_tile: float) -> dict[str, Any]:
    """The store's figures for one mission window (``quakes``: objects with ``index``,
    ``latitude``, ``longitude``)."""
    window_s = float(track.times[-1] - track.times[0]) + track.step_s
    days = window_s / 86400.0
    checked = store.plan.tiles * days / repeat_days  # each tile on its own relative orbit's pass
    orbits = window_s / period_s
    _, _, held, direction = stored_points(track, swath, store)
    share = held.mean(axis=1)
    tile_bytes = store.store_format.tile_bytes(store.side_px)
    inside = store.holds(np.array([q.latitude for q in quakes]), np.array([q.longitude for q in quakes])) \
        if quakes else np.zeros(0, dtype=bool)
    return {
        "budget_gb": store.budget_gb, "format": store.store_format.label(), "direction": store.direction,
        "cell_deg": store.layer.cell_deg, "tiles": store.plan.tiles, "bytes": store.plan.tiles * tile_bytes,
        "tiles_checked": round(checked, 1), "tiles_checked_per_orbit": round(checked / orbits, 1) if orbits else None,
        "tiles_checked_per_day": round(checked / days, 1),
        "refresh_bytes_per_day": round(store.store_format.refresh_bytes_per_day(store.plan.tiles, store.side_px,
                                                                                repeat_days)),
        "joules_per_day": round(checked / days * joules_per_tile, 1),
        "swath_share_over_store": round(float(share.sum() / max(1, int(direction.sum()))), 4),
        "quakes_in_store": [q.index for q, held in zip(quakes, inside, strict=True) if held],
    }
