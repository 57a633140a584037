"""Ground motion that is not an earthquake but shows in an interferogram like one.

Each function returns the east, north and up displacement (float64 metres) of a
``size x size`` grid of ``pixel_m`` spacing over a pair's time gap, as a
``size x size x 3`` array (row 0 northmost, columns growing eastward, as in
:mod:`quakesat.simulator.sar_scene`); callers project it on the line of sight. Sources:

- aquifer-compaction subsidence: rates from InSAR surveys of pumped basins — over 30 cm/yr
  in Mexico City and 5–10 cm/yr in twenty other areas of central Mexico (Chaussard et al.
  2014, Remote Sens. Environ. 140), Sentinel-1 peaks of 38.7–39.1 cm/yr in Mexico City with
  east–west motion up to ±5 cm/yr inside the bowls (Cigna & Tapete 2021, Remote Sens.
  Environ. 253, 112161), over 10 cm/yr across tens of km in six Iranian basins (Motagh et
  al. 2008, GRL 35, L16403);
- slow landslides: the velocity classes of Cruden & Varnes (1996, in *Landslides:
  Investigation and Mitigation*, TRB Special Report 247) — "very slow" is 16 mm/yr to
  1.6 m/yr, the range repeat-pass InSAR follows without losing coherence;
- seasonal motion: the annual vertical motion of hydrological loading, RMS up to 8 mm and
  ranges up to 30 mm at GPS sites (van Dam et al. 2001, GRL 28(4)).

Shapes, sizes and how often a patch holds each kind are modelling choices, marked where set.
docs/simulator.md, "Interferometric pairs", lists the constants with their sources.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from quakesat.simulator.sar_scene import smooth_noise

#: Days per (Julian) year, to turn yearly rates into a pair's gap.
DAYS_PER_YEAR = 365.25

# ─── subsidence ─────────────────────────────────────────────────────────────────────────
#: Peak subsidence rate (m/yr), drawn log-uniform: a modelling choice spanning the slow
#: patchy subsidence of Chaussard et al. (2014) to the Mexico City peaks (Chaussard et al.
#: 2014: > 30 cm/yr; Cigna & Tapete 2021: 38.7–39.1 cm/yr).
SUBSIDENCE_RATE_M_PER_YR = (0.01, 0.40)
#: Radius of the bowl, the standard deviation of its Gaussian (m), drawn log-uniform: a
#: modelling choice between the local-scale bowls of Chaussard et al. (2014) and basins tens
#: of km across (Motagh et al. 2008).
SUBSIDENCE_RADIUS_M = (1e3, 8e3)
#: Peak horizontal motion (towards the centre) over peak subsidence: about 5 / 39 (Cigna &
#: Tapete 2021: east–west up to ±5 cm/yr in bowls sinking up to ~39 cm/yr).
SUBSIDENCE_HORIZONTAL_FRACTION = 0.13
#: The bowl's centre is drawn uniformly this many patch sides beyond each edge, so that a
#: patch can lie on a bowl's flank: a modelling choice.
SUBSIDENCE_CENTRE_MARGIN = 0.5

# ─── slow landslides ────────────────────────────────────────────────────────────────────
#: Downslope velocity (m/yr), drawn log-uniform over the "very slow" class of Cruden &
#: Varnes (1996): 16 mm/yr to 1.6 m/yr.
LANDSLIDE_VELOCITY_M_PER_YR = (0.016, 1.6)
#: Length of the lobe along its motion (m), drawn log-uniform, and its width over its length:
#: modelling choices (hundreds of metres to ~2 km, longer than wide).
LANDSLIDE_LENGTH_M = (200.0, 2000.0)
LANDSLIDE_ASPECT = (0.3, 0.7)
#: Slope of the slip surface (degrees), drawn uniform: the body moves parallel to it, so
#: mostly horizontally with a smaller downward part. A modelling choice.
LANDSLIDE_SLOPE_DEG = (10.0, 30.0)
#: Outer share of the lobe's (elliptical) radius over which the motion tapers to zero: the
#: body moves nearly as a block, its margins shear. A modelling choice.
LANDSLIDE_TAPER = 0.3

# ─── seasonal motion ────────────────────────────────────────────────────────────────────
#: Amplitude of the annual vertical cycle (m), drawn uniform: a modelling choice within van
#: Dam et al. (2001): loading RMS up to 8 mm, i.e. an annual sinusoid of up to ~11 mm.
SEASONAL_AMPLITUDE_M = (0.001, 0.010)
#: Spread of the cycle's amplitude across a patch (aquifers and soils respond differently),
#: as a share of the amplitude, and the scale of that variation (m): modelling choices.
SEASONAL_PATTERN_SPREAD = 0.25
SEASONAL_PATTERN_SCALE_M = 3000.0

# ─── mixture ────────────────────────────────────────────────────────────────────────────
#: Probability that a patch holds each kind: modelling choices (subsidence and active slow
#: landslides cover small shares of land; some seasonal motion is common).
NONSEISMIC_PROBABILITY: dict[str, float] = {"subsidence": 0.10, "landslide": 0.10, "seasonal": 0.50}


def _offsets(size: int, pixel_m: float, centre_px: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """East and north distance (m) of each pixel from ``centre_px`` (row, col)."""
    rows = np.arange(size, dtype=np.float64)[:, None]
    cols = np.arange(size, dtype=np.float64)[None, :]
    east = np.broadcast_to((cols - centre_px[1]) * pixel_m, (size, size))
    north = np.broadcast_to(-(rows - centre_px[0]) * pixel_m, (size, size))
    return east, north


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(math.exp(rng.uniform(math.log(bounds[0]), math.log(bounds[1]))))


def subsidence_bowl(rng: np.random.Generator, size: int, pixel_m: float, gap_days: float,
                    rate_m_per_yr: float | None = None, radius_m: float | None = None,
                    centre_px: tuple[float, float] | None = None) -> np.ndarray:
    """Aquifer-compaction subsidence: a Gaussian bowl with motion towards its centre.

    Up is ``-rate · gap · g(r)`` with g(r) = exp(-r² / 2σ²) (a Gaussian shape: a modelling
    choice, smooth and with no source depth to invent). The horizontal motion points to the
    centre, shaped as the bowl's slope r/σ · g(r) · e^(1/2), so that it peaks at r = σ at
    :data:`SUBSIDENCE_HORIZONTAL_FRACTION` of the peak subsidence.

    Args:
        rng: random generator (draws what is not given).
        size: side of the square grid (pixels).
        pixel_m: pixel spacing (m).
        gap_days: time between the two acquisitions (days).
        rate_m_per_yr: peak subsidence rate (m/yr, positive down); drawn when None.
        radius_m: the Gaussian's standard deviation σ (m); drawn when None.
        centre_px: (row, col) of the bowl's centre; drawn when None (possibly off the patch).

    Returns:
        ``size x size x 3`` float64 east, north, up displacement (m).
    """
    rate = _log_uniform(rng, SUBSIDENCE_RATE_M_PER_YR) if rate_m_per_yr is None else rate_m_per_yr
    sigma = _log_uniform(rng, SUBSIDENCE_RADIUS_M) if radius_m is None else radius_m
    if centre_px is None:
        margin = SUBSIDENCE_CENTRE_MARGIN * size
        centre_px = (rng.uniform(-margin, size + margin), rng.uniform(-margin, size + margin))
    peak = rate * gap_days / DAYS_PER_YEAR
    east, north = _offsets(size, pixel_m, centre_px)
    bowl = np.exp(-(east**2 + north**2) / (2.0 * sigma**2))
    # Horizontal magnitude H r/σ g e^(1/2) times the unit vector -(east, north)/r: r cancels.
    pull = SUBSIDENCE_HORIZONTAL_FRACTION * peak * math.exp(0.5) * bowl / sigma
    return np.stack([-pull * east, -pull * north, -peak * bowl], axis=-1)


def slow_landslide(rng: np.random.Generator, size: int, pixel_m: float, gap_days: float,
                   velocity_m_per_yr: float | None = None, length_m: float | None = None,
                   width_m: float | None = None, azimuth_deg: float | None = None,
                   slope_deg: float | None = None, centre_px: tuple[float, float] | None = None) -> np.ndarray:
    """A slow landslide: an elliptical lobe moving downslope, zero outside it.

    The lobe's long axis lies along its motion. Inside, the body moves at ``velocity``
    parallel to a slip surface of ``slope_deg`` (horizontal cos β, down sin β of it), tapering
    to zero over the outer :data:`LANDSLIDE_TAPER` of its elliptical radius.

    Args:
        rng: random generator (draws what is not given).
        size: side of the square grid (pixels).
        pixel_m: pixel spacing (m).
        gap_days: time between the two acquisitions (days).
        velocity_m_per_yr: speed along the slip surface (m/yr); drawn when None.
        length_m: length of the lobe along its motion (m); drawn when None.
        width_m: width across it (m); drawn from :data:`LANDSLIDE_ASPECT` when None.
        azimuth_deg: direction of motion (downslope), clockwise from north; uniform when None.
        slope_deg: slope of the slip surface (degrees); drawn when None.
        centre_px: (row, col) of the lobe's centre; uniform over the patch when None.

    Returns:
        ``size x size x 3`` float64 east, north, up displacement (m).
    """
    velocity = _log_uniform(rng, LANDSLIDE_VELOCITY_M_PER_YR) if velocity_m_per_yr is None else velocity_m_per_yr
    length = _log_uniform(rng, LANDSLIDE_LENGTH_M) if length_m is None else length_m
    width = length * rng.uniform(*LANDSLIDE_ASPECT) if width_m is None else width_m
    azimuth = math.radians(rng.uniform(0.0, 360.0) if azimuth_deg is None else azimuth_deg)
    slope = math.radians(rng.uniform(*LANDSLIDE_SLOPE_DEG) if slope_deg is None else slope_deg)
    if centre_px is None:
        centre_px = (rng.uniform(0.0, size - 1), rng.uniform(0.0, size - 1))
    east, north = _offsets(size, pixel_m, centre_px)
    along = east * math.sin(azimuth) + north * math.cos(azimuth)
    across = east * math.cos(azimuth) - north * math.sin(azimuth)
    radius = np.hypot(along / (length / 2.0), across / (width / 2.0))
    # 1 in the body, a raised-cosine fall over the margin, exactly 0 from radius 1 outwards.
    margin = np.clip((radius - (1.0 - LANDSLIDE_TAPER)) / LANDSLIDE_TAPER, 0.0, 1.0)
    weight = 0.5 * (1.0 + np.cos(np.pi * margin))
    travel = velocity * gap_days / DAYS_PER_YEAR * weight
    horizontal = travel * math.cos(slope)
    return np.stack([horizontal * math.sin(azimuth), horizontal * math.cos(azimuth), -travel * math.sin(slope)],
                    axis=-1)


def seasonal_motion(rng: np.random.Generator, size: int, pixel_m: float, gap_days: float, day_of_year: float,
                    amplitude_m: float | None = None, peak_day: float | None = None) -> np.ndarray:
    """Seasonal vertical motion between two dates: an annual cycle, smooth across the patch.

    Up at time t is ``A · p(x) · cos(2π (t - peak_day) / year)``; the pair sees its change from
    ``day_of_year - gap_days`` to ``day_of_year``, so its size is at most
    ``2 A |sin(π gap / year)|``. The pattern p lies in [0, 1]: 1 - s + s · (unit smooth noise
    of :data:`SEASONAL_PATTERN_SCALE_M`), clipped, s = :data:`SEASONAL_PATTERN_SPREAD`. No
    horizontal part (a modelling choice): seasonal loading moves the ground two to three
    times more vertically than horizontally (Zou et al. 2015, Sensors 15(12), southern Tibet).

    Args:
        rng: random generator (draws what is not given).
        size: side of the square grid (pixels).
        pixel_m: pixel spacing (m).
        gap_days: time between the two acquisitions (days).
        day_of_year: day of the year of the second (later) acquisition.
        amplitude_m: amplitude A of the annual cycle (m); drawn when None.
        peak_day: day of the year of the highest ground; uniform when None (it depends on the
            climate and on whether loading or aquifer swelling dominates).

    Returns:
        ``size x size x 3`` float64 east, north, up displacement (m).
    """
    amplitude = rng.uniform(*SEASONAL_AMPLITUDE_M) if amplitude_m is None else amplitude_m
    peak = rng.uniform(0.0, DAYS_PER_YEAR) if peak_day is None else peak_day
    noise = smooth_noise(rng, size, SEASONAL_PATTERN_SCALE_M / pixel_m)
    pattern = np.clip(1.0 - SEASONAL_PATTERN_SPREAD + SEASONAL_PATTERN_SPREAD * noise, 0.0, 1.0)
    phase_first = 2.0 * math.pi * (day_of_year - gap_days - peak) / DAYS_PER_YEAR
    phase_second = 2.0 * math.pi * (day_of_year - peak) / DAYS_PER_YEAR
    up = amplitude * (math.cos(phase_second) - math.cos(phase_first)) * pattern
    result = np.zeros((size, size, 3))
    result[..., 2] = up
    return result


def draw_nonseismic(rng: np.random.Generator, size: int, pixel_m: float, gap_days: float, day_of_year: float,
                    probabilities: Mapping[str, float] | None = None) -> tuple[np.ndarray, list[str]]:
    """The non-seismic motion of one patch over one pair: the sum of the kinds it holds.

    Each kind is present independently with its probability (:data:`NONSEISMIC_PROBABILITY`,
    a modelling choice) and then drawn with its own defaults.

    Args:
        rng: random generator.
        size: side of the square grid (pixels).
        pixel_m: pixel spacing (m).
        gap_days: time between the two acquisitions (days).
        day_of_year: day of the year of the second (later) acquisition.
        probabilities: per-kind probabilities replacing the defaults (missing kinds keep theirs).

    Returns:
        ``size x size x 3`` float64 east, north, up displacement (m), and the names of the
        kinds present ("subsidence", "landslide", "seasonal"), in that order.
    """
    chances = dict(NONSEISMIC_PROBABILITY)
    if probabilities is not None:
        unknown = set(probabilities) - set(chances)
        if unknown:
            raise ValueError(f"unknown non-seismic kinds: {sorted(unknown)}")
        chances.update(probabilities)
    # Presence is drawn for all kinds first, so one kind's draws never decide another's presence.
    present = [name for name, chance in chances.items() if rng.random() < chance]
    total = np.zeros((size, size, 3))
    for name in present:
        if name == "subsidence":
            total += subsidence_bowl(rng, size, pixel_m, gap_days)
        elif name == "landslide":
            total += slow_landslide(rng, size, pixel_m, gap_days)
        else:
            total += seasonal_motion(rng, size, pixel_m, gap_days, day_of_year)
    return total, present
