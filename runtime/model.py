"""An exported model opened from its manifest alone: verified, opened by a backend, run on tiles.

``ExportedModel.open(folder)`` reads ``manifest.json``, checks the chosen artifact's SHA-256
before any backend sees the file, opens the backend once, and from then on
:meth:`ExportedModel.heads` turns a batch of preprocessed tiles into the model's heads:
``event`` (probability), ``magnitude`` (mb) and ``location`` (offset from the tile centre in
half-tile units), whichever the model has.

The backends share one interface (:class:`Backend`: an artifact file in, named raw outputs
out) and are imported when opened, so importing this module costs nothing:

- :class:`OnnxRuntimeBackend` runs ``.onnx`` (fp32 or QDQ int8) with onnxruntime;
- :class:`LiteRTBackend` runs ``.tflite`` (fp32 or int8) with ai-edge-litert, the successor
  of tflite-runtime; int8 input/output tensors are (de)quantized with the tensor's own scale
  and zero point, so callers always see float32;
- :class:`~quakesat.runtime.rules.RuleBackend` runs ``rule`` artifacts (the log-ratio
  baseline as a decider behind the same interface; numpy);
- ``.pte`` (the C++ runner's format) has no flight-side Python backend: ExecuTorch's Python
  runtime needs torch. ``quakesat.export.executorch_backend`` registers one
  (:func:`register_backend`) for export checks and Python/C++ parity.

Failures become :class:`~quakesat.errors.BackendError` with the library's message. No torch,
no training code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from quakesat.errors import BackendError, PreprocessError
from quakesat.runtime.features import flat_features
from quakesat.runtime.manifest import Artifact, Manifest, OutputRef, load_manifest
from quakesat.runtime.rules import RuleBackend


# ─── backends ──────────────────────────────────────────────────────────────────────
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
        self._run_options = ort.RunOptions()

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        self._run_options.terminate = False
        try:
            values = self.session.run(None, {self.input_name: x}, self._run_options)
        except Exception as err:
            raise BackendError(f"onnxruntime failed on an input of shape {x.shape} ({err})") from None
        return dict(zip(self.output_names, values))

    def cancel(self) -> None:
        """Stop the run in progress (from another thread): onnxruntime checks the flag
        between graph nodes and the run then fails (the per-tile budget, runtime/deadline.py)."""
        self._run_options.terminate = True


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


# ─── the exported model ────────────────────────────────────────────────────────────
def _to_layout(tiles: np.ndarray, layout: str) -> np.ndarray:
    if layout == "NCHW":
        return np.ascontiguousarray(tiles, dtype=np.float32)
    if layout == "NHWC":
        return np.ascontiguousarray(tiles.transpose(0, 2, 3, 1), dtype=np.float32)
    if layout == "features":
        return np.ascontiguousarray(flat_features(tiles), dtype=np.float32)
    raise BackendError(f"unknown input layout {layout!r}")


def select_head(outputs: dict[str, np.ndarray], ref: OutputRef, n: int) -> np.ndarray:
    """One head's ``(N,)`` or ``(N, k)`` float32 values from a backend's raw outputs.

    Raises:
        BackendError: the output is missing, or it has fewer values or columns than the
            reference asks for.
    """
    if ref.output not in outputs:
        raise BackendError(f"the artifact has no output {ref.output!r} (it has {sorted(outputs)})")
    value = np.asarray(outputs[ref.output])
    if n == 0 or value.size % n:
        raise BackendError(f"output {ref.output!r} of shape {value.shape} does not hold {n} tile(s)")
    value = value.reshape(n, -1)
    if value.shape[1] == 0:
        raise BackendError(f"output {ref.output!r} is empty")
    if ref.column is not None:
        if ref.column >= value.shape[1]:
            raise BackendError(f"output {ref.output!r} has {value.shape[1]} column(s), the manifest reads "
                               f"column {ref.column}")
        value = value[:, ref.column]
    elif value.shape[1] == 1:
        value = value[:, 0]
    value = value.astype(np.float32) + np.float32(ref.offset)
    if ref.transform == "sigmoid":
        value = (1.0 / (1.0 + np.exp(-value.astype(np.float64)))).astype(np.float32)
    elif ref.transform == "label":
        value = (value > 0.5).astype(np.float32)
    return value


@dataclass
class ExportedModel:
    """One artifact of a manifest, verified and opened."""

    manifest: Manifest
    artifact: Artifact
    backend: Backend

    @classmethod
    def open(cls, path: str | Path, artifact: str | None = None, threads: int = 1) -> ExportedModel:
        """Open the artifact called ``artifact`` (None: the default) of the manifest at ``path``.

        Raises:
            ModelNotFoundError: no manifest, or the artifact file is missing.
            ManifestError: an invalid manifest or an unknown artifact name.
            ArtifactHashError: the file's SHA-256 differs from the manifest's.
            BackendError: the backend library is missing or cannot open the file.
        """
        manifest = load_manifest(path)
        chosen = manifest.artifact(artifact)
        file = manifest.verify(chosen)
        return cls(manifest, chosen, open_backend(file, chosen.format, threads))

    @property
    def model_id(self) -> int:
        return self.artifact.model_id

    def heads(self, tiles: np.ndarray) -> dict[str, np.ndarray]:
        """Heads for a batch of preprocessed tiles ``(N, C, H, W)`` (``C`` 4 or 2).

        Returns:
            ``event`` ``(N,)`` probabilities, ``magnitude`` ``(N,)`` mb as the head
            reports it (see the manifest's ``decision.magnitude_given_event``),
            ``location`` ``(N, 2)``; only the heads the model has.

        Raises:
            PreprocessError: the tiles do not have the manifest's input shape.
            BackendError: the backend failed or its outputs do not fit the manifest.
        """
        tiles = np.asarray(tiles)
        expected = tuple(self.manifest.input.tile_shape)
        if tiles.ndim != 4 or tuple(tiles.shape[1:]) != expected:
            raise PreprocessError(f"model input must be (N, {', '.join(map(str, expected))}), got {tiles.shape}")
        outputs = self.backend.run(_to_layout(tiles, self.artifact.layout))
        return {head: select_head(outputs, ref, len(tiles)) for head, ref in self.artifact.outputs.items()}
