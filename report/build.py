"""``quakesat report``: one self-contained HTML page from whatever the other commands wrote.

:func:`write_report` walks a folder, recognises each file by its content (never by its name
alone) and renders ``report.html`` from the template ``templates/report.html.j2`` (Jinja2,
autoescaping on):

- a ``quakesat run`` record (``OUT.report.json``, ``"format": "quakesat-run"``) with the
  stream it describes (``OUT.bin``, else ``OUT.jsonl``);
- a downlink stream (``.bin``: whole 32-byte messages, the first one valid) or its decode
  (``.jsonl`` whose lines carry ``kind`` and ``reason``), read with :mod:`quakesat.ground.decode`;
- a tile list (``.jsonl`` lines with ``pre``, ``post``, ``lat``, ``lon``): the tiles' footprints;
- ``mission.json`` of ``quakesat mission`` (``"format": "quakesat-mission"``) and the
  ``MODE_downlink.bin`` streams beside it;
- ``bench.json`` (``"format": "quakesat-bench"``);
- an export's ``manifest.json`` (``"format": "quakesat-manifest"``), read by
  :func:`quakesat.runtime.manifest.load_manifest`, and a saved export summary
  (``"format": "quakesat-export"``);
- ``demo_report.json`` of ``quakesat demo`` (``"format": "quakesat-demo"``).

A JSON file is taken by its ``format`` tag alone, and read by that record's own reader
(:data:`READERS`, each beside its producer): a file the reader refuses (another version, a
field of the wrong type) is a warning line on the page, never the end of the report.

Any subset is fine: the page says plainly what was not found. Every string read from these
files is untrusted (a tile id or a status name in a hostile stream): the template escapes
everything, and the page loads nothing from anywhere (plots are PNG data URIs, the style is
inline, there is no script, and a Content-Security-Policy forbids any other source).
Numbers are taken only where they are numbers; a file that breaks the shape its kind should
have becomes a warning on the page, not the end of the report.
"""

from __future__ import annotations

import functools
import heapq
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quakesat import __version__
from quakesat.bench.record import BenchRecord, parse_bench_record
from quakesat.demo_record import DemoRecord, parse_demo_record
from quakesat.errors import QuakesatError, RecordError
from quakesat.export.record import ExportRecord, parse_export_record
from quakesat.files import write_text_atomic
from quakesat.ground.decode import iter_stream, to_json_dict
from quakesat.ground.run_record import RunRecord, parse_run_record
from quakesat.mission.record import MissionRecord, parse_mission_record
from quakesat.records import MAX_RECORD_BYTES
from quakesat.report.alerts import Truth, alert_truth, demo_roles, mission_truth, order_streams, tile_list_truth
from quakesat.report.values import finite_number
from quakesat.runtime.message import MESSAGE_LENGTH
from quakesat.runtime.status import parse_status

#: The page ``quakesat report DIR`` writes when ``--out`` is not given.
REPORT_NAME = "report.html"
TEMPLATE = "report.html.j2"
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: How deep below DIR files are looked for, and how many are looked at in all.
MAX_DEPTH = 4
MAX_FILES = 20_000
#: Larger JSON files are not read (mission.json of a one-day mission is about 80 kB).
MAX_JSON_BYTES = MAX_RECORD_BYTES
#: A stream is decoded up to this many bytes (a million messages); the rest is reported as not read.
MAX_STREAM_BYTES = 32 * 2**20
MAX_JSONL_LINES = 1_000_000
#: Alerts listed per stream (the most confident first), tiles drawn per map.
ALERT_ROWS = 100
MAP_POINTS = 200_000
MAP_FOOTPRINTS = 5_000
#: Tiles whose image side is read from their ``.npy`` header for the footprint.
FOOTPRINT_HEADERS = 2_000
TEXT_LIMIT = 400
SKIP_DIRS = {"__pycache__", "node_modules"}


class NothingToReportError(QuakesatError, FileNotFoundError):
    """The folder holds nothing that quakesat run, mission, bench, export or demo writes."""


# ─── untrusted values ───────────────────────────────────────────────────────────────────
def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any, limit: int = TEXT_LIMIT) -> str:
    """Any value as a bounded string ('' for None); escaping is the template's job."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str) if isinstance(value, (dict, list)) \
        else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@functools.lru_cache(maxsize=256)  # a stream repeats a handful of names; a hostile one cannot grow it
def _category(reason: str) -> str:
    """The status category of a status name, ``unknown`` for a name no Status has."""
    try:
        return parse_status(reason).category.value
    except ValueError:
        return "unknown"


def _utc(unix: Any) -> str:
    seconds = finite_number(unix)
    if seconds is None or not -1e11 < seconds < 1e11:
        return "–"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# ─── streams ────────────────────────────────────────────────────────────────────────────
@dataclass
class Stream:
    """What one downlink stream (binary, or its decoded JSON lines) says, aggregated as it is read."""

    name: str
    source: str  # "binary stream" or "decoded JSON lines"
    role: str = "stream"  # "run", "mission" or "stream"
    messages: int = 0
    tile_reports: int = 0
    health: int = 0
    events: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    model_ids: Counter[str] = field(default_factory=Counter)
    health_dropped: int = 0
    unplaced: int = 0
    unread_bytes: int = 0
    alerts: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)  # a heap of the most confident
    alert_points: list[tuple[float, float]] = field(default_factory=list)
    tile_points: list[tuple[str, float, float, bool]] = field(default_factory=list)
    truth: Truth | None = None  # what the folder says is true of its alerts (report/alerts.py)
    role_kind: str = ""  # in a demo folder: flown, seed, baseline or parity (report/alerts.py)
    role_label: str = ""

    def add(self, obj: Any) -> None:
        """Count one message, given as the JSON object ``quakesat decode`` prints."""
        if not isinstance(obj, dict):
            self.errors["not_an_object"] += 1
            return
        self.messages += 1
        kind = _text(obj.get("kind"), 40)
        reason = _text(obj.get("reason"), 80) or "(none)"
        self.model_ids[_text(obj.get("model_id"), 16)] += 1
        if kind == "health":
            self.health += 1
            self.health_dropped += max(_int(obj.get("dropped")) or 0, 0)  # since the previous health report
            return
        if kind != "tile_report":
            self.errors[f"unknown kind {kind!r}"[:80]] += 1
            return
        self.tile_reports += 1
        self.statuses[reason] += 1
        category = _category(reason)
        self.categories[category] += 1
        lat, lon = finite_number(obj.get("lat")), finite_number(obj.get("lon"))
        event = obj.get("event") is True
        located = obj.get("located") is True
        placed = (lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180
                  and reason not in ("no_georeference", "bad_georeference") and (lat, lon) != (0.0, 0.0))
        if not placed:
            self.unplaced += 1
        elif len(self.tile_points) < MAP_POINTS:
            self.tile_points.append((_text(obj.get("tile_id"), 40), lat, lon, event))  # type: ignore[arg-type]
        if not event:
            return
        self.events += 1
        if placed and len(self.alert_points) < MAP_POINTS:
            self.alert_points.append((lat, lon))  # type: ignore[arg-type]
        confidence = finite_number(obj.get("confidence"))
        row = {"tile_id": _text(obj.get("tile_id"), 40), "seq": _text(obj.get("seq"), 12), "reason": reason,
               "category": category, "confidence": confidence, "magnitude": finite_number(obj.get("magnitude")),
               "time": _text(obj.get("time"), 40), "lat": lat, "lon": lon, "located": located,
               "model_id": _text(obj.get("model_id"), 16)}
        item = (-1.0 if confidence is None else confidence, -self.events, row)
        if len(self.alerts) < ALERT_ROWS:
            heapq.heappush(self.alerts, item)
        else:
            heapq.heappushpop(self.alerts, item)

    def alert_rows(self) -> list[dict[str, Any]]:
        """The listed alerts, the most confident first (then in stream order)."""
        return [row for _, _, row in sorted(self.alerts, key=lambda item: (-item[0], -item[1]))]


def read_stream(path: Path, name: str) -> Stream:
    """Decode a binary stream (at most :data:`MAX_STREAM_BYTES` of it) into a :class:`Stream`."""
    stream = Stream(name, "binary stream")
    size = path.stat().st_size
    with path.open("rb") as handle:
        data = handle.read(MAX_STREAM_BYTES - MAX_STREAM_BYTES % MESSAGE_LENGTH)
    stream.unread_bytes = max(0, size - len(data))
    for _, item in iter_stream(data):
        if isinstance(item, Exception):
            stream.errors[item.reason] += 1  # type: ignore[attr-defined]
        else:
            stream.add(to_json_dict(item))
    return stream


def read_decoded(path: Path, name: str) -> Stream:
    """Read decoded messages (JSON lines, untrusted) into a :class:`Stream`."""
    stream = Stream(name, "decoded JSON lines")
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle):
            if number >= MAX_JSONL_LINES:
                stream.unread_bytes = max(1, path.stat().st_size - handle.tell())
                break
            if not line.strip():
                continue
            try:
                stream.add(json.loads(line))
            except (ValueError, RecursionError):
                stream.errors["not_json"] += 1
    return stream


def _is_stream(path: Path) -> bool:
    """Whole 32-byte messages whose first one decodes."""
    size = path.stat().st_size
    if not size or size % MESSAGE_LENGTH:
        return False
    with path.open("rb") as handle:
        first = handle.read(MESSAGE_LENGTH)
    return any(not isinstance(item, Exception) for _, item in iter_stream(first))


def _first_line(path: Path) -> Any:
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for _ in range(20):
            line = handle.readline(1 << 20)
            if not line:
                return None
            if line.strip():
                try:
                    return json.loads(line)
                except (ValueError, RecursionError):
                    return None
    return None


# ─── tile lists: footprints ─────────────────────────────────────────────────────────────
def _npy_side(path: Path) -> int | None:
    """The first image dimension recorded in a ``.npy`` header, None where there is none."""
    import numpy as np

    try:
        with path.open("rb") as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape = np.lib.format.read_array_header_1_0(handle)[0]
            else:
                shape = np.lib.format.read_array_header_2_0(handle)[0]
    except (OSError, ValueError, TypeError, SyntaxError):
        return None
    return int(shape[0]) if shape and isinstance(shape[0], int) and shape[0] > 0 else None


def read_tile_list(path: Path) -> dict[str, tuple[float, float, float | None]]:
    """Tile id → (lat, lon, side in km or None) of a tile list's tiles (untrusted lines skipped)."""
    tiles: dict[str, tuple[float, float, float | None]] = {}
    sides: dict[str, int | None] = {}
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle):
            if number >= MAX_JSONL_LINES:
                break
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if not isinstance(obj, dict):
                continue
            lat, lon = finite_number(obj.get("lat")), finite_number(obj.get("lon"))
            if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                continue
            spacing = finite_number(obj.get("pixel_spacing_m")) or 10.0
            side = None
            pre = obj.get("pre")
            if isinstance(pre, str) and len(tiles) < FOOTPRINT_HEADERS:
                if pre not in sides:
                    sides[pre] = _npy_side(path.parent / pre)
                side = sides[pre]
            elif sides:
                side = next(iter(sides.values()))
            tiles.setdefault(_text(obj.get("tile_id"), 40),
                             (lat, lon, side * spacing / 1000.0 if side and spacing > 0 else None))
    return tiles


# ─── finding the files ──────────────────────────────────────────────────────────────────
@dataclass
class Scan:
    """Every file of the folder that the report can use, by kind, and what it could not read."""

    folder: Path
    runs: list[tuple[Path, RunRecord]] = field(default_factory=list)
    missions: list[tuple[Path, MissionRecord]] = field(default_factory=list)
    benches: list[tuple[Path, BenchRecord]] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)
    exports: list[tuple[Path, ExportRecord]] = field(default_factory=list)
    demos: list[tuple[Path, DemoRecord]] = field(default_factory=list)
    streams: list[Path] = field(default_factory=list)
    decoded: list[Path] = field(default_factory=list)
    tile_lists: list[Path] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)  # a record its reader refused, and why
    other: list[Path] = field(default_factory=list)
    skipped_files: int = 0

    def name(self, path: Path) -> str:
        """``path`` relative to the folder, as the page shows it."""
        try:
            return path.relative_to(self.folder).as_posix()
        except ValueError:
            return path.as_posix()

    @property
    def empty(self) -> bool:
        return not (self.runs or self.missions or self.benches or self.manifests or self.exports or self.demos
                    or self.streams or self.decoded or self.rejected)


def _files(folder: Path, skip: Path | None) -> tuple[list[Path], int]:
    found: list[Path] = []
    skipped = 0
    for root, dirs, names in os.walk(folder):
        depth = len(Path(root).relative_to(folder).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS and depth < MAX_DEPTH)
        for name in sorted(names):
            path = Path(root) / name
            if name.startswith(".") or not path.is_file():
                continue
            if skip is not None and name == skip.name and path.resolve() == skip:
                continue
            if len(found) >= MAX_FILES:
                skipped += 1
                continue
            found.append(path)
    return found, skipped


def scan(folder: Path, skip: Path | None = None) -> Scan:
    """Sort the files under ``folder`` by their content (see the module doc)."""
    result = Scan(folder)
    files, result.skipped_files = _files(folder, skip)
    for path in files:
        suffix = path.suffix.lower()
        try:
            if suffix == ".json":
                _sort_json(result, path)
            elif suffix == ".jsonl":
                first = _first_line(path)
                if isinstance(first, dict) and "kind" in first and "reason" in first:
                    result.decoded.append(path)
                elif isinstance(first, dict) and {"pre", "post", "lat", "lon"} <= first.keys():
                    result.tile_lists.append(path)
                else:
                    result.other.append(path)
            elif suffix == ".bin":
                (result.streams if _is_stream(path) else result.other).append(path)
            elif suffix in (".md", ".png", ".html", ".h5", ".txt"):
                result.other.append(path)
        except OSError as err:
            result.unreadable.append((path, err.strerror or str(err)))
    return result


#: A record's ``format`` tag → its reader (beside its producer) and the Scan list it goes to.
READERS: dict[str, tuple[Any, str]] = {
    "quakesat-run": (parse_run_record, "runs"),
    "quakesat-mission": (parse_mission_record, "missions"),
    "quakesat-bench": (parse_bench_record, "benches"),
    "quakesat-export": (parse_export_record, "exports"),
    "quakesat-demo": (parse_demo_record, "demos"),
}
#: The manifest has its own reader (load_manifest), run when its section is built.
MANIFEST_FORMAT = "quakesat-manifest"


def _sort_json(result: Scan, path: Path) -> None:
    """File a JSON file by its ``format`` tag, read by that record's reader; no tag, no kind."""
    if path.stat().st_size > MAX_JSON_BYTES:
        result.unreadable.append((path, f"larger than {MAX_JSON_BYTES // 2**20} MiB, not read"))
        return
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        result.unreadable.append((path, f"not JSON ({_text(err, 200)})"))
        return
    fmt = obj.get("format") if isinstance(obj, dict) else None
    if fmt == MANIFEST_FORMAT:
        result.manifests.append(path)
    elif isinstance(fmt, str) and fmt in READERS:
        reader, kind = READERS[fmt]
        try:
            record = reader(obj, result.name(path))
        except RecordError as err:
            result.rejected.append((path, _text(err)))
            return
        getattr(result, kind).append((path, record))
    elif fmt is None and _written_by_quakesat(path):
        result.rejected.append((path, "no \"format\" tag: a result file of a quakesat older than its typed records; "
                                      "run the command again to include it"))
    else:
        result.other.append(path)


#: Names quakesat's commands give their result files: an untagged JSON file of such a name was
#: written before the records had tags, and the page says so instead of listing it quietly.
RESULT_NAMES = ("mission.json", "bench.json", "demo_report.json")


def _written_by_quakesat(path: Path) -> bool:
    return path.name in RESULT_NAMES or path.name.endswith(".report.json")


# ─── warnings ───────────────────────────────────────────────────────────────────────────
@dataclass
class Warnings:
    """The warnings section: (level, where, what); level ``error`` or ``warning``."""

    items: list[dict[str, str]] = field(default_factory=list)

    def add(self, level: str, where: str, text: str) -> None:
        self.items.append({"level": level, "where": where, "text": text})


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in counter.most_common(12))


def stream_warnings(stream: Stream, warn: Warnings, *, model_known: bool = False, drops_known: bool = False) -> None:
    """Bad input, model faults, deadline misses, tiles without position, decode errors, drops.

    ``model_known`` / ``drops_known``: the run's or mission's own report already says it (the
    health report's 16-bit drop count saturates; the reports count exactly)."""
    where = stream.name
    by_category: dict[str, Counter[str]] = {}
    for reason, count in stream.statuses.items():
        by_category.setdefault(_category(reason), Counter())[reason] = count
    if stream.errors:
        warn.add("error", where, f"{sum(stream.errors.values()):,} message(s) failed to decode: {_counts(stream.errors)}")
    if stream.unread_bytes:
        warn.add("warning", where, f"only the first part was read; {stream.unread_bytes:,} bytes not decoded")
    if "model" in by_category and not model_known:
        warn.add("error", where, f"{sum(by_category['model'].values()):,} tile(s) carry a model fault: "
                                 f"{_counts(by_category['model'])}")
    if "bad_input" in by_category:
        warn.add("warning", where, f"{sum(by_category['bad_input'].values()):,} tile(s) refused as bad input: "
                                   f"{_counts(by_category['bad_input'])}")
    if "resource" in by_category:
        warn.add("error", where, f"{sum(by_category['resource'].values()):,} tile(s) with a resource status: "
                                 f"{_counts(by_category['resource'])}")
    if "unknown" in by_category:
        warn.add("warning", where, f"{sum(by_category['unknown'].values()):,} tile(s) with a status no decoder knows: "
                                   f"{_counts(by_category['unknown'])}")
    if stream.unplaced:
        warn.add("warning", where, f"{stream.unplaced:,} tile report(s) without a usable position (no georeference): "
                                   "not on the map")
    if stream.health_dropped and not drops_known:
        warn.add("error", where, f"the onboard queue dropped {stream.health_dropped:,} message(s) "
                                 "(the health reports' counts)")


# ─── sections ───────────────────────────────────────────────────────────────────────────
def _stream_view(stream: Stream) -> dict[str, Any]:
    """One stream as the page shows it: its counts, its role, its alerts with their verdicts."""
    return {"name": stream.name, "source": stream.source, "role": stream.role, "messages": stream.messages,
            "tile_reports": stream.tile_reports, "health": stream.health, "events": stream.events,
            "statuses": stream.statuses.most_common(), "errors": sum(stream.errors.values()),
            "alerts": [alert_truth(row, stream.truth) for row in stream.alert_rows()],
            "model_ids": [m for m, _ in stream.model_ids.most_common(4)], "unplaced": stream.unplaced,
            "role_kind": stream.role_kind, "role_label": stream.role_label,
            "truth_source": stream.truth.source if stream.truth is not None and stream.truth.known else ""}


def _run_view(name: str, report: RunRecord, stream: Stream | None, warn: Warnings) -> dict[str, Any]:
    """One ``quakesat run`` record as the page shows it (its nested blocks are still untrusted); its warnings."""
    model, fault, profile = report.model, report.fault, report.profile
    stages = [{"stage": _text(stage, 40), "ms_per_tile": finite_number(_dict(row).get("ms_per_tile")),
               "ms_when_run": finite_number(_dict(row).get("ms_when_run")), "runs": _int(_dict(row).get("runs"))}
              for stage, row in _dict(profile.get("stages")).items()]
    sources = {_text(k, 40): v for k, v in (report.georeference_sources or {}).items()}
    if fault is not None:
        warn.add("error", name, f"model fault: {_text(fault.status, 80)}: {_text(fault.detail)}")
    dropped, missed = report.dropped, report.deadlines_missed
    if dropped:
        warn.add("error", name, f"the onboard queue dropped {dropped:,} message(s)")
    if missed:
        warn.add("error", name, f"{missed:,} tile(s) missed their deadline")
    unplaced = sources.get("none") or 0
    if unplaced:
        warn.add("warning", name, f"{unplaced:,} tile(s) had no georeference in the file (source 'none')")
    evaluation = report.evaluation or {}
    detection = _dict(evaluation.get("detection"))
    shortcut = _dict(evaluation.get("shortcut"))
    hard = _dict(shortcut.get("hard"))
    hard_negatives = _dict(shortcut.get("hard_negatives"))
    magnitude = _dict(evaluation.get("magnitude"))
    view = {"name": name, "stream": _text(report.stream), "tiles": report.tiles,
            "messages": report.messages, "bytes": report.bytes,
            "events_flagged": report.events_flagged, "dropped": dropped, "deadlines_missed": missed,
            "artifact": _text(model.artifact, 80) if model else "", "model_id": _text(model.model_id, 16) if model else "",
            "fault": None if fault is None else f"{_text(fault.status, 80)}: {_text(fault.detail)}",
            "config": [(_text(k, 40), _text(v, 80) or "none") for k, v in report.config.items()],
            "stages": stages, "tiles_per_s": finite_number(profile.get("tiles_per_s")),
            "wall_tiles_per_s": finite_number(profile.get("wall_tiles_per_s")), "threads": _int(profile.get("threads")),
            "georeference_sources": sorted(sources.items()), "evaluation": None,
            "stream_view": None if stream is None else _stream_view(stream)}
    if evaluation:
        counts = _dict(detection.get("counts"))
        view["evaluation"] = {
            "accuracy": finite_number(detection.get("accuracy")), "f1": finite_number(detection.get("f1")),
            "counts": [(k, _int(counts.get(k))) for k in ("tp", "fp", "tn", "fn")],
            "hard_accuracy": finite_number(hard.get("accuracy")), "hard_negatives": _int(hard_negatives.get("n")),
            "hard_false_alarms": _int(hard_negatives.get("false_alarms")),
            "magnitude_mae": finite_number(magnitude.get("mae")), "magnitude_mae_events": finite_number(magnitude.get("mae_events")),
            "gate": [(_text(k, 40), _text(v, 80)) for k, v in _dict(evaluation.get("gate")).items()],
            "location": [(_text(k, 40), _text(v, 80)) for k, v in _dict(evaluation.get("location")).items()]}
    return view


def _quantile_text(block: Any) -> str:
    block = _dict(block)
    median, p90 = finite_number(block.get("median_h")), finite_number(block.get("p90_h"))
    if median is None:
        return "–"
    return f"{median:.2f} h / {p90:.2f} h" if p90 is not None else f"{median:.2f} h"


def _mission_view(name: str, mission: MissionRecord, streams: list[Stream], warn: Warnings) -> dict[str, Any]:
    """A ``mission.json`` record as the page shows it (the per-mode figures still untrusted); its warnings."""
    window = mission.window
    model = mission.model
    modes = {_text(k, 40): v for k, v in mission.modes.items()}
    rows: list[dict[str, Any]] = []
    per_event: dict[str, list[dict[str, Any]]] = {}
    for mode, figures in modes.items():
        queue, downlink = _dict(figures.get("queue")), _dict(figures.get("downlink"))
        false_alerts, outcomes = _dict(figures.get("false_alerts")), _dict(figures.get("outcomes"))
        events = _int(figures.get("events"))
        alerted = _int(outcomes.get("alerted")) or 0
        rows.append({"mode": mode, "alerted": alerted, "events": events,
                     "time_to_acquisition": _quantile_text(figures.get("time_to_acquisition")),
                     "time_to_alert": _quantile_text(figures.get("time_to_alert")),
                     "acquisition_to_alert": _quantile_text(figures.get("acquisition_to_alert")),
                     "tiles": _int(_dict(figures.get("tiles")).get("processed")),
                     "false_alerts_per_day": finite_number(false_alerts.get("per_day")),
                     "false_alerts_delivered": _int(false_alerts.get("delivered")),
                     "messages": _int(downlink.get("messages")), "bytes": _int(downlink.get("bytes")),
                     "max_fill": _int(queue.get("max_fill")), "capacity": _int(queue.get("capacity")),
                     "dropped": _int(queue.get("dropped")), "dropped_events": _int(queue.get("dropped_events")),
                     "left_events": _int(queue.get("left_events_on_board")),
                     "energy_j_per_day": finite_number(_dict(figures.get("energy")).get("joules_per_day"))})
        where = f"{name} ({mode})"
        if _int(queue.get("dropped")):
            warn.add("error" if _int(queue.get("dropped_events")) else "warning", where,
                     f"the onboard queue dropped {_int(queue.get('dropped')):,} message(s), "
                     f"{_int(queue.get('dropped_events')) or 0:,} of them event(s)")
        if _int(downlink.get("decode_errors")):
            warn.add("error", where, f"{_int(downlink.get('decode_errors')):,} downlinked message(s) failed to decode")
        if _int(queue.get("left_events_on_board")):
            warn.add("warning", where, f"{_int(queue.get('left_events_on_board')):,} event message(s) still on board "
                                       "at the end of the window")
        per_event[mode] = [{"name": _text(e.get("name"), 120), "mw": finite_number(e.get("mw")), "looks": _int(e.get("looks")),
                            "tiles": _int(e.get("tiles_processed")), "damaged": _int(e.get("tiles_with_damage")),
                            "to_acquisition": finite_number(e.get("to_acquisition_h")), "to_alert": finite_number(e.get("to_alert_h")),
                            "outcome": _text(e.get("outcome"), 120)}
                           for e in map(_dict, _list(figures.get("per_event")))]
    stations = [(_text(k, 80), _int(_dict(v).get("contacts")), finite_number(_dict(v).get("minutes")))
                for k, v in mission.stations.items()]
    return {"name": name, "scenario": _text(mission.scenario, 120), "start": _utc(window.start),
            "end": _utc(window.end), "hours": finite_number(window.hours), "orbits": finite_number(window.orbits),
            "artifact": _text(model.get("artifact"), 80), "runtime": _text(model.get("runtime"), 40),
            "contacts": len(mission.contacts), "stations": stations, "modes": rows,
            "per_event": per_event, "simulated_tiles": mission.simulated_tiles,
            "seconds": finite_number(mission.seconds), "streams": [_stream_view(s) for s in streams],
            "plots": {}}


def _bench_view(name: str, bench: BenchRecord, warn: Warnings) -> dict[str, Any]:
    """A ``bench.json`` record as a table (each row's figures still untrusted)."""
    rows = []
    for row in bench.rows:
        latency = _dict(row.get("latency"))
        instructions = _dict(row.get("instructions_per_tile"))
        a53 = instructions.get("cortex-a53")
        energy = next((e for e in map(_dict, _list(row.get("energy_estimates")))
                       if _text(e.get("board_id")).endswith("a53")), {})
        if "error" in row:
            warn.add("warning", name, f"{_text(row.get('artifact'), 80)} ({_text(row.get('runtime'), 20)}): "
                                      f"{_text(row.get('error'))}")
        rows.append({"artifact": _text(row.get("artifact"), 80), "runtime": _text(row.get("runtime"), 20),
                     "threads": _int(row.get("threads")), "p50": finite_number(latency.get("p50_ms")),
                     "p90": finite_number(latency.get("p90_ms")), "p99": finite_number(latency.get("p99_ms")),
                     "tiles_per_s": finite_number(latency.get("tiles_per_s")), "speedup": finite_number(row.get("speedup_vs_seed")),
                     "rss_mb": None if finite_number(row.get("rss_peak_bytes")) is None else finite_number(row.get("rss_peak_bytes")) / 1e6,
                     "model_kb": None if finite_number(row.get("model_bytes")) is None else finite_number(row.get("model_bytes")) / 1e3,
                     "accuracy": finite_number(row.get("accuracy_at_operating_point")),
                     "agreement": finite_number(row.get("flag_agreement")),
                     "gate_passed": row.get("gate_passed") if isinstance(row.get("gate_passed"), bool) else None,
                     "a53_minstr": finite_number(a53) / 1e6 if finite_number(a53) is not None else None,
                     "a53_mj": 1e3 * finite_number(energy.get("joules_per_tile")) if finite_number(energy.get("joules_per_tile"))
                     is not None else None,
                     "error": _text(row.get("error")) if "error" in row else ""})
    seed = bench.seed_equivalent or {}
    machine = bench.machine
    return {"name": name, "rows": rows, "seed_model": _text(seed.get("model"), 120),
            "seed_p50": finite_number(_dict(seed.get("latency")).get("p50_ms")), "seed_note": _text(seed.get("note")),
            "tile_side": bench.tile_side, "machine": f"{_text(machine.get('processor'), 120)} "
            f"({_text(machine.get('cpu_count'), 8)} cores)" if machine else ""}


def _manifest_view(scan_: Scan, path: Path, warn: Warnings) -> dict[str, Any]:
    """An export folder's manifest, read by the manifest module, with its fidelity results."""
    from quakesat.runtime.manifest import load_manifest

    name = scan_.name(path)
    try:
        loaded = load_manifest(path)
    except QuakesatError as err:
        warn.add("warning", name, f"not a usable manifest: {_text(err)}")
        return {"name": name, "error": _text(err)}
    decision = loaded.decision
    point = _dict(decision.operating_point)
    gate_report = _dict(loaded.report.get("fidelity"))
    limits = _dict(gate_report.get("limits"))
    artifacts = []
    for artifact in loaded.artifacts:
        fidelity = _dict(artifact.fidelity)
        if artifact.gate_failures:
            warn.add("warning", name, f"{_text(artifact.name, 80)} failed the fidelity gate: "
                                      + "; ".join(_text(f) for f in artifact.gate_failures))
        elif artifact.fidelity is None:
            warn.add("warning", name, f"{_text(artifact.name, 80)} was not scored by the fidelity gate")
        artifacts.append({"name": _text(artifact.name, 80), "format": artifact.format, "precision": artifact.precision,
                          "bytes": artifact.bytes, "tiles": _int(fidelity.get("tiles")),
                          "agreement": finite_number(fidelity.get("flag_agreement")),
                          "flags_changed": _int(fidelity.get("flags_changed")),
                          "accuracy": finite_number(fidelity.get("accuracy")),
                          "reference_accuracy": finite_number(fidelity.get("reference_accuracy")),
                          "magnitude_drift": finite_number(_dict(fidelity.get("magnitude_abs_error")).get("mean")),
                          "latency_ms": finite_number(artifact.latency_ms), "passed": artifact.passed_gate,
                          "failures": [_text(f) for f in artifact.gate_failures],
                          "default": [runtime for runtime, default in (("python", loaded.default_artifact),
                                                                       ("cpp", loaded.cpp_default_artifact))
                                      if default == artifact.name]})
    return {"name": name, "error": "", "model": _text(loaded.model.name, 80), "family": loaded.model.family,
            "heads": ", ".join(loaded.model.heads), "created": _text(loaded.created, 40),
            "event_threshold": finite_number(decision.event_threshold),
            "target_far": finite_number(point.get("target_false_alarm_rate")), "recall": finite_number(point.get("recall")),
            "resolvable": point.get("resolvable") if isinstance(point.get("resolvable"), bool) else None,
            "point_note": _text(point.get("note")), "magnitude_informative": decision.magnitude_informative,
            "temperature": finite_number(_dict(decision.calibration).get("temperature")),
            "gate_threshold": finite_number(loaded.gate.threshold), "gate_statistic": loaded.gate.statistic,
            "locate": loaded.locate.method, "min_agreement": finite_number(limits.get("min_agreement")),
            "max_magnitude_drift": finite_number(limits.get("max_magnitude_drift")), "min_tiles": _int(limits.get("min_tiles")),
            "tiles_note": _text(gate_report.get("tiles_note")), "artifacts": artifacts}


def _parity(name: str, cpp: dict[str, Any], warn: Warnings) -> str:
    """One C++ parity block of a demo (untrusted JSON) as a phrase; its warnings."""
    if cpp.get("byte_identical") is False:
        warn.add("error", name, "the C++ runner's messages differ from the Python runtime's "
                                f"({_text(cpp.get('identical_messages'), 12)} of {_text(cpp.get('messages'), 12)} identical)")
    elif "error" in cpp:
        warn.add("error", name, f"the C++ runner failed: {_text(cpp.get('error'))}")
    return ("byte-identical" if cpp.get("byte_identical") is True else
            f"skipped: {_text(cpp.get('skipped'))}" if "skipped" in cpp else
            "differs" if cpp.get("byte_identical") is False else "–")


def _demo_view(name: str, demo: DemoRecord, warn: Warnings) -> dict[str, Any]:
    """A ``demo_report.json`` record: the verdicts and the C++ parity; its warnings."""
    cpp, insar_cpp = demo.cpp_runner or {}, demo.insar_cpp_runner or {}
    return {"name": name, "verdict": _text(demo.verdict.get("says"), 2000),
            "insar_verdict": _text((demo.insar_verdict or {}).get("says"), 2000),
            "parity": _parity(name, cpp, warn), "parity_artifact": _text(cpp.get("artifact"), 80),
            "insar_parity": _parity(name, insar_cpp, warn) if insar_cpp else "",
            "insar_parity_artifact": _text(insar_cpp.get("artifact"), 80), "seconds": finite_number(demo.seconds)}


# ─── the page ───────────────────────────────────────────────────────────────────────────
def _pair_streams(scan_: Scan) -> tuple[dict[Path, Path], set[Path]]:
    """Each run report's stream (OUT.bin, else OUT.jsonl beside it), and every file so taken."""
    by_report: dict[Path, Path] = {}
    streams, decoded = set(scan_.streams), set(scan_.decoded)
    for path, report in scan_.runs:
        stem = path.name[: -len(".report.json")] if path.name.endswith(".report.json") else path.stem
        recorded = [Path(_text(name)).name for name in (report.stream, report.decoded)]
        candidates = [path.with_name(stem + ".bin"), path.with_name(stem + ".jsonl"),
                      *(path.with_name(n) for n in recorded if n)]
        chosen = next((c for c in candidates if c in streams), None) or next((c for c in candidates if c in decoded),
                                                                             None)
        if chosen is not None:
            by_report[path] = chosen
    taken = set(by_report.values())
    # A decode beside its binary stream says the same: the binary stream is read.
    taken |= {p for p in decoded if p.with_suffix(".bin") in streams}
    taken |= {p.with_suffix(".jsonl") for p in taken if p.suffix == ".bin" and p.with_suffix(".jsonl") in decoded}
    return by_report, taken


def _read_any(scan_: Scan, path: Path) -> Stream:
    name = scan_.name(path)
    return read_stream(path, name) if path.suffix.lower() == ".bin" else read_decoded(path, name)


def build_context(folder: Path, skip: Path | None = None) -> dict[str, Any]:
    """Everything the template shows, from the files under ``folder``.

    Raises:
        NothingToReportError: no file under ``folder`` is one the report reads.
    """
    from quakesat.report import plots as report_plots

    folder = Path(folder)
    found = scan(folder, skip)
    if found.empty:
        raise NothingToReportError(
            f"{folder} holds nothing quakesat run, mission, bench, export or demo writes (no *.report.json, "
            "downlink stream, mission.json, bench.json or manifest.json); point it at such a folder")
    warn = Warnings()
    _scan_warnings(found, warn)
    tiles = _footprints(found)
    by_report, taken = _pair_streams(found)
    runs, run_streams = _run_sections(found, by_report, warn)
    missions = _mission_sections(found, taken, warn)
    ground_streams = [*run_streams, *_other_streams(found, taken, warn)]
    _judge_by_tile_lists(ground_streams, found)
    # The flown model's stream first, a baseline's labelled (report/alerts.py).
    ground_streams = order_streams(ground_streams, {found.name(p): role for p, role in demo_roles(found.demos).items()})
    context: dict[str, Any] = {
        "title": f"quakesat report: {folder.name or folder.resolve().name or folder}",
        "folder": str(folder), "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "version": __version__,
        "found": _found(found), "absent": _absent(found), "other_files": [found.name(p) for p in found.other[:60]],
        "other_more": max(0, len(found.other) - 60),
        "warnings": warn.items,
        "streams": [_stream_view(s) for s in ground_streams],
        "map": _plots(warn, "map", report_plots.ground_map, ground_streams, tiles) if ground_streams else None,
        "runs": runs, "missions": missions,
        "benches": [_section(warn, found.name(p), _bench_view, found.name(p), b, warn) for p, b in found.benches],
        "manifests": [_section(warn, found.name(p), _manifest_view, found, p, warn) for p in found.manifests],
        "demos": [_section(warn, found.name(p), _demo_view, found.name(p), d, warn) for p, d in found.demos],
        "plots_missing": report_plots.missing_reason(),
        "limits": {"alert_rows": ALERT_ROWS},
    }
    grouped: dict[str, list[str]] = {}
    for name, kind in context["found"]:
        grouped.setdefault(kind, []).append(name)
    context["found_by_kind"] = list(grouped.items())
    _embed_plots(found, context)
    return context


def _embed_plots(found: Scan, context: dict[str, Any]) -> None:
    """The PNG plots bench and export wrote beside their records, into their sections."""
    from quakesat.report import plots as report_plots

    for key, paths, names in (("benches", [p for p, _ in found.benches], report_plots.BENCH_PNGS),
                              ("manifests", found.manifests, report_plots.FIDELITY_PNGS)):
        for path, view in zip(paths, context[key]):
            if view.get("name"):
                view["plots"] = report_plots.embed_pngs(path.parent, names)


def _scan_warnings(found: Scan, warn: Warnings) -> None:
    """What the scan could not read, the records their readers refused, the files not looked at."""
    for path, why in found.unreadable:
        warn.add("warning", found.name(path), f"could not be read: {why}")
    for path, why in found.rejected:
        prefix = f"{found.name(path)}: "
        warn.add("warning", found.name(path), f"not shown: {why[len(prefix):] if why.startswith(prefix) else why}")
    if found.skipped_files:
        warn.add("warning", ".", f"{found.skipped_files:,} file(s) beyond the first {MAX_FILES:,} were not looked at")


def _footprints(found: Scan) -> dict[str, tuple[float, float, float | None]]:
    """Tile id → (lat, lon, side in km or None) over every tile list (the first list naming a tile wins)."""
    tiles: dict[str, tuple[float, float, float | None]] = {}
    for path in found.tile_lists:
        for tile_id, where in read_tile_list(path).items():
            tiles.setdefault(tile_id, where)
    return tiles


def _run_sections(found: Scan, by_report: dict[Path, Path],
                  warn: Warnings) -> tuple[list[dict[str, Any]], list[Stream]]:
    """Each run record's section, with the stream it wrote where that is in the folder."""
    runs, streams = [], []
    for path, report in found.runs:
        name = found.name(path)
        stream = None
        if path in by_report:
            try:
                stream = _read_any(found, by_report[path])
                stream.role = "run"
                stream_warnings(stream, warn, model_known=report.fault is not None, drops_known=True)
                streams.append(stream)
            except OSError as err:
                warn.add("warning", found.name(by_report[path]), f"could not be read: {err.strerror or err}")
        else:
            warn.add("warning", name, "the stream this run wrote is not in the folder")
        runs.append(_section(warn, name, _run_view, name, report, stream, warn))
    return runs, streams


def _mission_sections(found: Scan, taken: set[Path], warn: Warnings) -> list[dict[str, Any]]:
    """Each mission record's section with its modes' downlink streams (``MODE_downlink.bin``
    beside it, marked ``taken``) and its plots."""
    from quakesat.report import plots as report_plots

    missions = []
    for path, mission in found.missions:
        truth = mission_truth(mission)  # the catalogue: which downlinked alert caught an earthquake
        streams = []
        for mode in map(str, mission.modes):
            candidate = path.with_name(f"{mode}_downlink.bin")
            if candidate in found.streams and candidate not in taken:
                taken.add(candidate)
                stream = read_stream(candidate, found.name(candidate))
                stream.role = "mission"
                stream.truth = truth
                stream_warnings(stream, warn, drops_known=True)
                streams.append((mode, stream))
        view = _section(warn, found.name(path), _mission_view, found.name(path), mission, [s for _, s in streams], warn)
        if view.get("name"):
            view["plots"] = _plots(warn, found.name(path), report_plots.mission_plots, mission.to_dict(),
                                   streams) or {}
            _add_store(view, path, mission, found, taken, warn)
        missions.append(view)
    return missions


def _add_store(view: dict[str, Any], path: Path, mission: MissionRecord, found: Scan, taken: set[Path],
               warn: Warnings) -> None:
    """A same-track mission's reference store, its survey against the goal, the store study's
    figure, and the thumbnails cued mode sent (``MODE_thumbnails.bin`` beside it, marked taken)."""
    from quakesat.report import mission_store

    record = mission.to_dict()
    view["store"] = _section(warn, found.name(path), mission_store.store_view, record)
    if view["store"] and "goal_met" in view["store"]:
        view["store"]["plot"] = _plots(warn, found.name(path), mission_store.coverage_plot)
        view["store"]["survey_curve"], view["store"]["survey_curve_note"] = \
            _plots(warn, found.name(path), mission_store.survey_curve) or (None, "")
        if not view["store"]["goal_met"] and view["store"]["survey_false_per_orbit"] is not None:
            warn.add("warning", f"{found.name(path)} (survey)",
                     f"{view['store']['survey_false_per_orbit']:,.1f} false alerts per orbit on board, against the "
                     f"survey goal of at most {mission_store.GOAL_FALSE_PER_ORBIT:g}")
    thumbnails, problems = mission_store.thumbnail_views(path, [str(mode) for mode in mission.modes])
    view["thumbnails"] = thumbnails
    for problem in problems:
        warn.add("error", found.name(path), problem)
    taken.update(path.with_name(f"{mode}_thumbnails.bin") for mode in mission.modes)


def _judge_by_tile_lists(streams: list[Stream], found: Scan) -> None:
    """Give each ground stream the tile lists' truth: the lists of its model's tile kind where a
    manifest in the folder names the model id its messages carry, else all lists (a tile id
    the lists label differently then stays unknown)."""
    from quakesat.runtime.manifest import load_manifest

    kinds: dict[str, str] = {}
    for path in found.manifests:
        try:
            manifest = load_manifest(path)
        except QuakesatError:
            continue  # its own section says why
        kinds.update({f"{artifact.model_id:04x}": manifest.input.kind for artifact in manifest.artifacts})
    merged = tile_list_truth(found.tile_lists)
    by_kind = {kind: tile_list_truth(found.tile_lists, kind) for kind in set(kinds.values())}
    for stream in streams:
        ids = [model for model, _ in stream.model_ids.most_common()]
        stream_kinds = {kinds[model] for model in ids if model in kinds}
        stream.truth = by_kind[stream_kinds.pop()] if len(stream_kinds) == 1 else merged


def _other_streams(found: Scan, taken: set[Path], warn: Warnings) -> list[Stream]:
    """The streams and decodes no run or mission took."""
    others = []
    for path in [*found.streams, *found.decoded]:
        if path in taken:
            continue
        try:
            stream = _read_any(found, path)
        except OSError as err:
            warn.add("warning", found.name(path), f"could not be read: {err.strerror or err}")
            continue
        stream_warnings(stream, warn)
        others.append(stream)
    return others


def _found(found: Scan) -> list[tuple[str, str]]:
    """(name, kind) of every file the page reads, kind by kind."""
    return [(found.name(p), kind) for kind, paths in (
        ("run report", [p for p, _ in found.runs]), ("mission", [p for p, _ in found.missions]),
        ("bench", [p for p, _ in found.benches]), ("export manifest", found.manifests),
        ("export summary", [p for p, _ in found.exports]),
        ("demo report", [p for p, _ in found.demos]), ("downlink stream", found.streams),
        ("decoded messages", found.decoded), ("tile list", found.tile_lists)) for p in paths]


def _absent(found: Scan) -> list[str]:
    """What kinds of input the folder lacks, as the page says it."""
    return [text for present, text in (
        (found.runs, "no `quakesat run` report (OUT.report.json)"),
        (found.streams or found.decoded, "no downlink stream (.bin) or decoded messages (.jsonl)"),
        (found.missions, "no `quakesat mission` result (mission.json)"),
        (found.benches, "no `quakesat bench` result (bench.json)"),
        (found.manifests, "no `quakesat export` folder (manifest.json)"),
        (found.tile_lists, "no tile list (tile footprints are drawn around the reported positions instead)"),
    ) if not present]


def _section(warn: Warnings, where: str, build: Any, *args: Any) -> dict[str, Any]:
    """``build(*args)``; a file whose shape breaks the builder is a warning and an empty section."""
    try:
        return build(*args)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as err:
        warn.add("warning", where, f"could not be shown ({type(err).__name__}: {_text(err, 200)})")
        return {"name": "", "broken": where}


def _plots(warn: Warnings, where: str, draw: Any, *args: Any) -> Any:
    """``draw(*args)``; a plot that cannot be drawn is a warning, and the page goes on without it."""
    try:
        return draw(*args)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError, RuntimeError) as err:
        warn.add("warning", where, f"plot not drawn ({type(err).__name__}: {_text(err, 200)})")
        return None


def render(context: dict[str, Any]) -> str:
    """The page (HTML text) for ``context``; needs jinja2 (the report extra)."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(num=_format_number, count=_format_count)
    return environment.get_template(TEMPLATE).render(**context)


def _format_number(value: Any, digits: int = 2) -> str:
    number = finite_number(value)
    return "–" if number is None else f"{number:,.{digits}f}"


def _format_count(value: Any) -> str:
    number = _int(value)
    return "–" if number is None else f"{number:,}"


def write_report(folder: str | Path, out: str | Path | None = None) -> dict[str, Any]:
    """Render the report of ``folder`` into ``out`` (default ``folder/report.html``), whole or
    not at all; return a summary (the path, the sections found, the warnings' count)."""
    folder = Path(folder)
    out = Path(out) if out is not None else folder / REPORT_NAME
    context = build_context(folder, skip=out.resolve())
    html = render(context)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, html)
    return {"report": str(out), "bytes": len(html.encode("utf-8")),
            "found": sorted({kind for _, kind in context["found"]}), "warnings": len(context["warnings"])}
