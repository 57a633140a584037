"""How the ``quakesat`` command line checks what it is given, and what it exits with.

Every mistake a user can make on the command line ends in one line on stderr, naming the
problem and the fix, and a documented exit status (README "Command line"):

====  ==============================================================================
0     success
1     the command ran and failed: an export or a backend failed, malformed messages
      in ``decode``, an unusable model under ``run --strict``, an unexpected error
2     usage or input error: a bad option or value, a missing or unwritable path, a
      file that is not what it should be, a missing optional dependency
3     ``export``: an artifact failed the fidelity gate (everything is still written)
130   interrupted (Ctrl-C); no half-written output file is left behind
141   stdout was closed early (``| head``); the command stops quietly
====  ==============================================================================

The argument types below check values when argparse reads them (ranges, paths), so a
command never starts on an input it will refuse later.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import NoReturn

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_GATE = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

#: Optional dependency (import name) → the extra that installs it.
EXTRAS = {
    "h5py": "data", "scipy": "data", "matplotlib": "data", "tqdm": "data",
    "torch": "train", "sklearn": "train", "joblib": "train",
    "onnx": "export", "onnxscript": "export", "skl2onnx": "export",
    "onnxruntime": "runtime", "ai_edge_litert": "runtime",
    "litert_torch": "tflite", "executorch": "pte", "torchao": "pte",
    "jinja2": "report", "dask": "archive", "distributed": "archive", "skyfield": "mission", "cryptography": "runtime",
}


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (``quakesat run: error: ...``), exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def missing_dependency(err: ModuleNotFoundError) -> str:
    """The one-line message for an optional dependency that is not installed."""
    top = (err.name or "").split(".")[0]
    extra = EXTRAS.get(top)
    fix = f"pip install 'quakesat[{extra}]'" if extra else "install it"
    return f"this command needs {top or 'a module that is not installed'} ({fix})"


# ─── value types ────────────────────────────────────────────────────────────────────────
def _number(text: str, kind: type) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def int_range(low: int, high: int | None = None) -> type:
    """An integer type accepting ``low..high`` (no upper bound when ``high`` is None)."""
    def parse(text: str) -> int:
        value = int(_number(text, int))
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{'' if high is None else high}")
        return value
    parse.__name__ = "integer"
    return parse  # type: ignore[return-value]


def float_range(low: float | None = None, high: float | None = None, low_open: bool = False) -> type:
    """A float type accepting ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    def parse(text: str) -> float:
        value = float(_number(text, float))
        if low is not None and (value <= low if low_open else value < low):
            raise argparse.ArgumentTypeError(f"{value} must be {'>' if low_open else '>='} {low}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{value} must be <= {high}")
        return value
    parse.__name__ = "number"
    return parse  # type: ignore[return-value]


POSITIVE = int_range(1)
NON_NEGATIVE = int_range(0)
SHARE = float_range(0.0, 1.0)


def existing_file(text: str) -> Path:
    """A path that must be an existing regular file."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; a file is expected")
    if not path.is_file():
        what = "not a regular file (a FIFO, device or socket is never read)" if path.exists() else "no such file"
        raise argparse.ArgumentTypeError(f"{text}: {what}")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text}: not readable")
    return path


def data_file(text: str) -> Path:
    """An ``earthquakes.h5`` that must exist; the error says how to get one."""
    if not Path(text).exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file; simulate one with `quakesat simulate --out {text}` "
                                         "or point at the published QuakeSet earthquakes.h5")
    return existing_file(text)


def existing_dir(text: str) -> Path:
    """A path that must be an existing directory."""
    path = Path(text)
    if path.is_file():
        raise argparse.ArgumentTypeError(f"{text} is a file; a directory is expected")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: no such directory")
    return path


def _writable_parent(path: Path, text: str) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {existing} (permission denied)")


def output_file(text: str) -> Path:
    """A file to write: not a directory, in a directory that exists or can be made and is writable."""
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; give a file name to write")
    if path.exists() and not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot overwrite (permission denied)")
    _writable_parent(path, text)
    return path


def output_dir(text: str) -> Path:
    """A folder to write into: not a file, existing and writable or creatable."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file; a directory is expected")
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            raise argparse.ArgumentTypeError(f"{text}: cannot write in it (permission denied)")
        return path
    _writable_parent(path, text)
    return path


def csv(text: str) -> tuple[str, ...]:
    """A comma-separated list (``onnx,pte``)."""
    return tuple(part.strip() for part in text.split(",") if part.strip())
