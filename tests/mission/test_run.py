"""The whole mission on hand-built scenarios whose outcome is known in advance, both modes;
the real flight runtimes (Python and, when built, the C++ runner) on a short scenario."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("skyfield")

from quakesat.errors import ConfigError  # noqa: E402
from quakesat.ground.decode import iter_stream  # noqa: E402
from quakesat.mission import run as mission_run  # noqa: E402
from quakesat.mission.contacts import contacts  # noqa: E402
from quakesat.mission.onboard import RUNNER, ModelInfo  # noqa: E402
from quakesat.mission.orbit import design_sun_synchronous, ground_track, satellite_from_design  # noqa: E402
from quakesat.mission.record import read_mission_record  # noqa: E402
from quakesat.mission.scenario import (  # noqa: E402
    CatalogueSpec,
    EventSpec,
    OnboardSpec,
    Scenario,
    TilesSpec,
)
from quakesat.mission.swath import Swath, swath_points  # noqa: E402
from quakesat.mission.tiles import EVENT  # noqa: E402
from quakesat.runtime.message import TileReport  # noqa: E402

TINY = Path(__file__).resolve().parents[1] / "vectors" / "tiny_model"
START = "2026-03-01T00:00:00Z"
#: 1.4e7 instructions on the Cortex-A53 board (0.8 IPC x 1.4 GHz): 12.5 ms per tile, so four
#: cores keep up with the swath's ~65 tiles a second and a tile waits only its own processing.
INSTRUCTIONS = 1.4e7
DELAY_S = 0.0125


class OracleProcessor:
    """Flags exactly the event tiles (the mission's timing under test, not a model)."""

    def __init__(self, raw_side: int = 512) -> None:
        self.info = ModelInfo("oracle", "oracle", 0xBEEF, raw_side, "python")

    def run(self, tiles):
        for simulated in tiles:
            plan = simulated.plan
            event = plan.kind == EVENT
            yield simulated, TileReport(seq=0, tile_id=plan.tile_id, time=plan.time, lat=plan.lat, lon=plan.lon,
                                        magnitude=6.5 if event else 0.0, confidence=1.0 if event else 0.0,
                                        model_id=0xBEEF, event=event)


@pytest.fixture(scope="module")
def geometry():
    from skyfield.api import load

    scenario = Scenario(start=START)
    timescale = load.timescale(builtin=True)
    design = design_sun_synchronous(scenario.start_unix, 12, 175, 18.0, 0.0001, 90.0, timescale)
    satellite = satellite_from_design(design, scenario.start_unix, timescale)
    track = ground_track(satellite, timescale, scenario.start_unix, 10 * 3600, 10.0)
    windows, _ = contacts(satellite, timescale, list(scenario.stations), scenario.start_unix,
                          scenario.start_unix + 10 * 3600)
    return track, windows


def _on_swath(track, hours: float) -> tuple[float, float, float]:
    """(time, lat, lon) of the swath's centre line at the first recorded sample after ``hours``."""
    lat, lon, inside = swath_points(track, Swath(), samples=9)
    k = int(np.nonzero(inside & (track.times >= track.times[0] + hours * 3600))[0][0])
    return float(track.times[k]), float(lat[k, 4]), float(lon[k, 4])


def _iso(unix: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expected_alert(look: float, windows, overhead: float, slot: float) -> float:
    ready = look + DELAY_S
    contact = next(c for c in windows if c.end - slot > max(ready, c.start + overhead))
    return max(ready, contact.start + overhead) + slot


@pytest.fixture(scope="module")
def oracle_run(geometry, tmp_path_factory):
    track, windows = geometry
    look_a, lat_a, lon_a = _on_swath(track, 4.0)
    look_b, lat_b, lon_b = _on_swath(track, 8.0)
    events = (EventSpec("A", _iso(look_a - 5 * 3600), round(lat_a, 4), round(lon_a, 4), 10.0, 7.0),
              EventSpec("B", _iso(look_b - 600), round(lat_b, 4), round(lon_b, 4), 10.0, 7.0))
    scenario = Scenario(start=START, duration_hours=10.0, seed=3,
                        onboard=OnboardSpec(artifacts="oracle", instructions_per_tile=INSTRUCTIONS, health_every=0),
                        catalogue=CatalogueSpec(source="list", events=events),
                        tiles=TilesSpec(event_grid=1, background_sample=0, workers=1))
    original = mission_run.open_processor
    mission_run.open_processor = lambda *args: OracleProcessor()
    try:
        out = tmp_path_factory.mktemp("oracle")
        result = mission_run.run_mission(scenario, out, say=lambda line: None)
    finally:
        mission_run.open_processor = original
    return result, scenario, out, (look_a, look_b), windows


def test_the_alert_arrives_when_the_geometry_says(oracle_run) -> None:
    result, scenario, _, (look_a, look_b), windows = oracle_run
    slot = 32 * 8 / scenario.downlink.rate_bps
    survey = {e["name"]: e for e in result["modes"]["survey"]["per_event"]}
    for name, look in (("A", look_a), ("B", look_b)):
        origin = result["catalogue"][0 if name == "A" else 1]["origin"]
        expected = _expected_alert(look, windows, scenario.downlink.overhead_s, slot)
        assert survey[name]["outcome"] == "alerted"
        assert survey[name]["to_acquisition_h"] * 3600 == pytest.approx(look - origin, abs=5.0)
        assert survey[name]["to_alert_h"] * 3600 == pytest.approx(expected - origin, abs=5.0)
    assert result["modes"]["survey"]["false_alerts"]["delivered"] == 0


def test_cued_mode_needs_the_cue_on_board_before_the_look(oracle_run) -> None:
    result, scenario, _, _, windows = oracle_run
    cued = {e["name"]: e for e in result["modes"]["cued"]["per_event"]}
    survey = {e["name"]: e for e in result["modes"]["survey"]["per_event"]}
    # A: notified 5 h before the look, several contacts in between: the same alert as the survey.
    assert cued["A"]["outcome"] == "alerted"
    assert cued["A"]["to_alert_h"] == pytest.approx(survey["A"]["to_alert_h"], abs=0.01)
    origin_a = result["catalogue"][0]["origin"]
    posted = origin_a + scenario.cue.agency_latency_s
    first = next(c for c in windows if c.end - scenario.downlink.overhead_s > posted)
    assert cued["A"]["cue_uplinked"] == pytest.approx(max(first.start, posted) + scenario.downlink.overhead_s)
    # B: the look comes 10 minutes after the origin, before any cue can be uplinked.
    assert cued["B"]["outcome"] == "imaged only before the cue reached the satellite"
    # Cued processes a small area; survey the whole recording.
    assert result["modes"]["cued"]["tiles"]["processed"] < result["modes"]["survey"]["tiles"]["processed"] / 50


def test_the_report_files_and_the_stream_the_ground_decodes(oracle_run) -> None:
    result, _, out, _, _ = oracle_run
    for name in ("mission.json", "mission.md", "survey_downlink.bin", "cued_downlink.bin"):
        assert (out / name).is_file(), name
    for name in ("mission_map.png", "mission_timeline.png", "mission_time_to_alert.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stored = json.loads((out / "mission.json").read_text(encoding="utf-8"))
    assert stored["modes"]["survey"]["time_to_alert"] == result["modes"]["survey"]["time_to_alert"]
    record = read_mission_record(out / "mission.json")  # written through its typed record, read back by its reader
    assert stored["format"] == "quakesat-mission" and record.modes == stored["modes"]
    assert record.window.start == result["window"]["start"] and record.files["json"] == str(out / "mission.json")
    stream = (out / "survey_downlink.bin").read_bytes()
    messages = [m for _, m in iter_stream(stream)]
    assert len(messages) == result["modes"]["survey"]["downlink"]["messages"] == 2
    assert all(isinstance(m, TileReport) and m.event for m in messages)
    text = (out / "mission.md").read_text(encoding="utf-8")
    assert "origin → alert on the ground" in text and "USGS" in text
    assert "COMET LiCSAR" in text and "IREA-CNR" in text and "### cued: the chain" in text
    assert "Goal: acquisition → alert median at most 30 min" in text
    assert result["goal"]["modes"]["survey"]["met"] is True  # the oracle's alerts leave at the next contact


def test_the_same_scenario_gives_the_same_bytes(oracle_run, tmp_path) -> None:
    result, scenario, out, _, _ = oracle_run
    original = mission_run.open_processor
    mission_run.open_processor = lambda *args: OracleProcessor()
    try:
        again = mission_run.run_mission(scenario, tmp_path, say=lambda line: None)
    finally:
        mission_run.open_processor = original
    assert (tmp_path / "survey_downlink.bin").read_bytes() == (out / "survey_downlink.bin").read_bytes()
    assert again["modes"] == result["modes"]


def test_a_second_satellite_leaves_the_first_ones_flight_as_it_was(oracle_run, tmp_path) -> None:
    """Two satellites: A's own flight is the one-satellite run, byte for byte; the pair's figures
    take the first alert of either; mission.json and mission.md carry both."""
    result, scenario, out, _, _ = oracle_run
    pair_scenario = dataclasses.replace(scenario, satellite=dataclasses.replace(scenario.satellite, count=2))
    original = mission_run.open_processor
    mission_run.open_processor = lambda *args: OracleProcessor()
    try:
        pair = mission_run.run_mission(pair_scenario, tmp_path, say=lambda line: None)
    finally:
        mission_run.open_processor = original
    assert pair["satellites"]["A"]["modes"] == result["modes"]
    assert pair["satellites"]["B"]["phase_deg"] == 180.0 and pair["constellation"]["count"] == 2
    assert result["constellation"] == {"count": 1, "satellites": ["A"], "phase_deg": [0.0]}
    for mode in ("survey", "cued"):
        one, two = result["modes"][mode], pair["modes"][mode]
        for alone, merged in zip(one["per_event"], two["per_event"]):
            if "to_alert_h" in alone:  # the pair's alert is never later than A's own
                assert merged["to_alert_h"] <= alone["to_alert_h"]
        b = pair["satellites"]["B"]["modes"][mode]
        assert two["downlink"]["bytes"] == one["downlink"]["bytes"] + b["downlink"]["bytes"]
        assert len((tmp_path / f"{mode}_downlink.bin").read_bytes()) == two["downlink"]["bytes"]
        assert set(pair["constellation"]["what_it_buys"][mode]) >= {"time_to_acquisition", "time_to_alert"}
    assert read_mission_record(tmp_path / "mission.json").to_dict()["satellites"]["B"]["contacts"] > 0
    text = (tmp_path / "mission.md").read_text(encoding="utf-8")
    assert "## Two satellites" in text and "What the second satellite buys" in text


def _short_scenario(runtime: str) -> Scenario:
    """Three hours over a narrow swath (64-pixel tiles are 0.64 km: a full IW swath would be
    millions of tiles), the historical sample, the real tiny model."""
    return Scenario(start=START, duration_hours=3.0, seed=1, instrument=Swath(swath_km=20.0, minutes_per_orbit=2.0),
                    onboard=OnboardSpec(runtime=runtime, artifacts=str(TINY), health_every=500, queue_capacity=64),
                    tiles=TilesSpec(event_grid=2, background_sample=16, workers=1))


def test_the_real_python_runtime_flies_a_short_mission(tmp_path) -> None:
    result = mission_run.run_mission(_short_scenario("python"), tmp_path, say=lambda line: None)
    survey = result["modes"]["survey"]
    assert result["model"]["runtime"] == "python" and result["simulated_tiles"] >= 16
    # Whatever the (random-weight) tiny model says, the books balance.
    queue, downlink = survey["queue"], survey["downlink"]
    assert queue["messages_offered"] == (downlink["messages"] + queue["dropped"] + queue["left_on_board"]
                                         + queue["health_reports_superseded"])
    # Every drop reaches the ground in a delivered health report, or is still on board in one.
    if not queue["left_on_board"]:
        assert downlink["drops_reported_in_delivered_health"] <= queue["dropped"]
    assert downlink["decode_errors"] == 0
    assert survey["tiles"]["processed"] == survey["tiles"]["run_through_runtime"] + survey["tiles"]["drawn_from_sample"]
    if queue["dropped"]:
        assert queue["health_reports"] > 0


@pytest.mark.skipif(not RUNNER.is_file(), reason="the C++ runner is not built (bash scripts/build_native.sh)")
def test_the_cpp_runner_flies_the_same_mission_to_the_same_bytes(tmp_path) -> None:
    pytest.importorskip("quakesat.export.executorch_backend")  # the Python runtime's .pte backend (torch)
    python = mission_run.run_mission(_short_scenario("python"), tmp_path / "py", say=lambda line: None)
    cpp_scenario = dataclasses.replace(_short_scenario("cpp"), onboard=dataclasses.replace(
        _short_scenario("cpp").onboard, artifact=python["model"]["artifact"].replace("onnx", "pte")))
    python_pte = dataclasses.replace(cpp_scenario, onboard=dataclasses.replace(cpp_scenario.onboard, runtime="python"))
    a = mission_run.run_mission(python_pte, tmp_path / "py-pte", say=lambda line: None)
    b = mission_run.run_mission(cpp_scenario, tmp_path / "cpp", say=lambda line: None)
    assert b["model"]["runtime"] == "cpp"
    assert (tmp_path / "cpp" / "survey_downlink.bin").read_bytes() == \
        (tmp_path / "py-pte" / "survey_downlink.bin").read_bytes()
    assert a["modes"]["survey"]["false_alerts"] == b["modes"]["survey"]["false_alerts"]


def test_a_bench_without_instruction_counts_falls_back_to_the_documented_figure(tmp_path) -> None:
    """A bench run where qemu was missing writes a reason where the count goes; the mission must
    not read it as a number (it stopped the demo on a machine without the aarch64 build)."""
    from dataclasses import replace

    from quakesat.mission.run import DEFAULT_INSTRUCTIONS_PER_TILE, _instructions
    from quakesat.mission.scenario import Scenario

    bench = tmp_path / "bench.json"
    tag = {"format": "quakesat-bench", "version": 1, "artifacts": "artifacts/quakelite", "tiles": "tiles.jsonl"}
    bench.write_text(json.dumps(tag | {"rows": [
        {"artifact": "pte-int8", "runtime": "cpp",
         "instructions_per_tile": {"cortex-a53": "unavailable: qemu-aarch64 not installed"}},
        {"artifact": "pte-fp32", "runtime": "cpp", "instructions_per_tile": {"cortex-a53": True}}]}))
    scenario = Scenario()
    scenario = replace(scenario, onboard=replace(scenario.onboard, bench_json=str(bench), instructions_per_tile=0))
    count, basis = _instructions(scenario, "pte-int8", 512)
    assert count == DEFAULT_INSTRUCTIONS_PER_TILE and "docs/benchmarks.md" in basis
    bench.write_text(json.dumps(tag | {"rows": [{"artifact": "pte-int8", "runtime": "cpp",
                                                 "instructions_per_tile": {"cortex-a53": 1.5e8}}]}))
    assert _instructions(scenario, "pte-int8", 512) == (1.5e8, f"{bench}: pte-int8 on cortex-a53")
    bench.write_text(json.dumps({"rows": []}))  # not a bench.json: one line that says so
    with pytest.raises(ConfigError, match="onboard.bench_json: .*not a quakesat bench result"):
        _instructions(scenario, "pte-int8", 512)
