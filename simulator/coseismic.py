"""Co-seismic surface change of one patch: which ground fails under its shaking, and how it looks in SAR.

Shaking (:mod:`quakesat.simulator.shaking`) and the ground (:mod:`quakesat.simulator.sar_scene`)
go into the published ground-failure and damage models (:mod:`quakesat.simulator.ground_failure`):
per pixel an areal share of landslides and of liquefaction, per building a damage grade.
Those shares are then realised as objects (landslide scars elongated down the slope, sand
ejecta patches, collapsed buildings), and each object changes the ``post`` image by its
radar signature. The signatures' dB ranges are modelling choices within what the cited
observations report (docs/simulator.md, "Co-seismic effects").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy import ndimage

from quakesat.simulator import ground_failure as gf
from quakesat.simulator.sar_scene import PIXEL_SPACING_M, LandCover, Scene
from quakesat.simulator.shaking import PatchShaking, vs30_from_slope


class Damage(IntEnum):
    """Values of the ``change_mask`` ground-truth dataset."""

    NONE = 0
    LANDSLIDE = 1
    BUILDING = 2
    LIQUEFACTION = 3


#: Nowicki Jessee et al. (2018) land-cover coefficient of each simulator class (the GlobCover
#: class it stands for: see ground_failure.NJ18_LAND_COVER); water cannot slide.
LAND_COVER_COEFFICIENT = {
    LandCover.URBAN: gf.NJ18_LAND_COVER["artificial surfaces (190)"],
    LandCover.FOREST: gf.NJ18_LAND_COVER["closed to open broadleaved evergreen forest (40)"],
    LandCover.CROPLAND: gf.NJ18_LAND_COVER["rainfed croplands (14)"],
    LandCover.GRASSLAND: gf.NJ18_LAND_COVER["closed to open herbaceous vegetation (140)"],
    LandCover.BARE: gf.NJ18_LAND_COVER["bare areas (200)"],
}
#: Our terrain has no drainage network: the compound topographic index ln(a / tan β) is taken
#: with a constant specific catchment area (its coefficient in the landslide model is 0.03).
CATCHMENT_M = 100.0
#: Landslide areas follow a power law above a rollover (Malamud et al. 2004, Earth Surf.
#: Process. Landforms 29: exponent about 2.4 for the probability density); bounds are ours.
LANDSLIDE_AREA_M2 = (400.0, 200_000.0)
LANDSLIDE_AREA_EXPONENT = 2.4
#: Radar signature of a landslide scar (vegetation stripped, soil and debris exposed):
#: amplitude changes of both signs of a few dB (Handwerger et al. 2022, NHESS 22), scaled by
#: how much vegetation there was to lose. Ranges: modelling choice.
LANDSLIDE_DB = ((-2.0, 3.0), (-6.0, -2.0))
LANDSLIDE_VEGETATION = {LandCover.FOREST: 1.0, LandCover.GRASSLAND: 0.7, LandCover.CROPLAND: 0.7,
                        LandCover.URBAN: 0.7, LandCover.BARE: 0.4}
#: Collapsed buildings lose their double-bounce return (Matsuoka & Yamazaki 2004, Earthquake
#: Spectra 20(3): backscatter drop over the heavily damaged districts of Kobe). Grade 5
#: (destruction) takes the full drop, grade 4 (partial collapse) half of it.
COLLAPSE_DB = ((-8.0, -3.0), (-4.0, -1.0))
#: Liquefaction: sand ejecta and ponded water make the surface smooth and wet (darker);
#: patches of 30–150 m radius. Modelling choice.
LIQUEFACTION_DB = ((-6.0, -3.0), (-5.0, -2.0))
LIQUEFACTION_RADIUS_PX = (3.0, 15.0)
#: The USGS implementation of Zhu et al. (2017) computes liquefaction on slopes up to 5°.
LIQUEFACTION_MAX_SLOPE_DEG = 5.0
#: A patch with no water in view: distance to the nearest water (km) and water-table depth
#: (m) drawn from these ranges (modelling choice).
DRY_PATCH_WATER_KM = (1.0, 15.0)
DRY_PATCH_WATER_TABLE_M = (5.0, 40.0)


@dataclass(frozen=True)
class CoseismicConfig:
    """Switches of the co-seismic model.

    Attributes:
        enabled: False writes events without any surface change (a control: what models
            find then is not an earthquake).
        max_objects: cap per kind and patch (a runaway guard; the published rates stay below it).
    """

    enabled: bool = True
    max_objects: int = 20_000


@dataclass(frozen=True)
class GroundFailure:
    """Expected shares of failed ground per pixel and the damage drawn from them."""

    landslide_share: np.ndarray  # H x W, Nowicki Jessee et al. (2018) areal coverage
    liquefaction_share: np.ndarray  # H x W, Zhu et al. (2017) spatial extent
    collapse_probability: np.ndarray  # per building: P(damage grade >= 4)
    destruction_probability: np.ndarray  # per building: P(damage grade 5)


def _mean_landslide_area_m2() -> float:
    lo, hi = LANDSLIDE_AREA_M2
    a = LANDSLIDE_AREA_EXPONENT
    return (a - 1) / (a - 2) * (lo ** (2 - a) - hi ** (2 - a)) / (lo ** (1 - a) - hi ** (1 - a))


def _landslide_areas(rng: np.random.Generator, n: int) -> np.ndarray:
    """Areas (m²) from the truncated power law, by inverting its distribution function."""
    lo, hi = LANDSLIDE_AREA_M2
    e = 1.0 - LANDSLIDE_AREA_EXPONENT
    return (lo**e + rng.random(n) * (hi**e - lo**e)) ** (1.0 / e)


def _window(size: int, r0: int, c0: int, half: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column grids of the square of half-side ``half`` around (r0, c0), cut to the patch."""
    return np.mgrid[max(0, r0 - half): min(size, r0 + half + 1), max(0, c0 - half): min(size, c0 + half + 1)]


def _seeds(rng: np.random.Generator, rate: np.ndarray, limit: int) -> np.ndarray:
    """Pixels (row, col) where objects start: a Bernoulli draw per pixel with ``rate``."""
    hits = np.argwhere(rng.random(rate.shape) < rate)
    if len(hits) > limit:
        hits = hits[rng.choice(len(hits), size=limit, replace=False)]
    return hits


def _water_covariates(rng: np.random.Generator, scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Distance to water (km) and water-table depth (m) per pixel."""
    water = scene.land_cover == LandCover.WATER
    if water.any():
        distance_km = ndimage.distance_transform_edt(~water) * PIXEL_SPACING_M / 1000.0
        table_m = np.clip(scene.elevation - scene.water_level, 0.0, 100.0)
        return distance_km, table_m
    distance_km = np.full(scene.elevation.shape, rng.uniform(*DRY_PATCH_WATER_KM))
    table_m = rng.uniform(*DRY_PATCH_WATER_TABLE_M) + scene.elevation - scene.elevation.min()
    return distance_km, np.clip(table_m, 0.0, 200.0)


def ground_failure(rng: np.random.Generator, scene: Scene, shaking: PatchShaking) -> GroundFailure:
    """The published models' expected failure of one patch under its shaking."""
    cover = scene.land_cover
    cover_coefficient = np.zeros(cover.shape)
    for cls, value in LAND_COVER_COEFFICIENT.items():
        cover_coefficient[cover == cls] = value
    cti = np.log(CATCHMENT_M / np.tan(np.radians(np.maximum(scene.slope, 0.1))))
    p_slide = gf.landslide_probability(shaking.pgv_cm_s, scene.slope, gf.NJ18_LITHOLOGY[scene.region.lithology],
                                       cover_coefficient, cti)
    landslide = gf.landslide_coverage(p_slide, shaking.pga_g, scene.slope)
    landslide[cover == LandCover.WATER] = 0.0

    vs30 = vs30_from_slope(scene.regional_slope)
    water_km, table_m = _water_covariates(rng, scene)
    p_liquefy = gf.liquefaction_probability(shaking.pgv_cm_s, vs30, scene.region.precipitation_mm, water_km, table_m)
    liquefaction = gf.liquefaction_extent(p_liquefy, shaking.pgv_cm_s, shaking.pga_g, vs30)
    excluded = (cover == LandCover.WATER) | (cover == LandCover.URBAN) | (scene.slope > LIQUEFACTION_MAX_SLOPE_DEG)
    liquefaction[excluded] = 0.0

    labels = scene.buildings
    on_building = labels >= 0
    count = np.bincount(labels[on_building], minlength=len(scene.vulnerability))
    mean_mmi = np.bincount(labels[on_building], weights=shaking.mmi[on_building],
                           minlength=len(scene.vulnerability)).astype(float)
    mean_mmi = np.divide(mean_mmi, count, out=np.zeros_like(mean_mmi), where=count > 0)
    grades = gf.damage_grade_probabilities(gf.mean_damage_grade(mean_mmi, scene.vulnerability))
    built = count > 0
    return GroundFailure(landslide, liquefaction, np.where(built, grades[:, 4] + grades[:, 5], 0.0),
                         np.where(built, grades[:, 5], 0.0))


def _landslides(rng: np.random.Generator, scene: Scene, share: np.ndarray, change: np.ndarray, mask: np.ndarray,
                limit: int) -> int:
    size = share.shape[0]
    pixel_area = PIXEL_SPACING_M**2
    seeds = _seeds(rng, share * pixel_area / _mean_landslide_area_m2(), limit)
    areas_px = _landslide_areas(rng, len(seeds)) / pixel_area
    for (r0, c0), area in zip(seeds, areas_px):
        aspect = rng.uniform(2.0, 5.0)
        length = float(np.sqrt(area * aspect * 4.0 / np.pi))
        width = max(1.0, length / aspect)
        d_row, d_col = scene.downslope[:, r0, c0]
        half = int(length / 2) + 2
        rr, cc = _window(size, r0, c0, half)
        along = (rr - r0) * d_row + (cc - c0) * d_col
        across = -(rr - r0) * d_col + (cc - c0) * d_row
        inside = ((along / (length / 2)) ** 2 + (across / (width / 2)) ** 2 <= 1.0) & (
            scene.land_cover[rr, cc] != LandCover.WATER)
        r, c = rr[inside], cc[inside]
        vegetation = LANDSLIDE_VEGETATION.get(LandCover(int(scene.land_cover[r0, c0])), 0.7)
        change[r, c] = vegetation * np.array([rng.uniform(*LANDSLIDE_DB[0]), rng.uniform(*LANDSLIDE_DB[1])])
        mask[r, c] = Damage.LANDSLIDE
    return len(seeds)


def _collapses(rng: np.random.Generator, scene: Scene, failure: GroundFailure, change: np.ndarray,
               mask: np.ndarray) -> int:
    """Each building draws its damage grade: 5 (destruction) takes the full drop, 4 (partial
    collapse) half of it, lower grades leave no mark a 10 m pixel shows."""
    draw = rng.random(len(failure.collapse_probability))
    collapsed = draw < failure.collapse_probability
    if not collapsed.any():
        return 0
    scale = np.where(draw < failure.destruction_probability, 1.0, 0.5)[:, None]
    n = len(draw)
    depth = scale * np.stack([rng.uniform(*COLLAPSE_DB[0], n), rng.uniform(*COLLAPSE_DB[1], n)], axis=1)
    on = scene.buildings >= 0
    labels = scene.buildings[on]
    hit = collapsed[labels]
    rows, cols = np.nonzero(on)
    change[rows[hit], cols[hit]] = depth[labels[hit]]
    mask[rows[hit], cols[hit]] = Damage.BUILDING
    return int(collapsed.sum())


def _liquefaction(rng: np.random.Generator, share: np.ndarray, change: np.ndarray, mask: np.ndarray,
                  limit: int) -> int:
    size = share.shape[0]
    mean_area = np.pi * np.mean(np.square(np.linspace(*LIQUEFACTION_RADIUS_PX, 101)))
    seeds = _seeds(rng, share / mean_area, limit)
    for r0, c0 in seeds:
        radius = float(rng.uniform(*LIQUEFACTION_RADIUS_PX))
        half = int(radius) + 1
        rr, cc = _window(size, r0, c0, half)
        inside = (np.hypot(rr - r0, cc - c0) <= radius) & (share[rr, cc] > 0)
        change[rr[inside], cc[inside]] = [rng.uniform(*LIQUEFACTION_DB[0]), rng.uniform(*LIQUEFACTION_DB[1])]
        mask[rr[inside], cc[inside]] = Damage.LIQUEFACTION
    return len(seeds)


def coseismic_change(rng: np.random.Generator, scene: Scene, shaking: PatchShaking,
                     config: CoseismicConfig = CoseismicConfig()) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Draw the co-seismic changes of one patch.

    Args:
        rng: random source.
        scene: the patch's ground.
        shaking: the patch's shaking maps.
        config: switches.

    Returns:
        ``(change_db, mask, stats)``: ``H x W x 2`` dB change to add to the post image,
        ``H x W`` uint8 :class:`Damage` mask, and counts and expected shares (JSON-ready).
    """
    size = scene.land_cover.shape[0]
    change = np.zeros((size, size, 2))
    mask = np.zeros((size, size), dtype=np.uint8)
    failure = ground_failure(rng, scene, shaking)
    stats = {
        "expected_landslide_share": float(failure.landslide_share.mean()),
        "expected_liquefaction_share": float(failure.liquefaction_share.mean()),
        "expected_collapsed_buildings": float(failure.collapse_probability.sum()),
        "landslides": 0, "liquefaction_patches": 0, "collapsed_buildings": 0,
    }
    if not config.enabled:
        return change, mask, stats
    # Order matters where objects overlap: the last one drawn sets the pixel.
    stats["landslides"] = _landslides(rng, scene, failure.landslide_share, change, mask, config.max_objects)
    stats["liquefaction_patches"] = _liquefaction(rng, failure.liquefaction_share, change, mask, config.max_objects)
    stats["collapsed_buildings"] = _collapses(rng, scene, failure, change, mask)
    return change, mask, stats
