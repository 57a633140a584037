"""The onboard protocol against hand-computed values: thresholds with ties, the resolution limit,
validation-chosen thresholds applied to test, threshold-free summaries, curves, magnitude
skill, detection by bins, seed summaries."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from quakesat.errors import ConfigError
from quakesat.evaluation.metrics import MetricInputError
from quakesat.evaluation.operating_point import (
    allowed_false_alarms,
    curves,
    detection_by_bins,
    hard_mask,
    magnitude_skill,
    operating_points,
    resolvable,
    seed_summary,
    threshold_for_false_alarm_rate,
)

ABOVE = np.nextafter  # readability: ABOVE(x, inf) is the float just above x


def _share_at_or_above(scores: list[float], threshold: float) -> float:
    return float(np.mean(np.asarray(scores) >= threshold))


# ─── threshold_for_false_alarm_rate ─────────────────────────────────────────────────────
def test_threshold_by_hand_without_ties() -> None:
    scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]  # 10 negatives
    # 10 % may be flagged: only 1.0, so t is just above 0.9 (lowest such t).
    assert threshold_for_false_alarm_rate(scores, 0.1) == ABOVE(0.9, np.inf)
    assert threshold_for_false_alarm_rate(scores, 0.2) == ABOVE(0.8, np.inf)
    # Between two allowed counts the lower one holds: 0.15 of 10 is 1.5 -> 1.
    assert threshold_for_false_alarm_rate(scores, 0.15) == ABOVE(0.9, np.inf)
    # No false alarm allowed: just above the highest negative.
    assert threshold_for_false_alarm_rate(scores, 0.0) == ABOVE(1.0, np.inf)
    # Every negative may be flagged: the lowest negative score.
    assert threshold_for_false_alarm_rate(scores, 1.0) == 0.1


def test_threshold_excludes_a_tie_block_that_would_exceed_the_rate() -> None:
    scores = [0.9, 0.9, 0.5, 0.1]
    # 25 % allows one alarm, but the two 0.9 pass or fail together: neither may pass.
    t = threshold_for_false_alarm_rate(scores, 0.25)
    assert t == ABOVE(0.9, np.inf) and _share_at_or_above(scores, t) == 0.0
    # 50 % allows exactly the tie block (share at the limit: allowed).
    t = threshold_for_false_alarm_rate(scores, 0.5)
    assert t == ABOVE(0.5, np.inf) and _share_at_or_above(scores, t) == 0.5
    # 75 %: the block plus 0.5; 0.1 stays out.
    assert threshold_for_false_alarm_rate(scores, 0.75) == ABOVE(0.1, np.inf)
    # All tied: nothing may pass unless everything may.
    assert threshold_for_false_alarm_rate([0.3, 0.3, 0.3], 0.67) == ABOVE(0.3, np.inf)
    assert threshold_for_false_alarm_rate([0.3, 0.3, 0.3], 1.0) == 0.3


@pytest.mark.parametrize("n", [7, 10, 100, 333, 1000])
@pytest.mark.parametrize("rate", [0.0, 0.001, 0.01, 0.1, 0.29, 0.5, 1.0])
def test_threshold_meets_the_rate_and_is_the_lowest(n: int, rate: float) -> None:
    scores = np.round(np.random.default_rng(n).random(n), 2)  # many ties
    t = threshold_for_false_alarm_rate(scores, rate)
    assert np.mean(scores >= t) <= rate + 1e-12
    if rate < 1.0:  # any lower float admits too many
        assert np.mean(scores >= np.nextafter(t, -np.inf)) > rate


def test_allowed_count_is_not_lost_to_float_rounding() -> None:
    # 0.29 * 100 is 28.999999999999996 in floating point; the rate means 29.
    assert allowed_false_alarms(100, 0.29) == 29
    assert allowed_false_alarms(100, 0.01) == 1 and allowed_false_alarms(99, 0.01) == 0
    assert allowed_false_alarms(1000, 0.001) == 1 and allowed_false_alarms(999, 0.001) == 0


def test_threshold_refuses_bad_input() -> None:
    with pytest.raises(MetricInputError, match="no samples"):
        threshold_for_false_alarm_rate([], 0.01)
    with pytest.raises(MetricInputError, match="not finite"):
        threshold_for_false_alarm_rate([0.1, float("nan")], 0.01)
    for rate in (-0.01, 1.01, float("nan"), True, "0.1"):
        with pytest.raises(ConfigError, match=r"false-alarm rate must be a number in \[0, 1\]"):
            threshold_for_false_alarm_rate([0.1, 0.2], rate)  # type: ignore[arg-type]


# ─── resolution limit ───────────────────────────────────────────────────────────────────
def test_resolvable_at_the_limit_and_one_below() -> None:
    assert resolvable(100, 0.01) and not resolvable(99, 0.01)
    assert resolvable(1000, 0.001) and not resolvable(999, 0.001)
    assert not resolvable(10**9, 0.0)


def _negatives(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


@pytest.mark.parametrize(("n_val", "n_test", "expected"), [(100, 100, True), (99, 100, False), (100, 99, False)])
def test_operating_point_is_resolvable_only_with_enough_negatives_in_both(n_val: int, n_test: int,
                                                                         expected: bool) -> None:
    val = _negatives(n_val, 1)
    test = _negatives(n_test, 2)
    report = operating_points(
        np.r_[np.zeros(n_val), [1]], np.r_[val, [0.99]], np.r_[np.zeros(n_test), [1]], np.r_[test, [0.99]],
        rates=(0.01,))
    point = report["points"][0]
    assert point["resolvable"] is expected
    assert ("note" in point) is (not expected)
    if not expected:
        assert point["note"].startswith("n negatives < 1/rate") and "at least 100" in point["note"]


# ─── operating_points ───────────────────────────────────────────────────────────────────
def test_threshold_is_chosen_on_validation_and_applied_to_test() -> None:
    # Validation negatives 0.00 .. 0.99: at 1 % the one allowed alarm is 0.99, t just above 0.98.
    val_neg = np.arange(100) / 100
    # Test negatives sit higher: 3 of them at or above validation's threshold. Test's own
    # 1 % threshold would be just above 0.985 (different), and its false-alarm rate is 3 %.
    test_neg = np.r_[np.full(97, 0.5), [0.985, 0.99, 0.995]]
    test_events = np.array([0.97, 0.981, 0.99, 1.0])
    report = operating_points(np.r_[np.zeros(100), np.ones(2)], np.r_[val_neg, [0.9, 1.0]],
                              np.r_[np.zeros(100), np.ones(4)], np.r_[test_neg, test_events], rates=(0.01,))
    point = report["points"][0]
    expected = threshold_for_false_alarm_rate(val_neg, 0.01)
    assert point["threshold"] == expected == ABOVE(0.98, np.inf)
    assert threshold_for_false_alarm_rate(test_neg, 0.01) != expected
    assert point["false_alarms"] == 3 and point["false_alarm_rate"] == 0.03
    assert point["recall"] == 0.75  # 0.981, 0.99, 1.0 of the four
    assert point["resolvable"] is True and "note" not in point


def test_identical_negatives_are_left_out_of_both_splits() -> None:
    # An identical validation negative scored 1.0 would push the threshold above it if counted.
    val_labels, val_scores = [0, 0, 0, 0, 1], [0.1, 0.2, 0.3, 1.0, 0.8]
    val_same = [False, False, False, True, False]
    test_labels, test_scores = [0, 0, 1, 1], [0.9, 0.2, 0.5, 0.7]
    test_same = [True, False, False, False]
    report = operating_points(val_labels, val_scores, test_labels, test_scores, rates=(0.0,),
                              val_hard=hard_mask(val_labels, val_same), test_hard=hard_mask(test_labels, test_same))
    point = report["points"][0]
    assert point["threshold"] == ABOVE(0.3, np.inf)
    assert point["false_alarms"] == 0 and point["recall"] == 1.0
    assert report["n_validation_hard_negatives"] == 3 and report["n_test_hard_negatives"] == 1
    assert report["roc_auc"] == 1.0  # 0.9 (identical) is out of the hard set


def test_hard_mask_keeps_events_and_non_identical_negatives() -> None:
    mask = hard_mask([1, 1, 0, 0], [True, False, True, False])
    assert mask.tolist() == [True, True, False, True]
    with pytest.raises(MetricInputError):
        hard_mask([1, 2], [True, False])


def test_threshold_free_summaries_by_hand() -> None:
    labels, scores = [1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1]
    report = operating_points(labels, scores, labels, scores, decision_threshold=0.5)
    # Event-negative pairs ranked right: (0.9, 0.6), (0.9, 0.1), (0.4, 0.1); wrong: (0.4, 0.6).
    assert report["roc_auc"] == 0.75
    # Ranked: 0.9 event (precision 1 at recall 0.5), 0.6, 0.4 event (2/3 at recall 1).
    assert report["average_precision"] == round(0.5 * 1 + 0.5 * 2 / 3, 4)
    assert report["hard_negative_specificity"] == 0.5  # 0.1 below 0.5, 0.6 not
    assert report["decision_recall"] == 0.5
    assert report["decision_threshold"] == 0.5


def test_identical_rule_has_auc_one_half_on_a_hard_set() -> None:
    labels = np.array([1, 1, 1, 0, 0, 0, 0])
    identical = np.array([False, False, False, True, True, False, False])
    scores = (~identical).astype(float)
    report = operating_points(labels, scores, labels, scores, test_hard=hard_mask(labels, identical),
                              val_hard=hard_mask(labels, identical))
    assert report["roc_auc"] == 0.5
    assert all(point["recall"] == 0.0 and point["false_alarms"] == 0 for point in report["points"])
    # Over every sample, identical pairs included, it looks like a detector.
    assert operating_points(labels, scores, labels, scores)["roc_auc"] > 0.5


def test_one_class_and_missing_pieces_give_none_not_errors() -> None:
    report = operating_points([0, 1], [0.2, 0.8], [1, 1], [0.5, 0.9], decision_threshold=0.5)
    assert report["roc_auc"] is None and report["average_precision"] is None
    assert report["points"][0]["false_alarm_rate"] is None and report["points"][0]["recall"] == 1.0
    assert report["hard_negative_specificity"] is None
    no_val_negative = operating_points([1, 1], [0.2, 0.8], [0, 1], [0.5, 0.9])["points"][0]
    assert no_val_negative["threshold"] is None and no_val_negative["note"].startswith("no hard negative")
    json.dumps(report, allow_nan=False)


def test_operating_points_refuses_bad_input() -> None:
    with pytest.raises(MetricInputError, match="one label per sample"):
        operating_points([0, 1], [0.1, 0.2], [0, 1, 1], [0.1, 0.2])
    with pytest.raises(MetricInputError, match="labels 0"):
        operating_points([0, 2], [0.1, 0.2], [0, 1], [0.1, 0.2])
    with pytest.raises(MetricInputError, match="val_hard"):
        operating_points([0, 1], [0.1, 0.2], [0, 1], [0.1, 0.2], val_hard=[True])
    with pytest.raises(ConfigError):
        operating_points([0, 1], [0.1, 0.2], [0, 1], [0.1, 0.2], rates=(2.0,))
    with pytest.raises(ConfigError, match="decision_threshold"):
        operating_points([0, 1], [0.1, 0.2], [0, 1], [0.1, 0.2], decision_threshold=math.inf)


# ─── curves ─────────────────────────────────────────────────────────────────────────────
def test_curves_are_thinned_with_endpoints_kept() -> None:
    rng = np.random.default_rng(3)
    labels = np.r_[np.ones(400), np.zeros(600)]
    scores = np.r_[rng.normal(1.0, 1.0, 400), rng.normal(0.0, 1.0, 600)]
    result = curves(labels, scores, points=11)
    roc, pr = result["roc"], result["pr"]
    assert 2 < len(roc["fpr"]) <= 11 and len(roc["fpr"]) == len(roc["tpr"])
    assert (roc["fpr"][0], roc["tpr"][0], roc["fpr"][-1], roc["tpr"][-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(roc["fpr"]) >= 0) and np.all(np.diff(roc["tpr"]) >= 0)
    assert pr["recall"][0] == 1.0 and pr["recall"][-1] == 0.0 and len(pr["recall"]) <= 11
    assert curves(labels, scores, points=2)["roc"] == {"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]}
    assert result["n"] == 1000 and result["n_events"] == 400


def test_curves_on_the_hard_set_and_one_class() -> None:
    result = curves([1, 0, 0], [0.9, 0.95, 0.1], hard=[True, False, True])
    assert result["n"] == 2 and result["roc"] == {"fpr": [0.0, 0.0, 1.0], "tpr": [0.0, 1.0, 1.0]}
    lonely = curves([1, 1], [0.2, 0.3])
    assert lonely["roc"] is None and lonely["pr"] is None
    with pytest.raises(ConfigError, match="points"):
        curves([1, 0], [0.2, 0.3], points=1)


# ─── magnitude_skill ────────────────────────────────────────────────────────────────────
def test_magnitude_skill_by_hand() -> None:
    skill = magnitude_skill([4.0, 5.0, 6.0], [1, 1, 0], [4.5, 6.0, 0.0], [4.5, 5.5, 0.3])
    assert skill["constant_magnitude"] == 5.0
    assert skill["mae_events"] == 0.25  # |0| and |0.5| over the two events
    assert skill["constant_mae_events"] == 0.75  # |0.5| and |1.0|
    assert skill["ratio"] == round(0.25 / 0.75, 4) and skill["informative"] is True
    assert skill["paper_mae"] == round(0.8 / 3, 4)  # negatives at target 0: 0 + 0.5 + 0.3
    assert skill["n_events"] == 2


def test_paper_mae_reads_the_gated_predictions() -> None:
    # The second event was missed by the detector: reported 0, so the paper's MAE pays 6.
    skill = magnitude_skill([5.0], [1, 1, 0], [4.5, 6.0, 0.0], [4.5, 5.5, 4.8], paper_predictions=[4.5, 0.0, 0.0])
    assert skill["paper_mae"] == 2.0 and skill["mae_events"] == 0.25


def test_constant_predictor_has_ratio_one_and_no_skill() -> None:
    skill = magnitude_skill([4.0, 6.0], [1, 1], [4.2, 6.1], [5.0, 5.0])
    assert skill["ratio"] == 1.0 and skill["informative"] is False
    exact = magnitude_skill([5.0], [1], [5.0], [5.0])
    assert exact["ratio"] is None and exact["informative"] is False
    no_event = magnitude_skill([5.0], [0], [0.0], [0.0])
    assert no_event["mae_events"] is None and no_event["paper_mae"] == 0.0


def test_magnitude_skill_refuses_bad_input() -> None:
    with pytest.raises(MetricInputError, match="train_event_magnitudes"):
        magnitude_skill([], [1], [5.0], [5.0])
    with pytest.raises(MetricInputError, match="predicted_magnitudes"):
        magnitude_skill([5.0], [1, 0], [5.0, 0.0], [5.0])


# ─── detection_by_bins ──────────────────────────────────────────────────────────────────
def test_detection_by_bins_by_hand() -> None:
    flagged = [1, 0, 1, 1, 0, 1, 1]
    labels = [1, 1, 1, 1, 1, 0, 1]
    magnitudes = [4.4, 5.0, 5.2, 6.0, 5.9, 0.0, 4.9]
    distances = [0.5, 3.0, None, 12.0, float("nan"), 1.0, 2.0]
    result = detection_by_bins(flagged, labels, magnitudes, distances, [4.5, 5.0, 5.5], [1.0, 5.0])
    assert result["n_events"] == 6
    by_mb = {row["bin"]: (row["n"], row["detected"], row["rate"]) for row in result["magnitude"]}
    # 5.0 is the low edge of its bin (left-closed); 4.9 below it; the negative is not binned.
    assert by_mb == {"<4.5": (1, 1, 1.0), "4.5-5": (1, 1, 1.0), "5-5.5": (2, 1, 0.5), ">=5.5": (2, 1, 0.5)}
    by_km = {row["bin"]: (row["n"], row["detected"]) for row in result["distance_km"]}
    assert by_km == {"<1": (1, 1), "1-5": (2, 1), ">=5": (1, 1), "unknown": (2, 1)}
    cells = {(c["magnitude_bin"], c["distance_bin"]): c["n"] for c in result["cells"]}
    assert len(cells) == 4 * 4 and sum(cells.values()) == 6
    assert cells[("5-5.5", "unknown")] == 1 and cells[(">=5.5", "unknown")] == 1
    assert all(row["rate"] is not None for row in result["magnitude"])  # no bin is empty here
    assert result["magnitude"][0]["low"] is None and result["magnitude"][0]["high"] == 4.5
    json.dumps(result, allow_nan=False)


def test_detection_by_bins_empty_bin_and_bad_edges() -> None:
    result = detection_by_bins([1], [1], [5.2], [3.0], [4.0, 6.0], [10.0])
    assert [row["n"] for row in result["magnitude"]] == [0, 1, 0]
    assert result["magnitude"][0]["rate"] is None
    for edges in ([], [5.0, 5.0], [6.0, 5.0], [float("nan")]):
        with pytest.raises(ConfigError, match="strictly increasing"):
            detection_by_bins([1], [1], [5.2], [3.0], edges, [10.0])
    with pytest.raises(MetricInputError, match="finite magnitude"):
        detection_by_bins([1], [1], [float("nan")], [3.0], [5.0], [10.0])
    with pytest.raises(MetricInputError, match="one value per label"):
        detection_by_bins([1, 0], [1, 0], [5.0], [3.0, 1.0], [5.0], [10.0])


# ─── seed_summary ───────────────────────────────────────────────────────────────────────
def test_seed_summary_by_hand() -> None:
    assert seed_summary([0.8, 0.9, 1.0]) == {"mean": 0.9, "std": 0.1, "min": 0.8, "max": 1.0, "n": 3}
    assert seed_summary([0.7]) == {"mean": 0.7, "std": None, "min": 0.7, "max": 0.7, "n": 1}
    with pytest.raises(MetricInputError):
        seed_summary([])
    with pytest.raises(MetricInputError):
        seed_summary([0.5, float("inf")])
