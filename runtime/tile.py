"""The tile contract (DESIGN §2.2): a bitemporal pair, where it is on Earth, and when.

A :class:`Tile` is what the flight runtime receives: the ``first`` (pre-event) and
``second`` (post-event) images, each ``H x W x 2`` sigma0 (VV, VH) in the units the model's
preprocessing declares, the acquisition time of the second image, and a :class:`Georef`
(latitude/longitude of the tile centre and the pixel spacing). :func:`check_georef` and
:func:`check_time` turn an unusable georeference or time into a status, and
:func:`pixel_to_latlon` maps a pixel of the tile to degrees (rows run south, columns east,
as in a north-up product). numpy and the standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quakesat.runtime.message import LAT_MAX, LON_MAX, U32_MAX
from quakesat.runtime.status import Status
from quakesat.runtime.validate import TileCheck

#: Length of one degree of latitude (and of longitude at the equator) on the mean sphere, m.
METRES_PER_DEGREE = 111_320.0
#: Sentinel-1 IW GRD high-resolution pixel spacing (the QuakeSet tiles), metres.
DEFAULT_PIXEL_SPACING_M = 10.0


@dataclass(frozen=True)
class Georef:
    """Where a north-up tile lies: its centre and its pixel spacing."""

    center_lat: float
    center_lon: float
    pixel_spacing_m: float = DEFAULT_PIXEL_SPACING_M


@dataclass(frozen=True)
class Tile:
    """One bitemporal tile as it reaches the runtime (DESIGN §2.2).

    Attributes:
        tile_id: the tile's identifier, carried in its message (u32).
        time: acquisition time of the second (post-event) image, Unix UTC seconds.
        first: pre-event image, ``H x W x 2``.
        second: post-event image, ``H x W x 2``.
        georef: where the tile lies.
        read_check: why the tile could not be read, if it could not (``UNREADABLE``,
            ``BAD_DTYPE`` or ``BAD_SHAPE`` from the reader).
    """

    tile_id: int
    time: int
    first: object
    second: object
    georef: Georef | None
    read_check: TileCheck | None = None


def check_georef(georef: Georef | None) -> TileCheck:
    """``BAD_GEOREFERENCE`` for a missing georeference, a centre off the globe, or a
    non-positive pixel spacing; ``OK`` otherwise."""
    if georef is None:
        return TileCheck(Status.BAD_GEOREFERENCE, "the tile has no georeference")
    values = (georef.center_lat, georef.center_lon, georef.pixel_spacing_m)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        return TileCheck(Status.BAD_GEOREFERENCE, f"non-numeric or non-finite georeference {values}")
    if abs(georef.center_lat) > LAT_MAX or abs(georef.center_lon) > LON_MAX:
        return TileCheck(Status.BAD_GEOREFERENCE,
                         f"centre ({georef.center_lat}, {georef.center_lon}) is not a latitude/longitude")
    if not georef.pixel_spacing_m > 0:
        return TileCheck(Status.BAD_GEOREFERENCE, f"pixel spacing {georef.pixel_spacing_m} m is not positive")
    return TileCheck(Status.OK)


def check_time(time: object) -> TileCheck:
    """``BAD_TIME`` unless ``time`` is an integer number of Unix seconds that fits a u32."""
    if isinstance(time, bool) or not isinstance(time, (int, np.integer)):
        return TileCheck(Status.BAD_TIME, f"acquisition time must be integer Unix seconds, got {time!r}")
    if not 0 < int(time) <= U32_MAX:
        return TileCheck(Status.BAD_TIME, f"acquisition time {time} is outside 1..{U32_MAX}")
    return TileCheck(Status.OK)


def pixel_to_latlon(georef: Georef, row: float, col: float, side: int) -> tuple[float, float]:
    """Latitude/longitude of pixel (``row``, ``col``) of a north-up ``side x side`` tile.

    Pixel centres are at integer coordinates; the tile centre is ``(side - 1) / 2``. Rows grow
    southward, columns eastward; the longitude step shrinks with ``cos(latitude)`` (a local
    equirectangular approximation, exact to centimetres over a 5 km tile).
    """
    centre = (side - 1) / 2.0
    north_m = (centre - row) * georef.pixel_spacing_m
    east_m = (col - centre) * georef.pixel_spacing_m
    lat = georef.center_lat + north_m / METRES_PER_DEGREE
    lon = georef.center_lon + east_m / (METRES_PER_DEGREE * max(math.cos(math.radians(georef.center_lat)), 1e-6))
    lat = min(max(lat, -LAT_MAX), LAT_MAX)
    lon = (lon + 180.0) % 360.0 - 180.0 if abs(lon) > LON_MAX else lon
    return lat, lon


def ground_distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points on the mean sphere, metres (haversine)."""
    radius = METRES_PER_DEGREE * 180.0 / math.pi
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * radius * math.asin(min(1.0, math.sqrt(h)))
