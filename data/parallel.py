"""Process-parallel map for the CPU-bound data stages (simulation, preprocessing).

Results come back in input order, so whatever is built from them does not depend on the
worker count. Workers are forked where the platform allows (the QuakeSet reader reopens its
file in a forked child), else spawned.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from quakesat.files import raise_if_interrupted

Item = TypeVar("Item")
Result = TypeVar("Result")

#: The start of JAX's warning on ``os.fork()`` (a regular expression, as ``warnings`` takes it).
JAX_FORK_WARNING = r"os\.fork\(\) was called\. os\.fork\(\) is incompatible with multithreaded code, and JAX"
#: Upper bound of :func:`default_workers` (beyond it the HDF5 writer/reader is the bottleneck).
MAX_DEFAULT_WORKERS = 16


def default_workers() -> int:
    """The CPUs this process may run on, at most :data:`MAX_DEFAULT_WORKERS`."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cpus))


def ordered_map(function: Callable[[Item], Result], items: Iterable[Item], workers: int | None = None,
                chunksize: int = 1) -> Iterator[Result]:
    """``map(function, items)`` over ``workers`` processes (None: :func:`default_workers`;
    1, or fewer than two items: in this process), yielding results in input order.

    ``function`` must be picklable (a module-level function or a bound method of a
    picklable object) where workers are spawned.
    """
    items = list(items)
    workers = default_workers() if workers is None else max(1, int(workers))
    if workers == 1 or len(items) < 2:
        yield from _checked(map(function, items))
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with warnings.catch_warnings():
        # Once JAX is up in this process (litert-torch, the TFLite converter, runs on it), its
        # fork hook warns "os.fork() was called. os.fork() is incompatible with multithreaded
        # code, and JAX is multithreaded, so this will likely lead to a deadlock." on every
        # fork. The workers forked here never call JAX, so for them it is noise: that message
        # only, while the pool forks its workers.
        warnings.filterwarnings("ignore", message=JAX_FORK_WARNING, category=RuntimeWarning)
        pool = multiprocessing.get_context(method).Pool(min(workers, len(items)))
    with pool:
        yield from _checked(pool.imap(function, items, chunksize=chunksize))


def _checked(results: Iterator[Result]) -> Iterator[Result]:
    """``results``, stopping with ``KeyboardInterrupt`` after a Ctrl-C that numpy or a callback
    swallowed on its way (:func:`quakesat.files.raise_if_interrupted`)."""
    for result in results:
        raise_if_interrupted()
        yield result
