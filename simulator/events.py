"""Simulated earthquakes: magnitude, hypocentre, rupture, region, acquisition dates and the patch grid.

An event is drawn once (:func:`draw_event`) and shared by all its patches. Patches tile a
square grid centred on the *catalogued* epicentre, as the published file's ~20 km view
around each epicentre does; the true epicentre lies a catalogue location error away, and
some grid cells are missing (no acquisition, outside the swath), leaving about 12 patches
per event on average like the published file (1,906 positive pairs from 155 events).
Constants and sources: docs/simulator.md, "Events" and "Patches".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quakesat.simulator.ground_failure import NJ18_LITHOLOGY
from quakesat.simulator.sar_scene import PIXEL_SPACING_M, Region
from quakesat.simulator.shaking import Rupture, ShakingResiduals, mw_from_mb

#: Magnitude distribution of QuakeSet events, about N(5.64, 0.44) mb (the QuakeSet paper),
#: kept within the published file's range, mb 4.45–6.87, and given to 0.01 like its attributes.
MAGNITUDE_MEAN = 5.64
MAGNITUDE_STD = 0.44
MAGNITUDE_RANGE = (4.45, 6.87)
#: Hypocentre depth: lognormal, median 12 km, clipped (modelling choice: crustal events).
DEPTH_MEDIAN_KM = 12.0
DEPTH_LOG_SD = 0.6
DEPTH_RANGE_KM = (2.0, 70.0)
#: Catalogue epicentre error, per horizontal component (modelling choice: a few km, the
#: order of global catalogue location uncertainties for moderate events).
LOCATION_ERROR_KM = 3.0
#: The patch grid: side (patches) and the chance that a grid cell has a patch. 0.77 of a 4 x 4
#: grid is 12.3 patches per event, the published file's 1,906 / 155.
GRID_SIDE = 4
PATCH_KEEP_PROBABILITY = 0.77
#: Sentinel-1 repeat cycle: 12 days with one satellite, 6 with two (ESA Sentinel-1 User
#: Handbook); share of events seen at the 6-day cycle (modelling choice for 2017–2021).
REPEAT_DAYS = (6, 12)
SIX_DAY_SHARE = 0.5
#: Event times: uniform over 2017–2021, the two-satellite era (modelling choice).
TIME_RANGE = (1_483_228_800, 1_640_995_200)
SECONDS_PER_DAY = 86_400
#: Sentinel-1 acquisitions happen around 06:00 or 18:00 local solar time (dawn-dusk orbit).
PASS_HOURS = (6, 18)


@dataclass(frozen=True)
class Event:
    """One simulated earthquake and what its patches share.

    Attributes:
        magnitude: mb (the file's ``magnitude`` attribute).
        rupture: the fault plane (Mw, depth, size, strike, dip).
        residuals: intensity residuals (between-event number, within-event field).
        region: landscape and climate of the epicentral area.
        latitude, longitude: the *catalogued* epicentre (degrees).
        location_error_m: (north, east) of the true epicentre from the catalogued one.
        time: origin time (Unix seconds, UTC).
        repeat_days: revisit cycle over the area.
    """

    magnitude: float
    rupture: Rupture
    residuals: ShakingResiduals
    region: Region
    latitude: float
    longitude: float
    location_error_m: tuple[float, float]
    time: int
    repeat_days: int


def draw_magnitudes(rng: np.random.Generator, n: int,
                    magnitude_range: tuple[float, float] = MAGNITUDE_RANGE) -> np.ndarray:
    """mb values like the published file's: N(5.64, 0.44) truncated to ``magnitude_range``
    (default 4.45–6.87), to 0.01."""
    from scipy.stats import truncnorm

    low, high = ((bound - MAGNITUDE_MEAN) / MAGNITUDE_STD for bound in magnitude_range)
    values = truncnorm.rvs(low, high, loc=MAGNITUDE_MEAN, scale=MAGNITUDE_STD, size=n, random_state=rng)
    return np.clip(np.round(values, 2), *magnitude_range)


def draw_region(rng: np.random.Generator, latitude: float) -> Region:
    """The epicentral area's landscape and climate (modelling choices, docs/simulator.md)."""
    relief = float(rng.choice([rng.uniform(10, 80), rng.uniform(80, 400), rng.uniform(400, 1500)], p=[0.3, 0.4, 0.3]))
    urban = float(rng.choice([0.0, rng.uniform(0.01, 0.1), rng.uniform(0.1, 0.35)], p=[0.25, 0.5, 0.25]))
    return Region(
        relief_m=relief,
        urban_share=urban,
        water_probability=float(rng.uniform(0.2, 0.8)),
        vulnerability=float(rng.uniform(0.45, 0.85)),
        lithology=str(rng.choice(sorted(NJ18_LITHOLOGY))),
        precipitation_mm=float(np.clip(rng.lognormal(math.log(800.0), 0.6), 100.0, 3000.0)),
        latitude=latitude,
        construction_rate=float(rng.uniform(0.1, 1.0)),
    )


def draw_event(rng: np.random.Generator, magnitude: float) -> Event:
    """Everything an event's patches share, for an event of ``magnitude`` mb."""
    depth = float(np.clip(rng.lognormal(math.log(DEPTH_MEDIAN_KM), DEPTH_LOG_SD), *DEPTH_RANGE_KM))
    rupture = Rupture.from_magnitude(mw_from_mb(magnitude), depth, float(rng.uniform(0.0, 360.0)),
                                     float(rng.uniform(30.0, 90.0)))
    latitude = float(rng.uniform(-55.0, 65.0))
    return Event(
        magnitude=float(magnitude),
        rupture=rupture,
        residuals=ShakingResiduals.draw(rng),
        region=draw_region(rng, latitude),
        latitude=latitude,
        longitude=float(rng.uniform(-180.0, 180.0)),
        location_error_m=(float(rng.normal(0.0, LOCATION_ERROR_KM * 1000.0)),
                          float(rng.normal(0.0, LOCATION_ERROR_KM * 1000.0))),
        time=int(rng.integers(*TIME_RANGE)),
        repeat_days=int(REPEAT_DAYS[0] if rng.random() < SIX_DAY_SHARE else REPEAT_DAYS[1]),
    )


def patch_grid(rng: np.random.Generator, size: int, count: int | None) -> list[tuple[int, int, tuple[float, float]]]:
    """The patches of one event: ``(row, col, (north_m, east_m))`` of each patch centre from the
    catalogued epicentre, row 0 northmost.

    Args:
        rng: random source.
        size: patch side in pixels.
        count: None for the published file's layout (a :data:`GRID_SIDE` grid with cells
            kept at :data:`PATCH_KEEP_PROBABILITY`, at least one), or an exact number of
            patches taken at random from the smallest square grid of at least 4 x 4 that holds them.
    """
    side = GRID_SIDE if count is None else max(GRID_SIDE, math.ceil(math.sqrt(count)))
    spacing = size * PIXEL_SPACING_M
    cells = [(row, col) for row in range(side) for col in range(side)]
    if count is None:
        kept = [cell for cell in cells if rng.random() < PATCH_KEEP_PROBABILITY]
        if not kept:
            kept = [cells[int(rng.integers(len(cells)))]]
    else:
        kept = [cells[i] for i in sorted(rng.choice(len(cells), size=count, replace=False))]
    middle = (side - 1) / 2.0
    return [(row, col, ((middle - row) * spacing, (col - middle) * spacing)) for row, col in kept]


def acquisition_times(rng: np.random.Generator, event: Event) -> dict[str, int]:
    """``before``, ``pre`` and ``post`` times (Unix seconds) of one patch: the first pass after
    the origin, the pass one or two cycles earlier on the same track, and a reference one or
    two cycles before that."""
    repeat = event.repeat_days * SECONDS_PER_DAY
    day_start = event.time - event.time % SECONDS_PER_DAY
    hour = int(rng.choice(PASS_HOURS)) * 3600
    post = day_start + hour
    while post <= event.time:
        post += SECONDS_PER_DAY
    post += int(rng.integers(0, event.repeat_days)) * SECONDS_PER_DAY
    pre = post - repeat * _cycles(rng)
    before = pre - repeat * _cycles(rng)
    return {"before": before, "pre": pre, "post": post}


def _cycles(rng: np.random.Generator) -> int:
    """Revisit cycles between two acquisitions of a pair: usually the next pass on the track,
    sometimes one was missed. Negative and positive pairs draw their gap from this same law:
    a longer gap means more crop, construction and weather change, and a gap that differed by
    label would be a cue that has nothing to do with earthquakes."""
    return 1 if rng.random() < 0.8 else 2


def event_at(rng: np.random.Generator, magnitude_mb: float, mw: float, depth_km: float, latitude: float,
             longitude: float, time: int, repeat_days: int = REPEAT_DAYS[1]) -> Event:
    """An event at a given place, depth, time and magnitude (a catalogue's), with the rest
    (fault orientation, residuals, region) drawn as :func:`draw_event` draws it; the
    catalogued epicentre is taken as the true one."""
    depth = float(np.clip(depth_km, *DEPTH_RANGE_KM))
    rupture = Rupture.from_magnitude(float(mw), depth, float(rng.uniform(0.0, 360.0)), float(rng.uniform(30.0, 90.0)))
    return Event(magnitude=float(magnitude_mb), rupture=rupture, residuals=ShakingResiduals.draw(rng),
                 region=draw_region(rng, float(latitude)), latitude=float(latitude), longitude=float(longitude),
                 location_error_m=(0.0, 0.0), time=int(time), repeat_days=int(repeat_days))
