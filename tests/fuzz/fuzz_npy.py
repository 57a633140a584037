"""Fuzz the ``.npy`` tile image reader (:mod:`quakesat.runtime.tile_file`) with atheris.

    python tests/fuzz/fuzz_npy.py tests/fuzz/corpus/npy -max_total_time=20

An input is a whole image file. The contract checked (a violation raises, which is a crash):

- :func:`~quakesat.runtime.tile_file.parse_npy_header`, given the input as header text,
  never raises, and gives None or ``(descr, fortran_order, shape)`` of the grammar: a
  ``str``, a ``bool``, up to four integers of at most 9 digits;
- :func:`~quakesat.runtime.tile_file.read_image`, given the input as a file, never raises;
  it gives ``(array, OK)`` or ``(None, UNREADABLE | BAD_DTYPE | BAD_SHAPE)`` with a
  message. An image it reads is a C-ordered ``H x W x 2`` ``<f4`` array whose bytes are
  the file's bytes right after the header (the length field says where), and NumPy's own
  reader loads the same array from the file: the grammar is never looser than NumPy;
- reading into :class:`~quakesat.runtime.tile_file.ImageBuffers` gives the same outcome.

Importable without atheris (``tests/fuzz/test_fuzz_regressions.py`` replays the corpus
through :func:`TestOneInput`); only a run as a script instruments and fuzzes.
"""

from __future__ import annotations

import atexit
import contextlib
import io
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
    from quakesat.runtime.tile_file import TILE_DTYPE, ImageBuffers, parse_npy_header, read_image

#: What a read may end in.
OUTCOMES = {Status.OK, Status.UNREADABLE, Status.BAD_DTYPE, Status.BAD_SHAPE}
_folder: Path | None = None


def _scratch() -> Path:
    """The one file every input is written to (a folder made once per process)."""
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="quakesat-fuzz-npy-"))
        atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    return _folder / "image.npy"


def _check_header(text: bytes) -> None:
    parsed = parse_npy_header(text)
    if parsed is None:
        return
    descr, fortran, shape = parsed
    assert isinstance(descr, str) and isinstance(fortran, bool), f"header parsed as {parsed!r}"
    assert isinstance(shape, tuple) and len(shape) <= 4, f"shape {shape!r}"
    assert all(type(n) is int and 0 <= n <= 999_999_999 for n in shape), f"shape {shape!r}"


def _data_offset(data: bytes) -> int:
    """Where the pixels start: after the magic, the version, the length field and the header."""
    size = 2 if data[6] == 1 else 4
    return 8 + size + int.from_bytes(data[8:8 + size], "little")


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name libFuzzer and atheris use)
    """Check the image reader's contract on one input file (see the module doc)."""
    _check_header(data)
    path = _scratch()
    path.write_bytes(data)
    image, check = read_image(path)
    assert check.status in OUTCOMES, f"status {check.status!r}"
    if check.status != Status.OK:
        assert image is None, f"{check.status.name} with an image"
        assert check.detail, f"{check.status.name} without a detail"
    else:
        assert isinstance(image, np.ndarray) and image.dtype == TILE_DTYPE, f"read {image!r}"
        assert image.ndim == 3 and image.shape[2] == 2 and 0 not in image.shape, f"shape {image.shape}"
        assert image.flags.c_contiguous, "not C-ordered"
        start = _data_offset(data)
        assert image.tobytes() == data[start:start + image.nbytes], "pixels are not the bytes after the header"
        theirs = np.load(io.BytesIO(data), allow_pickle=False)
        assert theirs.dtype == image.dtype and theirs.shape == image.shape, f"NumPy reads {theirs.dtype} {theirs.shape}"
        assert theirs.tobytes() == image.tobytes(), "NumPy reads other pixels"
    buffers = ImageBuffers()
    for slot in (1, 1):  # a fresh buffer, then the same buffer again
        again, second = read_image(path, buffers, slot)
        assert second.status == check.status, f"with buffers {second.status.name}, without {check.status.name}"
        assert (again is None) == (image is None), "with buffers, another outcome"
        if image is not None:
            assert again.tobytes() == image.tobytes(), "with buffers, other pixels"


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if FUZZING:
    main()
