"""Latency statistics the way MLPerf's single-stream scenario asks for them: keep running until
both a minimum count and a minimum duration are reached, then report percentiles.

Numbers on a shared machine swing between runs, so the benchmark reports every latency beside
the seed-equivalent measured in the same run (:mod:`quakesat.bench.seed`), and the ratio is
the figure to read. Standard library only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RunPolicy:
    """How long to time something: at least ``min_runs`` runs *and* ``min_seconds`` seconds,
    after ``warmup`` untimed runs, never more than ``max_runs``."""

    min_runs: int = 50
    min_seconds: float = 2.0
    warmup: int = 3
    max_runs: int = 100_000

    def __post_init__(self) -> None:
        if self.min_runs < 1 or self.warmup < 0 or self.max_runs < self.min_runs or not self.min_seconds >= 0:
            raise ValueError(f"a run policy needs min_runs >= 1, warmup >= 0, max_runs >= min_runs and "
                             f"min_seconds >= 0, got {self}")


#: A short policy for the demo and smoke tests (the figures are noisier; the report says so).
QUICK = RunPolicy(min_runs=10, min_seconds=0.5, warmup=2)


@dataclass(frozen=True)
class LatencyStats:
    """Percentiles of a list of per-run seconds, in milliseconds, and the throughput."""

    runs: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    tiles_per_s: float

    @classmethod
    def from_seconds(cls, seconds: list[float]) -> LatencyStats:
        if not seconds:
            raise ValueError("no timed runs")
        ordered = sorted(seconds)
        total = sum(ordered)
        return cls(len(ordered), 1e3 * percentile(ordered, 50), 1e3 * percentile(ordered, 90),
                   1e3 * percentile(ordered, 99), 1e3 * total / len(ordered),
                   len(ordered) / total if total > 0 else math.inf)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def percentile(ordered: list[float], q: float) -> float:
    """The ``q``-th percentile of sorted values, by linear interpolation between ranks
    (numpy's default method)."""
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def time_calls(call: Callable[[int], object], policy: RunPolicy) -> list[float]:
    """Seconds of each timed ``call(i)`` (``i`` counts from 0, warm-up runs included)."""
    for i in range(policy.warmup):
        call(i)
    seconds: list[float] = []
    started = time.perf_counter()
    i = policy.warmup
    while len(seconds) < policy.max_runs and (len(seconds) < policy.min_runs
                                              or time.perf_counter() - started < policy.min_seconds):
        begin = time.perf_counter()
        call(i)
        seconds.append(time.perf_counter() - begin)
        i += 1
    return seconds
