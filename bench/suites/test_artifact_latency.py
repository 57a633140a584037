"""Latency of one exported QuakeLite tile per backend and precision, at one thread (pytest-benchmark).

    pytest bench/suites --benchmark-only --benchmark-group-by=group

A QuakeLite multi-head network at its default input (4 x 256 x 256, the 2 x 2 multilook of
a 512 x 512 tile) is exported once per session to fp32 / int8 ONNX and, where litert-torch
is installed, fp32 / int8 TFLite and ExecuTorch ``.pte`` (calibrated on simulated tiles through the shared
preprocessing), and every artifact is timed through ``ExportedModel.heads`` — the flight
runtime's path — beside the torch fp32 eager model, in the same run, so the ratios are what
to read (the machine is shared and noisy; docs/benchmarks.md). Latency is not a pass/fail test here.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from quakesat.export.pte_export import pte_available  # noqa: E402
from quakesat.export.tflite_export import tflite_available  # noqa: E402
from quakesat.models.train import load_network  # noqa: E402
from quakesat.runtime.model import ExportedModel  # noqa: E402

ARTIFACTS = (["onnx-fp32", "onnx-int8"] + (["tflite-fp32", "tflite-int8"] if tflite_available() else [])
             + (["pte-fp32", "pte-int8"] if pte_available() else []))
RUNNER = Path(__file__).resolve().parents[2] / "build" / "native" / "quakesat-runner"


@pytest.mark.benchmark(group="quakelite-256-one-tile-1-thread")
def test_torch_fp32_eager(benchmark, exported) -> None:
    net, _ = load_network(exported[0])
    x = torch.from_numpy(exported[2])
    with torch.no_grad():
        benchmark(net, x)


@pytest.mark.benchmark(group="quakelite-256-one-tile-1-thread")
@pytest.mark.parametrize("artifact", ARTIFACTS)
def test_exported_artifact(benchmark, exported, artifact: str) -> None:
    model = ExportedModel.open(exported[1], artifact, threads=1)
    heads = benchmark(model.heads, exported[2])
    assert set(heads) == {"event", "magnitude", "location"}


@pytest.mark.benchmark(group="quakelite-512-tile-cpp-runner-1-thread")
@pytest.mark.skipif(not RUNNER.is_file() or not pte_available(), reason="quakesat-runner or the pte extra missing")
@pytest.mark.parametrize("artifact", ["pte-fp32", "pte-int8"])
def test_cpp_runner_pass_over_tiles(benchmark, exported, tmp_path, artifact: str) -> None:
    """One C++ runner process over 8 tiles x 4 passes (start-up and model load included; the
    runner's own per-tile p50 is in extra_info: quakesat bench reports it the same way)."""
    from quakesat.bench.suite import speckle_tiles

    tiles = speckle_tiles(tmp_path / "tiles", 512)
    timings = tmp_path / "timings.json"
    command = [str(RUNNER), str(exported[1]), str(tiles), "-o", str(tmp_path / "m.bin"), "--artifact", artifact,
               "--gate", "off", "--repeat", "4", "--timings", str(timings)]
    benchmark.pedantic(subprocess.run, args=(command,), kwargs={"check": True, "capture_output": True},
                       rounds=3, iterations=1)
    seconds = sorted(json.loads(timings.read_text())["tile_seconds"])
    benchmark.extra_info["per_tile_p50_ms"] = 1e3 * seconds[len(seconds) // 2]
