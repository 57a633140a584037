"""Ground shaking of a simulated earthquake: magnitude conversion, rupture size, intensity, PGA and PGV.

Every relation is a published one (docs/simulator.md, "Shaking", lists them with what they
are based on):

- mb → Mw: Scordilis (2006), the global orthogonal regression for 3.5 ≤ mb ≤ 6.2;
- rupture length and width from Mw: Wells & Coppersmith (1994), all slip types;
- macroseismic intensity from Mw and the distance to the rupture: the intensity prediction
  equation of Allen, Wald & Worden (2012) for active crustal regions (rupture distance form),
  with its published total standard deviation split into a between-event term and a
  spatially correlated within-event field;
- PGA and PGV from intensity: the inverse of the ground-motion/intensity conversion of
  Worden et al. (2012);
- Vs30 from topographic slope: the active-tectonic table of Allen & Wald (2009), the update
  of Wald & Allen (2007).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

# ─── magnitudes and rupture size ────────────────────────────────────────────────────────
#: Scordilis (2006, J. Seismology 10:225–236): Mw = 0.85 mb + 1.03 for 3.5 <= mb <= 6.2.
#: Above 6.2 mb saturates; the line is extrapolated (docs/simulator.md says so).
MB_TO_MW = (0.85, 1.03)
#: Wells & Coppersmith (1994, BSSA 84(4)), Table 2A, all slip types:
#: log10(subsurface rupture length, km) = -2.44 + 0.59 Mw; log10(down-dip width, km) = -1.01 + 0.32 Mw.
RUPTURE_LENGTH = (-2.44, 0.59)
RUPTURE_WIDTH = (-1.01, 0.32)


def mw_from_mb(mb: float) -> float:
    """Moment magnitude from body-wave magnitude (Scordilis 2006)."""
    return MB_TO_MW[0] * mb + MB_TO_MW[1]


def rupture_length_km(mw: float) -> float:
    """Subsurface rupture length (km) of a Mw event (Wells & Coppersmith 1994)."""
    return 10.0 ** (RUPTURE_LENGTH[0] + RUPTURE_LENGTH[1] * mw)


def rupture_width_km(mw: float) -> float:
    """Down-dip rupture width (km) of a Mw event (Wells & Coppersmith 1994)."""
    return 10.0 ** (RUPTURE_WIDTH[0] + RUPTURE_WIDTH[1] * mw)


@dataclass(frozen=True)
class Rupture:
    """A rectangular fault plane centred on the hypocentre.

    Coordinates are metres north and east of the true epicentre, depth positive down (km).

    Attributes:
        mw: moment magnitude.
        depth_km: hypocentre depth.
        length_km, width_km: along strike and down dip (the width is cut where the plane
            would rise above the surface: the top edge stays at or below 0 km).
        strike_deg: azimuth of the strike, clockwise from north.
        dip_deg: dip of the plane, 90 is vertical.
    """

    mw: float
    depth_km: float
    length_km: float
    width_km: float
    strike_deg: float
    dip_deg: float

    @classmethod
    def from_magnitude(cls, mw: float, depth_km: float, strike_deg: float, dip_deg: float) -> Rupture:
        """The rupture of a Mw event at ``depth_km`` with Wells & Coppersmith's dimensions;
        the plane is centred on the hypocentre and clipped at the surface."""
        width = rupture_width_km(mw)
        vertical_half = 0.5 * width * math.sin(math.radians(dip_deg))
        if vertical_half > depth_km:  # the up-dip half would leave the ground: clip it
            width = 0.5 * width + depth_km / math.sin(math.radians(dip_deg))
        return cls(mw, depth_km, rupture_length_km(mw), width, strike_deg, dip_deg)

    def distance_km(self, north_m: np.ndarray, east_m: np.ndarray) -> np.ndarray:
        """Closest distance (km) from surface points to the rupture plane (R_rup).

        Args:
            north_m, east_m: surface points, metres from the true epicentre (same shape).

        Returns:
            Rupture distance in km, the shape of the inputs.
        """
        strike, dip = math.radians(self.strike_deg), math.radians(self.dip_deg)
        along = np.array([math.cos(strike), math.sin(strike), 0.0])  # (north, east, down)
        # Down-dip direction: horizontal part perpendicular to strike (to the right of it), then down.
        downdip = np.array([-math.sin(strike) * math.cos(dip), math.cos(strike) * math.cos(dip), math.sin(dip)])
        full_width = rupture_width_km(self.mw)
        # The hypocentre sits at the middle of the unclipped plane; a clipped plane lost its up-dip part.
        up_extent = min(0.5 * full_width, self.depth_km / max(math.sin(dip), 1e-9))
        down_extent = self.width_km - up_extent
        rel = np.stack([np.asarray(north_m, float) / 1000.0, np.asarray(east_m, float) / 1000.0,
                        np.full(np.shape(north_m), -self.depth_km)], axis=-1)
        u = np.clip(rel @ along, -0.5 * self.length_km, 0.5 * self.length_km)
        v = np.clip(rel @ downdip, -up_extent, down_extent)
        nearest = u[..., None] * along + v[..., None] * downdip
        return np.linalg.norm(rel - nearest, axis=-1)


# ─── intensity ──────────────────────────────────────────────────────────────────────────
#: Allen, Wald & Worden (2012, J. Seismology 16:409–433), active crustal regions, rupture
#: distance: MMI = c0 + c1 Mw + c2 ln(sqrt(Rrup² + (1 + c3 exp(Mw - 5))²)); total sigma
#: s1 + s2 / (1 + (Rrup / s3)²).
AWW12 = {"c0": 3.950, "c1": 0.913, "c2": -1.107, "c3": 0.813, "s1": 0.72, "s2": 0.23, "s3": 44.7}
#: Share of the IPE's variance given to the between-event term (the rest is the within-event
#: field). A modelling choice: the paper reports a total sigma only.
BETWEEN_EVENT_VARIANCE_SHARE = 0.3
#: Correlation length (km) of the within-event intensity residual: modelling choice, of the
#: order of the ~10 km correlation ranges of ground-motion residuals (e.g. Jayaram & Baker 2009).
WITHIN_EVENT_CORRELATION_KM = 10.0


def mmi_allen2012(mw: float, rupture_km: np.ndarray) -> np.ndarray:
    """Median modified Mercalli intensity (Allen, Wald & Worden 2012, R_rup form)."""
    c = AWW12
    near = (1.0 + c["c3"] * math.exp(mw - 5.0)) ** 2
    return c["c0"] + c["c1"] * mw + c["c2"] * np.log(np.sqrt(np.asarray(rupture_km) ** 2 + near))


def mmi_sigma_allen2012(rupture_km: np.ndarray | float) -> np.ndarray:
    """Total standard deviation (intensity units) of :func:`mmi_allen2012` at ``rupture_km``."""
    c = AWW12
    return c["s1"] + c["s2"] / (1.0 + (np.asarray(rupture_km) / c["s3"]) ** 2)


# ─── ground motion from intensity ───────────────────────────────────────────────────────
#: Worden et al. (2012, BSSA 102(1)) GMICE, bilinear in log10 of the motion:
#: MMI = c1 + c2 log10(Y) below the break t2 (intensity units), c3 + c4 log10(Y) above.
#: PGA in cm/s², PGV in cm/s.
WORDEN2012 = {
    "pga": {"c1": 1.78, "c2": 1.55, "c3": -1.60, "c4": 3.70, "t2": 4.22},
    "pgv": {"c1": 3.78, "c2": 1.47, "c3": 2.89, "c4": 3.16, "t2": 4.56},
}
GRAVITY_CM_S2 = 981.0


def _motion_from_mmi(mmi: np.ndarray, kind: str) -> np.ndarray:
    c = WORDEN2012[kind]
    mmi = np.asarray(mmi, dtype=float)
    low = (mmi - c["c1"]) / c["c2"]
    high = (mmi - c["c3"]) / c["c4"]
    return 10.0 ** np.where(mmi < c["t2"], low, high)


def pga_g_from_mmi(mmi: np.ndarray) -> np.ndarray:
    """Peak ground acceleration (g) from intensity (inverse Worden et al. 2012)."""
    return _motion_from_mmi(mmi, "pga") / GRAVITY_CM_S2


def pgv_cm_s_from_mmi(mmi: np.ndarray) -> np.ndarray:
    """Peak ground velocity (cm/s) from intensity (inverse Worden et al. 2012)."""
    return _motion_from_mmi(mmi, "pgv")


# ─── site conditions ────────────────────────────────────────────────────────────────────
#: Allen & Wald (2009, BSSA 99(2A)), active tectonic regions: (Vs30 low, Vs30 high, slope low,
#: slope high), slope in m/m at 30 arc-seconds, interpolated log-log within a row.
VS30_SLOPE_TABLE = (
    (180.0, 240.0, 3.0e-4, 3.5e-3),
    (240.0, 300.0, 3.5e-3, 0.010),
    (300.0, 360.0, 0.010, 0.018),
    (360.0, 490.0, 0.018, 0.050),
    (490.0, 620.0, 0.050, 0.100),
    (620.0, 760.0, 0.100, 0.140),
)
VS30_RANGE = (180.0, 900.0)


def vs30_from_slope(slope_m_per_m: np.ndarray) -> np.ndarray:
    """Vs30 (m/s) from topographic slope (Allen & Wald 2009, active tectonic), clipped to 180–900."""
    slope = np.maximum(np.asarray(slope_m_per_m, dtype=float), 1e-6)
    log_slope = np.log(slope)
    result = np.empty_like(log_slope)
    edges = [math.log(row[3]) for row in VS30_SLOPE_TABLE]
    row_index = np.minimum(np.searchsorted(edges, log_slope), len(VS30_SLOPE_TABLE) - 1)
    for index, (v_low, v_high, s_low, s_high) in enumerate(VS30_SLOPE_TABLE):
        here = row_index == index
        fraction = (log_slope[here] - math.log(s_low)) / (math.log(s_high) - math.log(s_low))
        result[here] = np.exp(math.log(v_low) + fraction * (math.log(v_high) - math.log(v_low)))
    return np.clip(result, *VS30_RANGE)


# ─── one event's shaking over its patches ───────────────────────────────────────────────
#: Random Fourier modes of the within-event residual field (a stationary Gaussian field with
#: a Gaussian covariance of length WITHIN_EVENT_CORRELATION_KM).
RESIDUAL_MODES = 64
#: The residual field is evaluated on this many points per patch side and interpolated
#: (its correlation length is twice a patch's width).
RESIDUAL_GRID = 16


@dataclass(frozen=True)
class ShakingResiduals:
    """An event's draws around the median intensity: one between-event number (in standard
    deviations) and the within-event field's random Fourier modes (km⁻¹ and radians)."""

    between: float
    frequencies: np.ndarray  # (RESIDUAL_MODES, 2): (north, east) angular frequency, 1/km
    phases: np.ndarray  # (RESIDUAL_MODES,)

    @classmethod
    def draw(cls, rng: np.random.Generator) -> ShakingResiduals:
        """Residuals of one event."""
        frequencies = rng.normal(0.0, 1.0 / WITHIN_EVENT_CORRELATION_KM, size=(RESIDUAL_MODES, 2))
        return cls(float(rng.standard_normal()), frequencies, rng.uniform(0.0, 2.0 * math.pi, RESIDUAL_MODES))

    def within(self, north_km: np.ndarray, east_km: np.ndarray) -> np.ndarray:
        """The unit-variance within-event field at the given points."""
        points = np.stack([north_km, east_km], axis=-1)
        return math.sqrt(2.0 / RESIDUAL_MODES) * np.cos(points @ self.frequencies.T + self.phases).sum(axis=-1)


@dataclass(frozen=True)
class PatchShaking:
    """Shaking over one patch (every map ``H x W``).

    Attributes:
        rupture_km: distance to the rupture plane.
        mmi: modified Mercalli intensity (median + residuals).
        pga_g, pgv_cm_s: peak ground acceleration and velocity.
    """

    rupture_km: np.ndarray
    mmi: np.ndarray
    pga_g: np.ndarray
    pgv_cm_s: np.ndarray


def patch_shaking(rupture: Rupture, residuals: ShakingResiduals, north_m: np.ndarray, east_m: np.ndarray,
                  residual_north_m: np.ndarray, residual_east_m: np.ndarray) -> PatchShaking:
    """Shaking of one patch from its pixels' positions relative to the true epicentre.

    Args:
        rupture: the event's fault plane.
        residuals: the event's intensity residuals.
        north_m, east_m: every pixel's position (``H x W``), metres from the true epicentre.
        residual_north_m, residual_east_m: the coarse grid (``RESIDUAL_GRID`` per side) on which
            the within-event field is evaluated, same frame.
    """
    distance = rupture.distance_km(north_m, east_m)
    sigma = mmi_sigma_allen2012(distance)
    coarse = residuals.within(residual_north_m / 1000.0, residual_east_m / 1000.0)
    within = ndimage.zoom(coarse, north_m.shape[0] / coarse.shape[0], order=1, mode="nearest", grid_mode=True)
    within = within[: north_m.shape[0], : north_m.shape[1]]
    share = BETWEEN_EVENT_VARIANCE_SHARE
    mmi = mmi_allen2012(rupture.mw, distance) + sigma * (
        math.sqrt(share) * residuals.between + math.sqrt(1.0 - share) * within)
    mmi = np.clip(mmi, 1.0, 10.0)
    return PatchShaking(distance, mmi, pga_g_from_mmi(mmi), pgv_cm_s_from_mmi(mmi))
