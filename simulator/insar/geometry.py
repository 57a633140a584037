"""Radar viewing geometry of the simulated interferograms: the Sentinel-1 C-band wavelength and
IW-mode viewing angles (ESA Sentinel-1 User Handbook, 2013), the line-of-sight (LOS) unit vector
of a right-looking side-looking radar, the projection of a ground displacement on it, and the
interferometric phase it produces. Sign conventions, fixed here and quoted by docs/simulator.md:
the LOS vector points from the ground pixel TO the satellite, so a positive LOS displacement is
motion toward the satellite (range shortening); a single-look complex (SLC) pixel at slant range
R carries the two-way propagation phase -4πR/λ (the sign of exp(-j k 2R) in a receiver whose
carrier is exp(+jωt)), so a range shortening d adds +4πd/λ to the post-event image's phase and
the interferogram post × conj(pre) has phase +4πd/λ: motion toward the satellite is positive
phase. One fringe (a 2π cycle) is λ/2 of LOS motion, about 2.77 cm.
"""

from __future__ import annotations

import math

import numpy as np

#: Sentinel-1 C-SAR centre frequency 5.405 GHz (ESA Sentinel-1 User Handbook): λ = c / f = 5.5465(8) cm.
WAVELENGTH_M = 0.055465
#: LOS motion per fringe: the two-way path changes by twice the LOS displacement.
HALF_WAVELENGTH_M = 0.5 * WAVELENGTH_M
#: Approximate Sentinel-1 satellite headings (flight direction, degrees clockwise from north) at
#: mid latitudes for its near-polar sun-synchronous orbit (inclination 98.18°, ESA Sentinel-1
#: User Handbook): ascending passes fly north-north-west, descending south-south-west.
HEADING_DEG = {"ascending": -12.0, "descending": -168.0}
#: Interferometric Wide swath incidence angles at the ground, near to far range (degrees;
#: ESA Sentinel-1 User Handbook, IW mode: 29.1°-46.0°).
INCIDENCE_RANGE_DEG = (29.1, 46.0)
#: Sentinel-1 looks to the right of its flight direction (ESA Sentinel-1 User Handbook).
LOOK = "right"


def los_unit_vector(heading_deg: float, incidence_deg: float, look: str = LOOK) -> np.ndarray:
    """Unit vector (east, north, up) from a ground pixel to the satellite.

    Derivation: the flight direction is f = (sin h, cos h, 0) in (E, N, U) for heading h
    clockwise from north, and r = (cos h, -sin h, 0) is horizontal and to its right (f turned
    90° clockwise). A right-looking radar illuminates ground to the right of its track, so seen
    from the pixel the satellite lies to the LEFT of the flight direction, -r, and above it. The
    incidence angle θ is measured at the pixel from the vertical, so the vector is
    -sin θ · r + cos θ · up = (-sin θ cos h, sin θ sin h, cos θ). For a left-looking radar the
    horizontal part flips to +sin θ · r. An ascending Sentinel-1 pass (h ≈ -12°, flying north)
    thus sees the ground from the west (vector west-ish and up); a descending pass (h ≈ -168°)
    from the east.

    Args:
        heading_deg: flight direction, degrees clockwise from north.
        incidence_deg: incidence angle at the ground, degrees from the vertical, in [0, 90).
        look: "right" or "left".

    Returns:
        (3,) float64 unit vector in east, north, up.
    """
    if look not in ("right", "left"):
        raise ValueError(f"look must be 'right' or 'left', got {look!r}")
    if not 0.0 <= incidence_deg < 90.0:
        raise ValueError(f"incidence angle must lie in [0, 90) degrees, got {incidence_deg}")
    h, theta = math.radians(heading_deg), math.radians(incidence_deg)
    right = np.array([math.cos(h), -math.sin(h), 0.0])
    side = -1.0 if look == "right" else 1.0
    return side * math.sin(theta) * right + np.array([0.0, 0.0, math.cos(theta)])


def los_displacement(enu: np.ndarray, los: np.ndarray) -> np.ndarray:
    """Ground displacement projected on the line of sight.

    Args:
        enu: displacement (..., 3) in east, north, up (metres).
        los: (3,) unit vector from ground to satellite (:func:`los_unit_vector`).

    Returns:
        (...) LOS displacement in metres, positive toward the satellite (range shortening).
    """
    return np.asarray(enu, dtype=np.float64) @ np.asarray(los, dtype=np.float64)


def interferometric_phase(los_m: np.ndarray) -> np.ndarray:
    """Unwrapped phase (radians) of post × conj(pre) for a LOS displacement: +4π d / λ.

    Args:
        los_m: LOS displacement in metres, positive toward the satellite.

    Returns:
        Phase in radians, same shape; positive for motion toward the satellite.
    """
    return 4.0 * np.pi * np.asarray(los_m, dtype=np.float64) / WAVELENGTH_M


def wrap(phase: np.ndarray) -> np.ndarray:
    """Wrap a phase into (-π, π].

    Args:
        phase: radians.

    Returns:
        The phase modulo 2π, in (-π, π] (π stays π, -π becomes π).
    """
    return np.pi - np.mod(np.pi - np.asarray(phase, dtype=np.float64), 2.0 * np.pi)


def fringes(los_m: np.ndarray) -> float:
    """Number of fringes an interferogram of this LOS field shows: peak-to-peak / (λ/2).

    Args:
        los_m: LOS displacement in metres (NaNs ignored).

    Returns:
        Peak-to-peak LOS change divided by HALF_WAVELENGTH_M.
    """
    values = np.asarray(los_m, dtype=np.float64)
    return float((np.nanmax(values) - np.nanmin(values)) / HALF_WAVELENGTH_M)
