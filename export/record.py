"""The record of one export: what ``quakesat export`` and ``quakesat adopt`` print when they finish.

An export writes its artifacts and ``manifest.json`` (the flight contract, read only by
:func:`quakesat.runtime.manifest.load_manifest`), ``fidelity.md`` and ``fidelity.png`` for
people, and this summary for machines: ``"format": "quakesat-export"``, version
:data:`VERSION`, with the fields the commands have always printed (the folder, the seconds it
took, the default artifact per runtime, the event threshold, whether magnitude is informative,
each artifact's gate numbers). Saved to a file (``quakesat export ... > export.json``), it is
read back by :func:`read_export_record`; ``quakesat report`` lists it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quakesat.errors import RecordError
from quakesat.files import write_text_atomic
from quakesat.records import Fields, check_header, load_json, record_json

FORMAT = "quakesat-export"
VERSION = 1
WHAT = "quakesat export summary"


@dataclass(frozen=True)
class ExportRecord:
    """One export's summary."""

    out: str
    seconds: float | None
    default_artifacts: dict[str, str | None]
    event_threshold: float | None
    magnitude_informative: bool
    artifacts: dict[str, dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gate_failed(self) -> list[str]:
        """The artifacts that failed the fidelity gate."""
        return [name for name, row in self.artifacts.items() if row.get("gate_failures")]

    def to_dict(self) -> dict[str, Any]:
        """The record as the JSON object it is written as (``format`` and ``version`` first)."""
        body = {"format": FORMAT, "version": VERSION, "out": self.out, "seconds": self.seconds,
                "default_artifacts": dict(self.default_artifacts), "event_threshold": self.event_threshold,
                "magnitude_informative": self.magnitude_informative, "artifacts": self.artifacts}
        body.update({k: v for k, v in self.extra.items() if k not in body})
        return body

    def to_json(self, indent: int | None = None) -> str:
        """The record's JSON text (one line by default, as the commands print it)."""
        return record_json(self.to_dict(), indent=indent)


def export_record(manifest: Any, out: str | Path) -> ExportRecord:
    """The summary of the export whose manifest (a :class:`~quakesat.runtime.manifest.Manifest`)
    was written into ``out``."""
    from quakesat.export.fidelity import fidelity_summary

    return ExportRecord(out=str(out), seconds=(manifest.report or {}).get("seconds"),
                        default_artifacts={"python": manifest.default_artifact, "cpp": manifest.cpp_default_artifact},
                        event_threshold=manifest.decision.event_threshold,
                        magnitude_informative=manifest.decision.magnitude_informative,
                        artifacts={a.name: fidelity_summary(a) for a in manifest.artifacts})


def parse_export_record(obj: Any, source: str = "export summary") -> ExportRecord:
    """A parsed export summary as an :class:`ExportRecord`, checked field by field.

    Raises:
        RecordError: another kind of file, a newer version, or a field of the wrong type.
    """
    fields = Fields(check_header(obj, FORMAT, VERSION, WHAT, source), WHAT, source)
    defaults = fields.mapping("default_artifacts")
    artifacts = fields.mapping("artifacts")
    for name, row in artifacts.items():
        if not isinstance(row, dict):
            raise RecordError(f"{source}: {WHAT} field 'artifacts.{name}' must be an object", f"artifacts.{name}")
    informative = fields.obj.get("magnitude_informative")
    fields.used.add("magnitude_informative")
    if not isinstance(informative, bool):
        raise RecordError(f"{source}: {WHAT} field 'magnitude_informative' must be true or false",
                          "magnitude_informative")
    return ExportRecord(
        out=fields.text("out"), seconds=fields.optional_number("seconds"),
        default_artifacts={str(k): v if isinstance(v, str) else None for k, v in defaults.items()},
        event_threshold=fields.optional_number("event_threshold"), magnitude_informative=informative,
        artifacts=artifacts, extra=fields.rest())


def read_export_record(path: str | Path) -> ExportRecord:
    """The export summary saved in ``path``.

    Raises:
        RecordError: unreadable, not an export summary, a newer version, or a field of the wrong type.
    """
    return parse_export_record(load_json(path, WHAT), str(path))


def write_export_record(record: ExportRecord, path: str | Path) -> None:
    """Write ``record`` to ``path``, whole or not at all."""
    write_text_atomic(Path(path), record.to_json(indent=1))
