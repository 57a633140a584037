"""The table of network export formats: one row per artifact, one loop over the rows.

Each :class:`ExportFormat` names an artifact (``onnx-int8``), its file, format, precision
and input layout, and the function that builds it from a trained network. The exporter
walks :data:`NETWORK_FORMATS` in order (the int8 ONNX model is quantized from the fp32 one
written just before it), skipping formats not asked for and int8 rows under ``--no-int8``.

- ONNX fp32: ``torch.onnx`` (dynamo), opset 18, dynamic batch (:mod:`.onnx_export`).
- ONNX int8: onnxruntime static QDQ; calibration methods and per-channel / per-tensor
  weight scales compared on the *validation* split against the fp32 network, the best kept,
  then tried once more with the input path in float.
- TFLite fp32 / int8: litert-torch, NHWC (:mod:`.tflite_export`); int8 through PT2E.
- ExecuTorch fp32 / int8: XNNPACK-delegated ``.pte``, batch 1 (:mod:`.pte_export`); the C++
  runner's format; int8 through PT2E.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.runtime.decision import DecisionRule
from quakesat.runtime.manifest import OutputRef


@dataclass
class NetworkContext:
    """What every builder may use: the network, its heads and input, the tiles and options."""

    net: Any
    heads: list[str]
    tile_shape: tuple[int, int, int]
    out: Path
    calibration_tiles: np.ndarray | None  # train split, balanced; None without int8
    selection_tiles: np.ndarray | None  # the split int8 settings are chosen on
    selection_labels: np.ndarray | None
    selection_magnitudes: np.ndarray | None
    selection_reference: dict[str, np.ndarray] | None  # the fp32 network's heads on them
    decision: DecisionRule
    calibration_methods: tuple[str, ...]
    per_channel: tuple[bool, ...]
    try_float_stem: bool
    threads: int
    timed: Callable[[str], AbstractContextManager[None]]
    graph: dict[str, Any] | None = None  # graph facts of the fp32 ONNX model
    calibration_report: dict[str, Any] | None = None  # the int8 ONNX comparison


@dataclass(frozen=True)
class Built:
    """What a builder reports besides the file: int8 settings and head offsets."""

    quantization: dict[str, Any] | None = None
    offsets: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportFormat:
    """One row of the table."""

    name: str
    format: str
    precision: str
    filename: str
    layout: str
    build: Callable[[NetworkContext, Path], Built]
    delegate: str | None = None
    batch: int | None = None

    def outputs(self, heads: list[str], offsets: dict[str, float]) -> dict[str, OutputRef]:
        """Head → output reference: ONNX outputs are named after the heads; TFLite's and
        ExecuTorch's are their positions."""
        return {head: OutputRef(head if self.format == "onnx" else str(i), offset=offsets.get(head, 0.0))
                for i, head in enumerate(heads)}


# ─── builders ───────────────────────────────────────────────────────────────────────────
def _onnx_fp32(ctx: NetworkContext, path: Path) -> Built:
    from quakesat.export.graph_facts import graph_facts
    from quakesat.export.onnx_export import export_network_onnx

    export_network_onnx(ctx.net, ctx.tile_shape, path)
    ctx.graph = graph_facts(path)
    return Built()


def _best(candidates: list[dict[str, Any]]) -> dict[str, Any]:
    def key(c: dict[str, Any]) -> tuple:
        return (-c["flag_agreement"], c.get("event_abs_error", {}).get("mean", 0.0),
                c.get("magnitude_abs_error", {}).get("mean", 0.0))

    return min(candidates, key=key)


def _onnx_int8(ctx: NetworkContext, path: Path) -> Built:
    from quakesat.export.fidelity import compare
    from quakesat.export.onnx_export import quantize_onnx_int8
    from quakesat.runtime.model import OnnxRuntimeBackend, select_head

    fp32 = ctx.out / "model.fp32.onnx"
    tiles, reference = ctx.selection_tiles, ctx.selection_reference
    candidates: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="quakesat-calib-") as scratch:

        def attempt(method: str, per_channel: bool, float_stem: bool) -> dict[str, Any]:
            candidate = Path(scratch) / f"{method}-{int(per_channel)}-{int(float_stem)}.onnx"
            with ctx.timed(f"onnx_int8_{method}"):
                settings = quantize_onnx_int8(fp32, candidate, ctx.calibration_tiles, method, per_channel, float_stem)
            outputs = OnnxRuntimeBackend(candidate, ctx.threads).run(tiles)
            got = {head: select_head(outputs, OutputRef(head), len(tiles)) for head in ctx.heads}
            scores = compare(reference, got, ctx.selection_labels, ctx.decision)
            result = {"method": method, "per_channel": per_channel, "float_stem": float_stem,
                      "file": str(candidate), "settings": settings, **scores}
            candidates.append(result)
            return result

        for method, per_channel in product(ctx.calibration_methods, ctx.per_channel):
            attempt(method, per_channel, False)
        best = _best(candidates)
        if ctx.try_float_stem:  # the best setting again, with the input path in float
            best = _best([best, attempt(best["method"], best["per_channel"], True)])
        best["chosen"] = True
        shutil.copyfile(best["file"], path)
    ctx.calibration_report = {"comparison": [{k: v for k, v in c.items() if k not in ("file", "settings")}
                                             for c in candidates]}
    return Built(quantization=best["settings"])


def _tflite_fp32(ctx: NetworkContext, path: Path) -> Built:
    from quakesat.export.tflite_export import export_network_tflite

    export_network_tflite(ctx.net, ctx.tile_shape, path)
    return Built()


def _tflite_int8(ctx: NetworkContext, path: Path) -> Built:
    from quakesat.export.tflite_export import quantize_tflite_int8

    settings = quantize_tflite_int8(ctx.net, ctx.tile_shape, path, ctx.calibration_tiles)
    return Built(quantization=settings, offsets=dict(settings["offsets"]))


def _pte_fp32(ctx: NetworkContext, path: Path) -> Built:
    from quakesat.export.pte_export import export_network_pte

    export_network_pte(ctx.net, ctx.tile_shape, path)
    return Built()


def _pte_int8(ctx: NetworkContext, path: Path) -> Built:
    from quakesat.export.pte_export import quantize_pte_int8

    return Built(quantization=quantize_pte_int8(ctx.net, ctx.tile_shape, path, ctx.calibration_tiles))


XNNPACK = "XnnpackBackend"

#: Every network artifact, in build order.
NETWORK_FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat("onnx-fp32", "onnx", "fp32", "model.fp32.onnx", "NCHW", _onnx_fp32),
    ExportFormat("onnx-int8", "onnx", "int8", "model.int8.onnx", "NCHW", _onnx_int8),
    ExportFormat("tflite-fp32", "tflite", "fp32", "model.fp32.tflite", "NHWC", _tflite_fp32),
    ExportFormat("tflite-int8", "tflite", "int8", "model.int8.tflite", "NHWC", _tflite_int8),
    ExportFormat("pte-fp32", "pte", "fp32", "model.fp32.pte", "NCHW", _pte_fp32, XNNPACK, 1),
    ExportFormat("pte-int8", "pte", "int8", "model.int8.pte", "NCHW", _pte_int8, XNNPACK, 1),
)
