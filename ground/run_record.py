"""The record ``quakesat run`` (and ``quakesat archive``) writes beside its stream: ``OUT.report.json``.

``"format": "quakesat-run"``, version :data:`VERSION`. Its fields keep the names they have
always had (docs/report.md): the stream and its decode, the counts, the tiles by input status,
drops and deadline misses, the model flown (or its fault), the runtime's configuration, the
time per stage; a file's tiles by georeference source and an ``--evaluate`` block where there
are. Anything else a producer adds (``archive``: the cluster's scale) is kept in ``extra``.

:func:`read_run_record` is the one reader; the report and the tests read run reports through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quakesat.errors import RecordError
from quakesat.files import write_text_atomic
from quakesat.records import Fields, check_header, load_json, record_json

FORMAT = "quakesat-run"
VERSION = 1
WHAT = "quakesat run report"


@dataclass(frozen=True)
class RunModel:
    """The artifact a run flew and the model id its messages carry (``0x3070``)."""

    artifact: str
    model_id: str


@dataclass(frozen=True)
class RunFault:
    """Why a run's model could not be used (fault mode): a status name and a sentence."""

    status: str
    detail: str


@dataclass(frozen=True)
class RunRecord:
    """One run's results (``OUT.report.json``)."""

    stream: str
    decoded: str
    messages: int
    bytes: int
    tiles: int
    events_flagged: int
    tile_statuses: dict[str, int]
    dropped: int
    deadlines_missed: int
    model: RunModel | None
    fault: RunFault | None
    config: dict[str, Any]
    profile: dict[str, Any]
    report: str = ""
    georeference_sources: dict[str, int] | None = None
    evaluation: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The record as the JSON object it is written as (``format`` and ``version`` first)."""
        body: dict[str, Any] = {
            "format": FORMAT, "version": VERSION,
            "stream": self.stream, "decoded": self.decoded, "messages": self.messages, "bytes": self.bytes,
            "tiles": self.tiles, "events_flagged": self.events_flagged, "tile_statuses": dict(self.tile_statuses),
            "dropped": self.dropped, "deadlines_missed": self.deadlines_missed,
            "model": None if self.model is None else {"artifact": self.model.artifact, "model_id": self.model.model_id},
            "fault": None if self.fault is None else {"status": self.fault.status, "detail": self.fault.detail},
            "config": self.config, "profile": self.profile,
        }
        if self.georeference_sources is not None:
            body["georeference_sources"] = dict(self.georeference_sources)
        if self.evaluation is not None:
            body["evaluation"] = self.evaluation
        body.update({k: v for k, v in self.extra.items() if k not in body})
        body["report"] = self.report
        return body

    def to_json(self) -> str:
        """The record's JSON text."""
        return record_json(self.to_dict(), indent=2)


def parse_run_record(obj: Any, source: str = "run report") -> RunRecord:
    """A parsed run report as a :class:`RunRecord`, checked field by field.

    Raises:
        RecordError: another kind of file, a newer version, or a field of the wrong type.
    """
    fields = Fields(check_header(obj, FORMAT, VERSION, WHAT, source), WHAT, source)
    model = fields.optional_mapping("model")
    fault = fields.optional_mapping("fault")
    return RunRecord(
        stream=fields.text("stream"), decoded=fields.text("decoded"), messages=fields.count("messages"),
        bytes=fields.count("bytes"), tiles=fields.count("tiles"), events_flagged=fields.count("events_flagged"),
        tile_statuses=fields.counts("tile_statuses"), dropped=fields.count("dropped"),
        deadlines_missed=fields.count("deadlines_missed"),
        model=None if model is None else RunModel(_string(model, "model", "artifact", source),
                                                  _string(model, "model", "model_id", source)),
        fault=None if fault is None else RunFault(_string(fault, "fault", "status", source),
                                                  _string(fault, "fault", "detail", source)),
        config=fields.mapping("config"), profile=fields.mapping("profile"),
        report=fields.optional_text("report") or "",
        georeference_sources=fields.optional_counts("georeference_sources"),
        evaluation=fields.optional_mapping("evaluation"),
        extra=fields.rest(),
    )


def _string(block: dict[str, Any], name: str, key: str, source: str) -> str:
    value = block.get(key)
    if not isinstance(value, str):
        raise RecordError(f"{source}: {WHAT} field '{name}.{key}' must be a string, found {str(value)[:60]!r}",
                          f"{name}.{key}")
    return value


def read_run_record(path: str | Path) -> RunRecord:
    """The run report in ``path``.

    Raises:
        RecordError: unreadable, not a run report, a newer version, or a field of the wrong type.
    """
    return parse_run_record(load_json(path, WHAT), str(path))


def write_run_record(record: RunRecord, path: str | Path) -> None:
    """Write ``record`` to ``path``, whole or not at all."""
    write_text_atomic(Path(path), record.to_json())
