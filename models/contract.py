"""What a model takes and gives, declared: the contract of a model quakesat did not build.

quakesat's exporter, runtimes and bench speak one contract: a float32 ``N x C x H x W`` tensor
made by the shared preprocessing in, heads out (``event``, ``magnitude`` in mb, ``location``:
the ``N x 2`` offset of the event from the tile centre in half-tile units). A
:class:`ModelContract` states, in plain values, how a foreign model fits it: the input kind,
the raw tile side, the multilook, and the model's outputs in the order it returns them. A torch
module is then wrapped by :class:`quakesat.models.declared.DeclaredNetwork`; an existing
``.onnx`` or ``.tflite`` file is adopted by :mod:`quakesat.export.adopt`. numpy only (no torch),
so that adopting a file needs no training stack. docs/own_model.md is the tutorial.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from quakesat.errors import ConfigError
from quakesat.runtime.interferogram import CHANNELS as INTERFEROGRAM_CHANNELS
from quakesat.runtime.interferogram import InterferogramConfig
from quakesat.runtime.preprocess import PreprocessConfig

#: Head names, in the order quakesat's exporters write them.
HEADS = ("event", "magnitude", "location")
#: What the event output may be: a logit, or a probability.
EVENT_FORMS = ("logit", "probability")


#: What a module may take: an amplitude pair (pre VV, VH, post VV, VH) or the interferogram of
#: a same-track pair (cos φ, sin φ, coherence).
INPUTS = ("bitemporal", "interferometric")
#: Per head, the shape of one tile's output.
HEAD_SHAPES = {"event": (), "magnitude": (), "location": (2,)}


@dataclass(frozen=True)
class ModelContract:
    """What a model takes and gives (module doc).

    Attributes:
        name: the model's name in the manifest.
        input: ``bitemporal`` (an amplitude pair) or ``interferometric`` (a same-track pair).
        side: the raw tile side (pixels) the module is for.
        multilook: the amplitude pair's multilook factor (``downsample``), or the
            interferogram's looks.
        outputs: the module's outputs, in the order it returns them: names from
            ``event``, ``magnitude`` (mb), ``location``.
        magnitude_given_event: with both ``event`` and ``magnitude``: the magnitude is the
            event's, given that there is one (quakesat's multi-head networks); False: 0 means
            no event.
        event: the event output is a ``logit`` (a torch module's must be) or a
            ``probability`` (an adopted file may give either).
    """

    name: str
    input: str
    side: int
    multilook: int = 1
    outputs: tuple[str, ...] = ("event",)
    magnitude_given_event: bool = True
    event: str = "logit"

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
        if self.event not in EVENT_FORMS:
            raise ConfigError(f"contract event {self.event!r}: choose one of {list(EVENT_FORMS)}")
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

    def spec(self) -> Any:
        """The heads, as quakesat's networks declare theirs (a :class:`~quakesat.models.networks.NetSpec`)."""
        from quakesat.models.networks import NetSpec

        return NetSpec(**self.net_spec())

    def net_spec(self) -> dict[str, Any]:
        """The input channels and which heads there are, as a plain dict (:meth:`spec`'s fields)."""
        return {"in_channels": self.input_shape[0], **{head: head in self.outputs for head in HEADS}}

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
                "input_shape": list(self.input_shape), "net_spec": self.net_spec(),
                "magnitude_given_event": bool(self.magnitude_given_event and {"event", "magnitude"} <= set(self.outputs)),
                "train": {"model": self.name}, "validation": None, "contract": self.to_dict()}
