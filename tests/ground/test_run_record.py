"""``quakesat run`` writes its report through the typed run record (ground/run_record.py), and
what the command returns is what its reader reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quakesat.ground.run_record import FORMAT, VERSION, parse_run_record, read_run_record

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def test_a_run_writes_its_record(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from quakesat.ground.run import run_tiles
    from quakesat.runtime.flight import FlightRuntime
    from quakesat.runtime.tile_file import read_tile_list

    runtime = FlightRuntime.open(VECTORS / "tiny_model", "onnx-fp32")
    items = ((tile, None, seconds) for tile, seconds in read_tile_list(VECTORS / "runner" / "tiles.jsonl"))
    returned = run_tiles(runtime, items, tmp_path / "messages.bin")
    path = tmp_path / "messages.report.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored == returned and stored["format"] == FORMAT and stored["version"] == VERSION
    record = read_run_record(path)
    assert record.to_dict() == stored
    assert record.messages == len((tmp_path / "messages.bin").read_bytes()) // 32
    assert record.tiles == sum(record.tile_statuses.values()) and record.report == str(path)
    assert record.model is not None and record.model.model_id.startswith("0x")


def test_the_reader_refuses_a_run_report_of_the_wrong_shape() -> None:
    from quakesat.errors import RecordError

    with pytest.raises(RecordError, match="'model.model_id' must be a string"):
        parse_run_record({"format": FORMAT, "version": 1, "stream": "s", "decoded": "d", "messages": 0, "bytes": 0,
                          "tiles": 0, "events_flagged": 0, "tile_statuses": {}, "dropped": 0, "deadlines_missed": 0,
                          "model": {"artifact": "a", "model_id": 3}, "fault": None, "config": {}, "profile": {}})
    with pytest.raises(RecordError, match="'tile_statuses.ok' must be a whole number"):
        parse_run_record({"format": FORMAT, "version": 1, "stream": "s", "decoded": "d", "messages": 0, "bytes": 0,
                          "tiles": 0, "events_flagged": 0, "tile_statuses": {"ok": -1}, "dropped": 0,
                          "deadlines_missed": 0, "model": None, "fault": None, "config": {}, "profile": {}})
