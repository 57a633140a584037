"""``quakesat demo`` end to end on a tiny file, and ``quakesat data difficulty --json``.

The demo runs once per module (6 events, 64 px tiles); each test checks one of its outputs
against the file it simulated. The whole chain takes minutes on 2 cores, so it is marked
``slow``: ``bash scripts/test.sh --all`` (and CI) runs it, the fast command leaves it out
(each stage it chains has its own tests there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from quakesat.cli import main
from quakesat.data.quakeset import QuakeSetFile, Task
from quakesat.errors import DecodeError
from quakesat.ground.decode import iter_stream, to_json_dict
from quakesat.runtime.manifest import load_manifest
from quakesat.runtime.message import MESSAGE_LENGTH, HealthReport, TileReport

EVENTS = 6
SIZE = 64
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OUTPUTS = ("earthquakes.h5", "data_info.json", "sample.png", "messages.bin", "messages.jsonl", "baseline_messages.bin",
           "baseline_messages.jsonl", "artifacts/quakelite/manifest.json", "artifacts/quakelite/fidelity.md",
           "artifacts/random-forest-nopca/manifest.json", "mission/mission.json", "mission/mission.md",
           "mission/survey_downlink.bin", "demo_report.json", "insar_messages.bin", "insar_messages.jsonl",
           "artifacts/quakelite-insar/manifest.json", "insar_tile_list/tiles.jsonl", "insar_bench/bench.json")
DIFFICULTY_KEYS = {"file", "samples", "hard_negatives", "baselines", "magnitude", "signal", "seconds"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the demo through the CLI once; return its output folder."""
    out = tmp_path_factory.mktemp("demo") / "out"  # not yet there: the demo creates it
    assert main(["demo", "--out", str(out), "--events", str(EVENTS), "--size", str(SIZE)]) == 0
    return out


@pytest.fixture(scope="module")
def test_refs(demo: Path) -> list:
    with QuakeSetFile(demo / "earthquakes.h5") as qs:
        return qs.samples(Task.BITEMPORAL_DETECTION, "test")


def _report(demo: Path) -> dict[str, Any]:
    return json.loads((demo / "demo_report.json").read_text())


def test_writes_every_output(demo: Path) -> None:
    for name in OUTPUTS:
        assert (demo / name).is_file(), name


def test_simulated_file_has_the_requested_events_and_size(demo: Path) -> None:
    with QuakeSetFile(demo / "earthquakes.h5") as qs:
        assert len(qs.events) == EVENTS
        info = qs.events[0]
        assert qs.image_shape(info.event_id, info.patches[0]) == (SIZE, SIZE, 2)


def test_data_info(demo: Path) -> None:
    info = json.loads((demo / "data_info.json").read_text())
    assert info["events"] == EVENTS


def test_sample_png(demo: Path) -> None:
    data = (demo / "sample.png").read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > len(PNG_SIGNATURE)


def tile_reports(demo: Path) -> list[TileReport]:
    """The model's tile reports in tile order (the stream is in downlink priority order)."""
    items = [item for _, item in iter_stream((demo / "messages.bin").read_bytes())]
    return sorted((m for m in items if isinstance(m, TileReport)), key=lambda m: m.tile_id)


def test_one_message_per_test_pair_and_a_health_report(demo: Path, test_refs: list) -> None:
    data = (demo / "messages.bin").read_bytes()
    assert test_refs, "the demo file has no task-1 test samples; pick another seed/size"
    assert len(data) % MESSAGE_LENGTH == 0
    items = [item for _, item in iter_stream(data)]
    assert len(tile_reports(demo)) == len(test_refs)
    health = [m for m in items if isinstance(m, HealthReport)]
    assert len(health) == 1 and health[0].tiles_processed == len(test_refs) and health[0].dropped == 0


def test_messages_decode_without_error(demo: Path, test_refs: list) -> None:
    items = [item for _, item in iter_stream((demo / "messages.bin").read_bytes())]
    assert [item for item in items if isinstance(item, DecodeError)] == []
    decoded = tile_reports(demo)
    assert sorted(m.seq for m in items) == list(range(len(items)))
    assert [m.tile_id for m in decoded] == list(range(len(test_refs)))
    used = load_manifest(demo / "artifacts" / "quakelite").artifact(_report(demo)["messages"]["artifact"])
    assert used.passed_gate
    assert all(m.model_id == used.model_id for m in decoded)
    # The magnitude head is conditional: a magnitude only where the event flag is set.
    assert all(m.magnitude == 0.0 for m in decoded if not m.event)
    # The log-ratio rule flew through the same runtime: same tiles, its own model id, no magnitude.
    rule = load_manifest(demo / "artifacts" / "log-ratio").artifact("rule")
    baseline = [m for _, m in iter_stream((demo / "baseline_messages.bin").read_bytes()) if isinstance(m, TileReport)]
    assert sorted(m.tile_id for m in baseline) == [m.tile_id for m in decoded]
    assert all(m.model_id == rule.model_id and m.magnitude == 0.0 for m in baseline)
    assert [m.status for m in sorted(baseline, key=lambda m: m.tile_id)] == [m.status for m in decoded]


def test_jsonl_is_the_decoded_stream(demo: Path) -> None:
    lines = (demo / "messages.jsonl").read_text().splitlines()
    objects = [json.loads(line) for line in lines]
    stream = [to_json_dict(item) for _, item in iter_stream((demo / "messages.bin").read_bytes())]
    assert objects == stream
    assert len(objects) == len((demo / "messages.bin").read_bytes()) // MESSAGE_LENGTH
    for obj in objects:
        assert obj["model_id"] == _report(demo)["messages"]["model_id"][2:]
        if obj["kind"] == "tile_report":
            assert 0.0 <= obj["confidence"] <= 1.0


def test_report_agrees_with_the_outputs(demo: Path, test_refs: list) -> None:
    report = _report(demo)
    objects = [json.loads(line) for line in (demo / "messages.jsonl").read_text().splitlines()]
    messages = report["messages"]
    assert messages["messages"] == len(objects) and messages["tile_reports"] == len(test_refs)
    assert messages["bytes"] == (demo / "messages.bin").stat().st_size
    assert messages["events_flagged"] == sum(obj.get("event", False) for obj in objects)
    # Tile ids follow the reader's test order, so the accuracy can be recomputed from labels.
    correct = sum(m.event == bool(ref.label) for m, ref in zip(tile_reports(demo), test_refs))
    assert messages["accuracy"] == round(correct / len(test_refs), 4)
    evaluation = messages["evaluation"]
    assert evaluation["shortcut"]["identical_negatives"]["n"] == evaluation["gate"]["identical_skipped"]
    assert messages["profile"]["tiles"] == len(test_refs) and messages["profile"]["tiles_per_s"] > 0
    assert set(report["export"]) == {"quakelite-insar", "quakelite", "random-forest-nopca", "log-ratio"}
    assert report["baseline_messages"]["tile_reports"] == len(test_refs)
    assert report["data_info"]["events"] == EVENTS
    assert DIFFICULTY_KEYS <= set(report["difficulty"])
    assert report["simulate"]["events"] == EVENTS
    # The network is read at the onboard operating point, beside the baselines.
    onboard = report["models"]["quakelite"]["onboard"]
    assert onboard["thresholds_from"] == "validation"
    assert {p["rate"] for p in onboard["operating_points"]["points"]} == {0.01, 0.001}
    assert onboard["magnitude_skill"]["constant_mae_events"] > 0


def test_data_difficulty_json(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()  # drop anything captured earlier
    path = demo / "earthquakes.h5"
    assert main(["data", "difficulty", str(path), "--json"]) == 0
    out, _ = capsys.readouterr()
    report = json.loads(out)  # the whole of stdout is one JSON object
    assert isinstance(report, dict)
    assert DIFFICULTY_KEYS <= set(report)
    assert report["file"] == str(path)
    # Same file, same seeds: the CLI agrees with what the demo measured.
    in_demo = _report(demo)["difficulty"]
    for key in DIFFICULTY_KEYS - {"seconds"}:
        assert report[key] == in_demo[key], key


def test_message_status_is_the_input_check_of_each_tile(demo: Path, test_refs: list) -> None:
    """Model messages carry the input check's status; a bad tile never carries an event."""
    from quakesat.runtime.status import StatusCategory
    from quakesat.runtime.tile import check_pair

    decoded = tile_reports(demo)
    with QuakeSetFile(demo / "earthquakes.h5") as qs:
        expected = [check_pair(*qs.read(ref), SIZE).status for ref in test_refs]
    assert [m.status for m in decoded] == expected
    for message in decoded:
        if message.status.category not in (StatusCategory.OK, StatusCategory.DEGRADED):
            assert not message.event and message.magnitude == 0.0


def test_the_cpp_runner_writes_the_python_runtimes_bytes(demo: Path, test_refs: list) -> None:
    """Where the runner is built and ExecuTorch installed (as in CI), the demo compares them."""
    cpp = _report(demo)["cpp_runner"]
    if "skipped" in cpp:
        pytest.skip(cpp["skipped"])
    assert cpp["byte_identical"] and cpp["tiles"] == len(test_refs)
    assert cpp["messages"] == cpp["identical_messages"] > len(test_refs)  # every tile and the health reports
    assert (demo / "cpp_messages.bin").stat().st_size == 32 * cpp["messages"]


def test_the_flagship_flies_the_same_track_pairs_in_both_runtimes(demo: Path) -> None:
    """The interferometric QuakeLite: exported with a same-track manifest, one message per test
    pair that has a same-track pair, byte-identical in the C++ runner where it is built."""
    report = _report(demo)
    manifest = load_manifest(demo / "artifacts" / "quakelite-insar")
    assert manifest.input.kind == "same_track" and manifest.gate.statistic == "none"
    with QuakeSetFile(demo / "earthquakes.h5") as qs:
        pairs = [ref for ref in qs.samples(Task.BITEMPORAL_DETECTION, "test") if qs.same_track_shape(ref)]
    flown = report["insar_messages"]
    assert flown["tile_kind"] == "same_track" and flown["tile_reports"] == len(pairs) > 0
    reports = [m for _, m in iter_stream((demo / "insar_messages.bin").read_bytes()) if isinstance(m, TileReport)]
    assert len(reports) == len(pairs) and all(m.status.code_name != "wrong_kind" for m in reports)
    verdict = report["insar_verdict"]
    assert verdict["says"] and verdict["quakelite_insar_recall_at_1pct"] is not None
    assert verdict["oracle_recall_at_1pct"] is not None  # the identical negatives do not hide the rules
    cpp = report["insar_cpp_runner"]
    if "skipped" in cpp:
        pytest.skip(cpp["skipped"])
    assert cpp["byte_identical"] and cpp["tiles"] == len(pairs) and cpp["tile_kind"] == "same_track"
    bench = json.loads(Path(report["insar_bench"]["json"]).read_text())
    assert bench["tile_kind"] == "same_track" and bench["preprocess_version"] == 3
    assert any(row["runtime"] == "python" and row.get("latency") for row in bench["rows"])


def test_the_report_says_whether_the_network_beats_the_log_ratio_rule_at_its_operating_point(demo: Path) -> None:
    report = _report(demo)
    verdict = report["verdict"]
    assert verdict["beats_log_ratio"] in (True, False, None) and verdict["says"]
    if verdict["beats_log_ratio"] is False:
        assert "does not beat the log-ratio rule" in verdict["says"]
    decision = report["export"]["quakelite"]["decision"]
    manifest = load_manifest(demo / "artifacts" / "quakelite")
    assert decision["event_threshold"] == manifest.decision.event_threshold
    assert decision["operating_point"]["target_false_alarm_rate"] == 0.01
    assert report["messages"]["operating_point"]["changed_negatives"] >= 0
    for name, artifact in report["export"]["quakelite"]["artifacts"].items():
        assert artifact["tiles"] >= 200, name  # the gate judged on at least 200 held-out tiles


def test_the_report_carries_a_short_bench_of_every_artifact(demo: Path) -> None:
    bench = _report(demo)["bench"]
    result = json.loads(Path(bench["json"]).read_text())
    manifest = load_manifest(demo / "artifacts" / "quakelite")
    runtimes = {(row["artifact"], row["runtime"]) for row in result["rows"]}
    for artifact in manifest.artifacts:
        if artifact.format in ("onnx", "tflite"):
            assert (artifact.name, "python") in runtimes, artifact.name
    assert result["seed_equivalent"]["latency"]["p50_ms"] > 0  # the ratios' denominator, measured in this run
    for label, row in bench["rows"].items():
        assert row["p50_ms"] > 0 and row["speedup_vs_seed"] > 0, label
        assert label.split(" (")[0] in bench["table"]


def test_the_mission_stage_reports_time_to_alert_in_both_modes(demo: Path) -> None:
    mission = _report(demo)["mission"]
    assert set(mission["modes"]) == {"survey", "cued"}
    for mode in mission["modes"].values():
        assert mode["events"] == 16 and sum(mode["outcomes"].values()) == 16
        assert set(mode["time_to_alert_h"]) == {"n", "median_h", "p90_h"}
        assert mode["time_to_alert_h"]["n"] == mode["outcomes"].get("alerted", 0)
    stream = (demo / "mission" / "survey_downlink.bin").read_bytes()
    assert len(stream) == mission["modes"]["survey"]["bytes_downlinked"]
    assert not any(isinstance(m, DecodeError) for _, m in iter_stream(stream))


def test_the_readme_figures_render_from_its_summary(demo: Path, tmp_path: Path) -> None:
    """`python -m quakesat.readme_figures demo OUT` writes the README's two demo blocks from
    this run: one duration, both benches, both mission modes."""
    from quakesat.readme_figures import update_demo

    readme = tmp_path / "README.md"
    readme.write_text("<!-- generated:demo begin -->\n<!-- generated:demo end -->\n"
                      "<!-- generated:demo-mission begin -->\n<!-- generated:demo-mission end -->\n")
    assert update_demo(demo, readme, tmp_path / "figures.json") == ["demo", "demo-mission"]
    text = readme.read_text()
    seconds = _report(demo)["seconds"]
    assert f"The demo took {seconds:.0f} s" in text
    assert "same-track pairs" in text and "amplitude pairs" in text and "| | survey | cued |" in text
