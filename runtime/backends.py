"""Inference backends behind one interface: an artifact file in, named raw outputs out.

- :class:`OnnxRuntimeBackend` runs ``.onnx`` (fp32 or QDQ int8) with onnxruntime.
- :class:`LiteRTBackend` runs ``.tflite`` (fp32 or int8) with ai-edge-litert, the successor
  of tflite-runtime; int8 input/output tensors are (de)quantized here with the tensor's own
  scale and zero point, so callers always see float32.
- :class:`~quakesat.runtime.rules.RuleBackend` runs ``rule`` artifacts (the log-ratio
  baseline as a decider behind the same interface; numpy).
- ``.pte`` (the C++ runner's format) has no flight-side Python backend: ExecuTorch's Python
  runtime needs torch. ``quakesat.export.executorch_backend`` registers one
  (:func:`register_backend`) for export checks and Python/C++ parity.

Each backend is opened once per artifact and reused; the libraries are imported when a
backend is opened, so importing this module costs nothing. Failures become
:class:`~quakesat.errors.BackendError` with the library's message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from quakesat.errors import BackendError
from quakesat.runtime.rules import RuleBackend


class Backend(Protocol):
    """What the runtime needs from an inference library."""

    output_names: list[str]

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Outputs by name for a float32 input batch in the artifact's layout."""
        ...


class OnnxRuntimeBackend:
    """onnxruntime's CPU provider, ``threads`` intra-op threads, sequential execution."""

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError as err:
            raise BackendError(f"onnxruntime is not installed ({err}); pip install 'quakesat[runtime]'") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types
            raise BackendError(f"{path}: onnxruntime cannot open the model ({err})") from None
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        try:
            values = self.session.run(None, {self.input_name: x})
        except Exception as err:
            raise BackendError(f"onnxruntime failed on an input of shape {x.shape} ({err})") from None
        return dict(zip(self.output_names, values))


class LiteRTBackend:
    """ai-edge-litert's interpreter with ``threads`` threads, batch 1 per invocation.

    Outputs are named by their position in the converted model's signature (``"0"``,
    ``"1"``, ...: litert-torch names them ``output_<i>``), falling back to the
    interpreter's order; the manifest maps heads to those names.
    """

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as err:
            raise BackendError(f"ai-edge-litert is not installed ({err}); pip install 'quakesat[runtime]'") from None
        try:
            self.interpreter = Interpreter(model_path=str(path), num_threads=max(1, int(threads)))
            self.interpreter.allocate_tensors()
        except Exception as err:
            raise BackendError(f"{path}: LiteRT cannot open the model ({err})") from None
        self.input = self.interpreter.get_input_details()[0]
        self.outputs = self.interpreter.get_output_details()
        self.output_names = [_signature_position(detail["name"], i) for i, detail in enumerate(self.outputs)]

    @staticmethod
    def _quantize(x: np.ndarray, detail: dict) -> np.ndarray:
        dtype = detail["dtype"]
        if dtype == np.float32:
            return x.astype(np.float32, copy=False)
        scale, zero = detail["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale) + zero, info.min, info.max).astype(dtype)

    @staticmethod
    def _dequantize(x: np.ndarray, detail: dict) -> np.ndarray:
        if x.dtype == np.float32:
            return x
        scale, zero = detail["quantization"]
        return ((x.astype(np.float32) - zero) * scale).astype(np.float32)

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        rows: list[list[np.ndarray]] = [[] for _ in self.outputs]
        try:
            for sample in x:
                self.interpreter.set_tensor(self.input["index"], self._quantize(sample[None], self.input))
                self.interpreter.invoke()
                for i, detail in enumerate(self.outputs):
                    rows[i].append(self._dequantize(self.interpreter.get_tensor(detail["index"]), detail))
        except Exception as err:
            raise BackendError(f"LiteRT failed on an input of shape {x.shape} ({err})") from None
        return {name: np.concatenate(parts) for name, parts in zip(self.output_names, rows)}


def _signature_position(name: str, fallback: int) -> str:
    match = re.search(r"output_(\d+)", name)
    return match.group(1) if match else str(fallback)


#: Backend class per artifact format.
BACKENDS: dict[str, Callable[[str | Path, int], Backend]] = {
    "onnx": OnnxRuntimeBackend, "tflite": LiteRTBackend, "rule": RuleBackend}


def register_backend(fmt: str, factory: Callable[[str | Path, int], Backend]) -> None:
    """Make ``open_backend`` run ``fmt`` artifacts with ``factory(path, threads)``; for backends
    that must stay off the flight path (e.g. torch-side ones)."""
    BACKENDS[fmt] = factory


def open_backend(path: str | Path, fmt: str, threads: int = 1) -> Backend:
    """Open ``path`` with the backend for ``fmt``.

    Raises:
        BackendError: no backend for the format here, the library is missing, or it
            cannot open the file.
    """
    if fmt not in BACKENDS:
        hint = "; import quakesat.export.executorch_backend (needs torch) or use the C++ runner" if fmt == "pte" else ""
        raise BackendError(f"no Python backend runs {fmt!r} artifacts here (known: {sorted(BACKENDS)}){hint}")
    return BACKENDS[fmt](path, threads)
