"""The one int8 PT2E path: export a torch module, insert a quantizer's observers, calibrate on
preprocessed tiles one at a time, convert. Used by the TFLite and the ExecuTorch exporters,
which differ only in the quantizer and in what they lower the result to.

PT2E ("PyTorch 2 Export") post-training static quantization: ``torch.export`` captures the
graph, ``prepare_pt2e`` inserts the observers the quantizer asks for, running calibration
tiles through it records activation ranges, and ``convert_pt2e`` replaces observers with
quantize/dequantize pairs that the converter lowers to int8 kernels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from quakesat.export.quiet import silenced


def quantize_pt2e(module: Any, sample: tuple[Any, ...], quantizer: Any, calibration: Iterable[Any],
                  fold_quantize: bool = True) -> Any:
    """The calibrated, converted int8 graph of ``module`` (eval mode) for ``quantizer``.

    Args:
        module: the torch module to quantize (eval mode; its inputs shaped like ``sample``).
        sample: example inputs for ``torch.export``.
        quantizer: a PT2E quantizer (XNNPACK's, litert-torch's).
        calibration: input tensors, each a batch of one tile, run through the observed graph.
        fold_quantize: fold weight quantization into constants (litert-torch converts the
            unfolded graph and needs False).

    Raises:
        whatever torch/torchao raise; callers wrap it in an ExportError with their context.
    """
    import torch

    with silenced():  # torchao reports optional CUDA kernels it cannot load
        from torchao.quantization.pt2e import move_exported_model_to_eval
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

        graph = prepare_pt2e(torch.export.export(module, sample).module(), quantizer)
        move_exported_model_to_eval(graph)
        with torch.no_grad():
            for tile in calibration:
                graph(tile)
        graph = convert_pt2e(graph, fold_quantize=fold_quantize)
        move_exported_model_to_eval(graph)
    return graph


def _observer_name(spec: Any) -> str | None:
    if spec is None:
        return None
    ctor = getattr(spec, "observer_or_fake_quant_ctr", None)
    target = getattr(ctor, "p", None)  # torch's with_args partial keeps the class in .p.func
    cls = getattr(target, "func", None) or ctor
    return getattr(cls, "__name__", None) or type(cls).__name__


def observers(config: Any) -> dict[str, str | None]:
    """The observer classes a PT2E quantization config calibrates with, by what they observe
    (for the manifest: the real calibration method, read from the config, not assumed)."""
    return {"activations": _observer_name(getattr(config, "input_activation", None)),
            "weights": _observer_name(getattr(config, "weight", None))}

