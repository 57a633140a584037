"""The QuakeSet paper's evaluation metrics (accuracy, MAE, the "magnitude ≥ 1 means an event" rule).

The arithmetic is scikit-learn's (``sklearn.metrics``: accuracy, mean absolute error, the
confusion matrix, F1); this module keeps only the project's rules around it.

Conventions follow Rege Cambrin & Garza 2024, Tables 2–5:

- detection (tasks 1 and 5) is scored by accuracy; we add F1 and the confusion counts;
- magnitude (tasks 2 and 6) is scored by the mean absolute error over *every* sample, the
  negatives included with target 0, and by the accuracy of the detector the regressor
  implies: an event wherever the predicted magnitude is at least
  :data:`EVENT_MAGNITUDE_THRESHOLD`.

Every function validates its inputs once (non-empty, one value per sample, same length,
no NaN or infinity) and raises :class:`MetricInputError`, a ``ValueError``, otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn import metrics as sk

from quakesat.errors import QuakesatError

#: A predicted magnitude at or above this (mb) counts as "an earthquake happened" — the
#: paper's rule for reading a magnitude regressor as a detector (negatives have target 0,
#: every QuakeSet event has mb > 4, so any threshold well between the two behaves alike).
EVENT_MAGNITUDE_THRESHOLD = 1.0

#: Default decision threshold for detector scores in :func:`detection_report`: a logit or an
#: SVC ``decision_function`` value at or above 0 is an event (use 0.5 for probabilities).
DEFAULT_SCORE_THRESHOLD = 0.0


class MetricInputError(QuakesatError, ValueError):
    """Labels, targets or predictions cannot be scored (empty, mismatched, NaN, not 0/1)."""


# ─── input checks ───────────────────────────────────────────────────────────────────────
def _vector(values: ArrayLike, name: str) -> np.ndarray:
    """Return ``values`` as a finite 1-D float64 array, or raise naming ``name``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise MetricInputError(f"{name}: expected numbers, one per sample ({err})") from err
    if array.ndim == 2 and array.shape[1] == 1:  # a column, e.g. a network's (N, 1) output
        array = array[:, 0]
    if array.ndim != 1:
        raise MetricInputError(
            f"{name}: expected one value per sample (shape (N,) or (N, 1)), got shape {array.shape}"
        )
    if array.size == 0:
        raise MetricInputError(f"{name}: no samples; a metric needs at least one")
    bad = ~np.isfinite(array)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise MetricInputError(
            f"{name}: {int(bad.sum())} value(s) are NaN or infinite (first at index {first}, "
            f"{array[first]}); a model that outputs NaN is broken, not scorable"
        )
    return array


def _pair(first: ArrayLike, second: ArrayLike, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Validate two per-sample vectors and check that they have the same length."""
    a = _vector(first, names[0])
    b = _vector(second, names[1])
    if a.size != b.size:
        raise MetricInputError(
            f"{names[0]} has {a.size} samples but {names[1]} has {b.size}; "
            "they must describe the same samples, in the same order"
        )
    return a, b


def _binary(values: np.ndarray, name: str) -> np.ndarray:
    """Return 0/1 values as int64, or raise: detection labels must be 0 (none) or 1 (event)."""
    wrong = (values != 0) & (values != 1)
    if wrong.any():
        first = int(np.flatnonzero(wrong)[0])
        raise MetricInputError(
            f"{name}: expected labels 0 (no event) or 1 (event), got {values[first]} at index "
            f"{first}; threshold scores first (see detection_report)"
        )
    return values.astype(np.int64)


# ─── metrics ────────────────────────────────────────────────────────────────────────────
def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of samples whose predicted class equals the true class.

    Args:
        y_true: true class per sample.
        y_pred: predicted class per sample.

    Returns:
        Accuracy in [0, 1].

    Raises:
        MetricInputError: empty inputs, different lengths, or NaN/infinite values.
    """
    truth, pred = _pair(y_true, y_pred, ("y_true", "y_pred"))
    return float(sk.accuracy_score(truth, pred))


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean of ``|y_true - y_pred|``; for QuakeSet magnitudes the negatives count with target 0.

    Args:
        y_true: target per sample (mb for events, 0 for negatives).
        y_pred: predicted value per sample.

    Returns:
        The mean absolute error, in the targets' unit.

    Raises:
        MetricInputError: empty inputs, different lengths, or NaN/infinite values.
    """
    truth, pred = _pair(y_true, y_pred, ("y_true", "y_pred"))
    return float(sk.mean_absolute_error(truth, pred))


def magnitudes_to_events(
    predicted_magnitudes: ArrayLike, threshold: float = EVENT_MAGNITUDE_THRESHOLD
) -> np.ndarray:
    """Read a magnitude regressor as a detector: 1 where the prediction is ``>= threshold``.

    Args:
        predicted_magnitudes: predicted mb per sample.
        threshold: the smallest magnitude that counts as an event.

    Returns:
        int64 array of 0/1, one per sample.

    Raises:
        MetricInputError: empty input or NaN/infinite values, or a non-finite threshold.
    """
    if not np.isfinite(threshold):
        raise MetricInputError(f"threshold must be a finite number, got {threshold}")
    pred = _vector(predicted_magnitudes, "predicted_magnitudes")
    return (pred >= threshold).astype(np.int64)


def magnitude_detection_accuracy(
    labels: ArrayLike, predicted_magnitudes: ArrayLike, threshold: float = EVENT_MAGNITUDE_THRESHOLD
) -> float:
    """Accuracy of the rule "predicted magnitude ``>= threshold`` means an event".

    Args:
        labels: true label per sample, 0 or 1.
        predicted_magnitudes: predicted mb per sample.
        threshold: the smallest magnitude that counts as an event (the paper: 1).

    Returns:
        Accuracy in [0, 1].

    Raises:
        MetricInputError: empty inputs, different lengths, NaN/infinite values, labels
            other than 0/1, or a non-finite threshold.
    """
    truth, _ = _pair(labels, predicted_magnitudes, ("labels", "predicted_magnitudes"))
    truth = _binary(truth, "labels")
    return float(np.mean(truth == magnitudes_to_events(predicted_magnitudes, threshold)))


def confusion_counts(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, int]:
    """Count true/false positives/negatives of a binary detector (1 = event).

    Args:
        y_true: true label per sample, 0 or 1.
        y_pred: predicted label per sample, 0 or 1.

    Returns:
        ``{"tp", "fp", "tn", "fn"}`` as plain ints (they sum to the number of samples).

    Raises:
        MetricInputError: empty inputs, different lengths, NaN/infinite values, or labels
            other than 0/1.
    """
    truth, pred = _pair(y_true, y_pred, ("y_true", "y_pred"))
    truth, pred = _binary(truth, "y_true"), _binary(pred, "y_pred")
    (tn, fp), (fn, tp) = sk.confusion_matrix(truth, pred, labels=[0, 1])
    return {"tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn)}


def _f1(truth: np.ndarray, pred: np.ndarray) -> float:
    # No event in the truth and none predicted: F1 is undefined; reported as 0.0.
    return float(sk.f1_score(truth, pred, labels=[0, 1], pos_label=1, zero_division=0.0))


def f1_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """F1 of the event class: ``2 tp / (2 tp + fp + fn)``.

    Args:
        y_true: true label per sample, 0 or 1.
        y_pred: predicted label per sample, 0 or 1.

    Returns:
        F1 in [0, 1]; 0.0 when there is no event in either (undefined, as scikit-learn).

    Raises:
        MetricInputError: empty inputs, different lengths, NaN/infinite values, or labels
            other than 0/1.
    """
    truth, pred = _pair(y_true, y_pred, ("y_true", "y_pred"))
    return _f1(_binary(truth, "y_true"), _binary(pred, "y_pred"))


# ─── reports ────────────────────────────────────────────────────────────────────────────
def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def detection_report(
    labels: ArrayLike,
    outputs: ArrayLike,
    threshold: float | None = None,
    digits: int = 4,
) -> dict[str, Any]:
    """Score a detector; the result is JSON-ready and has the same keys as :func:`magnitude_report`.

    Args:
        labels: true label per sample, 0 or 1.
        outputs: predicted labels (0/1) when ``threshold`` is None; otherwise a score per
            sample (logit, SVC decision value, probability), an event where ``>= threshold``.
        threshold: None for labels, or the score threshold (e.g.
            :data:`DEFAULT_SCORE_THRESHOLD` for logits, 0.5 for probabilities).
        digits: decimals kept in the float fields.

    Returns:
        ``n``, ``accuracy``, ``f1``, ``counts`` (tp/fp/tn/fn), ``threshold``, and ``mae``,
        ``mae_events`` and ``magnitude_accuracy`` set to None (a detector has no magnitude).

    Raises:
        MetricInputError: empty inputs, different lengths, NaN/infinite values, labels
            (or, without a threshold, outputs) other than 0/1.
    """
    truth, scores = _pair(labels, outputs, ("labels", "outputs"))
    if threshold is None:
        pred = _binary(scores, "outputs")
    elif not np.isfinite(threshold):
        raise MetricInputError(f"threshold must be a finite number or None, got {threshold}")
    else:
        pred = (scores >= threshold).astype(np.int64)
    counts = confusion_counts(truth, pred)
    return {
        "n": int(truth.size),
        "accuracy": _round(accuracy(truth, pred), digits),
        "f1": _round(_f1(_binary(truth, "labels"), pred), digits),
        "mae": None,
        "mae_events": None,
        "magnitude_accuracy": None,
        "threshold": None if threshold is None else float(threshold),
        "counts": counts,
    }


def magnitude_report(
    labels: ArrayLike,
    targets: ArrayLike,
    predictions: ArrayLike,
    threshold: float = EVENT_MAGNITUDE_THRESHOLD,
    digits: int = 4,
) -> dict[str, Any]:
    """Score a magnitude regressor the paper's way; the result is JSON-ready.

    Args:
        labels: true label per sample, 0 or 1.
        targets: true magnitude per sample (mb for events, 0 for negatives).
        predictions: predicted magnitude per sample.
        threshold: the "predicted magnitude ``>=`` threshold means an event" rule.
        digits: decimals kept in the float fields.

    Returns:
        ``n``; ``mae`` over every sample (negatives at 0, the paper's figure);
        ``mae_events`` over the events only (None if there are none) — the all-sample MAE
        is dominated by how well negatives are pinned at 0, this one shows the magnitude
        error itself; ``magnitude_accuracy`` of the rule, repeated as ``accuracy`` (the
        accuracy column of a magnitude row in the paper's tables); ``f1`` and ``counts``
        of the rule; ``threshold``.

    Raises:
        MetricInputError: empty inputs, different lengths, NaN/infinite values, labels
            other than 0/1, or a non-finite threshold.
    """
    truth, target = _pair(labels, targets, ("labels", "targets"))
    truth = _binary(truth, "labels")
    _, pred = _pair(target, predictions, ("targets", "predictions"))
    events = magnitudes_to_events(pred, threshold)
    counts = confusion_counts(truth, events)
    positive = truth == 1
    rule_accuracy = accuracy(truth, events)
    return {
        "n": int(truth.size),
        "accuracy": _round(rule_accuracy, digits),
        "f1": _round(_f1(truth, events), digits),
        "mae": _round(mean_absolute_error(target, pred), digits),
        "mae_events": _round(mean_absolute_error(target[positive], pred[positive]), digits)
        if positive.any()
        else None,
        "magnitude_accuracy": _round(rule_accuracy, digits),
        "threshold": float(threshold),
        "counts": counts,
    }


def shortcut_report(labels: ArrayLike, predicted: ArrayLike, identical: ArrayLike, digits: int = 4) -> dict[str, Any]:
    """Detection scored with and without the identical-pair shortcut (docs/simulator.md).

    In the published QuakeSet about 68 % of the negative pairs are pixel-identical images, so
    "identical means no event" alone scores high. This report separates them:

    Args:
        labels: true label per sample, 0 or 1.
        predicted: predicted event per sample, 0 or 1.
        identical: whether the sample's two images are pixel-identical.

    Returns:
        ``hard``: :func:`detection_report` over every sample except the identical negatives
        (None if that leaves nothing); ``hard_negatives`` and ``identical_negatives``: their
        count, false alarms and specificity (share correctly called quiet; None when empty).
    """
    truth, pred = _pair(labels, predicted, ("labels", "predicted"))
    truth, pred = _binary(truth, "labels"), _binary(pred, "predicted")
    same = np.asarray(identical, dtype=bool).reshape(-1)
    if same.size != truth.size:
        raise MetricInputError(f"identical has {same.size} values for {truth.size} labels")

    def negatives(mask: np.ndarray) -> dict[str, Any]:
        n = int(mask.sum())
        alarms = int(pred[mask].sum())
        return {"n": n, "false_alarms": alarms, "specificity": _round((n - alarms) / n, digits) if n else None}

    keep = ~((truth == 0) & same)
    return {
        "hard": detection_report(truth[keep], pred[keep], digits=digits) if keep.any() else None,
        "hard_negatives": negatives((truth == 0) & ~same),
        "identical_negatives": negatives((truth == 0) & same),
    }
