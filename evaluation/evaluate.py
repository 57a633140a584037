"""``quakesat evaluate``: a trained model folder scored on one split with the paper's metrics.

Detection: accuracy (and F1, counts). Magnitude: MAE over all samples (negatives have
target 0, as in the paper) and the accuracy of "predicted magnitude >= 1 means an event".
Plus the model's cost: parameters, MACs at its input size, and measured time per tile
(model inference at batch 1, without reading and preprocessing the tile).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.errors import ConfigError
from quakesat.evaluation.metrics import MetricInputError, detection_report, magnitude_report
from quakesat.evaluation.timing import TIMED_TILES, median_ms_per_tile
from quakesat.runtime.tile import Georef


def baseline_summary(data: str | Path, seed: int = 0) -> dict[str, Any]:
    """The mandatory baselines on ``data``'s test split, in brief (what ``evaluate`` prints
    beside a model; :func:`quakesat.evaluation.difficulty.baseline_summaries`)."""
    from quakesat.evaluation.baselines import fit_baselines, pair_table
    from quakesat.evaluation.difficulty import baseline_summaries

    table = pair_table(data)
    detectors, magnitude = baseline_summaries(table, fit_baselines(table, seed=seed))
    return {"split": "test", "detectors": detectors, "magnitude": magnitude}


def _onboard(qs: Any, dataset: Any, outputs: dict[str, np.ndarray], validation: Any,
             val_outputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """Operating points (thresholds from validation), by-bins at 1 % and magnitude skill of a network."""
    from quakesat.evaluation.baselines import DISTANCE_EDGES_KM, MAGNITUDE_EDGES
    from quakesat.evaluation.operating_point import detection_by_bins, hard_mask, magnitude_skill, operating_points
    from quakesat.models.train import EVENT_THRESHOLD

    labels = np.array([r.label for r in dataset.refs])
    magnitudes = np.array([r.magnitude for r in dataset.refs])
    report: dict[str, Any] = {"thresholds_from": "validation"}
    points = None
    if "event" in outputs and len(validation):
        val_labels = np.array([r.label for r in validation.refs])
        val_hard = hard_mask(val_labels, validation.identical())
        hard = hard_mask(labels, dataset.identical())
        try:
            points = operating_points(val_labels, val_outputs["event"], labels, outputs["event"], val_hard=val_hard,
                                      test_hard=hard, decision_threshold=EVENT_THRESHOLD)
        except MetricInputError as err:  # e.g. a tiny file's validation split without non-identical negatives
            report["operating_points"] = {"skipped": str(err)}
            points = None
    if "event" in outputs and len(validation) and points is not None:
        distances = np.array([float(qs.patch_attrs(r.event_id, r.patch).get("distance_km", np.nan))
                              for r in dataset.refs])
        flagged = (outputs["event"] >= points["points"][0]["threshold"]).astype(np.int64)
        report["operating_points"] = points
        report["by_bins_at_1pct"] = detection_by_bins(flagged, labels, magnitudes, distances, MAGNITUDE_EDGES,
                                                      DISTANCE_EDGES_KM)
    if "magnitude" in outputs and (labels == 1).any():
        train_events = [r.magnitude for r in qs.samples(dataset.task, "train") if r.label == 1]
        given = outputs.get("magnitude_given_event", outputs["magnitude"])
        report["magnitude_skill"] = magnitude_skill(train_events, labels, magnitudes, given, outputs["magnitude"])
    return report


def _evaluate_cnn(data: Path, model_dir: Path, split: str) -> dict[str, Any]:
    import torch

    from quakesat.data.quakeset import QuakeSetFile
    from quakesat.models.macs import count_macs, count_parameters
    from quakesat.models.torch_data import TorchQuakeSet, input_preprocessing
    from quakesat.models.train import EVENT_THRESHOLD, load_network, predict

    net, config = load_network(model_dir)
    with QuakeSetFile(data) as qs:
        dataset = TorchQuakeSet(qs, config["paper_task"], split, input_preprocessing(config["preprocess"]),
                                cache=False)
        if len(dataset) == 0:
            raise ConfigError(f"{data}: no samples for task {config['paper_task']} in split {split!r}")
        outputs = predict(net, dataset)
        labels = np.array([r.label for r in dataset.refs])
        magnitudes = np.array([r.magnitude for r in dataset.refs])
        validation = TorchQuakeSet(qs, config["paper_task"], "validation",
                                   input_preprocessing(config["preprocess"]), cache=False)
        onboard = _onboard(qs, dataset, outputs, validation, predict(net, validation) if len(validation) else {})
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
    report["onboard"] = onboard
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


def evaluate(data: str | Path, model_dir: str | Path, split: str = "test", baselines: bool = True) -> dict[str, Any]:
    """Score the model in ``model_dir`` on ``split`` of ``data``, beside the baselines.

    Args:
        data: an ``earthquakes.h5``.
        model_dir: a folder written by ``quakesat train``.
        split: the split scored.
        baselines: also fit and score the mandatory baselines (on the test split).

    Returns:
        JSON-ready dict: model, family, paper task, split, sample count, metrics, params,
        MACs, input shape, median milliseconds per tile (batch 1); for a network ``onboard``
        (operating points with thresholds chosen on validation, detection by magnitude and
        distance at 1 % false alarms, magnitude skill against the constant); ``baselines``
        (:func:`baseline_summary`) when asked for and the split is test.

    Raises:
        ModelNotFoundError: ``model_dir`` has no ``config.json``.
        ConfigError: the split has no samples for the model's task.
    """
    from quakesat.models.model_config import read_model_config

    model_dir = Path(model_dir)
    family = read_model_config(model_dir).family  # ModelNotFoundError / ConfigError, one line each
    evaluators = {"cnn": _evaluate_cnn, "shallow": _evaluate_shallow}
    if family not in evaluators:
        raise ConfigError(f"{model_dir}: unknown model family {family!r}; expected one of {sorted(evaluators)}")
    result = evaluators[family](Path(data), model_dir, split)
    if baselines and split == "test":
        result["baselines"] = _baselines_or_reason(data)
    return {"data": str(data), "model_dir": str(model_dir), "split": split, **result}


def _baselines_or_reason(data: str | Path) -> dict[str, Any]:
    """:func:`baseline_summary`, or why a file's splits cannot hold the baselines (a tiny file)."""
    try:
        return baseline_summary(data)
    except ConfigError as err:
        return {"skipped": str(err)}


#: Placeholders for tiles whose file records no place or acquisition time (the published
#: QuakeSet gives neither per patch): evaluation scores decisions, which do not depend on
#: them, and the runtime would otherwise stop such tiles at its georeference and time checks.
PLACEHOLDER_GEOREF = Georef(0.0, 0.0)
PLACEHOLDER_TIME = 1


def evaluate_artifacts(data: str | Path, artifacts: str | Path, split: str | None = "test",
                       artifact: str | None = None, threads: int = 1, baselines: bool = False) -> dict[str, Any]:
    """Score an exported artifact on ``split`` of ``data`` through the flight runtime itself
    (:class:`~quakesat.runtime.flight.FlightRuntime`: manifest, hash check, input checks,
    shared preprocessing, backend, decision rule, message) with the change gate off, so every
    tile that passes its checks meets the model. Scores come from the decoded messages. A
    tile without a recorded place or time gets :data:`PLACEHOLDER_GEOREF` /
    :data:`PLACEHOLDER_TIME` (the decision does not depend on them).

    Returns:
        JSON-ready dict: artifact, model id, ``n``, ``detection``, ``magnitude`` (where the
        model has a magnitude head; the messages' magnitudes), ``shortcut``
        (:func:`~quakesat.evaluation.metrics.shortcut_report`), ``bad_input`` (tiles the input
        checks stopped), ``statuses``, and ``per_tile``: ``[event, magnitude]`` in split order.

    Raises:
        ModelNotFoundError, ManifestError, ArtifactHashError, BackendError: the model cannot
            be used (the runtime would fly in fault mode; an evaluation has nothing to score).
        ConfigError: no bitemporal samples in the split.
    """
    from collections import Counter

    from quakesat.data.tiles import file_tiles
    from quakesat.evaluation.metrics import shortcut_report
    from quakesat.ground.decode import decode
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig
    from quakesat.runtime.model import ExportedModel
    from quakesat.runtime.status import Status, StatusCategory
    from quakesat.runtime.tile import check_georef, check_time

    model = ExportedModel.open(artifacts, artifact, threads)  # raises where the model is unusable
    runtime = FlightRuntime(model, RuntimeConfig(gate="off", health_every=0, threads=threads))
    labels, magnitudes, identical, events, predicted, statuses = [], [], [], [], [], Counter()
    confidences: list[float] = []
    for tile, truth, _ in file_tiles(data, split, include_defective=False):  # the samples training scores
        if check_georef(tile.georef).status != Status.OK:
            tile = replace(tile, georef=PLACEHOLDER_GEOREF)
        if check_time(tile.time).status != Status.OK:
            tile = replace(tile, time=PLACEHOLDER_TIME)
        report = decode(runtime.process(tile).message)
        runtime.drain()
        labels.append(truth.label)
        magnitudes.append(truth.magnitude)
        identical.append(truth.identical)
        events.append(int(report.event))
        predicted.append(report.magnitude)
        confidences.append(report.confidence)
        statuses[report.status] += 1
    if not labels:
        raise ConfigError(f"{data}: no bitemporal samples in split {split!r}")
    bad_input = sum(n for status, n in statuses.items() if status.category == StatusCategory.BAD_INPUT)
    result: dict[str, Any] = {
        "data": str(data), "artifacts": str(artifacts), "artifact": model.artifact.name,
        "model_id": f"0x{model.model_id:04x}", "split": split, "n": len(labels), "bad_input": bad_input,
        "statuses": {status.code_name: n for status, n in statuses.items()},
        "detection": detection_report(labels, np.asarray(events)),
        "shortcut": shortcut_report(labels, np.asarray(events), identical),
    }
    if "magnitude" in model.artifact.outputs:
        result["magnitude"] = magnitude_report(labels, magnitudes, predicted)
    from quakesat.evaluation.operating_point import hard_mask

    truth, confidence = np.asarray(labels), np.asarray(confidences)
    hard = hard_mask(truth, identical)
    if len(set(truth[hard].tolist())) == 2:
        from sklearn.metrics import roc_auc_score

        result["hard_roc_auc_from_confidence"] = round(float(roc_auc_score(truth[hard], confidence[hard])), 4)
    if baselines and split == "test":
        result["baselines"] = _baselines_or_reason(data)
    result["per_tile"] = [[bool(e), round(m, 4)] for e, m in zip(events, predicted)]
    return result

