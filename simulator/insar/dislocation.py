"""Co-seismic surface displacement of a simulated earthquake: a uniform-slip rectangular fault in
an elastic half-space. The seismic moment of a magnitude is Hanks & Kanamori's (1979, JGR 84(B5),
in the IASPEI form M0 = 10^(1.5 Mw + 9.1) N·m), the mean slip follows from M0 = mu L W s (Aki &
Richards 2002, "Quantitative Seismology", eq. 3.48 with uniform slip), and the displacement of
the free surface is the analytic, artefact-free triangular dislocation of Nikkhoo & Walter (2015,
GJI 201:1117-1139) as the package ``cutde`` evaluates it, on the rectangle split into two
triangles. Fault angles follow Aki & Richards: strike clockwise from north, the plane dips to
the right of the strike direction, the rake is the direction of the hanging wall's slip relative
to the footwall, measured in the plane from the strike direction (0 left-lateral, 90 reverse,
-90 normal, 180 right-lateral). Coordinates are metres east, north and up (ENU) of a grid
origin; the half-space is z <= 0. docs/simulator.md, "Interferometric pairs", cites the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quakesat.simulator.shaking import Rupture, rupture_width_km

# ─── elastic medium and moment ──────────────────────────────────────────────────────────
#: Crustal rigidity (Pa): the customary 30 GPa of upper-crust moment/slip conversions (e.g.
#: Hanks & Kanamori 1979; Wells & Coppersmith 1994 use 3e11 dyn/cm²).
SHEAR_MODULUS_PA = 30e9
#: Poisson's ratio of a Poisson solid (lambda = mu), the standard half-space choice of Okada
#: (1985, BSSA 75(4)) and most InSAR source models.
POISSON_RATIO = 0.25
#: Hanks & Kanamori (1979) in the IASPEI (2013) standard form: log10 M0[N·m] = 1.5 Mw + 9.1.
MOMENT_SLOPE, MOMENT_INTERCEPT = 1.5, 9.1

# ─── numerics ───────────────────────────────────────────────────────────────────────────
#: Tolerance (km) on a top edge above the surface: rounding of a plane clipped exactly at 0 km
#: (shaking.Rupture) leaves ~1e-15 km; anything past 1 mm is a real error. Modelling choice.
SURFACE_TOLERANCE_KM = 1e-6
#: Observation points per cutde call: bounds its working arrays (a few hundred bytes a point)
#: to tens of MB however large the grid. Modelling choice.
CHUNK_POINTS = 1 << 18
#: Half the gap (m) across which a point lying exactly on a surface trace is evaluated, both
#: walls at this distance on either side of the trace, then averaged. 1 mm is far below any
#: pixel yet far above float64 rounding of 100 km coordinates. Modelling choice.
TRACE_OFFSET_M = 1e-3

# ─── mechanisms ─────────────────────────────────────────────────────────────────────────
#: Share of each faulting style among the simulated shallow crustal earthquakes. Modelling
#: choice (no catalogue count is reproduced here): strike-slip and reverse faulting carry most
#: shallow continental seismicity, normal faulting, confined to extensional provinces, the
#: least; the split is round on purpose and documented in docs/simulator.md.
MECHANISM_SHARES = {"strike-slip": 0.40, "reverse": 0.35, "normal": 0.25}
#: Nominal rake (degrees) of each style, Aki & Richards convention. "strike-slip" names the
#: left-lateral sense; draw_rake picks either sense with equal probability.
MECHANISM_RAKE_DEG = {
    "left-lateral": 0.0,
    "strike-slip": 0.0,
    "right-lateral": 180.0,
    "reverse": 90.0,
    "thrust": 90.0,
    "normal": -90.0,
}
#: Scatter (degrees, uniform +/-) of a drawn rake around its style's nominal value: keeps
#: events oblique by up to 15°, inside the +/-22.5°-wide bins by which rakes are usually
#: classed as pure styles. Modelling choice.
RAKE_SCATTER_DEG = 15.0


def seismic_moment_nm(mw: float) -> float:
    """Scalar seismic moment of a moment magnitude (Hanks & Kanamori 1979, IASPEI form).

    Args:
        mw: moment magnitude.

    Returns:
        M0 in N·m, 10**(1.5 Mw + 9.1).
    """
    return 10.0 ** (MOMENT_SLOPE * mw + MOMENT_INTERCEPT)


def slip_m(mw: float, length_km: float, width_km: float, shear_modulus_pa: float = SHEAR_MODULUS_PA) -> float:
    """Mean slip (m) that releases the moment of ``mw`` on an L x W plane: M0 / (mu L W).

    Args:
        mw: moment magnitude.
        length_km, width_km: fault length along strike and width down dip.
        shear_modulus_pa: rigidity mu.

    Returns:
        Slip in metres.
    """
    if length_km <= 0.0 or width_km <= 0.0 or shear_modulus_pa <= 0.0:
        raise ValueError(f"fault size and rigidity must be positive (L={length_km} km, W={width_km} km, "
                         f"mu={shear_modulus_pa} Pa)")
    return seismic_moment_nm(mw) / (shear_modulus_pa * length_km * 1e3 * width_km * 1e3)


def _strike_unit(strike_deg: float) -> np.ndarray:
    """Horizontal unit vector (E, N, U) along the strike."""
    s = math.radians(strike_deg)
    return np.array([math.sin(s), math.cos(s), 0.0])


def _right_unit(strike_deg: float) -> np.ndarray:
    """Horizontal unit vector (E, N, U) to the right of the strike: the side the plane dips to."""
    s = math.radians(strike_deg)
    return np.array([math.cos(s), -math.sin(s), 0.0])


@dataclass(frozen=True)
class FaultSource:
    """A rectangular fault with uniform slip, placed on a local ENU grid.

    Attributes:
        east_m, north_m: surface projection of the fault centroid, metres from the grid origin.
        depth_km: centroid depth, positive down.
        length_km: along strike.
        width_km: down dip.
        strike_deg: clockwise from north.
        dip_deg: in (0, 90]; the plane dips to the right of the strike direction.
        rake_deg: slip direction of the hanging wall relative to the footwall, in the plane,
            from the strike direction (Aki & Richards): 0 left-lateral, 90 reverse, -90 normal,
            180 right-lateral.
        slip_m: slip magnitude (metres).
    """

    east_m: float
    north_m: float
    depth_km: float
    length_km: float
    width_km: float
    strike_deg: float
    dip_deg: float
    rake_deg: float
    slip_m: float

    def __post_init__(self) -> None:
        values = (self.east_m, self.north_m, self.depth_km, self.length_km, self.width_km,
                  self.strike_deg, self.dip_deg, self.rake_deg, self.slip_m)
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"fault parameters must be finite: {self}")
        if self.length_km <= 0.0 or self.width_km <= 0.0:
            raise ValueError(f"fault length and width must be positive, got L={self.length_km} km, "
                             f"W={self.width_km} km")
        if not 0.0 < self.dip_deg <= 90.0:
            raise ValueError(f"dip must lie in (0, 90] degrees, got {self.dip_deg}")
        if self.top_depth_km < -SURFACE_TOLERANCE_KM:
            raise ValueError(f"the fault rises above the surface: top edge at {self.top_depth_km:.4f} km depth "
                             f"(centroid {self.depth_km} km, width {self.width_km} km, dip {self.dip_deg}°)")

    @classmethod
    def from_rupture(cls, rupture: Rupture, rake_deg: float, east_m: float = 0.0, north_m: float = 0.0) -> FaultSource:
        """The fault of a :class:`~quakesat.simulator.shaking.Rupture`, slip from its moment.

        A Rupture is centred on the hypocentre and, where it would leave the ground, clipped at
        the surface: its centroid then lies below and down-dip of the hypocentre. The plane is
        rebuilt exactly as ``Rupture.distance_km`` sees it (up-dip extent min(W_full/2,
        depth/sin dip), the rest down dip) and its centroid placed accordingly.

        Args:
            rupture: the fault plane (Mw, hypocentre depth, size, strike, dip).
            rake_deg: Aki & Richards rake.
            east_m, north_m: the epicentre (the Rupture's origin) on the grid, metres.

        Returns:
            The FaultSource with slip :func:`slip_m` of the rupture's Mw and size.
        """
        dip = math.radians(rupture.dip_deg)
        up_extent = min(0.5 * rupture_width_km(rupture.mw), rupture.depth_km / max(math.sin(dip), 1e-9))
        down_extent = rupture.width_km - up_extent
        shift_km = 0.5 * (down_extent - up_extent)  # centroid minus hypocentre, down dip
        horizontal = _right_unit(rupture.strike_deg) * shift_km * math.cos(dip) * 1e3
        return cls(
            east_m=east_m + float(horizontal[0]),
            north_m=north_m + float(horizontal[1]),
            depth_km=rupture.depth_km + shift_km * math.sin(dip),
            length_km=rupture.length_km,
            width_km=rupture.width_km,
            strike_deg=rupture.strike_deg,
            dip_deg=rupture.dip_deg,
            rake_deg=rake_deg,
            slip_m=slip_m(rupture.mw, rupture.length_km, rupture.width_km),
        )

    @property
    def top_depth_km(self) -> float:
        """Depth (km, positive down) of the up-dip edge."""
        return self.depth_km - 0.5 * self.width_km * math.sin(math.radians(self.dip_deg))

    @property
    def bottom_depth_km(self) -> float:
        """Depth (km, positive down) of the down-dip edge."""
        return self.depth_km + 0.5 * self.width_km * math.sin(math.radians(self.dip_deg))

    def hanging_wall_normal(self) -> np.ndarray:
        """Unit normal (E, N, U) of the plane pointing into the hanging wall (up and to the right
        of the strike; for a vertical fault, the right side by convention)."""
        dip = math.radians(self.dip_deg)
        return math.sin(dip) * _right_unit(self.strike_deg) + math.cos(dip) * np.array([0.0, 0.0, 1.0])

    def slip_vector_enu(self) -> np.ndarray:
        """Slip of the hanging wall relative to the footwall (E, N, U), metres."""
        dip, rake = math.radians(self.dip_deg), math.radians(self.rake_deg)
        along = _strike_unit(self.strike_deg)
        # Up dip: the opposite of the down-dip vector cos(dip)·right − sin(dip)·up.
        updip = -math.cos(dip) * _right_unit(self.strike_deg) + math.sin(dip) * np.array([0.0, 0.0, 1.0])
        return self.slip_m * (math.cos(rake) * along + math.sin(rake) * updip)

    def corners_enu(self) -> np.ndarray:
        """The four corners (E, N, U) in metres, z up and negative below ground.

        Returns:
            (4, 3): top edge start, top edge end (along strike), bottom edge end, bottom edge start.
        """
        dip = math.radians(self.dip_deg)
        along = _strike_unit(self.strike_deg) * 0.5 * self.length_km * 1e3
        downdip = (math.cos(dip) * _right_unit(self.strike_deg) - math.sin(dip) * np.array([0.0, 0.0, 1.0])) \
            * 0.5 * self.width_km * 1e3
        centre = np.array([self.east_m, self.north_m, -self.depth_km * 1e3])
        corners = np.stack([centre - along - downdip, centre + along - downdip,
                            centre + along + downdip, centre - along + downdip])
        # A top edge within the tolerance above ground is on the ground: the half-space
        # solution is only defined for sources at z <= 0.
        corners[:, 2] = np.minimum(corners[:, 2], 0.0)
        return corners

    def triangles_enu(self) -> np.ndarray:
        """The rectangle as two triangles (2, 3, 3), ordered for cutde.

        cutde builds each triangle's normal as (v1 - v0) x (v2 - v0) and its local frame
        (normal, strike = z x normal, dip = normal x strike); its slip is the displacement of
        the normal's side minus the other side (tests/simulator/insar/test_dislocation.py,
        test_cutde_jump_convention). The vertices are ordered so that the normal points into
        the hanging wall; the frame's strike axis is then this fault's strike and its dip axis
        points up dip, so (cos rake, sin rake, 0) * slip is the Aki & Richards slip.
        """
        a, b, c, d = self.corners_enu()
        return np.stack([np.stack([a, c, b]), np.stack([a, d, c])])


def surface_displacement(source: FaultSource, east_m: np.ndarray, north_m: np.ndarray,
                         poisson_ratio: float = POISSON_RATIO) -> np.ndarray:
    """East, north and up displacement of the free surface (z = 0) caused by ``source``.

    Points exactly on a surface trace (a fault whose top edge is at 0 km) lie on the
    displacement discontinuity, where cutde returns NaN. There the mean of the two walls,
    each evaluated TRACE_OFFSET_M to either side of the trace horizontally, is returned: the
    value a pixel centred on the trace averages to. Every other point is cutde's value.

    Args:
        source: the fault.
        east_m, north_m: surface points, metres from the grid origin (broadcast together).
        poisson_ratio: of the half-space.

    Returns:
        float64 array of shape ``broadcast(east_m, north_m).shape + (3,)``: (east, north, up) in metres.
    """
    import cutde.halfspace as hs  # heavy import (mako templates, compiled backend) kept local
    from threadpoolctl import threadpool_limits

    east, north = np.broadcast_arrays(np.asarray(east_m, dtype=np.float64), np.asarray(north_m, dtype=np.float64))
    shape = east.shape
    obs = np.zeros((east.size, 3), dtype=np.float64)
    obs[:, 0], obs[:, 1] = east.ravel(), north.ravel()
    tris = np.ascontiguousarray(source.triangles_enu(), dtype=np.float64)
    rake = math.radians(source.rake_deg)
    local = np.array([math.cos(rake), math.sin(rake), 0.0]) * source.slip_m
    slips = np.ascontiguousarray(np.repeat(local[None, :], 2, axis=0))

    def evaluate(points: np.ndarray) -> np.ndarray:
        out = np.empty_like(points)
        # cutde's CPU backend runs OpenMP; one thread, so that its thread pool is never started:
        # a process whose OpenMP pool runs cannot safely fork, and the simulator forks its workers.
        with threadpool_limits(limits=1, user_api="openmp"):
            for start in range(0, len(points), CHUNK_POINTS):
                chunk = np.ascontiguousarray(points[start:start + CHUNK_POINTS])
                out[start:start + CHUNK_POINTS] = hs.disp_free(chunk, tris, slips, poisson_ratio)
        return out

    disp = evaluate(obs)
    bad = ~np.all(np.isfinite(disp), axis=1)
    if bad.any():
        step = _right_unit(source.strike_deg) * TRACE_OFFSET_M
        walls = evaluate(np.concatenate([obs[bad] + step, obs[bad] - step]))
        n_bad = int(bad.sum())
        disp[bad] = 0.5 * (walls[:n_bad] + walls[n_bad:])
    return disp.reshape(shape + (3,))


def rake_for_mechanism(mechanism: str) -> float:
    """Nominal Aki & Richards rake (degrees) of a faulting style.

    Args:
        mechanism: "strike-slip" (left-lateral), "left-lateral", "right-lateral", "reverse"
            (or "thrust"), "normal".

    Returns:
        The rake in degrees.
    """
    try:
        return MECHANISM_RAKE_DEG[mechanism]
    except KeyError:
        raise ValueError(f"unknown mechanism {mechanism!r}; expected one of {sorted(MECHANISM_RAKE_DEG)}") from None


def draw_rake(rng: np.random.Generator) -> float:
    """A random rake (degrees, in (-180, 180]): a style drawn with MECHANISM_SHARES (a
    strike-slip event left- or right-lateral with equal chance), then a uniform
    +/-RAKE_SCATTER_DEG scatter around its nominal rake.

    Args:
        rng: numpy random generator.

    Returns:
        The rake in degrees.
    """
    styles = list(MECHANISM_SHARES)
    style = styles[int(rng.choice(len(styles), p=[MECHANISM_SHARES[s] for s in styles]))]
    if style == "strike-slip":
        style = "left-lateral" if rng.random() < 0.5 else "right-lateral"
    rake = rake_for_mechanism(style) + float(rng.uniform(-RAKE_SCATTER_DEG, RAKE_SCATTER_DEG))
    # Fold into (-180, 180]: right-lateral events scatter across ±180.
    return 180.0 - (180.0 - rake) % 360.0
