"""``quakesat mission``: one scenario, end to end, in both operating modes.

Orbit and passes → catalogue → which earthquakes the swath images, and when → the tiles
around them and a sample of event-free tiles, simulated and run through the flight runtime
once → per mode (*survey*: every recorded tile; *cued*: after the agency's notification is
uplinked at a contact, only tiles within the cue radius) the onboard queue fed in time
order, contacts releasing it under the link budget → the ground decodes the stream → the
figures (:func:`mode_metrics`). Seeded: the same scenario and artifacts give the same bytes.

Cued mode's chain, per event (``per_event[].chain``, Unix seconds): origin → the agency's
notice → uplink at the next contact → the first acquisition of the tile after it → the
interferogram's message ready on board → the alert on the ground at the next contact. Beside
it, the ground routes (:data:`GROUND_ROUTES`): the same event's first acquisition as a
Sentinel-1 NRT product, and as an interferogram of the automatic ground InSAR services.

With ``satellite.count = 2`` each satellite flies its own mission (own ground track,
contacts, tiles, queue and downlink; :class:`Flight`) and the ground merges them
(:func:`constellation_metrics`): an event's alert is the first of either, false alerts and
bytes add up; ``what_it_buys`` compares the pair with the first satellite alone.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.errors import ConfigError, RecordError
from quakesat.mission.catalogue import Quake, build_catalogue
from quakesat.mission.contacts import Contact, contacts
from quakesat.mission.downlink import Delivery, run_downlink
from quakesat.mission.onboard import ProcessedTile, TileClock, arrivals, drawn_tiles, open_processor
from quakesat.mission.orbit import (
    GroundTrack,
    ascending_node_times,
    design_sun_synchronous,
    ground_track,
    interleave_phase_deg,
    satellite_from_design,
    satellite_from_tle,
)
from quakesat.mission.scenario import Scenario
from quakesat.mission.store_study import INSTRUCTIONS_PER_TILE as SAME_TRACK_INSTRUCTIONS_PER_TILE
from quakesat.mission.swath import recording_seconds, swath_edges_km, swath_points, tile_rate_per_s
from quakesat.mission.thumbnails import make_thumbnail, send_thumbnails, thumbnail_figures
from quakesat.mission.tiles import (
    EVENT,
    PlannedTile,
    plan_background_tiles,
    plan_event_tiles,
    simulate_tiles,
    tiles_within,
)
from quakesat.runtime.message import MESSAGE_LENGTH, TileReport
from quakesat.runtime.tile import SAME_TRACK

#: Instructions per tile on a Cortex-A53 when no bench result is given: the pte-fp32 figure
#: of the last full ``quakesat bench`` (docs/benchmarks.md), for a 512 x 512 tile.
DEFAULT_INSTRUCTIONS_PER_TILE = 19_356_793
#: The ground-processing route (README "Mission simulation"): Sentinel-1 near-real-time
#: products reach users 1–3 h after sensing (ESA Sentinel-1 User Handbook, "NRT"); damage
#: proxy maps follow days later; USGS posts events outside the US in about 20 minutes.
NRT_HOURS = (1.0, 3.0)
DPM_DAYS = (1.0, 5.0)
USGS_MINUTES = 20.0
#: The automatic ground interferometry routes, hours from the post-event data reaching users
#: (that is, after the NRT product) to the interferogram. COMET LiCSAR (Lazecký et al. 2020,
#: "LiCSAR: An Automatic InSAR Tool for Measuring and Monitoring Tectonic and Volcanic
#: Activity", Remote Sensing 12(15):2430) processes new Sentinel-1 acquisitions into
#: interferograms automatically, with a live-update strategy for priority areas; IREA-CNR's
#: unsupervised coseismic archive (Monterroso et al. 2020, "A Global Archive of Coseismic
#: DInSAR Products Obtained Through Unsupervised Sentinel-1 Data Processing", Remote Sensing
#: 12(19):3189) is triggered by the USGS/INGV catalogues and downloads and processes the
#: post-event data itself. Both deliver in hours to days; neither number is a stated
#: guarantee, so both are modelled as the same conservative range, 3 h to 3 days.
LICSAR_HOURS = (3.0, 72.0)
IREA_HOURS = (3.0, 72.0)
#: The cued mode's goal (issue "cued mode"): acquisition → alert median at most this, with
#: the default ground stations.
ALERT_GOAL_MINUTES = 30.0
#: The satellites' names, in order; the second's tile ids start this far above the first's
#: (u32 ids: the first's simulated and drawn tiles stay far below it).
SATELLITE_NAMES = ("A", "B")
SATELLITE_ID_STRIDE = 1 << 31
#: Bytes of one tile's post-event image on the ground route: a GRD product's two 16-bit bands;
#: for a same-track tile, its complex64 post image.
GRD_BYTES_PER_PIXEL = 4
COMPLEX_BYTES_PER_PIXEL = 8
#: Tile ids of the bootstrapped tiles start here (the simulated ones count from 1).
DRAWN_FIRST_ID = 1_000_000


@dataclass(frozen=True)
class GroundRoute:
    """A route on the ground from an acquisition to a product that shows the event: the
    Sentinel-1 NRT product (``after_data_h`` 0), or an interferogram made from it."""

    name: str
    label: str
    source: str
    after_data_h: tuple[float, float]

    @property
    def acquisition_to_product_h(self) -> tuple[float, float]:
        return NRT_HOURS[0] + self.after_data_h[0], NRT_HOURS[1] + self.after_data_h[1]


GROUND_ROUTES = (
    GroundRoute("nrt", "Sentinel-1 NRT product", "ESA Sentinel-1 User Handbook, NRT timeliness", (0.0, 0.0)),
    GroundRoute("licsar", "COMET LiCSAR interferogram", "Lazecky et al. 2020, Remote Sensing 12(15):2430",
                LICSAR_HOURS),
    GroundRoute("irea", "IREA-CNR coseismic DInSAR", "Monterroso et al. 2020, Remote Sensing 12(19):3189",
                IREA_HOURS),
)


@dataclass(frozen=True)
class TileResult:
    """A simulated tile and the runtime's verdict on it."""

    plan: PlannedTile
    report: TileReport
    damaged_fraction: float
    max_mmi: float
    changes: str
    coseismic_fringes: float = 0.0  # same-track tiles: the earthquake's signal in fringes

    @property
    def visible(self) -> bool:
        """The tile holds what its kind can see of the earthquake: damage (amplitude) or half a
        fringe of co-seismic motion or more (same-track)."""
        return self.damaged_fraction > 0 or self.coseismic_fringes >= 0.5


def satellite_phase_deg(scenario: Scenario, number: int) -> float:
    """The along-track phase of satellite ``number`` (0: the first, at 0°): the second flies the
    first one's ground track half a repeat cycle later (180° for a TLE: Sentinel-1A and B)."""
    if number == 0:
        return 0.0
    spec = scenario.satellite
    return 180.0 if spec.tle else interleave_phase_deg(spec.orbits_per_repeat)


def _satellite(scenario: Scenario, timescale, phase_deg: float = 0.0) -> tuple[Any, dict[str, Any]]:
    spec = scenario.satellite
    if spec.tle:
        satellite = satellite_from_tle(spec.tle[0], spec.tle[1], timescale, phase_deg)
        period = 2.0 * math.pi / satellite.model.no_kozai
        return satellite, {"source": "tle", "period_min": period, "inclination_deg": math.degrees(satellite.model.inclo)}
    design = design_sun_synchronous(scenario.start_unix, spec.repeat_days, spec.orbits_per_repeat, spec.ltan_hours,
                                    spec.eccentricity, spec.argument_of_perigee_deg, timescale)
    return satellite_from_design(design, scenario.start_unix, timescale, phase_deg), {
        "source": "sun-synchronous repeat-track design", "period_min": design.nodal_period_min, **asdict(design)}


def _counted(value: object) -> bool:
    """Whether ``value`` is an instruction count (a positive number, not a reason it is missing)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _instructions(scenario: Scenario, artifact: str, raw_side: int, kind: str = "amplitude") -> tuple[float, str]:
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
    if kind == SAME_TRACK:
        return (float(SAME_TRACK_INSTRUCTIONS_PER_TILE) * (raw_side / 256.0) ** 2,
                "docs/benchmarks.md: the same-track path's pte-fp32 on cortex-a53 (the last full bench)")
    scale = (raw_side / 512.0) ** 2
    return (float(DEFAULT_INSTRUCTIONS_PER_TILE) * scale,
            "docs/benchmarks.md: pte-fp32 on cortex-a53 (the last full bench)"
            + ("" if scale == 1.0 else f", scaled by pixel count to {raw_side} x {raw_side}"))


def _processing(scenario: Scenario, artifact: str, raw_side: int, rate_per_s: float,
                kind: str = "amplitude") -> dict[str, Any]:
    """Seconds per tile on the scenario's board, the cores' throughput against the tile rate,
    and the delay from acquisition to a tile's message."""
    from quakesat.bench.energy import BOARDS, energy_from_instructions

    if scenario.onboard.board not in BOARDS:
        raise ConfigError(f"onboard.board must be one of {sorted(BOARDS)}, got {scenario.onboard.board!r}")
    board = BOARDS[scenario.onboard.board]
    instructions, basis = _instructions(scenario, artifact, raw_side, kind)
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


def cue_uplinks(quakes: list[Quake], windows: list[Contact], scenario: Scenario) -> dict[int, float | None]:
    """When each quake's notification reaches the satellite: the agency posts it
    ``cue.agency_latency_s`` after the origin, and the first contact still open then sends it
    once its overhead (acquisition of signal) is over: at the contact's start plus the
    overhead, or the overhead after the posting when that falls inside the contact."""
    out: dict[int, float | None] = {}
    for quake in quakes:
        posted = quake.origin + scenario.cue.agency_latency_s
        contact = next((c for c in windows if c.end - scenario.downlink.overhead_s > posted), None)
        out[quake.index] = None if contact is None else max(contact.start, posted) + scenario.downlink.overhead_s
    return out


def _survey_tiles(results: list[TileResult], pool: list[TileReport], track, scenario: Scenario, volume: float,
                  delay: float, rng: np.random.Generator,
                  first_id: int = DRAWN_FIRST_ID, store: Any = None) -> tuple[list[ProcessedTile], TileClock, int]:
    """Survey: every simulated tile, plus the rest of the recording's tiles drawn from the
    event-free sample, spread evenly over the recorded track samples (with a reference store:
    over the swath's points above stored cells, :func:`~quakesat.mission.store_survey.stored_points`)."""
    processed = [ProcessedTile(r.plan.time + delay, r.report, False) for r in results]
    if store is None:
        lat, lon, inside = swath_points(track, scenario.instrument, samples=16)
        held = None
    else:
        from quakesat.mission.store_survey import stored_points

        lat, lon, held, _ = stored_points(track, scenario.instrument, store, samples=16)
        inside = held.any(axis=1)
        points_rows, points_across = np.nonzero(held)
    rows = np.nonzero(inside)[0]
    count = max(0, int(round(volume)) - len(results))
    if not len(rows):
        return processed, TileClock(np.zeros(0), np.zeros(0)), len(results)

    def place(k: int) -> tuple[np.ndarray, np.ndarray]:
        if held is None:  # anywhere across the recorded swath
            row = rng.choice(rows, size=k)
            across = rng.integers(0, lat.shape[1], size=k)
        else:  # only over stored cells
            picks = rng.integers(0, len(points_rows), size=k)
            row, across = points_rows[picks], points_across[picks]
        times = track.times[row] + rng.uniform(0.0, track.step_s, size=k) + delay
        return times, np.stack([lat[row, across], lon[row, across]], axis=1).reshape(k, 2)

    drawn = drawn_tiles(pool, count, place, first_id, scenario.onboard.emit, rng)
    per_row = (count + len(results)) / len(rows)
    clock = TileClock(track.times[rows] + track.step_s + delay, np.arange(1, len(rows) + 1) * per_row)
    return processed + drawn, clock, count + len(results)


def cued_event_tiles(results: list[TileResult], uplinks: dict[int, float | None], active_s: float,
                     delay: float) -> list[ProcessedTile]:
    """The simulated event tiles cued mode processes: those acquired while their event's cue is
    on board (from its uplink for ``active_s``), each ready ``delay`` after its acquisition."""
    processed = []
    for r in results:
        since = uplinks.get(r.plan.quake) if r.plan.kind == EVENT else None
        if since is not None and since <= r.plan.time < since + active_s:
            processed.append(ProcessedTile(r.plan.time + delay, r.report, False))
    return processed


def _cued_tiles(results: list[TileResult], pool: list[TileReport], track, scenario: Scenario,
                uplinks: dict[int, float | None], quakes: list[Quake], side_km: float, delay: float,
                rng: np.random.Generator, first_id: int = DRAWN_FIRST_ID) -> tuple[list[ProcessedTile], TileClock, int]:
    """Cued: the simulated event tiles acquired while their cue is active, plus the other
    tiles recorded within the cue radius then, drawn from the event-free sample."""
    processed = cued_event_tiles(results, uplinks, scenario.cue.active_hours * 3600, delay)
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

    drawn = drawn_tiles(pool, count, place, first_id, scenario.onboard.emit, rng)
    clock = TileClock(cell_array[:, 0] + track.step_s + delay, np.arange(1, len(cells) + 1) * (total / len(cells)))
    return processed + drawn, clock, total


def _quantiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "median_h": None, "p90_h": None, "min_h": None, "max_h": None}
    hours = np.array(values) / 3600.0
    return {"n": len(values), "median_h": round(float(np.median(hours)), 3),
            "p90_h": round(float(np.percentile(hours, 90)), 3), "min_h": round(float(hours.min()), 3),
            "max_h": round(float(hours.max()), 3)}


def _minutes(values: list[float]) -> dict[str, Any]:
    """Median and p90 in minutes, to a hundredth (the goal's unit: hours to 3 decimals is too coarse)."""
    if not values:
        return {"n": 0, "median": None, "p90": None}
    minutes = np.array(values) / 60.0
    return {"n": len(values), "median": round(float(np.median(minutes)), 2),
            "p90": round(float(np.percentile(minutes, 90)), 2)}


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


def _stamp(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def event_routes(origin: float, first_look: float | None) -> dict[str, Any]:
    """The ground routes for an event first acquired at ``first_look`` (Unix seconds; None: not
    acquired in the window, then {}): per route, acquisition → product and origin → product,
    hours, as [earliest, latest]."""
    if first_look is None:
        return {}
    after = first_look - origin
    routes: dict[str, Any] = {"first_look": _stamp(first_look), "first_look_h": _hours(after)}
    for route in GROUND_ROUTES:
        low, high = route.acquisition_to_product_h
        routes[route.name] = {"acquisition_to_product_h": [low, high],
                              "origin_to_product_h": [_hours(after + low * 3600), _hours(after + high * 3600)]}
    return routes


def _timed(entry: dict[str, Any], chain: dict[str, Any], outcome: str, timings: _Timings,
           first_look: float | None) -> dict[str, Any]:
    """``entry`` with the milestones of ``chain`` (Unix seconds or None) as hours from the
    origin, its outcome, the chain itself and the ground routes; its times join ``timings``."""
    origin, first, alerted = chain["origin"], chain["acquisition"], chain["alert"]
    if first is not None:
        entry["to_acquisition_h"] = _hours(first - origin)
        timings.acquisition.append(first - origin)
    if chain["detection_ready"] is not None:
        entry["to_detection_h"] = _hours(chain["detection_ready"] - origin)
        timings.detection.append(chain["detection_ready"] - origin)
    if alerted is not None:
        entry["to_alert_h"] = _hours(alerted - origin)
        timings.alert.append(alerted - origin)
        if first is not None:
            entry["acquisition_to_alert_h"] = _hours(alerted - first)
            timings.after_acquisition.append(alerted - first)
    entry["outcome"] = outcome
    entry["chain"] = {key: _stamp(value) for key, value in chain.items()}
    entry["ground_routes"] = event_routes(origin, first_look)
    return entry


def _event_entry(mode: str, quake: Quake, seen: list[ProcessedTile], first: float | None, alerted: float | None,
                 onboard: _OnBoard, looks: dict[int, list[float]], uplinks: dict[int, float | None],
                 damaged_tiles: set[int], timings: _Timings, notice_s: float = 0.0,
                 outside_store: frozenset[int] = frozenset()) -> dict[str, Any]:
    """One earthquake's line of ``per_event``; its times join ``timings``. ``chain``: origin,
    the agency's notice and the cue's uplink (cued mode), the first acquisition processed, the
    first flagged tile's message ready on board, the alert on the ground (Unix seconds)."""
    entry: dict[str, Any] = {"index": quake.index, "name": quake.name, "mw": quake.mw,
                             "origin": quake.origin, "looks": len(looks.get(quake.index, [])),
                             "tiles_processed": len(seen),
                             "tiles_with_damage": sum(1 for p in seen if p.report.tile_id in damaged_tiles)}
    cued = mode == "cued"
    if cued:
        entry["cue_uplinked"] = uplinks.get(quake.index)
    chain = {"origin": quake.origin, "notice": quake.origin + notice_s if cued else None,
             "uplink": uplinks.get(quake.index) if cued else None, "acquisition": first,
             "detection_ready": onboard.detected.get(quake.index), "alert": alerted}
    if alerted is not None:
        outcome = "alerted"
    elif quake.index in outside_store and looks.get(quake.index):
        outcome = "imaged, outside the reference store (no reference on board)"
    else:
        outcome = _why_missed(mode, quake, seen, looks, uplinks, onboard.detected, entry)
    times = looks.get(quake.index)
    return _timed(entry, chain, outcome, timings, min(times) if times else None)


def _per_event(mode: str, quakes: list[Quake], onboard: _OnBoard, down: _Downlinked, looks: dict[int, list[float]],
               uplinks: dict[int, float | None], damaged_tiles: set[int],
               delay_s: float, notice_s: float = 0.0,
               outside_store: frozenset[int] = frozenset()) -> tuple[list[dict[str, Any]], _Timings, dict[str, int]]:
    """Each earthquake's line, the milestone times across them, and how many ended each way."""
    per_quake = []
    timings = _Timings([], [], [], [])
    reasons: dict[str, int] = {}
    for quake in quakes:
        seen = onboard.by_quake.get(quake.index, [])
        first = min((p.time - delay_s for p in seen), default=None)
        entry = _event_entry(mode, quake, seen, first, down.first_alert.get(quake.index), onboard, looks, uplinks,
                             damaged_tiles, timings, notice_s, outside_store)
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


def _ground_route(acquired: list[float], first_looks: list[float]) -> dict[str, Any]:
    """When the routes on the ground would have told the same news. ``acquired``: seconds from
    origin to the first acquisition the mode processed (the NRT product of that acquisition,
    ``nrt_product_h``); ``first_looks``: to each event's first acquisition after its origin,
    which the ground routes (``routes``, :data:`GROUND_ROUTES`) take whether or not a cue was on
    board. Each route's origin → product at its earliest and its latest."""
    routes: dict[str, Any] = {}
    for route in GROUND_ROUTES:
        low, high = route.acquisition_to_product_h
        earliest = sorted(v + low * 3600 for v in first_looks)
        latest = sorted(v + high * 3600 for v in first_looks)
        routes[route.name] = {"label": route.label, "source": route.source,
                              "after_data_h": list(route.after_data_h), "acquisition_to_product_h": [low, high],
                              "origin_to_product_earliest": _quantiles(earliest),
                              "origin_to_product_latest": _quantiles(latest),
                              "earliest_hours": [round(v / 3600.0, 4) for v in earliest],
                              "latest_hours": [round(v / 3600.0, 4) for v in latest]}
    return {
        "nrt_product_h": _quantiles([v + NRT_HOURS[0] * 3600 for v in acquired]) | {
            "upper_median_h": _quantiles([v + NRT_HOURS[1] * 3600 for v in acquired])["median_h"]},
        "usgs_minutes": USGS_MINUTES, "damage_proxy_map_days": list(DPM_DAYS),
        "routes": routes,
        "routes_basis": "each event's first acquisition after its origin (a ground route needs no cue)"}


def _timing_figures(timings: _Timings) -> dict[str, Any]:
    """A mode's milestone times across its events: medians, p90s and each alert's hours."""
    return {"time_to_acquisition": _quantiles(timings.acquisition),
            "time_to_detection": _quantiles(timings.detection),
            "time_to_alert": _quantiles(timings.alert),
            "acquisition_to_alert": _quantiles(timings.after_acquisition),
            "acquisition_to_alert_minutes": _minutes(timings.after_acquisition),
            "alert_hours": sorted(round(v / 3600.0, 4) for v in timings.alert)}


def mode_metrics(mode: str, quakes: list[Quake], results: list[TileResult], processed: list[ProcessedTile],
                 tiles_total: int, delivery: Delivery, scenario: Scenario, looks: dict[int, list[float]],
                 uplinks: dict[int, float | None], processing: dict[str, Any], side_px: int, orbits: float,
                 pool: list[TileReport], kind: str = "amplitude",
                 outside_store: frozenset[int] = frozenset()) -> dict[str, Any]:
    """The figures of one mode (README "Mission simulation" explains each). ``outside_store``:
    same-track events that no stored reference covers."""
    days = scenario.duration_hours / 24.0
    delay_s = processing["delay_s"]
    quake_of = {r.plan.tile_id: r.plan.quake for r in results if r.plan.kind == EVENT}
    damaged_tiles = {r.plan.tile_id for r in results if r.plan.kind == EVENT and r.visible}
    down = _downlinked(delivery, quake_of)
    onboard = _on_board(processed, quake_of)
    per_quake, timings, reasons = _per_event(mode, quakes, onboard, down, looks, uplinks, damaged_tiles, delay_s,
                                             scenario.cue.agency_latency_s, outside_store)
    pixel_bytes = COMPLEX_BYTES_PER_PIXEL if kind == SAME_TRACK else GRD_BYTES_PER_PIXEL
    first_looks = [min(looks[q.index]) - q.origin for q in quakes if looks.get(q.index)]
    return {
        "mode": mode,
        "events": len(quakes),
        "outcomes": reasons,
        **_timing_figures(timings),
        "tiles": _tile_counts(processed, tiles_total, onboard, days),
        "false_alerts": _false_alerts(onboard, down, results, pool, orbits, days),
        "downlink": _downlink_figures(down, delivery, tiles_total * side_px * side_px * pixel_bytes),
        "queue": _queue_figures(delivery, scenario.onboard.queue_capacity),
        "energy": _energy(tiles_total, processing, days),
        "ground_route": _ground_route(timings.acquisition, first_looks),
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


@dataclass
class Flight:
    """One satellite's own mission: its orbit, ground track and contacts, the tiles it
    acquired and the runtime's verdicts, the cues it received, and per mode what reached the
    ground (``modes``: :func:`mode_metrics`; ``deliveries``: the downlink)."""

    name: str
    number: int
    phase_deg: float
    orbit: dict[str, Any]
    track: GroundTrack
    windows: list[Contact]
    per_station: dict[str, list[Contact]]
    looks: dict[int, list[float]]
    results: list[TileResult]
    pool: list[TileReport]
    processing: dict[str, Any]
    rate: float
    volume: float
    orbits: float
    uplinks: dict[int, float | None]
    store: dict[str, Any] | None = None  # same-track: the reference store's figures (mission/store_survey.py)
    thumbnails: dict[int, Any] = field(default_factory=dict)  # same-track event tiles flagged: tile id -> Thumbnail
    modes: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    thumbnail_streams: dict[str, bytes] = field(default_factory=dict)

    @property
    def outside_store(self) -> frozenset[int]:
        """Events no stored reference covers (none for amplitude tiles, which need no reference)."""
        if self.store is None:
            return frozenset()
        return frozenset(self.store["quakes_outside_store"])

    @property
    def id_base(self) -> int:
        """Added to this satellite's tile ids (0 for the first), so that no two satellites share one."""
        return self.number * SATELLITE_ID_STRIDE


def _renumbered(planned: list[PlannedTile], number: int) -> list[PlannedTile]:
    """Satellite ``number``'s tiles: ids above the first satellite's, and pixels from their own
    random streams (the event's own draws, keyed by the seed and the event, stay shared: one
    earthquake). The first satellite's tiles are left as they are."""
    if number == 0:
        return planned
    return [replace(p, tile_id=p.tile_id + number * SATELLITE_ID_STRIDE, seed=(*p.seed, number)) for p in planned]


def _fly(scenario: Scenario, number: int, timescale, processor, quakes: list[Quake], workers: int,
         say: Callable[[str], None]) -> Flight:
    """Satellite ``number`` flies the scenario on its own: orbit, contacts, tiles through the
    runtime, then each mode's queue and downlink."""
    name = SATELLITE_NAMES[number]
    phase = satellite_phase_deg(scenario, number)
    prefix = f"satellite {name}: " if scenario.satellite.count > 1 else ""
    satellite, orbit = _satellite(scenario, timescale, phase)
    start, end = scenario.start_unix, scenario.end_unix
    track = ground_track(satellite, timescale, start, end - start, scenario.step_s)
    windows, per_station = contacts(satellite, timescale, list(scenario.stations), start, end)
    say(f"{prefix}orbit: {orbit['source']}, period {orbit['period_min']:.2f} min"
        + (f", {phase:.0f}° behind satellite A" if number else "") + f"; {len(windows)} contacts "
        f"({', '.join(f'{n} {len(p)}' for n, p in per_station.items())})")
    info = processor.info
    side_km = info.tile_km
    repeat = scenario.satellite.repeat_days
    period = orbit["period_min"] * 60.0
    store = _store(scenario, info, track, quakes, period) if info.kind == SAME_TRACK else None
    reachable = quakes if store is None else [q for q in quakes if q.index in store["quakes_in_store"]]
    planned, looks = plan_event_tiles(quakes, track, scenario.instrument, side_km, scenario.tiles.event_grid, repeat,
                                      scenario.seed)
    # Same-track: an event outside the store has no reference on board, so no tile of it is formed.
    planned = [p for p in planned if store is None or p.quake in store["quakes_in_store"]]
    planned += plan_background_tiles(track, scenario.instrument, scenario.tiles.background_sample,
                                     scenario.tiles.changed_share, repeat, scenario.seed, len(planned) + 1)
    planned = _renumbered(planned, number)
    imaged = sum(1 for q in quakes if looks[q.index])
    say(f"{prefix}catalogue: {len(quakes)} earthquakes, {imaged} imaged in the window"
        + ("" if store is None else f", {len(reachable)} inside the reference store ({store['budget_gb']:g} GB)")
        + f"; simulating {len(planned)} {info.kind.replace('_', '-')} tiles ({info.raw_side} x {info.raw_side} px) "
        f"through the {info.runtime} runtime ({info.artifact})")
    simulated = simulate_tiles(planned, quakes, info.raw_side, info.pixel_spacing_m, repeat, workers, kind=info.kind)
    results, thumbnails = [], {}
    for sim, report in processor.run(simulated):
        results.append(TileResult(sim.plan, report, sim.damaged_fraction, sim.max_mmi, sim.changes, sim.coseismic_fringes))
        if sim.kind == SAME_TRACK and sim.plan.kind == EVENT and report.event:
            thumbnail = make_thumbnail(sim.tile.first, sim.tile.second, report, info.pixel_spacing_m)
            if thumbnail is not None:
                thumbnails[report.tile_id] = thumbnail
    pool = [r.report for r in results if r.plan.kind != EVENT]
    rate = tile_rate_per_s(track, scenario.instrument, side_km)
    # Survey volume: the recording's tiles, or for same-track tiles the stored tiles checked.
    volume = recording_seconds(track, scenario.instrument, period) * rate if store is None else store["tiles_checked"]
    flight = Flight(name, number, phase, orbit, track, windows, per_station, looks, results, pool,
                    _processing(scenario, info.artifact, info.raw_side, rate, info.kind), rate, volume,
                    (end - start) / period, cue_uplinks(quakes, windows, scenario), store, thumbnails)
    for mode in scenario.modes:
        _fly_mode(flight, mode, scenario, quakes, info, side_km, prefix, say)
    return flight


def _onboard_store(scenario: Scenario) -> Any:
    """The scenario's reference store (the store study's, cached)."""
    from quakesat.mission.store_survey import default_store

    return default_store(scenario.store.budget_gb or None, scenario.store.direction)


def _store(scenario: Scenario, info, track: GroundTrack, quakes: list[Quake], period_s: float) -> dict[str, Any]:
    """The reference store a same-track model needs, on this flight's window."""
    from quakesat.bench.energy import BOARDS, energy_from_instructions
    from quakesat.mission.store_survey import store_figures

    store = _onboard_store(scenario)
    instructions, _ = _instructions(scenario, info.artifact, info.raw_side, info.kind)
    joules = energy_from_instructions(instructions, BOARDS[scenario.onboard.board]).joules_per_tile \
        if scenario.onboard.board in BOARDS else 0.0
    figures = store_figures(store, track, scenario.instrument, quakes, period_s, scenario.satellite.repeat_days,
                            joules)
    figures["quakes_outside_store"] = [q.index for q in quakes if q.index not in figures["quakes_in_store"]]
    return figures


def _fly_mode(flight: Flight, mode: str, scenario: Scenario, quakes: list[Quake], info, side_km: float, prefix: str,
              say: Callable[[str], None]) -> None:
    """One mode of ``flight``: the tiles it processes, its queue, its downlink, its figures."""
    key = [scenario.seed, 5, scenario.modes.index(mode)] + ([flight.number] if flight.number else [])
    rng = np.random.default_rng(key)
    delay = flight.processing["delay_s"]
    first_id = DRAWN_FIRST_ID + flight.id_base
    if mode == "survey":
        store = None if flight.store is None else _onboard_store(scenario)
        processed, clock, total = _survey_tiles(flight.results, flight.pool, flight.track, scenario, flight.volume,
                                                delay, rng, first_id, store)
    else:
        # Same-track: the cue radius holds tiles only where the store keeps references.
        cued = [q for q in quakes if q.index not in flight.outside_store]
        processed, clock, total = _cued_tiles(flight.results, flight.pool, flight.track, scenario, flight.uplinks,
                                              cued, side_km, delay, rng, first_id)
    queue_in = arrivals(processed, clock, scenario.onboard.emit, scenario.onboard.health_every)
    delivery = run_downlink(queue_in, flight.windows, scenario.downlink, scenario.onboard.queue_capacity,
                            info.model_id, scenario.end_unix)
    flight.deliveries[mode] = delivery
    figures = mode_metrics(mode, quakes, flight.results, processed, total, delivery, scenario, flight.looks,
                           flight.uplinks, flight.processing, info.raw_side, flight.orbits, flight.pool, info.kind,
                           flight.outside_store)
    if mode == "cued" and flight.thumbnails:
        alerts = [(when, message) for when, message in _decoded(delivery)[0] if isinstance(message, TileReport)]
        sent = send_thumbnails(alerts, flight.thumbnails, flight.windows, scenario.downlink.rate_bps,
                               scenario.downlink.overhead_s)
        flight.thumbnail_streams[mode] = bytes(sent.stream)
        figures["thumbnails"] = thumbnail_figures(sent, flight.windows, scenario.downlink.rate_bps,
                                                  scenario.downlink.overhead_s, scenario.duration_hours / 24.0)
    flight.modes[mode] = figures
    _say_mode(say, prefix + mode, figures)


def _say_mode(say: Callable[[str], None], label: str, figures: dict[str, Any]) -> None:
    tta = figures["time_to_alert"]
    say(f"{label}: {figures['tiles']['processed']:,} tiles, {figures['downlink']['messages']:,} messages down, "
        f"{len(figures['alert_hours'])} of {figures['events']} events alerted (median {tta['median_h']} h), "
        f"{figures['false_alerts']['flagged_on_board']:,} false alerts on board, "
        f"{figures['queue']['dropped']:,} dropped")


#: How far an event got, best first: the constellation's outcome of an event no satellite
#: alerted is the furthest any of them got.
_PROGRESS = ("alerted", "detected, alert dropped or still on board", "imaged, no tile flagged",
             "imaged only outside the cue's active time", "imaged only before the cue reached the satellite",
             "no cue uplinked in the window", "not imaged in the window")


def _progress(outcome: str) -> int:
    return next((k for k, prefix in enumerate(_PROGRESS) if outcome.startswith(prefix)), len(_PROGRESS))


def merged_event(mode: str, quake: Quake, entries: list[dict[str, Any]], names: list[str],
                 timings: _Timings) -> dict[str, Any]:
    """One earthquake's line for the constellation, from each satellite's line (``entries``,
    named ``names``): each milestone of the chain is the first of any satellite (the alert:
    the first on the ground, from whichever satellite), the looks and tiles add up, the
    outcome of an event no satellite alerted is the furthest any got; its times join
    ``timings``."""

    def first(key: str) -> tuple[float | None, str | None]:
        found = [(e["chain"][key], n) for e, n in zip(entries, names) if e["chain"].get(key) is not None]
        return min(found) if found else (None, None)

    uplink, _ = first("uplink")
    acquisition, acquired_by = first("acquisition")
    detection, _ = first("detection_ready")
    alert, alerted_by = first("alert")
    entry: dict[str, Any] = {"index": quake.index, "name": quake.name, "mw": quake.mw, "origin": quake.origin,
                             "looks": sum(e["looks"] for e in entries),
                             "tiles_processed": sum(e["tiles_processed"] for e in entries),
                             "tiles_with_damage": sum(e["tiles_with_damage"] for e in entries)}
    if mode == "cued":
        entry["cue_uplinked"] = uplink
    chain = {"origin": quake.origin, "notice": entries[0]["chain"]["notice"], "uplink": uplink,
             "acquisition": acquisition, "detection_ready": detection, "alert": alert}
    outcome = "alerted" if alert is not None else min((e["outcome"] for e in entries), key=_progress)
    looks = [e["ground_routes"]["first_look"] for e in entries if e["ground_routes"]]
    entry = _timed(entry, chain, outcome, timings, min(looks) if looks else None)
    entry["acquired_by"] = acquired_by
    entry["alerted_by"] = alerted_by
    entry["by_satellite"] = {n: {key: e.get(key) for key in ("outcome", "to_acquisition_h", "to_alert_h")}
                             for n, e in zip(names, entries)}
    return entry


def _summed(parts: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: sum(p[key] for p in parts) for key in keys}


def constellation_metrics(mode: str, quakes: list[Quake], flights: list[Flight], scenario: Scenario) -> dict[str, Any]:
    """The figures of one mode for the satellites together, as the ground sees them: each
    event's alert is the first of any satellite (:func:`merged_event`); tiles, false alerts,
    bytes, queue drops and energy add up (each satellite has its own queue: ``max_fill`` is
    the fuller one's)."""
    names = [f.name for f in flights]
    parts = [f.modes[mode] for f in flights]
    days = scenario.duration_hours / 24.0
    orbits = flights[0].orbits
    timings = _Timings([], [], [], [])
    per_event, reasons, first_looks = [], {}, []
    for number, quake in enumerate(quakes):
        entry = merged_event(mode, quake, [p["per_event"][number] for p in parts], names, timings)
        reasons[entry["outcome"]] = reasons.get(entry["outcome"], 0) + 1
        if entry["ground_routes"]:
            first_looks.append(entry["ground_routes"]["first_look"] - quake.origin)
        per_event.append(entry)
    tiles = _summed([p["tiles"] for p in parts], ("processed", "run_through_runtime", "drawn_from_sample",
                                                  "event_tiles"))
    tiles["per_day"] = round(tiles["processed"] / days, 1)
    pool = [r for f in flights for r in f.pool]
    rate_k = sum(1 for r in pool if r.event)
    low, high = _wilson(rate_k, len(pool))
    flagged = sum(p["false_alerts"]["flagged_on_board"] for p in parts)
    false_alerts = {
        "flagged_on_board": flagged, "delivered": sum(p["false_alerts"]["delivered"] for p in parts),
        "per_orbit": round(flagged / orbits, 2) if orbits else None, "per_day": round(flagged / days, 1),
        "sample_rate": round(rate_k / len(pool), 4) if pool else None,
        "sample_rate_95ci": [round(low, 4), round(high, 4)], "sample_tiles": len(pool),
        "sampled_kinds": {kind: sum(p["false_alerts"]["sampled_kinds"][kind] for p in parts)
                          for kind in ("changed", "unchanged")},
        "note": "both satellites' flagged event-free tiles, per orbital period and per day of the window; the "
                "rate is the pooled samples' (95 % Wilson interval)"}
    downlink = _summed([p["downlink"] for p in parts], ("messages", "bytes", "decode_errors",
                                                        "health_reports_delivered", "drops_reported_in_delivered_health",
                                                        "raw_image_bytes_same_tiles", "contacts", "contacts_used"))
    downlink["ratio_raw_to_downlinked"] = (round(downlink["raw_image_bytes_same_tiles"] / downlink["bytes"], 1)
                                           if downlink["bytes"] else None)
    queue = _summed([p["queue"] for p in parts], ("messages_offered", "dropped", "dropped_events", "left_on_board",
                                                  "left_events_on_board", "health_reports",
                                                  "health_reports_superseded"))
    queue = {"capacity": parts[0]["queue"]["capacity"], "max_fill": max(p["queue"]["max_fill"] for p in parts),
             **queue, "note": "each satellite has its own queue of this capacity; max_fill is the fuller one's"}
    joules = sum(p["energy"]["joules_per_day"] for p in parts)
    energy = {"joules_per_day": round(joules, 1), "mean_watts": round(sum(p["energy"]["mean_watts"] for p in parts), 3),
              "basis": "the satellites together: " + "; ".join(f"{n}: {p['energy']['basis']}"
                                                              for n, p in zip(names, parts))}
    return {
        "mode": mode,
        "events": len(quakes),
        "satellites": names,
        "outcomes": reasons,
        **_timing_figures(timings),
        "tiles": tiles,
        "false_alerts": false_alerts,
        "downlink": downlink,
        "queue": queue,
        "energy": energy,
        "ground_route": _ground_route(timings.acquisition, first_looks),
        "per_event": per_event,
    }


def _change(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else round(after - before, 3)


def what_it_buys(one: dict[str, Any], two: dict[str, Any]) -> dict[str, Any]:
    """What the second satellite buys in one mode: the pair (``two``, the constellation's
    figures) against the first satellite alone (``one``, its own flight's figures). Medians and
    p90s are over the events that got that far, so they may compare different sets; ``alert_earlier``
    compares each event both alerted."""
    out: dict[str, Any] = {}
    for key in ("time_to_acquisition", "time_to_alert", "acquisition_to_alert"):
        a, b = one[key], two[key]
        out[key] = {"one_satellite": a, "two_satellites": b, "median_change_h": _change(b["median_h"], a["median_h"]),
                    "p90_change_h": _change(b["p90_h"], a["p90_h"])}
    alone = {e["index"]: e for e in one["per_event"]}
    earlier = [alone[e["index"]]["to_alert_h"] - e["to_alert_h"] for e in two["per_event"]
               if "to_alert_h" in e and "to_alert_h" in alone.get(e["index"], {})]
    out["events_acquired"] = {"one_satellite": one["time_to_acquisition"]["n"],
                              "two_satellites": two["time_to_acquisition"]["n"]}
    out["events_alerted"] = {"one_satellite": one["outcomes"].get("alerted", 0),
                             "two_satellites": two["outcomes"].get("alerted", 0)}
    out["alert_earlier"] = {"events": len(earlier),
                            "median_h": round(float(np.median(earlier)), 3) if earlier else None,
                            "max_h": round(max(earlier), 3) if earlier else None,
                            "note": "hours by which the pair's alert beats the first satellite's own, over the "
                                    "events both alerted"}
    out["false_alerts_per_day"] = {"one_satellite": one["false_alerts"]["per_day"],
                                   "two_satellites": two["false_alerts"]["per_day"]}
    out["bytes_downlinked"] = {"one_satellite": one["downlink"]["bytes"], "two_satellites": two["downlink"]["bytes"]}
    return out


def merged_stream(deliveries: list[Delivery]) -> bytes:
    """What the ground received from all the satellites: their messages in the order they
    arrived (delivery time, then satellite)."""
    order = sorted((when, number, k) for number, delivery in enumerate(deliveries)
                   for k, when in enumerate(delivery.delivered_at))
    return b"".join(bytes(deliveries[n].stream[k * MESSAGE_LENGTH:(k + 1) * MESSAGE_LENGTH]) for _, n, k in order)


def goal_figures(modes: dict[str, Any]) -> dict[str, Any]:
    """Each mode's acquisition → alert median against :data:`ALERT_GOAL_MINUTES`."""
    out: dict[str, Any] = {"acquisition_to_alert_median_at_most_min": ALERT_GOAL_MINUTES, "modes": {}}
    for mode, figures in modes.items():
        minutes = figures["acquisition_to_alert_minutes"]
        median = minutes["median"]
        out["modes"][mode] = {"events": minutes["n"], "median_min": median, "p90_min": minutes["p90"],
                              "met": None if median is None else median <= ALERT_GOAL_MINUTES}
    return out


def _stations(flights: list[Flight]) -> dict[str, Any]:
    names = list(flights[0].per_station)
    return {name: {"contacts": sum(len(f.per_station[name]) for f in flights),
                   "minutes": round(sum(c.seconds for f in flights for c in f.per_station[name]) / 60.0, 1)}
            for name in names}


def _contacts(flights: list[Flight]) -> list[dict[str, Any]]:
    several = len(flights) > 1
    rows = [({"start": c.start, "end": c.end, "stations": list(c.stations),
              "max_elevation_deg": round(c.max_elevation_deg, 1)} | ({"satellite": f.name} if several else {}))
            for f in flights for c in f.windows]
    return sorted(rows, key=lambda row: (row["start"], row.get("satellite", ""))) if several else rows


def _satellite_figures(flight: Flight) -> dict[str, Any]:
    return {"phase_deg": flight.phase_deg, "orbit": flight.orbit, "stations": _stations([flight]),
            "contacts": len(flight.windows), "simulated_tiles": len(flight.results),
            "looks": {str(k): v for k, v in flight.looks.items()}, "modes": flight.modes}


def run_mission(scenario: Scenario, out: str | Path, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run ``scenario`` into ``out`` (mission.json, mission.md, plots); return the result."""
    from skyfield.api import load

    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timescale = load.timescale(builtin=True)
    start, end = scenario.start_unix, scenario.end_unix
    quakes = build_catalogue(scenario.catalogue, start, end, scenario.seed)
    artifacts = scenario.onboard.artifacts
    if not artifacts:
        raise ConfigError("the scenario names no model: pass --artifacts DIR (e.g. out/demo/artifacts/quakelite)")
    processor = open_processor(scenario.onboard.runtime, artifacts, scenario.onboard.artifact or None,
                               scenario.onboard.gate)
    info = processor.info
    workers = scenario.tiles.workers or _default_workers()
    count = scenario.satellite.count
    flights = [_fly(scenario, number, timescale, processor, quakes, workers, say) for number in range(count)]
    lead = flights[0]
    if count == 1:
        modes = lead.modes
        streams = {mode: bytes(lead.deliveries[mode].stream) for mode in scenario.modes}
        queue_timeline = {mode: d.queue_samples for mode, d in lead.deliveries.items()}
    else:
        modes = {mode: constellation_metrics(mode, quakes, flights, scenario) for mode in scenario.modes}
        streams = {mode: merged_stream([f.deliveries[mode] for f in flights]) for mode in scenario.modes}
        queue_timeline = {f"{mode} {f.name}": f.deliveries[mode].queue_samples
                          for mode in scenario.modes for f in flights}
        for mode in scenario.modes:
            _say_mode(say, f"{mode}, {count} satellites", modes[mode])
    for mode, stream in streams.items():
        (out / f"{mode}_downlink.bin").write_bytes(stream)
    for mode in scenario.modes:  # the cued follow-ups: their own stream (APID 0x2C2)
        thumbnails = b"".join(f.thumbnail_streams.get(mode, b"") for f in flights)
        if thumbnails:
            (out / f"{mode}_thumbnails.bin").write_bytes(thumbnails)
    nodes = ascending_node_times(lead.track)
    near, far = swath_edges_km(scenario.instrument, float(np.mean(lead.track.altitude_km)))
    looks = {q.index: sorted(t for f in flights for t in f.looks.get(q.index, [])) for q in quakes}
    from quakesat.mission.record import FORMAT, VERSION

    result = {
        "format": FORMAT, "version": VERSION,  # mission.json is a typed record (mission/record.py)
        "scenario": scenario.name,
        "window": {"start": start, "end": end, "hours": scenario.duration_hours, "orbits": round(lead.orbits, 2)},
        "orbit": lead.orbit | {"ascending_nodes": len(nodes), "mean_altitude_km_over_ellipsoid":
                               round(float(np.mean(lead.track.altitude_km)), 1)},
        "swath": {"near_km": round(near, 1), "far_km": round(far, 1), "width_km": scenario.instrument.swath_km,
                  "tile_km": info.tile_km, "tiles_per_s_recording": round(lead.rate, 2),
                  "recording_hours": round(lead.volume / lead.rate / 3600.0, 2)},
        "stations": _stations(flights),
        "contacts": _contacts(flights),
        "model": asdict(info),
        "processing": lead.processing,
        "catalogue": [q.as_dict() for q in quakes],
        "looks": {str(k): v for k, v in looks.items()},
        "modes": modes,
        "queue_timeline": queue_timeline,
        "simulated_tiles": sum(len(f.results) for f in flights),
        "seconds": 0.0,
        "constellation": {"count": count, "satellites": [f.name for f in flights],
                          "phase_deg": [f.phase_deg for f in flights]},
        "goal": goal_figures(modes),
    }
    if lead.store is not None:
        result["store"] = lead.store
    if count > 1:
        spec = scenario.satellite
        result["constellation"] |= {
            "arrangement": "one orbit plane; satellite B flies satellite A's ground track "
                           + ("half a revolution later (TLE: 180° apart)" if spec.tle else
                              f"{spec.repeat_days / 2:g} days later (half the {spec.repeat_days}-day repeat): "
                              f"a {spec.repeat_days / 2:g}-day combined repeat"),
            "what_it_buys": {mode: what_it_buys(lead.modes[mode], modes[mode]) for mode in scenario.modes}}
        result["satellites"] = {f.name: _satellite_figures(f) for f in flights}
    result["seconds"] = round(time.perf_counter() - started, 1)
    from quakesat.mission.report import write_mission_report

    result["files"] = {k: str(v) for k, v in write_mission_report(result, lead.track, scenario, out,
                                                                  [f.track for f in flights[1:]]).items()}
    return result


def _default_workers() -> int:
    from quakesat.data.parallel import default_workers

    return default_workers()
