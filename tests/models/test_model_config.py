"""A model folder's config.json: written by the trainers through write_model_config, read by
export, evaluate and load_network through read_model_config, one clear line when it is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from quakesat.errors import ConfigError, ModelNotFoundError
from quakesat.models.model_config import CONFIG_NAME, ModelConfig, read_model_config, write_model_config

PREPROCESS = {"version": 2, "downsample": 4}
CONFIGS: dict[str, dict[str, Any]] = {
    "cnn": {"family": "cnn", "train": {"model": "quakelite", "epochs": 6}, "paper_task": 3, "preprocess": PREPROCESS,
            "net_spec": {"event": True, "magnitude": True}, "input_shape": [4, 128, 128], "history": [1, 2]},
    "shallow": {"family": "shallow", "model": "random-forest", "paper_task": 1, "preprocess": PREPROCESS,
                "info": {"n_samples": 10}},
    "rule": {"family": "rule", "model": "log-ratio", "paper_task": 1, "preprocess": PREPROCESS,
             "rule": {"share_threshold": 0.1}},
}


@pytest.mark.parametrize("family", sorted(CONFIGS))
def test_a_config_round_trips(family: str, tmp_path: Path) -> None:
    written = write_model_config(tmp_path, CONFIGS[family])
    read = read_model_config(tmp_path)
    assert read == written and isinstance(read, ModelConfig)
    assert read.family == family and read.paper_task == CONFIGS[family]["paper_task"] and read.values == CONFIGS[family]
    assert read.name == {"cnn": "quakelite", "shallow": "random-forest", "rule": "log-ratio"}[family]
    assert (read.input_shape == (4, 128, 128)) == (family == "cnn")


def test_a_folder_without_a_config_says_which_command_makes_one(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no config.json; train a model there with `quakesat train"):
        read_model_config(tmp_path / "absent")


@pytest.mark.parametrize(("text", "expected"), [
    ("{not json", "not JSON"),
    ("[1]", "not a JSON object"),
    (json.dumps(CONFIGS["rule"] | {"family": "boosted"}), "unknown model family 'boosted'"),
    (json.dumps(CONFIGS["rule"] | {"paper_task": "1"}), "'paper_task' as a whole number"),
    (json.dumps(CONFIGS["shallow"] | {"preprocess": None}), "'preprocess' as an object"),
    (json.dumps({k: v for k, v in CONFIGS["shallow"].items() if k != "model"}), "'model' as a string"),
    (json.dumps(CONFIGS["cnn"] | {"train": {}}), "'train.model' as a string"),
    (json.dumps(CONFIGS["cnn"] | {"input_shape": [4, 0, 128]}), "'input_shape' as a list of whole numbers"),
])
def test_a_broken_config_is_one_line(text: str, expected: str, tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(text)
    with pytest.raises(ConfigError, match=expected) as err:
        read_model_config(tmp_path)
    assert "\n" not in str(err.value)


def test_a_trainer_cannot_write_a_config_no_reader_takes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'net_spec' as an object"):
        write_model_config(tmp_path, {k: v for k, v in CONFIGS["cnn"].items() if k != "net_spec"})
    assert not (tmp_path / CONFIG_NAME).exists()


def test_export_and_evaluate_read_it_through_the_reader(tmp_path: Path) -> None:
    """A broken config stops export and evaluate with the reader's line, before any data is opened."""
    pytest.importorskip("torch")
    from quakesat.evaluation.evaluate import evaluate
    from quakesat.export.exporter import export_model

    (tmp_path / CONFIG_NAME).write_text(json.dumps(CONFIGS["rule"] | {"family": "boosted"}))
    with pytest.raises(ConfigError, match="unknown model family 'boosted'"):
        export_model(tmp_path, tmp_path / "absent.h5", tmp_path / "out")
    with pytest.raises(ConfigError, match="unknown model family 'boosted'"):
        evaluate(tmp_path / "absent.h5", tmp_path)
    with pytest.raises(ModelNotFoundError):
        export_model(tmp_path / "nothing", tmp_path / "absent.h5", tmp_path / "out")
