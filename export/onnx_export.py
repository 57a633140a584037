"""Trained networks and shallow pipelines to ONNX, and ONNX to int8 (static, QDQ).

- Networks: ``torch.onnx.export(dynamo=True, opset 18, external_data=False)`` of a wrapper
  that returns the heads as named outputs (``event`` as a probability), batch dimension
  dynamic (without ``external_data=False`` the weights land in a side file).
- int8: onnxruntime's ``quant_pre_process`` then ``quantize_static`` in QDQ format, int8
  weights and uint8 activations (the fast pair on x86 CPUs, docs/export.md), calibrated on
  preprocessed tiles. Method and per-channel / per-tensor are arguments; the heads' last
  layers and their activations stay in float so a narrow calibration range cannot clip
  the magnitude (the TFLite trap docs/export.md describes).
- Shallow pipelines: skl2onnx with ``zipmap=False`` (plain arrays, no list of dicts).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.errors import ExportError
from quakesat.export.quiet import silenced
from quakesat.runtime.manifest import HEADS

#: ONNX opset of every exported graph.
OPSET = 18
#: Name of the graph input.
INPUT_NAME = "tiles"
#: onnxruntime calibration methods compared by ``quakesat export`` (docs/export.md).
CALIBRATION_METHODS = ("minmax", "entropy", "percentile")


def heads_module(net: Any, heads: Sequence[str]) -> Any:
    from torch import nn, sigmoid

    class Heads(nn.Module):
        """The network with its heads as a tuple (ONNX outputs), the event as a probability."""

        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, x):  # noqa: ANN001, ANN202 - traced by torch.export
            out = self.net(x)
            return tuple(sigmoid(out[h]) if h == "event" else out[h] for h in heads)

    return Heads().eval()


def network_heads(net: Any) -> list[str]:
    """The heads a quakesat network has, in the order exporters write them."""
    spec = net.spec
    return [h for h in HEADS if getattr(spec, h)]


def export_network_onnx(net: Any, tile_shape: Sequence[int], path: str | Path) -> list[str]:
    """Export a trained network (eval mode) to an fp32 ONNX file with a dynamic batch.

    Returns:
        The output names (the heads, in order).

    Raises:
        ExportError: the exporter failed (its message is kept).
    """
    import torch

    heads = network_heads(net)
    module = heads_module(net.eval(), heads)
    example = (torch.zeros((2, *tile_shape), dtype=torch.float32),)
    batch = torch.export.Dim("batch", min=1, max=1024)
    path = Path(path)
    try:
        with silenced():
            program = torch.onnx.export(module, example, dynamo=True, opset_version=OPSET, external_data=False,
                                    input_names=[INPUT_NAME], output_names=heads,
                                        dynamic_shapes=({0: batch},), verbose=False)
            program.save(str(path), external_data=False)
    except Exception as err:  # the exporter raises many types
        raise ExportError(f"torch.onnx.export failed for {type(net).__name__}: {err}") from err
    return heads


class _TileReader:
    """onnxruntime CalibrationDataReader over a float32 tile array, one tile at a time."""

    def __init__(self, tiles: np.ndarray) -> None:
        self._tiles = tiles
        self._iter: Iterator[np.ndarray] = iter(())
        self.rewind()

    def get_next(self) -> dict[str, np.ndarray] | None:
        item = next(self._iter, None)
        return None if item is None else {INPUT_NAME: item[None]}

    def rewind(self) -> None:
        self._iter = iter(self._tiles)


def _head_nodes(model: Any) -> list[str]:
    """Nodes that compute a graph output from the last matrix product onward (kept in float)."""
    producers = {out: node for node in model.graph.node for out in node.output}
    keep: list[str] = []
    for output in model.graph.output:
        node = producers.get(output.name)
        while node is not None:
            keep.append(node.name)
            if node.op_type in ("Gemm", "MatMul"):
                break
            node = producers.get(node.input[0]) if node.input else None
            if node is not None and node.op_type not in ("Add", "Gemm", "MatMul", "Sigmoid", "Tanh", "Squeeze",
                                                          "Reshape", "Flatten"):
                break
    return sorted(set(keep))


def _stem_nodes(model: Any) -> list[str]:
    """Nodes from the graph input up to and including the first convolution (graph order is
    topological): for QuakeLite the bitemporal difference and the stem that sees it."""
    stem: list[str] = []
    for node in model.graph.node:
        stem.append(node.name)
        if node.op_type == "Conv":
            return stem
    return []


def quantize_onnx_int8(fp32_path: str | Path, out_path: str | Path, calibration_tiles: np.ndarray,
                       method: str = "minmax", per_channel: bool = True, float_stem: bool = False) -> dict[str, Any]:
    """Static int8 quantization (QDQ) of an fp32 ONNX network.

    Args:
        fp32_path: the fp32 model from :func:`export_network_onnx`.
        out_path: the int8 model to write.
        calibration_tiles: ``(N, C, H, W)`` float32 preprocessed tiles.
        method: ``minmax``, ``entropy`` or ``percentile``.
        per_channel: per-output-channel weight scales (else one scale per tensor).
        float_stem: keep the input path up to the first convolution in float. A bitemporal
            difference taken from uint8-quantized images loses the small changes it exists
            for (measured on the benchmark QuakeLite: flag agreement 0.960 → 0.990).

    Returns:
        The quantization settings, for the manifest.

    Raises:
        ExportError: unknown method, or onnxruntime's quantizer failed.
    """
    import onnx
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    methods = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
               "percentile": CalibrationMethod.Percentile}
    if method not in methods:
        raise ExportError(f"unknown calibration method {method!r}; choose one of {list(methods)}")
    with tempfile.TemporaryDirectory(prefix="quakesat-quant-") as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        try:
            with silenced():
                quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
                prepared_model = onnx.load(str(prepared))
                float_nodes = sorted(set(_head_nodes(prepared_model)) |
                                     set(_stem_nodes(prepared_model) if float_stem else []))
                quantize_static(
                    str(prepared), str(out_path), _TileReader(np.asarray(calibration_tiles, dtype=np.float32)),
                    quant_format=QuantFormat.QDQ, per_channel=per_channel, weight_type=QuantType.QInt8,
                    activation_type=QuantType.QUInt8, calibrate_method=methods[method],
                    nodes_to_exclude=float_nodes, extra_options={"CalibTensorRangeSymmetric": False},
                )
        except Exception as err:
            raise ExportError(f"onnxruntime quantization ({method}, per_channel={per_channel}, "
                              f"float_stem={float_stem}) failed: {err}") from err
    return {"tool": "onnxruntime.quantization.quantize_static", "format": "QDQ", "weights": "int8",
            "activations": "uint8", "method": method, "per_channel": per_channel, "float_stem": float_stem,
            "calibration_tiles": int(len(calibration_tiles)), "float_nodes": float_nodes}


def export_shallow_onnx(pipeline: Any, n_features: int, path: str | Path, regression: bool) -> dict[str, dict]:
    """Convert a fitted scikit-learn pipeline with skl2onnx (float32 features in).

    Returns:
        The head → output mapping for the manifest: ``magnitude`` from ``variable`` for a
        regressor; for a detector ``event`` from the probabilities (RandomForest) or from the
        SVC decision score (skl2onnx writes it in column 0) through a sigmoid (uncalibrated: > 0.5 exactly where the score is
        > 0, the SVC's own decision).

    Raises:
        ExportError: skl2onnx cannot convert the pipeline.
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.svm import SVC

    model = pipeline.steps[-1][1]
    options = {} if regression else {id(model): {"zipmap": False}}
    try:
        onx = convert_sklearn(pipeline, initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
                              options=options, target_opset={"": OPSET, "ai.onnx.ml": 3})
    except Exception as err:
        raise ExportError(f"skl2onnx cannot convert {type(model).__name__}: {err}") from err
    Path(path).write_bytes(onx.SerializeToString())
    if regression:
        return {"magnitude": {"output": "variable", "column": 0}}
    if isinstance(model, SVC):
        return {"event": {"output": "probabilities", "column": 0, "transform": "sigmoid"}}
    return {"event": {"output": "probabilities", "column": 1}}
