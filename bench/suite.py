"""``quakesat bench``: every artifact of an export folder in both runtimes, in one run, as ratios
to the seed-equivalent measured in the same run (docs/benchmarks.md).

For each artifact the Python flight runtime runs (onnx, tflite, rule; each in its own child
process) and, for ``.pte`` programs, the C++ runner: latency per stage and end to end (p50,
p90, p99 under a :class:`~quakesat.bench.latency.RunPolicy`), throughput, peak resident memory,
the C++ memory plan, the arena a microcontroller interpreter needs for each ``.tflite``
(:mod:`quakesat.bench.micro_arena`), model bytes, MACs and parameters (from the manifest's graph
facts), instructions per tile on x86-64 and aarch64 cores (:mod:`quakesat.bench.instruction_counts`),
energy per tile as a labelled estimate (:mod:`quakesat.bench.energy`), a long run (RSS growth,
throughput drift), and threads 1 vs 2. ``bench.json`` is the typed record of
:mod:`quakesat.bench.record`, version :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from quakesat.bench import cpp_runtime, energy
from quakesat.bench.latency import RunPolicy
from quakesat.bench.record import FORMAT as BENCH_FORMAT
from quakesat.bench.record import VERSION

#: Bumped when a field of bench.json changes meaning (its typed record: bench/record.py).
SCHEMA_VERSION = VERSION
#: Sentinel-1 IW: about 67 tiles of 512 x 512 (10 m) per second of acquisition (issue figure:
#: a 250 km swath at ~7 km/s ground speed is ~175 km^2/s; a tile is 26 km^2).
SENSOR_TILES_PER_S = 67.0
#: The issue's targets for the flight path (docs/benchmarks.md): measured, never assumed.
TARGETS = {"cpp_speedup": 50.0, "python_speedup": 25.0, "a53_instructions": 30e6, "cpp_peak_rss_bytes": 24 * 2**20}
#: Formats the Python flight runtime runs.
PYTHON_FORMATS = ("onnx", "tflite", "rule")


@dataclass(frozen=True)
class BenchConfig:
    """What to measure. ``tiles`` None: speckle pairs of the manifest's tile side are made."""

    artifacts: Path
    out: Path
    tiles: Path | None = None
    policy: RunPolicy = RunPolicy()
    threads: tuple[int, ...] = (1, 2)
    long_run: int = 10_000
    instructions: bool = True
    cpus: tuple[str, ...] = ("cortex-a53", "cortex-a72", "neoverse-n1")
    micro_arena: bool = True
    seed: bool = True
    artifact_names: tuple[str, ...] = ()  # empty: every artifact
    extra: dict = field(default_factory=dict)


def speckle_tiles(folder: Path, side: int, count: int = 8, seed: int = 0, kind: str = "amplitude") -> Path:
    """A tile list of ``count`` random speckle pairs (gamma-distributed linear sigma0 around
    -12 dB VV and -19 dB VH; for ``kind="same_track"``, circular Gaussian complex speckle whose
    post image is the pre image plus 30 % independent speckle, coherent enough to be formed
    and judged): latency does not depend on what the tiles show."""
    from quakesat.runtime.tile import SAME_TRACK, Georef, Tile
    from quakesat.runtime.tile_file import write_tile_list

    rng = np.random.default_rng(seed)
    if kind == SAME_TRACK:
        def speckle() -> np.ndarray:
            return (rng.normal(size=(side, side)) + 1j * rng.normal(size=(side, side))) * np.sqrt(0.05)

        pairs = []
        for _ in range(count):
            pre = speckle()
            pairs.append((pre.astype(np.complex64), (pre + 0.3 * speckle()).astype(np.complex64)))
        return write_tile_list([Tile(i, 1_700_000_000 + i, pre, post, Georef(38.0, 37.0, 80.0), kind=SAME_TRACK)
                                for i, (pre, post) in enumerate(pairs)], folder)
    mean = np.array([10 ** -1.2, 10 ** -1.9], np.float32)
    tiles = [Tile(i, 1_700_000_000 + i, (rng.gamma(4.4, 1 / 4.4, (side, side, 2)) * mean).astype(np.float32),
                  (rng.gamma(4.4, 1 / 4.4, (side, side, 2)) * mean).astype(np.float32), Georef(38.0, 37.0, 10.0))
             for i in range(count)]
    return write_tile_list(tiles, folder)


def _python_child(spec: dict) -> dict:
    done = subprocess.run([sys.executable, "-m", "quakesat.bench.python_runtime", json.dumps(spec)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ratios(row: dict, seed_ms: float | None) -> None:
    latency = row.get("latency")
    if latency and seed_ms:
        row["speedup_vs_seed"] = seed_ms / latency["p50_ms"]


def _energy(row: dict, instructions: dict[str, int]) -> None:
    """Energy per tile on every board: from the measured instructions where there are some
    (C++ rows), labelled estimates either way."""
    estimates = []
    for cpu, count in instructions.items():
        board = energy.board_for_cpu(cpu)
        estimates.append(energy.energy_from_instructions(count, board).as_dict())
    row["energy_estimates"] = estimates


def _instructions(config: BenchConfig, tiles: Path, artifact: str, say: Callable[[str], None]) -> dict:
    from quakesat.bench import instruction_counts

    lines = [line for line in tiles.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(lines) < 2:
        return {"x86-64": "unavailable: instructions need at least 2 tiles"}
    say(f"instructions per tile: {artifact} on x86-64 (callgrind) and {', '.join(config.cpus)} (qemu)")
    return instruction_counts.measure(config.artifacts, tiles, artifact, min(4, len(lines) - 1), list(config.cpus))


def run_bench(config: BenchConfig, say: Callable[[str], None] = print) -> dict:
    """Measure everything :class:`BenchConfig` asks for; returns the ``bench.json`` object."""
    from quakesat.errors import ConfigError
    from quakesat.runtime.manifest import load_manifest

    manifest = load_manifest(config.artifacts)
    config.out.mkdir(parents=True, exist_ok=True)
    tiles = config.tiles or speckle_tiles(config.out / "tiles", manifest.input.raw_side, kind=manifest.input.kind)
    try:
        count = sum(1 for line in tiles.read_text(encoding="utf-8").splitlines() if line.strip())
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{tiles}: cannot read the tile list ({err})") from None
    if count == 0:
        raise ConfigError(f"{tiles} lists no tiles; give a tiles.jsonl with at least one line, or no --tiles")
    graph = (manifest.report or {}).get("graph", {}) if isinstance(manifest.report, dict) else {}
    seed = _seed(config, say, "start") if config.seed else None
    rows: list[dict] = []
    names = config.artifact_names or tuple(a.name for a in manifest.artifacts)
    for artifact in manifest.artifacts:
        if artifact.name not in names:
            continue
        base = {"artifact": artifact.name, "format": artifact.format, "precision": artifact.precision,
                "model_bytes": artifact.bytes, "macs": graph.get("macs"), "parameters": graph.get("params"),
                "accuracy_at_operating_point": (artifact.fidelity or {}).get("accuracy"),
                "flag_agreement": (artifact.fidelity or {}).get("flag_agreement"),
                "gate_passed": not artifact.gate_failures}
        if artifact.format == "tflite" and config.micro_arena:
            from quakesat.bench.micro_arena import measure_arena

            say(f"tflite-micro arena: {artifact.name}")
            base["micro_arena"] = measure_arena(config.artifacts / artifact.path).as_dict()
        for threads in config.threads:
            long_run = config.long_run if threads == 1 else 0
            if artifact.format in PYTHON_FORMATS:
                say(f"python runtime: {artifact.name}, {threads} thread(s)")
                spec = {"artifacts": str(config.artifacts), "artifact": artifact.name, "tiles": str(tiles),
                        "threads": threads, "long_run": long_run, "policy": asdict(config.policy)}
                rows.append({**base, "runtime": "python", **_python_child(spec)})
            if artifact.format == "pte":
                say(f"c++ runner: {artifact.name}, {threads} thread(s)")
                row = {**base, "runtime": "cpp", **cpp_runtime.bench_artifact(
                    config.artifacts, artifact.name, tiles, config.policy, threads, long_run=long_run)}
                if threads == 1 and config.instructions:
                    row["instructions_per_tile"] = _instructions(config, tiles, artifact.name, say)
                    _energy(row, {cpu: n for cpu, n in row["instructions_per_tile"].items()
                                  if cpu in config.cpus and isinstance(n, int)})
                rows.append(row)
    if seed is not None and "latency" in seed:
        # Measured again at the end: the ratios use the mean of both, and the drift says how
        # much this machine's speed moved during the run (a shared VM's swings show here).
        end = _seed(config, say, "end")
        if end.get("latency"):
            seed["latency_end"] = end["latency"]
            first, last = seed["latency"]["p50_ms"], end["latency"]["p50_ms"]
            seed["p50_ms_mean"] = (first + last) / 2
            seed["drift"] = last / first - 1.0
    seed_ms = (seed.get("p50_ms_mean") or (seed.get("latency") or {}).get("p50_ms")) if seed else None
    for row in rows:
        _ratios(row, seed_ms)
    result = {"format": BENCH_FORMAT, "version": SCHEMA_VERSION, "artifacts": str(config.artifacts),
              "tiles": str(tiles), "tile_side": manifest.input.raw_side,
              "default_artifacts": {"python": manifest.default_artifact, "cpp": manifest.cpp_default_artifact},
              "tile_kind": manifest.input.kind, "preprocess_version": manifest.preprocess.version, "policy": asdict(config.policy),
              "seed_equivalent": seed, "rows": rows,
              "sensor": sensor_estimate(rows), "machine": _machine()}
    return result


def _seed(config: BenchConfig, say: Callable[[str], None], when: str) -> dict:
    say(f"seed-equivalent ({when} of the run): MobileNetV2-1.0, 4 x 512 x 512, PyTorch eager fp32, 1 thread")
    seed = _python_child({"seed": True, "threads": 1, "policy": asdict(config.policy)})
    latency = seed.get("latency") or {}
    say(f"seed-equivalent: {latency['p50_ms']:.1f} ms p50" if latency else
        f"seed-equivalent: {seed.get('note') or seed.get('error')}")
    return seed


def sensor_estimate(rows: list[dict]) -> dict:
    """What four Cortex-A53 cores would sustain against the Sentinel-1 IW tile rate: a labelled
    estimate from the fastest C++ row's instruction-based time per tile, cores independent."""
    best = None
    for row in rows:
        for estimate in row.get("energy_estimates", []):
            if estimate.get("board_id", "").endswith("a53"):
                seconds = estimate["seconds_per_tile"]
                if best is None or seconds < best[1]:
                    best = (row["artifact"], seconds)
    if best is None:
        return {"note": "no Cortex-A53 instruction count in this run"}
    per_core = 1.0 / best[1]
    return {"kind": "estimate", "artifact": best[0], "a53_tiles_per_s_one_core": per_core,
            "a53_tiles_per_s_four_cores": 4 * per_core, "sensor_tiles_per_s": SENSOR_TILES_PER_S,
            "keeps_up": 4 * per_core >= SENSOR_TILES_PER_S,
            "basis": "instructions per tile / (assumed IPC x clock), four independent cores, no memory contention"}


def _machine() -> dict:
    import os
    import platform

    return {"cpu_count": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
            "processor": _cpu_model()}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
