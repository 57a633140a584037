"""A mission scenario: satellite, instrument, stations, downlink, onboard configuration,
earthquake catalogue and background stream, read from TOML or taken from the built-in default.

Every table of the file is optional and every key in it too; what is left out keeps the
default below (``quakesat mission --write-scenario FILE`` writes them all out). Unknown
tables or keys, values of the wrong type and values out of range are a one-line
:class:`~quakesat.errors.ConfigError`, never a half-run mission. The default is one day of a
Sentinel-1-like satellite: sun-synchronous, 175 orbits in 12 days (about 693 km), local
time of ascending node 18:00, IW swath 250 km from 29.1° incidence, looking right; Svalbard
(KSAT SvalSat) and Matera (ASI Centro di Geodesia Spaziale, a Sentinel-1 core station) at a
5° mask; the built-in sample of historical earthquakes.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from quakesat.errors import ConfigError
from quakesat.mission.contacts import Station
from quakesat.mission.swath import Swath
from quakesat.runtime.flight import EMIT_MODES, GATE_MODES

#: Operating modes (README "Mission simulation").
MODES = ("survey", "cued")
RUNTIMES = ("python", "cpp")
CATALOGUE_SOURCES = ("historical", "random", "list")
STORE_DIRECTIONS = ("descending", "ascending")


@dataclass(frozen=True)
class SatelliteSpec:
    """The orbit: a TLE (``tle = [line1, line2]``), else the repeat-track sun-synchronous design.

    ``count = 2`` flies a second satellite in the same plane, its ground track the first one's
    half a repeat cycle later (Sentinel-1A and B: 180° apart, a 6-day combined repeat;
    :func:`quakesat.mission.orbit.interleave_phase_deg`); each flies its own mission and the
    ground takes the first alert of either."""

    tle: tuple[str, ...] = ()
    repeat_days: int = 12
    orbits_per_repeat: int = 175
    ltan_hours: float = 18.0
    eccentricity: float = 0.0001
    argument_of_perigee_deg: float = 90.0
    count: int = 1

    def __post_init__(self) -> None:
        if self.tle and len(self.tle) != 2:
            raise ConfigError(f"satellite.tle must hold two lines, got {len(self.tle)}")
        if isinstance(self.count, bool) or self.count not in (1, 2):
            raise ConfigError(f"satellite.count must be 1 or 2, got {self.count!r}")
        if self.count == 2 and not self.tle and self.orbits_per_repeat % 2 == 0:
            raise ConfigError(f"satellite.count = 2 needs an odd orbits_per_repeat (got {self.orbits_per_repeat}): "
                              "the second satellite flies the first one's track half a repeat later, which an even "
                              "number puts in step with the first")


@dataclass(frozen=True)
class DownlinkSpec:
    """The link budget of a contact: ``rate_bps`` after ``overhead_s`` of acquisition of
    signal, at most ``max_bytes_per_contact`` (0: no cap)."""

    rate_bps: float = 64_000.0
    overhead_s: float = 30.0
    max_bytes_per_contact: int = 0

    def __post_init__(self) -> None:
        if not self.rate_bps > 0:
            raise ConfigError(f"downlink.rate_bps must be > 0, got {self.rate_bps}")
        if not self.overhead_s >= 0:
            raise ConfigError(f"downlink.overhead_s must be >= 0, got {self.overhead_s}")
        if self.max_bytes_per_contact < 0:
            raise ConfigError(f"downlink.max_bytes_per_contact must be >= 0, got {self.max_bytes_per_contact}")


@dataclass(frozen=True)
class OnboardSpec:
    """What flies: the runtime, the artifact and the queue, and the board it runs on.

    ``instructions_per_tile`` 0 means "take it from ``bench_json``" (a ``quakesat bench``
    result for the same artifacts), else the bench's last published Cortex-A53 figure for
    the default ``.pte`` (docs/benchmarks.md), said so in the report.
    """

    runtime: str = "python"
    artifacts: str = ""
    artifact: str = ""
    gate: str = "manifest"
    emit: str = "alerts"
    queue_capacity: int = 1024
    health_every: int = 1000
    board: str = "rpi3b+-a53"
    cores: int = 0
    instructions_per_tile: float = 0.0
    bench_json: str = ""

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise ConfigError(f"onboard.runtime must be one of {RUNTIMES}, got {self.runtime!r}")
        if self.emit not in EMIT_MODES:
            raise ConfigError(f"onboard.emit must be 'all' or 'alerts', got {self.emit!r}")
        if self.gate not in GATE_MODES:
            raise ConfigError(f"onboard.gate must be one of {GATE_MODES}, got {self.gate!r}")
        if self.queue_capacity < 1:
            raise ConfigError(f"onboard.queue_capacity must be >= 1, got {self.queue_capacity}")
        if self.health_every < 0 or self.cores < 0 or self.instructions_per_tile < 0:
            raise ConfigError("onboard.health_every, cores and instructions_per_tile must be >= 0")


@dataclass(frozen=True)
class EventSpec:
    """One earthquake of a ``list`` catalogue (or of the historical sample)."""

    name: str
    time: str  # ISO 8601 UTC
    latitude: float
    longitude: float
    depth_km: float
    mw: float

    def __post_init__(self) -> None:
        parse_time(self.time, f"event {self.name!r} time")
        if not -90.0 <= self.latitude <= 90.0 or not -180.0 <= self.longitude <= 180.0:
            raise ConfigError(f"event {self.name!r}: ({self.latitude}, {self.longitude}) is not a latitude/longitude")
        if not 0.0 <= self.depth_km <= 700.0:
            raise ConfigError(f"event {self.name!r}: depth must be within 0..700 km, got {self.depth_km}")
        if not 3.0 <= self.mw <= 9.5:
            raise ConfigError(f"event {self.name!r}: Mw must be within 3..9.5, got {self.mw}")


@dataclass(frozen=True)
class CatalogueSpec:
    """The earthquakes. ``historical``: the built-in sample of real events (their places,
    depths and magnitudes), re-timed at random into the window; ``random``: ``count`` events
    around the sample's epicentres with Gutenberg–Richter magnitudes; ``list``: ``events``
    as given, at their own times."""

    source: str = "historical"
    count: int = 16
    mw_range: tuple[float, float] = (5.5, 7.5)
    events: tuple[EventSpec, ...] = ()

    def __post_init__(self) -> None:
        if self.source not in CATALOGUE_SOURCES:
            raise ConfigError(f"catalogue.source must be one of {CATALOGUE_SOURCES}, got {self.source!r}")
        if not 0 <= self.count <= 10_000:
            raise ConfigError(f"catalogue.count must be within 0..10000, got {self.count}")
        low, high = self.mw_range
        if not 3.0 <= low <= high <= 9.5:
            raise ConfigError(f"catalogue.mw_range must satisfy 3 <= low <= high <= 9.5, got {self.mw_range}")
        if self.source == "list" and not self.events:
            raise ConfigError("catalogue.source 'list' needs [[catalogue.events]]")


@dataclass(frozen=True)
class TilesSpec:
    """Tiles simulated and run: ``event_grid`` x ``event_grid`` around each imaged epicentre,
    and a sample of event-free tiles standing for the rest of the survey."""

    event_grid: int = 3
    background_sample: int = 64
    changed_share: float = 0.5
    workers: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.event_grid <= 8:
            raise ConfigError(f"tiles.event_grid must be within 1..8, got {self.event_grid}")
        if not 0 <= self.background_sample <= 5000:
            raise ConfigError(f"tiles.background_sample must be within 0..5000, got {self.background_sample}")
        if not 0.0 <= self.changed_share <= 1.0:
            raise ConfigError(f"tiles.changed_share must be within 0..1, got {self.changed_share}")


@dataclass(frozen=True)
class CueSpec:
    """Cued mode: a seismic agency's notification reaches the ground ``agency_latency_s``
    after the origin (USGS posts events outside the US in about 20 minutes) and is uplinked
    at the next contact; for ``active_hours`` afterwards, tiles within ``radius_km`` of it are
    processed (and only those: the rest of the recording is not)."""

    radius_km: float = 100.0
    agency_latency_s: float = 1200.0
    active_hours: float = 72.0

    def __post_init__(self) -> None:
        if not 1.0 <= self.radius_km <= 2000.0:
            raise ConfigError(f"cue.radius_km must be within 1..2000, got {self.radius_km}")
        if not self.agency_latency_s >= 0:
            raise ConfigError(f"cue.agency_latency_s must be >= 0, got {self.agency_latency_s}")
        if not 0.0 < self.active_hours <= 24.0 * 60:
            raise ConfigError(f"cue.active_hours must be within 0..1440, got {self.active_hours}")


@dataclass(frozen=True)
class StoreSpec:
    """The on-board reference store a same-track model needs (mission/store_survey.py):
    ``budget_gb`` (0: the store study's default budget) and the pass direction its references
    are of. Amplitude models need no store and ignore it."""

    budget_gb: float = 0.0
    direction: str = "descending"

    def __post_init__(self) -> None:
        if not (self.budget_gb == 0 or 0.01 <= self.budget_gb <= 10_000):
            raise ConfigError(f"store.budget_gb must be 0 (the study's default) or within 0.01..10000, "
                              f"got {self.budget_gb}")
        if self.direction not in STORE_DIRECTIONS:
            raise ConfigError(f"store.direction must be one of {STORE_DIRECTIONS}, got {self.direction!r}")


def _default_stations() -> tuple[Station, ...]:
    return (Station("Svalbard", 78.2297, 15.3975, 500.0, 5.0), Station("Matera", 40.6486, 16.7046, 540.0, 5.0))


@dataclass(frozen=True)
class Scenario:
    """A whole mission scenario (see the module doc)."""

    name: str = "default: one day of a Sentinel-1-like satellite"
    start: str = "2026-01-01T00:00:00Z"
    duration_hours: float = 24.0
    step_s: float = 10.0
    seed: int = 0
    modes: tuple[str, ...] = MODES
    satellite: SatelliteSpec = field(default_factory=SatelliteSpec)
    instrument: Swath = field(default_factory=Swath)
    stations: tuple[Station, ...] = field(default_factory=_default_stations)
    downlink: DownlinkSpec = field(default_factory=DownlinkSpec)
    onboard: OnboardSpec = field(default_factory=OnboardSpec)
    catalogue: CatalogueSpec = field(default_factory=CatalogueSpec)
    tiles: TilesSpec = field(default_factory=TilesSpec)
    cue: CueSpec = field(default_factory=CueSpec)
    store: StoreSpec = field(default_factory=StoreSpec)

    def __post_init__(self) -> None:
        parse_time(self.start, "start")
        if not 0.5 <= self.duration_hours <= 24.0 * 60:
            raise ConfigError(f"duration_hours must be within 0.5..1440, got {self.duration_hours}")
        if not 1.0 <= self.step_s <= 60.0:
            raise ConfigError(f"step_s must be within 1..60 seconds, got {self.step_s}")
        if not self.modes or any(mode not in MODES for mode in self.modes):
            raise ConfigError(f"modes must be a non-empty list of {MODES}, got {list(self.modes)}")
        if not self.stations:
            raise ConfigError("a scenario needs at least one ground station")

    @property
    def start_unix(self) -> int:
        return parse_time(self.start, "start")

    @property
    def end_unix(self) -> int:
        return self.start_unix + int(round(self.duration_hours * 3600))


def parse_time(text: str, what: str) -> int:
    """Unix seconds of an ISO 8601 time (``Z`` or an offset; naive means UTC)."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{what} {text!r} is not an ISO 8601 time (e.g. 2026-01-01T00:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = moment.timestamp()
    if not 0 < seconds < 2 ** 32:
        raise ConfigError(f"{what} {text!r} is outside 1970..2106 (the message's u32 time)")
    return int(seconds)


# ─── TOML ────────────────────────────────────────────────────────────────────────────
def _convert(value: Any, kind: Any, where: str) -> Any:
    origin = get_origin(kind)
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table")
        return _build(kind, value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list")
        args = get_args(kind)
        item = args[0] if len(args) == 2 and args[1] is Ellipsis else None
        if item is None and len(args) != len(value):
            raise ConfigError(f"{where} must hold {len(args)} values, got {len(value)}")
        return tuple(_convert(v, item or args[i], f"{where}[{i}]") for i, v in enumerate(value))
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{where} must be a finite number, got {value!r}")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, got {value!r}")
        return value
    return value


def _build(cls: type, table: dict[str, Any], where: str) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(table) - names)
    if unknown:
        raise ConfigError(f"{where or 'scenario'}: unknown key {unknown[0]!r} (known: {', '.join(sorted(names))})")
    values = {name: _convert(value, hints[name], f"{where + '.' if where else ''}{name}")
              for name, value in table.items()}
    return cls(**values)


def scenario_from_dict(table: dict[str, Any]) -> Scenario:
    """A scenario from a parsed TOML table (ConfigError on anything it cannot use)."""
    return _build(Scenario, table, "")


def load_scenario(path: str | Path | None) -> Scenario:
    """The scenario in ``path`` (TOML), or the built-in default for None."""
    if path is None:
        return Scenario()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read scenario {path}: {getattr(err, 'strerror', None) or err}") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"scenario {path} is not valid TOML: {err}") from None
    return scenario_from_dict(table)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(type(value))


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as TOML that :func:`load_scenario` reads back to an equal scenario."""
    lines: list[str] = ["# quakesat mission scenario (README \"Mission simulation\")"]
    tables: list[str] = []
    for f in dataclasses.fields(scenario):
        value = getattr(scenario, f.name)
        if dataclasses.is_dataclass(value):
            tables.append(f"\n[{f.name}]")
            for g in dataclasses.fields(value):
                inner = getattr(value, g.name)
                if isinstance(inner, tuple) and inner and dataclasses.is_dataclass(inner[0]):
                    for item in inner:
                        tables.append(f"\n[[{f.name}.{g.name}]]")
                        tables += [f"{h.name} = {_toml_value(getattr(item, h.name))}" for h in dataclasses.fields(item)]
                    continue
                tables.append(f"{g.name} = {_toml_value(inner)}")
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for item in value:
                tables.append(f"\n[[{f.name}]]")
                tables += [f"{h.name} = {_toml_value(getattr(item, h.name))}" for h in dataclasses.fields(item)]
        else:
            lines.append(f"{f.name} = {_toml_value(value)}")
    return "\n".join(lines + tables) + "\n"
