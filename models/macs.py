"""Multiply-accumulate counts of a torch network at a given input size, per layer and total.

Counted: convolutions (``C_out x H_out x W_out x C_in/groups x k_h x k_w``) and linear
layers (``in x out``), the operations that dominate a CNN. Not counted: batch norm (folded
into the convolution at export), activations, pooling, additions. FLOPs are reported as
2 x MACs, the usual convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class LayerMacs:
    """MACs of one layer for one input sample."""

    name: str
    kind: str
    macs: int


def count_macs(model: nn.Module, input_shape: tuple[int, int, int]) -> tuple[int, list[LayerMacs]]:
    """Count MACs of ``model`` for one input of shape ``(C, H, W)``.

    Returns:
        ``(total, per_layer)`` in execution order.
    """
    layers: list[LayerMacs] = []
    names = {module: name for name, module in model.named_modules()}

    def conv_hook(module: nn.Conv2d, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        kh, kw = module.kernel_size
        per_output = (module.in_channels // module.groups) * kh * kw
        layers.append(LayerMacs(names[module], "conv", int(output[0].numel() * per_output)))

    def linear_hook(module: nn.Linear, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        layers.append(LayerMacs(names[module], "linear", int(module.in_features * module.out_features)))

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *input_shape)))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return sum(layer.macs for layer in layers), layers


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
