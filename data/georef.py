"""Where a QuakeSet patch lies: its georeference from whatever the file carries.

The simulator writes each patch's centre (patch attributes ``center_lat`` / ``center_lon``).
The published ``earthquakes.h5`` does not: TorchGeo's ``QuakeSet`` describes it as holding
images, magnitudes, hypocentres and splits, with event-level ``x`` / ``y`` datasets beside the
patches, and neither the attribute names nor the coordinate system are documented. So the
sources are tried in order of precision, and each tile says which one placed it:

=================  ====================================================================
``patch``          the patch's own ``center_lat`` / ``center_lon`` (the simulator)
``grid``           the event's ``x`` / ``y``, one value per patch (``x[n]``, ``y[n]`` for
                   ``patch_n``), as longitude / latitude, or as projected metres when the
                   event has an ``epsg`` attribute and pyproj is installed
``event``          the event's hypocentre: scalar ``latitude`` / ``longitude`` (or ``lat`` /
                   ``lon``, ``hypocenter_lat`` / ``hypocenter_lon``), else a ``hypocenter``
                   array in the ISC order (latitude, longitude, depth); an array whose first
                   value cannot be a latitude is read as (longitude, latitude)
``grid_centre``    the middle of the event's ``x`` / ``y`` extent, when they are not one
                   value per patch (same coordinate rules as ``grid``)
``none``           nothing usable: the tile has no georeference; the flight runtime still
                   runs the model and the message carries ``NO_GEOREFERENCE`` at (0, 0)
=================  ====================================================================

Values that are non-finite or off the globe are never used: a wrong position is worse than
none. ``event`` and ``grid_centre`` are coarse (kilometres off for a patch at the edge of the
event's area); the run report counts tiles per source so that nobody mistakes them for
patch-level positions.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from quakesat.runtime.message import LAT_MAX, LON_MAX
from quakesat.runtime.tile import DEFAULT_PIXEL_SPACING_M, Georef

#: Georeference sources, most precise first (see the module doc).
SOURCES: tuple[str, ...] = ("patch", "grid", "event", "grid_centre", "none")

_SCALAR_PAIRS: tuple[tuple[str, str], ...] = (
    ("latitude", "longitude"), ("lat", "lon"), ("hypocenter_lat", "hypocenter_lon"),
    ("hypocentre_lat", "hypocentre_lon"), ("epicenter_lat", "epicenter_lon"))
_ARRAY_NAMES: tuple[str, ...] = ("hypocenter", "hypocentre", "epicenter", "epicentre")
_PATCH_NUMBER = re.compile(r"patch_([0-9]+)")


def _on_globe(lat: Any, lon: Any) -> tuple[float, float] | None:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= LAT_MAX and abs(lon) <= LON_MAX:
        return lat, lon
    return None


def _spacing(attrs: dict[str, Any]) -> float:
    try:
        spacing = float(attrs.get("pixel_spacing_m", DEFAULT_PIXEL_SPACING_M))
    except (TypeError, ValueError):
        return DEFAULT_PIXEL_SPACING_M
    return spacing if math.isfinite(spacing) and spacing > 0 else DEFAULT_PIXEL_SPACING_M


def event_position(event_attrs: dict[str, Any]) -> tuple[float, float] | None:
    """The event's hypocentre (lat, lon) from its attributes, or None (module doc, ``event``)."""
    for lat_name, lon_name in _SCALAR_PAIRS:
        if lat_name in event_attrs and lon_name in event_attrs:
            found = _on_globe(event_attrs[lat_name], event_attrs[lon_name])
            if found is not None:
                return found
    for name in _ARRAY_NAMES:
        values = np.ravel(np.asarray(event_attrs.get(name, []), dtype=object))
        if values.size < 2:
            continue
        first, second = values[0], values[1]
        try:
            swapped = abs(float(first)) > LAT_MAX and abs(float(second)) <= LAT_MAX
        except (TypeError, ValueError):
            continue
        found = _on_globe(second, first) if swapped else _on_globe(first, second)
        if found is not None:
            return found
    return None


def grid_positions(x: np.ndarray, y: np.ndarray, epsg: Any = None) -> np.ndarray | None:
    """The ``x`` / ``y`` grid as (lat, lon) rows: longitude / latitude as stored when every
    finite value fits, else projected coordinates converted from ``epsg`` with pyproj (if
    installed); None when neither applies or the shapes differ."""
    x, y = np.ravel(np.asarray(x, dtype=np.float64)), np.ravel(np.asarray(y, dtype=np.float64))
    if x.shape != y.shape or x.size == 0:
        return None
    if np.all(np.abs(x[np.isfinite(x)]) <= LON_MAX) and np.all(np.abs(y[np.isfinite(y)]) <= LAT_MAX):
        return np.stack([y, x], axis=1)
    if epsg is None:
        return None
    try:
        from pyproj import Transformer  # optional (the data extra): projected grids only
        from pyproj.exceptions import CRSError
    except ImportError:
        return None
    try:
        transformer = Transformer.from_crs(f"EPSG:{int(epsg)}", "EPSG:4326", always_xy=True)
    except (CRSError, TypeError, ValueError, OverflowError):
        return None
    lon, lat = transformer.transform(x, y)
    return np.stack([np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)], axis=1)


def patch_georef(patch: str, patch_attrs: dict[str, Any], event_attrs: dict[str, Any],
                 grid: tuple[np.ndarray, np.ndarray] | None, patch_count: int) -> tuple[Georef | None, str]:
    """The georeference of ``patch`` and the source that gave it (one of :data:`SOURCES`).

    Args:
        patch: the patch group's name (``patch_n``).
        patch_attrs: its attributes.
        event_attrs: its event's attributes.
        grid: the event's ``x`` / ``y`` datasets, if any
            (:meth:`~quakesat.data.quakeset.QuakeSetFile.grid_coordinates`).
        patch_count: how many patch groups the event has.
    """
    spacing = _spacing(patch_attrs)
    if "center_lat" in patch_attrs and "center_lon" in patch_attrs:
        found = _on_globe(patch_attrs["center_lat"], patch_attrs["center_lon"])
        if found is not None:
            return Georef(found[0], found[1], spacing), "patch"
    positions = None if grid is None else grid_positions(*grid, epsg=event_attrs.get("epsg"))
    match = _PATCH_NUMBER.fullmatch(patch)
    if positions is not None and match is not None and len(positions) == patch_count:
        number = int(match.group(1))
        if number < len(positions):
            found = _on_globe(*positions[number])
            if found is not None:
                return Georef(found[0], found[1], spacing), "grid"
    found = event_position(event_attrs)
    if found is not None:
        return Georef(found[0], found[1], spacing), "event"
    if positions is not None:
        finite = positions[np.all(np.isfinite(positions), axis=1)]
        if len(finite):
            lat = (finite[:, 0].min() + finite[:, 0].max()) / 2
            lon = (finite[:, 1].min() + finite[:, 1].max()) / 2
            found = _on_globe(lat, lon)
            if found is not None:
                return Georef(found[0], found[1], spacing), "grid_centre"
    return None, "none"
