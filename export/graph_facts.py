"""Facts counted from an exported ONNX graph: operators, MACs per layer, parameters, size.

MACs are counted on the graph that ships, not on the torch module (docs/benchmarks.md): shapes come
from ONNX shape inference with the batch fixed to 1. A convolution costs
``output elements x (input channels / groups) x kernel area``; a matrix product
``output elements x inner dimension``. Element-wise operators are not counted (as in the
paper's and torch counters' convention), so the total equals ``quakesat.models.macs`` on the
same network, which a test checks.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np


def _shape_map(model: Any) -> dict[str, list[int]]:
    import onnx

    model = onnx.ModelProto.FromString(model.SerializeToString())
    for value in model.graph.input:
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].dim_value:
            dims[0].dim_value = 1
    inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    shapes: dict[str, list[int]] = {}
    for value in [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]:
        dims = value.type.tensor_type.shape.dim
        shapes[value.name] = [d.dim_value for d in dims]
    for init in inferred.graph.initializer:
        shapes[init.name] = list(init.dims)
    return shapes


def graph_facts(path: str | Path) -> dict[str, Any]:
    """Operator counts, MACs per layer and in total, parameter count and file size.

    Returns:
        ``{"operators": {op: count}, "macs": total, "layers": [{"name", "op", "macs"}],
        "params": n, "bytes": file size}``; layers are the nodes with MACs, in graph order.
    """
    import onnx
    from onnx import numpy_helper

    path = Path(path)
    model = onnx.load(str(path))
    shapes = _shape_map(model)
    layers = []
    for node in model.graph.node:
        macs = 0
        out = shapes.get(node.output[0]) if node.output else None
        if node.op_type == "Conv" and out and len(node.input) > 1 and node.input[1] in shapes:
            weight = shapes[node.input[1]]  # (C_out, C_in / groups, kh, kw)
            macs = int(np.prod(out)) * int(np.prod(weight[1:]))
        elif node.op_type in ("Gemm", "MatMul") and out and node.input[0] in shapes:
            a = shapes[node.input[0]]
            trans_a = any(att.name == "transA" and att.i for att in node.attribute)
            inner = a[-2] if trans_a and len(a) >= 2 else a[-1]
            macs = int(np.prod(out)) * int(inner)
        if macs:
            layers.append({"name": node.name, "op": node.op_type, "macs": macs})
    params = sum(int(numpy_helper.to_array(init).size) for init in model.graph.initializer
                 if init.data_type == onnx.TensorProto.FLOAT)
    return {
        "operators": dict(sorted(Counter(node.op_type for node in model.graph.node).items())),
        "macs": int(sum(layer["macs"] for layer in layers)),
        "layers": layers,
        "params": int(params),
        "bytes": path.stat().st_size,
    }
