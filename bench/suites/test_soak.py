"""Soak: 10,500 tiles through one Python flight runtime, contacts draining the queue, and
resident memory after warm-up must not grow (the issue's budget: < 1 MB). The tiny model
keeps it to seconds; what could grow (queue, timings, logs, buffers) is the runtime's own,
whatever the network.

Run: ``pytest bench/suites/test_soak.py --benchmark-only``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("pytest_benchmark")

from quakesat.runtime.flight import FlightRuntime, RuntimeConfig  # noqa: E402
from quakesat.runtime.tile import Georef, Tile  # noqa: E402

TINY = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "tiny_model"
TILES, WARM_UP = 10_500, 1_000
#: Resident-memory growth allowed after warm-up.
GROWTH_BUDGET_MB = 1.0


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def test_a_long_pass_keeps_memory_flat(benchmark) -> None:
    rng = np.random.default_rng(0)
    first, second = (rng.gamma(1.0, 0.05, (64, 64, 2)).astype(np.float32) for _ in range(2))
    runtime = FlightRuntime.open(TINY, config=RuntimeConfig(health_every=100, queue_capacity=256))
    marks: dict[str, float] = {}

    def soak() -> None:
        for k in range(TILES):
            runtime.process(Tile(k, 1_700_000_000 + k, first, second, Georef(10.0, 20.0)))
            if k % 64 == 63:
                runtime.drain()  # a contact
            if k == WARM_UP:
                marks["warm"] = _rss_mb()
        marks["end"] = _rss_mb()

    benchmark.pedantic(soak, rounds=1, iterations=1)
    growth = marks["end"] - marks["warm"]
    benchmark.extra_info.update({"rss_warm_mb": round(marks["warm"], 2), "rss_end_mb": round(marks["end"], 2),
                                 "growth_mb": round(growth, 3), "tiles": TILES})
    assert growth < GROWTH_BUDGET_MB, f"RSS grew {growth:.2f} MB over {TILES - WARM_UP} tiles"
