"""The instrument's swath on the ground: which points are imaged, when, and how many tiles a
day of acquisitions holds.

Geometry on the mean sphere (radius 6,371 km). A right-looking side-looking radar at height
``h`` sees ground at incidence angle ``θi`` at the Earth-central angle ``γ = θi − θl`` from
nadir, where the look angle satisfies ``sin θl = R sin θi / (R + h)``. The swath runs from
the near edge (the near incidence angle; Sentinel-1 IW: 29.1°) out to ``swath_km`` further
(IW: about 250 km; ESA Sentinel-1 User Handbook, "Interferometric Wide swath"). A point is
imaged when its along-track offset from the subpoint changes sign and its cross-track
distance at that moment lies inside the swath, at a latitude the acquisition plan covers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quakesat.errors import ConfigError
from quakesat.mission.orbit import MEAN_EARTH_RADIUS_KM, GroundTrack, unit_vectors
from quakesat.runtime.tile import offset_latlon as local_offset


@dataclass(frozen=True)
class Swath:
    """Where the instrument looks and when it records.

    Attributes:
        near_incidence_deg: incidence angle at the swath's near edge.
        swath_km: ground width of the swath.
        look: ``right`` or ``left`` of the direction of flight.
        latitude_range: the acquisition plan's latitudes (a point outside is never imaged).
        minutes_per_orbit: recording time per orbit (Sentinel-1's SAR duty cycle: up to 25 min
            in IW per orbit); sets the survey's tile volume, not which events are imaged
            (seismic areas lie on land, which the plan covers).
    """

    near_incidence_deg: float = 29.1
    swath_km: float = 250.0
    look: str = "right"
    latitude_range: tuple[float, float] = (-60.0, 84.0)
    minutes_per_orbit: float = 25.0

    def __post_init__(self) -> None:
        if not 10.0 <= self.near_incidence_deg <= 60.0:
            raise ConfigError(f"near incidence must be within 10..60 degrees, got {self.near_incidence_deg}")
        if not 1.0 <= self.swath_km <= 1000.0:
            raise ConfigError(f"swath must be within 1..1000 km, got {self.swath_km}")
        if self.look not in ("right", "left"):
            raise ConfigError(f"look must be 'right' or 'left', got {self.look!r}")
        low, high = self.latitude_range
        if not -90.0 <= low < high <= 90.0:
            raise ConfigError(f"latitude_range must be -90 <= low < high <= 90, got {self.latitude_range}")
        if not 0.0 < self.minutes_per_orbit <= 200.0:
            raise ConfigError(f"minutes_per_orbit must be within 0..200, got {self.minutes_per_orbit}")


def ground_range_km(incidence_deg: float, altitude_km: float) -> float:
    """Ground distance from nadir of the point seen at ``incidence_deg`` (sphere)."""
    radius = MEAN_EARTH_RADIUS_KM
    incidence = math.radians(incidence_deg)
    look = math.asin(radius * math.sin(incidence) / (radius + altitude_km))
    return radius * (incidence - look)


def incidence_at_km(ground_km: float, altitude_km: float) -> float:
    """Incidence angle, degrees, of the ground point ``ground_km`` from nadir (sphere)."""
    radius, orbit = MEAN_EARTH_RADIUS_KM, MEAN_EARTH_RADIUS_KM + altitude_km
    gamma = ground_km / radius
    slant = math.sqrt(radius ** 2 + orbit ** 2 - 2.0 * radius * orbit * math.cos(gamma))
    look = math.asin(radius * math.sin(gamma) / slant)
    return math.degrees(look + gamma)


def swath_edges_km(swath: Swath, altitude_km: float) -> tuple[float, float]:
    """(near, far) ground distance of the swath edges from nadir, km."""
    near = ground_range_km(swath.near_incidence_deg, altitude_km)
    return near, near + swath.swath_km


def _side(track: GroundTrack, swath: Swath) -> np.ndarray:
    right = track.right()
    return right if swath.look == "right" else -right


@dataclass(frozen=True)
class Look:
    """One time the swath passes over a point."""

    time: float  # Unix seconds
    cross_track_km: float  # from nadir, positive on the looking side
    ascending: bool
    incidence_deg: float


def looks_at(track: GroundTrack, swath: Swath, lat: float, lon: float) -> list[Look]:
    """Every time the swath images (``lat``, ``lon``) during the track, in order."""
    if not swath.latitude_range[0] <= lat <= swath.latitude_range[1]:
        return []
    point = unit_vectors(np.array(lat), np.array(lon))
    along = track.along @ point
    up = track.up @ point
    side = _side(track, swath) @ point
    # The along-track offset changes sign from + (ahead) to - (passed) on the near side.
    crossing = np.nonzero((along[:-1] > 0.0) & (along[1:] <= 0.0) & (up[:-1] > 0.0))[0]
    looks = []
    for k in crossing:
        share = along[k] / (along[k] - along[k + 1])
        cross = MEAN_EARTH_RADIUS_KM * math.asin(float(np.clip(side[k] + share * (side[k + 1] - side[k]), -1, 1)))
        altitude = float(track.altitude_km[k])
        near, far = swath_edges_km(swath, altitude)
        if near <= cross <= far:
            looks.append(Look(float(track.times[k] + share * track.step_s), cross, bool(track.ascending[k]),
                              incidence_at_km(cross, altitude)))
    return looks


def swath_points(track: GroundTrack, swath: Swath, samples: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon) of ``samples`` points across the swath at every track sample, and whether
    each track sample is inside the plan's latitudes: shapes (n, samples), (n, samples), (n,)."""
    side = _side(track, swath)
    altitude = float(np.mean(track.altitude_km))
    near, far = swath_edges_km(swath, altitude)
    angles = (near + (np.arange(samples) + 0.5) / samples * (far - near)) / MEAN_EARTH_RADIUS_KM
    points = (np.cos(angles)[None, :, None] * track.up[:, None, :]
              + np.sin(angles)[None, :, None] * side[:, None, :])
    lat = np.degrees(np.arcsin(np.clip(points[..., 2], -1.0, 1.0)))
    lon = np.degrees(np.arctan2(points[..., 1], points[..., 0]))
    centre = lat[:, samples // 2]
    inside = (centre >= swath.latitude_range[0]) & (centre <= swath.latitude_range[1])
    return lat, lon, inside


def ground_speed_km_s(track: GroundTrack) -> float:
    """Mean speed of the subpoint, km/s."""
    steps = np.arccos(np.clip(np.sum(track.up[1:] * track.up[:-1], axis=1), -1.0, 1.0))
    return float(np.mean(steps) * MEAN_EARTH_RADIUS_KM / track.step_s)


def tile_rate_per_s(track: GroundTrack, swath: Swath, tile_km: float) -> float:
    """Tiles of side ``tile_km`` the swath sweeps per second of recording."""
    return swath.swath_km * ground_speed_km_s(track) / (tile_km * tile_km)


def recording_seconds(track: GroundTrack, swath: Swath, period_s: float) -> float:
    """Seconds of recording over the track: the time inside the plan's latitudes, capped at
    ``minutes_per_orbit`` per orbit (a share of each orbit's eligible time)."""
    _, _, inside = swath_points(track, swath, samples=1)
    eligible = float(np.count_nonzero(inside)) * track.step_s
    orbits = (track.times[-1] - track.times[0]) / period_s
    return min(eligible, swath.minutes_per_orbit * 60.0 * orbits)


def offset_latlon(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m``/``east_m`` from (``lat``, ``lon``) (the runtime's local
    approximation, :func:`quakesat.runtime.tile.offset_latlon`), longitude wrapped to -180..180."""
    new_lat, new_lon = local_offset(lat, lon, north_m, east_m)
    return new_lat, (new_lon + 180.0) % 360.0 - 180.0
