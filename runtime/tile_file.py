"""The tile file contract shared with the C++ runner: ``.npy`` images and a JSON-lines tile list.

An image file is a NumPy ``.npy`` (format 1.0, 2.0 or 3.0) holding one ``H x W x 2``
little-endian float32 array in C order (VV, VH sigma0; NaN for no data). What goes wrong
when reading it is a status, never an exception, and both runtimes give the same one,
checked in this order:

- ``UNREADABLE``: missing file, or not a regular file (a FIFO, device or directory is
  refused before a byte is read: :mod:`quakesat.runtime.regular_file`); not ``\x93NUMPY``; a version other than 1.0, 2.0, 3.0; a
  header length of 0 or over 4096 bytes; a header outside the grammar below; Fortran
  order; fewer data bytes than the header promises (checked on the file's size, before
  any memory is taken);
- ``BAD_DTYPE``: a dtype other than ``<f4`` (checked before Fortran order);
- ``BAD_SHAPE``: not three dimensions, a third that is not 2, or a zero dimension; and, when
  the reader is given the model's tile side, any other side (judged on the header, after
  the size check: a header that claims a huge image costs nothing, whatever the file).

The header grammar is what NumPy writes, and nothing looser. The bytes are printable ASCII,
ending in spaces and at most one newline. The text is a ``{...}`` dict holding exactly the
keys ``'descr'``, ``'fortran_order'`` and ``'shape'``, once each, in any order, separated
by commas (a trailing comma allowed), with spaces allowed around every token. The values
are ``descr`` a single-quoted ``[<>|=]?`` letter-then-alphanumerics type string,
``fortran_order`` ``True`` or ``False``, and ``shape`` a parenthesised list of up to four
decimal integers of at most 9 digits with no leading zero (a trailing comma allowed). No
other quoting, sign, base, underscore, expression or comment is accepted. The C++ reader
implements the same grammar (cpp_runner/src/npy.cpp), and ``tests/vectors/hostile_npy``
holds the cases both must agree on.

A tile list (``tiles.jsonl``) has one JSON object per line: ``tile_id``, ``time`` (Unix
seconds of the post image), ``lat``, ``lon`` (tile centre, degrees), optional
``pixel_spacing_m`` (default 10), ``pre`` / ``post`` paths relative to the list, used as
written (``a.npy/`` is not ``a.npy``), and an optional ``kind``: ``"amplitude"`` (the default,
two images as above) or ``"same_track"`` (two ``side x side`` complex64 ``<c8`` files, a
same-track pair for interferometry: :mod:`quakesat.runtime.same_track`). Any other ``kind``,
a non-string included, makes the line unreadable. A same-track image file is read under the
same rules, except that its dtype is ``<c8`` (``BAD_DTYPE`` otherwise) and its shape
``H x W`` (``BAD_SHAPE`` otherwise). The reader is told the kind its model takes: a line of
another kind is not read at all, and the runtime answers it ``WRONG_KIND`` before a byte of
its files is looked at. A line is strict JSON with the manifest's limits
(:func:`quakesat.runtime.manifest.parse_strict_json`: at most 64 levels of nesting, no
duplicate key, numbers within a double) and at most :data:`MAX_LINE_BYTES` bytes. A line that
breaks these becomes a tile with status ``UNREADABLE``. The list is streamed: memory does
not grow with its length. numpy and the standard library only.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from quakesat.runtime.regular_file import open_regular
from quakesat.runtime.status import Status
from quakesat.runtime.strict_json import parse_strict_json
from quakesat.runtime.tile import (
    AMPLITUDE,
    DEFAULT_PIXEL_SPACING_M,
    SAME_TRACK,
    TILE_KINDS,
    Georef,
    Tile,
    TileCheck,
)

#: The one dtype an amplitude tile image file may hold.
TILE_DTYPE = np.dtype("<f4")
#: The one dtype a same-track image file may hold (complex64, little-endian).
COMPLEX_DTYPE = np.dtype("<c8")
#: Bands per image (VV, VH).
BANDS = 2
#: A UTF-8 byte-order mark, ignored at the start of a tile list line.
BOM = b"\xef\xbb\xbf"
#: Longest tile-list line either reader accepts, bytes without its newline (two paths of
#: the system's longest, 4096 bytes, fit many times over); a longer one is an unreadable tile.
MAX_LINE_BYTES = 65536


class ImageBuffers:
    """Two image arrays (pre, post) a streaming reader fills again for every tile.

    A fresh 2 MiB array costs its page faults on every read (about 1 ms per image here); with
    these the flight loop reads into memory it already owns. The catch: the next tile read
    with the same buffers overwrites the previous tile's images, so only a caller that is
    done with a tile before reading the next (``quakesat run``, the benchmark) may use them.
    """

    def __init__(self) -> None:
        self._arrays: list[np.ndarray | None] = [None, None]

    def get(self, slot: int, shape: tuple[int, ...], dtype: np.dtype = TILE_DTYPE) -> np.ndarray:
        """The array of ``slot`` (0 pre, 1 post) with ``shape`` and ``dtype``, reused when it fits."""
        array = self._arrays[slot]
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self._arrays[slot] = np.empty(shape, dtype=dtype)
        return array


#: Longest header either reader accepts, bytes.
MAX_HEADER = 4096
_SPACES = r" *"
_HEADER_VALUES = {key: re.compile(pattern) for key, pattern in {
    "descr": r"'(?P<descr>[<>|=]?[A-Za-z][A-Za-z0-9]*)'",
    "fortran_order": r"(?P<fortran_order>True|False)",
    # Decimal integers as Python writes them: no leading zero (NumPy's own reader refuses "01").
    "shape": r"\((?P<shape> *(?:(?:0|[1-9][0-9]{0,8}) *, *){0,3}(?:(?:0|[1-9][0-9]{0,8}) *,? *)?)\)",
}.items()}
_HEADER_KEY = re.compile(_SPACES + r"'(descr|fortran_order|shape)'" + _SPACES + ":" + _SPACES)
_HEADER_COMMA = re.compile(_SPACES + "(,?)" + _SPACES)


def parse_npy_header(text: bytes) -> tuple[str, bool, tuple[int, ...]] | None:
    """(descr, fortran_order, shape) of a ``.npy`` header under the grammar of the module
    doc, or None when the header is outside it."""
    if any(b < 0x20 or b > 0x7E for b in text.rstrip(b" ").removesuffix(b"\n").rstrip(b" ")):
        return None
    body = text.decode("ascii", "replace").rstrip(" ").removesuffix("\n").rstrip(" ")
    if not (body.startswith("{") and body.endswith("}")):
        return None
    inner, at, found = body[1:-1], 0, {}
    while True:
        key = _HEADER_KEY.match(inner, at)
        if key is None or key.group(1) in found:
            break
        value = _HEADER_VALUES[key.group(1)].match(inner, key.end())
        if value is None:
            return None
        found[key.group(1)] = value.group(value.lastgroup or 1)
        comma = _HEADER_COMMA.match(inner, value.end())
        at = comma.end()
        if not comma.group(1):
            break
    if at != len(inner) or set(found) != set(_HEADER_VALUES):
        return None
    shape = tuple(int(part) for part in found["shape"].replace(" ", "").split(",") if part)
    return found["descr"], found["fortran_order"] == "True", shape


def _image_header(fh, path: str | Path, kind: str = AMPLITUDE) -> tuple[tuple[int, ...], int] | TileCheck:
    """(shape, bytes before the data) of an open image file of ``kind``, or the status that stops it."""
    magic = fh.read(8)
    if len(magic) != 8 or magic[:6] != b"\x93NUMPY" or magic[6] not in (1, 2, 3) or magic[7] != 0:
        return TileCheck(Status.UNREADABLE, f"{path}: not an .npy file of version 1.0, 2.0 or 3.0")
    size_bytes = 2 if magic[6] == 1 else 4
    raw = fh.read(size_bytes)
    length = int.from_bytes(raw, "little") if len(raw) == size_bytes else 0
    text = fh.read(length) if 0 < length <= MAX_HEADER else b""
    parsed = parse_npy_header(text) if len(text) == length and text else None
    if parsed is None:
        return TileCheck(Status.UNREADABLE, f"{path}: malformed .npy header (not what NumPy writes)")
    descr, fortran, shape = parsed
    dtype = COMPLEX_DTYPE if kind == SAME_TRACK else TILE_DTYPE
    if descr != dtype.str:
        return TileCheck(Status.BAD_DTYPE, f"{path}: dtype {descr}, expected {dtype.str}")
    if fortran:
        return TileCheck(Status.UNREADABLE, f"{path}: Fortran-ordered array; write it in C order")
    if kind == SAME_TRACK and (len(shape) != 2 or 0 in shape):
        return TileCheck(Status.BAD_SHAPE, f"{path}: shape {shape}, expected (H, W) complex")
    if kind != SAME_TRACK and (len(shape) != 3 or shape[2] != BANDS or 0 in shape):
        return TileCheck(Status.BAD_SHAPE, f"{path}: shape {shape}, expected (H, W, {BANDS})")
    return shape, 8 + size_bytes + length


def read_image(path: str | Path, buffers: ImageBuffers | None = None, slot: int = 0,
               side: int | None = None, kind: str = AMPLITUDE) -> tuple[np.ndarray | None, TileCheck]:
    """Read one image file under the contract above: (array, OK) or (None, the problem).

    Args:
        path: the file, used as written.
        buffers: the pixels go into ``buffers``' array of ``slot`` (:class:`ImageBuffers`).
        side: the model's tile side: any other shape is ``BAD_SHAPE`` before a pixel is read.
            None: any ``H x W x 2`` (``H x W`` complex; the input checks judge the side).
        kind: ``amplitude`` (``<f4``, ``H x W x 2``) or ``same_track`` (``<c8``, ``H x W``).

    No memory is taken for the pixels before the file is known to hold them."""
    dtype = COMPLEX_DTYPE if kind == SAME_TRACK else TILE_DTYPE
    try:
        with open_regular(path) as fh:
            header = _image_header(fh, path, kind)
            if isinstance(header, TileCheck):
                return None, header
            shape, offset = header
            count = math.prod(shape)
            size = os.fstat(fh.fileno()).st_size
            if size < offset + count * dtype.itemsize:
                return None, TileCheck(Status.UNREADABLE, f"{path}: {max(0, size - offset)} data bytes, the header "
                                                          f"promises {count * dtype.itemsize}")
            wanted = None if side is None else (side, side) if kind == SAME_TRACK else (side, side, BANDS)
            if wanted is not None and shape != wanted:
                return None, TileCheck(Status.BAD_SHAPE, f"{path}: shape {shape}, the model takes {wanted}")
            image = buffers.get(slot, shape, dtype) if buffers is not None else np.empty(shape, dtype=dtype)
            got = fh.readinto(memoryview(image).cast("B"))  # straight into the array: no extra copy
    except (OSError, ValueError, MemoryError) as err:
        return None, TileCheck(Status.UNREADABLE, f"{path}: {getattr(err, 'strerror', None) or err}")
    if got != count * dtype.itemsize:
        return None, TileCheck(Status.UNREADABLE, f"{path}: {got} data bytes, the header promises "
                                                  f"{count * dtype.itemsize}")
    return image, TileCheck(Status.OK)


def pair_tile(pre: str | Path, post: str | Path, georef: Georef, when: int, tile_id: int,
              buffers: ImageBuffers | None = None, side: int | None = None, kind: str = AMPLITUDE) -> Tile:
    """A tile of ``kind`` from two image files; the first reading problem (pre, then post) is
    its status. ``buffers``, ``side``, ``kind``: see :func:`read_image`. The tile carries its
    read time, which the per-tile budget counts (``Tile.read_s``)."""
    started = time.perf_counter()
    images, problem = [], None
    for slot, path in enumerate((pre, post)):
        image, check = read_image(path, buffers, slot, side, kind)
        images.append(image)
        if problem is None and check.status != Status.OK:
            problem = check
    return Tile(tile_id, when, images[0], images[1], georef, problem, time.perf_counter() - started, kind)


def _number(entry: dict, key: str, default: float | None = None) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{key} must be a number, got {value!r}")
    return float(value)


def _json_object(line: bytes) -> dict | None:
    """The JSON object of one list line, or None: invalid UTF-8, a NUL, anything that is not
    strict JSON with the manifest's limits, anything but one object (the C++ reader refuses the
    same lines)."""
    if b"\x00" in line:
        return None
    try:
        entry = parse_strict_json(line.removeprefix(BOM).decode("utf-8"))
    except (ValueError, UnicodeError):
        return None
    return entry if isinstance(entry, dict) else None


def _valid_tile_id(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 0 <= value <= 0xFFFF_FFFF


def tile_from_line(line: str | bytes, folder: str | Path, index: int, buffers: ImageBuffers | None = None,
                   side: int | None = None, model_kind: str = AMPLITUDE) -> Tile:
    """One list line as a tile. Strict types, the same as the C++ reader: ``tile_id`` an
    integer in 0..2**32-1, numbers for ``lat``/``lon``/``pixel_spacing_m``, strings for the
    paths (without a NUL), ``kind`` (optional) one of :data:`~quakesat.runtime.tile.TILE_KINDS`;
    ``time`` is passed as written and judged by the time check (``BAD_TIME``).

    A tile of ``model_kind`` (the kind the model takes) has its images read
    (:func:`pair_tile`); a tile of another kind is not read at all: it carries its kind, paths
    unopened, and the runtime answers it ``WRONG_KIND``.

    A line that is not one JSON object is ``UNREADABLE`` with the line's index as tile id
    and no time or place. A line that is an object but breaks a rule is ``UNREADABLE`` too,
    and keeps what it does say: its tile id if valid (else the index), its time, and its
    place if ``lat``/``lon``/``pixel_spacing_m`` are numbers. So the ground can tell which
    tile failed, and where."""
    raw = line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
    entry = _json_object(raw)
    if entry is None:
        return Tile(index, -1, None, None, None,
                    TileCheck(Status.UNREADABLE, f"tile list line {index + 1}: not one JSON object in UTF-8"))
    tile_id = entry.get("tile_id")
    when = entry.get("time", -1)
    try:
        georef: Georef | None = Georef(_number(entry, "lat"), _number(entry, "lon"),
                                       _number(entry, "pixel_spacing_m", DEFAULT_PIXEL_SPACING_M))
    except TypeError as err:
        georef, problem = None, f"{err}"
    else:
        problem = ""
    if not _valid_tile_id(tile_id):
        problem = f"tile_id must be an integer in 0..4294967295, got {tile_id!r}"
    elif "time" not in entry:
        problem = problem or "time is missing"
    elif not isinstance(entry.get("pre"), str) or not isinstance(entry.get("post"), str):
        problem = problem or "pre and post must be paths (strings)"
    elif "\x00" in entry["pre"] or "\x00" in entry["post"]:
        problem = problem or "pre and post must be paths without a NUL"  # it would open another file
    kind = entry.get("kind", AMPLITUDE)
    if not problem and (not isinstance(kind, str) or kind not in TILE_KINDS):
        problem = f"kind must be one of {list(TILE_KINDS)}, got {kind!r}"
    if problem:
        salvaged_id = tile_id if _valid_tile_id(tile_id) else index
        return Tile(salvaged_id, when, None, None, georef,
                    TileCheck(Status.UNREADABLE, f"tile list line {index + 1}: {problem}"))
    # Joined as strings, not pathlib: "a.npy/" must stay a path through a file, as in C++.
    pre, post = (os.path.join(os.fspath(folder), entry[key]) for key in ("pre", "post"))
    if kind != model_kind:  # not what the model takes: never read (the runtime answers WRONG_KIND)
        return Tile(tile_id, when, None, None, georef, kind=kind)
    return pair_tile(pre, post, georef, when, tile_id, buffers, side, kind)


def _lines(handle) -> Iterator[bytes | None]:
    """The list's lines without their ``\\n``, read one at a time; None for a line longer than
    :data:`MAX_LINE_BYTES` (its bytes are skipped, never held)."""
    while raw := handle.readline(MAX_LINE_BYTES + 2):
        if len(raw) <= MAX_LINE_BYTES or (len(raw) == MAX_LINE_BYTES + 1 and raw.endswith(b"\n")):
            yield raw.removesuffix(b"\n")
            continue
        while not raw.endswith(b"\n") and (raw := handle.readline(1 << 16)):
            pass
        yield None


def read_tile_list(path: str | Path, reuse_buffers: bool = False, side: int | None = None,
                   model_kind: str = AMPLITUDE) -> Iterator[tuple[Tile, float]]:
    """The tiles of a ``tiles.jsonl`` with their read time, in file order.

    Lines are split on ``\\n`` only (a ``\\r`` before it is JSON whitespace), each decoded
    on its own, so one bad line is one unreadable tile, never the file's end; lines of
    spaces, tabs and ``\\r`` only are skipped; a UTF-8 byte-order mark at a line's start
    is ignored; a line over :data:`MAX_LINE_BYTES` is an unreadable tile. ``reuse_buffers``:
    read every tile into the same two arrays (:class:`ImageBuffers`); ``side``: the model's
    tile side (:func:`read_image`); ``model_kind``: the tile kind it takes (lines of another
    kind are not read: :func:`tile_from_line`).

    Raises:
        OSError: the list itself cannot be opened (missing, not a regular file).
    """
    folder = os.path.dirname(os.fspath(path)) or "."
    buffers = ImageBuffers() if reuse_buffers else None
    index = 0
    with open_regular(path) as handle:  # streamed: memory does not grow with the list's length
        for line in _lines(handle):
            if line is not None and not line.strip(b" \t\r"):
                continue
            started = time.perf_counter()
            if line is None:
                tile = Tile(index, -1, None, None, None, TileCheck(
                    Status.UNREADABLE, f"tile list line {index + 1}: longer than {MAX_LINE_BYTES} bytes"))
            else:
                tile = tile_from_line(line, folder, index, buffers, side, model_kind)
            index += 1
            yield tile, time.perf_counter() - started


def write_tile_list(tiles: list[Tile], folder: str | Path, labels: Mapping[int, int] | None = None) -> Path:
    """Write tiles under the contract (``folder/tiles.jsonl`` and ``folder/tiles/*.npy``), for the
    C++ runner or any later ``quakesat run --tiles``; returns the list's path. Amplitude images
    are written as float32, same-track ones as complex64 (with ``"kind": "same_track"``); a tile
    without images (unreadable) is skipped. ``labels``: tile id → 1 (an earthquake) or 0, the
    truth where it is known, written as ``"label"`` (both readers ignore it; ``quakesat report``
    judges alerts by it)."""
    folder = Path(folder)
    (folder / "tiles").mkdir(parents=True, exist_ok=True)
    lines = []
    for tile in tiles:
        if tile.first is None or tile.second is None or tile.georef is None:
            continue
        entry = {"tile_id": int(tile.tile_id), "time": tile.time, "lat": tile.georef.center_lat,
                 "lon": tile.georef.center_lon, "pixel_spacing_m": tile.georef.pixel_spacing_m}
        dtype = COMPLEX_DTYPE if tile.kind == SAME_TRACK else TILE_DTYPE
        if tile.kind != AMPLITUDE:
            entry["kind"] = tile.kind
        if labels is not None and int(tile.tile_id) in labels:
            entry["label"] = int(labels[int(tile.tile_id)])
        for name, image in (("pre", tile.first), ("post", tile.second)):
            entry[name] = f"tiles/{tile.tile_id}_{name}.npy"
            np.save(folder / entry[name], np.ascontiguousarray(image, dtype=dtype))
        lines.append(json.dumps(entry))
    path = folder / "tiles.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path
