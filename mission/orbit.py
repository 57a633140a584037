"""The satellite's orbit with skyfield and sgp4: a repeat-ground-track sun-synchronous design,
or any two-line element set, and its ground track.

:func:`design_sun_synchronous` solves for the SGP4 mean elements of a frozen, near-circular,
sun-synchronous orbit whose ground track repeats after ``repeat_days`` days and
``orbits_per_repeat`` revolutions (Sentinel-1: 175 orbits in 12 days, about 693 km, 98.18°;
ESA Sentinel-1 User Handbook, "Orbit"). It iterates on SGP4's own secular rates: the nodal
period is ``2π / (Ṁ + ω̇)`` and the node must precess eastward at the Sun's mean rate,
``360° / 365.2422 days``, so the orbit keeps its local time of ascending node. The right
ascension of the node at epoch is set from that local time (mean solar time, no equation of
time). :func:`ground_track` samples the orbit on a regular time grid: subpoints, geocentric
unit vectors and the along-track direction the swath geometry needs.

A second satellite (:func:`interleave_phase_deg`) flies the same orbit plane at another
along-track phase, chosen so that its ground track is the first one's half a repeat cycle
later: at time ``t`` it is where the first satellite will be at ``t + repeat_days / 2``
(Sentinel-1A and B: the same plane, 180° apart, a 6-day combined repeat). In ``repeat_days
/ 2`` the first satellite flies ``orbits_per_repeat / 2`` revolutions, so the phase is the
fraction of a revolution left over (180° for an odd number of orbits per repeat), and the
plane needs no turn: the node of a sun-synchronous orbit precesses at the Sun's mean rate,
which is also what Greenwich sidereal time gains on a solar day, so the node's place over the
Earth after whole days is the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quakesat.errors import ConfigError

#: Days per tropical year: the node of a sun-synchronous orbit turns 360° in this time.
TROPICAL_YEAR_DAYS = 365.2422
#: Unix time of the SGP4 epoch origin, 1949-12-31 00:00 UTC.
_SGP4_EPOCH_UNIX = -631_238_400.0
#: Mean equatorial radius of WGS-84, km (the gravity model SGP4 is run with here).
EARTH_RADIUS_KM = 6378.137
#: Mean radius of the Earth as a sphere, km (the swath geometry's sphere).
MEAN_EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class OrbitDesign:
    """The mean elements solved for, and what they give."""

    mean_motion_rad_min: float  # SGP4 (Kozai) mean motion
    inclination_deg: float
    raan_deg: float
    eccentricity: float
    argument_of_perigee_deg: float
    mean_anomaly_deg: float
    nodal_period_min: float
    node_rate_deg_day: float
    mean_altitude_km: float


def unix_to_sgp4_epoch(unix: float) -> float:
    """Days since 1949-12-31 00:00 UTC (the epoch ``Satrec.sgp4init`` takes)."""
    return (unix - _SGP4_EPOCH_UNIX) / 86_400.0


def gmst_deg(timescale, unix: float) -> float:
    """Greenwich mean sidereal time at ``unix``, degrees (skyfield)."""
    return float(timescale.from_datetime(_utc(unix)).gmst) * 15.0


def _utc(unix: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(unix, tz=UTC)


def _satrec(epoch_days: float, n: float, inclination: float, raan: float, eccentricity: float,
            argp: float, mean_anomaly: float):
    from sgp4.api import WGS84, Satrec

    sat = Satrec()
    sat.sgp4init(WGS84, "i", 1, epoch_days, 0.0, 0.0, 0.0, eccentricity, argp, inclination, mean_anomaly, n, raan)
    return sat


def design_sun_synchronous(start_unix: float, repeat_days: int = 12, orbits_per_repeat: int = 175,
                           ltan_hours: float = 18.0, eccentricity: float = 0.0001,
                           argument_of_perigee_deg: float = 90.0, timescale=None) -> OrbitDesign:
    """Mean elements of a repeat-track sun-synchronous orbit at epoch ``start_unix``, the
    satellite at its ascending node then (see the module doc)."""
    if not (isinstance(repeat_days, int) and isinstance(orbits_per_repeat, int) and repeat_days >= 1
            and orbits_per_repeat >= repeat_days):
        raise ConfigError(f"repeat of {orbits_per_repeat} orbits in {repeat_days} days is not an orbit")
    if not 0.0 <= eccentricity < 0.1:
        raise ConfigError(f"eccentricity must be within 0..0.1 for this design, got {eccentricity}")
    if not 0.0 <= ltan_hours < 24.0:
        raise ConfigError(f"ltan_hours must be within 0..24, got {ltan_hours}")
    target_period = repeat_days * 1440.0 / orbits_per_repeat  # minutes
    if not 85.0 <= target_period <= 130.0:
        raise ConfigError(f"a nodal period of {target_period:.1f} min is not a low Earth orbit "
                          f"({orbits_per_repeat} orbits in {repeat_days} days)")
    target_node = 2.0 * math.pi / (TROPICAL_YEAR_DAYS * 1440.0)  # rad/min
    if timescale is None:
        from skyfield.api import load

        timescale = load.timescale(builtin=True)
    epoch = unix_to_sgp4_epoch(start_unix)
    argp = math.radians(argument_of_perigee_deg)
    mean_anomaly = (-argp) % (2.0 * math.pi)  # argument of latitude 0: at the ascending node
    raan = math.radians((gmst_deg(timescale, start_unix) + (ltan_hours - _ut_hours(start_unix)) * 15.0) % 360.0)
    n, cos_i = 2.0 * math.pi / target_period, math.cos(math.radians(98.0))
    for _ in range(50):
        sat = _satrec(epoch, n, math.acos(cos_i), raan, eccentricity, argp, mean_anomaly)
        period = 2.0 * math.pi / (sat.mdot + sat.argpdot)
        n *= period / target_period
        cos_i *= target_node / sat.nodedot
        if abs(period - target_period) < 1e-9 and abs(sat.nodedot / target_node - 1.0) < 1e-12:
            break
    sat = _satrec(epoch, n, math.acos(cos_i), raan, eccentricity, argp, mean_anomaly)
    return OrbitDesign(
        mean_motion_rad_min=n, inclination_deg=math.degrees(math.acos(cos_i)), raan_deg=math.degrees(raan),
        eccentricity=eccentricity, argument_of_perigee_deg=argument_of_perigee_deg,
        mean_anomaly_deg=math.degrees(mean_anomaly), nodal_period_min=2.0 * math.pi / (sat.mdot + sat.argpdot),
        node_rate_deg_day=math.degrees(sat.nodedot) * 1440.0,
        mean_altitude_km=sat.a * sat.radiusearthkm - EARTH_RADIUS_KM)


def _ut_hours(unix: float) -> float:
    return (unix % 86_400.0) / 3600.0


def satellite_from_design(design: OrbitDesign, start_unix: float, timescale, phase_deg: float = 0.0):
    """A skyfield ``EarthSatellite`` flying ``design`` from epoch ``start_unix``, ``phase_deg``
    further along the orbit (its mean anomaly; 0 for the design itself)."""
    from skyfield.api import EarthSatellite

    sat = _satrec(unix_to_sgp4_epoch(start_unix), design.mean_motion_rad_min, math.radians(design.inclination_deg),
                  math.radians(design.raan_deg), design.eccentricity, math.radians(design.argument_of_perigee_deg),
                  math.radians((design.mean_anomaly_deg + phase_deg) % 360.0))
    return EarthSatellite.from_satrec(sat, timescale)


def interleave_phase_deg(orbits_per_repeat: int) -> float:
    """The along-track phase of a second satellite in the same plane whose ground track is the
    first one's half a repeat cycle later (see the module doc): the fraction of a revolution in
    ``orbits_per_repeat / 2`` revolutions, 180° when the number is odd. An even number leaves
    nothing: the second satellite would fly the first one's track at the same time."""
    fraction = (orbits_per_repeat / 2.0) % 1.0
    if fraction == 0.0:
        raise ConfigError(f"a second satellite half a repeat behind needs an odd number of orbits per repeat "
                          f"(got {orbits_per_repeat}): with an even one it flies the first one's track in step")
    return 360.0 * fraction


def satellite_from_tle(line1: str, line2: str, timescale, phase_deg: float = 0.0):
    """A skyfield ``EarthSatellite`` from a two-line element set, ``phase_deg`` further along its
    orbit (mean anomaly; 0: the set as given); a malformed set is a ConfigError."""
    from skyfield.api import EarthSatellite

    try:
        satellite = EarthSatellite(line1, line2, "scenario", timescale)
    except (ValueError, IndexError) as err:
        raise ConfigError(f"the scenario's TLE cannot be read: {err}") from None
    if satellite.model.error:
        raise ConfigError(f"the scenario's TLE is rejected by SGP4 (error {satellite.model.error})")
    if phase_deg:
        from sgp4.api import WGS72, Satrec

        m = satellite.model
        shifted = Satrec()
        shifted.sgp4init(WGS72, "i", m.satnum, m.jdsatepoch + m.jdsatepochF - 2433281.5, m.bstar, m.ndot, m.nddot,
                         m.ecco, m.argpo, m.inclo, (m.mo + math.radians(phase_deg)) % (2.0 * math.pi), m.no_kozai,
                         m.nodeo)
        satellite = EarthSatellite.from_satrec(shifted, timescale)
    return satellite


@dataclass(frozen=True)
class GroundTrack:
    """The orbit sampled every ``step_s`` seconds.

    Attributes:
        times: Unix seconds, shape (n,).
        lat, lon: subpoint, degrees (WGS-84).
        altitude_km: height above the ellipsoid.
        up: geocentric unit vectors of the subpoints on the sphere (Earth-fixed), (n, 3).
        along: unit vectors along the ground track (direction of motion), (n, 3).
        ascending: True where the satellite moves north.
    """

    times: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    altitude_km: np.ndarray
    up: np.ndarray
    along: np.ndarray
    ascending: np.ndarray

    @property
    def step_s(self) -> float:
        return float(self.times[1] - self.times[0]) if len(self.times) > 1 else 0.0

    def right(self) -> np.ndarray:
        """Unit vectors to the right of the track (Sentinel-1 looks right), (n, 3)."""
        return np.cross(self.along, self.up)


def unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Earth-fixed unit vectors of points on the sphere, shape (..., 3)."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def ground_track(satellite, timescale, start_unix: float, seconds: float, step_s: float) -> GroundTrack:
    """Sample ``satellite`` from ``start_unix`` for ``seconds`` every ``step_s`` seconds."""
    from skyfield.api import wgs84

    if not step_s > 0 or not seconds > step_s:
        raise ConfigError(f"the ground track needs 0 < step ({step_s} s) < duration ({seconds} s)")
    offsets = np.arange(0.0, seconds + step_s, step_s)
    # One extra sample before and after, for the along-track direction at both ends.
    padded = np.concatenate([[offsets[0] - step_s], offsets, [offsets[-1] + step_s]])
    t = timescale.utc(1970, 1, 1, 0, 0, start_unix + padded)
    position = satellite.at(t)
    point = wgs84.geographic_position_of(position)
    lat, lon = point.latitude.degrees, point.longitude.degrees
    up = unit_vectors(lat, lon)
    tangent = up[2:] - up[:-2]
    tangent -= np.sum(tangent * up[1:-1], axis=1, keepdims=True) * up[1:-1]
    along = tangent / np.linalg.norm(tangent, axis=1, keepdims=True)
    return GroundTrack(times=start_unix + offsets, lat=lat[1:-1], lon=lon[1:-1],
                       altitude_km=point.elevation.km[1:-1], up=up[1:-1], along=along,
                       ascending=lat[2:] > lat[:-2])


def ascending_node_times(track: GroundTrack) -> np.ndarray:
    """Unix times at which the subpoint crosses the equator northward (interpolated)."""
    lat = track.lat
    crossing = np.nonzero((lat[:-1] < 0.0) & (lat[1:] >= 0.0))[0]
    share = -lat[crossing] / (lat[crossing + 1] - lat[crossing])
    return track.times[crossing] + share * track.step_s


def local_mean_time_hours(unix: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Local mean solar time at longitude ``lon_deg``, hours 0..24."""
    return ((np.asarray(unix) % 86_400.0) / 3600.0 + np.asarray(lon_deg) / 15.0) % 24.0
