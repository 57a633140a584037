"""The record ``quakesat bench`` writes: ``bench.json``.

``"format": "quakesat-bench"``, version :data:`VERSION` (a bench.json older than the version
field says ``"schema": 1`` instead, and is read as version 1). The fields keep their names
(docs/benchmarks.md): the export folder and the tiles measured, the tile side and kind, the
default artifacts, the run policy, the seed-equivalent, one row per artifact, runtime and
thread count (each an object naming its artifact and runtime; a row that could not be
measured carries an ``error``), the sensor estimate and the machine. :func:`read_bench_record`
is the one reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quakesat.errors import RecordError
from quakesat.files import write_text_atomic
from quakesat.records import Fields, check_header, load_json, record_json

FORMAT = "quakesat-bench"
VERSION = 1
WHAT = "quakesat bench result"


@dataclass(frozen=True)
class BenchRecord:
    """One benchmark run's results (``bench.json``)."""

    artifacts: str
    tiles: str
    rows: list[dict[str, Any]]
    tile_side: int | None = None
    tile_kind: str | None = None
    preprocess_version: int | None = None
    default_artifacts: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    seed_equivalent: dict[str, Any] | None = None
    sensor: dict[str, Any] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The record as the JSON object it is written as (``format`` and ``version`` first)."""
        body = {"format": FORMAT, "version": VERSION, "artifacts": self.artifacts, "tiles": self.tiles,
                "tile_side": self.tile_side, "default_artifacts": self.default_artifacts, "tile_kind": self.tile_kind,
                "preprocess_version": self.preprocess_version, "policy": self.policy,
                "seed_equivalent": self.seed_equivalent, "rows": self.rows, "sensor": self.sensor,
                "machine": self.machine}
        body.update({k: v for k, v in self.extra.items() if k not in body})
        return body

    def to_json(self) -> str:
        """The record's JSON text."""
        return record_json(self.to_dict())


def parse_bench_record(obj: Any, source: str = "bench result") -> BenchRecord:
    """A parsed ``bench.json`` as a :class:`BenchRecord`, checked field by field.

    Raises:
        RecordError: another kind of file, a newer version, or a field of the wrong type.
    """
    if isinstance(obj, dict) and "version" not in obj and obj.get("schema") == 1:
        obj = {k: v for k, v in obj.items() if k != "schema"} | {"version": 1}  # written before the version field
    fields = Fields(check_header(obj, FORMAT, VERSION, WHAT, source), WHAT, source)
    rows = fields.items("rows")
    for number, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("artifact"), str) \
                or not isinstance(row.get("runtime"), str):
            raise RecordError(f"{source}: {WHAT} field 'rows[{number}]' must be an object naming its artifact and "
                              "runtime", f"rows[{number}]")
    return BenchRecord(
        artifacts=fields.text("artifacts"), tiles=fields.text("tiles"), rows=rows,
        tile_side=fields.optional_count("tile_side"), tile_kind=fields.optional_text("tile_kind"),
        preprocess_version=fields.optional_count("preprocess_version"),
        default_artifacts=fields.optional_mapping("default_artifacts") or {},
        policy=fields.optional_mapping("policy") or {}, seed_equivalent=fields.optional_mapping("seed_equivalent"),
        sensor=fields.optional_mapping("sensor") or {}, machine=fields.optional_mapping("machine") or {},
        extra=fields.rest(),
    )


def read_bench_record(path: str | Path) -> BenchRecord:
    """The ``bench.json`` in ``path``.

    Raises:
        RecordError: unreadable, not a bench result, a newer version, or a field of the wrong type.
    """
    return parse_bench_record(load_json(path, WHAT), str(path))


def write_bench_record(record: BenchRecord, path: str | Path) -> None:
    """Write ``record`` to ``path``, whole or not at all."""
    write_text_atomic(Path(path), record.to_json())
