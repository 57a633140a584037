"""Silence third-party converters that print progress to stdout/stderr from C++ and Python.

onnxruntime's calibrators ``print`` histogram details; litert-torch prints progress lines
and its MLIR/absl layers write to file descriptor 2 directly. Export output should be the
one JSON line (and errors), so these run inside :func:`silenced`, which redirects the
process-level descriptors 1 and 2 to a temporary file and replays it only if the block
raises (so a converter's own error text is not lost).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Run a block with stdout/stderr (Python and file descriptors), logging and warnings muted."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    previous = logging.root.level
    with tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            logging.root.setLevel(logging.ERROR)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        except BaseException:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            sink.seek(0)
            sys.stderr.write(sink.read()[-4000:].decode("utf-8", "replace"))
            raise
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            logging.root.setLevel(previous)
