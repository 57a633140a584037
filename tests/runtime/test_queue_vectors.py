"""The shared downlink-queue vectors (tests/vectors/queue/cases.jsonl; the C++ queue replays the
same file in cpp_runner/tests/test_queue.cpp) against the Python queue: every operation gives
the recorded verdict, health report and released bytes, and the file is what its generator
writes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from quakesat.runtime.downlink_queue import DownlinkQueue
from quakesat.runtime.flight import emits, health_report
from quakesat.runtime.message import DROPPED_MAX, SEQ_COUNT_MAX, TileReport, encode
from quakesat.runtime.status import Status

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_queue_vectors", VECTORS / "make_queue_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()
CASES = [json.loads(line) for line in (VECTORS / "queue" / GEN.NAME).read_text(encoding="utf-8").splitlines()]


def _report(fields: dict[str, Any], **changes: Any) -> TileReport:
    return TileReport(**{**fields, "status": Status(fields["status"]), **changes})


def test_the_committed_file_equals_a_fresh_generation(tmp_path: Path) -> None:
    fresh = GEN.write_vectors(tmp_path)
    assert (VECTORS / "queue" / GEN.NAME).read_bytes() == fresh.read_bytes(), \
        "tests/vectors/queue is stale: run python tests/vectors/make_queue_vectors.py"


def test_the_cases_cover_what_they_are_for() -> None:
    names = {case["name"] for case in CASES}
    assert len(names) == len(CASES)
    assert {case["capacity"] for case in CASES} >= {1, 2, 3}
    assert any(case["emit"] == "alerts" for case in CASES)
    assert any(case["superseded_health"] for case in CASES)
    assert any(case["dropped_total"] > DROPPED_MAX for case in CASES)  # the codec's saturation
    saturated = [op for case in CASES for op in case["ops"] if op["op"] == "health"
                 and int(op["message"][52:56], 16) == DROPPED_MAX]
    assert saturated
    assert any(op["op"] == "pop" and op["count"] and len(op["released"]) == op["count"]  # a partial contact
               for case in CASES for op in case["ops"])


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["name"])
def test_the_python_queue_replays_the_case(case: dict[str, Any]) -> None:
    queue = DownlinkQueue(case["capacity"])
    for index, op in enumerate(case["ops"]):
        where = f"{case['name']} op {index} ({op['op']})"
        if op["op"] == "tile":
            report = _report(op["report"])
            assert (emits(report, case["emit"]) and queue.push(report)) == op["queued"], where
        elif op["op"] == "tiles":
            template, queued = op["report"], 0
            for k in range(op["count"]):
                report = _report(template, tile_id=template["tile_id"] + k,
                                 seq=(template["seq"] + k) % (SEQ_COUNT_MAX + 1))
                queued += emits(report, case["emit"]) and queue.push(report)
            assert queued == op["queued"], where
        elif op["op"] == "health":
            fault = None if op["fault"] is None else Status(op["fault"])
            report = health_report(queue, op["seq"], op["tiles_processed"], (op["time"], op["lat"], op["lon"]),
                                   op["model_id"], fault, op["apid"])
            queue.push(report)
            assert encode(queue.queued_health).hex() == op["message"], where
        else:
            assert [encode(m).hex() for m in queue.pop(op["count"])] == op["released"], where
    assert (queue.dropped_total, queue.superseded_health, len(queue)) == \
        (case["dropped_total"], case["superseded_health"], case["left"])
