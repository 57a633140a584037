"""Your own torch module, with its contract declared: what it takes and which heads it gives.

quakesat's exporter, runtimes and bench speak one contract: a float32 ``N x C x H x W`` tensor
made by the shared preprocessing in, a dict of heads out (``event``: the logit, ``magnitude``:
mb, ``location``: the ``N x 2`` offset of the event from the tile centre in half-tile units).
A module written elsewhere does not have to know that. A
:class:`~quakesat.models.contract.ModelContract` says, in plain values, what the module takes
(an amplitude pair's preprocessing or a same-track pair's interferogram, and the raw tile side)
and what its outputs are, in order; :class:`DeclaredNetwork` wraps the module so that it speaks the contract, and checks, by
running it once, that the module gives what the contract says. Nothing is inferred from the
module's attribute names.

The export path (:func:`quakesat.export.exporter.export_module`) then treats it as any
quakesat network: int8 calibration, the threshold at a false-alarm rate and the temperature
chosen on validation (the temperature is folded into the wrapper, not into the module's
weights), the fidelity gate, the manifest. docs/own_model.md is the tutorial.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from quakesat.errors import ConfigError
from quakesat.models.contract import HEAD_SHAPES, ModelContract


class DeclaredNetwork(nn.Module):
    """A module speaking quakesat's contract (module doc).

    Args:
        module: any ``nn.Module`` taking ``N x C x H x W`` (the contract's input shape) and
            returning one tensor (one output), or a tuple/list of tensors, or a dict keyed by
            the contract's output names.
        contract: what it takes and gives.

    Raises:
        ConfigError: the module's outputs are not what the contract declares (checked on a
            batch of two zero tiles).
    """

    def __init__(self, module: nn.Module, contract: ModelContract) -> None:
        super().__init__()
        if contract.event != "logit":
            raise ConfigError(f"{contract.name}: a torch module's event output must be a logit (contract event "
                              f"{contract.event!r}); return the logit and let the export calibrate it")
        self.module = module
        self.contract = contract
        self.spec = contract.spec()
        self.register_buffer("event_temperature", torch.ones(()))
        self._check()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        values = self._in_order(self.module(x))
        out: dict[str, torch.Tensor] = {}
        for name, value in zip(self.contract.outputs, values):
            value = value.reshape(value.shape[0], *HEAD_SHAPES[name]) if HEAD_SHAPES[name] else value.reshape(-1)
            out[name] = value / self.event_temperature if name == "event" else value
        return out

    def _in_order(self, raw: Any) -> list[Any]:
        """The module's outputs as a list in the contract's order (a dict, a tuple or list, or one tensor)."""
        if isinstance(raw, dict):
            return [raw[name] for name in self.contract.outputs]
        return list(raw) if isinstance(raw, (tuple, list)) else [raw]

    def with_temperature(self, temperature: float) -> DeclaredNetwork:
        """A copy whose event logit is divided by ``temperature`` (the module untouched)."""
        folded = copy.deepcopy(self)
        folded.event_temperature.fill_(float(temperature) * float(self.event_temperature))
        return folded

    def _check(self) -> None:
        was_training = self.module.training
        self.module.eval()
        try:
            with torch.no_grad():
                raw = self.module(torch.zeros((2, *self.contract.input_shape)))
        except Exception as err:  # noqa: BLE001 - any failure of a foreign module is the contract's
            raise ConfigError(f"{self.contract.name}: the module fails on a {list(self.contract.input_shape)} input "
                              f"({type(err).__name__}: {err})") from None
        finally:
            self.module.train(was_training)
        if isinstance(raw, dict):
            missing = set(self.contract.outputs) - set(raw)
            if missing:
                raise ConfigError(f"{self.contract.name}: the module's dict lacks {sorted(missing)}")
        values = self._in_order(raw)
        if len(values) != len(self.contract.outputs):
            raise ConfigError(f"{self.contract.name}: the module returns {len(values)} output(s), the contract "
                              f"declares {len(self.contract.outputs)} ({list(self.contract.outputs)})")
        for name, value in zip(self.contract.outputs, values):
            expected = (2, *HEAD_SHAPES[name])
            if not isinstance(value, torch.Tensor) or value.dtype != torch.float32:
                raise ConfigError(f"{self.contract.name}: output {name!r} must be a float32 tensor")
            if tuple(value.shape) != expected and not (HEAD_SHAPES[name] == () and tuple(value.shape) == (2, 1)):
                raise ConfigError(f"{self.contract.name}: output {name!r} has shape {list(value.shape)} for 2 tiles; "
                                  f"the contract needs {list(expected)}")
