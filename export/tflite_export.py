"""Trained networks to TFLite (LiteRT) without TensorFlow, through ``litert-torch``.

- fp32: ``litert_torch.convert`` of the heads wrapper, with channel-last (NHWC) input, the
  layout TFLite kernels use, so no transpose runs on board.
- int8: PT2E static quantization (:mod:`quakesat.export.pt2e`) with litert-torch's symmetric quantizer (int8 weights
  per channel or per tensor, int8 activations, histogram observers), calibrated on the same
  preprocessed tiles as the ONNX int8 model. The converted model takes int8 input and may
  give int8 outputs; :class:`quakesat.runtime.model.LiteRTBackend` (de)quantizes them with
  the tensors' own scale and zero point. litert-torch cannot keep single modules in float;
  with the magnitude head's bias (about 5.6 mb) inside the int8 graph every tile came out
  at the top of the output range (measured: a constant 6.06 mb), so the bias is moved out
  of the graph and into the manifest as the output's ``offset`` — an exact rewrite,
  y = Wz + b computed as (Wz) + b — and the fidelity gate checks the result.

``litert-torch`` is heavy (jax, transformers): it is the optional ``tflite`` extra, imported
only here.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.errors import ExportError
from quakesat.export.onnx_export import heads_module, network_heads
from quakesat.export.pt2e import observers, quantize_pt2e
from quakesat.export.quiet import quiet_torchao, silenced


def tflite_available() -> bool:
    """True where litert-torch (the converter) can be imported."""
    try:
        _quiet_import()
    except ImportError:
        return False
    return True


def _quiet_import() -> Any:
    """``import litert_torch``, without its known-harmless lines: the converter's C++ logs
    through absl before anything initialises it ("WARNING: All log messages before
    absl::InitializeLog() ..." and oneDNN's "I0000 ... port.cc] oneDNN custom operations are
    on ..."), with no environment switch (``TF_CPP_MIN_LOG_LEVEL`` does not reach it), so the
    import runs inside :func:`silenced`, which replays the lines if it fails; torchao, which it
    imports, is quieted by its loggers (:func:`quiet_torchao`)."""
    quiet_torchao()
    with silenced():
        import litert_torch
    return litert_torch


def _import_converter() -> Any:
    try:
        return _quiet_import()
    except ImportError as err:
        raise ExportError(f"TFLite export needs litert-torch ({err}); pip install 'quakesat[tflite]'") from None


def _channel_last(net: Any, heads: Sequence[str]) -> Any:
    litert_torch = _import_converter()
    return litert_torch.to_channel_last_io(heads_module(net.eval(), heads), args=[0]).eval()


def _nhwc(tiles: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(np.ascontiguousarray(np.asarray(tiles, dtype=np.float32).transpose(0, 2, 3, 1)))


def export_network_tflite(net: Any, tile_shape: Sequence[int], path: str | Path) -> list[str]:
    """fp32 ``.tflite`` of a trained network with NHWC input; returns the heads in output order.

    Raises:
        ExportError: litert-torch is missing or the conversion failed.
    """
    litert_torch = _import_converter()
    heads = network_heads(net)
    sample = (_nhwc(np.zeros((1, *tile_shape), dtype=np.float32)),)
    try:
        with silenced():
            litert_torch.convert(_channel_last(net, heads), sample).export(str(path))
    except Exception as err:
        raise ExportError(f"litert-torch conversion failed: {err}") from err
    return heads


def quantize_tflite_int8(net: Any, tile_shape: Sequence[int], path: str | Path, calibration_tiles: np.ndarray,
                         per_channel: bool = True) -> dict[str, Any]:
    """int8 ``.tflite`` through PT2E static quantization, calibrated tile by tile.

    Returns:
        The quantization settings, for the manifest, with ``offsets``: the head biases moved
        out of the graph (head → value to add to that output).

    Raises:
        ExportError: litert-torch is missing or quantization / conversion failed.
    """
    litert_torch = _import_converter()
    import torch

    with silenced():
        from litert_torch.quantize import pt2e_quantizer
        from litert_torch.quantize.quant_config import QuantConfig

    heads = network_heads(net)
    net = copy.deepcopy(net).eval()
    offsets = {}
    if "magnitude" in heads:
        with torch.no_grad():
            offsets["magnitude"] = float(net.heads.magnitude.bias[0])
            net.heads.magnitude.bias.zero_()
    calibration = _nhwc(calibration_tiles)
    sample = (calibration[:1],)
    config = pt2e_quantizer.get_symmetric_quantization_config(is_per_channel=per_channel)
    quantizer = pt2e_quantizer.PT2EQuantizer().set_global(config)
    try:
        graph = quantize_pt2e(_channel_last(net, heads), sample, quantizer, (tile[None] for tile in calibration),
                              fold_quantize=False)
        with silenced():
            litert_torch.convert(graph, sample, quant_config=QuantConfig(pt2e_quantizer=quantizer)).export(str(path))
    except Exception as err:
        raise ExportError(f"litert-torch int8 quantization failed: {err}") from err
    seen = observers(config)
    return {"tool": "litert-torch PT2E", "weights": "int8", "activations": "int8",
            "method": f"{seen['activations']} (activations), {seen['weights']} (weights)", "observers": seen,
            "per_channel": per_channel, "calibration_tiles": int(len(calibration_tiles)), "offsets": offsets}
