"""One timing helper for every "milliseconds per tile" the kit reports outside bench/.

Model inference only, batch 1 as on board, after one untimed warm-up call; the median of
:data:`TIMED_TILES` calls. Used by ``quakesat evaluate``, ``quakesat results`` and the
exporter's latency column, so their numbers are comparable within one run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

#: Tiles timed one by one (batch 1, as on board) after one warm-up call.
TIMED_TILES = 16


def median_ms_per_tile(run: Callable[[Any], Any], inputs: Sequence[Any]) -> float:
    """Median wall time (ms) of ``run`` over the first :data:`TIMED_TILES` inputs, after one
    untimed warm-up call on the first input."""
    inputs = list(inputs[:TIMED_TILES])
    run(inputs[0])
    times = []
    for item in inputs:
        start = time.perf_counter()
        run(item)
        times.append(time.perf_counter() - start)
    return round(1000 * float(np.median(times)), 3)
