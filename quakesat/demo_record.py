"""The record ``quakesat demo`` writes at the end: ``demo_report.json``.

``"format": "quakesat-demo"``, version :data:`VERSION`. The fields keep their names: the
folder, the simulation, the verdicts (``verdict``, ``insar_verdict``: what the models'
scores mean against the baselines, as a sentence under ``says``), the C++ parity checks
(``cpp_runner``, ``insar_cpp_runner``) and the seconds it took; every other stage's result
(data, difficulty, models, export, messages, bench, mission) is kept as written in ``extra``.
A leaf module (standard library and :mod:`quakesat.records`), so that ``quakesat report``
reads it without importing the demo. :func:`read_demo_record` is the one reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quakesat.files import write_text_atomic
from quakesat.records import Fields, check_header, load_json, record_json

FORMAT = "quakesat-demo"
VERSION = 1
WHAT = "quakesat demo summary"


@dataclass(frozen=True)
class DemoRecord:
    """One demo's summary (``demo_report.json``)."""

    out: str
    simulate: dict[str, Any]
    verdict: dict[str, Any]
    seconds: float | None = None
    insar_verdict: dict[str, Any] | None = None
    cpp_runner: dict[str, Any] | None = None
    insar_cpp_runner: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The record as the JSON object it is written as (``format`` and ``version`` first)."""
        body: dict[str, Any] = {"format": FORMAT, "version": VERSION, "out": self.out, "simulate": self.simulate,
                                "verdict": self.verdict}
        for key in ("insar_verdict", "cpp_runner", "insar_cpp_runner"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        body.update({k: v for k, v in self.extra.items() if k not in body})
        body["seconds"] = self.seconds
        return body

    def to_json(self) -> str:
        """The record's JSON text."""
        return record_json(self.to_dict(), indent=2)


def parse_demo_record(obj: Any, source: str = "demo summary") -> DemoRecord:
    """A parsed ``demo_report.json`` as a :class:`DemoRecord`, checked field by field.

    Raises:
        RecordError: another kind of file, a newer version, or a field of the wrong type.
    """
    fields = Fields(check_header(obj, FORMAT, VERSION, WHAT, source), WHAT, source)
    return DemoRecord(
        out=fields.text("out"), simulate=fields.mapping("simulate"), verdict=fields.mapping("verdict"),
        seconds=fields.optional_number("seconds"), insar_verdict=fields.optional_mapping("insar_verdict"),
        cpp_runner=fields.optional_mapping("cpp_runner"), insar_cpp_runner=fields.optional_mapping("insar_cpp_runner"),
        extra=fields.rest())


def demo_summary(summary: dict[str, Any]) -> DemoRecord:
    """The demo's summary (its stages' results, untagged) as its record; a summary that breaks
    the record's shape is a :class:`~quakesat.errors.RecordError` here, not in a reader."""
    return parse_demo_record({"format": FORMAT, "version": VERSION, **summary}, "the demo's summary")


def read_demo_record(path: str | Path) -> DemoRecord:
    """The ``demo_report.json`` in ``path``.

    Raises:
        RecordError: unreadable, not a demo summary, a newer version, or a field of the wrong type.
    """
    return parse_demo_record(load_json(path, WHAT), str(path))


def write_demo_record(record: DemoRecord, path: str | Path) -> None:
    """Write ``record`` to ``path``, whole or not at all."""
    write_text_atomic(Path(path), record.to_json())
