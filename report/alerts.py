"""What the report page says about each alert: did it catch a true earthquake, and whose is it.

**Truth.** An alert is *caught* when it matches a true event and *false* when the truth says
there was none; where the folder holds no truth for it, it is an *alert (truth unknown)*, never
guessed. The truth the report can read:

- a tile list (``tiles.jsonl``) whose lines carry ``"label"`` (1 or true: the tile shows an
  earthquake; 0 or false: it does not): a ground stream's alert is judged by its tile id, in
  the lists of its model's tile kind (``"kind"``; the model known from the id its messages
  carry and a manifest in the folder), since lists of the two kinds number their tiles
  independently. Where the kind is not known, tile ids that two lists label differently are
  left unknown; so is an alert more than
  :data:`MATCH_KM` from the listed tile's centre (the id names another tile: a list of
  another run);
- a mission's catalogue (``mission.json`` ``catalogue``): a downlinked alert within
  :data:`MATCH_KM` of a catalogue earthquake's epicentre caught that earthquake, any other
  alert is false (the mission simulates event tiles only around its earthquakes: at most an
  8 x 8 grid of 5 km tiles, so within about 30 km of the epicentre).

**Whose.** In a demo folder (``demo_report.json``) each ground stream has a role: the flown
flagship (the interferometric model), the seed's amplitude model, the log-ratio baseline, or a
C++ parity copy. The flown model's stream comes first on the page; a baseline is labelled as
such. Outside a demo folder the streams keep the order they were found in (runs first).

Every value here comes from untrusted files: only finite numbers in range are used.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quakesat.report.values import finite_number

#: The three verdicts on an alert, in the order the legend lists them.
CAUGHT, FALSE, UNKNOWN = "caught", "false", "unknown"
TRUTH_TEXT = {CAUGHT: "caught earthquake", FALSE: "false alert", UNKNOWN: "alert (truth unknown)"}
#: Colour, matplotlib marker and HTML symbol of each verdict, on the maps and in the tables
#: (Okabe-Ito colours, told apart with colour vision deficiencies; the symbols differ as well).
TRUTH_STYLES = {CAUGHT: ("#009E73", "o", "\u25CF"), FALSE: ("#D55E00", "X", "\u2716"),
                UNKNOWN: ("#CC79A7", "^", "\u25B2")}
#: A mission alert this close to a catalogue epicentre caught that earthquake (km).
MATCH_KM = 50.0
EARTH_RADIUS_KM = 6371.0
MAX_LINES = 1_000_000
MAX_QUAKES = 10_000


def _as_dict(record: Any) -> Mapping[str, Any]:
    """A record (with ``to_dict``) or its JSON object as a mapping; {} for anything else."""
    if isinstance(record, Mapping):
        return record
    to_dict = getattr(record, "to_dict", None)
    obj = to_dict() if callable(to_dict) else None
    return obj if isinstance(obj, Mapping) else {}


def _label(value: Any) -> bool | None:
    """A tile list's ``label`` as event (True) / no event (False), None when it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def distance_km(lat0: float, lon0: float, lat1: float, lon1: float) -> float:
    """Great-circle distance (haversine on a sphere of :data:`EARTH_RADIUS_KM`)."""
    p0, p1 = math.radians(lat0), math.radians(lat1)
    dp, dl = p1 - p0, math.radians(lon1 - lon0)
    h = math.sin(dp / 2) ** 2 + math.cos(p0) * math.cos(p1) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Quake:
    """One catalogue earthquake the map draws and mission alerts are matched against."""

    index: Any
    name: str
    lat: float
    lon: float
    mw: float | None


@dataclass
class Truth:
    """What the folder says is true: tile labels by tile id, and/or catalogue earthquakes."""

    labels: dict[str, tuple[bool, float | None, float | None]] = field(default_factory=dict)  # label, centre
    quakes: list[Quake] = field(default_factory=list)
    source: str = ""

    @property
    def known(self) -> bool:
        return bool(self.labels or self.quakes)

    def judge(self, tile_id: str, lat: float | None, lon: float | None) -> tuple[str, str]:
        """(verdict, the earthquake caught or '') of one alert; see the module doc."""
        if self.quakes:
            if lat is None or lon is None:
                return UNKNOWN, ""
            nearest = min(self.quakes, key=lambda q: distance_km(lat, lon, q.lat, q.lon))
            if distance_km(lat, lon, nearest.lat, nearest.lon) <= MATCH_KM:
                return CAUGHT, nearest.name
            return FALSE, ""
        listed = self.labels.get(tile_id)
        if listed is None:
            return UNKNOWN, ""
        label, centre_lat, centre_lon = listed
        if None not in (lat, lon, centre_lat, centre_lon) and \
                distance_km(lat, lon, centre_lat, centre_lon) > MATCH_KM:  # type: ignore[arg-type]
            return UNKNOWN, ""
        return (CAUGHT, "") if label else (FALSE, "")


def tile_list_truth(paths: Iterable[Path], kind: str | None = None) -> Truth:
    """The ``label`` of every tile list line that has one, by tile id (see the module doc).
    With ``kind`` (``amplitude`` or ``same_track``), only lines of that tile kind count: lists
    of the two kinds number their tiles independently, so a stream whose model takes one kind
    is judged by that kind's lists alone."""
    labels: dict[str, tuple[bool, float | None, float | None]] = {}
    conflicting: set[str] = set()
    for path in paths:
        try:
            with path.open("r", encoding="utf-8", errors="replace") as handle:
                for number, line in enumerate(handle):
                    if number >= MAX_LINES:
                        break
                    try:
                        obj = json.loads(line)
                    except (ValueError, RecursionError):
                        continue
                    if not isinstance(obj, dict) or "label" not in obj:
                        continue
                    if kind is not None and obj.get("kind", "amplitude") != kind:
                        continue
                    label, tile_id = _label(obj.get("label")), obj.get("tile_id")
                    if label is None or isinstance(tile_id, bool) or not isinstance(tile_id, (int, str)):
                        continue
                    key = str(tile_id)[:40]
                    lat, lon = finite_number(obj.get("lat")), finite_number(obj.get("lon"))
                    centre = (lat, lon) if lat is not None and lon is not None else (None, None)
                    if labels.setdefault(key, (label, *centre))[0] != label:
                        conflicting.add(key)
        except OSError:
            continue
    for key in conflicting:
        del labels[key]
    return Truth(labels=labels, source="the tile lists' labels" if labels else "")


def catalogue_quakes(mission: Any) -> list[Quake]:
    """The catalogue earthquakes of a ``mission.json`` (its record or JSON object) that have a
    usable epicentre."""
    catalogue = _as_dict(mission).get("catalogue")
    quakes = []
    for quake in catalogue[:MAX_QUAKES] if isinstance(catalogue, list) else []:
        if not isinstance(quake, dict):
            continue
        lat, lon = finite_number(quake.get("latitude")), finite_number(quake.get("longitude"))
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        name = quake.get("name")
        quakes.append(Quake(quake.get("index"), name[:120] if isinstance(name, str) else "", lat, lon,
                            finite_number(quake.get("mw"))))
    return quakes


def mission_truth(mission: Any) -> Truth:
    """A mission's catalogue as the truth of its downlinked alerts."""
    quakes = catalogue_quakes(mission)
    return Truth(quakes=quakes, source=f"the mission's catalogue (an alert within {MATCH_KM:.0f} km of an "
                                        "epicentre caught it)" if quakes else "")


def alert_truth(row: dict[str, Any], truth: Truth | None) -> dict[str, Any]:
    """``row`` (one alert of a stream view) with its verdict: ``truth`` (caught / false /
    unknown), ``truth_text``, ``caught`` (the earthquake's name where one is known) and the
    verdict's colour and symbol."""
    verdict, quake = (UNKNOWN, "") if truth is None else truth.judge(str(row.get("tile_id", "")), row.get("lat"),
                                                                     row.get("lon"))
    return row | {"truth": verdict, "truth_text": TRUTH_TEXT[verdict], "caught": quake,
                  "truth_colour": TRUTH_STYLES[verdict][0], "truth_symbol": TRUTH_STYLES[verdict][2]}


# ─── whose stream ────────────────────────────────────────────────────────────────────────
#: demo_report.json key of a stream → (rank on the page, its role, how the page names it).
DEMO_ROLES = {
    "insar_messages": (0, "flown", "flown model: the flagship (interferometric QuakeLite)"),
    "messages": (1, "seed", "the seed's amplitude model (for comparison)"),
    "baseline_messages": (2, "baseline", "baseline: the log-ratio rule (for comparison, not flown)"),
    "insar_cpp_runner": (3, "parity", "C++ runner parity copy of the flagship"),
    "cpp_runner": (4, "parity", "C++ runner parity copy of the amplitude model"),
}


def demo_roles(demos: Iterable[tuple[Path, Any]]) -> dict[Path, tuple[int, str, str]]:
    """Stream path → (rank, role, label) from the demo reports (records or JSON objects) of the
    folder (module doc)."""
    roles: dict[Path, tuple[int, str, str]] = {}
    for path, record in demos:
        demo = _as_dict(record)
        for key, role in DEMO_ROLES.items():
            block = demo.get(key)
            if not isinstance(block, dict):
                continue
            recorded = block.get("file") if isinstance(block.get("file"), str) else block.get("stream")
            if isinstance(recorded, str) and recorded:
                name = Path(recorded[:4096]).name
                for stream in (path.with_name(name), path.with_name(name).with_suffix(".jsonl")):
                    roles.setdefault(stream, role)
    return roles


def order_streams(streams: list[Any], roles: Mapping[str, tuple[int, str, str]]) -> list[Any]:
    """``streams`` with the flown model's first, then by role (module doc), else in the order
    given; each gets its ``role_kind`` and ``role_label`` (empty where no role is known).
    ``roles`` is keyed by the stream's name on the page."""
    ranked = []
    for number, stream in enumerate(streams):
        rank, kind, label = roles.get(stream.name, (len(DEMO_ROLES), "", ""))
        stream.role_kind, stream.role_label = kind, label
        ranked.append((rank, number, stream))
    return [stream for _, _, stream in sorted(ranked, key=lambda item: item[:2])]
