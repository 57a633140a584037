"""A QuakeSet file's bitemporal pairs as flight-runtime tiles, with the truth the file knows.

:func:`file_tiles` is how the ground feeds an ``earthquakes.h5`` (real or simulated) to the
flight runtime: each pair of QuakeSet task 1 ((``pre``, ``post``) events and (``before``,
``pre``) non-events) becomes a :class:`~quakesat.runtime.tile.Tile` (images, georeference,
acquisition time) beside its :class:`Truth` (label, magnitude, pixel-identical or not, the
simulator's damage centroid pixel, the georeference's source). A pair that uses a malformed
image (:class:`~quakesat.data.quakeset.PatchDefect`) becomes a tile with the defect's status,
one that cannot be read a tile with ``UNREADABLE``, instead of stopping the pass; the
georeference comes from :func:`~quakesat.data.georef.patch_georef`, and a tile the file does
not place still runs (``NO_GEOREFERENCE``).

For a model taking same-track pairs (``kind="same_track"``), each pair's same-track complex
images (``quakesat simulate --slc``) are the tile instead, centred where the amplitude patch is,
at the same-track grid's pixel spacing, with the rupture centroid's surface projection as the
location truth; samples whose patch holds no same-track pair (a file simulated without
``--slc``, the published file, identical negatives) have no such tile and are not yielded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from quakesat.data.georef import patch_georef
from quakesat.data.quakeset import QuakeSetFile, SampleRef, Task, location_truth, same_track_location_truth
from quakesat.runtime.status import Status
from quakesat.runtime.tile import AMPLITUDE, SAME_TRACK, Tile, TileCheck

#: An event's coordinate grids (``QuakeSetFile.grid_coordinates``), kept between samples.
GridCache = dict[str, tuple[np.ndarray, np.ndarray] | None]


@dataclass(frozen=True)
class Truth:
    """What the file knows about a tile (None fields: unknown)."""

    label: int
    magnitude: float
    identical: bool
    location: tuple[float, float] | None  # (row, col) of the damage (location_truth), simulator only
    georef_source: str = "patch"  # which part of the file placed the tile (data.georef.SOURCES)


def file_tiles(data: str | Path, split: str | None = "test", limit: int | None = None,
               assume_time: int | None = None, include_defective: bool = True,
               kind: str = AMPLITUDE) -> Iterator[tuple[Tile, Truth, float]]:
    """The bitemporal pairs of ``split`` (QuakeSet task 1: (pre, post) events and (before,
    pre) non-events) as tiles with their truth and read time, in the file's order.

    Args:
        data: an ``earthquakes.h5``.
        split: ``train``, ``validation``, ``test`` or None for all.
        limit: at most this many tiles.
        assume_time: acquisition time for tiles whose file records none (the real file).
        include_defective: also the pairs that use a malformed image, as tiles with its
            status (a run reports them); False leaves them out, as training does.
        kind: ``amplitude`` or ``same_track`` (module doc).
    """
    with QuakeSetFile(data) as qs:
        grids: GridCache = {}
        for tile_id, ref in enumerate(tile_refs(qs, split, limit, include_defective, kind)):
            yield sample_tile(qs, ref, tile_id, assume_time, grids, kind)


def tile_refs(qs: QuakeSetFile, split: str | None, limit: int | None = None, include_defective: bool = True,
              kind: str = AMPLITUDE) -> list[SampleRef]:
    """The samples that are tiles of ``kind``, in the file's order, at most ``limit``: the one
    list :func:`file_tiles` and the archive's driver and workers share."""
    refs = qs.samples(Task.BITEMPORAL_DETECTION, split, include_defective=include_defective)
    if kind == SAME_TRACK:
        refs = [ref for ref in refs if qs.same_track_shape(ref) is not None]
    return refs[:limit]


def sample_tile(qs: QuakeSetFile, ref: SampleRef, tile_id: int, assume_time: int | None,
                grids: GridCache, kind: str = AMPLITUDE) -> tuple[Tile, Truth, float]:
    """One sample of an open file as (tile, truth, read seconds): the one rule that
    :func:`file_tiles` and the archive's workers share.

    A malformed patch becomes the defect's status and a read failure ``UNREADABLE`` (never
    the pass's end); the georeference comes from :func:`patch_georef`. ``grids`` caches the
    event's coordinate grids between calls (one event at a time: the caller passes the same
    dict for consecutive samples). ``kind``: which images make the tile (module doc).
    """
    started = time.perf_counter()
    first = second = None
    read_check = None
    defect = qs.sample_defect(ref)
    if defect is not None:
        read_check = TileCheck(defect.status, defect.message)
    else:
        try:
            if kind == SAME_TRACK:
                pair = qs.read_same_track(ref)
                if pair is None:
                    raise ValueError("no same-track pair in this patch")
                first, second = pair
            else:
                first, second = qs.read(ref)
        except Exception as err:  # a damaged dataset must not stop the pass
            read_check = TileCheck(Status.UNREADABLE, f"{ref.event_id}/{ref.patch}: {err}")
    attrs = qs.patch_attrs(ref.event_id, ref.patch)
    event = qs.event(ref.event_id)
    if ref.event_id not in grids:
        grids.clear()  # one event at a time
        grids[ref.event_id] = qs.grid_coordinates(ref.event_id)
    georef, source = patch_georef(ref.patch, attrs, event.attrs, grids[ref.event_id], len(event.patches))
    read_seconds = time.perf_counter() - started
    when = attrs.get(f"time_{ref.images[1]}", assume_time)
    identical = first is not None and bool(np.array_equal(first, second, equal_nan=True))
    if kind == SAME_TRACK:
        if georef is not None and "slc_pixel_spacing_m" in attrs:
            georef = replace(georef, pixel_spacing_m=float(attrs["slc_pixel_spacing_m"]))
        located = same_track_location_truth(attrs) if ref.label == 1 else None
    else:
        found = location_truth(attrs) if ref.label == 1 else None
        located = found[0] if found else None
    tile = Tile(tile_id, int(when) if when is not None else -1, first, second, georef, read_check, kind=kind)
    return tile, Truth(ref.label, ref.magnitude, identical, located, source), read_seconds
