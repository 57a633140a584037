"""quakesat run / evaluate --artifacts on a simulated file: the messages' decisions equal the
artifact's batch evaluation, the identical-pair shortcut is reported apart, the gate and
location are scored against the simulator's truth, and bad files or models are statuses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("h5py")
pytest.importorskip("onnxruntime")

from quakesat.cli import main
from quakesat.data.quakeset import QuakeSetFile, location_truth  # noqa: E402
from quakesat.evaluation.evaluate import evaluate_artifacts  # noqa: E402
from quakesat.export.onboard_calibration import calibrate_onboard  # noqa: E402
from quakesat.ground.decode import iter_stream
from quakesat.runtime.manifest import load_manifest  # noqa: E402
from quakesat.runtime.message import HealthReport, TileReport  # noqa: E402
from quakesat.runtime.model import ExportedModel  # noqa: E402
from quakesat.runtime.status import Status  # noqa: E402
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

TINY = Path(__file__).resolve().parent / "vectors" / "tiny_model"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "quakes.h5"
    config = SimulationConfig(events=14, seed=21, size=64, identical_negative_share=0.7, before_share=0.8)
    simulate_file(path, config, progress=False, workers=1)
    return path


def messages(path: Path) -> tuple[list[TileReport], list[HealthReport]]:
    items = [item for _, item in iter_stream(path.read_bytes())]
    return ([m for m in items if isinstance(m, TileReport)], [m for m in items if isinstance(m, HealthReport)])


def run(*args: str) -> int:
    return main(["run", "--artifacts", str(TINY), *args])


def _batch_reference(data: Path) -> list[tuple[bool, float, bool]]:
    """Per tile (event, magnitude, processable) from the exported model in batches, computed here
    apart from the runtime: input checks, shared preprocessing, model heads, the decision rule."""
    from quakesat.runtime.decision import decide
    from quakesat.runtime.preprocess import preprocess_pair
    from quakesat.runtime.tile import check_pair

    model = ExportedModel.open(TINY)
    manifest = model.manifest
    rows, tiles = [], []
    with QuakeSetFile(data) as qs:
        for ref in qs.samples(1):
            first, second = qs.read(ref)
            ok = check_pair(first, second, manifest.input.raw_side, manifest.preprocess).processable
            rows.append(ok)
            if ok:
                tiles.append(preprocess_pair(first, second, manifest.preprocess))
    decided = decide(model.heads(np.stack(tiles)), manifest.decision)
    flags = iter(zip(decided.event.tolist(), decided.magnitude.tolist()))
    return [(*next(flags), True) if ok else (False, 0.0, False) for ok in rows]


def test_message_decisions_equal_the_artifacts_batch_evaluation(data, tmp_path) -> None:
    out = tmp_path / "messages.bin"
    assert run("--data", str(data), "--split", "all", "--gate", "off", "--out", str(out), "--health-every", "10") == 0
    tiles, health = messages(out)
    reference = _batch_reference(data)
    assert len(tiles) == len(reference) and sorted(t.tile_id for t in tiles) == list(range(len(reference)))
    for message in tiles:
        event, magnitude, processable = reference[message.tile_id]
        assert message.event == event and (message.status.category.value in ("ok", "degraded")) == processable
        assert message.magnitude == pytest.approx(max(magnitude, 0.0), abs=0.005)  # 0.01 mb steps
    # No contact during the run: each health report replaced the waiting one, and the last,
    # at the end of the run, is the one the stream holds.
    assert [h.tiles_processed for h in health] == [len(reference)]
    decoded = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]
    assert len(decoded) == len(tiles) + len(health)
    # evaluate --artifacts scores the same per-tile path (gate off) and agrees tile for tile.
    evaluated = evaluate_artifacts(data, TINY, split=None)
    assert evaluated["per_tile"] == [[e, round(m, 4)] for e, m in ((t.event, t.magnitude) for t in
                                                                   sorted(tiles, key=lambda t: t.tile_id))]


def test_evaluation_separates_the_identical_shortcut_and_scores_gate_and_location(data, tmp_path, capsys) -> None:
    out = tmp_path / "m.bin"
    args = ("--data", str(data), "--split", "all", "--out", str(out), "--evaluate", "--profile", "--gate", "identical")
    capsys.readouterr()
    assert run(*args) == 0
    report = json.loads(out.with_suffix(".report.json").read_text())
    ev = report["evaluation"]
    # the gate and location lines are sentences with the report's numbers, not dicts
    printed = capsys.readouterr().out
    gate_line = next(line for line in printed.splitlines() if line.startswith("The change gate"))
    assert f"skipped {ev['gate']['skipped']:,} tiles" in gate_line and "{" not in gate_line
    assert any(line.startswith("Location:") and "{" not in line for line in printed.splitlines())
    with QuakeSetFile(data) as qs:
        refs = qs.samples(1)
        same = [bool(np.array_equal(*qs.read(r), equal_nan=True)) for r in refs]
        labels = [r.label for r in refs]
        inside = [location_truth(qs.patch_attrs(r.event_id, r.patch)) is not None for r in refs]
    identical = sum(s and label == 0 for s, label in zip(same, labels))
    assert identical > 0 and ev["shortcut"]["identical_negatives"]["n"] == identical
    assert ev["shortcut"]["hard_negatives"]["n"] == labels.count(0) - identical
    assert ev["shortcut"]["hard"]["n"] == len(refs) - identical
    # The identical-only gate skips every identical pair and nothing else (no event is identical).
    assert ev["gate"]["identical_skipped"] == identical and ev["gate"]["events_skipped"] == 0
    assert ev["shortcut"]["identical_negatives"]["false_alarms"] == 0
    tiles, _ = messages(out)
    flagged_inside = sum(1 for m in tiles if m.event and labels[m.tile_id] == 1 and inside[m.tile_id])
    assert ev["location"]["tiles"] == flagged_inside
    profile = report["profile"]
    assert profile["tiles"] == len(refs) and profile["tiles_per_s"] > 0
    assert profile["stages"]["infer"]["runs"] == len(refs) - identical
    assert profile["stages"]["gate"]["runs"] == len(refs)


def test_a_threshold_gate_reports_what_it_skipped_and_what_that_cost(data, tmp_path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(TINY, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["gate"]["threshold"] = manifest["gate"]["calibration"]["threshold_from_events"]  # as if it had 200 events
    (folder / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "g.bin"
    args = ["run", "--artifacts", str(folder), "--data", str(data), "--split", "all", "--out", str(out), "--evaluate"]
    assert main(args) == 0
    report = json.loads(out.with_suffix(".report.json").read_text())
    gate, stages = report["evaluation"]["gate"], report["profile"]["stages"]
    assert gate["mode"] == "manifest" and gate["threshold"] == manifest["gate"]["threshold"] > 0
    tiles, _ = messages(out)
    with QuakeSetFile(data) as qs:
        labels = [r.label for r in qs.samples(1)]
    gated = [t for t in tiles if t.gated]
    assert gate["skipped"] == len(gated) > gate["identical_skipped"]  # the threshold skips more than identical pairs
    assert gate["events_skipped"] == sum(labels[t.tile_id] for t in gated)
    assert not any(t.event for t in gated) and stages["infer"]["runs"] == len(tiles) - len(gated)
    assert gate["net_seconds_saved"] == pytest.approx(gate["seconds_saved"] - gate["gate_seconds"], abs=2e-4)


def test_centre_location_reports_exactly_the_tile_centre_error(data, tmp_path) -> None:
    out = tmp_path / "c.bin"
    assert run("--data", str(data), "--split", "all", "--out", str(out), "--evaluate", "--locate", "centre") == 0
    location = json.loads(out.with_suffix(".report.json").read_text())["evaluation"]["location"]
    if location["tiles"]:
        assert location["reported_m"]["median"] == pytest.approx(location["tile_centre_m"]["median"], abs=0.5)
        assert set(location["methods"]) == {"centre"}


def test_a_npy_pair_gives_one_message_and_a_broken_file_is_unreadable_not_a_crash(data, tmp_path) -> None:
    with QuakeSetFile(data) as qs:
        pre, post = qs.read(qs.samples(1)[0])
    np.save(tmp_path / "pre.npy", pre)
    np.save(tmp_path / "post.npy", post)
    out = tmp_path / "one.bin"
    common = ["--lat", "12.5", "--lon", "-70.25", "--time", "1700000000", "--tile-id", "99", "--out", str(out)]
    assert run("--pre", str(tmp_path / "pre.npy"), "--post", str(tmp_path / "post.npy"), *common) == 0
    (tile,), _ = messages(out)
    assert tile.tile_id == 99 and tile.time == 1_700_000_000 and tile.status in (Status.OK, Status.PARTIAL_NODATA)
    (tmp_path / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    # the one tile asked for cannot be read: the run is refused, the earlier stream kept ...
    before = out.read_bytes()
    assert run("--pre", str(tmp_path / "broken.npy"), "--post", str(tmp_path / "post.npy"), *common) == 2
    assert out.read_bytes() == before
    # ... and in fault mode it flies as on board: its message says unreadable
    assert run("--pre", str(tmp_path / "broken.npy"), "--post", str(tmp_path / "post.npy"), "--fault-mode",
               *common) == 0
    (tile,), _ = messages(out)
    assert tile.status == Status.UNREADABLE and not tile.event


def test_a_tampered_model_is_refused_and_in_fault_mode_every_message_says_so(data, tmp_path, capsys) -> None:
    folder = tmp_path / "model"
    shutil.copytree(TINY, folder)
    default = load_manifest(folder).artifact()  # the artifact `run` picks without --artifact
    target = folder / default.path
    target.write_bytes(target.read_bytes()[:-10])
    out = tmp_path / "t.bin"
    assert main(["run", "--artifacts", str(folder), "--data", str(data), "--out", str(out), "--limit", "3"]) == 2
    assert not out.exists() and "hash_mismatch" in capsys.readouterr().err
    assert main(["run", "--artifacts", str(folder), "--data", str(data), "--out", str(out), "--limit", "3",
                 "--fault-mode"]) == 0
    tiles, health = messages(out)
    assert [t.status for t in tiles] == [Status.HASH_MISMATCH] * 3 and not any(t.event for t in tiles)
    assert health and health[-1].status == Status.HASH_MISMATCH
    assert "hash_mismatch" in capsys.readouterr().out


def test_evaluate_artifacts_cli_reports_hard_negatives(data, capsys) -> None:
    assert main(["evaluate", "--artifacts", str(TINY), "--data", str(data), "--split", "test", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["artifact"] == load_manifest(TINY).default_artifact and {"hard", "hard_negatives", "identical_negatives"} <= set(
        report["shortcut"])


def test_onboard_calibration_keeps_its_promise_on_the_split(data) -> None:
    model = ExportedModel.open(TINY, "onnx-fp32")
    result = calibrate_onboard(data, "train", max_missed=0.1, model=model)
    gate = result.gate.calibration
    assert gate["events"] >= gate["events_needed"] == 10 and gate["note"] == "calibrated"
    assert result.gate.threshold > 0.0  # a real statistic, not the identical-only fallback
    assert gate["skipped"]["events"] <= int(0.1 * gate["events"])
    assert gate["skipped"]["identical_negatives"] == gate["identical_negatives"]
    strict = calibrate_onboard(data, "train", max_missed=0.005).gate  # too few events for 0.5 %
    assert strict.threshold == 0.0 and strict.calibration["threshold_from_events"] > 0.0
    assert "needs 200" in strict.calibration["note"] and strict.calibration["skipped"]["events"] == 0
    medians = {m: v for m, v in result.locate.calibration["median_error_m"].items() if v is not None}
    if medians:
        assert medians[result.locate.method] == min(medians.values())
    else:
        assert result.locate.method == "centre"


def test_evaluate_artifacts_scores_a_file_that_records_no_place_or_time(data, tmp_path, copy_with_patches_edited) -> None:
    """The published QuakeSet has no per-patch centre or acquisition time: the evaluation still
    scores every tile (placeholders stand in; the decisions do not depend on them)."""
    def forget_place_and_time(patch) -> None:  # noqa: ANN001 - an h5py.Group
        for key in [k for k in patch.attrs if k.startswith(("center_", "time_"))]:
            del patch.attrs[key]

    bare = copy_with_patches_edited(data, tmp_path / "bare.h5", forget_place_and_time)
    with_place = evaluate_artifacts(data, TINY, split=None)
    without = evaluate_artifacts(bare, TINY, split=None)
    assert without["per_tile"] == with_place["per_tile"] and without["statuses"] == with_place["statuses"]
    assert "bad_georeference" not in without["statuses"] and "bad_time" not in without["statuses"]


def test_a_same_track_line_is_refused_wrong_kind_and_summarised_as_bad_input(tmp_path) -> None:
    """``quakesat run --tiles`` needs no option for the tile kind: a ``"kind": "same_track"`` line
    flows through as one tile, WRONG_KIND (the tiny model takes amplitude pairs), at its place, no
    event, and the run summary counts it with the bad input; a broken kind is UNREADABLE."""
    from quakesat.report.build import Stream, Warnings, stream_warnings

    runner = TINY.parent / "runner"
    base = {"time": 1_700_000_000, "lat": 10.5, "lon": 20.25}
    lines = [
        {"tile_id": 1, **base, "pre": str(runner / "tiles" / "event_0_pre.npy"),
         "post": str(runner / "tiles" / "event_0_post.npy"), "kind": "amplitude"},
        {"tile_id": 2, **base, "pre": str(runner / "tiles" / "same_track_pre.npy"),
         "post": str(runner / "tiles" / "same_track_post.npy"), "kind": "same_track"},
        {"tile_id": 3, **base, "pre": "nowhere.npy", "post": "nowhere.npy", "kind": "same_track"},  # never opened
        {"tile_id": 4, **base, "pre": "a.npy", "post": "a.npy", "kind": "interferogram"},
    ]
    tiles = tmp_path / "tiles.jsonl"
    tiles.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "messages.bin"
    assert run("--tiles", str(tiles), "--out", str(out)) == 0
    reports, _ = messages(out)
    by_id = {r.tile_id: r for r in reports}
    assert len(reports) == 4
    assert by_id[1].status.category.value in ("ok", "degraded")
    for tile_id in (2, 3):
        report = by_id[tile_id]
        assert report.status == Status.WRONG_KIND and not report.event and report.magnitude == 0
        assert (report.time, round(report.lat, 4), round(report.lon, 4)) == (1_700_000_000, 10.5, 20.25)
    assert by_id[4].status == Status.UNREADABLE
    stream = Stream("run", "decoded JSON lines", "run")
    for line in out.with_suffix(".jsonl").read_text().splitlines():
        stream.add(json.loads(line))
    assert stream.statuses["wrong_kind"] == 2 and stream.categories["bad_input"] == 3
    warnings = Warnings()
    stream_warnings(stream, warnings)
    assert any("refused as bad input" in w["text"] and "wrong_kind 2" in w["text"] for w in warnings.items)


def test_one_same_track_pair_flies_at_the_same_track_pixel_spacing_by_default(tmp_path) -> None:
    """`quakesat run --pre/--post` with a same-track model reads two <c8 files; without
    --pixel-spacing a flagged pair is placed at the same-track tiles' 80 m, not the amplitude 10 m."""
    insar = TINY.parent / "tiny_insar_model"
    tiles = TINY.parent / "runner_same_track" / "tiles"
    common = ["run", "--artifacts", str(insar), "--pre", str(tiles / "0_pre.npy"), "--post", str(tiles / "0_post.npy"),
              "--lat", "38", "--lon", "13", "--time", "1700000000", "--locate", "head"]
    streams = {}
    for name, extra in (("default", []), ("eighty", ["--pixel-spacing", "80"]), ("ten", ["--pixel-spacing", "10"])):
        assert main([*common, *extra, "--out", str(tmp_path / f"{name}.bin")]) == 0
        streams[name] = (tmp_path / f"{name}.bin").read_bytes()
    report = next(m for _, m in iter_stream(streams["default"]) if isinstance(m, TileReport))
    assert report.status == Status.OK and report.event and report.located
    assert streams["default"] == streams["eighty"] != streams["ten"]
