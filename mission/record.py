"""The record ``quakesat mission`` writes: ``mission.json``.

``"format": "quakesat-mission"``, version :data:`VERSION`. The fields keep their names
(docs/mission.md): the scenario, the window, the orbit and swath, the ground stations and the
merged contacts, the model flown, the onboard processing, the catalogue and how often each
earthquake was imaged, per mode (survey, cued) its figures (:func:`quakesat.mission.run.mode_metrics`;
each event's ``chain`` of milestones and its ``ground_routes``), the queue's fill over time, and
the files written. Added within version 1 (a reader of the first files finds them empty):
``constellation`` (how many satellites flew, their phases and, with two, ``what_it_buys``),
``satellites`` (with two: each one's own orbit, contacts and per-mode figures; ``modes`` then
holds the pair's), and ``goal`` (each mode's acquisition → alert median against the goal).
:func:`read_mission_record` is the one reader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quakesat.errors import RecordError
from quakesat.files import write_text_atomic
from quakesat.records import Fields, check_header, load_json, record_json

FORMAT = "quakesat-mission"
VERSION = 1
WHAT = "quakesat mission result"


@dataclass(frozen=True)
class MissionWindow:
    """The simulated window: start and end (Unix seconds), its length in hours and in orbits."""

    start: float
    end: float
    hours: float
    orbits: float


@dataclass(frozen=True)
class MissionRecord:
    """One mission simulation's results (``mission.json``)."""

    scenario: str
    window: MissionWindow
    contacts: list[dict[str, Any]]
    modes: dict[str, dict[str, Any]]
    model: dict[str, Any]
    orbit: dict[str, Any] = field(default_factory=dict)
    swath: dict[str, Any] = field(default_factory=dict)
    stations: dict[str, Any] = field(default_factory=dict)
    processing: dict[str, Any] = field(default_factory=dict)
    catalogue: list[dict[str, Any]] = field(default_factory=list)
    looks: dict[str, Any] = field(default_factory=dict)
    queue_timeline: dict[str, Any] = field(default_factory=dict)
    simulated_tiles: int = 0
    seconds: float = 0.0
    files: dict[str, str] = field(default_factory=dict)
    constellation: dict[str, Any] = field(default_factory=dict)
    satellites: dict[str, dict[str, Any]] = field(default_factory=dict)
    goal: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The record as the JSON object it is written as (``format`` and ``version`` first)."""
        body = {
            "format": FORMAT, "version": VERSION, "scenario": self.scenario,
            "window": {"start": self.window.start, "end": self.window.end, "hours": self.window.hours,
                       "orbits": self.window.orbits},
            "orbit": self.orbit, "swath": self.swath, "stations": self.stations, "contacts": self.contacts,
            "model": self.model, "processing": self.processing, "catalogue": self.catalogue, "looks": self.looks,
            "modes": self.modes, "queue_timeline": self.queue_timeline, "simulated_tiles": self.simulated_tiles,
            "seconds": self.seconds,
        }
        if self.files:
            body["files"] = dict(self.files)
        body.update({key: value for key, value in (("constellation", self.constellation),
                                                   ("satellites", self.satellites), ("goal", self.goal)) if value})
        body.update({k: v for k, v in self.extra.items() if k not in body})
        return body

    def to_json(self) -> str:
        """The record's JSON text."""
        return record_json(self.to_dict())


def parse_mission_record(obj: Any, source: str = "mission result") -> MissionRecord:
    """A parsed ``mission.json`` as a :class:`MissionRecord`, checked field by field (the
    per-mode figures are objects; what is in them is the producer's).

    Raises:
        RecordError: another kind of file, a newer version, or a field of the wrong type.
    """
    fields = Fields(check_header(obj, FORMAT, VERSION, WHAT, source), WHAT, source)
    window = fields.mapping("window")
    contacts = fields.items("contacts")
    modes = fields.mapping("modes")
    for name, figures in modes.items():
        if not isinstance(figures, dict):
            raise RecordError(f"{source}: {WHAT} field 'modes.{name}' must be an object", f"modes.{name}")
    for number, contact in enumerate(contacts):
        if not isinstance(contact, dict) or not all(_finite(contact.get(k)) for k in ("start", "end")):
            raise RecordError(f"{source}: {WHAT} field 'contacts[{number}]' must be an object with a start and an "
                              "end (Unix seconds)", f"contacts[{number}]")
    files = fields.optional_mapping("files") or {}
    satellites = fields.optional_mapping("satellites") or {}
    for name, satellite in satellites.items():
        if not isinstance(satellite, dict) or not isinstance(satellite.get("modes", {}), dict):
            raise RecordError(f"{source}: {WHAT} field 'satellites.{name}' must be an object whose 'modes' is an "
                              "object", f"satellites.{name}")
    return MissionRecord(
        scenario=fields.text("scenario"),
        window=MissionWindow(*(_window_number(window, key, source) for key in ("start", "end", "hours", "orbits"))),
        contacts=contacts, modes=modes, model=fields.mapping("model"),
        orbit=fields.optional_mapping("orbit") or {}, swath=fields.optional_mapping("swath") or {},
        stations=fields.optional_mapping("stations") or {},
        processing=fields.optional_mapping("processing") or {},
        catalogue=fields.optional_items("catalogue"), looks=fields.optional_mapping("looks") or {},
        queue_timeline=fields.optional_mapping("queue_timeline") or {},
        simulated_tiles=fields.optional_count("simulated_tiles") or 0,
        seconds=fields.optional_number("seconds") or 0.0,
        files={str(k): str(v) for k, v in files.items()},
        constellation=fields.optional_mapping("constellation") or {},
        satellites=satellites,
        goal=fields.optional_mapping("goal") or {},
        extra=fields.rest(),
    )


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _window_number(window: dict[str, Any], key: str, source: str) -> float:
    value = window.get(key)
    if not _finite(value):
        raise RecordError(f"{source}: {WHAT} field 'window.{key}' must be a finite number, found {str(value)[:60]!r}",
                          f"window.{key}")
    return value  # type: ignore[no-any-return]  # int stays int in the JSON


def read_mission_record(path: str | Path) -> MissionRecord:
    """The ``mission.json`` in ``path``.

    Raises:
        RecordError: unreadable, not a mission result, a newer version, or a field of the wrong type.
    """
    return parse_mission_record(load_json(path, WHAT), str(path))


def write_mission_record(record: MissionRecord, path: str | Path) -> None:
    """Write ``record`` to ``path``, whole or not at all."""
    write_text_atomic(Path(path), record.to_json())
