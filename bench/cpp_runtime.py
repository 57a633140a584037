"""The C++ runner under the benchmark: its own per-tile clock, its memory plan, its resident memory.

``quakesat-runner --timings FILE --repeat N`` times every tile from reading its ``.npy`` files
to its encoded message (the same span as the Python runtime's benchmark) and writes the stage
totals and the memory plan (planned buffers, method arena fitted at load, temp arena, program
file). The peak resident memory is the runner's own high-water mark (VmHWM). Gate off.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from pathlib import Path

from quakesat.bench.latency import LatencyStats, RunPolicy

ROOT = Path(__file__).resolve().parents[1]
#: Where scripts/build_native.sh puts the runner.
NATIVE_RUNNER = ROOT / "build" / "native" / "quakesat-runner"


def _run(command: list[str]) -> tuple[int, str]:
    """(exit status, stderr tail) of one child."""
    with tempfile.TemporaryFile() as err:
        code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=err, check=False).returncode
        err.seek(0)
        return code, err.read().decode(errors="replace")[-400:]


def bench_artifact(artifacts: Path, artifact: str, tiles: Path, policy: RunPolicy, threads: int = 1,
                   runner: Path = NATIVE_RUNNER, long_run: int = 0) -> dict:
    """Latency per stage and end to end of ``artifact`` in the C++ runner (a ``.pte``)."""
    if not runner.exists():
        return {"error": f"{runner} is not built (bash scripts/build_native.sh)"}
    count = sum(1 for line in tiles.read_text(encoding="utf-8").splitlines() if line.strip())
    with tempfile.TemporaryDirectory() as scratch:
        def once(repeat: int) -> tuple[dict | None, int, str]:
            timings = Path(scratch) / "timings.json"
            code, err = _run([str(runner), str(artifacts), str(tiles), "-o", str(Path(scratch) / "m.bin"),
                                    "--artifact", artifact, "--gate", "off", "--threads", str(threads),
                                    "--repeat", str(repeat), "--timings", str(timings)])
            if code != 0 or not timings.exists():
                return None, f"exit {code}: {err.strip()}"
            return json.loads(timings.read_text()), ""

        probe, err = once(1)
        if probe is None:
            return {"error": err}
        pass_seconds = max(sum(probe["tile_seconds"]), 1e-6)
        repeat = max(math.ceil((policy.min_runs + policy.warmup) / count),
                     math.ceil(policy.min_seconds / pass_seconds), 1)
        if long_run:
            repeat = max(repeat, math.ceil(long_run / count))
        data, err = once(min(repeat, max(policy.max_runs // count, 1)))
        if data is None:
            return {"error": err}
    seconds = data["tile_seconds"][policy.warmup:] or data["tile_seconds"]
    runs = len(data["tile_seconds"])
    result = {"artifact": artifact, "threads": threads, "latency": LatencyStats.from_seconds(seconds).as_dict(),
              "stage_ms": {stage: 1e3 * value["seconds"] / runs for stage, value in data["stages"].items()},
              "memory_plan": data["memory"], "rss_peak_bytes": data["rss"]["peak"]}
    if long_run:
        per_tile = data["tile_seconds"]
        tenth = max(len(per_tile) // 10, 1)
        first, last = sum(per_tile[:tenth]) / tenth, sum(per_tile[-tenth:]) / tenth
        rss = data["rss"]
        result["long_run"] = {"tiles": len(per_tile), "rss_before_bytes": rss["after_first_pass"],
                              "rss_after_bytes": rss["end"], "rss_growth_bytes": rss["end"] - rss["after_first_pass"],
                              "first_tenth_ms": 1e3 * first, "last_tenth_ms": 1e3 * last,
                              "throughput_drift": (first / last - 1.0) if last > 0 else 0.0}
    return result
