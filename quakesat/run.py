"""``quakesat run``: tiles through the flight runtime into a downlink stream, on the ground.

The harness around :class:`quakesat.runtime.flight.FlightRuntime`: it reads tiles (a
QuakeSet file's bitemporal pairs, or one ``.npy`` pair), feeds them one at a time, drains
the onboard queue at the end (one ground contact), and writes

- ``OUT`` (e.g. ``messages.bin``): the binary stream, 32 bytes a message, in downlink order;
- ``OUT.jsonl`` beside it: the same messages decoded (``quakesat decode``);
- ``OUT.report.json``: the run's profile (time per stage, tiles/s) and, with ground truth,
  its evaluation: accuracy/F1/MAE from the *decoded* messages, the same split on the hard
  negatives (pairs that are not pixel-identical), the gate's skips and the time it saved,
  the location error against the simulator's epicentre, and the status counts.

Reading the HDF5 file needs h5py (the ``data`` extra); the ``.npy`` path needs numpy only.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.runtime.flight import STAGES, FlightRuntime, TileOutcome
from quakesat.runtime.message import decode, iter_stream, to_json_dict
from quakesat.runtime.status import Status
from quakesat.runtime.tile import (
    DEFAULT_PIXEL_SPACING_M,
    Georef,
    Tile,
    check_georef,
    ground_distance_m,
    pixel_to_latlon,
)
from quakesat.runtime.tile_file import pair_tile
from quakesat.runtime.validate import TileCheck


@dataclass(frozen=True)
class Truth:
    """What the file knows about a tile (None fields: unknown)."""

    label: int
    magnitude: float
    identical: bool
    epicenter: tuple[float, float] | None  # (row, col) inside the tile, simulator only


def _file_georef(attrs: dict[str, Any], event_attrs: dict[str, Any]) -> Georef | None:
    """The simulator writes each patch's centre; the real file has only the event's
    coordinates, used as a coarse stand-in for the tile centre."""
    spacing = float(attrs.get("pixel_spacing_m", DEFAULT_PIXEL_SPACING_M))
    if "center_lat" in attrs and "center_lon" in attrs:
        return Georef(float(attrs["center_lat"]), float(attrs["center_lon"]), spacing)
    if "latitude" in event_attrs and "longitude" in event_attrs:
        return Georef(float(event_attrs["latitude"]), float(event_attrs["longitude"]), spacing)
    return None


def file_tiles(data: str | Path, split: str | None = "test", limit: int | None = None,
               assume_time: int | None = None) -> Iterator[tuple[Tile, Truth, float]]:
    """The bitemporal pairs of ``split`` (QuakeSet task 1: (pre, post) events and (before,
    pre) non-events) as tiles with their truth and read time, in the file's order.

    Args:
        data: an ``earthquakes.h5``.
        split: ``train``, ``validation``, ``test`` or None for all.
        limit: at most this many tiles.
        assume_time: acquisition time for tiles whose file records none (the real file).
    """
    from quakesat.models.quakeset import QuakeSetFile, Task

    with QuakeSetFile(data) as qs:
        refs = qs.samples(Task.BITEMPORAL_DETECTION, split)[:limit]
        for tile_id, ref in enumerate(refs):
            started = time.perf_counter()
            read_check = None
            try:
                first, second = qs.read(ref)
            except Exception as err:  # a damaged dataset must not stop the pass
                first = second = None
                read_check = TileCheck(Status.UNREADABLE, f"{ref.event_id}/{ref.patch}: {err}")
            attrs = qs.patch_attrs(ref.event_id, ref.patch)
            event_attrs = qs.event(ref.event_id).attrs
            read_seconds = time.perf_counter() - started
            when = attrs.get(f"time_{ref.images[1]}", assume_time)
            epicenter = None
            if ref.label == 1 and attrs.get("epicenter_in_patch"):
                epicenter = (float(attrs["epicenter_row"]), float(attrs["epicenter_col"]))
            identical = first is not None and bool(np.array_equal(first, second, equal_nan=True))
            tile = Tile(tile_id, int(when) if when is not None else -1, first, second,
                        _file_georef(attrs, event_attrs), read_check)
            yield tile, Truth(ref.label, ref.magnitude, identical, epicenter), read_seconds


def npy_tile(pre: Path, post: Path, lat: float, lon: float, when: int, tile_id: int = 0,
             pixel_spacing_m: float = DEFAULT_PIXEL_SPACING_M) -> tuple[Tile, float]:
    """One tile from two ``.npy`` images under the tile file contract
    (:mod:`quakesat.runtime.tile_file`): a file that breaks it gives the tile its status."""
    started = time.perf_counter()
    tile = pair_tile(pre, post, Georef(lat, lon, pixel_spacing_m), when, tile_id)
    return tile, time.perf_counter() - started


# ─── reports ────────────────────────────────────────────────────────────────────────────
def profile_report(runtime: FlightRuntime, read_seconds: float, tiles: int, wall_seconds: float) -> dict[str, Any]:
    """Time per stage (total, per tile, per tile where it ran) and tiles/s."""
    stages: dict[str, Any] = {"read": {"seconds": round(read_seconds, 4), "runs": tiles,
                                       "ms_per_tile": round(1000 * read_seconds / max(tiles, 1), 3)}}
    for stage in STAGES:
        total, runs = runtime.times.total[stage], runtime.times.count[stage]
        stages[stage] = {"seconds": round(total, 4), "runs": runs,
                         "ms_per_tile": round(1000 * total / max(tiles, 1), 3),
                         "ms_when_run": round(1000 * total / runs, 3) if runs else None}
    busy = read_seconds + sum(runtime.times.total.values())
    return {"tiles": tiles, "threads": runtime.config.threads, "stages": stages,
            "seconds_in_stages": round(busy, 3), "tiles_per_s": round(tiles / busy, 2) if busy else None,
            "wall_seconds": round(wall_seconds, 3),
            "wall_tiles_per_s": round(tiles / wall_seconds, 2) if wall_seconds else None}


def _location_errors(rows: list[tuple[Georef | None, Truth, TileOutcome]], side: int | None) -> dict[str, Any]:
    """Distance from the simulator's epicentre of the reported location and of the tile
    centre, over flagged true events whose epicentre lies inside the tile."""
    reported, centre, methods = [], [], Counter()
    for georef, truth, outcome in rows:
        report = decode(outcome.message)
        if not (report.event and truth.epicenter is not None and side and check_georef(georef).processable):
            continue
        lat, lon = pixel_to_latlon(georef, *truth.epicenter, side)
        reported.append(ground_distance_m(report.lat, report.lon, lat, lon))
        centre.append(ground_distance_m(georef.center_lat, georef.center_lon, lat, lon))
        methods[outcome.location_method or "centre"] += 1

    def summary(values: list[float]) -> dict[str, float] | None:
        return {"median": round(float(np.median(values)), 1), "mean": round(float(np.mean(values)), 1)} if values else None

    return {"tiles": len(reported), "methods": dict(methods), "reported_m": summary(reported),
            "tile_centre_m": summary(centre)}


def evaluation_report(rows: list[tuple[Georef | None, Truth, TileOutcome]], runtime: FlightRuntime) -> dict[str, Any]:
    """Scores of the decoded messages against the truth (see the module doc)."""
    from quakesat.models.metrics import detection_report, magnitude_report, shortcut_report

    decoded = [decode(outcome.message) for _, _, outcome in rows]
    labels = np.array([truth.label for _, truth, _ in rows])
    events = np.array([int(report.event) for report in decoded])
    identical = np.array([truth.identical for _, truth, _ in rows])
    report: dict[str, Any] = {
        "n": len(rows),
        "detection": detection_report(labels, events),
        "shortcut": shortcut_report(labels, events, identical),
        "statuses": dict(Counter(r.status.code_name for r in decoded)),
    }
    if runtime.model is not None and "magnitude" in runtime.model.artifact.outputs:
        report["magnitude"] = magnitude_report(labels, [truth.magnitude for _, truth, _ in rows],
                                               [r.magnitude for r in decoded])
    gated = [(truth, outcome) for _, truth, outcome in rows if outcome.gate is not None and outcome.gate.skip]
    model_runs = [o for _, _, o in rows if "infer" in o.seconds]
    per_model_tile = (float(np.mean([sum(o.seconds.get(s, 0.0) for s in ("preprocess", "infer", "decide"))
                                     for o in model_runs])) if model_runs else 0.0)
    gate_cost = runtime.times.total["gate"]
    report["gate"] = {
        "mode": runtime.config.gate, "threshold": None if runtime.gate is None else runtime.gate.threshold,
        "skipped": len(gated), "share": round(len(gated) / max(len(rows), 1), 4),
        "identical_skipped": sum(1 for t, o in gated if o.gate.identical),
        "hard_negatives_skipped": sum(1 for t, o in gated if t.label == 0 and not o.gate.identical),
        "events_skipped": sum(1 for t, _ in gated if t.label == 1),
        "seconds_saved": round(len(gated) * per_model_tile, 4), "gate_seconds": round(gate_cost, 4),
        "net_seconds_saved": round(len(gated) * per_model_tile - gate_cost, 4),
    }
    report["location"] = _location_errors(rows, runtime.side)
    return report


def run_tiles(runtime: FlightRuntime, items: Iterator[tuple[Tile, Truth | None, float]], out: Path,
              evaluate: bool = False) -> dict[str, Any]:
    """Feed ``items`` through ``runtime``, drain its queue at the end, write the stream, its
    decode and the report (see the module doc); return the report."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[Georef | None, Truth | None, TileOutcome]] = []
    read_total = 0.0
    started = time.perf_counter()
    for tile, truth, read_seconds in items:
        read_total += read_seconds
        outcome = runtime.process(tile)
        outcome.heads = None  # keep the report small
        rows.append((tile.georef, truth, outcome))  # not the images: a pass can be thousands of tiles
    runtime.health()
    stream = b"".join(runtime.drain())
    wall = time.perf_counter() - started
    out.write_bytes(stream)
    decoded = [to_json_dict(item) for _, item in iter_stream(stream)]
    jsonl = out.with_name(out.name + ".jsonl") if out.suffix != ".bin" else out.with_suffix(".jsonl")
    with jsonl.open("w") as fh:
        for obj in decoded:
            fh.write(json.dumps(obj) + "\n")
    report: dict[str, Any] = {
        "stream": str(out), "decoded": str(jsonl), "messages": len(decoded), "bytes": len(stream),
        "tiles": len(rows), "events_flagged": sum(1 for obj in decoded if obj.get("event")),
        "dropped": runtime.queue.dropped_total,
        "model": None if runtime.model is None else {"artifact": runtime.model.artifact.name,
                                                     "model_id": f"0x{runtime.model_id:04x}"},
        "fault": None if runtime.fault is None else {"status": runtime.fault.status.code_name,
                                                     "detail": runtime.fault.detail},
        "config": {"gate": runtime.config.gate, "locate": runtime.config.locate, "emit": runtime.config.emit,
                   "health_every": runtime.config.health_every, "queue_capacity": runtime.config.queue_capacity},
        "profile": profile_report(runtime, read_total, len(rows), wall),
    }
    if evaluate and rows and all(truth is not None for _, truth, _ in rows):
        report["evaluation"] = evaluation_report(rows, runtime)  # type: ignore[arg-type]
    report_path = out.with_suffix(".report.json")
    report["report"] = str(report_path)
    report_path.write_text(json.dumps(report, indent=2))
    return report


def format_profile(profile: dict[str, Any]) -> str:
    """The profile as a small text table."""
    lines = [f"{'stage':11s} {'ms/tile':>9s} {'ms/run':>9s} {'runs':>6s}"]
    for stage, row in profile["stages"].items():
        when = "-" if row.get("ms_when_run") is None else f"{row['ms_when_run']:.3f}"
        lines.append(f"{stage:11s} {row['ms_per_tile']:9.3f} {when:>9s} {row['runs']:6d}")
    lines.append(f"{profile['tiles']} tiles, {profile['tiles_per_s']} tiles/s in stages "
                 f"({profile['wall_tiles_per_s']} wall) at {profile['threads']} thread(s)")
    return "\n".join(lines)

