"""Write the downlink-queue vectors (``tests/vectors/queue/cases.jsonl``) from the Python queue.

    python tests/vectors/make_queue_vectors.py

Each line is one case: a queue of ``capacity`` tile reports under the emit mode ``emit``
(:func:`quakesat.runtime.flight.emits`), a list of operations and what the Python side
(:class:`~quakesat.runtime.downlink_queue.DownlinkQueue`,
:func:`~quakesat.runtime.flight.health_report`) made of each:

- ``{"op": "tile", "report": FIELDS, "queued": bool}``: a tile report offered to the queue
  (not queued when ``emit`` keeps it out or it was the one dropped);
- ``{"op": "tiles", "count": N, "report": FIELDS, "queued": K}``: N tile reports like
  ``report``, the k-th (from 0) with ``tile_id + k`` and sequence count ``seq + k`` (wrapping),
  offered one after the other, K of them queued (a burst: thousands of drops in one line);
- ``{"op": "health", "seq", "tiles_processed", "time", "lat", "lon", "model_id", "fault",
  "apid", "message"}``: the health report ``health_report`` builds from the queue (its drop
  count since the previous report, the queue fill, status ``fault`` or QUEUE_OVERFLOW or OK)
  pushed into the health slot; ``message`` is the one waiting after the push, encoded (a
  superseded report's drop count merged in);
- ``{"op": "pop", "count": N | null, "released": [hex, ...]}``: a contact releasing up to N
  messages (null: all) in downlink order.

After the operations: ``dropped_total``, ``superseded_health`` and ``left`` (messages still
queued). ``FIELDS`` are a :class:`~quakesat.runtime.message.TileReport`'s, the status as its
number. Checked by pytest against the Python queue (``tests/runtime/test_queue_vectors.py``,
which also checks this file is what this script writes) and by ctest against the C++ queue
(``cpp_runner/tests/test_queue.cpp``). Standard library and quakesat only; fixed seeds.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from quakesat.runtime.downlink_queue import DownlinkQueue
from quakesat.runtime.flight import emits, health_report
from quakesat.runtime.message import SEQ_COUNT_MAX, Message, TileReport, encode
from quakesat.runtime.status import Status, StatusCategory

OUT = Path(__file__).resolve().parent / "queue"
NAME = "cases.jsonl"
T0 = 1_700_000_000
MODEL_ID = 0x5A17


class Case:
    """One case being built: the Python queue runs every operation as it is recorded."""

    def __init__(self, name: str, capacity: int, emit: str = "all", note: str = "") -> None:
        self.name, self.capacity, self.emit, self.note = name, capacity, emit, note
        self.queue = DownlinkQueue(capacity)
        self.ops: list[dict[str, Any]] = []
        self.seq = 0
        self.processed = 0
        self.place = (1, 0.0, 0.0)

    def _next_seq(self) -> int:
        seq = self.seq
        self.seq = (self.seq + 1) % (SEQ_COUNT_MAX + 1)
        return seq

    def report(self, tile_id: int, status: Status = Status.OK, event: bool = False, magnitude: float = 0.0,
               **fields: Any) -> TileReport:
        """A tile report with the case's next sequence count, at a place of its own."""
        values: dict[str, Any] = {
            "seq": self._next_seq(), "tile_id": tile_id, "time": T0 + tile_id % 100_000,
            "lat": round(10.0 + tile_id % 1000 * 1e-3, 7), "lon": round(-20.0 - tile_id % 1000 * 1e-3, 7),
            "magnitude": magnitude, "confidence": 0.5 if event else 0.9,
            "model_id": MODEL_ID, "status": status, "event": event}
        values.update(fields)
        return TileReport(**values)

    def tile(self, tile_id: int, status: Status = Status.OK, event: bool = False, magnitude: float = 0.0,
             **fields: Any) -> bool:
        report = self.report(tile_id, status, event, magnitude, **fields)
        queued = self._offer(report)
        self.ops.append({"op": "tile", "report": _fields(report), "queued": queued})
        return queued

    def tiles(self, count: int, tile_id: int, status: Status = Status.OK, event: bool = False,
              magnitude: float = 0.0) -> int:
        template = self.report(tile_id, status, event, magnitude)
        self.seq = (template.seq + count) % (SEQ_COUNT_MAX + 1)
        queued = 0
        for k in range(count):
            queued += self._offer(TileReport(**{**vars(template), "tile_id": tile_id + k,
                                                "seq": (template.seq + k) % (SEQ_COUNT_MAX + 1)}))
        self.ops.append({"op": "tiles", "count": count, "report": _fields(template), "queued": queued})
        return queued

    def _offer(self, report: TileReport) -> bool:
        self.processed += 1
        self.place = (report.time, report.lat, report.lon)
        return emits(report, self.emit) and self.queue.push(report)

    def health(self, fault: Status | None = None) -> bytes:
        seq = self._next_seq()
        when, lat, lon = self.place
        report = health_report(self.queue, seq, self.processed, self.place, MODEL_ID, fault)
        self.queue.push(report)
        message = encode(self.queue.queued_health or report)
        self.ops.append({"op": "health", "seq": seq, "tiles_processed": self.processed, "time": when, "lat": lat,
                         "lon": lon, "model_id": MODEL_ID, "fault": None if fault is None else int(fault),
                         "apid": report.apid, "message": message.hex()})
        return message

    def pop(self, count: int | None = None) -> list[Message]:
        released = self.queue.pop(count)
        self.ops.append({"op": "pop", "count": count, "released": [encode(m).hex() for m in released]})
        return released

    def record(self) -> dict[str, Any]:
        """The case as one line of the file: its settings, operations and final counts."""
        return {"name": self.name, "note": self.note, "capacity": self.capacity, "emit": self.emit, "ops": self.ops,
                "dropped_total": self.queue.dropped_total, "superseded_health": self.queue.superseded_health,
                "left": len(self.queue)}


def _fields(report: TileReport) -> dict[str, Any]:
    return {name: int(value) if isinstance(value, Status) else value for name, value in vars(report).items()}


def _ids(messages: list[Message]) -> list[int | str]:
    return [m.tile_id if isinstance(m, TileReport) else "h" for m in messages]


# ─── the cases ──────────────────────────────────────────────────────────────────────────
def _release_order() -> Case:
    c = Case("release_order", 16, note="class, then magnitude (events), then arrival; the health report after events")
    c.tile(1)
    c.tile(2, event=True, magnitude=5.1)
    c.tile(3, Status.ALL_NODATA)
    c.health()
    c.tile(4, Status.PARTIAL_NODATA)
    c.tile(5, event=True, magnitude=6.2)
    c.tile(6)
    c.tile(7, event=True, magnitude=5.1)
    c.tile(8, Status.MODEL_MISSING)
    c.tile(9, event=True, magnitude=0.0)
    c.tile(10, Status.VALUES_CLIPPED, event=True, magnitude=5.1)
    assert _ids(c.pop()) == [5, 2, 7, 10, 9, "h", 3, 4, 8, 1, 6]
    return c


def _full_queue() -> Case:
    c = Case("full_queue", 3, note="the newest of the lowest class is dropped: the arrival or a queued one")
    for tile_id in range(3):
        c.tile(tile_id)
    assert not c.tile(3)  # quiet arrival into a queue of quiet ones: itself
    assert c.tile(4, Status.BAD_SHAPE)  # evicts quiet 2
    assert c.tile(5, event=True, magnitude=4.0)  # evicts quiet 1
    assert c.tile(6, Status.NON_FINITE)  # evicts quiet 0
    assert not c.tile(7)  # quiet below every status tile
    assert not c.tile(8, Status.UNREADABLE)  # the newest status tile is the arrival
    assert c.tile(9, event=True, magnitude=3.0)  # evicts status 6
    assert c.tile(10, event=True, magnitude=3.0)  # evicts status 4
    assert not c.tile(11, event=True, magnitude=3.0)  # equal magnitude, newer: itself
    assert not c.tile(12, event=True, magnitude=2.99)
    assert c.tile(13, event=True, magnitude=3.01)  # evicts event 10
    c.health()
    assert _ids(c.pop(2)) == [5, 13]
    c.tile(14)
    c.tile(15)
    assert _ids(c.pop()) == [9, "h", 14, 15]
    c.health()
    return c


def _events_only() -> Case:
    c = Case("events_only", 2, note="a bigger event evicts the smallest; only events queued")
    c.tile(1, event=True, magnitude=5.0)
    c.tile(2, event=True, magnitude=6.0)
    assert not c.tile(3, event=True, magnitude=4.5)
    assert c.tile(4, event=True, magnitude=7.0)
    assert c.tile(5, event=True, magnitude=655.35)
    assert _ids(c.pop()) == [5, 4]
    return c


def _health_supersedes() -> Case:
    c = Case("health_supersedes", 2, note="a newer health report replaces the waiting one and carries its drops on")
    c.tile(1)
    c.tile(2)
    c.tile(3)  # dropped
    c.health()  # 1 drop: QUEUE_OVERFLOW
    c.tile(4)
    c.tile(5)
    c.health()  # 2 more drops; supersedes: 3
    c.health()  # no new drop; supersedes: still 3, still QUEUE_OVERFLOW
    assert _ids(c.pop(1)) == ["h"]
    c.health()  # a fresh slot: nothing dropped since, OK
    c.tile(6, event=True, magnitude=5.0)
    c.health()
    c.pop()
    c.health()
    return c


def _health_without_drops() -> Case:
    c = Case("health_without_drops", 4, note="superseding a report that dropped nothing leaves the status OK")
    c.tile(1)
    c.health()
    c.tile(2, Status.PARTIAL_NODATA)
    c.health()
    c.tile(3)
    c.tile(4)
    c.health()  # the queue full: fill 1.0
    c.pop(0)
    c.pop(3)
    c.health()
    c.pop()
    return c


def _health_fault() -> Case:
    c = Case("health_fault", 2, note="a model fault is the health report's status, drops or not")
    for tile_id in range(4):
        c.tile(tile_id, Status.MODEL_MISSING)
    c.health(Status.MODEL_MISSING)
    c.tile(4, Status.MODEL_MISSING)
    c.health(Status.MODEL_MISSING)
    c.health(Status.HASH_MISMATCH)
    c.pop()
    c.health(Status.BACKEND_ERROR)
    return c


def _alerts_only() -> Case:
    c = Case("alerts_only", 4, "alerts", note="under emit alerts only events, bad input and model faults queue")
    assert not c.tile(1)
    assert not c.tile(2, Status.PARTIAL_NODATA)
    assert not c.tile(3, Status.VALUES_CLIPPED)
    assert not c.tile(5, Status.QUEUE_OVERFLOW)  # resource: not an alert
    assert not c.tile(6, Status.DEADLINE_MISSED)
    assert not c.tile(7, gated=True, confidence=1.0)
    assert c.tile(8, event=True, magnitude=4.2)
    assert c.tile(9, Status.PARTIAL_NODATA, event=True, magnitude=5.5)
    assert c.tile(10, Status.BAD_TIME)
    assert c.tile(11, Status.OUTPUT_INVALID)
    assert not c.tile(12, Status.UNREADABLE)  # full: the newest status tile is the arrival
    assert c.tile(13, event=True, magnitude=1.0)  # evicts the newest status tile
    c.health()
    assert not c.tile(14)
    c.health()
    assert _ids(c.pop()) == [9, 8, 13, "h", 10]
    return c


def _capacity_one() -> Case:
    c = Case("capacity_one", 1, note="one tile report and the health slot")
    c.tile(1)
    c.health()
    c.tile(2)  # dropped
    c.tile(3, Status.ALL_ZERO)  # evicts 1
    c.tile(4, event=True, magnitude=2.0)  # evicts 3
    c.health()
    assert _ids(c.pop(1)) == [4]
    c.tile(5, event=True, magnitude=1.0)
    assert _ids(c.pop()) == [5, "h"]
    c.health()
    c.pop()
    return c


def _saturation() -> Case:
    c = Case("dropped_saturates", 1, note="the codec saturates the drop count at 65535, merged counts too")
    c.tile(0)
    c.tiles(70_000, 1)  # all dropped
    c.health()  # 70,000 dropped: 65535 on the wire
    c.tiles(40_000, 70_001, Status.PARTIAL_NODATA)  # the first evicts the quiet one, the rest are dropped
    c.health()  # merged: 109,999
    c.pop()
    c.tiles(65_535, 200_000)  # 65,534 dropped
    c.health()
    c.pop()
    return c


def _seq_wrap() -> Case:
    c = Case("seq_wraps", 8, note="sequence counts wrap at 16384 (health reports' too); tile ids up to 2**32 - 1")
    c.seq = SEQ_COUNT_MAX - 2
    c.tile(0xFFFF_FFFE)
    c.health()
    c.tile(0xFFFF_FFFF, event=True, magnitude=3.3)
    c.tile(7)
    c.health()
    c.pop()
    return c


def _random(name: str, seed: int, capacity: int, emit: str, steps: int) -> Case:
    c = Case(name, capacity, emit, note=f"random operations, seed {seed}")
    rng = random.Random(seed)
    statuses = [Status.OK] * 6 + [Status.PARTIAL_NODATA, Status.VALUES_CLIPPED, Status.ALL_NODATA, Status.BAD_SHAPE,
                                  Status.UNREADABLE, Status.OUTPUT_INVALID, Status.BACKEND_ERROR]
    tile_id = 0
    for _ in range(steps):
        roll = rng.random()
        if roll < 0.78:
            status = rng.choice(statuses)
            event = status.category in (StatusCategory.OK, StatusCategory.DEGRADED) and rng.random() < 0.25
            magnitude = rng.choice([0.0, 1.5, 3.0, 3.0, round(rng.uniform(0, 9), 2)]) if event else 0.0
            c.tile(tile_id, status, event, magnitude)
            tile_id += 1
        elif roll < 0.9:
            c.health(rng.choice([None] * 5 + [Status.MODEL_MISSING]))
        else:
            c.pop(rng.choice([None, 0, 1, 2, 5, capacity]))
    c.health()
    c.pop()
    return c


def build_cases() -> list[dict[str, Any]]:
    cases = [_release_order(), _full_queue(), _events_only(), _health_supersedes(), _health_without_drops(),
             _health_fault(), _alerts_only(), _capacity_one(), _saturation(), _seq_wrap(),
             _random("random_all_5", 7, 5, "all", 300), _random("random_alerts_3", 8, 3, "alerts", 300),
             _random("random_all_1", 9, 1, "all", 150), _random("random_all_64", 10, 64, "all", 500)]
    return [case.record() for case in cases]


def write_vectors(folder: Path = OUT) -> Path:
    """Write ``cases.jsonl`` into ``folder``; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NAME
    path.write_text("".join(json.dumps(case, allow_nan=False) + "\n" for case in build_cases()), encoding="utf-8")
    return path


def main() -> None:
    path = write_vectors()
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    print(f"wrote {path}: {len(cases)} cases, {sum(len(c['ops']) for c in cases)} operations")


if __name__ == "__main__":
    main()
