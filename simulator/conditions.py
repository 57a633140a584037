"""What changes a SAR scene between two passes when no earthquake happens.

Drawn per acquisition, in date order, each from the previous one where the change persists:
soil moisture after rain, crop phenology and harvest, forest phenology, wind on water, water
level and floods, wet snow, construction and demolition, the orbit track (look direction and
incidence angle), and the radiometric calibration of the product. These are what make a
negative pair (``before``, ``pre``) change, and they change every positive pair as well.
Constants and sources: docs/simulator.md, "Changes that are not earthquakes".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from quakesat.simulator.sar_scene import INCIDENCE_RANGE_DEG, PIXEL_SPACING_M, Geometry, LandCover, Scene

#: Classes whose backscatter follows surface soil moisture.
MOISTURE_SENSITIVE = (LandCover.CROPLAND, LandCover.GRASSLAND, LandCover.BARE)
#: VV dB change from the driest to the wettest surface (C-band sensitivity of a few tenths
#: of a dB per volumetric %, over a ~20 % swing); VH follows with a smaller factor.
MOISTURE_SWING_DB = 3.5
VH_MOISTURE_FACTOR = 0.7
#: Probability that an acquisition follows rain (wet surface).
RAIN_PROBABILITY = 0.35
#: Probability that a crop parcel changes state between two acquisitions 12 days apart
#: (growth, harvest, tillage, irrigation), drawn per interval from this range (a quiet week to
#: a busy season), and the spread (dB, per band) of the step it then takes. Crop backscatter
#: moves over 5–8 dB in a season, by 1–3 dB between passes in fast growth and more at harvest
#: (Veloso et al. 2017, Remote Sens. Environ. 199); the numbers are our choice within that.
CROP_JUMP_PROBABILITY = (0.05, 0.5)
CROP_JUMP_DB = 2.5
#: Spread of the parcels' crop state (at every acquisition: the state is stationary), and the
#: range of the dB offset it gives the image.
CROP_STATE_DB = 2.0
CROP_STATE_LIMIT_DB = 4.0
#: A parcel that changes moves to ``rho * state + sqrt(1 - rho^2) * N(0, CROP_STATE_DB)``: an
#: AR(1) step that keeps the state's N(0, CROP_STATE_DB) marginal at every acquisition and
#: whose step has the spread CROP_JUMP_DB (its variance is 2 (1 - rho) CROP_STATE_DB^2). The
#: earlier form, a random walk clipped at the limit, let the spread grow from one acquisition
#: to the next, so the first pair of a patch (before -> pre, the negative) changed more than
#: the second (pre -> post, the event): a label cue with nothing to do with earthquakes.
CROP_PERSISTENCE = 1.0 - CROP_JUMP_DB ** 2 / (2.0 * CROP_STATE_DB ** 2)
#: Sentinel-1 absolute radiometric accuracy: 1 dB (3 sigma) (ESA Sentinel-1 User Handbook).
CALIBRATION_SD_DB = 1.0 / 3.0
#: Chance that an acquisition comes from another relative orbit than the one before it
#: (another look direction or incidence): a modelling choice.
TRACK_CHANGE_PROBABILITY = 0.15
#: Floods: chance per acquisition where a scene holds water, and the rise above the usual level.
FLOOD_PROBABILITY = 0.04
FLOOD_RISE_M = (1.0, 4.0)
#: Flooded forest and built-up ground brighten by double bounce between water and trunks or
#: walls (the effect C-band flood mapping relies on); the gain is a modelling choice.
FLOOD_DOUBLE_BOUNCE_DB = (3.0, 6.0)
#: Wet snow: liquid water in the pack absorbs C-band, a drop of 3 dB or more against a
#: snow-free reference (Nagler & Rott 2000, who map wet snow at that threshold). Dry snow
#: is nearly transparent at C-band and is not modelled.
WET_SNOW_DB = (3.0, 7.0)
WET_SNOW_SHARE = 0.4
#: Construction and demolition: blocks of 20–60 m that appear (bright: new walls and
#: corners) or disappear (a cleared lot); dB ranges are a modelling choice.
NEW_STRUCTURE_DB = ((6.0, 12.0), (3.0, 8.0))
CLEARED_LOT_DB = ((-10.0, -4.0), (-6.0, -2.0))
#: Background rate of such blocks per patch per 12 days outside towns (farm buildings, roads).
RURAL_CONSTRUCTION_PER_12_DAYS = 0.2


@dataclass
class Conditions:
    """The state of one acquisition: weather, season, human change, track, calibration.

    Attributes:
        day_of_year: 1..366.
        geometry: the orbit track's viewing geometry.
        soil_moisture: 0 dry .. 1 saturated.
        crop_state: per-parcel state (VV, VH) of growth, harvest, tillage; the image gets it
            as a dB offset clipped to +-CROP_STATE_LIMIT_DB.
        forest_db: seasonal change of forest backscatter.
        wind_db: water roughened by wind, dB added to VV (VH half of it).
        water_rise_m: water level relative to the scene's mean level (floods included).
        flooded: a flood is on (the rise includes it).
        flood_double_bounce_db: brightening of flooded forest and built-up ground.
        snow_line_m: elevation above which the ground holds wet snow (inf: none).
        wet_snow_db: the wet-snow drop (dB) where it lies.
        structures_db: ``H x W x 2`` dB change of construction and demolition so far
            (cumulative: a building that went up stays in every later image).
        calibration_db: radiometric offset of the product.
        events: names of the non-seismic changes that happened since the previous acquisition.
    """

    day_of_year: int
    geometry: Geometry
    soil_moisture: float
    crop_state: np.ndarray
    forest_db: float
    wind_db: float
    water_rise_m: float
    flooded: bool
    flood_double_bounce_db: float
    snow_line_m: float
    wet_snow_db: float
    structures_db: np.ndarray
    calibration_db: float
    events: tuple[str, ...] = field(default=())


def snow_probability(latitude: float, day_of_year: int) -> float:
    """Chance of a snow cover at an acquisition (a modelling choice): in the cold half-year
    (November–March north, May–September south), likely poleward of 45°, possible from 30°;
    rare otherwise (high mountains)."""
    north_winter = day_of_year >= 305 or day_of_year <= 90
    south_winter = 121 <= day_of_year <= 273
    winter = north_winter if latitude >= 0 else south_winter
    if not winter:
        return 0.01
    return 0.6 if abs(latitude) >= 45 else 0.3 if abs(latitude) >= 30 else 0.02


def _geometry(rng: np.random.Generator, previous: Geometry | None) -> Geometry:
    if previous is not None and rng.random() >= TRACK_CHANGE_PROBABILITY:
        return previous
    return Geometry(look_east=bool(rng.random() < 0.5), incidence_deg=float(rng.uniform(*INCIDENCE_RANGE_DEG)))


def _crops(rng: np.random.Generator, scene: Scene, previous: Conditions | None, days: float) -> tuple[np.ndarray, bool]:
    n_parcels = int(scene.parcels.max()) + 1
    if previous is None:
        return rng.normal(0.0, CROP_STATE_DB, size=(n_parcels, 2)), False
    # The per-12-day jump chance, compounded over the interval.
    per_interval = rng.uniform(*CROP_JUMP_PROBABILITY)
    chance = 1.0 - (1.0 - per_interval) ** (days / 12.0)
    jump = rng.random(n_parcels) < chance
    crop_state = previous.crop_state.copy()
    fresh = rng.normal(0.0, CROP_STATE_DB, size=(int(jump.sum()), 2))
    crop_state[jump] = CROP_PERSISTENCE * crop_state[jump] + np.sqrt(1.0 - CROP_PERSISTENCE ** 2) * fresh
    return crop_state, bool(jump.any())


def _structures(rng: np.random.Generator, scene: Scene, previous: Conditions | None,
                days: float) -> tuple[np.ndarray, int]:
    """Cumulative construction/demolition dB map and the number of blocks added now."""
    size = scene.land_cover.shape[0]
    current = np.zeros((size, size, 2)) if previous is None else previous.structures_db.copy()
    if previous is None:
        return current, 0
    urban = scene.land_cover == LandCover.URBAN
    urban_km2 = float(urban.sum()) * (PIXEL_SPACING_M / 1000.0) ** 2
    rate = (scene.region.construction_rate * urban_km2 + RURAL_CONSTRUCTION_PER_12_DAYS) * days / 12.0
    count = int(rng.poisson(rate))
    for _ in range(count):
        half = int(rng.integers(1, 4))
        r0, c0 = int(rng.integers(0, size)), int(rng.integers(0, size))
        block = (slice(max(0, r0 - half), r0 + half + 1), slice(max(0, c0 - half), c0 + half + 1))
        if scene.land_cover[r0, c0] == LandCover.WATER:
            continue
        ranges = CLEARED_LOT_DB if urban[r0, c0] else NEW_STRUCTURE_DB
        current[block] = [rng.uniform(*ranges[0]), rng.uniform(*ranges[1])]
    return current, count


def sample_conditions(rng: np.random.Generator, scene: Scene, day_of_year: int, previous: Conditions | None = None,
                      days_since_previous: float = 12.0) -> Conditions:
    """Draw the conditions of an acquisition, continuing ``previous`` where change persists.

    Args:
        rng: random source.
        scene: the patch.
        day_of_year: date of this acquisition (season, snow).
        previous: the patch's previous acquisition, or None for its first.
        days_since_previous: days between the two (crop change and construction accumulate).

    Returns:
        The acquisition's conditions; ``events`` names what changed since ``previous``.
    """
    geometry = _geometry(rng, None if previous is None else previous.geometry)
    crop_state, crops_changed = _crops(rng, scene, previous, days_since_previous)
    structures, built = _structures(rng, scene, previous, days_since_previous)
    rained = rng.random() < RAIN_PROBABILITY
    flooded = scene.water_level > 0 and rng.random() < FLOOD_PROBABILITY
    water_rise = float(rng.normal(0.0, 1.5)) + (float(rng.uniform(*FLOOD_RISE_M)) if flooded else 0.0)
    snow = rng.random() < snow_probability(scene.region.latitude, day_of_year) * WET_SNOW_SHARE
    snow_line = float(np.quantile(scene.elevation, rng.uniform(0.0, 0.9))) if snow else float("inf")
    conditions = Conditions(
        day_of_year=int(day_of_year),
        geometry=geometry,
        soil_moisture=float(rng.uniform(0.55, 1.0) if rained else rng.uniform(0.0, 0.45)),
        crop_state=crop_state,
        forest_db=float(rng.normal(0.0, 0.5)),
        wind_db=float(rng.choice([0.0, rng.uniform(2.0, 12.0)], p=[0.5, 0.5])),
        water_rise_m=water_rise,
        flooded=bool(flooded),
        flood_double_bounce_db=float(rng.uniform(*FLOOD_DOUBLE_BOUNCE_DB)),
        snow_line_m=snow_line,
        wet_snow_db=float(rng.uniform(*WET_SNOW_DB)),
        structures_db=structures,
        calibration_db=float(rng.normal(0.0, CALIBRATION_SD_DB)),
    )
    if previous is None:
        return conditions
    events = []
    if rained != (previous.soil_moisture > 0.5):
        events.append("soil_moisture")
    if crops_changed:
        events.append("crops")
    if built:
        events.append("construction")
    if flooded != previous.flooded:
        events.append("flood")
    if snow != np.isfinite(previous.snow_line_m):
        events.append("wet_snow")
    if geometry != previous.geometry:
        events.append("track")
    return replace(conditions, events=tuple(events))
