"""The tile file contract shared with the C++ runner: ``.npy`` images and a JSON-lines tile list.

An image file is a NumPy ``.npy`` (format 1.0, 2.0 or 3.0) holding one ``H x W x 2``
little-endian float32 array in C order (VV, VH sigma0; NaN for no data). What goes wrong
when reading it is a status, never an exception, and both runtimes give the same one:

- ``UNREADABLE``: missing file, not an ``.npy``, a malformed header, Fortran order, or
  fewer data bytes than the header promises;
- ``BAD_DTYPE``: any dtype but ``<f4``;
- ``BAD_SHAPE``: not three dimensions with 2 bands (the tile side is the input checks' job).

A tile list (``tiles.jsonl``) has one JSON object per line: ``tile_id``, ``time`` (Unix
seconds of the post image), ``lat``, ``lon`` (tile centre, degrees), optional
``pixel_spacing_m`` (default 10), and ``pre`` / ``post`` paths relative to the list. A line
that cannot be parsed becomes a tile with status ``UNREADABLE``. numpy and the standard
library only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from quakesat.runtime.status import Status
from quakesat.runtime.tile import DEFAULT_PIXEL_SPACING_M, Georef, Tile, TileCheck

#: The one dtype a tile image file may hold.
TILE_DTYPE = np.dtype("<f4")
#: Bands per image (VV, VH).
BANDS = 2


class ImageBuffers:
    """Two image arrays (pre, post) a streaming reader fills again for every tile.

    A fresh 2 MiB array costs its page faults on every read (about 1 ms per image here); with
    these the flight loop reads into memory it already owns. The catch: the next tile read
    with the same buffers overwrites the previous tile's images, so only a caller that is
    done with a tile before reading the next (``quakesat run``, the benchmark) may use them.
    """

    def __init__(self) -> None:
        self._arrays: list[np.ndarray | None] = [None, None]

    def get(self, slot: int, shape: tuple[int, ...]) -> np.ndarray:
        """The array of ``slot`` (0 pre, 1 post) with ``shape``, reused when it fits."""
        array = self._arrays[slot]
        if array is None or array.shape != shape:
            array = self._arrays[slot] = np.empty(shape, dtype=TILE_DTYPE)
        return array


def read_image(path: str | Path, buffers: ImageBuffers | None = None,
               slot: int = 0) -> tuple[np.ndarray | None, TileCheck]:
    """Read one image file under the contract above: (array, OK) or (None, the problem).
    With ``buffers``, the pixels go into ``buffers``' array of ``slot``."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as fh:
            major, minor = fmt.read_magic(fh)
            reader = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
            shape, fortran, dtype = reader(fh)
            if dtype != TILE_DTYPE:
                return None, TileCheck(Status.BAD_DTYPE, f"{path}: dtype {dtype.str}, expected {TILE_DTYPE.str}")
            if fortran:
                return None, TileCheck(Status.UNREADABLE, f"{path}: Fortran-ordered array; write it in C order")
            if len(shape) != 3 or shape[2] != BANDS:
                return None, TileCheck(Status.BAD_SHAPE, f"{path}: shape {shape}, expected (H, W, {BANDS})")
            count = int(np.prod(shape))
            image = buffers.get(slot, tuple(shape)) if buffers is not None else np.empty(shape, dtype=TILE_DTYPE)
            got = fh.readinto(memoryview(image).cast("B"))  # straight into the array: no extra copy
    except (OSError, ValueError, MemoryError) as err:
        return None, TileCheck(Status.UNREADABLE, f"{path}: {err}")
    if got != count * TILE_DTYPE.itemsize:
        return None, TileCheck(Status.UNREADABLE, f"{path}: {got} data bytes, the header promises "
                                                  f"{count * TILE_DTYPE.itemsize}")
    return image, TileCheck(Status.OK)


def pair_tile(pre: str | Path, post: str | Path, georef: Georef, when: int, tile_id: int,
              buffers: ImageBuffers | None = None) -> Tile:
    """A tile from two image files; the first reading problem (pre, then post) is its status.
    ``buffers``: see :class:`ImageBuffers`."""
    images, problem = [], None
    for slot, path in enumerate((pre, post)):
        image, check = read_image(path, buffers, slot)
        images.append(image)
        if problem is None and check.status != Status.OK:
            problem = check
    return Tile(tile_id, when, images[0], images[1], georef, problem)


def _number(entry: dict, key: str, default: float | None = None) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{key} must be a number, got {value!r}")
    return float(value)


def tile_from_line(line: str, folder: Path, index: int, buffers: ImageBuffers | None = None) -> Tile:
    """One list line as a tile. Strict types, the same as the C++ reader: ``tile_id`` an
    integer in 0..2**32-1, numbers for ``lat``/``lon``/``pixel_spacing_m``, strings for the
    paths (else ``UNREADABLE``, with the line's index as tile id); ``time`` is passed as
    written and judged by the time check (``BAD_TIME``)."""
    try:
        entry = json.loads(line)
        if not isinstance(entry, dict):
            raise TypeError("a tile list line must be a JSON object")
        tile_id = entry["tile_id"]
        if isinstance(tile_id, bool) or not isinstance(tile_id, int) or not 0 <= tile_id <= 0xFFFF_FFFF:
            raise TypeError(f"tile_id must be an integer in 0..4294967295, got {tile_id!r}")
        georef = Georef(_number(entry, "lat"), _number(entry, "lon"),
                        _number(entry, "pixel_spacing_m", DEFAULT_PIXEL_SPACING_M))
        if not isinstance(entry["pre"], str) or not isinstance(entry["post"], str):
            raise TypeError("pre and post must be paths (strings)")
        return pair_tile(folder / entry["pre"], folder / entry["post"], georef, entry["time"], tile_id, buffers)
    except (ValueError, KeyError, TypeError) as err:
        return Tile(index, -1, None, None, None, TileCheck(Status.UNREADABLE, f"tile list line {index + 1}: {err!r}"))


def read_tile_list(path: str | Path, reuse_buffers: bool = False) -> Iterator[tuple[Tile, float]]:
    """The tiles of a ``tiles.jsonl`` with their read time, in file order (blank lines skipped).
    ``reuse_buffers``: read every tile into the same two arrays (:class:`ImageBuffers`)."""
    path = Path(path)
    buffers = ImageBuffers() if reuse_buffers else None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for index, line in enumerate(lines):
        started = time.perf_counter()
        tile = tile_from_line(line, path.parent, index, buffers)
        yield tile, time.perf_counter() - started


def write_tile_list(tiles: list[Tile], folder: str | Path) -> Path:
    """Write tiles under the contract (``folder/tiles.jsonl`` and ``folder/tiles/*.npy``), for the
    C++ runner or any later ``quakesat run --tiles``; returns the list's path. Images are written
    as float32; a tile without images (unreadable) is skipped."""
    folder = Path(folder)
    (folder / "tiles").mkdir(parents=True, exist_ok=True)
    lines = []
    for tile in tiles:
        if tile.first is None or tile.second is None or tile.georef is None:
            continue
        entry = {"tile_id": int(tile.tile_id), "time": tile.time, "lat": tile.georef.center_lat,
                 "lon": tile.georef.center_lon, "pixel_spacing_m": tile.georef.pixel_spacing_m}
        for name, image in (("pre", tile.first), ("post", tile.second)):
            entry[name] = f"tiles/{tile.tile_id}_{name}.npy"
            np.save(folder / entry[name], np.ascontiguousarray(image, dtype=TILE_DTYPE))
        lines.append(json.dumps(entry))
    path = folder / "tiles.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path
