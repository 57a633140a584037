"""Trained networks to ExecuTorch ``.pte`` programs with XNNPACK delegation (the C++ runner's models).

- fp32: ``torch.export`` of the heads wrapper at batch 1 (NCHW), lowered with the XNNPACK
  partitioner so the whole network runs inside the XNNPACK delegate; an undelegated program
  runs on ExecuTorch's portable kernels, about 100 x slower.
- int8: PT2E static quantization (:mod:`quakesat.export.pt2e`) with ExecuTorch's XNNPACK quantizer (symmetric int8,
  weights per output channel with min/max observers, activations per tensor with histogram
  observers: read from the quantizer's config into the manifest), calibrated on the same
  preprocessed tiles as the other int8 models, then lowered the same way. The heads (the
  linear layers after pooling, and the sigmoid) stay in float (a node filter on the module path):
  quantized, the event probability's output range was calibrated on the tiles seen and
  saturated (measured: at most 0.86 on every tile). Inputs and outputs stay float: the
  quantize/dequantize nodes at the edges run inside the program.

Outputs are the heads in network order, named by position (``"0"``, ``"1"``, ...) in the
manifest. ``executorch`` (with its torch-side exporter) is the optional ``pte`` extra and is
imported only here and in the ExecuTorch backend.
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
from quakesat.export.quiet import silenced


def pte_available() -> bool:
    """True where the ExecuTorch exporter can be imported."""
    try:
        with silenced():
            import executorch.exir  # noqa: F401
    except ImportError:
        return False
    return True


def _lower(graph: Any, sample: tuple[Any, ...], path: str | Path) -> None:
    import torch

    with silenced():
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import (
            XnnpackPartitioner,
        )
        from executorch.exir import to_edge_transform_and_lower

        program = to_edge_transform_and_lower(torch.export.export(graph, sample),
                                              partitioner=[XnnpackPartitioner()]).to_executorch()
    Path(path).write_bytes(program.buffer)


def _sample(tile_shape: Sequence[int]) -> tuple[Any]:
    import torch

    return (torch.zeros((1, *tile_shape), dtype=torch.float32),)


def export_network_pte(net: Any, tile_shape: Sequence[int], path: str | Path) -> list[str]:
    """fp32 XNNPACK-delegated ``.pte`` of a trained network; returns the heads in output order.

    Raises:
        ExportError: executorch is missing or lowering failed.
    """
    if not pte_available():
        raise ExportError("ExecuTorch export needs executorch; pip install 'quakesat[pte]'")
    heads = network_heads(net)
    try:
        _lower(heads_module(copy.deepcopy(net).eval(), heads), _sample(tile_shape), path)
    except Exception as err:
        raise ExportError(f"ExecuTorch lowering failed: {err}") from err
    return heads


#: The submodule kept in float in int8 programs (the heads wrapper's network's heads).
FLOAT_MODULE = "net.heads"


def outside(module: str) -> Any:
    """A PT2E node filter: True for graph nodes that do not come from ``module`` or its children."""

    def keep(node: Any) -> bool:
        stack = node.meta.get("nn_module_stack") or {}
        return not any(path == module or path.startswith(module + ".") for path, _ in stack.values())

    return keep


def quantize_pte_int8(net: Any, tile_shape: Sequence[int], path: str | Path, calibration_tiles: np.ndarray,
                      per_channel: bool = True, float_heads: bool = True) -> dict[str, Any]:
    """int8 XNNPACK-delegated ``.pte`` through PT2E static quantization, calibrated tile by tile.

    Returns:
        The quantization settings, for the manifest.

    Raises:
        ExportError: executorch is missing or quantization / lowering failed.
    """
    if not pte_available():
        raise ExportError("ExecuTorch export needs executorch; pip install 'quakesat[pte]'")
    import torch

    with silenced():
        from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
            XNNPACKQuantizer,
            get_symmetric_quantization_config,
        )

    heads = network_heads(net)
    module = heads_module(copy.deepcopy(net).eval(), heads)
    sample = _sample(tile_shape)
    config = get_symmetric_quantization_config(is_per_channel=per_channel)
    quantizer = XNNPACKQuantizer().set_global(config)
    if float_heads:  # set_module_name(name, None) is not supported by this quantizer: filter nodes instead
        quantizer.set_filter_function(outside(FLOAT_MODULE))
    tiles = (torch.from_numpy(tile[None]) for tile in np.asarray(calibration_tiles, dtype=np.float32))
    try:
        _lower(quantize_pt2e(module, sample, quantizer, tiles), sample, path)
    except Exception as err:
        raise ExportError(f"ExecuTorch int8 quantization failed: {err}") from err
    seen = observers(config)
    return {"tool": "ExecuTorch PT2E + XNNPACK", "weights": "int8", "activations": "int8",
            "method": f"{seen['activations']} (activations), {seen['weights']} (weights)", "observers": seen,
            "per_channel": per_channel, "float_modules": [FLOAT_MODULE] if float_heads else [],
            "calibration_tiles": int(len(calibration_tiles))}
