"""Sentinel-1 IW GRD-like scenes: terrain, land cover, and sigma0 images at given dates.

A :class:`Scene` is the static ground of one patch (terrain, land cover, crop parcels,
persistent texture). :func:`sample_conditions` draws the weather and season of one
acquisition; :func:`render` turns scene + conditions (+ optional co-seismic dB changes) into
an ``H x W x 2`` float32 linear sigma0 image with speckle and thermal noise. Every constant
is listed with its source in docs/simulator.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy import ndimage

#: Sentinel-1 IW GRD high-resolution pixel spacing in metres (ESA Sentinel-1 User Handbook).
PIXEL_SPACING_M = 10.0
#: Equivalent number of looks of IW GRDH products (ESA Sentinel-1 Product Definition: 4.4).
ENL = 4.4
#: Noise-equivalent sigma0 of the IW mode, dB (ESA: better than -22 dB).
NESZ_DB = -22.0


class LandCover(IntEnum):
    """Land-cover classes of the simulator; values are stored in the ``land_cover`` dataset."""

    WATER = 0
    URBAN = 1
    FOREST = 2
    CROPLAND = 3
    GRASSLAND = 4
    BARE = 5


#: Typical C-band sigma0 (dB) of each class at mid-swath incidence: (VV, VH).
CLASS_SIGMA0_DB: dict[LandCover, tuple[float, float]] = {
    LandCover.WATER: (-21.0, -27.0),
    LandCover.URBAN: (-4.0, -12.0),
    LandCover.FOREST: (-7.5, -13.5),
    LandCover.CROPLAND: (-11.0, -18.0),
    LandCover.GRASSLAND: (-10.5, -17.5),
    LandCover.BARE: (-13.0, -22.0),
}
#: Spread (dB) of the persistent per-pixel texture of each class (urban: bright scatterers).
CLASS_TEXTURE_DB: dict[LandCover, float] = {
    LandCover.WATER: 0.5,
    LandCover.URBAN: 3.0,
    LandCover.FOREST: 1.0,
    LandCover.CROPLAND: 0.8,
    LandCover.GRASSLAND: 0.8,
    LandCover.BARE: 1.0,
}
#: Classes whose backscatter follows surface soil moisture.
MOISTURE_SENSITIVE = (LandCover.CROPLAND, LandCover.GRASSLAND, LandCover.BARE)
#: VV dB change from the driest to the wettest surface (C-band sensitivity of a few tenths
#: of a dB per volumetric %, over a ~20 % swing); VH follows with a smaller factor.
MOISTURE_SWING_DB = 3.5
VH_MOISTURE_FACTOR = 0.7
#: Probability that a crop parcel changes state between two acquisitions (harvest, tillage,
#: emergence, irrigation), drawn per acquisition from this range (quiet weeks and busy
#: seasons), and the dB spread of its new state.
CROP_JUMP_PROBABILITY = (0.05, 0.6)
CROP_JUMP_DB = 4.0
#: Probability that an acquisition follows rain (wet surface).
RAIN_PROBABILITY = 0.35


def smooth_noise(rng: np.random.Generator, size: int, scale_px: float) -> np.ndarray:
    """Zero-mean, unit-variance random field with features of about ``scale_px`` pixels.

    Drawn on a coarse grid and interpolated (cheap compared with a wide Gaussian filter).
    """
    coarse = max(2, int(round(size / max(scale_px, 1.0))) + 1)
    grid = rng.standard_normal((coarse, coarse))
    field = ndimage.zoom(grid, size / coarse, order=3, mode="reflect", grid_mode=True)[:size, :size]
    if field.shape != (size, size):  # zoom rounding: pad by reflection
        field = np.pad(field, [(0, size - field.shape[0]), (0, size - field.shape[1])], mode="reflect")
    field -= field.mean()
    return field / (field.std() + 1e-12)


def fractal_terrain(rng: np.random.Generator, size: int, relief_m: float) -> np.ndarray:
    """Elevation (metres) as a sum of octaves with amplitude halving per octave."""
    elevation = np.zeros((size, size))
    amplitude, scale = 1.0, size / 2
    while scale >= 8:
        elevation += amplitude * smooth_noise(rng, size, scale)
        amplitude *= 0.5
        scale /= 2
    elevation -= elevation.min()
    return elevation / (elevation.max() + 1e-12) * relief_m


def _parcels(rng: np.random.Generator, size: int, mean_side_px: float) -> np.ndarray:
    """Label map of rectangular field parcels: rows of random height split into random widths."""
    labels = np.zeros((size, size), dtype=np.int32)
    next_label, row = 0, 0
    while row < size:
        height = int(np.clip(rng.normal(mean_side_px, mean_side_px / 3), 6, 4 * mean_side_px))
        col = 0
        while col < size:
            width = int(np.clip(rng.normal(mean_side_px * 1.4, mean_side_px / 2), 6, 5 * mean_side_px))
            labels[row : row + height, col : col + width] = next_label
            next_label += 1
            col += width
        row += height
    return labels


@dataclass
class Scene:
    """The static ground of one patch.

    Attributes:
        elevation: metres, ``H x W``.
        slope: terrain slope in degrees, ``H x W``.
        downslope: unit vectors (drow, dcol) of steepest descent, ``2 x H x W``.
        land_cover: :class:`LandCover` values, ``H x W`` uint8.
        parcels: field-parcel labels (cropland dynamics act per parcel), ``H x W``.
        base_db: persistent sigma0 in dB without weather, ``H x W x 2``.
        water_level: elevation (m) of the mean water surface; negative when there is no water.
    """

    elevation: np.ndarray
    slope: np.ndarray
    downslope: np.ndarray
    land_cover: np.ndarray
    parcels: np.ndarray
    base_db: np.ndarray
    water_level: float


def make_scene(rng: np.random.Generator, size: int) -> Scene:
    """Draw terrain and land cover for one ``size x size`` patch."""
    relief = float(rng.choice([rng.uniform(5, 60), rng.uniform(60, 300), rng.uniform(300, 900)], p=[0.35, 0.4, 0.25]))
    elevation = fractal_terrain(rng, size, relief)
    d_row, d_col = np.gradient(elevation, PIXEL_SPACING_M)
    grad = np.hypot(d_row, d_col)
    slope = np.degrees(np.arctan(grad))
    downslope = -np.stack([d_row, d_col]) / (grad + 1e-9)

    water_share = float(rng.choice([0.0, rng.uniform(0.02, 0.2)], p=[0.45, 0.55]))
    water_level = float(np.quantile(elevation, water_share)) if water_share > 0 else -1.0
    urban_share = float(rng.choice([0.0, rng.uniform(0.03, 0.3)], p=[0.3, 0.7]))
    flat = slope < 8

    cover = np.full((size, size), LandCover.GRASSLAND, dtype=np.uint8)
    crop_field = smooth_noise(rng, size, size / 3)
    cover[(crop_field > -0.3) & flat] = LandCover.CROPLAND
    forest_field = smooth_noise(rng, size, size / 5) + slope / 15.0
    cover[forest_field > 1.0] = LandCover.FOREST
    cover[(slope > 25) & (rng.random() < 0.7)] = LandCover.BARE
    if urban_share > 0:
        urban_field = smooth_noise(rng, size, size / 6) - 0.05 * slope
        cover[urban_field > np.quantile(urban_field, 1 - urban_share)] = LandCover.URBAN
    if water_share > 0:
        cover[elevation <= water_level] = LandCover.WATER

    parcels = _parcels(rng, size, mean_side_px=float(rng.uniform(12, 35)))
    base = np.zeros((size, size, 2))
    for cls, (vv, vh) in CLASS_SIGMA0_DB.items():
        mask = cover == cls
        base[mask, 0], base[mask, 1] = vv, vh
    # Crop types and urban blocks differ per parcel; a persistent per-pixel texture on top.
    parcel_offsets = rng.normal(0.0, 2.0, size=(parcels.max() + 1, 2))
    crop = cover == LandCover.CROPLAND
    base[crop] += parcel_offsets[parcels[crop]]
    texture_sd = np.vectorize(lambda c: CLASS_TEXTURE_DB[LandCover(c)])(np.arange(len(LandCover)))[cover]
    base += (texture_sd[..., None] * rng.standard_normal((size, size, 2)))
    # Terrain facing the radar is brighter: slope component along the range direction.
    look = 1.0 if rng.random() < 0.5 else -1.0
    base += np.clip(-look * 25.0 * d_col, -6.0, 6.0)[..., None]
    return Scene(elevation, slope, downslope, cover, parcels, base, water_level)


@dataclass(frozen=True)
class Conditions:
    """Weather and season of one acquisition (what differs between dates without a quake)."""

    soil_moisture: float  # 0 dry .. 1 saturated
    crop_state: np.ndarray  # per-parcel dB offset (VV, VH) from growth, harvest, tillage
    wind_db: float  # water roughening by wind, dB added to VV (VH half of it)
    water_rise_m: float  # water level change relative to the scene's mean level
    forest_db: float  # small seasonal change of forest backscatter
    calibration_db: float  # radiometric jitter of the acquisition


def sample_conditions(rng: np.random.Generator, scene: Scene, previous: Conditions | None = None) -> Conditions:
    """Draw the conditions of an acquisition, correlated with the previous one when given.

    Crop parcels keep their state or, with :data:`CROP_JUMP_PROBABILITY` (a range: the season), jump (harvest,
    ploughing, growth); soil moisture is a fresh draw (rain comes and goes within days).
    """
    n_parcels = int(scene.parcels.max()) + 1
    if previous is None:
        crop_state = rng.normal(0.0, 2.0, size=(n_parcels, 2))
    else:
        jump = rng.random(n_parcels) < rng.uniform(*CROP_JUMP_PROBABILITY)
        crop_state = previous.crop_state.copy()
        crop_state[jump] = rng.normal(0.0, CROP_JUMP_DB, size=(int(jump.sum()), 2))
    rained = rng.random() < RAIN_PROBABILITY
    return Conditions(
        soil_moisture=float(rng.uniform(0.55, 1.0) if rained else rng.uniform(0.0, 0.45)),
        crop_state=crop_state,
        wind_db=float(rng.choice([0.0, rng.uniform(2.0, 12.0)], p=[0.5, 0.5])),
        water_rise_m=float(rng.normal(0.0, 1.5)),
        forest_db=float(rng.normal(0.0, 0.5)),
        calibration_db=float(rng.normal(0.0, 0.3)),
    )


def render(
    rng: np.random.Generator,
    scene: Scene,
    conditions: Conditions,
    change_db: np.ndarray | None = None,
) -> np.ndarray:
    """Render one acquisition as linear sigma0 with speckle and thermal noise.

    Args:
        rng: random source (speckle and noise are fresh for every acquisition).
        scene: the static ground.
        conditions: the acquisition's weather and season.
        change_db: optional ``H x W x 2`` dB change (co-seismic damage) added last.

    Returns:
        ``H x W x 2`` float32 linear sigma0 (VV, VH).
    """
    db = scene.base_db.copy()
    cover = scene.land_cover
    moist = np.isin(cover, MOISTURE_SENSITIVE)
    shift = MOISTURE_SWING_DB * (conditions.soil_moisture - 0.3)
    db[moist, 0] += shift
    db[moist, 1] += VH_MOISTURE_FACTOR * shift
    crop = cover == LandCover.CROPLAND
    db[crop] += conditions.crop_state[scene.parcels[crop]]
    db[cover == LandCover.FOREST] += conditions.forest_db
    # Water extent follows the water level along low shores (floods, reservoirs, tides).
    if scene.water_level > 0:
        flooded = scene.elevation <= scene.water_level + conditions.water_rise_m
        water = flooded & ((scene.slope < 10) | (cover == LandCover.WATER))
        db[water, 0] = CLASS_SIGMA0_DB[LandCover.WATER][0] + conditions.wind_db
        db[water, 1] = CLASS_SIGMA0_DB[LandCover.WATER][1] + 0.5 * conditions.wind_db
    if change_db is not None:
        db += change_db
    db += conditions.calibration_db
    sigma0 = np.power(10.0, db / 10.0)
    speckle = rng.gamma(ENL, 1.0 / ENL, size=sigma0.shape)
    noise = rng.exponential(10.0 ** (NESZ_DB / 10.0), size=sigma0.shape)
    return (sigma0 * speckle + noise).astype(np.float32)


def nodata_border(rng: np.random.Generator, size: int) -> np.ndarray:
    """Mask (True = no data) of a swath or burst edge crossing one side of the patch."""
    side = rng.integers(4)
    depth = rng.uniform(0.05, 0.45) * size
    tilt = rng.uniform(-0.3, 0.3)
    rows, cols = np.mgrid[0:size, 0:size]
    along, across = (rows, cols) if side in (0, 1) else (cols, rows)
    edge = depth + tilt * (along - size / 2)
    return across < edge if side in (0, 2) else across > size - edge
