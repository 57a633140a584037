"""Output files written whole or not at all.

Every file a command writes goes through :func:`atomic_output`: the content is written to a
temporary file beside the target and renamed over it only when the block finishes, so an
error or a Ctrl-C (``KeyboardInterrupt``) leaves the previous file, or none, never half of a
new one. ``os.replace`` is atomic on POSIX file systems when both paths are on the same one,
which a sibling temporary file guarantees. Standard library only.

A Ctrl-C is also *remembered* (:func:`interrupt_handler`, which the CLI installs): Python
delivers it as a ``KeyboardInterrupt`` at whatever bytecode runs next, and some places lose
it there — numpy clears errors raised while it probes an operand's special attributes (an
``IntEnum`` member's class ``__getattr__`` runs Python code), and exceptions in weakref
callbacks are only printed. So the long loops check :func:`raise_if_interrupted` between
items, and :func:`atomic_output` will not rename a file over its target after a Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

_INTERRUPTED = threading.Event()


def interrupt_handler(signum: int, frame: FrameType | None) -> None:
    """A SIGINT handler: remember the interrupt, then raise ``KeyboardInterrupt`` as Python does."""
    del signum, frame
    _INTERRUPTED.set()
    raise KeyboardInterrupt


def clear_interrupt() -> None:
    """Forget an earlier interrupt (a new command starts)."""
    _INTERRUPTED.clear()


def raise_if_interrupted() -> None:
    """Raise ``KeyboardInterrupt`` if a Ctrl-C arrived, even one that was swallowed on its way."""
    if _INTERRUPTED.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    The temporary file is removed if the block raises (any exception, KeyboardInterrupt
    included). The parent folder must exist.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        raise_if_interrupted()
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all."""
    with atomic_output(path) as temporary:
        temporary.write_bytes(data)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all."""
    with atomic_output(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
