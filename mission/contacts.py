"""Ground-station contacts: the passes above each station's elevation mask (skyfield
``find_events``), merged into one timeline of downlink windows.

A pass already under way when the window opens starts at the window's start; one still
under way when it closes ends there. Two stations in view at once give one merged window
(the satellite has one downlink chain), named after both.
"""

from __future__ import annotations

from dataclasses import dataclass

from quakesat.errors import ConfigError


@dataclass(frozen=True)
class Station:
    """A ground station: where it is and the lowest elevation it works at."""

    name: str
    latitude: float
    longitude: float
    altitude_m: float = 0.0
    elevation_mask_deg: float = 5.0

    def __post_init__(self) -> None:
        if not -90.0 <= self.latitude <= 90.0 or not -180.0 <= self.longitude <= 180.0:
            raise ConfigError(f"station {self.name!r}: ({self.latitude}, {self.longitude}) is not a latitude/longitude")
        if not 0.0 <= self.elevation_mask_deg < 90.0:
            raise ConfigError(f"station {self.name!r}: elevation mask must be within 0..90 degrees, "
                              f"got {self.elevation_mask_deg}")


@dataclass(frozen=True)
class Contact:
    """One downlink window, Unix seconds."""

    start: float
    end: float
    stations: tuple[str, ...]
    max_elevation_deg: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def station_passes(satellite, timescale, station: Station, start_unix: float, end_unix: float) -> list[Contact]:
    """The passes of ``satellite`` over ``station`` between the two times, in order."""
    from skyfield.api import wgs84

    site = wgs84.latlon(station.latitude, station.longitude, elevation_m=station.altitude_m)
    t0 = timescale.utc(1970, 1, 1, 0, 0, start_unix)
    t1 = timescale.utc(1970, 1, 1, 0, 0, end_unix)
    times, kinds = satellite.find_events(site, t0, t1, altitude_degrees=station.elevation_mask_deg)
    seconds = [float(v) for v in (times.tt - t0.tt) * 86_400.0 + start_unix] if len(kinds) else []
    passes: list[Contact] = []
    rise: float | None = None
    peak = 0.0
    if len(kinds) and kinds[0] != 0:  # in view when the window opens
        rise = start_unix
    for when, kind, t in zip(seconds, kinds, times if len(kinds) else []):
        if kind == 0:
            rise, peak = when, 0.0
        elif kind == 1:
            altitude = (satellite - site).at(t).altaz()[0].degrees
            peak = max(peak, float(altitude))
        elif kind == 2 and rise is not None:
            passes.append(Contact(rise, when, (station.name,), peak))
            rise = None
    if rise is not None:
        passes.append(Contact(rise, end_unix, (station.name,), peak))
    return passes


def merge_contacts(passes: list[Contact]) -> list[Contact]:
    """One timeline: overlapping passes over different stations become one window."""
    merged: list[Contact] = []
    for contact in sorted(passes, key=lambda c: c.start):
        if merged and contact.start <= merged[-1].end:
            last = merged[-1]
            names = last.stations + tuple(n for n in contact.stations if n not in last.stations)
            merged[-1] = Contact(last.start, max(last.end, contact.end), names,
                                 max(last.max_elevation_deg, contact.max_elevation_deg))
        else:
            merged.append(contact)
    return merged


def contacts(satellite, timescale, stations: list[Station], start_unix: float, end_unix: float
             ) -> tuple[list[Contact], dict[str, list[Contact]]]:
    """The merged downlink windows, and each station's own passes."""
    per_station = {s.name: station_passes(satellite, timescale, s, start_unix, end_unix) for s in stations}
    return merge_contacts([c for passes in per_station.values() for c in passes]), per_station
