"""The known-harmless lines third-party libraries print are stopped at their source.

Each check runs a small command in a fresh process (the lines come from imports and from
process-wide state, which a test process shares) and asserts that stderr holds none of them:
torchao's ``.so`` load failures and its Triton and pytree notices
(:func:`quakesat.export.quiet.quiet_torchao`), ExecuTorch's cpuinfo probe
(:func:`quakesat.export.quiet.quiet_threadpool_start`), the TFLite converter's absl/oneDNN
lines on import, and JAX's fork warning (:func:`quakesat.data.parallel.ordered_map`).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

TINY = Path(__file__).resolve().parent / "vectors" / "tiny_model"
#: Pieces of every known noise line (none of them is the kit's own text).
NOISE = ("Failed to load", "torchao", "triton", "Enum subclass", "cpuinfo", "midr", "absl::InitializeLog",
         "oneDNN", "JAX is multithreaded", "os.fork()")


def _stderr(*argv: str) -> str:
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def _noise(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if any(piece in line for piece in NOISE)]


@pytest.mark.skipif(importlib.util.find_spec("executorch") is None, reason="needs the pte extra (executorch)")
def test_run_on_a_pte_artifact_prints_no_torchao_or_cpuinfo_lines(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for name in ("pre", "post"):
        np.save(tmp_path / f"{name}.npy", rng.gamma(4.0, 0.025, size=(64, 64, 2)).astype(np.float32))
    stderr = _stderr("-m", "quakesat", "run", "--artifacts", str(TINY), "--artifact", "pte-fp32",
                     "--pre", str(tmp_path / "pre.npy"), "--post", str(tmp_path / "post.npy"), "--lat", "0",
                     "--lon", "0", "--out", str(tmp_path / "out.bin"))
    assert not _noise(stderr), stderr


@pytest.mark.skipif(importlib.util.find_spec("litert_torch") is None, reason="needs the tflite extra (litert-torch)")
def test_importing_the_tflite_converter_prints_nothing() -> None:
    stderr = _stderr("-c", "from quakesat.export.tflite_export import tflite_available; assert tflite_available()")
    assert not _noise(stderr), stderr


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax (the tflite extra brings it)")
def test_forking_workers_after_jax_started_prints_no_fork_warning() -> None:
    code = ("import jax.numpy as jnp; jnp.zeros(1).block_until_ready()\n"
            "from quakesat.data.parallel import ordered_map\n"
            "assert list(ordered_map(abs, [-1, -2, -3], workers=2)) == [1, 2, 3]\n"
            "import warnings, os\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    pid = os.fork()\n"
            "    if pid == 0:\n"
            "        os._exit(0)\n"
            "    os.waitpid(pid, 0)\n"
            "assert any('JAX is multithreaded' in str(w.message) for w in caught), 'JAX no longer warns on fork'\n")
    stderr = _stderr("-c", code)
    assert not _noise(stderr), stderr
