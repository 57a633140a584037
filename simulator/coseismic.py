"""Co-seismic surface changes: shaking intensity, then landslides, building damage, liquefaction.

Shaking follows an intensity attenuation relation (Bakun & Wentworth 1997): intensity grows
with magnitude and decays with hypocentral distance. Each damage type starts above an
intensity threshold, on the ground that is susceptible to it (steep slopes; built-up areas;
flat ground next to water), as scattered objects whose number grows with intensity. Each
object changes sigma0 by a few dB. Constants and sources: docs/simulator.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy import ndimage

from quakesat.simulator.sar_scene import PIXEL_SPACING_M, LandCover, Scene


class Damage(IntEnum):
    """Values of the ``change_mask`` ground-truth dataset."""

    NONE = 0
    LANDSLIDE = 1
    BUILDING = 2
    LIQUEFACTION = 3


def intensity_mmi(magnitude: float, hypocentral_km: np.ndarray) -> np.ndarray:
    """Modified Mercalli intensity from magnitude and hypocentral distance (km).

    Bakun & Wentworth (1997, BSSA 87(6)): MMI = 3.67 + 1.17 M - 3.19 log10(Δh). Derived for
    moment magnitude; QuakeSet gives mb, which is close to Mw for the moderate events here.
    """
    return 3.67 + 1.17 * magnitude - 3.19 * np.log10(np.maximum(hypocentral_km, 1.0))


@dataclass(frozen=True)
class CoseismicConfig:
    """Knobs of the damage model (the ``gain`` is the difficulty calibration knob).

    Attributes:
        gain: multiplier on every damage density; the difficulty calibration set it to 2
            (docs/simulator.md, "Difficulty"), so that with the covers below the damaged
            share of a strongly shaken patch often exceeds 10 %.
        landslide_mmi: intensity at which half the susceptible slopes can fail.
        building_mmi: intensity at which damage to built-up blocks becomes likely.
        liquefaction_mmi: intensity at which saturated flat ground can liquefy.
        mmi_width: softness of the thresholds (logistic scale, intensity units).
        landslide_cover, building_cover, liquefaction_cover: share of the susceptible ground
            that fails when shaking is well above the threshold (before overlaps); the
            epicentral areas of strong shallow events reach such shares (see docs/simulator.md).
    """

    gain: float = 2.0
    landslide_mmi: float = 6.0
    building_mmi: float = 6.0
    liquefaction_mmi: float = 6.0
    mmi_width: float = 0.5
    landslide_cover: float = 0.7
    building_cover: float = 0.8
    liquefaction_cover: float = 0.7
    max_objects: int = 6000


#: Mean area (pixels) of one object of each kind, from the shape draws below; converts an
#: areal cover into a seed rate per pixel.
MEAN_OBJECT_AREA_PX = {"landslide": 84.0, "building": 90.0, "liquefaction": 292.0}


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _seeds(rng: np.random.Generator, rate: np.ndarray, limit: int) -> np.ndarray:
    """Pixels (row, col) where objects start: a Bernoulli draw per pixel with ``rate``."""
    hits = np.argwhere(rng.random(rate.shape) < rate)
    if len(hits) > limit:
        hits = hits[rng.choice(len(hits), size=limit, replace=False)]
    return hits


def _stamp(mask: np.ndarray, change: np.ndarray, label: Damage, rows: np.ndarray, cols: np.ndarray,
           inside: np.ndarray, delta: np.ndarray) -> None:
    r, c = rows[inside], cols[inside]
    mask[r, c] = label
    change[r, c] = delta


def coseismic_change(
    rng: np.random.Generator,
    scene: Scene,
    epicenter_rc: tuple[float, float],
    depth_km: float,
    magnitude: float,
    config: CoseismicConfig = CoseismicConfig(),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw the co-seismic changes of one patch.

    Args:
        rng: random source.
        scene: the patch's static ground.
        epicenter_rc: epicenter in this patch's pixel coordinates (may lie outside it).
        depth_km: hypocentre depth.
        magnitude: event magnitude (mb).
        config: damage model knobs.

    Returns:
        ``(change_db, mask, mmi)``: ``H x W x 2`` dB change to add to the post image,
        ``H x W`` uint8 :class:`Damage` mask, and the ``H x W`` intensity map.
    """
    size = scene.land_cover.shape[0]
    rows, cols = np.mgrid[0:size, 0:size]
    epicentral_km = np.hypot(rows - epicenter_rc[0], cols - epicenter_rc[1]) * PIXEL_SPACING_M / 1000.0
    mmi = intensity_mmi(magnitude, np.hypot(epicentral_km, depth_km))
    cover = scene.land_cover
    change = np.zeros((size, size, 2))
    mask = np.zeros((size, size), dtype=np.uint8)

    def rate(threshold: float, cover: float, kind: str, susceptibility: np.ndarray) -> np.ndarray:
        share = config.gain * cover * susceptibility * _logistic((mmi - threshold) / config.mmi_width)
        return share / MEAN_OBJECT_AREA_PX[kind]

    # Landslides: steep, unbuilt, dry ground; elongated down the slope.
    slope_susceptibility = np.clip((scene.slope - 5.0) / 20.0, 0.0, 1.0)
    slope_susceptibility[np.isin(cover, (LandCover.WATER, LandCover.URBAN))] = 0.0
    for r0, c0 in _seeds(rng, rate(config.landslide_mmi, config.landslide_cover, "landslide", slope_susceptibility), config.max_objects):
        length = float(np.clip(rng.lognormal(np.log(14.0), 0.6), 4, 80))
        width = max(2.0, length / rng.uniform(2.5, 5.0))
        d_row, d_col = scene.downslope[:, r0, c0]
        half = int(length) + 2
        rr, cc = np.mgrid[max(0, r0 - half) : min(size, r0 + half + 1), max(0, c0 - half) : min(size, c0 + half + 1)]
        along = (rr - r0) * d_row + (cc - c0) * d_col - length / 2
        across = -(rr - r0) * d_col + (cc - c0) * d_row
        inside = (along / (length / 2)) ** 2 + (across / (width / 2)) ** 2 <= 1.0
        strength = 0.5 + 0.5 * _logistic((mmi[r0, c0] - config.landslide_mmi) / config.mmi_width)
        delta = strength * np.array([rng.uniform(-2.0, 3.0), -rng.uniform(2.0, 6.0)])
        _stamp(mask, change, Damage.LANDSLIDE, rr, cc, inside, delta)

    # Building damage: collapsed blocks lose their double-bounce return.
    urban = (cover == LandCover.URBAN).astype(float)
    for r0, c0 in _seeds(rng, rate(config.building_mmi, config.building_cover, "building", urban), config.max_objects):
        half = int(rng.integers(2, 7))
        rr, cc = np.mgrid[max(0, r0 - half) : min(size, r0 + half + 1), max(0, c0 - half) : min(size, c0 + half + 1)]
        inside = cover[rr, cc] == LandCover.URBAN
        strength = 0.5 + 0.5 * _logistic((mmi[r0, c0] - config.building_mmi) / config.mmi_width)
        delta = strength * -np.array([rng.uniform(3.0, 8.0), rng.uniform(1.0, 4.0)])
        _stamp(mask, change, Damage.BUILDING, rr, cc, inside, delta)

    # Liquefaction: flat, low ground within ~300 m of water; sand ejecta and ponding darken it.
    water = cover == LandCover.WATER
    if water.any():
        near_water = ndimage.distance_transform_edt(~water) * PIXEL_SPACING_M < 300.0
        prone = (near_water & ~water & (scene.slope < 3.0) & (cover != LandCover.URBAN)).astype(float)
        for r0, c0 in _seeds(rng, rate(config.liquefaction_mmi, config.liquefaction_cover, "liquefaction", prone), config.max_objects):
            radius = float(rng.uniform(3.0, 15.0))
            half = int(radius) + 1
            rr, cc = np.mgrid[max(0, r0 - half) : min(size, r0 + half + 1), max(0, c0 - half) : min(size, c0 + half + 1)]
            inside = np.hypot(rr - r0, cc - c0) <= radius
            strength = 0.5 + 0.5 * _logistic((mmi[r0, c0] - config.liquefaction_mmi) / config.mmi_width)
            delta = strength * -np.array([rng.uniform(3.0, 6.0), rng.uniform(2.0, 5.0)])
            _stamp(mask, change, Damage.LIQUEFACTION, rr, cc, inside, delta)
    return change, mask, mmi
