"""The Python flight runtime under the benchmark: one artifact, one process, every stage timed.

Run by :mod:`quakesat.bench.suite` in a child process per artifact (``python -m
quakesat.bench.python_runtime SPEC_JSON``), so that each artifact's peak resident memory is
its own and imports of one backend do not count against another. A tile is timed from reading
its two ``.npy`` files to its encoded message (the C++ runner is timed over the same span),
with the change gate off so that every tile runs the whole pipeline. Prints one JSON object.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from quakesat.bench.latency import LatencyStats, RunPolicy, time_calls


def peak_resident_bytes() -> int:
    """This process's own peak resident memory (VmHWM): ``getrusage``'s ``ru_maxrss`` would
    carry over the parent's peak across fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _resident_bytes() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    import os

    return pages * os.sysconf("SC_PAGE_SIZE")


def bench_artifact(artifacts: str, artifact: str, tiles: str, policy: RunPolicy, threads: int = 1,
                   long_run: int = 0) -> dict:
    """Latency per stage and end to end of ``artifact``; with ``long_run`` > 0, also that many
    tiles in one go: resident memory growth and throughput drift (first tenth against last)."""
    from quakesat.runtime.flight import STAGES, FlightRuntime, RuntimeConfig
    from quakesat.runtime.tile_file import ImageBuffers, tile_from_line

    path = Path(tiles)
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"{tiles} lists no tiles")
    runtime = FlightRuntime.open(artifacts, artifact, RuntimeConfig(gate="off", threads=threads))
    if runtime.fault is not None:
        return {"error": f"{runtime.fault.status.code_name}: {runtime.fault.detail}"}
    stages = {stage: 0.0 for stage in ("read", *STAGES)}
    buffers = ImageBuffers()  # as quakesat run --tiles reads: into the same two arrays

    def one(i: int) -> None:
        started = time.perf_counter()
        tile = tile_from_line(lines[i % len(lines)], path.parent, i % len(lines), buffers,
                              model_kind=runtime.input_kind)
        stages["read"] += time.perf_counter() - started
        outcome = runtime.process(tile)
        for stage, seconds in outcome.seconds.items():
            stages[stage] += seconds
        if len(runtime.queue) > 512:
            runtime.queue.pop()

    seconds = time_calls(one, policy)
    warm = policy.warmup
    for stage in stages:  # the warm-up runs are not in the per-stage means either
        stages[stage] *= len(seconds) / (len(seconds) + warm)
    result = {"artifact": artifact, "threads": threads, "latency": LatencyStats.from_seconds(seconds).as_dict(),
              "stage_ms": {stage: 1e3 * total / len(seconds) for stage, total in stages.items()},
              "rss_peak_bytes": peak_resident_bytes()}
    result["batching"] = _batching(runtime, policy)
    if long_run > 0:
        rss_before = _resident_bytes()
        per_tile = []
        for i in range(long_run):
            started = time.perf_counter()
            one(i)
            per_tile.append(time.perf_counter() - started)
        result["long_run"] = _long_run(per_tile, rss_before, _resident_bytes())
    return result


def _batching(runtime, policy: RunPolicy) -> dict:
    """Inference alone, per tile, at batch 1 and batch 4 (random preprocessed input): whether
    batching tiles pays for this backend. ONNX Runtime takes a batch in one call; the other
    backends run batch 1 per invocation, so for them the figure shows the loop."""
    import numpy as np

    shape = tuple(runtime.model.manifest.input.tile_shape)
    out = {}
    for batch in (1, 4):
        x = np.random.default_rng(0).normal(size=(batch, *shape)).astype(np.float32)
        seconds = time_calls(lambda _, x=x: runtime.model.heads(x), RunPolicy(min_runs=max(policy.min_runs // batch, 3),
                                                                          min_seconds=policy.min_seconds / 2,
                                                                          warmup=policy.warmup))
        out[f"batch_{batch}_ms_per_tile"] = LatencyStats.from_seconds(seconds).p50_ms / batch
    return out


def _long_run(per_tile: list[float], rss_before: int, rss_after: int) -> dict:
    tenth = max(len(per_tile) // 10, 1)
    first, last = sum(per_tile[:tenth]) / tenth, sum(per_tile[-tenth:]) / tenth
    return {"tiles": len(per_tile), "rss_before_bytes": rss_before, "rss_after_bytes": rss_after,
            "rss_growth_bytes": rss_after - rss_before, "first_tenth_ms": 1e3 * first, "last_tenth_ms": 1e3 * last,
            "throughput_drift": (first / last - 1.0) if last > 0 else 0.0}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    policy = RunPolicy(**spec.pop("policy"))
    if spec.pop("seed", False):  # the seed-equivalent, in a process of its own too
        from quakesat.bench.seed import measure_seed

        result = measure_seed(policy, spec.get("threads", 1)).as_dict()
        result["rss_peak_bytes"] = peak_resident_bytes()
    else:
        result = bench_artifact(policy=policy, **spec)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
