"""The typed records between commands (quakesat/records.py and one module beside each producer):
each round-trips through its JSON, and each reader refuses a foreign file, a file without a
format, a newer version and a field of the wrong type with one clear RecordError line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from quakesat.bench import record as bench
from quakesat.demo_record import DemoRecord, read_demo_record, write_demo_record
from quakesat.errors import QuakesatError, RecordError
from quakesat.export import record as export
from quakesat.ground import run_record as run
from quakesat.mission import record as mission
from quakesat.records import MAX_RECORD_BYTES


class Kind(NamedTuple):
    fmt: str
    record: Any
    read: Callable[[Path], Any]
    write: Callable[[Any, Path], None]
    wrong_field: tuple[str, Any]  # a field and a value of the wrong type


KINDS = {
    "run": Kind("quakesat-run", run.RunRecord(
        stream="out/messages.bin", decoded="out/messages.jsonl", messages=3, bytes=96, tiles=2, events_flagged=1,
        tile_statuses={"ok": 2}, dropped=0, deadlines_missed=0, model=run.RunModel("onnx-fp32", "0x3070"),
        fault=None, config={"gate": True}, profile={"tiles": 2, "stages": {}}, report="out/messages.report.json",
        georeference_sources={"file": 2}, evaluation={"detection": {"accuracy": 1.0}}, extra={"archive": {"workers": 2}}),
        run.read_run_record, run.write_run_record, ("tiles", "two")),
    "mission": Kind("quakesat-mission", mission.MissionRecord(
        scenario="default", window=mission.MissionWindow(1_767_225_600, 1_767_312_000, 24.0, 14.58),
        contacts=[{"start": 1_767_229_200, "end": 1_767_229_800, "stations": ["Svalbard"]}],
        modes={"survey": {"events": 2}}, model={"artifact": "onnx-int8"}, catalogue=[{"name": "Durres"}],
        simulated_tiles=40, seconds=1.5, files={"json": "mission.json"}),
        mission.read_mission_record, mission.write_mission_record, ("modes", [1])),
    "bench": Kind("quakesat-bench", bench.BenchRecord(
        artifacts="artifacts/quakelite", tiles="tiles.jsonl", rows=[{"artifact": "onnx-fp32", "runtime": "python"}],
        tile_side=64, tile_kind="amplitude", preprocess_version=2, default_artifacts={"python": "onnx-fp32"}),
        bench.read_bench_record, bench.write_bench_record, ("rows", {"artifact": "x"})),
    "export": Kind("quakesat-export", export.ExportRecord(
        out="artifacts/quakelite", seconds=12.5, default_artifacts={"python": "onnx-int8", "cpp": None},
        event_threshold=0.42, magnitude_informative=False,
        artifacts={"onnx-int8": {"gate_failures": ["flag agreement 0.9 < 0.99"]}, "onnx-fp32": {"gate_failures": []}}),
        export.read_export_record, export.write_export_record, ("magnitude_informative", "no")),
    "demo": Kind("quakesat-demo", DemoRecord(
        out="out/demo", simulate={"events": 12}, verdict={"says": "beats the baselines"}, seconds=240.0,
        cpp_runner={"byte_identical": True}, extra={"models": {"quakelite": {}}}),
        read_demo_record, write_demo_record, ("verdict", "good")),
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_record_round_trips(name: str, tmp_path: Path) -> None:
    kind = KINDS[name]
    path = tmp_path / f"{name}.json"
    kind.write(kind.record, path)
    text = json.loads(path.read_text(encoding="utf-8"))
    assert list(text)[:2] == ["format", "version"] and text["format"] == kind.fmt and text["version"] == 1
    assert kind.read(path) == kind.record


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_reader_refuses_a_foreign_file(name: str, tmp_path: Path) -> None:
    kind = KINDS[name]
    other = next(k for n, k in KINDS.items() if n != name)
    path = tmp_path / "other.json"
    other.write(other.record, path)
    with pytest.raises(RecordError, match=f"its format is '{other.fmt}'.*says \"format\": \"{kind.fmt}\"") as err:
        kind.read(path)
    assert err.value.field == "format" and "\n" not in str(err.value) and str(path) in str(err.value)
    body = {k: v for k, v in json.loads(path.read_text()).items() if k != "format"}
    path.write_text(json.dumps(body))
    with pytest.raises(RecordError, match="it has no \"format\" field"):
        kind.read(path)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_reader_refuses_a_newer_version_and_says_what_to_do(name: str, tmp_path: Path) -> None:
    kind = KINDS[name]
    path = tmp_path / "newer.json"
    kind.write(kind.record, path)
    body = json.loads(path.read_text()) | {"version": 2}
    path.write_text(json.dumps(body))
    with pytest.raises(RecordError, match="version 2 was written by a newer quakesat; this one reads up to "
                                          "version 1: upgrade quakesat") as err:
        kind.read(path)
    assert err.value.field == "version"
    path.write_text(json.dumps(body | {"version": "1"}))
    with pytest.raises(RecordError, match="needs a whole \"version\""):
        kind.read(path)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_reader_names_the_field_of_the_wrong_type(name: str, tmp_path: Path) -> None:
    kind = KINDS[name]
    path = tmp_path / "wrong.json"
    kind.write(kind.record, path)
    key, value = kind.wrong_field
    path.write_text(json.dumps(json.loads(path.read_text()) | {key: value}))
    with pytest.raises(RecordError, match=key) as err:
        kind.read(path)
    assert err.value.field.split(".")[0].split("[")[0] == key


def test_files_that_are_no_record_at_all(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    for text, expected in (("{not json", "not JSON"), ("[1, 2]", "a JSON list, not an object"),
                           ("\"text\"", "a JSON str, not an object")):
        path.write_text(text)
        with pytest.raises(RecordError, match=expected):
            run.read_run_record(path)
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(RecordError, match="not UTF-8"):
        mission.read_mission_record(path)
    with pytest.raises(RecordError, match="cannot read"):
        bench.read_bench_record(tmp_path / "absent.json")
    with pytest.raises(RecordError, match="cannot read"):
        bench.read_bench_record(tmp_path)  # a folder
    assert issubclass(RecordError, QuakesatError) and issubclass(RecordError, ValueError)


def test_a_record_too_large_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import quakesat.records

    monkeypatch.setattr(quakesat.records, "MAX_RECORD_BYTES", 10)
    path = tmp_path / "big.json"
    KINDS["demo"].write(KINDS["demo"].record, path)
    with pytest.raises(RecordError, match="larger than"):
        read_demo_record(path)
    assert MAX_RECORD_BYTES == 64 * 2**20


def test_a_bench_json_from_before_the_version_field_is_version_1(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"schema": 1, "format": "quakesat-bench", "artifacts": "a", "tiles": "t", "rows": []}))
    assert bench.read_bench_record(path).extra == {}


def test_the_export_record_is_what_export_and_adopt_print(tmp_path: Path) -> None:
    """Built from a manifest (the tiny model's), one JSON line, read back the same."""
    from quakesat.runtime.manifest import load_manifest

    manifest = load_manifest(Path(__file__).parent / "vectors" / "tiny_model")
    record = export.export_record(manifest, tmp_path)
    line = record.to_json()
    assert line.count("\n") == 1 and line.startswith('{"format": "quakesat-export", "version": 1, "out"')
    assert set(record.artifacts) == {a.name for a in manifest.artifacts}
    assert record.gate_failed == [a.name for a in manifest.artifacts if a.gate_failures]
    (tmp_path / "export.json").write_text(line)
    assert export.read_export_record(tmp_path / "export.json") == record


def test_unknown_fields_are_kept(tmp_path: Path) -> None:
    """A reader keeps what it does not know (a producer's extra block), and writes it back."""
    path = tmp_path / "m.json"
    mission.write_mission_record(KINDS["mission"].record, path)
    path.write_text(json.dumps(json.loads(path.read_text()) | {"notes": ["kept"]}))
    record = mission.read_mission_record(path)
    assert record.extra == {"notes": ["kept"]} and record.to_dict()["notes"] == ["kept"]
