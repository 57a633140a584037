"""One acquisition as Sentinel-1 IW GRD would record it: scene + conditions (+ damage) → linear sigma0.

The order of the terms follows what a pass sees: the ground's persistent backscatter, then
what the date changed (moisture, crops, forest, structures, snow, water and floods), then
co-seismic change, then the viewing geometry (incidence and terrain tilt of the track), the
product's calibration offset, and finally speckle and thermal noise.
"""

from __future__ import annotations

import numpy as np

from quakesat.simulator.conditions import (
    CROP_STATE_LIMIT_DB,
    MOISTURE_SENSITIVE,
    MOISTURE_SWING_DB,
    VH_MOISTURE_FACTOR,
    Conditions,
)
from quakesat.simulator.sar_scene import (
    CLASS_SIGMA0_DB,
    LandCover,
    Scene,
    incidence_db,
    speckle_and_noise,
    terrain_db,
)


def render_db(scene: Scene, conditions: Conditions, change_db: np.ndarray | None = None) -> np.ndarray:
    """Noise-free sigma0 (dB, ``H x W x 2``) of one acquisition, before speckle."""
    db = scene.base_db.copy()
    cover = scene.land_cover
    moist = np.isin(cover, MOISTURE_SENSITIVE)
    shift = MOISTURE_SWING_DB * (conditions.soil_moisture - 0.3)
    db[moist, 0] += shift
    db[moist, 1] += VH_MOISTURE_FACTOR * shift
    crop = cover == LandCover.CROPLAND
    db[crop] += np.clip(conditions.crop_state[scene.parcels[crop]], -CROP_STATE_LIMIT_DB, CROP_STATE_LIMIT_DB)
    db[cover == LandCover.FOREST] += conditions.forest_db
    db += conditions.structures_db
    if np.isfinite(conditions.snow_line_m):
        snowed = (scene.elevation >= conditions.snow_line_m) & (cover != LandCover.WATER)
        db[snowed] -= conditions.wet_snow_db * np.where(cover[snowed] == LandCover.URBAN, 0.3, 1.0)[:, None]
    # Water extent follows the water level along low shores (floods, reservoirs, tides);
    # flooded trees and walls brighten by double bounce instead of turning into open water.
    if scene.water_level > 0:
        flooded = (scene.elevation <= scene.water_level + conditions.water_rise_m) & (
            (scene.slope < 10) | (cover == LandCover.WATER))
        bounce = flooded & np.isin(cover, (LandCover.FOREST, LandCover.URBAN))
        open_water = flooded & ~bounce
        db[open_water, 0] = CLASS_SIGMA0_DB[LandCover.WATER][0] + conditions.wind_db
        db[open_water, 1] = CLASS_SIGMA0_DB[LandCover.WATER][1] + 0.5 * conditions.wind_db
        db[bounce] += conditions.flood_double_bounce_db
    if change_db is not None:
        db += change_db
    db += (incidence_db(scene, conditions.geometry) + terrain_db(scene, conditions.geometry))[..., None]
    return db + conditions.calibration_db


def render(rng: np.random.Generator, scene: Scene, conditions: Conditions,
           change_db: np.ndarray | None = None) -> np.ndarray:
    """Render one acquisition as linear sigma0 with speckle and thermal noise.

    Args:
        rng: random source (speckle and noise are fresh for every acquisition).
        scene: the static ground.
        conditions: the acquisition's weather, season, structures, track and calibration.
        change_db: optional ``H x W x 2`` dB change (co-seismic damage).

    Returns:
        ``H x W x 2`` float32 linear sigma0 (VV, VH).
    """
    return speckle_and_noise(rng, render_db(scene, conditions, change_db))
