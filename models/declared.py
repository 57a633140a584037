"""Your own torch module, with its contract declared: what it takes and which heads it gives.

quakesat's exporter, runtimes and bench speak one contract: a float32 ``N x C x H x W`` tensor
made by the shared preprocessing in, a dict of heads out (``event``: the logit, ``magnitude``:
mb, ``location``: the ``N x 2`` offset of the event from the tile centre in half-tile units).
A module written elsewhere does not have to know that. :class:`ModelContract` says, in plain
values, what the module takes (an amplitude pair's preprocessing or a same-track pair's
interferogram, and the raw tile side) and what its outputs are, in order;
:class:`DeclaredNetwork` wraps the module so that it speaks the contract, and checks, by
running it once, that the module gives what the contract says. Nothing is inferred from the
module's attribute names.

The export path (:func:`quakesat.export.exporter.export_module`) then treats it as any
quakesat network: int8 calibration, the threshold at a false-alarm rate and the temperature
chosen on validation (the temperature is folded into the wrapper, not into the module's
weights), the fidelity gate, the manifest. docs/own_model.md is the tutorial.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from quakesat.errors import ConfigError
from quakesat.models.networks import HEADS, NetSpec
from quakesat.runtime.interferogram import CHANNELS as INTERFEROGRAM_CHANNELS
from quakesat.runtime.interferogram import InterferogramConfig
from quakesat.runtime.preprocess import PreprocessConfig

#: What a module may take: an amplitude pair (pre VV, VH, post VV, VH) or the interferogram of
#: a same-track pair (cos φ, sin φ, coherence).
INPUTS = ("bitemporal", "interferometric")
#: Per head, the shape of one tile's output.
HEAD_SHAPES = {"event": (), "magnitude": (), "location": (2,)}


@dataclass(frozen=True)
class ModelContract:
    """What a torch module takes and gives (module doc).

    Attributes:
        name: the model's name in the manifest.
        input: ``bitemporal`` (an amplitude pair) or ``interferometric`` (a same-track pair).
        side: the raw tile side (pixels) the module is for.
        multilook: the amplitude pair's multilook factor (``downsample``), or the
            interferogram's looks.
        outputs: the module's outputs, in the order it returns them: names from
            ``event`` (a logit), ``magnitude`` (mb), ``location``.
        magnitude_given_event: with both ``event`` and ``magnitude``: the magnitude is the
            event's, given that there is one (quakesat's multi-head networks); False: 0 means
            no event.
    """

    name: str
    input: str
    side: int
    multilook: int = 1
    outputs: tuple[str, ...] = ("event",)
    magnitude_given_event: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError("a contract needs a model name")
        if self.input not in INPUTS:
            raise ConfigError(f"contract input {self.input!r}: choose one of {list(INPUTS)}")
        outputs = tuple(self.outputs)
        object.__setattr__(self, "outputs", outputs)
        if not outputs or len(set(outputs)) != len(outputs) or set(outputs) - set(HEADS):
            raise ConfigError(f"contract outputs {list(outputs)}: distinct names from {list(HEADS)}")
        if "event" not in outputs and "magnitude" not in outputs:
            raise ConfigError("contract outputs need an event or a magnitude head")
        for name in ("side", "multilook"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"contract {name} must be a positive whole number, got {value!r}")
        if self.side % self.multilook:
            raise ConfigError(f"contract multilook {self.multilook} must divide the side {self.side}")

    def preprocess(self) -> PreprocessConfig | InterferogramConfig:
        """The shared preprocessing that makes the module's input."""
        if self.input == "interferometric":
            return InterferogramConfig(looks=self.multilook)
        return PreprocessConfig(downsample=self.multilook)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one input tile."""
        grid = self.side // self.multilook
        channels = len(INTERFEROGRAM_CHANNELS) if self.input == "interferometric" else 4
        return channels, grid, grid

    @property
    def paper_task(self) -> int:
        """The QuakeSet task whose samples judge it: 1 (detection), or 2 (magnitude only)."""
        return 1 if "event" in self.outputs else 2

    def spec(self) -> NetSpec:
        """The heads, as quakesat's networks declare theirs."""
        return NetSpec(in_channels=self.input_shape[0], **{head: head in self.outputs for head in HEADS})

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object (``quakesat export --contract``)."""
        return {**asdict(self), "outputs": list(self.outputs)}

    @classmethod
    def from_dict(cls, values: Any) -> ModelContract:
        """Read :meth:`to_dict`'s output (the keys ``name``, ``input`` and ``side`` at least).

        Raises:
            ConfigError: not an object, an unknown key, or a value the contract refuses.
        """
        if not isinstance(values, dict):
            raise ConfigError("a contract is a JSON object")
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"contract: unknown keys {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}")
        missing = {"name", "input", "side"} - set(values)
        if missing:
            raise ConfigError(f"contract: missing keys {sorted(missing)}")
        try:
            return cls(**{**values, "outputs": tuple(values.get("outputs", ("event",)))})
        except TypeError as err:
            raise ConfigError(f"contract: {err}") from None

    @classmethod
    def read(cls, path: str | Path) -> ModelContract:
        """A contract from a JSON file.

        Raises:
            ConfigError: unreadable JSON or a refused contract.
        """
        try:
            values = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ConfigError(f"{path}: not a readable JSON contract ({err})") from None
        return cls.from_dict(values)

    def export_config(self) -> dict[str, Any]:
        """What the exporter reads of a model folder's ``config.json``, for this module."""
        return {"family": "cnn", "paper_task": self.paper_task, "preprocess": self.preprocess().to_dict(),
                "input_shape": list(self.input_shape), "net_spec": asdict(self.spec()),
                "magnitude_given_event": bool(self.magnitude_given_event and {"event", "magnitude"} <= set(self.outputs)),
                "train": {"model": self.name}, "validation": None, "contract": self.to_dict()}


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
        self.module = module
        self.contract = contract
        self.spec = contract.spec()
        self.register_buffer("event_temperature", torch.ones(()))
        self._check()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        raw = self.module(x)
        if isinstance(raw, dict):
            values = [raw[name] for name in self.contract.outputs]
        elif isinstance(raw, (tuple, list)):
            values = list(raw)
        else:
            values = [raw]
        out: dict[str, torch.Tensor] = {}
        for name, value in zip(self.contract.outputs, values):
            value = value.reshape(value.shape[0], *HEAD_SHAPES[name]) if HEAD_SHAPES[name] else value.reshape(-1)
            out[name] = value / self.event_temperature if name == "event" else value
        return out

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
            values = [raw[name] for name in self.contract.outputs]
        else:
            values = list(raw) if isinstance(raw, (tuple, list)) else [raw]
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
