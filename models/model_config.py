"""A model folder's ``config.json``: its one writer and its one reader.

``quakesat train`` writes a model folder: the weights (``model.pt``, ``model.joblib`` or
``rule.json``) and ``config.json``, which says what they are. Three trainers write it
(:mod:`quakesat.models.train` for networks, :mod:`quakesat.models.shallow`,
:mod:`quakesat.models.log_ratio`), each through :func:`write_model_config`; export, evaluate
and :func:`quakesat.models.train.load_network` read it through :func:`read_model_config`,
which checks what they rely on and fails with one line that says what to do:

- every family: ``family`` (``cnn``, ``shallow`` or ``rule``), ``paper_task`` (the QuakeSet
  task, a whole number) and ``preprocess`` (an object);
- ``cnn``: ``train.model`` (the network's name), ``net_spec`` (an object) and
  ``input_shape`` (whole numbers);
- ``shallow`` and ``rule``: ``model`` (the pipeline's or the rule's name).

The rest of the file (training options, history, validation metrics, ...) is kept as written
in :attr:`ModelConfig.values`. Standard library only: reading a folder's config loads no
training library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quakesat.errors import ConfigError, ModelNotFoundError
from quakesat.files import write_text_atomic

CONFIG_NAME = "config.json"
FAMILIES = ("cnn", "shallow", "rule")
#: Larger files are no config (a network's with its whole history is a few kB).
MAX_CONFIG_BYTES = 16 * 2**20
TRAIN_HINT = "train a model there with `quakesat train --out DIR`"


@dataclass(frozen=True)
class ModelConfig:
    """What a model folder's ``config.json`` says, checked."""

    family: str
    name: str
    paper_task: int
    preprocess: dict[str, Any]
    input_shape: tuple[int, ...] | None = None  # cnn only
    net_spec: dict[str, Any] | None = None  # cnn only
    values: dict[str, Any] = field(default_factory=dict)  # the whole file, as written

    def to_json(self) -> str:
        """The file's text (``values``, which the typed fields were read from)."""
        return json.dumps(self.values, indent=2)


def parse_model_config(values: Any, where: str) -> ModelConfig:
    """``values`` (a parsed ``config.json``) as a :class:`ModelConfig`.

    Raises:
        ConfigError: a field a reader relies on is missing or of the wrong type.
    """
    def wrong(key: str, expected: str) -> ConfigError:
        return ConfigError(f"{where}: its config.json needs {key} as {expected}; {TRAIN_HINT} again")

    if not isinstance(values, dict):
        raise ConfigError(f"{where}: its config.json is not a JSON object; {TRAIN_HINT} again")
    family = values.get("family")
    if family not in FAMILIES:
        raise ConfigError(f"{where}: unknown model family {family!r}; expected one of {sorted(FAMILIES)}")
    task = values.get("paper_task")
    if not isinstance(task, int) or isinstance(task, bool):
        raise wrong("'paper_task'", "a whole number")
    if not isinstance(values.get("preprocess"), dict):
        raise wrong("'preprocess'", "an object")
    if family != "cnn":
        if not isinstance(values.get("model"), str):
            raise wrong("'model'", "a string")
        return ModelConfig(family, values["model"], task, values["preprocess"], values=values)
    train = values.get("train")
    if not isinstance(train, dict) or not isinstance(train.get("model"), str):
        raise wrong("'train.model'", "a string")
    if not isinstance(values.get("net_spec"), dict):
        raise wrong("'net_spec'", "an object")
    shape = values.get("input_shape")
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0
                                              for n in shape):
        raise wrong("'input_shape'", "a list of whole numbers")
    return ModelConfig(family, train["model"], task, values["preprocess"], tuple(shape), values["net_spec"], values)


def read_model_config(model_dir: str | Path) -> ModelConfig:
    """The ``config.json`` of the model folder ``model_dir``.

    Raises:
        ModelNotFoundError: the folder has no ``config.json``.
        ConfigError: the file is unreadable, not JSON, of an unknown family, or lacks a field
            the readers rely on (module doc).
    """
    model_dir = Path(model_dir)
    path = model_dir / CONFIG_NAME
    if not path.is_file():
        raise ModelNotFoundError(f"{model_dir}: no {CONFIG_NAME}; {TRAIN_HINT}")
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES // 2**20} MiB; not a model config")
        values = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror or err})") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ConfigError(f"{path}: not JSON ({str(err)[:200]}); {TRAIN_HINT} again") from None
    return parse_model_config(values, str(model_dir))


def write_model_config(out: str | Path, values: dict[str, Any]) -> ModelConfig:
    """Write ``values`` as ``out/config.json``, whole or not at all, after checking them as the
    reader will (a trainer that writes a config no reader takes fails here)."""
    config = parse_model_config(values, str(out))
    write_text_atomic(Path(out) / CONFIG_NAME, config.to_json())
    return config
