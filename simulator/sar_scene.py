"""Sentinel-1 IW GRD-like scenes: terrain, land cover, buildings, and sigma0 images at given dates.

A :class:`Scene` is the static ground of one patch (terrain, land cover, crop parcels,
building footprints and their vulnerability, persistent texture). :func:`render` turns a
scene, the conditions of one acquisition (:mod:`quakesat.simulator.conditions`: weather,
season, orbit track, calibration) and optional co-seismic dB changes into an ``H x W x 2``
float32 linear sigma0 image with speckle and thermal noise. Every constant is listed with its
source in docs/simulator.md.
"""

from __future__ import annotations

import math
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
#: Incidence range of the IW swath (ESA Sentinel-1 User Handbook: 29.1°–46.0°) and the
#: incidence at which the class levels below are given.
INCIDENCE_RANGE_DEG = (29.1, 46.0)
REFERENCE_INCIDENCE_DEG = 37.0


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
#: How fast sigma0 falls with incidence (dB per degree) for each class: steeply for smooth
#: surfaces, slowly for volume scatterers (forest) — the shapes in Ulaby & Long (2014); the
#: numbers are our choice within them.
CLASS_INCIDENCE_SLOPE_DB: dict[LandCover, float] = {
    LandCover.WATER: -0.5,
    LandCover.URBAN: -0.15,
    LandCover.FOREST: -0.07,
    LandCover.CROPLAND: -0.2,
    LandCover.GRASSLAND: -0.2,
    LandCover.BARE: -0.25,
}
#: The local incidence angle is kept above this (a steeper foreslope is layover: GRD pixels
#: there are bright and hold no usable signal either way).
MIN_LOCAL_INCIDENCE_DEG = 5.0


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
    """Elevation (metres) of a ``size``-pixel patch at 10 m: spectral synthesis with random
    phases and an amplitude falling as 1/f² (a smooth, self-similar surface), from the
    patch's width down to features of 8 pixels (80 m), scaled to ``relief_m``."""
    freq_rows = np.fft.fftfreq(size)[:, None]
    freq_cols = np.fft.rfftfreq(size)[None, :]
    frequency = np.hypot(freq_rows, freq_cols)
    amplitude = np.where((frequency > 0) & (frequency <= 1.0 / 8.0), 1.0 / np.maximum(frequency, 1e-9) ** 2, 0.0)
    spectrum = amplitude * (rng.standard_normal(frequency.shape) + 1j * rng.standard_normal(frequency.shape))
    elevation = np.fft.irfft2(spectrum, s=(size, size))
    elevation -= elevation.min()
    return elevation / (elevation.max() + 1e-12) * relief_m


def _cuts(rng: np.random.Generator, size: int, mean: float, spread: float, low: int, high: float) -> np.ndarray:
    """Boundaries 0 < b1 < ... < size of consecutive lengths drawn from a clipped normal."""
    count = int(size / max(low, 1)) + 2
    lengths = np.clip(rng.normal(mean, spread, size=count), low, high).astype(int)
    edges = np.cumsum(lengths)
    return edges[: int(np.searchsorted(edges, size)) + 1]


def rectangles(rng: np.random.Generator, size: int, mean_side_px: float, min_side_px: int) -> np.ndarray:
    """Label map of rectangles tiling the patch: rows of random height split into random widths
    (field parcels, building footprints)."""
    labels = np.zeros((size, size), dtype=np.int32)
    next_label, top = 0, 0
    for bottom in _cuts(rng, size, mean_side_px, mean_side_px / 3, min_side_px, 4 * mean_side_px):
        ends = _cuts(rng, size, mean_side_px * 1.4, mean_side_px / 2, min_side_px, 5 * mean_side_px)
        widths = np.diff(np.concatenate([[0], np.minimum(ends, size)]))
        row_labels = np.repeat(np.arange(next_label, next_label + len(widths)), widths)[:size]
        labels[top: min(bottom, size)] = row_labels
        next_label += len(widths)
        top = bottom
        if top >= size:
            break
    return labels


@dataclass(frozen=True)
class Region:
    """What the patches of one event share: the epicentral area's landscape and climate.

    Attributes:
        relief_m: typical relief of a patch (each patch draws around it).
        urban_share: typical share of built-up ground (0: rural area).
        water_probability: chance that a patch holds a lake, river or coast.
        vulnerability: mean EMS-98 vulnerability index of the building stock (0.1 resistant .. 0.9 adobe).
        lithology: Nowicki Jessee et al. (2018) lithology class name.
        precipitation_mm: mean annual precipitation (a covariate of the liquefaction model).
        latitude: degrees (where snow can fall).
        construction_rate: new or removed structures per km² of built-up ground per 12 days.
    """

    relief_m: float
    urban_share: float
    water_probability: float
    vulnerability: float
    lithology: str
    precipitation_mm: float
    latitude: float
    construction_rate: float


@dataclass
class Scene:
    """The static ground of one patch.

    Attributes:
        elevation: metres, ``H x W``.
        slope: terrain slope in degrees, ``H x W`` (10 m grid, features >= 80 m).
        gradient: terrain gradient (d/drow, d/dcol, m per m), ``2 x H x W``.
        downslope: unit vectors (drow, dcol) of steepest descent, ``2 x H x W``.
        regional_slope: slope (m/m) of the terrain smoothed to ~1 km, ``H x W`` (the scale of
            the slope a Vs30 proxy is defined on).
        land_cover: :class:`LandCover` values, ``H x W`` uint8.
        parcels: field-parcel labels (cropland dynamics act per parcel), ``H x W``.
        buildings: building-footprint labels on urban pixels, -1 elsewhere, ``H x W``.
        vulnerability: EMS-98 vulnerability index of each building (index = label).
        base_db: persistent sigma0 in dB, flat terrain at the reference incidence, ``H x W x 2``.
        water_level: elevation (m) of the mean water surface; negative when there is no water.
        region: the event's :class:`Region`.
    """

    elevation: np.ndarray
    slope: np.ndarray
    gradient: np.ndarray
    downslope: np.ndarray
    regional_slope: np.ndarray
    land_cover: np.ndarray
    parcels: np.ndarray
    buildings: np.ndarray
    vulnerability: np.ndarray
    base_db: np.ndarray
    water_level: float
    region: Region


def make_scene(rng: np.random.Generator, size: int, region: Region) -> Scene:
    """Draw terrain, land cover and buildings for one ``size x size`` patch of ``region``."""
    relief = float(np.clip(region.relief_m * rng.lognormal(0.0, 0.35), 3.0, 2500.0))
    elevation = fractal_terrain(rng, size, relief)
    d_row, d_col = np.gradient(elevation, PIXEL_SPACING_M)
    grad = np.hypot(d_row, d_col)
    slope = np.degrees(np.arctan(grad))
    downslope = -np.stack([d_row, d_col]) / (grad + 1e-9)
    smooth = ndimage.uniform_filter(elevation, size=min(size, 100), mode="reflect")  # ~1 km box
    regional_slope = np.hypot(*np.gradient(smooth, PIXEL_SPACING_M))

    has_water = rng.random() < region.water_probability
    water_share = float(rng.uniform(0.02, 0.2)) if has_water else 0.0
    water_level = float(np.quantile(elevation, water_share)) if water_share > 0 else -1.0
    urban_share = float(np.clip(region.urban_share * rng.lognormal(0.0, 0.5), 0.0, 0.6))
    flat = slope < 8

    cover = np.full((size, size), LandCover.GRASSLAND, dtype=np.uint8)
    crop_field = smooth_noise(rng, size, size / 3)
    cover[(crop_field > -0.3) & flat] = LandCover.CROPLAND
    forest_field = smooth_noise(rng, size, size / 5) + slope / 15.0
    cover[forest_field > 1.0] = LandCover.FOREST
    cover[(slope > 25) & (rng.random() < 0.7)] = LandCover.BARE
    if urban_share > 0.005:
        urban_field = smooth_noise(rng, size, size / 6) - 0.05 * slope
        cover[urban_field > np.quantile(urban_field, 1 - urban_share)] = LandCover.URBAN
    if water_share > 0:
        cover[elevation <= water_level] = LandCover.WATER

    parcels = rectangles(rng, size, mean_side_px=float(rng.uniform(12, 35)), min_side_px=6)
    # Building footprints of 20–40 m: labels on urban pixels only.
    footprints = rectangles(rng, size, mean_side_px=2.5, min_side_px=2)
    urban = cover == LandCover.URBAN
    buildings = np.where(urban, footprints, -1)
    vulnerability = np.clip(rng.normal(region.vulnerability, 0.1, size=int(footprints.max()) + 1), 0.1, 1.0)

    base = np.zeros((size, size, 2))
    for cls, (vv, vh) in CLASS_SIGMA0_DB.items():
        mask = cover == cls
        base[mask, 0], base[mask, 1] = vv, vh
    # Crop types and urban blocks differ per parcel; a persistent per-pixel texture on top.
    parcel_offsets = rng.normal(0.0, 2.0, size=(parcels.max() + 1, 2))
    crop = cover == LandCover.CROPLAND
    base[crop] += parcel_offsets[parcels[crop]]
    texture_sd = np.array([CLASS_TEXTURE_DB[LandCover(c)] for c in range(len(LandCover))])[cover]
    base += texture_sd[..., None] * rng.standard_normal((size, size, 2))
    return Scene(elevation, slope, np.stack([d_row, d_col]), downslope, regional_slope, cover, parcels, buildings,
                 vulnerability, base, water_level, region)


@dataclass(frozen=True)
class Geometry:
    """Viewing geometry of one acquisition: the orbit track's look direction and incidence.

    Attributes:
        look_east: True when the radar looks east (Sentinel-1 is right-looking: ascending
            passes look east, descending west).
        incidence_deg: incidence angle at the patch (set by its place in the swath).
    """

    look_east: bool
    incidence_deg: float


def terrain_db(scene: Scene, geometry: Geometry) -> np.ndarray:
    """Brightness change (dB, ``H x W``) from the terrain's tilt towards the radar.

    GRD sigma0 is calibrated on the ellipsoid (QuakeSet's products), so a slope facing the
    radar is brighter and one facing away darker, by the ratio of the illuminated areas
    sin(θ) / sin(θ_local) (Small 2011, "Flattening gamma"). Only the tilt in the range
    direction (east–west) counts.
    """
    # Looking east, the radar is west of the scene: ground rising to the east (columns grow
    # eastward) faces it. tilt > 0 is a slope facing the radar.
    facing = 1.0 if geometry.look_east else -1.0
    tilt = np.degrees(np.arctan(facing * scene.gradient[1]))
    local = np.clip(geometry.incidence_deg - tilt, MIN_LOCAL_INCIDENCE_DEG, 89.0)
    return 10.0 * np.log10(math.sin(math.radians(geometry.incidence_deg)) / np.sin(np.radians(local)))


def incidence_db(scene: Scene, geometry: Geometry) -> np.ndarray:
    """Class-dependent change (dB, ``H x W``) of sigma0 from the reference incidence to this one."""
    slopes = np.array([CLASS_INCIDENCE_SLOPE_DB[LandCover(c)] for c in range(len(LandCover))])[scene.land_cover]
    return slopes * (geometry.incidence_deg - REFERENCE_INCIDENCE_DEG)


def speckle_and_noise(rng: np.random.Generator, db: np.ndarray) -> np.ndarray:
    """Linear sigma0 from dB with multiplicative gamma speckle (shape ENL, mean 1) and additive
    exponential thermal noise at the NESZ; float32."""
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
