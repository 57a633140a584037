"""The tiles a mission acquires: around each imaged earthquake, and a sample of event-free ones.

For every look of the swath at an earthquake after its origin (the first few, at most
:data:`MAX_LOOKS`), an ``event_grid`` x ``event_grid`` block of tiles centred on the
epicentre is planned; each tile that the swath covers at its own look is simulated with the
simulator's physics for that event's magnitude, depth and distance (shaking, ground failure,
damage, conditions), its pre-event reference from the previous repeat pass. Event-free tiles
(``changed``: each acquisition with its own conditions; ``unchanged``: one set of conditions,
speckle only) are drawn at random places and times of the recording, as many as
``tiles.background_sample``: they stand for the survey's hundreds of thousands of event-free
tiles, whose outcomes the onboard model draws from them (:mod:`quakesat.mission.onboard`).
Every tile's pixels come from its own random stream, so the tiles do not depend on the
worker count. These are amplitude tiles (QuakeSet's kind); for a model that takes same-track
complex pairs the same plan is simulated by :mod:`quakesat.mission.same_track_tiles`
(:func:`simulate_tiles` with ``kind="same_track"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from quakesat.data.parallel import ordered_map
from quakesat.errors import ConfigError
from quakesat.mission.catalogue import Quake
from quakesat.mission.orbit import GroundTrack
from quakesat.mission.swath import Swath, looks_at, offset_latlon, swath_points
from quakesat.runtime.tile import AMPLITUDE, SAME_TRACK, TILE_KINDS, Georef, Tile

#: Looks per earthquake that get tiles (a one-day scenario sees at most two).
MAX_LOOKS = 4
#: Kinds of tile.
EVENT, CHANGED, UNCHANGED = "event", "changed", "unchanged"


@dataclass(frozen=True)
class PlannedTile:
    """A tile to simulate and run: where, when, what it shows."""

    tile_id: int
    time: int  # acquisition of the post image, Unix seconds
    pre_time: int
    lat: float
    lon: float
    kind: str
    quake: int = -1  # Quake.index for event tiles
    look: int = 0  # which look at the quake (0: the first after origin)
    offset_m: tuple[float, float] = (0.0, 0.0)  # tile centre from the epicentre (north, east)
    seed: tuple[int, ...] = ()


@dataclass(frozen=True)
class SimulatedTile:
    """A planned tile with its pixels and what the simulator knows about it."""

    plan: PlannedTile
    tile: Tile
    damaged_fraction: float
    max_mmi: float
    changes: str
    #: Peak-to-peak co-seismic line-of-sight motion in fringes (same-track tiles: how much
    #: earthquake signal the pair holds; 0 for amplitude tiles and event-free pairs).
    coseismic_fringes: float = 0.0

    @property
    def kind(self) -> str:
        """The tile kind (:data:`~quakesat.runtime.tile.TILE_KINDS`)."""
        return self.tile.kind


def plan_event_tiles(quakes: list[Quake], track: GroundTrack, swath: Swath, tile_km: float, grid: int,
                     repeat_days: int, seed: int, first_id: int = 1) -> tuple[list[PlannedTile], dict[int, list[float]]]:
    """The event tiles of every look after each quake's origin, and each quake's look times."""
    planned: list[PlannedTile] = []
    looks_by_quake: dict[int, list[float]] = {}
    spacing = tile_km * 1000.0
    middle = (grid - 1) / 2.0
    next_id = first_id
    for quake in quakes:
        looks = [look for look in looks_at(track, swath, quake.latitude, quake.longitude) if look.time > quake.origin]
        looks_by_quake[quake.index] = [look.time for look in looks]
        for number, look in enumerate(looks[:MAX_LOOKS]):
            for row in range(grid):
                for col in range(grid):
                    offset = ((middle - row) * spacing, (col - middle) * spacing)
                    lat, lon = offset_latlon(quake.latitude, quake.longitude, *offset)
                    own = [t for t in looks_at(track, swath, lat, lon) if abs(t.time - look.time) < 600.0]
                    if not own:
                        continue  # this tile lies outside the swath on this pass
                    when = int(round(own[0].time))
                    planned.append(PlannedTile(next_id, when, when - repeat_days * 86_400, lat, lon, EVENT,
                                               quake.index, number, offset,
                                               (seed, 2, quake.index, number, row, col)))
                    next_id += 1
    return planned, looks_by_quake


def plan_background_tiles(track: GroundTrack, swath: Swath, count: int, changed_share: float, repeat_days: int,
                          seed: int, first_id: int) -> list[PlannedTile]:
    """``count`` event-free tiles at random recorded places and times (see the module doc)."""
    rng = np.random.default_rng([seed, 3])
    lat, lon, inside = swath_points(track, swath, samples=16)
    eligible = np.nonzero(inside)[0]
    if count == 0 or not len(eligible):
        return []
    picks = np.sort(rng.choice(eligible, size=count, replace=len(eligible) < count))
    planned = []
    for k, sample in enumerate(picks):
        across = int(rng.integers(lat.shape[1]))
        kind = CHANGED if rng.random() < changed_share else UNCHANGED
        when = int(track.times[sample])
        planned.append(PlannedTile(first_id + k, when, when - repeat_days * 86_400, float(lat[sample, across]),
                                   float(lon[sample, across]), kind, seed=(seed, 3, k)))
    return planned


@dataclass(frozen=True)
class _Job:
    plan: PlannedTile
    size: int
    pixel_spacing_m: float
    quake: Quake | None
    repeat_days: int


def _simulate(job: _Job) -> SimulatedTile:
    from quakesat.simulator.events import event_at
    from quakesat.simulator.simulate import simulate_event_pair, simulate_quiet_pair

    plan = job.plan
    rng = np.random.default_rng(list(plan.seed))
    damaged, mmi, changes = 0.0, 0.0, ""
    if plan.kind == EVENT and job.quake is not None:
        quake = job.quake
        # The event's own draws (fault orientation, residuals, region) are shared by its tiles.
        event_rng = np.random.default_rng([plan.seed[0], 4, quake.index])
        event = event_at(event_rng, quake.mb, quake.mw, quake.depth_km, quake.latitude, quake.longitude,
                         quake.origin, job.repeat_days)
        pre, post, attrs = simulate_event_pair(rng, job.size, event, plan.offset_m, plan.pre_time, plan.time)
        damaged, mmi, changes = float(attrs["damaged_fraction"]), float(attrs["max_mmi"]), attrs["changes_pre_post"]
    else:
        pre, post, events = simulate_quiet_pair(rng, job.size, plan.lat, plan.pre_time, plan.time,
                                                plan.kind == CHANGED)
        changes = ",".join(events)
    tile = Tile(plan.tile_id, plan.time, pre, post, Georef(plan.lat, plan.lon, job.pixel_spacing_m))
    return SimulatedTile(plan, tile, damaged, mmi, changes)


def simulate_tiles(planned: list[PlannedTile], quakes: list[Quake], size: int, pixel_spacing_m: float,
                   repeat_days: int, workers: int, kind: str = AMPLITUDE) -> Iterator[SimulatedTile]:
    """The planned tiles' pixels, in plan order, simulated over ``workers`` processes, as tiles
    of ``kind``: amplitude pairs (``size x size x 2`` sigma0) or same-track complex pairs
    (:func:`quakesat.mission.same_track_tiles.simulate_same_track_tiles`)."""
    if kind == SAME_TRACK:
        from quakesat.mission.same_track_tiles import simulate_same_track_tiles

        return simulate_same_track_tiles(planned, quakes, size, pixel_spacing_m, repeat_days, workers)
    if kind != AMPLITUDE:
        raise ConfigError(f"tile kind must be one of {list(TILE_KINDS)}, got {kind!r}")
    by_index = {q.index: q for q in quakes}
    jobs = [_Job(p, size, pixel_spacing_m, by_index.get(p.quake), repeat_days) for p in planned]
    return ordered_map(_simulate, jobs, workers)


def tile_km(size: int, pixel_spacing_m: float) -> float:
    """Side of a tile on the ground, km."""
    return size * pixel_spacing_m / 1000.0


def tiles_within(track: GroundTrack, swath: Swath, centres: list[tuple[float, float, float, float]],
                 radius_km: float, tile_side_km: float, samples: int = 16) -> tuple[float, list[tuple[float, float, float]]]:
    """Tiles recorded within ``radius_km`` of the cue centres ``(lat, lon, from_time, to_time)``
    while each is active, and (time, lat, lon) of the swath cells counted (for placing them).

    Each track sample sweeps ``samples`` cells across the swath, each
    ``swath_km / samples`` wide and one step of ground track long."""
    from quakesat.mission.swath import ground_speed_km_s
    from quakesat.runtime.tile import ground_distance_m

    if not centres:
        return 0.0, []
    lat, lon, _ = swath_points(track, swath, samples=samples)
    cell_km2 = swath.swath_km / samples * ground_speed_km_s(track) * track.step_s
    cells: list[tuple[float, float, float]] = []
    seen: set[tuple[int, int]] = set()  # a cell inside two cues' circles counts once
    for c_lat, c_lon, since, until in centres:
        active = (track.times >= since) & (track.times < until)
        rows = np.nonzero(active)[0]
        if not len(rows):
            continue
        # Cheap prefilter on latitude, then great-circle distance.
        near = np.abs(lat[rows] - c_lat) < radius_km / 111.0 + 1.0
        for r, j in zip(*np.nonzero(near)):
            k = rows[r]
            if (k, j) not in seen and \
                    ground_distance_m(c_lat, c_lon, float(lat[k, j]), float(lon[k, j])) <= radius_km * 1000.0:
                seen.add((int(k), int(j)))
                cells.append((float(track.times[k]), float(lat[k, j]), float(lon[k, j])))
    count = len(cells) * cell_km2 / (tile_side_km * tile_side_km)
    return count, sorted(cells)

