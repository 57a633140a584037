"""Fuzz the tile list reader (:func:`quakesat.runtime.tile_file.read_tile_list`) with atheris.

    python tests/fuzz/fuzz_tile_list.py tests/fuzz/corpus/tile_list -max_total_time=20

An input is a whole ``tiles.jsonl``, read from a folder that also holds ``a.npy`` (a good
8 x 8 x 2 image, the one the seeds name) and ``b.npy`` (a float64 one, ``BAD_DTYPE``). The
contract checked (a violation raises, which is a crash):

- reading never raises, and gives one tile per line that is not blank (blank: spaces, tabs
  and ``\\r`` only), in order, each with a read time;
- every tile has a tile id in 0..2**32-1 and a kind of ``TILE_KINDS``; a tile without a read
  problem has a place of finite numbers and, if of kind ``amplitude``, both images (``H x W x 2``
  ``<f4``), else none (a same-track tile's files are not read); a tile with one has a status of
  the reader (``UNREADABLE``, ``BAD_DTYPE``, ``BAD_SHAPE``) and a detail;
- a line that is not even loose JSON (Python's own ``json``, which takes ``NaN``) or not an
  object is ``UNREADABLE`` with the line's index as its id, no time and no place;
- a line whose object holds a valid ``tile_id`` keeps it, and one holding ``time`` keeps it,
  whatever else is wrong with the line (the salvage the ground relies on).

Importable without atheris (``tests/fuzz/test_fuzz_regressions.py`` replays the corpus
through :func:`TestOneInput`); only a run as a script instruments and fuzzes.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

FUZZING = __name__ == "__main__"
if FUZZING:
    import atheris

with atheris.instrument_imports(include=["quakesat"]) if FUZZING else contextlib.nullcontext():
    from quakesat.runtime.status import Status
    from quakesat.runtime.tile import AMPLITUDE, TILE_KINDS
    from quakesat.runtime.tile_file import BOM, MAX_LINE_BYTES, TILE_DTYPE, read_tile_list

#: Statuses the reader itself gives (the input checks come later).
READ_PROBLEMS = {Status.UNREADABLE, Status.BAD_DTYPE, Status.BAD_SHAPE}
TILE_ID_MAX = 0xFFFF_FFFF
_folder: Path | None = None


def _scratch() -> Path:
    """The list file every input is written to, beside its two images (made once per process)."""
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="quakesat-fuzz-list-"))
        atexit.register(shutil.rmtree, _folder, ignore_errors=True)
        pixels = np.arange(8 * 8 * 2, dtype=TILE_DTYPE).reshape(8, 8, 2) / np.float32(100)
        np.save(_folder / "a.npy", pixels)
        np.save(_folder / "b.npy", pixels.astype("<f8"))
    return _folder / "tiles.jsonl"


def _loose(line: bytes) -> object:
    """The line as Python's own (looser) JSON reads it, or ``ValueError`` where even that fails."""
    try:
        return json.loads(line.removeprefix(BOM).decode("utf-8"))
    except (ValueError, RecursionError) as err:
        return ValueError(str(err))


def _is_tile_id(value: object) -> bool:
    return type(value) is int and 0 <= value <= TILE_ID_MAX


def _check_tile(tile: object, line: bytes, index: int) -> None:
    assert _is_tile_id(tile.tile_id), f"line {index}: tile id {tile.tile_id!r}"
    check = tile.read_check
    assert tile.kind in TILE_KINDS, f"line {index}: kind {tile.kind!r}"
    if check is None and tile.kind != AMPLITUDE:  # a same-track tile: its files are not read
        assert tile.first is None and tile.second is None, f"line {index}: a {tile.kind} tile read as images"
    if check is None:
        for image in (tile.first, tile.second) if tile.kind == AMPLITUDE else ():
            assert isinstance(image, np.ndarray) and image.dtype == TILE_DTYPE, f"line {index}: image {image!r}"
            assert image.ndim == 3 and image.shape[2] == 2, f"line {index}: image shape {image.shape}"
        georef = tile.georef
        assert georef is not None, f"line {index}: a read tile without a place"
        place = (georef.center_lat, georef.center_lon, georef.pixel_spacing_m)
        assert all(type(v) is float and math.isfinite(v) for v in place), f"line {index}: place {place}"
    else:
        assert check.status in READ_PROBLEMS, f"line {index}: status {check.status!r}"
        assert check.detail, f"line {index}: {check.status.name} without a detail"
    loose = _loose(line)
    if not isinstance(loose, dict):
        assert check is not None and check.status == Status.UNREADABLE, f"line {index}: not an object, read"
        assert (tile.tile_id, tile.time, tile.georef) == (index, -1, None), f"line {index}: salvaged {tile!r}"
        return
    if not _is_tile_id(loose.get("tile_id")):
        assert tile.tile_id == index, f"line {index}: tile id {tile.tile_id}, the line has none valid"
    if "time" not in loose:
        assert tile.time == -1, f"line {index}: time {tile.time!r}, the line has none"
    if tile.tile_id != index or tile.time != -1:  # read as an object (strictly): what it says is kept
        if _is_tile_id(loose.get("tile_id")):
            assert tile.tile_id == loose["tile_id"], f"line {index}: tile id {tile.tile_id}, says {loose['tile_id']}"
        if "time" in loose:
            assert tile.time == loose["time"], f"line {index}: time {tile.time!r}, says {loose['time']!r}"


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name libFuzzer and atheris use)
    """Check the tile list reader's contract on one list file (see the module doc)."""
    path = _scratch()
    path.write_bytes(data)
    reuse = len(data) % 2 == 1  # both ways of reading, chosen by the input
    tiles = list(read_tile_list(path, reuse_buffers=reuse))
    lines = [line for line in data.split(b"\n") if line.strip(b" \t\r") or len(line) > MAX_LINE_BYTES]
    assert len(tiles) == len(lines), f"{len(tiles)} tiles from {len(lines)} lines"
    for index, ((tile, seconds), line) in enumerate(zip(tiles, lines)):
        assert isinstance(seconds, float) and seconds >= 0.0, f"line {index}: read time {seconds!r}"
        _check_tile(tile, line, index)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if FUZZING:
    main()
