"""The one rule for opening a file that comes from outside: regular files only, size checked first.

Every file the flight runtime reads (tile images, tile lists, manifests, signatures, keys,
artifacts, rule files) is opened here, and the C++ runner applies the same rule
(``cpp_runner/src/regular_file.cpp``):

1. the path is used exactly as written: no normalisation, so ``a.npy/`` or ``a.npy/.``
   names no file (the operating system answers "not a directory"), as in C++;
2. it is opened non-blocking, so a FIFO or a device cannot stall the open;
3. what was opened must be a regular file (``fstat``), not a FIFO, socket, device or
   directory — whatever a symbolic link points to is judged, not the link;
4. its size must be within the caller's bound *before* a byte is read, so a file that
   claims or holds more than the reader can take costs nothing;
5. then reads block as usual (regular files do not hang on a local file system).

Standard library only.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

#: Flags of every open: read only, non-blocking (a FIFO's open returns at once), no
#: controlling terminal, not inherited by child processes.
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


class RefusedFile(OSError):
    """A file the rule refuses; ``filename`` names it and ``strerror`` says why."""

    def __init__(self, detail: str, filename: str | None = None) -> None:
        super().__init__(errno.EINVAL, detail, filename)

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}" if self.filename else str(self.strerror)


class NotARegularFile(RefusedFile):
    """The path names a FIFO, socket, device or directory: nothing the runtime reads."""


class FileTooLarge(RefusedFile):
    """The file holds more bytes than the reader accepts."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path: str | Path, max_bytes: int | None = None) -> BinaryIO:
    """Open ``path`` for binary reading under the rule of the module doc.

    Args:
        path: the path, used as written (a ``str`` keeps a trailing ``/``).
        max_bytes: the largest size accepted; None: any size.

    Returns:
        An open, blocking, binary file object (the caller closes it).

    Raises:
        NotARegularFile: a FIFO, socket, device or directory.
        FileTooLarge: larger than ``max_bytes``.
        OSError: it cannot be opened (missing, a path through a file, no permission...).
    """
    name = os.fspath(path)
    fd = os.open(name, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(f"{_kind(info.st_mode)}, not a regular file", name)
        if max_bytes is not None and info.st_size > max_bytes:
            raise FileTooLarge(f"{info.st_size} bytes, more than the {max_bytes} accepted", name)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | Path, max_bytes: int) -> bytes:
    """The whole content of a regular file of at most ``max_bytes`` (see :func:`open_regular`).

    Raises:
        NotARegularFile, FileTooLarge, OSError: as :func:`open_regular`; FileTooLarge also when
            the file grew past the bound while it was read.
    """
    with open_regular(path, max_bytes) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(f"more than the {max_bytes} bytes accepted", os.fspath(path))
    return data
