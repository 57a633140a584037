"""Metrics against hand-computed values: accuracy, MAE with negatives at 0, the magnitude ≥ 1 rule, F1, reports."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pytest

from quakesat.evaluation.metrics import (
    DEFAULT_SCORE_THRESHOLD,
    EVENT_MAGNITUDE_THRESHOLD,
    MetricInputError,
    accuracy,
    confusion_counts,
    detection_report,
    f1_score,
    magnitude_detection_accuracy,
    magnitude_report,
    magnitudes_to_events,
    mean_absolute_error,
)


# ─── accuracy ───────────────────────────────────────────────────────────────────────────
def test_accuracy_by_hand() -> None:
    # Positions 0 and 2 agree, 1 and 3 do not: 2 / 4.
    assert accuracy([1, 0, 1, 1], [1, 1, 1, 0]) == 0.5
    assert accuracy(np.array([0, 0, 1]), np.array([0, 0, 1])) == 1.0
    assert accuracy([1], [0]) == 0.0


def test_accuracy_accepts_a_column_and_bools() -> None:
    assert accuracy(np.array([[1], [0], [1]]), np.array([True, False, False])) == pytest.approx(2 / 3)


# ─── MAE ────────────────────────────────────────────────────────────────────────────────
def test_mae_by_hand_counts_negatives_at_zero() -> None:
    # Two events (mb 5.5, 6.0) and two negatives (target 0):
    # |5.5 - 5.0| + |6.0 - 6.5| + |0 - 0.4| + |0 - 0| = 0.5 + 0.5 + 0.4 + 0 = 1.4; / 4 = 0.35.
    assert mean_absolute_error([5.5, 6.0, 0.0, 0.0], [5.0, 6.5, 0.4, 0.0]) == pytest.approx(0.35)


def test_mae_of_a_perfect_prediction_is_zero() -> None:
    assert mean_absolute_error([4.2, 0.0], [4.2, 0.0]) == 0.0


# ─── the magnitude ≥ 1 rule ─────────────────────────────────────────────────────────────
def test_event_threshold_is_the_papers() -> None:
    assert EVENT_MAGNITUDE_THRESHOLD == 1.0


def test_rule_at_the_limit_and_just_below() -> None:
    # Exactly 1.0 is an event (>=); 0.99 is not.
    np.testing.assert_array_equal(magnitudes_to_events([1.0, 0.99, 5.7, -0.2]), [1, 0, 1, 0])
    assert magnitude_detection_accuracy([1], [1.0]) == 1.0
    assert magnitude_detection_accuracy([1], [0.99]) == 0.0
    assert magnitude_detection_accuracy([0], [0.99]) == 1.0
    assert magnitude_detection_accuracy([0], [1.0]) == 0.0


def test_rule_accuracy_by_hand() -> None:
    # Predictions → events: 5.1→1, 0.3→0, 1.2→1, 0.99→0, 4.0→1. Labels 1,0,0,1,1:
    # right, right, wrong, wrong, right = 3 / 5.
    labels = [1, 0, 0, 1, 1]
    assert magnitude_detection_accuracy(labels, [5.1, 0.3, 1.2, 0.99, 4.0]) == pytest.approx(0.6)


def test_rule_with_another_threshold() -> None:
    assert magnitude_detection_accuracy([1, 0], [2.5, 2.4], threshold=2.5) == 1.0


# ─── confusion counts and F1 ────────────────────────────────────────────────────────────
def test_confusion_counts_by_hand() -> None:
    # truth 1 1 1 0 0 0 0
    # pred  1 1 0 1 0 0 0   → tp 2, fn 1, fp 1, tn 3
    counts = confusion_counts([1, 1, 1, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0])
    assert counts == {"tp": 2, "fp": 1, "tn": 3, "fn": 1}
    assert all(type(v) is int for v in counts.values())


def test_f1_by_hand() -> None:
    # Same as above: 2 tp / (2 * 2 + 1 + 1) = 4 / 6.
    assert f1_score([1, 1, 1, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0]) == pytest.approx(2 / 3)
    assert f1_score([1, 0], [1, 0]) == 1.0
    assert f1_score([1, 0], [0, 1]) == 0.0


def test_f1_without_any_event_is_zero() -> None:
    assert f1_score([0, 0, 0], [0, 0, 0]) == 0.0


# ─── reports ────────────────────────────────────────────────────────────────────────────
def test_detection_report_from_labels() -> None:
    report = detection_report([1, 0, 1, 1], [1, 1, 1, 0])
    assert report["n"] == 4
    assert report["accuracy"] == 0.5
    assert report["counts"] == {"tp": 2, "fp": 1, "tn": 0, "fn": 1}
    assert report["f1"] == round(4 / 6, 4)  # 2 * 2 / (2 * 2 + 1 + 1)
    assert report["mae"] is None and report["magnitude_accuracy"] is None
    assert report["threshold"] is None
    json.dumps(report)


def test_detection_report_thresholds_scores_at_or_above() -> None:
    # Logits: 0.0 is at the threshold → event; -0.01 → none.
    report = detection_report([1, 0, 0], [0.0, -0.01, 2.0], threshold=DEFAULT_SCORE_THRESHOLD)
    assert report["counts"] == {"tp": 1, "fp": 1, "tn": 1, "fn": 0}
    assert report["accuracy"] == round(2 / 3, 4)
    probabilities = detection_report([1, 0], [0.5, 0.49], threshold=0.5)
    assert probabilities["accuracy"] == 1.0


def test_magnitude_report_by_hand() -> None:
    labels = [1, 1, 0, 0]
    targets = [5.5, 6.0, 0.0, 0.0]
    predictions = [5.0, 0.8, 1.0, 0.2]
    report = magnitude_report(labels, targets, predictions)
    # MAE all: (0.5 + 5.2 + 1.0 + 0.2) / 4 = 1.725; events only: (0.5 + 5.2) / 2 = 2.85.
    assert report["mae"] == pytest.approx(1.725)
    assert report["mae_events"] == pytest.approx(2.85)
    # Rule: 5.0→1 (tp), 0.8→0 (fn), 1.0→1 (fp), 0.2→0 (tn): accuracy 2 / 4.
    assert report["counts"] == {"tp": 1, "fp": 1, "tn": 1, "fn": 1}
    assert report["magnitude_accuracy"] == 0.5 and report["accuracy"] == 0.5
    assert report["f1"] == 0.5  # 2 / (2 + 1 + 1)
    assert report["threshold"] == 1.0 and report["n"] == 4
    json.dumps(report)


def test_magnitude_report_without_events_has_no_event_mae() -> None:
    report = magnitude_report([0, 0], [0.0, 0.0], [0.5, 0.1])
    assert report["mae_events"] is None
    assert report["mae"] == pytest.approx(0.3)


def test_reports_have_the_same_keys() -> None:
    assert set(detection_report([1, 0], [1, 0])) == set(magnitude_report([1, 0], [5.0, 0.0], [5.0, 0.0]))


# ─── errors ─────────────────────────────────────────────────────────────────────────────
SCORERS: list[Callable[..., object]] = [
    accuracy,
    mean_absolute_error,
    magnitude_detection_accuracy,
    confusion_counts,
    f1_score,
    detection_report,
]


@pytest.mark.parametrize("metric", SCORERS, ids=lambda f: f.__name__)
def test_empty_inputs_are_refused(metric: Callable[..., object]) -> None:
    with pytest.raises(MetricInputError, match="no samples"):
        metric([], [])


@pytest.mark.parametrize("metric", SCORERS, ids=lambda f: f.__name__)
def test_mismatched_lengths_are_refused(metric: Callable[..., object]) -> None:
    with pytest.raises(MetricInputError, match="3 samples but .* has 2"):
        metric([1, 0, 1], [1, 0])


@pytest.mark.parametrize("metric", SCORERS, ids=lambda f: f.__name__)
def test_nan_predictions_are_refused(metric: Callable[..., object]) -> None:
    with pytest.raises(MetricInputError, match="NaN"):
        metric([1, 0], [1.0, math.nan])


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        accuracy([], [])


def test_infinite_and_nan_everywhere_are_refused() -> None:
    with pytest.raises(MetricInputError, match="infinite"):
        mean_absolute_error([1.0], [math.inf])
    with pytest.raises(MetricInputError, match="NaN"):
        magnitude_report([1], [math.nan], [5.0])
    with pytest.raises(MetricInputError, match="NaN"):
        magnitudes_to_events([math.nan])
    with pytest.raises(MetricInputError, match="threshold"):
        magnitude_detection_accuracy([1], [5.0], threshold=math.nan)
    with pytest.raises(MetricInputError, match="threshold"):
        detection_report([1], [0.3], threshold=math.inf)


def test_magnitude_report_checks_all_three_lengths() -> None:
    with pytest.raises(MetricInputError, match="labels has 2 samples but targets has 3"):
        magnitude_report([1, 0], [5.0, 0.0, 0.0], [5.0, 0.0])
    with pytest.raises(MetricInputError, match="targets has 2 samples but predictions has 1"):
        magnitude_report([1, 0], [5.0, 0.0], [5.0])


def test_labels_must_be_zero_or_one() -> None:
    with pytest.raises(MetricInputError, match="expected labels 0"):
        confusion_counts([2, 0], [1, 0])
    with pytest.raises(MetricInputError, match="expected labels 0"):
        magnitude_detection_accuracy([5.5, 0], [5.5, 0.0])  # magnitudes passed as labels
    with pytest.raises(MetricInputError, match="threshold scores first"):
        detection_report([1, 0], [0.7, 0.2])  # scores without a threshold


def test_shapes_other_than_one_value_per_sample_are_refused() -> None:
    with pytest.raises(MetricInputError, match=r"shape \(2, 2\)"):
        accuracy(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(MetricInputError, match=r"shape \(\)"):
        accuracy(1, 1)
    with pytest.raises(MetricInputError, match="expected numbers"):
        accuracy(["a"], ["b"])
