"""Same-track tiles for the mission: the planned tiles as same-track complex pairs (VV SLC).

The interferometric models (``input.kind == "same_track"`` in their manifest: preprocessing
version 3, e.g. ``out/demo/artifacts/quakelite-insar``) take two co-registered complex images
of one tile from one track, ``side x side`` complex64, formed into an interferogram on board
(:mod:`quakesat.runtime.same_track`). :func:`simulate_same_track_tiles` turns the tiles
:mod:`quakesat.mission.tiles` plans into such pairs with the simulator's interferometric
physics (:func:`~quakesat.simulator.insar.pair.simulate_slc_images`, the scene and backscatter
as :func:`~quakesat.simulator.insar.study.simulate_patch_pairs` sets them up):

- an **event** tile (one of the block around an imaged epicentre, at one look after the
  origin): its ``pre`` image the previous repeat pass (``plan.pre_time``, ``repeat_days``
  before), its ``post`` image the look, the pair carrying the event's co-seismic line-of-sight
  motion at the tile's offset from the epicentre, plus atmosphere, decorrelation and
  non-seismic motion. The event is the mission's :class:`~quakesat.mission.catalogue.Quake`
  (Mw, depth, place, origin) with the fault orientation, region and rake drawn from the
  event's own stream (the one :mod:`~quakesat.mission.tiles` draws the amplitude tiles' event
  from, then the rake), so the tiles of one event share one fault and their fields join up;
  the acquisition geometry (pass direction, incidence) is drawn once per look, so one pass's
  block shares it. Damage (co-seismic decorrelation of damaged ground) is not simulated: as in
  the detection-ceiling study, the pairs carry the co-seismic *phase*; ``damaged_fraction`` is
  0 and :attr:`~quakesat.mission.tiles.SimulatedTile.coseismic_fringes` says how much signal
  the tile holds.
- an **event-free** tile (``changed`` or ``unchanged``): the same physics with no source:
  atmosphere, temporal decorrelation and the non-seismic motion the simulator draws
  (subsidence, slow landslides, seasonal motion). Every same-track pair has its own
  atmosphere, so the amplitude tiles' ``unchanged`` (one set of conditions, speckle only) has
  no counterpart: both kinds are simulated alike, and the plan keeps the kind.

Every tile's pixels come from streams seeded by its plan's ``seed`` (and the event's and the
look's, shared by design), so the tiles do not depend on the worker count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from quakesat.data.parallel import ordered_map
from quakesat.errors import ConfigError
from quakesat.mission.catalogue import Quake
from quakesat.mission.tiles import EVENT, PlannedTile, SimulatedTile
from quakesat.runtime.tile import SAME_TRACK, SAME_TRACK_PIXEL_SPACING_M, Georef, Tile

#: Side (px) of a same-track tile: 256 px of 80 m, 20.48 km (``quakesat simulate --slc``).
SAME_TRACK_SIDE_PX = 256
#: Stream tags appended to a tile's plan seed (never 0: numpy's seed sequences read trailing
#: zeros as absent, so ``[s, 3, k, 0]`` would be ``[s, 3, k]``, the plan's own stream).
_SCENE_TAG, _PAIR_TAG, _TRACK_TAG = 1, 2, 3
#: The stream of the event (:mod:`quakesat.mission.tiles`: ``[seed, 4, quake]``); a look's is
#: ``[seed, 4, quake, look + 1]``.
_EVENT_TAG = 4
#: Side of the coarse grid the shaking of an event tile is evaluated on (for ``max_mmi`` only).
_SHAKING_GRID = 32


@dataclass(frozen=True)
class _Job:
    plan: PlannedTile
    side_px: int
    pixel_m: float
    quake: Quake | None
    repeat_days: int


def _day_of_year(timestamp: int) -> int:
    return datetime.fromtimestamp(timestamp, tz=UTC).timetuple().tm_yday


def _stream(seed: tuple[int, ...] | list[int], tag: int) -> np.random.Generator:
    return np.random.default_rng([*seed, tag])


def same_track_pair(scene_rng: np.random.Generator, pair_rng: np.random.Generator, region, source,
                    centre_m: tuple[float, float], times: dict[str, int], track, side_px: int, pixel_m: float):
    """The (pre, post) pair of one tile and its truth
    (:class:`~quakesat.simulator.insar.pair.SlcImages`), set up as
    :func:`~quakesat.simulator.insar.study.simulate_patch_pairs` sets up its event pair (scene
    at ``side_px`` drawn from ``scene_rng``, its noise-free VV backscatter the same for both
    dates, no damage, the post date's day of year), with ``source`` None for an event-free
    pair. ``centre_m``: (north, east) of the tile centre from the true epicentre."""
    from quakesat.simulator.insar.pair import simulate_slc_images
    from quakesat.simulator.insar.study import patch_positions
    from quakesat.simulator.sar_scene import make_scene

    scene = make_scene(scene_rng, side_px, region)
    sigma0 = 10.0 ** (scene.base_db[..., 0] / 10.0)
    north_m, east_m = patch_positions(side_px, pixel_m, centre_m)
    return simulate_slc_images(pair_rng, land_cover=scene.land_cover, elevation_m=scene.elevation,
                               damage=np.zeros(scene.land_cover.shape, dtype=np.uint8),
                               sigma0={"pre": sigma0, "post": sigma0}, north_m=north_m, east_m=east_m,
                               pixel_m=pixel_m, gaps_days={"event": (times["post"] - times["pre"]) / 86_400.0},
                               source=source, day_of_year=_day_of_year(times["post"]), track=track)


def _max_mmi(event, centre_m: tuple[float, float], side_px: int, pixel_m: float) -> float:
    """Largest shaking intensity over the tile, on a coarse grid (the amplitude tiles' physics)."""
    from quakesat.simulator.insar.study import patch_positions
    from quakesat.simulator.shaking import RESIDUAL_GRID, patch_shaking

    points = min(side_px, _SHAKING_GRID)
    footprint = side_px * pixel_m
    north, east = patch_positions(points, footprint / points, centre_m)
    coarse = min(points, RESIDUAL_GRID)
    shaking = patch_shaking(event.rupture, event.residuals, north, east,
                            *patch_positions(coarse, footprint / coarse, centre_m))
    return float(shaking.mmi.max())


def _simulate(job: _Job) -> SimulatedTile:
    from quakesat.simulator.events import draw_region, event_at
    from quakesat.simulator.insar.dislocation import FaultSource, draw_rake
    from quakesat.simulator.insar.pair import draw_track

    plan = job.plan
    times = {"pre": int(plan.pre_time), "post": int(plan.time)}
    scene_rng, pair_rng = _stream(plan.seed, _SCENE_TAG), _stream(plan.seed, _PAIR_TAG)
    mmi = 0.0
    if plan.kind == EVENT and job.quake is not None:
        quake = job.quake
        # The event's stream, as the amplitude tiles draw it (same fault, region), then its rake.
        event_rng = np.random.default_rng([plan.seed[0], _EVENT_TAG, quake.index])
        event = event_at(event_rng, quake.mb, quake.mw, quake.depth_km, quake.latitude, quake.longitude,
                         quake.origin, job.repeat_days)
        source = FaultSource.from_rupture(event.rupture, draw_rake(event_rng))
        track = draw_track(np.random.default_rng([plan.seed[0], _EVENT_TAG, quake.index, plan.look + 1]))
        centre = (plan.offset_m[0] - event.location_error_m[0], plan.offset_m[1] - event.location_error_m[1])
        made = same_track_pair(scene_rng, pair_rng, event.region, source, centre, times, track, job.side_px,
                               job.pixel_m)
        mmi = _max_mmi(event, centre, job.side_px, job.pixel_m)
    else:
        region = draw_region(scene_rng, float(plan.lat))
        track = draw_track(_stream(plan.seed, _TRACK_TAG))
        made = same_track_pair(scene_rng, pair_rng, region, None, (0.0, 0.0), times, track, job.side_px,
                               job.pixel_m)
    truth = made.pairs["event"]
    tile = Tile(plan.tile_id, plan.time, made.images["pre"], made.images["post"],
                Georef(plan.lat, plan.lon, job.pixel_m), kind=SAME_TRACK)
    return SimulatedTile(plan, tile, 0.0, mmi, ",".join(truth.nonseismic_kinds),
                         coseismic_fringes=float(truth.coseismic_fringes))


def simulate_same_track_tiles(planned: list[PlannedTile], quakes: list[Quake], side_px: int = SAME_TRACK_SIDE_PX,
                              pixel_m: float = SAME_TRACK_PIXEL_SPACING_M, repeat_days: int = 12,
                              workers: int = 1) -> Iterator[SimulatedTile]:
    """The planned tiles as same-track pairs (module doc), in plan order, over ``workers``
    processes: each a :class:`~quakesat.mission.tiles.SimulatedTile` whose ``tile`` is a
    ``"same_track"`` :class:`~quakesat.runtime.tile.Tile` (``side_px x side_px`` complex64 pre
    and post, georeferenced at ``pixel_m``)."""
    if not (isinstance(side_px, int) and side_px >= 8):
        raise ConfigError(f"side_px must be an integer >= 8, got {side_px!r}")
    if not (np.isfinite(pixel_m) and pixel_m > 0):
        raise ConfigError(f"pixel_m must be positive, got {pixel_m!r}")
    by_index = {q.index: q for q in quakes}
    jobs = [_Job(p, side_px, float(pixel_m), by_index.get(p.quake), repeat_days) for p in planned]
    return ordered_map(_simulate, jobs, workers)
