"""A QuakeSet file's bitemporal pairs as flight-runtime tiles, with the truth the file knows.

:func:`file_tiles` is how the ground feeds an ``earthquakes.h5`` (real or simulated) to the
flight runtime: each pair of QuakeSet task 1 ((``pre``, ``post``) events and (``before``,
``pre``) non-events) becomes a :class:`~quakesat.runtime.tile.Tile` (images, georeference,
acquisition time) beside its :class:`Truth` (label, magnitude, pixel-identical or not, the
simulator's damage centroid pixel). A pair that cannot be read becomes a tile with the
``UNREADABLE`` status instead of stopping the pass.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.data.quakeset import QuakeSetFile, Task, location_truth
from quakesat.runtime.status import Status
from quakesat.runtime.tile import DEFAULT_PIXEL_SPACING_M, Georef, Tile, TileCheck


@dataclass(frozen=True)
class Truth:
    """What the file knows about a tile (None fields: unknown)."""

    label: int
    magnitude: float
    identical: bool
    location: tuple[float, float] | None  # (row, col) of the damage (location_truth), simulator only


def _file_georef(attrs: dict[str, Any], event_attrs: dict[str, Any]) -> Georef | None:
    """The simulator writes each patch's centre; the real file has only the event's
    coordinates, used as a coarse stand-in for the tile centre."""
    spacing = float(attrs.get("pixel_spacing_m", DEFAULT_PIXEL_SPACING_M))
    if "center_lat" in attrs and "center_lon" in attrs:
        return Georef(float(attrs["center_lat"]), float(attrs["center_lon"]), spacing)
    if "latitude" in event_attrs and "longitude" in event_attrs:
        return Georef(float(event_attrs["latitude"]), float(event_attrs["longitude"]), spacing)
    return None


def file_tiles(data: str | Path, split: str | None = "test", limit: int | None = None,
               assume_time: int | None = None) -> Iterator[tuple[Tile, Truth, float]]:
    """The bitemporal pairs of ``split`` (QuakeSet task 1: (pre, post) events and (before,
    pre) non-events) as tiles with their truth and read time, in the file's order.

    Args:
        data: an ``earthquakes.h5``.
        split: ``train``, ``validation``, ``test`` or None for all.
        limit: at most this many tiles.
        assume_time: acquisition time for tiles whose file records none (the real file).
    """
    with QuakeSetFile(data) as qs:
        refs = qs.samples(Task.BITEMPORAL_DETECTION, split)[:limit]
        for tile_id, ref in enumerate(refs):
            started = time.perf_counter()
            read_check = None
            try:
                first, second = qs.read(ref)
            except Exception as err:  # a damaged dataset must not stop the pass
                first = second = None
                read_check = TileCheck(Status.UNREADABLE, f"{ref.event_id}/{ref.patch}: {err}")
            attrs = qs.patch_attrs(ref.event_id, ref.patch)
            event_attrs = qs.event(ref.event_id).attrs
            read_seconds = time.perf_counter() - started
            when = attrs.get(f"time_{ref.images[1]}", assume_time)
            found = location_truth(attrs) if ref.label == 1 else None
            identical = first is not None and bool(np.array_equal(first, second, equal_nan=True))
            tile = Tile(tile_id, int(when) if when is not None else -1, first, second,
                        _file_georef(attrs, event_attrs), read_check)
            yield tile, Truth(ref.label, ref.magnitude, identical, found[0] if found else None), read_seconds
