"""The tensor arena a microcontroller interpreter (TensorFlow Lite Micro) needs for a ``.tflite`` model.

TFLite Micro does no dynamic allocation: the application hands the interpreter one fixed byte
buffer, the *tensor arena*, and ``AllocateTensors`` carves everything the model needs at run
time out of it — the activation (intermediate) tensors, planned so that tensors whose lifetimes
do not overlap share memory (the "head" of the arena), and the persistent part (the "tail"):
tensor and node structs, quantization parameters and the kernels' own buffers. Weights stay
in the flatbuffer (flash) and are not in the arena. On the board the arena is a static array
sized at build time, so the figure that matters is the smallest arena the model runs in.

How it is measured, with the ``tflite-micro`` package's Python interpreter (the TFLM C++
runtime with its reference kernels) on this machine:

1. *Interpreter-reported* (the default): one interpreter with a generous arena allocates and
   invokes the model on all-zero inputs, then its ``RecordingMicroAllocator`` prints the arena
   used (``print_allocations()``: "Arena allocation total N bytes", head plus tail). A fresh
   interpreter with exactly N bytes must then allocate and invoke too, or the figure is not
   taken. This is exact to the allocator's alignment (it was 8 bytes above the true minimum
   on the test models).
2. *Bisection* (``method="bisect"``, and the fallback when no figure is reported or it does
   not confirm): the smallest ``arena_size``, in whole KiB, with which a fresh interpreter
   allocates and invokes on zero inputs.

Every trial runs in its own Python subprocess: TFLM's Python wrapper can crash the process
(segfault) when the arena is far too small, and prints its allocation report from C to the
process's stderr. Sizes are for a 64-bit host build; a 32-bit MCU has smaller structs (the
tail shrinks, the head does not), so the figure is an upper bound for the board. A model with
an op TFLite Micro lacks (e.g. SIGN, ATAN2, the StableHLO sort that ``topk`` lowers to) gives
``available=False`` with the interpreter's op error in ``note``; nothing raises. The total
time is bounded by ``time_budget_s`` (a small model: well under a second per trial).

    python -m quakesat.bench.micro_arena model.tflite [--method bisect]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import importlib.util
import json
import math
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KIB = 1024
REPORTED = ("interpreter-reported arena used (TFLM RecordingMicroAllocator 'Arena allocation total' after "
            "allocate+invoke on zero inputs), confirmed by a fresh allocate+invoke with exactly that arena_size")
BISECTED = "smallest arena_size that allocates and invokes on zero inputs, by bisection to 1 KiB"

_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")
_MISSING_OP = re.compile(r"Didn't find op for builtin opcode '?([^'\s]+)'?"
                         r"|Failed to get registration from op code (\S+)"
                         r"|Didn't find op for custom opcode '?([^'\s]+)'?")
_TOO_SMALL = re.compile(r"missing: \d+|Failed to allocate|Failed to resize buffer|too small", re.IGNORECASE)
_RESULT = "@@micro_arena@@"

# The child: one fresh interpreter, zero inputs, invoke, optionally the allocation report.
_CHILD = f"""
import json, sys
path, size, report = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
def done(**result):
    sys.stderr.flush()
    print({_RESULT!r} + json.dumps(result), flush=True)
try:
    import numpy as np
    from tflite_micro import runtime
    interpreter = runtime.Interpreter.from_file(path, arena_size=size)
    inputs = 0
    while inputs < 256:
        try:
            details = interpreter.get_input_details(inputs)
        except IndexError:
            break
        interpreter.set_input(np.zeros(details["shape"], dtype=details["dtype"]), inputs)
        inputs += 1
    interpreter.invoke()
    if report:
        sys.stderr.flush()
        interpreter.print_allocations()
        sys.stderr.flush()
    done(ok=True, inputs=inputs)
except Exception as err:
    done(ok=False, error=f"{{type(err).__name__}}: {{err}}")
    sys.exit(1)
"""


@dataclass(frozen=True)
class MicroArena:
    """The tensor arena TFLite Micro needs for one model.

    Attributes:
        bytes_needed: the arena size in bytes, or None where it could not be measured.
        method: how it was measured (``REPORTED`` or ``BISECTED``), or "unavailable".
        note: the details: the figures seen, the tflite-micro version, the time taken, or why
            there is no figure ("unavailable: <reason>").
        available: True where ``bytes_needed`` is a measured figure.
    """

    bytes_needed: int | None
    method: str
    note: str
    available: bool

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Trial:
    """One fresh interpreter's allocate+invoke at one arena size, run in a subprocess."""

    arena_size: int
    ok: bool
    reported_total: int | None  # the allocator's "Arena allocation total", when asked for and printed
    error: str  # the interpreter's messages on failure ("" when ok)
    seconds: float

    @property
    def missing_op(self) -> str | None:
        """The op TFLM has no kernel for, when that is why it failed."""
        match = _MISSING_OP.search(self.error)
        return next((group for group in match.groups() if group), None) if match else None

    @property
    def arena_too_small(self) -> bool:
        return not self.ok and self.missing_op is None and bool(_TOO_SMALL.search(self.error))


def tflite_micro_version() -> str | None:
    """The installed tflite-micro version, or None when the package is missing."""
    if importlib.util.find_spec("tflite_micro") is None:
        return None
    try:
        return importlib.metadata.version("tflite-micro")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _unavailable(reason: str) -> MicroArena:
    return MicroArena(bytes_needed=None, method="unavailable", note=f"unavailable: {reason}", available=False)


def _summary(text: str, limit: int = 600) -> str:
    """The interpreter's own lines (no traceback frames), joined and capped."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith(("  ", "Traceback"))]
    lines = [line for line in lines if not line.startswith(("Input index", "[RecordingMicroAllocator]"))]
    joined = "; ".join(dict.fromkeys(lines))
    return joined if len(joined) <= limit else joined[:limit] + " ..."


def allocate_and_invoke(tflite_path: str | Path, arena_size: int, report: bool = False,
                        timeout_s: float = 60.0) -> Trial:
    """Run a fresh TFLM interpreter with ``arena_size`` bytes on zero inputs, in a subprocess.

    Never raises for the model's or the interpreter's faults: a crash, a timeout, an op TFLM
    lacks and a too small arena all come back as ``ok=False`` with the reason in ``error``.
    """
    start = time.perf_counter()
    timeout_s = max(timeout_s, 1.0)  # a trial always gets a second, even past the budget
    try:
        command = [sys.executable, "-c", _CHILD, str(tflite_path), str(int(arena_size)), "1" if report else "0"]
        run = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return Trial(arena_size, False, None, f"timed out after {timeout_s:.0f} s", time.perf_counter() - start)
    seconds = time.perf_counter() - start
    text = run.stderr + "\n" + run.stdout
    result: dict[str, Any] = {}
    for line in run.stdout.splitlines():
        if line.startswith(_RESULT):
            result = json.loads(line[len(_RESULT):])
    total = _TOTAL.search(text)
    reported = int(total.group(1)) if total else None
    if run.returncode == 0 and result.get("ok"):
        return Trial(arena_size, True, reported, "", seconds)
    error = _summary(run.stderr + "\n" + str(result.get("error", "")))
    if run.returncode < 0:
        error = f"interpreter crashed (signal {-run.returncode}); {error}".rstrip("; ")
    return Trial(arena_size, False, reported, error or f"exit status {run.returncode}", seconds)


def _bisect(path: Path, good: int, deadline: float, resolution: int) -> tuple[int, bool, int]:
    """Smallest multiple of ``resolution`` at most ``good`` (a size known to work) that
    allocates and invokes; (size, reached resolution before the deadline, trials run)."""
    lo, hi = 0, math.ceil(good / resolution)  # lo: known to fail (an empty arena), hi: known to work
    trials = 0
    while hi - lo > 1:
        left = deadline - time.perf_counter()
        if left <= 0:
            return hi * resolution, False, trials
        mid = (lo + hi) // 2
        trials += 1
        if allocate_and_invoke(path, mid * resolution, timeout_s=left).ok:
            hi = mid
        else:
            lo = mid
    return hi * resolution, True, trials


def measure_arena(tflite_path: str | Path, method: str = "reported", start_arena: int | None = None,
                  max_arena: int = 512 * KIB * KIB, time_budget_s: float = 60.0,
                  resolution: int = KIB) -> MicroArena:
    """The tensor arena TFLite Micro needs to allocate and invoke ``tflite_path``.

    Args:
        tflite_path: the ``.tflite`` model.
        method: "reported" (the interpreter's own figure, confirmed; bisection if it has none)
            or "bisect" (bisection only).
        start_arena: the first, generous arena to probe with; default max(1 MiB, 16 x the file
            size). Doubled while the arena is too small, up to ``max_arena``.
        max_arena: the largest arena tried.
        time_budget_s: the time all trials together may take; bisection stops there with the
            smallest size it has seen work (said in ``note``).
        resolution: the bisection step in bytes (1 KiB).

    Returns:
        A :class:`MicroArena`; ``available=False`` with the reason in ``note`` when tflite-micro
        is missing, the file is unreadable, an op is unsupported by TFLM or the time ran out.
    """
    if method not in ("reported", "bisect"):
        raise ValueError(f"method must be 'reported' or 'bisect', not {method!r}")
    version = tflite_micro_version()
    if version is None:
        return _unavailable("the tflite-micro package (import tflite_micro) is not installed; "
                            "pip install --pre tflite-micro")
    path = Path(tflite_path)
    if not path.is_file():
        return _unavailable(f"no such model file: {path}")
    begin = time.perf_counter()
    deadline = begin + time_budget_s
    size = start_arena or max(KIB * KIB, 16 * path.stat().st_size)
    size = math.ceil(size / resolution) * resolution
    while True:
        probe = allocate_and_invoke(path, size, report=True, timeout_s=deadline - time.perf_counter())
        if probe.ok:
            break
        if probe.missing_op:
            return _unavailable(f"op {probe.missing_op} is not supported by TFLite Micro "
                                f"(tflite-micro {version}): {probe.error}")
        if not probe.arena_too_small:
            return _unavailable(f"TFLite Micro (tflite-micro {version}) cannot run the model: {probe.error}")
        if size >= max_arena:
            return _unavailable(f"the model does not fit an arena of {max_arena} bytes: {probe.error}")
        size = min(2 * size, max_arena)

    reported = probe.reported_total
    details = [f"tflite-micro {version}", f"probe arena {size} B"]
    if method == "reported" and reported is not None:
        details.append(f"reported total {reported} B")
        confirm = allocate_and_invoke(path, reported, timeout_s=deadline - time.perf_counter())
        if confirm.ok:
            details.append(f"{time.perf_counter() - begin:.2f} s")
            return MicroArena(bytes_needed=reported, method=REPORTED, note="; ".join(details), available=True)
        details.append(f"a fresh interpreter with the reported {reported} B failed ({confirm.error}), so bisected")
    elif method == "reported":
        details.append("the interpreter printed no arena total, so bisected")
    elif reported is not None:
        details.append(f"reported total {reported} B")
    needed, converged, trials = _bisect(path, size, deadline, resolution)
    details.append(f"{trials} bisection trials")
    if not converged:
        details.append(f"stopped at the {time_budget_s:g} s budget: {needed} B works, the 1 KiB minimum is lower")
    details.append(f"{time.perf_counter() - begin:.2f} s")
    return MicroArena(bytes_needed=needed, method=BISECTED, note="; ".join(details), available=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path, help=".tflite files")
    parser.add_argument("--method", choices=("reported", "bisect"), default="reported")
    parser.add_argument("--time-budget", type=float, default=60.0, help="seconds per model")
    args = parser.parse_args(argv)
    for model in args.models:
        arena = measure_arena(model, method=args.method, time_budget_s=args.time_budget)
        print(json.dumps({"model": str(model), **arena.as_dict()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
