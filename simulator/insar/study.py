"""Interferometric pairs for the detection-ceiling study (issue 27, items 2 and 3).

:func:`simulate_study_pairs` draws events as the simulator draws them and, for each, one
patch of a chosen ground footprint and pixel grid, then two same-track pairs of that patch
with independent draws of speckle, atmosphere and non-seismic motion: the **event pair**
(the event's fault as the source) and the **event-free pair** (no source), both over the
event's pre -> post gap. Each pair is returned multilooked at every requested block side,
with the truth the oracle needs (the co-seismic LOS field) and the event's Mw, depth and the
patch's distance. The statistics and the table live in
:mod:`quakesat.evaluation.insar_ceiling`; this module stays on the simulator side of the
layering (docs/architecture.md: ``evaluation`` does not import ``simulator``).

Protocol of one event ``i`` of seed ``s`` (every stream seeded by ``(s, i, tag)``, so the
events, placements, tracks and draws are the same for every footprint: the footprints are
compared on common random numbers):

- magnitude: :func:`~quakesat.simulator.events.draw_magnitudes` over ``magnitude_range``
  (default the published file's mb range), all events from one stream; then
  :func:`~quakesat.simulator.events.draw_event` (depth, rupture, region, catalogue error,
  revisit cycle) and :func:`~quakesat.simulator.insar.dislocation.draw_rake`;
- placement: the centre of one cell, picked uniformly among the cells
  :func:`~quakesat.simulator.events.patch_grid` keeps for a QuakeSet tile (512 px of 10 m:
  the published ~20 km grid around the *catalogued* epicentre), so the patch lies where a
  QuakeSet patch would; the study footprint is centred there whatever its size, and its
  distance is measured from the *true* epicentre (the catalogue error away);
- gap and season: :func:`~quakesat.simulator.events.acquisition_times` (pre -> post), used
  by both pairs;
- scene: :func:`~quakesat.simulator.sar_scene.make_scene` at ``side_px`` pixels, its land
  cover and elevation reused at spacing ``footprint_m / side_px`` (modelling choice: the
  scene generator works in pixels, so the land-cover map's feature sizes scale with the
  footprint: fields and towns are ``footprint_m / 5.12 km`` times larger than on a QuakeSet
  tile; the decorrelation per class is unchanged);
- backscatter: the scene's noise-free VV ``base_db`` (linear), the same for both dates and
  NaN-free (no weather, no no-data border);
- damage: zero. Damage (co-seismic decorrelation) is not simulated here: the pairs carry the
  co-seismic *phase* only, the observable whose ceiling is measured;
- track: one :func:`~quakesat.simulator.insar.pair.draw_track` per patch, both pairs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from quakesat.simulator.events import MAGNITUDE_RANGE, Event, acquisition_times, draw_event, draw_magnitudes, patch_grid
from quakesat.simulator.insar.coherence import multilook
from quakesat.simulator.insar.dislocation import FaultSource, draw_rake
from quakesat.simulator.insar.geometry import WAVELENGTH_M
from quakesat.simulator.insar.pair import TrackGeometry, draw_track, simulate_slc_images
from quakesat.simulator.sar_scene import make_scene

#: Side (px) of a QuakeSet amplitude tile: the placement grid is the published file's
#: (:func:`~quakesat.simulator.events.patch_grid` at this size, 10 m pixels: 5.12 km cells).
QUAKESET_TILE_PX = 512
#: Multilook block sides studied by default (on a 256 px grid: 256, 64 and 32 px images).
STUDY_LOOKS: tuple[int, ...] = (1, 4, 8)
#: Stream tags after (seed, event index): each draw family has its own stream, so adding a
#: draw to one never shifts another's. Modelling choice.
_EVENT_TAG, _SCENE_TAG, _EVENT_PAIR_TAG, _FREE_PAIR_TAG = 0, 1, 2, 3
#: Tag of the one stream all magnitudes of a seed come from.
_MAGNITUDE_TAG = 99


@dataclass(frozen=True)
class PatchPairs:
    """The two pairs of one patch at full resolution (complex64 ``side x side``).

    Attributes:
        event_pair: (pre, post) across the event, or None when not asked for.
        free_pair: (pre, post) of the same patch without the event, or None.
        los_m: the co-seismic LOS field of the event (m, float32, positive toward the satellite).
        track: the acquisition geometry.
        gap_days: pre -> post.
    """

    event_pair: tuple[np.ndarray, np.ndarray] | None
    free_pair: tuple[np.ndarray, np.ndarray] | None
    los_m: np.ndarray
    track: TrackGeometry
    gap_days: float


@dataclass(frozen=True)
class StudyPairs:
    """Multilooked pairs of a study set and their truth.

    Pairs are ordered by event; with both kinds, event ``i``'s event pair comes first, then
    its event-free pair.

    Attributes:
        footprint_m: ground side of each patch.
        side_px: full-resolution grid side.
        looks: the block sides, each dividing ``side_px``.
        labels: ``(P,)`` int8, 1 for an event pair, 0 for an event-free pair.
        event: ``(P,)`` index of each pair's event (and patch).
        interferograms: block side -> ``(P, side/looks, side/looks)`` complex64, Σ post·conj(pre).
        coherence: block side -> ``(P, side/looks, side/looks)`` float32 estimated coherence.
        los_m: ``(E, side, side)`` float32 co-seismic LOS field of each event (the oracle's truth).
        mw, depth_km, distance_km: ``(E,)`` moment magnitude, hypocentre depth, distance of the
            patch centre from the true epicentre.
        peak_los_m: ``(E,)`` largest |LOS| on the patch.
        seconds_per_pair: wall time of the simulation (scenes, faults, pairs, multilooks) per pair.
        seed: the seed the set was drawn from.
    """

    footprint_m: float
    side_px: int
    looks: tuple[int, ...]
    labels: np.ndarray
    event: np.ndarray
    interferograms: dict[int, np.ndarray]
    coherence: dict[int, np.ndarray]
    los_m: np.ndarray
    mw: np.ndarray
    depth_km: np.ndarray
    distance_km: np.ndarray
    peak_los_m: np.ndarray
    seconds_per_pair: float
    seed: int
    wavelength_m: float = field(default=WAVELENGTH_M)

    @property
    def pixel_m(self) -> float:
        """Full-resolution pixel spacing (m)."""
        return self.footprint_m / self.side_px


def _day_of_year(timestamp: int) -> int:
    return datetime.fromtimestamp(timestamp, tz=UTC).timetuple().tm_yday


def patch_positions(side_px: int, pixel_m: float, centre_m: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(north, east) metres of each pixel centre of a patch whose centre lies ``centre_m``
    (north, east) from the true epicentre; row 0 northmost, columns growing east.

    Args:
        side_px: grid side.
        pixel_m: pixel spacing (m).
        centre_m: (north, east) of the patch centre from the true epicentre (m).

    Returns:
        Two ``side_px x side_px`` float64 arrays.
    """
    offsets = (np.arange(side_px) - (side_px - 1) / 2.0) * pixel_m
    north = centre_m[0] - offsets[:, None] + np.zeros((1, side_px))
    east = centre_m[1] + offsets[None, :] + np.zeros((side_px, 1))
    return north, east


def simulate_patch_pairs(event: Event, rake_deg: float, centre_m: tuple[float, float], times: dict[str, int],
                         track: TrackGeometry, footprint_m: float, side_px: int,
                         streams: tuple[np.random.Generator, np.random.Generator, np.random.Generator],
                         event_pair: bool = True, free_pair: bool = True) -> PatchPairs:
    """The event pair and the event-free pair of one patch (module doc: scene, backscatter, damage).

    Args:
        event: the earthquake.
        rake_deg: its rake (Aki & Richards).
        centre_m: (north, east) of the patch centre from the *true* epicentre (m).
        times: ``pre`` and ``post`` acquisition times (Unix seconds).
        track: the geometry of both pairs.
        footprint_m: ground side of the patch (m).
        side_px: grid side (pixels).
        streams: random streams of the scene, the event pair and the event-free pair.
        event_pair: simulate the event pair.
        free_pair: simulate the event-free pair.

    Returns:
        The pairs and the co-seismic LOS field.
    """
    scene_rng, event_rng, free_rng = streams
    pixel_m = footprint_m / side_px
    scene = make_scene(scene_rng, side_px, event.region)
    sigma0 = 10.0 ** (scene.base_db[..., 0] / 10.0)
    north_m, east_m = patch_positions(side_px, pixel_m, centre_m)
    source = FaultSource.from_rupture(event.rupture, rake_deg)
    gap = (times["post"] - times["pre"]) / 86_400.0
    common = dict(land_cover=scene.land_cover, elevation_m=scene.elevation,
                  damage=np.zeros(scene.land_cover.shape, dtype=np.uint8), sigma0={"pre": sigma0, "post": sigma0},
                  north_m=north_m, east_m=east_m, pixel_m=pixel_m, gaps_days={"event": gap},
                  day_of_year=_day_of_year(times["post"]), track=track)
    # The event pair is always drawn when the truth is needed: its LOS field is the template.
    made = simulate_slc_images(event_rng, source=source, **common)
    los = made.pairs["event"].coseismic_los_m
    free = None
    if free_pair:
        quiet = simulate_slc_images(free_rng, source=None, **common)
        free = (quiet.images["pre"], quiet.images["post"])
    return PatchPairs((made.images["pre"], made.images["post"]) if event_pair else None, free, los, track, gap)


def simulate_study_pairs(events: int, seed: int, footprint_m: float, side_px: int = 256,
                         looks: Sequence[int] = STUDY_LOOKS, *, event_pairs: bool = True,
                         free_pairs: bool = True,
                         magnitude_range: tuple[float, float] = MAGNITUDE_RANGE) -> StudyPairs:
    """Simulate the study set of one footprint (module doc: the protocol).

    Args:
        events: number of events (one patch each).
        seed: random seed (same seed, same events and placements for every footprint).
        footprint_m: ground side of each patch (m); the pixel spacing is ``footprint_m / side_px``.
        side_px: full-resolution grid side.
        looks: multilook block sides, each dividing ``side_px``.
        event_pairs: include each patch's event pair.
        free_pairs: include each patch's event-free pair (the negatives).
        magnitude_range: mb bounds of the drawn magnitudes (default: the published range).

    Returns:
        The :class:`StudyPairs`.

    Raises:
        ValueError: no events, no pair kind, a non-positive footprint, or a block side that
            does not divide ``side_px``.
    """
    looks = tuple(int(v) for v in looks)
    if events < 1:
        raise ValueError(f"events must be >= 1, got {events}")
    if not (event_pairs or free_pairs):
        raise ValueError("at least one of event_pairs and free_pairs must be True")
    if not (math.isfinite(footprint_m) and footprint_m > 0):
        raise ValueError(f"footprint_m must be positive, got {footprint_m}")
    if not looks or any(v < 1 or side_px % v for v in looks):
        raise ValueError(f"every block side must divide side_px={side_px}, got {looks}")
    started = time.perf_counter()
    magnitudes = draw_magnitudes(np.random.default_rng([seed, _MAGNITUDE_TAG]), events, tuple(magnitude_range))
    kinds = [kind for kind, wanted in ((1, event_pairs), (0, free_pairs)) if wanted]
    n_pairs = events * len(kinds)
    ifgs = {v: np.empty((n_pairs, side_px // v, side_px // v), np.complex64) for v in looks}
    cohs = {v: np.empty((n_pairs, side_px // v, side_px // v), np.float32) for v in looks}
    los = np.empty((events, side_px, side_px), np.float32)
    mw, depth, distance, peak = (np.empty(events) for _ in range(4))
    labels = np.tile(np.array(kinds, np.int8), events)
    for i in range(events):
        rng = np.random.default_rng([seed, i, _EVENT_TAG])
        event = draw_event(rng, float(magnitudes[i]))
        rake = draw_rake(rng)
        cells = patch_grid(rng, QUAKESET_TILE_PX, None)
        offset = cells[int(rng.integers(len(cells)))][2]
        times = acquisition_times(rng, event)
        track = draw_track(rng)
        centre = (offset[0] - event.location_error_m[0], offset[1] - event.location_error_m[1])
        made = simulate_patch_pairs(event, rake, centre, times, track, footprint_m, side_px,
                                    tuple(np.random.default_rng([seed, i, tag])
                                          for tag in (_SCENE_TAG, _EVENT_PAIR_TAG, _FREE_PAIR_TAG)),
                                    event_pair=event_pairs, free_pair=free_pairs)
        los[i] = made.los_m
        mw[i], depth[i] = event.rupture.mw, event.rupture.depth_km
        distance[i] = math.hypot(*centre) / 1000.0
        peak[i] = float(np.max(np.abs(made.los_m)))
        pairs = [made.event_pair if kind == 1 else made.free_pair for kind in kinds]
        for k, (pre, post) in enumerate(pairs):
            for v in looks:
                ifgs[v][i * len(kinds) + k], cohs[v][i * len(kinds) + k] = multilook(pre, post, v)
    return StudyPairs(float(footprint_m), int(side_px), looks, labels, np.repeat(np.arange(events), len(kinds)),
                      ifgs, cohs, los, mw, depth, distance, peak, (time.perf_counter() - started) / n_pairs, int(seed))
