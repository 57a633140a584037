"""The flight side stays light: importing any module of quakesat.runtime pulls in no training
library and nothing from the other packages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "sklearn", "h5py", "scipy", "matplotlib", "onnx", "quakesat.models", "quakesat.export",
         "quakesat.data", "quakesat.evaluation", "quakesat.ground", "quakesat.simulator",
         # inference backends are imported when a model is opened, not when the runtime is
         "onnxruntime", "ai_edge_litert")


def test_runtime_import_pulls_no_training_libraries() -> None:
    code = (
        "import sys, json, importlib\n"
        "import quakesat.runtime, quakesat.runtime.preprocess\n"
        "import pkgutil, quakesat.runtime as rt\n"
        "for module in pkgutil.iter_modules(rt.__path__):\n"
        "    name = 'quakesat.runtime.' + module.name\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_pte_artifacts_need_the_torch_side_backend_and_the_runtime_says_so() -> None:
    """The runtime alone opens no .pte (ExecuTorch's Python runtime needs torch): a status
    with a pointer to the C++ runner, and still no torch imported."""
    code = (
        "import sys\n"
        "from quakesat.runtime.flight import FlightRuntime\n"
        "rt = FlightRuntime.open('tests/vectors/tiny_model', 'pte-int8')\n"
        "print(rt.fault.status.code_name, 'torch' in sys.modules, 'C++ runner' in rt.fault.detail)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.stdout.split() == ["backend_error", "False", "True"]
