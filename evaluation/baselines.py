"""The baselines every results table must show, scored with the onboard protocol.

Each detector baseline gives a continuous score per test tile and its own decision; every
choice (a setting, a threshold) is made on the training or validation split, never on test,
whose labels only count:

- ``identical-pair``: score 0 for a pixel-identical pair, 1 otherwise. It wins the whole
  test set of the published file and has no skill on the hard set by construction (ROC AUC
  0.5): that is what it is there to show.
- ``log-ratio``: the classic SAR change detector. Score: the share of multilooked pixels
  whose ``|log-ratio|`` exceeds ``c`` dB in any band (:func:`quakesat.models.change_features.changed_shares`).
  The multilook and ``c`` are those of :data:`~quakesat.models.change_features.SHARE_LOOKS` x
  :data:`~quakesat.models.change_features.SHARE_THRESHOLDS_DB` with the best validation ROC
  AUC on the hard set (the first in that order on a tie); its decision threshold is the one
  with the best **balanced accuracy** on the validation hard set (:func:`balanced_accuracy_threshold`).
- ``random-forest`` and ``lightgbm``: classifiers on the change features
  (:mod:`quakesat.models.change_features`; the 2024 SMAC challenge's runner-up used LightGBM
  on such features), fitted on every training pair with the fixed hyper-parameters
  :data:`FOREST_PARAMS` and :data:`LIGHTGBM_PARAMS`; decision: probability ``>= 0.5``.

Magnitude baselines, scored on the test events whether or not a detector flagged them:

- ``constant-mean``: the mean mb of the training event samples, for every tile (the 2024
  SMAC challenge's winning magnitude entry);
- ``lightgbm-regressor``: LightGBM on the change features, fitted on the training events
  only (mb given an event). Its paper-style MAE (every sample, negatives at 0) reads the
  ``lightgbm`` detector: the magnitude where it flags an event, else 0; so does the
  constant's.

:func:`pair_table` reads a file once (features, the log-ratio candidates, truth) and
:func:`fit_baselines` fits and scores everything on it; :func:`run_baselines` does both.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

from quakesat.data.parallel import ordered_map
from quakesat.data.quakeset import QuakeSetFile, SampleRef, Task, location_truth
from quakesat.errors import ConfigError
from quakesat.evaluation.metrics import MetricInputError, detection_report
from quakesat.evaluation.operating_point import (
    DEFAULT_RATES,
    curves,
    detection_by_bins,
    hard_mask,
    magnitude_skill,
    operating_points,
)
from quakesat.models.change_features import (
    CHANGE_FEATURE_NAMES,
    SHARE_LOOKS,
    SHARE_THRESHOLDS_DB,
    pair_statistics,
)

DETECTOR_BASELINES: tuple[str, ...] = ("identical-pair", "log-ratio", "random-forest", "lightgbm")
"""The detector baselines, in table order."""
MAGNITUDE_BASELINES: tuple[str, ...] = ("constant-mean", "lightgbm-regressor")
"""The magnitude baselines, in table order."""

#: Decision threshold of the classifiers' event probability.
PROBABILITY_THRESHOLD = 0.5
#: Threads per fit: the two cores of the reference machine.
N_JOBS = 2
#: The forest's fixed hyper-parameters (``random_state`` is the run's seed).
FOREST_PARAMS: dict[str, Any] = {"n_estimators": 300, "n_jobs": N_JOBS}
#: LightGBM's fixed hyper-parameters, modest on purpose (a few thousand tiles at most);
#: ``deterministic`` with row-wise histograms makes the same seed give the same model.
LIGHTGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 200, "num_leaves": 15, "learning_rate": 0.05, "min_child_samples": 10,
    "n_jobs": N_JOBS, "verbose": -1, "deterministic": True, "force_row_wise": True,
}
#: Magnitude cut points (mb) of the detection-rate bins.
MAGNITUDE_EDGES: tuple[float, ...] = (4.5, 5.0, 5.5, 6.0)
#: Distance cut points (km, patch centre to epicentre) of the detection-rate bins.
DISTANCE_EDGES_KM: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0)


# ─── reading the file once ──────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class PairTable:
    """Every bitemporal pair (QuakeSet task 1) of a file, in the file's sample order.

    Attributes:
        file: the file read.
        event_id, patch, split: per sample, as ``str`` arrays.
        label: 0/1 per sample (int64).
        magnitude: mb per sample, 0 for negatives (float64).
        identical: True where the two images are pixel-identical (NaN in the same places).
        distance_km: the patch attribute ``distance_km`` (patch centre to epicentre), NaN
            where the file records none (the published file).
        damaged_share: for events, the patch attribute ``damaged_fraction`` (the share of the
            tile the simulator's co-seismic change covers), NaN for negatives and where the
            file records none.
        features: ``N x len(CHANGE_FEATURE_NAMES)`` float32 change features.
        location: ``N x 2`` pixel (row, col) of where an event tile's message should point
            (:func:`quakesat.data.quakeset.location_truth`), NaN where there is nothing to locate.
        change_peak: ``N x 2`` pixel of the densest change
            (:func:`quakesat.runtime.change.change_peak`), NaN where nothing changed.
        pixel_spacing_m: per sample, metres per pixel.
        side: per sample, the tile side in pixels.
        shares: ``N x len(SHARE_LOOKS) x len(SHARE_THRESHOLDS_DB)`` changed shares, the
            log-ratio rule's candidate statistics.
        seconds: time the pass over the pixels took.
    """

    file: str
    event_id: np.ndarray
    patch: np.ndarray
    split: np.ndarray
    label: np.ndarray
    magnitude: np.ndarray
    identical: np.ndarray
    distance_km: np.ndarray
    damaged_share: np.ndarray
    features: np.ndarray
    shares: np.ndarray
    seconds: float
    location: np.ndarray | None = None
    change_peak: np.ndarray | None = None
    pixel_spacing_m: np.ndarray | None = None
    side: np.ndarray | None = None

    def rows(self, split: str) -> np.ndarray:
        """Indices of the samples of ``split``, in file order."""
        return np.flatnonzero(self.split == split)


@dataclass(frozen=True)
class _PairReader:
    """Reads one pair and computes its statistics; picklable, so it can run in workers."""

    qs: QuakeSetFile

    def __call__(self, ref: SampleRef) -> tuple[Any, ...]:
        from quakesat.runtime.change import change_peak
        from quakesat.runtime.tile import DEFAULT_PIXEL_SPACING_M

        first, second = self.qs.read(ref)
        features, shares = pair_statistics(first, second, SHARE_LOOKS, SHARE_THRESHOLDS_DB)
        identical = bool(np.array_equal(first, second, equal_nan=True))
        attrs = self.qs.patch_attrs(ref.event_id, ref.patch)
        damaged = _number(attrs, "damaged_fraction") if ref.label == 1 else math.nan
        found = location_truth(attrs) if ref.label == 1 else None
        location = found[0] if found else (math.nan, math.nan)
        peak = (math.nan, math.nan) if identical else (change_peak(first, second) or (math.nan, math.nan))
        spacing = _number(attrs, "pixel_spacing_m")
        spacing = DEFAULT_PIXEL_SPACING_M if math.isnan(spacing) else spacing
        return (features, shares, identical, _number(attrs, "distance_km"), damaged, location, peak, spacing,
                first.shape[0])


def _number(attrs: dict[str, Any], name: str) -> float:
    """The patch attribute ``name``, NaN where it is missing or not a finite number."""
    value = attrs.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return math.nan
    return float(value)


def pair_table(path: str | Path, progress: bool = False, workers: int | None = None) -> PairTable:
    """Read every bitemporal pair of ``path`` once: truth, identical flag, features, log-ratio candidates.

    Args:
        path: an ``earthquakes.h5`` (real or simulated).
        progress: show a progress bar.
        workers: processes computing the statistics (None: every CPU available); the table
            is the same for any count.

    Returns:
        The :class:`PairTable` of every split.

    Raises:
        DatasetNotFoundError: ``path`` is not a readable HDF5 file.
        QuakeSetFormatError: the file does not follow the QuakeSet schema.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    with QuakeSetFile(path) as qs:
        refs = qs.samples(Task.BITEMPORAL_DETECTION)
        rows = list(tqdm(ordered_map(_PairReader(qs), refs, workers, chunksize=8), total=len(refs),
                         desc="change features", unit="pair", disable=not progress))
    features, shares, identical, distance, damaged, location, peak, spacing, side = \
        zip(*rows) if rows else ((),) * 9
    width, candidates = len(CHANGE_FEATURE_NAMES), (len(SHARE_LOOKS), len(SHARE_THRESHOLDS_DB))
    return PairTable(
        file=str(path),
        event_id=np.array([ref.event_id for ref in refs], dtype=str),
        patch=np.array([ref.patch for ref in refs], dtype=str),
        split=np.array([ref.split for ref in refs], dtype=str),
        label=np.array([ref.label for ref in refs], dtype=np.int64),
        magnitude=np.array([ref.magnitude for ref in refs], dtype=np.float64),
        identical=np.array(identical, dtype=bool),
        distance_km=np.array(distance, dtype=np.float64),
        damaged_share=np.array(damaged, dtype=np.float64),
        features=np.array(features, dtype=np.float32).reshape(len(refs), width),
        shares=np.array(shares, dtype=np.float64).reshape(len(refs), *candidates),
        seconds=time.perf_counter() - started,
        location=np.array(location, dtype=np.float64).reshape(len(refs), 2),
        change_peak=np.array(peak, dtype=np.float64).reshape(len(refs), 2),
        pixel_spacing_m=np.array(spacing, dtype=np.float64),
        side=np.array(side, dtype=np.int64),
    )


# ─── choices made on validation ─────────────────────────────────────────────────────────
def balanced_accuracy_threshold(labels: ArrayLike, scores: ArrayLike) -> float:
    """The score threshold (event: ``score >= t``) with the best balanced accuracy on these samples.

    Candidates are the distinct scores; the chosen one is moved down to the midpoint
    between it and the next lower score, so that scores unseen here fall on the side of the
    nearer class. On a tie the highest threshold wins (fewer false alarms on board).

    Args:
        labels: 0/1 per sample, both classes present.
        scores: score per sample.

    Returns:
        The threshold.

    Raises:
        MetricInputError: lengths differ, non-finite scores, labels other than 0/1, or a
            single class.
    """
    truth = np.asarray(labels, dtype=np.float64).reshape(-1)
    values = np.asarray(scores, dtype=np.float64).reshape(-1)
    if truth.size != values.size or not np.isfinite(values).all() or not np.isin(truth, (0.0, 1.0)).all():
        raise MetricInputError("balanced_accuracy_threshold: expected one finite score and one 0/1 label per sample")
    positive, negative = np.sort(values[truth == 1]), np.sort(values[truth == 0])
    if positive.size == 0 or negative.size == 0:
        raise MetricInputError("balanced_accuracy_threshold: needs events and non-events")
    candidates = np.unique(values)
    recall = 1.0 - np.searchsorted(positive, candidates, side="left") / positive.size
    specificity = np.searchsorted(negative, candidates, side="left") / negative.size
    balanced = (recall + specificity) / 2.0
    best = int(np.flatnonzero(balanced == balanced.max())[-1])
    if best == 0:
        return float(candidates[0])
    midpoint = (candidates[best - 1] + candidates[best]) / 2.0
    # Two adjacent floats have no midpoint between them; keep the candidate itself then.
    return float(midpoint if midpoint > candidates[best - 1] else candidates[best])


def _choose_log_ratio(shares: np.ndarray, labels: np.ndarray) -> tuple[int, int, list[dict[str, Any]]]:
    """(multilook index, threshold index, AUC table) of the best validation hard-set ROC AUC."""
    table, best, best_auc = [], (0, 0), -1.0
    for i, looks in enumerate(SHARE_LOOKS):
        for j, change_db in enumerate(SHARE_THRESHOLDS_DB):
            auc = float(roc_auc_score(labels, shares[:, i, j]))
            table.append({"looks": looks, "change_db": change_db, "validation_auc": round(auc, 4)})
            if auc > best_auc:  # strict: the first candidate keeps a tie
                best, best_auc = (i, j), auc
    return best[0], best[1], table


# ─── fitting ────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class _Splits:
    """Indices and hard masks of the three splits."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    val_hard: np.ndarray
    test_hard: np.ndarray


def _splits(table: PairTable) -> _Splits:
    """The splits, checked for what fitting and choosing on them needs."""
    train, validation, test = table.rows("train"), table.rows("validation"), table.rows("test")
    if len(set(table.label[train].tolist())) != 2:
        raise ConfigError(f"{table.file}: the train split needs events and non-events to fit the baselines")
    if test.size == 0:
        raise ConfigError(f"{table.file}: the test split is empty; nothing to score")
    val_hard = hard_mask(table.label[validation], table.identical[validation])
    val_labels = table.label[validation][val_hard]
    if not (val_labels == 1).any() or not (val_labels == 0).any():
        raise ConfigError(f"{table.file}: the validation split needs events and non-identical negatives "
                          "(the thresholds and the log-ratio settings are chosen on them)")
    return _Splits(train, validation, test, val_hard, hard_mask(table.label[test], table.identical[test]))


def _detector_block(table: PairTable, splits: _Splits, val_scores: np.ndarray, test_scores: np.ndarray,
                    threshold: float, settings: dict[str, Any], fit_seconds: float, rates: Sequence[float],
                    bins: tuple[Sequence[float], Sequence[float]]) -> dict[str, Any]:
    """One detector's scores, decisions and every report on them."""
    labels, hard = table.label[splits.test], splits.test_hard
    decisions = (test_scores >= threshold).astype(np.int64)
    return {
        "kind": "detector",
        "scores": [float(value) for value in test_scores],
        "decisions": decisions.tolist(),
        "decision_threshold": float(threshold),
        "settings": settings,
        "operating_points": operating_points(table.label[splits.validation], val_scores, labels, test_scores, rates,
                                             splits.val_hard, hard, threshold),
        "curves": curves(labels, test_scores, hard),
        "test": detection_report(labels, decisions),
        "test_hard": detection_report(labels[hard], decisions[hard]) if hard.any() else None,
        "by_bins": detection_by_bins(decisions, labels, table.magnitude[splits.test], table.distance_km[splits.test],
                                     *bins),
        "fit_seconds": round(fit_seconds, 4),
    }


def _lightgbm() -> Any:
    """The lightgbm module, or a ConfigError naming the extra that installs it."""
    try:
        import lightgbm
    except ImportError as err:
        raise ConfigError(f"the lightgbm baselines need lightgbm ({err}); pip install 'quakesat[train]'") from None
    return lightgbm


def _classifier(name: str, seed: int) -> Any:
    if name == "random-forest":
        return RandomForestClassifier(random_state=seed, **FOREST_PARAMS)
    return _lightgbm().LGBMClassifier(random_state=seed, **LIGHTGBM_PARAMS)


#: What a detector baseline hands to :func:`_detector_block`: validation scores, test
#: scores, decision threshold, settings, fit seconds.
_Fitted = tuple[np.ndarray, np.ndarray, float, dict[str, Any], float]


def _identical_rule(table: PairTable, splits: _Splits) -> _Fitted:
    score = (~table.identical).astype(np.float64)
    settings = {"rule": "event unless the two images are pixel-identical", "fitted": "nothing"}
    return score[splits.validation], score[splits.test], 0.5, settings, 0.0


def _log_ratio_rule(table: PairTable, splits: _Splits) -> _Fitted:
    started = time.perf_counter()
    val_shares, val_labels = table.shares[splits.validation], table.label[splits.validation]
    i, j, auc_table = _choose_log_ratio(val_shares[splits.val_hard], val_labels[splits.val_hard])
    val_scores = val_shares[:, i, j]
    threshold = balanced_accuracy_threshold(val_labels[splits.val_hard], val_scores[splits.val_hard])
    settings = {"looks": SHARE_LOOKS[i], "change_db": SHARE_THRESHOLDS_DB[j],
                "selection": "best ROC AUC on the validation hard set", "candidates": auc_table,
                "decision_rule": "best balanced accuracy on the validation hard set"}
    return val_scores, table.shares[splits.test][:, i, j], threshold, settings, time.perf_counter() - started


def _fitted_classifier(name: str, table: PairTable, splits: _Splits, seed: int) -> _Fitted:
    """Event probabilities of a classifier fitted on every training pair (identical ones included)."""
    started = time.perf_counter()
    model = _classifier(name, seed).fit(table.features[splits.train], table.label[splits.train])
    seconds = time.perf_counter() - started
    column = list(model.classes_).index(1)
    params = FOREST_PARAMS if name == "random-forest" else LIGHTGBM_PARAMS
    settings = {"hyper_parameters": {**params, "random_state": seed}, "fitted_on": "train (every pair)",
                "decision_rule": f"event probability >= {PROBABILITY_THRESHOLD}"}
    return (model.predict_proba(table.features[splits.validation])[:, column],
            model.predict_proba(table.features[splits.test])[:, column], PROBABILITY_THRESHOLD, settings, seconds)


def _detectors(table: PairTable, splits: _Splits, seed: int, rates: Sequence[float],
               bins: tuple[Sequence[float], Sequence[float]]) -> dict[str, dict[str, Any]]:
    fitted = {
        "identical-pair": _identical_rule(table, splits),
        "log-ratio": _log_ratio_rule(table, splits),
        "random-forest": _fitted_classifier("random-forest", table, splits, seed),
        "lightgbm": _fitted_classifier("lightgbm", table, splits, seed),
    }
    return {name: _detector_block(table, splits, *result[:4], fit_seconds=result[4], rates=rates, bins=bins)
            for name, result in fitted.items()}


def _magnitudes(table: PairTable, splits: _Splits, seed: int, flagged: np.ndarray) -> dict[str, dict[str, Any]]:
    """Both magnitude baselines; ``flagged`` (the lightgbm detector's test decisions) gates the paper MAE."""
    train_events = splits.train[table.label[splits.train] == 1]
    labels, truth = table.label[splits.test], table.magnitude[splits.test]
    constant = float(np.mean(table.magnitude[train_events]))
    predictions = np.full(splits.test.size, constant)
    blocks = {"constant-mean": {
        "kind": "magnitude", "predictions": predictions.tolist(),
        "magnitude_skill": magnitude_skill(table.magnitude[train_events], labels, truth, predictions,
                                           np.where(flagged == 1, predictions, 0.0)),
        "settings": {"constant": round(constant, 4), "fitted_on": "train events (mean mb)",
                     "paper_mae_gate": "lightgbm detector"},
        "fit_seconds": 0.0,
    }}
    started = time.perf_counter()
    model = _lightgbm().LGBMRegressor(random_state=seed, **LIGHTGBM_PARAMS)
    model.fit(table.features[train_events], table.magnitude[train_events])
    seconds = time.perf_counter() - started
    predictions = model.predict(table.features[splits.test]).astype(np.float64)
    blocks["lightgbm-regressor"] = {
        "kind": "magnitude", "predictions": predictions.tolist(),
        "magnitude_skill": magnitude_skill(table.magnitude[train_events], labels, truth, predictions,
                                           np.where(flagged == 1, predictions, 0.0)),
        "settings": {"hyper_parameters": {**LIGHTGBM_PARAMS, "random_state": seed},
                     "fitted_on": "train events only (mb given an event)", "paper_mae_gate": "lightgbm detector"},
        "fit_seconds": round(seconds, 4),
    }
    return blocks


def _optional(values: np.ndarray) -> list[float | None]:
    return [float(value) if math.isfinite(value) else None for value in values]


def fit_baselines(
    table: PairTable,
    seed: int = 0,
    rates: Sequence[float] = DEFAULT_RATES,
    magnitude_edges: Sequence[float] = MAGNITUDE_EDGES,
    distance_edges: Sequence[float] = DISTANCE_EDGES_KM,
) -> dict[str, Any]:
    """Fit every baseline on ``table``'s train/validation splits and score it on test.

    Args:
        table: the file's pairs (:func:`pair_table`).
        seed: random state of the forest and of LightGBM.
        rates: the false-alarm rates of the operating points.
        magnitude_edges: mb cut points of the detection-rate bins.
        distance_edges: km cut points of the detection-rate bins.

    Returns:
        A JSON-ready dict: ``file``, ``seed``, ``rates``; ``samples`` and ``hard_samples``
        (counts per split); ``features`` (``names``); ``test_samples`` (per test sample, in
        file order: ``event_id``, ``patch``, ``label``, ``identical``, ``hard``,
        ``magnitude``, ``distance_km`` (None: unknown)) to align other models' rows;
        ``detectors`` (one block per :data:`DETECTOR_BASELINES` name: ``kind``, ``scores``,
        ``decisions``, ``decision_threshold``, ``settings``, ``operating_points``, ``curves``,
        ``test`` and ``test_hard`` (detection reports), ``by_bins``, ``fit_seconds``);
        ``magnitude`` (one block per :data:`MAGNITUDE_BASELINES` name: ``kind``,
        ``predictions``, ``magnitude_skill``, ``settings``, ``fit_seconds``); ``seconds``.

    Raises:
        ConfigError: a split lacks what the baselines need (train: both classes; validation:
            events and non-identical negatives; test: any sample), or bad rates or edges.
    """
    started = time.perf_counter()
    splits = _splits(table)
    bins = (magnitude_edges, distance_edges)
    detectors = _detectors(table, splits, seed, rates, bins)
    flagged = np.asarray(detectors["lightgbm"]["decisions"], dtype=np.int64)
    test = splits.test
    return {
        "file": table.file,
        "seed": seed,
        "rates": [float(rate) for rate in rates],
        "samples": {name: int(table.rows(name).size) for name in ("train", "validation", "test")},
        "hard_samples": {"validation": int(splits.val_hard.sum()), "test": int(splits.test_hard.sum())},
        "features": {"names": list(CHANGE_FEATURE_NAMES)},
        "test_samples": {
            "event_id": table.event_id[test].tolist(), "patch": table.patch[test].tolist(),
            "label": table.label[test].tolist(), "identical": table.identical[test].tolist(),
            "hard": splits.test_hard.tolist(), "magnitude": table.magnitude[test].tolist(),
            "distance_km": _optional(table.distance_km[test]),
        },
        "detectors": detectors,
        "magnitude": _magnitudes(table, splits, seed, flagged),
        "seconds": {"features": round(table.seconds, 3), "fit": round(time.perf_counter() - started, 3)},
    }


def run_baselines(path: str | Path, progress: bool = False, seed: int = 0,
                  workers: int | None = None) -> dict[str, Any]:
    """Read ``path`` once and fit and score every baseline (:func:`pair_table`, :func:`fit_baselines`).

    Args:
        path: an ``earthquakes.h5`` (real or simulated).
        progress: show a progress bar while reading.
        seed: random state of the forest and of LightGBM.
        workers: processes computing the features (None: every CPU available).

    Returns:
        The dict of :func:`fit_baselines`.

    Raises:
        DatasetNotFoundError: ``path`` is not a readable HDF5 file.
        QuakeSetFormatError: the file does not follow the QuakeSet schema.
        ConfigError: a split lacks what the baselines need.
    """
    return fit_baselines(pair_table(path, progress=progress, workers=workers), seed=seed)
