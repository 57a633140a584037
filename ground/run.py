"""``quakesat run``: tiles through the flight runtime into a downlink stream, on the ground.

The harness around :class:`quakesat.runtime.flight.FlightRuntime`: it feeds tiles (a QuakeSet
file's pairs from :func:`quakesat.data.tiles.file_tiles`, a tile list, or one ``.npy`` pair)
one at a time, drains the onboard queue at the end (one ground contact), and writes

- ``OUT`` (e.g. ``messages.bin``): the binary stream, 32 bytes a message, in downlink order;
- ``OUT.jsonl`` beside it: the same messages decoded (``quakesat decode``);
- ``OUT.report.json``: the run's record (:mod:`quakesat.ground.run_record`, ``"format":
  "quakesat-run"``): the run's profile (time per stage, tiles/s), for a file's tiles how
  each was placed (``georeference_sources``, :mod:`quakesat.data.georef`) and, with
  ``--evaluate``, its evaluation (:mod:`quakesat.evaluation.messages`).

The three files are written whole or not at all (a temporary file renamed into place), so an
interrupted run leaves no half-written output. The report counts the tiles by input status
(``tile_statuses``). With ``refuse_mismatch``, a run with no tiles, or in which no tile could be
judged because every one was of a kind, shape or type the model does not take, or unreadable
(:data:`MISMATCH_STATUSES`), writes nothing and raises :class:`~quakesat.errors.RunRefusedError`:
that is a wrong model or wrong data, not tiles the satellite would report on.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quakesat.errors import RunRefusedError
from quakesat.files import write_bytes_atomic, write_text_atomic
from quakesat.ground.decode import iter_stream, to_json_dict
from quakesat.ground.run_record import RunFault, RunModel, RunRecord, write_run_record
from quakesat.runtime.flight import STAGES, FlightRuntime, TileOutcome
from quakesat.runtime.tile import AMPLITUDE, DEFAULT_PIXEL_SPACING_M, Georef, Tile
from quakesat.runtime.tile_file import pair_tile

if TYPE_CHECKING:  # the file reader needs h5py; `quakesat run --tiles` must not
    from quakesat.data.tiles import Truth

#: Input statuses that, on every tile of a run, mean the model and the data do not go together.
MISMATCH_STATUSES = frozenset({"bad_shape", "bad_dtype", "wrong_kind", "unreadable"})


def npy_tile(pre: Path, post: Path, lat: float, lon: float, when: int, tile_id: int = 0,
             pixel_spacing_m: float = DEFAULT_PIXEL_SPACING_M, side: int | None = None,
             kind: str = AMPLITUDE) -> tuple[Tile, float]:
    """One tile from two ``.npy`` images under the tile file contract
    (:mod:`quakesat.runtime.tile_file`): a file that breaks it gives the tile its status;
    ``side``: the model's tile side (another shape is refused before its pixels are read);
    ``kind``: the tile kind the model takes (what the files must hold)."""
    started = time.perf_counter()
    tile = pair_tile(pre, post, Georef(lat, lon, pixel_spacing_m), when, tile_id, side=side, kind=kind)
    return tile, time.perf_counter() - started


def one_contact(runtime: FlightRuntime, tiles: Iterable[Tile]) -> tuple[int, bytes]:
    """Every tile through ``runtime``, a final health report, the queue drained at one contact:
    (tiles processed, the stream), the bytes ``quakesat run`` and ``quakesat-runner`` write."""
    count = 0
    for tile in tiles:
        runtime.process(tile)
        count += 1
    runtime.health()
    return count, b"".join(runtime.drain())


# ─── profile ────────────────────────────────────────────────────────────────────────────
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


def run_tiles(runtime: FlightRuntime, items: Iterator[tuple[Tile, Truth | None, float]], out: Path,
              evaluate: bool = False, refuse_mismatch: bool = False) -> dict[str, Any]:
    """Feed ``items`` through ``runtime``, drain its queue at the end, write the stream, its
    decode and the report (see the module doc); return the report.

    Raises:
        RunRefusedError: with ``refuse_mismatch``, no tile fitted the model (module doc).
    """
    outcomes = ((tile.georef, truth, read_seconds, runtime.process(tile)) for tile, truth, read_seconds in items)
    return write_run(runtime, outcomes, out, evaluate, refuse_mismatch=refuse_mismatch)


def mismatch_refusal(tiles: int, statuses: Counter[str], first_detail: dict[str, str]) -> str | None:
    """Why a run must be refused (module doc), or None: there were no tiles at all, or every
    one has a status of :data:`MISMATCH_STATUSES`."""
    if tiles == 0:
        return "no tiles to fly (an empty split, --limit or tile list); nothing was written"
    if sum(statuses[name] for name in MISMATCH_STATUSES) != tiles:
        return None
    name = statuses.most_common(1)[0][0]
    detail = first_detail.get(name, "")
    which = "the tile could not be read or does not fit" if tiles == 1 else \
        f"not one of the {tiles} tiles could be read and fits"
    return (f"no tile could be judged: {which} the model ({name}"
            f"{': ' + detail if detail else ''}); check --artifacts against the data; nothing was written")


def write_run(runtime: FlightRuntime, outcomes: Iterable[tuple[Georef | None, Truth | None, float, TileOutcome]],
              out: Path, evaluate: bool = False, extra: dict[str, Any] | None = None,
              refuse_mismatch: bool = False) -> dict[str, Any]:
    """:func:`run_tiles` for tiles already through ``runtime`` (``outcomes``: each tile's
    georeference, truth, read seconds and outcome, in stream order; consumed lazily, so the
    wall time covers producing them): the final health report, the drain, the three files;
    ``extra`` is added to the report. ``quakesat archive`` records verdicts judged on its
    workers (:meth:`FlightRuntime.record`) and writes them here.

    Raises:
        RunRefusedError: with ``refuse_mismatch``, no tile fitted the model (module doc).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Rows are kept only for --evaluate (it scores every tile at the end); otherwise memory
    # stays flat however long the pass (the soak in bench/suites checks it).
    rows: list[tuple[Georef | None, Truth | None, TileOutcome]] = []
    read_total, tiles, all_truth = 0.0, 0, True
    placed_by: Counter[str] = Counter()  # a file's tiles by georeference source (data.georef)
    statuses: Counter[str] = Counter()  # tiles by input status
    first_detail: dict[str, str] = {}
    started = time.perf_counter()
    for georef, truth, read_seconds, outcome in outcomes:
        read_total += read_seconds
        tiles += 1
        status = outcome.check.status.code_name
        statuses[status] += 1
        first_detail.setdefault(status, outcome.check.detail)
        all_truth &= truth is not None
        if truth is not None:
            placed_by[truth.georef_source] += 1
        if evaluate:
            rows.append((georef, truth, replace(outcome, heads=None)))  # not the images, nor the heads
    refusal = mismatch_refusal(tiles, statuses, first_detail) if refuse_mismatch else None
    if refusal is not None:
        raise RunRefusedError(refusal)
    runtime.health()
    stream = b"".join(runtime.drain())
    wall = time.perf_counter() - started
    decoded = [to_json_dict(item) for _, item in iter_stream(stream)]
    jsonl = out.with_name(out.name + ".jsonl") if out.suffix != ".bin" else out.with_suffix(".jsonl")
    evaluation = None
    if evaluate and rows and all_truth:
        from quakesat.evaluation.messages import evaluation_report

        evaluation = evaluation_report(rows, runtime)  # type: ignore[arg-type]
    report_path = out.with_suffix(".report.json")
    record = RunRecord(
        stream=str(out), decoded=str(jsonl), messages=len(decoded), bytes=len(stream), tiles=tiles,
        events_flagged=sum(1 for obj in decoded if obj.get("event")), tile_statuses=dict(sorted(statuses.items())),
        dropped=runtime.queue.dropped_total, deadlines_missed=runtime.deadlines_missed,
        model=None if runtime.model is None else RunModel(runtime.model.artifact.name, f"0x{runtime.model_id:04x}"),
        fault=None if runtime.fault is None else RunFault(runtime.fault.status.code_name, runtime.fault.detail),
        config={"gate": runtime.config.gate, "locate": runtime.config.locate, "emit": runtime.config.emit,
                "health_every": runtime.config.health_every, "queue_capacity": runtime.config.queue_capacity,
                "deadline_s": runtime.config.deadline_s},
        profile=profile_report(runtime, read_total, tiles, wall), report=str(report_path),
        georeference_sources=dict(sorted(placed_by.items())) if placed_by else None, evaluation=evaluation,
        extra=dict(extra or {}))
    write_bytes_atomic(out, stream)
    write_text_atomic(jsonl, "".join(json.dumps(obj) + "\n" for obj in decoded))
    write_run_record(record, report_path)
    return record.to_dict()


def format_profile(profile: dict[str, Any]) -> str:
    """The profile as a small text table."""
    lines = [f"{'stage':11s} {'ms/tile':>9s} {'ms/run':>9s} {'runs':>6s}"]
    for stage, row in profile["stages"].items():
        when = "-" if row.get("ms_when_run") is None else f"{row['ms_when_run']:.3f}"
        lines.append(f"{stage:11s} {row['ms_per_tile']:9.3f} {when:>9s} {row['runs']:6d}")
    lines.append(f"{profile['tiles']} tiles, {profile['tiles_per_s']} tiles/s in stages "
                 f"({profile['wall_tiles_per_s']} wall) at {profile['threads']} thread(s)")
    return "\n".join(lines)

