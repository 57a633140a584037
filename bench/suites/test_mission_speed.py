"""How long the mission simulation takes: the geometry of a day, the downlink of a day of
messages, and the whole default one-day scenario (target: under a minute on 2 cores,
issue "Mission simulation"), with an oracle in place of the network so that the figure is
the mission's own cost plus the tile simulation, not a model's.

Run: ``pytest bench/suites/test_mission_speed.py --benchmark-only``.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skyfield")
pytest.importorskip("pytest_benchmark")

from quakesat.mission import run as mission_run  # noqa: E402
from quakesat.mission.contacts import Contact  # noqa: E402
from quakesat.mission.downlink import run_downlink  # noqa: E402
from quakesat.mission.onboard import Arrival, ModelInfo  # noqa: E402
from quakesat.mission.orbit import design_sun_synchronous, ground_track, satellite_from_design  # noqa: E402
from quakesat.mission.scenario import DownlinkSpec, OnboardSpec, Scenario  # noqa: E402
from quakesat.mission.tiles import EVENT  # noqa: E402
from quakesat.runtime.message import TileReport  # noqa: E402

#: The issue's budget for the default one-day scenario.
ONE_DAY_BUDGET_S = 60.0


class _Oracle:
    def __init__(self) -> None:
        self.info = ModelInfo("oracle", "oracle", 1, 512, "python")

    def run(self, tiles):
        for s in tiles:
            event = s.plan.kind == EVENT or s.plan.tile_id % 10 == 0  # a 10 % false-alert rate
            yield s, TileReport(seq=0, tile_id=s.plan.tile_id, time=s.plan.time, lat=s.plan.lat, lon=s.plan.lon,
                                magnitude=6.0 if event else 0.0, confidence=1.0 if event else 0.0, model_id=1,
                                event=event)


def test_a_day_of_ground_track(benchmark) -> None:
    from skyfield.api import load

    timescale = load.timescale(builtin=True)
    start = Scenario().start_unix
    satellite = satellite_from_design(design_sun_synchronous(start, timescale=timescale), start, timescale)
    track = benchmark(ground_track, satellite, timescale, start, 86_400.0, 10.0)
    assert len(track.times) > 8000


def test_a_day_of_downlink(benchmark) -> None:
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0.0, 86_400.0, 100_000))
    arrivals = [Arrival(float(t), TileReport(seq=0, tile_id=k, time=int(t), lat=0.0, lon=0.0,
                                             magnitude=float(rng.uniform(4, 7)), confidence=0.5, model_id=1,
                                             event=True), k) for k, t in enumerate(times)]
    windows = [Contact(k * 5924.0, k * 5924.0 + 540.0, ("S",), 40.0) for k in range(15)]
    delivery = benchmark(run_downlink, arrivals, windows, DownlinkSpec(), 1024, 1, 86_400.0)
    assert delivery.dropped > 0 and len(delivery.stream) > 0


def test_the_default_one_day_scenario(benchmark, tmp_path) -> None:
    scenario = Scenario(onboard=OnboardSpec(artifacts="oracle"))
    original = mission_run.open_processor
    mission_run.open_processor = lambda *args: _Oracle()
    try:
        result = benchmark.pedantic(mission_run.run_mission, args=(scenario, tmp_path), kwargs={"say": lambda _: None},
                                    rounds=1, iterations=1)
    finally:
        mission_run.open_processor = original
    assert result["modes"]["survey"]["tiles"]["processed"] > 1_000_000
    assert benchmark.stats.stats.max < ONE_DAY_BUDGET_S
