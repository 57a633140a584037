"""``quakesat evaluate``: a trained model folder scored on one split with the paper's metrics.

Detection: accuracy (and F1, counts). Magnitude: MAE over all samples (negatives have
target 0, as in the paper) and the accuracy of "predicted magnitude >= 1 means an event".
Plus the model's cost: parameters, MACs at its input size, and measured time per tile
(model inference at batch 1, without reading and preprocessing the tile).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.errors import ConfigError, ModelNotFoundError
from quakesat.evaluation.metrics import detection_report, magnitude_report

#: Tiles timed one by one (batch 1, as on board) after one warm-up call.
TIMED_TILES = 16


def median_ms_per_tile(run: Callable[[Any], Any], inputs: Sequence[Any]) -> float:
    """Median wall time (ms) of ``run`` over the first :data:`TIMED_TILES` inputs, after one
    untimed warm-up call on the first input."""
    inputs = list(inputs[:TIMED_TILES])
    run(inputs[0])
    times = []
    for item in inputs:
        start = time.perf_counter()
        run(item)
        times.append(time.perf_counter() - start)
    return round(1000 * float(np.median(times)), 3)


def _evaluate_cnn(data: Path, model_dir: Path, split: str) -> dict[str, Any]:
    import torch

    from quakesat.data.quakeset import QuakeSetFile
    from quakesat.models.macs import count_macs, count_parameters
    from quakesat.models.torch_data import TorchQuakeSet
    from quakesat.models.train import EVENT_THRESHOLD, load_network, predict
    from quakesat.runtime.preprocess import PreprocessConfig

    net, config = load_network(model_dir)
    with QuakeSetFile(data) as qs:
        dataset = TorchQuakeSet(qs, config["paper_task"], split, PreprocessConfig.from_dict(config["preprocess"]),
                                cache=False)
        if len(dataset) == 0:
            raise ConfigError(f"{data}: no samples for task {config['paper_task']} in split {split!r}")
        outputs = predict(net, dataset)
        labels = np.array([r.label for r in dataset.refs])
        magnitudes = np.array([r.magnitude for r in dataset.refs])
        tiles = [dataset[index][0][None] for index in range(min(TIMED_TILES, len(dataset)))]
        with torch.no_grad():
            ms_per_tile = median_ms_per_tile(net, tiles)
    macs, _ = count_macs(net, tuple(config["input_shape"]))
    report: dict[str, Any] = {
        "params": count_parameters(net),
        "macs": macs,
        "input_shape": config["input_shape"],
        "ms_per_tile": ms_per_tile,
        "threads": torch.get_num_threads(),
    }
    if "event" in outputs:
        report["detection"] = detection_report(labels, (outputs["event"] >= EVENT_THRESHOLD).astype(int))
    if "magnitude" in outputs:
        report["magnitude"] = magnitude_report(labels, magnitudes, outputs["magnitude"])
    return {"family": "cnn", "model": config["train"]["model"], "paper_task": config["paper_task"], **report}


def _evaluate_shallow(data: Path, model_dir: Path, split: str) -> dict[str, Any]:
    from quakesat.data.quakeset import QuakeSetFile, Task
    from quakesat.models.shallow import (
        load_shallow_data,
        load_shallow_with_info,
        predict_shallow,
        single_threaded,
    )
    from quakesat.runtime.preprocess import PreprocessConfig

    pipeline, info = load_shallow_with_info(model_dir / "model.joblib")
    task = Task.parse(info["task"])
    with QuakeSetFile(data) as qs:
        samples = load_shallow_data(qs, task, split, config=PreprocessConfig.from_dict(info["preprocess"]))
    if len(samples.labels) == 0:
        raise ConfigError(f"{data}: no samples for task {int(task)} in split {split!r}")
    predictions = predict_shallow(pipeline, samples.features)
    single_threaded(pipeline)
    ms_per_tile = median_ms_per_tile(lambda row: predict_shallow(pipeline, row[None]), samples.features)
    report: dict[str, Any] = {
        "family": "shallow", "model": info["model"], "paper_task": int(task),
        "features": int(samples.features.shape[1]), "pca_components": info.get("n_components"),
        "ms_per_tile": ms_per_tile,
    }
    if task.is_regression:
        report["magnitude"] = magnitude_report(samples.labels, samples.magnitudes, predictions)
    else:
        report["detection"] = detection_report(samples.labels, predictions)
    return report


def evaluate(data: str | Path, model_dir: str | Path, split: str = "test") -> dict[str, Any]:
    """Score the model in ``model_dir`` on ``split`` of ``data``.

    Returns:
        JSON-ready dict: model, family, paper task, split, sample count, metrics, params,
        MACs, input shape, median milliseconds per tile (batch 1).

    Raises:
        ModelNotFoundError: ``model_dir`` has no ``config.json``.
        ConfigError: the split has no samples for the model's task.
    """
    model_dir = Path(model_dir)
    config_path = model_dir / "config.json"
    if not config_path.exists():
        raise ModelNotFoundError(f"{model_dir}: no config.json; train a model there with `quakesat train --out DIR`")
    family = json.loads(config_path.read_text()).get("family")
    evaluators = {"cnn": _evaluate_cnn, "shallow": _evaluate_shallow}
    if family not in evaluators:
        raise ConfigError(f"{model_dir}: unknown model family {family!r}; expected one of {sorted(evaluators)}")
    result = evaluators[family](Path(data), model_dir, split)
    return {"data": str(data), "model_dir": str(model_dir), "split": split, **result}


#: Tiles per model call when scoring an artifact (batching only; decisions are per tile).
ARTIFACT_BATCH = 16


def evaluate_artifacts(data: str | Path, artifacts: str | Path, split: str = "test", artifact: str | None = None,
                       threads: int = 1) -> dict[str, Any]:
    """Score an exported artifact on ``split`` of ``data`` through the flight-side pieces
    (manifest, hash check, input checks, shared preprocessing, backend, decision rule), in
    batches and without the change gate: the reference the runtime's messages are checked
    against (``quakesat run --evaluate``).

    Returns:
        JSON-ready dict: artifact, model id, ``n``, ``detection`` (the decision rule),
        ``magnitude`` (where the model has a magnitude head; magnitudes as reported),
        ``shortcut`` (:func:`~quakesat.evaluation.metrics.shortcut_report`), ``bad_input`` (tiles
        the input checks stopped), and ``per_tile``: ``[event, magnitude]`` in split order.

    Raises:
        ModelNotFoundError, ManifestError, ArtifactHashError, BackendError: as
            :meth:`~quakesat.runtime.model.ExportedModel.open`.
        ConfigError: no bitemporal samples in the split.
    """
    from quakesat.data.quakeset import QuakeSetFile, Task
    from quakesat.evaluation.metrics import shortcut_report
    from quakesat.runtime.decision import decide
    from quakesat.runtime.model import ExportedModel
    from quakesat.runtime.preprocess import preprocess_image, preprocess_pair
    from quakesat.runtime.validate import check_pair

    model = ExportedModel.open(artifacts, artifact, threads)
    manifest = model.manifest
    config, side = model.preprocess_config, int(manifest.raw["input"]["raw_side"])
    bitemporal = int(manifest.raw["input"].get("images", 2)) == 2
    given_event = bool(manifest.raw["model"].get("magnitude_given_event", False))
    labels, magnitudes, identical, events, predicted = [], [], [], [], []
    bad_input = 0
    pending: list[tuple[int, np.ndarray]] = []

    def flush() -> None:
        if not pending:
            return
        heads = model.heads(np.stack([tile for _, tile in pending]))
        decision = decide(heads, manifest.decision, given_event)
        for row, (index, _) in enumerate(pending):
            events[index], predicted[index] = bool(decision.event[row]), float(decision.magnitude[row])
        pending.clear()

    with QuakeSetFile(data) as qs:
        refs = qs.samples(Task.BITEMPORAL_DETECTION, split)
        if not refs:
            raise ConfigError(f"{data}: no bitemporal samples in split {split!r}")
        for index, ref in enumerate(refs):
            first, second = qs.read(ref)
            labels.append(ref.label)
            magnitudes.append(ref.magnitude)
            identical.append(bool(np.array_equal(first, second, equal_nan=True)))
            events.append(False)
            predicted.append(0.0)
            if not check_pair(first, second, side, config).processable:
                bad_input += 1
                continue
            tile = preprocess_pair(first, second, config) if bitemporal else preprocess_image(second, config)
            pending.append((index, tile))
            if len(pending) == ARTIFACT_BATCH:
                flush()
        flush()
    report: dict[str, Any] = {
        "data": str(data), "artifacts": str(artifacts), "artifact": model.artifact.name,
        "model_id": f"0x{model.model_id:04x}", "split": split, "n": len(labels), "bad_input": bad_input,
        "detection": detection_report(labels, np.asarray(events, dtype=int)),
        "shortcut": shortcut_report(labels, np.asarray(events, dtype=int), identical),
    }
    if "magnitude" in model.artifact.outputs:
        report["magnitude"] = magnitude_report(labels, magnitudes, np.clip(predicted, 0.0, None))
    report["per_tile"] = [[bool(e), round(m, 4)] for e, m in zip(events, predicted)]
    return report
