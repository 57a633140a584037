"""``quakesat mission``: one scenario, end to end, in both operating modes.

Orbit and passes → catalogue → which earthquakes the swath images, and when → the tiles
around them and a sample of event-free tiles, simulated and run through the flight runtime
once → per mode (*survey*: every recorded tile; *cued*: after the agency's notification is
uplinked at a contact, only tiles within the cue radius) the onboard queue fed in time
order, contacts releasing it under the link budget → the ground decodes the stream → the
figures (:func:`mode_metrics`). Seeded: the same scenario and artifacts give the same bytes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.errors import ConfigError, RecordError
from quakesat.mission.catalogue import Quake, build_catalogue
from quakesat.mission.contacts import Contact, contacts
from quakesat.mission.downlink import Delivery, run_downlink
from quakesat.mission.onboard import ProcessedTile, TileClock, arrivals, drawn_tiles, open_processor
from quakesat.mission.orbit import (
    ascending_node_times,
    design_sun_synchronous,
    ground_track,
    satellite_from_design,
    satellite_from_tle,
)
from quakesat.mission.scenario import Scenario
from quakesat.mission.swath import recording_seconds, swath_edges_km, swath_points, tile_rate_per_s
from quakesat.mission.tiles import (
    EVENT,
    PlannedTile,
    plan_background_tiles,
    plan_event_tiles,
    simulate_tiles,
    tile_km,
    tiles_within,
)
from quakesat.runtime.message import MESSAGE_LENGTH, TileReport

#: Instructions per tile on a Cortex-A53 when no bench result is given: the pte-fp32 figure
#: of the last full ``quakesat bench`` (docs/benchmarks.md), for a 512 x 512 tile.
DEFAULT_INSTRUCTIONS_PER_TILE = 19_356_793
#: The ground-processing route (README "Mission simulation"): Sentinel-1 near-real-time
#: products reach users 1–3 h after sensing (ESA Sentinel-1 User Handbook, "NRT"); damage
#: proxy maps follow days later; USGS posts events outside the US in about 20 minutes.
NRT_HOURS = (1.0, 3.0)
DPM_DAYS = (1.0, 5.0)
USGS_MINUTES = 20.0
#: Bytes of one tile's post-event image on the ground route: a GRD product's two 16-bit bands.
GRD_BYTES_PER_PIXEL = 4
#: Tile ids of the bootstrapped tiles start here (the simulated ones count from 1).
DRAWN_FIRST_ID = 1_000_000


@dataclass(frozen=True)
class TileResult:
    """A simulated tile and the runtime's verdict on it."""

    plan: PlannedTile
    report: TileReport
    damaged_fraction: float
    max_mmi: float
    changes: str


def _satellite(scenario: Scenario, timescale) -> tuple[Any, dict[str, Any]]:
    spec = scenario.satellite
    if spec.tle:
        satellite = satellite_from_tle(spec.tle[0], spec.tle[1], timescale)
        period = 2.0 * math.pi / satellite.model.no_kozai
        return satellite, {"source": "tle", "period_min": period, "inclination_deg": math.degrees(satellite.model.inclo)}
    design = design_sun_synchronous(scenario.start_unix, spec.repeat_days, spec.orbits_per_repeat, spec.ltan_hours,
                                    spec.eccentricity, spec.argument_of_perigee_deg, timescale)
    return satellite_from_design(design, scenario.start_unix, timescale), {
        "source": "sun-synchronous repeat-track design", "period_min": design.nodal_period_min, **asdict(design)}


def _counted(value: object) -> bool:
    """Whether ``value`` is an instruction count (a positive number, not a reason it is missing)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _instructions(scenario: Scenario, artifact: str, raw_side: int) -> tuple[float, str]:
    from quakesat.bench.energy import QEMU_CPUS

    spec = scenario.onboard
    if spec.instructions_per_tile:
        return spec.instructions_per_tile, "the scenario's onboard.instructions_per_tile"
    cpu = next((c for c, board in QEMU_CPUS.items() if board == spec.board), None)
    if spec.bench_json and cpu:
        from quakesat.bench.record import read_bench_record

        try:
            bench = read_bench_record(spec.bench_json)  # the typed record quakesat bench writes
        except RecordError as err:
            raise ConfigError(f"onboard.bench_json: {err}") from None
        # Counted rows only: a bench without qemu writes "unavailable: ..." where the count goes.
        rows = [r for r in bench.rows if _counted((r.get("instructions_per_tile") or {}).get(cpu))]
        # The artifact itself, else the counted artifact of the same precision (the C++ runner's
        # .pte of the same network), else the first counted one; the basis names the row used.
        precision = artifact.rsplit("-", 1)[-1]
        row = next((r for r in rows if r.get("artifact") == artifact),
                   next((r for r in rows if str(r.get("artifact", "")).endswith("-" + precision)),
                        rows[0] if rows else None))
        if row:
            return float(row["instructions_per_tile"][cpu]), f"{spec.bench_json}: {row['artifact']} on {cpu}"
    scale = (raw_side / 512.0) ** 2
    return (float(DEFAULT_INSTRUCTIONS_PER_TILE) * scale,
            "docs/benchmarks.md: pte-fp32 on cortex-a53 (the last full bench)"
            + ("" if scale == 1.0 else f", scaled by pixel count to {raw_side} x {raw_side}"))


def _processing(scenario: Scenario, artifact: str, raw_side: int, rate_per_s: float) -> dict[str, Any]:
    """Seconds per tile on the scenario's board, the cores' throughput against the tile rate,
    and the delay from acquisition to a tile's message."""
    from quakesat.bench.energy import BOARDS, energy_from_instructions

    if scenario.onboard.board not in BOARDS:
        raise ConfigError(f"onboard.board must be one of {sorted(BOARDS)}, got {scenario.onboard.board!r}")
    board = BOARDS[scenario.onboard.board]
    instructions, basis = _instructions(scenario, artifact, raw_side)
    estimate = energy_from_instructions(instructions, board)
    cores = scenario.onboard.cores or board.cores
    throughput = cores / estimate.seconds_per_tile
    load = rate_per_s / throughput
    segment = scenario.instrument.minutes_per_orbit * 60.0
    # Below full load a tile waits its own processing time; above it the backlog of a
    # recording segment grows linearly, on average half a segment's excess.
    delay = estimate.seconds_per_tile + (0.5 * segment * (load - 1.0) if load > 1.0 else 0.0)
    return {"board": board.name, "board_id": board.id, "cores": cores, "instructions_per_tile": instructions,
            "instructions_basis": basis, "seconds_per_tile": estimate.seconds_per_tile,
            "joules_per_tile": estimate.joules_per_tile, "energy_basis": estimate.basis,
            "throughput_tiles_per_s": throughput, "survey_tile_rate_per_s": rate_per_s, "load": load,
            "delay_s": delay}


def _cue_uplinks(quakes: list[Quake], windows: list[Contact], scenario: Scenario) -> dict[int, float | None]:
    """When each quake's notification reaches the satellite: the first contact starting after
    the agency posts it (uplink at the contact's start, after its overhead)."""
    out: dict[int, float | None] = {}
    for quake in quakes:
        posted = quake.origin + scenario.cue.agency_latency_s
        contact = next((c for c in windows if c.end - scenario.downlink.overhead_s > posted), None)
        out[quake.index] = None if contact is None else max(contact.start, posted) + scenario.downlink.overhead_s
    return out


def _survey_tiles(results: list[TileResult], pool: list[TileReport], track, scenario: Scenario, volume: float,
                  delay: float, rng: np.random.Generator) -> tuple[list[ProcessedTile], TileClock, int]:
    """Survey: every simulated tile, plus the rest of the recording's tiles drawn from the
    event-free sample, spread evenly over the recorded track samples."""
    processed = [ProcessedTile(r.plan.time + delay, r.report, False) for r in results]
    lat, lon, inside = swath_points(track, scenario.instrument, samples=16)
    rows = np.nonzero(inside)[0]
    count = max(0, int(round(volume)) - len(results))
    if not len(rows):
        return processed, TileClock(np.zeros(0), np.zeros(0)), len(results)

    def place(k: int) -> tuple[np.ndarray, np.ndarray]:
        picks = rng.choice(rows, size=k)
        across = rng.integers(0, lat.shape[1], size=k)
        times = track.times[picks] + rng.uniform(0.0, track.step_s, size=k) + delay
        return times, np.stack([lat[picks, across], lon[picks, across]], axis=1).reshape(k, 2)

    drawn = drawn_tiles(pool, count, place, DRAWN_FIRST_ID, scenario.onboard.emit, rng)
    per_row = (count + len(results)) / len(rows)
    clock = TileClock(track.times[rows] + track.step_s + delay, np.arange(1, len(rows) + 1) * per_row)
    return processed + drawn, clock, count + len(results)


def _cued_tiles(results: list[TileResult], pool: list[TileReport], track, scenario: Scenario,
                uplinks: dict[int, float | None], quakes: list[Quake], side_km: float, delay: float,
                rng: np.random.Generator) -> tuple[list[ProcessedTile], TileClock, int]:
    """Cued: the simulated event tiles acquired while their cue is active, plus the other
    tiles recorded within the cue radius then, drawn from the event-free sample."""
    processed = []
    for r in results:
        since = uplinks.get(r.plan.quake) if r.plan.kind == EVENT else None
        if since is not None and since <= r.plan.time < since + scenario.cue.active_hours * 3600:
            processed.append(ProcessedTile(r.plan.time + delay, r.report, False))
    centres = [(q.latitude, q.longitude, uplinks[q.index], uplinks[q.index] + scenario.cue.active_hours * 3600)
               for q in quakes if uplinks.get(q.index) is not None]
    volume, cells = tiles_within(track, scenario.instrument, centres, scenario.cue.radius_km, side_km)
    total = max(int(round(volume)), len(processed))
    count = total - len(processed)
    if not cells:
        return processed, TileClock(np.zeros(0), np.zeros(0)), len(processed)
    cell_array = np.array(cells)

    def place(k: int) -> tuple[np.ndarray, np.ndarray]:
        chosen = cell_array[rng.integers(0, len(cells), size=k)]
        return chosen[:, 0] + rng.uniform(0.0, track.step_s, size=k) + delay, chosen[:, 1:3].reshape(k, 2)

    drawn = drawn_tiles(pool, count, place, DRAWN_FIRST_ID, scenario.onboard.emit, rng)
    clock = TileClock(cell_array[:, 0] + track.step_s + delay, np.arange(1, len(cells) + 1) * (total / len(cells)))
    return processed + drawn, clock, total


def _quantiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "median_h": None, "p90_h": None, "min_h": None, "max_h": None}
    hours = np.array(values) / 3600.0
    return {"n": len(values), "median_h": round(float(np.median(hours)), 3),
            "p90_h": round(float(np.percentile(hours, 90)), 3), "min_h": round(float(hours.min()), 3),
            "max_h": round(float(hours.max()), 3)}


def _wilson(k: int, n: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of ``k`` of ``n`` (scipy), (0, 1) with no trials."""
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest

    interval = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(interval.low), float(interval.high)


@dataclass(frozen=True)
class _Downlinked:
    """What the ground decoded from one mode's stream, sorted by what it says."""

    messages: int
    decode_errors: int
    first_alert: dict[int, float]
    false_delivered: int
    health: int
    reported_drops: int


@dataclass(frozen=True)
class _OnBoard:
    """What the runtime flagged on board: each earthquake's first detection and its tiles."""

    detected: dict[int, float]
    flagged_background: int
    by_quake: dict[int, list[ProcessedTile]]


@dataclass
class _Timings:
    """Seconds from each earthquake's origin (or acquisition) to each milestone, across events."""

    acquisition: list[float]
    detection: list[float]
    alert: list[float]
    after_acquisition: list[float]


def _decoded(delivery: Delivery) -> tuple[list[tuple[float, Any]], int]:
    """The ground's decode of the stream: (delivery time, message) pairs, and how many did not decode."""
    from quakesat.ground.decode import DecodeError, iter_stream

    decoded, bad = [], 0
    for offset, message in iter_stream(bytes(delivery.stream)):
        if isinstance(message, DecodeError):
            bad += 1
            continue
        decoded.append((delivery.delivered_at[offset // MESSAGE_LENGTH], message))
    return decoded, bad


def _downlinked(delivery: Delivery, quake_of: dict[int, int]) -> _Downlinked:
    """Decode the delivered stream; each earthquake's first alert on the ground, and the rest."""
    decoded, bad = _decoded(delivery)
    first_alert: dict[int, float] = {}
    false_delivered, health, reported_drops = 0, 0, 0
    for when, message in decoded:
        if not isinstance(message, TileReport):
            health += 1
            reported_drops += message.dropped
            continue
        if message.event:
            quake = quake_of.get(message.tile_id)
            if quake is None:
                false_delivered += 1
            elif quake not in first_alert:
                first_alert[quake] = when
    return _Downlinked(len(decoded), bad, first_alert, false_delivered, health, reported_drops)


def _on_board(processed: list[ProcessedTile], quake_of: dict[int, int]) -> _OnBoard:
    """Group the simulated tiles by earthquake; the first flagged time of each; flagged event-free tiles."""
    detected: dict[int, float] = {}
    flagged_background = 0
    by_quake: dict[int, list[ProcessedTile]] = {}
    for p in processed:
        quake = quake_of.get(p.report.tile_id) if not p.drawn else None
        if quake is not None:
            by_quake.setdefault(quake, []).append(p)
            if p.report.event:
                detected[quake] = min(detected.get(quake, math.inf), p.time)
        elif p.report.event:
            flagged_background += 1
    return _OnBoard(detected, flagged_background, by_quake)


def _hours(seconds: float) -> float:
    return round(seconds / 3600.0, 3)


def _event_entry(mode: str, quake: Quake, seen: list[ProcessedTile], first: float | None, alerted: float | None,
                 onboard: _OnBoard, looks: dict[int, list[float]], uplinks: dict[int, float | None],
                 damaged_tiles: set[int], timings: _Timings) -> dict[str, Any]:
    """One earthquake's line of ``per_event``; its times join ``timings``."""
    entry: dict[str, Any] = {"index": quake.index, "name": quake.name, "mw": quake.mw,
                             "origin": quake.origin, "looks": len(looks.get(quake.index, [])),
                             "tiles_processed": len(seen),
                             "tiles_with_damage": sum(1 for p in seen if p.report.tile_id in damaged_tiles)}
    if mode == "cued":
        entry["cue_uplinked"] = uplinks.get(quake.index)
    if first is not None:
        entry["to_acquisition_h"] = _hours(first - quake.origin)
        timings.acquisition.append(first - quake.origin)
    if quake.index in onboard.detected:
        entry["to_detection_h"] = _hours(onboard.detected[quake.index] - quake.origin)
        timings.detection.append(onboard.detected[quake.index] - quake.origin)
    if alerted is None:
        entry["outcome"] = _why_missed(mode, quake, seen, looks, uplinks, onboard.detected, entry)
        return entry
    entry["to_alert_h"] = _hours(alerted - quake.origin)
    timings.alert.append(alerted - quake.origin)
    if first is not None:
        entry["acquisition_to_alert_h"] = _hours(alerted - first)
        timings.after_acquisition.append(alerted - first)
    entry["outcome"] = "alerted"
    return entry


def _per_event(mode: str, quakes: list[Quake], onboard: _OnBoard, down: _Downlinked, looks: dict[int, list[float]],
               uplinks: dict[int, float | None], damaged_tiles: set[int],
               delay_s: float) -> tuple[list[dict[str, Any]], _Timings, dict[str, int]]:
    """Each earthquake's line, the milestone times across them, and how many ended each way."""
    per_quake = []
    timings = _Timings([], [], [], [])
    reasons: dict[str, int] = {}
    for quake in quakes:
        seen = onboard.by_quake.get(quake.index, [])
        first = min((p.time - delay_s for p in seen), default=None)
        entry = _event_entry(mode, quake, seen, first, down.first_alert.get(quake.index), onboard, looks, uplinks,
                             damaged_tiles, timings)
        reasons[entry["outcome"]] = reasons.get(entry["outcome"], 0) + 1
        per_quake.append(entry)
    return per_quake, timings, reasons


def _tile_counts(processed: list[ProcessedTile], tiles_total: int, onboard: _OnBoard, days: float) -> dict[str, Any]:
    """The tiles processed: how many the runtime saw, how many were drawn from its sample, per day."""
    drawn_tiles_count = tiles_total - sum(1 for p in processed if not p.drawn)
    return {"processed": tiles_total, "run_through_runtime": tiles_total - drawn_tiles_count,
            "drawn_from_sample": drawn_tiles_count, "event_tiles": sum(len(v) for v in onboard.by_quake.values()),
            "per_day": round(tiles_total / days, 1)}


def _false_alerts(onboard: _OnBoard, down: _Downlinked, results: list[TileResult], pool: list[TileReport],
                  orbits: float, days: float) -> dict[str, Any]:
    """Flagged event-free tiles, per orbit and day, and the sample's rate with its interval."""
    sampled = [r for r in results if r.plan.kind != EVENT]
    rate_k = sum(1 for r in pool if r.event)
    low, high = _wilson(rate_k, len(pool))
    flagged = onboard.flagged_background
    return {
        "flagged_on_board": flagged, "delivered": down.false_delivered,
        "per_orbit": round(flagged / orbits, 2) if orbits else None,
        "per_day": round(flagged / days, 1),
        "sample_rate": round(rate_k / len(pool), 4) if pool else None,
        "sample_rate_95ci": [round(low, 4), round(high, 4)], "sample_tiles": len(pool),
        "sampled_kinds": {kind: sum(1 for r in sampled if r.plan.kind == kind) for kind in ("changed", "unchanged")},
        "note": "flagged event-free tiles; beyond the simulated sample they are drawn from its outcomes, so the "
                "rate's uncertainty is the sample's (95 % Wilson interval)"}


def _downlink_figures(down: _Downlinked, delivery: Delivery, raw_bytes: int) -> dict[str, Any]:
    """The stream's size against the raw images of the same tiles, and the contacts it used."""
    return {"messages": down.messages, "bytes": len(delivery.stream), "decode_errors": down.decode_errors,
            "health_reports_delivered": down.health, "drops_reported_in_delivered_health": down.reported_drops,
            "raw_image_bytes_same_tiles": raw_bytes,
            "ratio_raw_to_downlinked": round(raw_bytes / len(delivery.stream), 1) if delivery.stream else None,
            "contacts": len(delivery.per_contact),
            "contacts_used": sum(1 for c in delivery.per_contact if c["messages"])}


def _queue_figures(delivery: Delivery, capacity: int) -> dict[str, Any]:
    """The onboard queue's record: what it was offered, held, dropped and kept."""
    return {"capacity": capacity, "messages_offered": delivery.queued_messages,
            "max_fill": delivery.max_queue, "dropped": delivery.dropped, "dropped_events": delivery.dropped_events,
            "left_on_board": delivery.left_on_board, "left_events_on_board": delivery.left_events_on_board,
            "health_reports": delivery.health_reports, "health_reports_superseded": delivery.superseded_health}


def _energy(tiles_total: int, processing: dict[str, Any], days: float) -> dict[str, Any]:
    """The processing energy per day, every tile at the full per-tile figure."""
    joules = processing["joules_per_tile"]
    return {"joules_per_day": round(tiles_total * joules / days, 1),
            "mean_watts": round(tiles_total * joules / (days * 86_400.0), 3),
            "basis": f"{tiles_total:,} tiles x {joules:.4g} J "
                     f"({processing['energy_basis']}); every tile at the full figure (gated tiles skip the "
                     "network, so this is an upper bound)"}


def _ground_route(quakes: list[Quake], onboard: _OnBoard, delay_s: float) -> dict[str, Any]:
    """When the conventional route (NRT product, USGS, damage proxy map) would have told the ground."""
    acquired = [(min(p.time for p in onboard.by_quake[q.index]) - delay_s - q.origin)
                for q in quakes if onboard.by_quake.get(q.index)]
    return {
        "nrt_product_h": _quantiles([v + NRT_HOURS[0] * 3600 for v in acquired]) | {
            "upper_median_h": _quantiles([v + NRT_HOURS[1] * 3600 for v in acquired])["median_h"]},
        "usgs_minutes": USGS_MINUTES, "damage_proxy_map_days": list(DPM_DAYS)}


def mode_metrics(mode: str, quakes: list[Quake], results: list[TileResult], processed: list[ProcessedTile],
                 tiles_total: int, delivery: Delivery, scenario: Scenario, looks: dict[int, list[float]],
                 uplinks: dict[int, float | None], processing: dict[str, Any], side_px: int, orbits: float,
                 pool: list[TileReport]) -> dict[str, Any]:
    """The figures of one mode (README "Mission simulation" explains each)."""
    days = scenario.duration_hours / 24.0
    delay_s = processing["delay_s"]
    quake_of = {r.plan.tile_id: r.plan.quake for r in results if r.plan.kind == EVENT}
    damaged_tiles = {r.plan.tile_id for r in results if r.plan.kind == EVENT and r.damaged_fraction > 0}
    down = _downlinked(delivery, quake_of)
    onboard = _on_board(processed, quake_of)
    per_quake, timings, reasons = _per_event(mode, quakes, onboard, down, looks, uplinks, damaged_tiles, delay_s)
    return {
        "mode": mode,
        "events": len(quakes),
        "outcomes": reasons,
        "time_to_acquisition": _quantiles(timings.acquisition),
        "time_to_detection": _quantiles(timings.detection),
        "time_to_alert": _quantiles(timings.alert),
        "acquisition_to_alert": _quantiles(timings.after_acquisition),
        "alert_hours": sorted(round(v / 3600.0, 4) for v in timings.alert),
        "tiles": _tile_counts(processed, tiles_total, onboard, days),
        "false_alerts": _false_alerts(onboard, down, results, pool, orbits, days),
        "downlink": _downlink_figures(down, delivery, tiles_total * side_px * side_px * GRD_BYTES_PER_PIXEL),
        "queue": _queue_figures(delivery, scenario.onboard.queue_capacity),
        "energy": _energy(tiles_total, processing, days),
        "ground_route": _ground_route(quakes, onboard, delay_s),
        "per_event": per_quake,
    }


def _why_missed(mode: str, quake: Quake, seen: list[ProcessedTile], looks: dict[int, list[float]],
                uplinks: dict[int, float | None], detected: dict[int, float], entry: dict[str, Any]) -> str:
    if not looks.get(quake.index):
        return "not imaged in the window"
    if not seen:
        if mode == "cued":
            cue = uplinks.get(quake.index)
            if cue is None:
                return "no cue uplinked in the window"
            if all(look < cue for look in looks[quake.index]):
                return "imaged only before the cue reached the satellite"
            return "imaged only outside the cue's active time"
        return "not imaged in the window"
    if quake.index not in detected:
        return "imaged, no tile flagged" + ("" if entry["tiles_with_damage"] else " (no visible damage in its tiles)")
    return "detected, alert dropped or still on board"


def run_mission(scenario: Scenario, out: str | Path, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run ``scenario`` into ``out`` (mission.json, mission.md, plots); return the result."""
    from skyfield.api import load

    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timescale = load.timescale(builtin=True)
    satellite, orbit = _satellite(scenario, timescale)
    start, end = scenario.start_unix, scenario.end_unix
    track = ground_track(satellite, timescale, start, end - start, scenario.step_s)
    windows, per_station = contacts(satellite, timescale, list(scenario.stations), start, end)
    say(f"orbit: {orbit['source']}, period {orbit['period_min']:.2f} min; {len(windows)} contacts "
        f"({', '.join(f'{n} {len(p)}' for n, p in per_station.items())})")
    quakes = build_catalogue(scenario.catalogue, start, end, scenario.seed)
    artifacts = scenario.onboard.artifacts
    if not artifacts:
        raise ConfigError("the scenario names no model: pass --artifacts DIR (e.g. out/demo/artifacts/quakelite)")
    processor = open_processor(scenario.onboard.runtime, artifacts, scenario.onboard.artifact or None,
                               scenario.onboard.gate)
    info = processor.info
    spacing = 10.0
    side_km = tile_km(info.raw_side, spacing)
    repeat = scenario.satellite.repeat_days
    planned, looks = plan_event_tiles(quakes, track, scenario.instrument, side_km, scenario.tiles.event_grid, repeat,
                                      scenario.seed)
    planned += plan_background_tiles(track, scenario.instrument, scenario.tiles.background_sample,
                                     scenario.tiles.changed_share, repeat, scenario.seed, len(planned) + 1)
    imaged = sum(1 for q in quakes if looks[q.index])
    say(f"catalogue: {len(quakes)} earthquakes, {imaged} imaged in the window; simulating {len(planned)} tiles "
        f"({info.raw_side} x {info.raw_side} px) through the {info.runtime} runtime ({info.artifact})")
    workers = scenario.tiles.workers or None
    simulated = simulate_tiles(planned, quakes, info.raw_side, spacing, repeat,
                               workers if workers is not None else _default_workers())
    results = [TileResult(s.plan, report, s.damaged_fraction, s.max_mmi, s.changes)
               for s, report in processor.run(simulated)]
    pool = [r.report for r in results if r.plan.kind != EVENT]
    period = orbit["period_min"] * 60.0
    orbits = (end - start) / period
    rate = tile_rate_per_s(track, scenario.instrument, side_km)
    processing = _processing(scenario, info.artifact, info.raw_side, rate)
    volume = recording_seconds(track, scenario.instrument, period) * rate
    uplinks = _cue_uplinks(quakes, windows, scenario)
    modes: dict[str, Any] = {}
    deliveries: dict[str, Delivery] = {}
    for mode in scenario.modes:
        rng = np.random.default_rng([scenario.seed, 5, scenario.modes.index(mode)])
        if mode == "survey":
            processed, clock, total = _survey_tiles(results, pool, track, scenario, volume, processing["delay_s"], rng)
        else:
            processed, clock, total = _cued_tiles(results, pool, track, scenario, uplinks, quakes, side_km,
                                                  processing["delay_s"], rng)
        queue_in = arrivals(processed, clock, scenario.onboard.emit, scenario.onboard.health_every)
        delivery = run_downlink(queue_in, windows, scenario.downlink, scenario.onboard.queue_capacity,
                                info.model_id, end)
        deliveries[mode] = delivery
        (out / f"{mode}_downlink.bin").write_bytes(bytes(delivery.stream))
        modes[mode] = mode_metrics(mode, quakes, results, processed, total, delivery, scenario, looks, uplinks,
                                   processing, info.raw_side, orbits, pool)
        tta = modes[mode]["time_to_alert"]
        say(f"{mode}: {total:,} tiles, {modes[mode]['downlink']['messages']:,} messages down, "
            f"{len(tta and modes[mode]['alert_hours'])} of {len(quakes)} events alerted (median {tta['median_h']} h), "
            f"{modes[mode]['false_alerts']['flagged_on_board']:,} false alerts on board, "
            f"{modes[mode]['queue']['dropped']:,} dropped")
    nodes = ascending_node_times(track)
    near, far = swath_edges_km(scenario.instrument, float(np.mean(track.altitude_km)))
    from quakesat.mission.record import FORMAT, VERSION

    result = {
        "format": FORMAT, "version": VERSION,  # mission.json is a typed record (mission/record.py)
        "scenario": scenario.name,
        "window": {"start": start, "end": end, "hours": scenario.duration_hours, "orbits": round(orbits, 2)},
        "orbit": orbit | {"ascending_nodes": len(nodes), "mean_altitude_km_over_ellipsoid":
                          round(float(np.mean(track.altitude_km)), 1)},
        "swath": {"near_km": round(near, 1), "far_km": round(far, 1), "width_km": scenario.instrument.swath_km,
                  "tile_km": side_km, "tiles_per_s_recording": round(rate, 2),
                  "recording_hours": round(volume / rate / 3600.0, 2)},
        "stations": {name: {"contacts": len(p), "minutes": round(sum(c.seconds for c in p) / 60.0, 1)}
                     for name, p in per_station.items()},
        "contacts": [{"start": c.start, "end": c.end, "stations": list(c.stations),
                      "max_elevation_deg": round(c.max_elevation_deg, 1)} for c in windows],
        "model": asdict(info),
        "processing": processing,
        "catalogue": [q.as_dict() for q in quakes],
        "looks": {str(k): v for k, v in looks.items()},
        "modes": modes,
        "queue_timeline": {mode: d.queue_samples for mode, d in deliveries.items()},
        "simulated_tiles": len(results),
        "seconds": 0.0,
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    from quakesat.mission.report import write_mission_report

    result["files"] = {k: str(v) for k, v in write_mission_report(result, track, scenario, out).items()}
    return result


def _default_workers() -> int:
    from quakesat.data.parallel import default_workers

    return default_workers()
