"""The onboard detection protocol: recall at an affordable false-alarm rate, on the hard tiles.

On board almost every tile is quiet, and each false alarm costs downlink, so a detector is
judged by the share of events it flags (recall) at a false-alarm rate the link can afford
(1 % and 0.1 % by default), not by accuracy on a balanced test set. The rate is measured on
the **hard set**: every event plus the negative pairs that are *not* pixel-identical. In the
published QuakeSet about 68 % of the negatives are identical images, which "identical means
no event" alone gets right (:func:`quakesat.evaluation.metrics.shortcut_report`); the flight
runtime's change gate drops them before any model runs.

The threshold for a rate is chosen on the **validation** hard negatives and applied,
unchanged, to the **test** split; test labels are used only to count. A rate can only be
measured on at least ``1 / rate`` negatives (one false alarm in 100 tiles is already 1 %):
:func:`operating_points` computes every number anyway and says when it is not resolvable.

Beside it: threshold-free summaries on the test hard set (ROC AUC, average precision from
:mod:`sklearn.metrics`), downsampled ROC and precision-recall curves for plots, the
magnitude skill against the constant "training mean" predictor (the 2024 SMAC challenge's
winning magnitude entry), detection rate by magnitude and distance, and a mean-and-spread
summary over seeds. Every result is JSON-ready: plain floats rounded to :data:`DIGITS`,
ints, bools, None, lists and dicts.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn import metrics as sk

from quakesat.errors import ConfigError
from quakesat.evaluation.metrics import MetricInputError, mean_absolute_error

#: False-alarm rates reported by default: 1 % and 0.1 % of the quiet hard tiles.
DEFAULT_RATES: tuple[float, ...] = (0.01, 0.001)
#: Decimals kept in the float fields of every report (thresholds excepted: see below).
DIGITS = 4
#: Points per curve in :func:`curves`.
DEFAULT_CURVE_POINTS = 101
# A rate times a count such as 0.29 * 100 lands a hair below the integer it means.
_COUNT_SLACK = 1e-9


# ─── input checks ───────────────────────────────────────────────────────────────────────
def _scores(values: ArrayLike, name: str, allow_empty: bool = False) -> np.ndarray:
    """``values`` as a finite 1-D float64 array, or raise naming ``name``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise MetricInputError(f"{name}: expected numbers, one per sample ({err})") from err
    if array.ndim != 1:
        raise MetricInputError(f"{name}: expected one value per sample (shape (N,)), got shape {array.shape}")
    if array.size == 0 and not allow_empty:
        raise MetricInputError(f"{name}: no samples; expected at least one")
    if not np.isfinite(array).all():
        first = int(np.flatnonzero(~np.isfinite(array))[0])
        raise MetricInputError(f"{name}: value {array[first]} at index {first} is not finite; expected finite numbers")
    return array


def _labels(values: ArrayLike, name: str, size: int) -> np.ndarray:
    """0/1 labels of ``size`` samples as a bool array (True: event), or raise."""
    array = _scores(values, name, allow_empty=True)
    if array.size != size:
        raise MetricInputError(f"{name} has {array.size} values for {size} samples; expected one label per sample")
    if not np.isin(array, (0.0, 1.0)).all():
        first = int(np.flatnonzero(~np.isin(array, (0.0, 1.0)))[0])
        raise MetricInputError(f"{name}: expected labels 0 (no event) or 1 (event), got {array[first]} at {first}")
    return array == 1.0


def _mask(values: ArrayLike | None, name: str, size: int) -> np.ndarray:
    """A per-sample bool mask (None: every sample), or raise."""
    if values is None:
        return np.ones(size, dtype=bool)
    array = np.asarray(values)
    if array.shape != (size,):
        raise MetricInputError(f"{name} has shape {array.shape}; expected one True/False per sample ({size},)")
    if array.dtype != bool and not np.isin(array, (0, 1)).all():
        raise MetricInputError(f"{name}: expected True/False (or 1/0) per sample")
    return array.astype(bool)


def _rate(rate: float) -> float:
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0.0 <= rate <= 1.0:
        raise ConfigError(f"false-alarm rate must be a number in [0, 1], got {rate!r}")
    return float(rate)


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), DIGITS)


def hard_mask(labels: ArrayLike, identical: ArrayLike) -> np.ndarray:
    """The hard set: every event and every negative whose two images are not pixel-identical.

    Args:
        labels: 0/1 per sample.
        identical: True where the sample's two images are pixel-identical.

    Returns:
        A bool array, True for the samples of the hard set.

    Raises:
        MetricInputError: labels other than 0/1, or lengths that differ.
    """
    same = np.asarray(identical)
    events = _labels(labels, "labels", same.size)
    return events | ~_mask(same.reshape(-1), "identical", events.size)


# ─── thresholds ─────────────────────────────────────────────────────────────────────────
def allowed_false_alarms(n_negatives: int, rate: float) -> int:
    """How many of ``n_negatives`` may score as events at false-alarm rate ``rate`` (``floor(rate * n)``).

    Args:
        n_negatives: the number of negatives.
        rate: the false-alarm rate, in [0, 1].

    Returns:
        The largest count ``k`` with ``k / n_negatives <= rate``.

    Raises:
        ConfigError: ``rate`` outside [0, 1].
    """
    return math.floor(_rate(rate) * n_negatives + _COUNT_SLACK)


def threshold_for_false_alarm_rate(negative_scores: ArrayLike, rate: float) -> float:
    """The lowest threshold ``t`` at which the share of negatives with score ``>= t`` is at most ``rate``.

    An event is a score ``>= t``. Tied scores pass or fail together, so when admitting a tie
    block would exceed the rate the whole block is excluded and ``t`` is the next float above
    it (``np.nextafter``). With ``rate`` 1 every negative may be flagged and ``t`` is the
    lowest negative score.

    Args:
        negative_scores: the scores of the negatives the rate is measured on.
        rate: the false-alarm rate, in [0, 1].

    Returns:
        The threshold, a float64 (kept exact: rounding it could move it across a score).

    Raises:
        MetricInputError: no negative scores, or scores that are not finite numbers.
        ConfigError: ``rate`` outside [0, 1].
    """
    rate = _rate(rate)
    scores = np.sort(_scores(negative_scores, "negative_scores"))[::-1]
    allowed = allowed_false_alarms(scores.size, rate)
    if allowed >= scores.size:
        return float(scores[-1])
    # At most `allowed` scores lie strictly above the (allowed + 1)-th highest score, and any
    # threshold at or below it flags at least allowed + 1: the answer is the float just above.
    return float(np.nextafter(scores[allowed], np.inf))


def resolvable(n_negatives: int, rate: float) -> bool:
    """Whether ``n_negatives`` can measure ``rate``: at least ``1 / rate`` of them (never for rate 0).

    Args:
        n_negatives: the number of negatives.
        rate: the false-alarm rate, in [0, 1].

    Returns:
        True when one false alarm is at most ``rate`` of the negatives.

    Raises:
        ConfigError: ``rate`` outside [0, 1].
    """
    rate = _rate(rate)
    return rate > 0.0 and n_negatives * rate >= 1.0 - _COUNT_SLACK


# ─── the protocol ───────────────────────────────────────────────────────────────────────
def _point(rate: float, val_negatives: np.ndarray, test_events: np.ndarray,
           test_negatives: np.ndarray) -> dict[str, Any]:
    """One operating point: threshold from validation negatives, counted on test."""
    point: dict[str, Any] = {"rate": rate, "threshold": None, "recall": None, "false_alarm_rate": None,
                             "false_alarms": None, "resolvable": False}
    if val_negatives.size == 0:
        point["note"] = "no hard negative in validation: no threshold can be chosen"
        return point
    threshold = threshold_for_false_alarm_rate(val_negatives, rate)
    alarms = int(np.count_nonzero(test_negatives >= threshold))
    point.update({
        "threshold": threshold,
        "recall": _round(np.mean(test_events >= threshold)) if test_events.size else None,
        "false_alarm_rate": _round(alarms / test_negatives.size) if test_negatives.size else None,
        "false_alarms": alarms,
        "resolvable": resolvable(val_negatives.size, rate) and resolvable(test_negatives.size, rate),
    })
    if not point["resolvable"]:
        needed = math.ceil(1.0 / rate - _COUNT_SLACK) if rate > 0 else "infinitely many"
        point["note"] = (f"n negatives < 1/rate: validation has {val_negatives.size}, test {test_negatives.size} "
                         f"hard negatives; a rate of {rate:g} needs at least {needed} in each")
    return point


def _threshold_free(truth: np.ndarray, scores: np.ndarray) -> dict[str, float | None]:
    """ROC AUC and average precision, None unless both classes are present."""
    if truth.size == 0 or truth.all() or not truth.any():
        return {"roc_auc": None, "average_precision": None}
    return {"roc_auc": _round(sk.roc_auc_score(truth, scores)),
            "average_precision": _round(sk.average_precision_score(truth, scores))}


def operating_points(
    val_labels: ArrayLike,
    val_scores: ArrayLike,
    test_labels: ArrayLike,
    test_scores: ArrayLike,
    rates: Sequence[float] = DEFAULT_RATES,
    val_hard: ArrayLike | None = None,
    test_hard: ArrayLike | None = None,
    decision_threshold: float | None = None,
) -> dict[str, Any]:
    """Recall at each false-alarm rate, the threshold chosen on validation and applied to test.

    Args:
        val_labels: 0/1 per validation sample.
        val_scores: the detector's score per validation sample (higher: more likely an event).
        test_labels: 0/1 per test sample; used only to count, never to choose.
        test_scores: the score per test sample.
        rates: the false-alarm rates, each in [0, 1].
        val_hard: True for the validation samples of the hard set (:func:`hard_mask`);
            None: every sample.
        test_hard: the same for test.
        decision_threshold: the model's own decision threshold (0.5 for probabilities), for
            ``hard_negative_specificity`` and ``decision_recall``; None skips them.

    Returns:
        ``points``: one dict per rate with ``rate``, ``threshold`` (exact, not rounded),
        ``recall`` (share of test hard-set events flagged), ``false_alarm_rate`` and
        ``false_alarms`` (on the test hard negatives), ``resolvable`` (both splits hold at
        least ``1 / rate`` hard negatives) and, when not resolvable, ``note``; fields that
        cannot be computed are None. Then ``roc_auc`` and ``average_precision`` on the test
        hard set (None with one class); ``decision_threshold``, ``hard_negative_specificity``
        (share of test hard negatives scored below it) and ``decision_recall``; the counts
        ``n_validation_hard_negatives``, ``n_test_hard_negatives``, ``n_test_events``.

    Raises:
        MetricInputError: empty or non-finite scores, labels other than 0/1, lengths that
            differ, or hard masks of the wrong shape.
        ConfigError: a rate outside [0, 1], or a non-finite decision threshold.
    """
    rates = [_rate(rate) for rate in rates]
    v_scores, t_scores = _scores(val_scores, "val_scores"), _scores(test_scores, "test_scores")
    v_events, t_events = _labels(val_labels, "val_labels", v_scores.size), _labels(test_labels, "test_labels",
                                                                                  t_scores.size)
    v_hard, t_hard = _mask(val_hard, "val_hard", v_scores.size), _mask(test_hard, "test_hard", t_scores.size)
    val_negatives = v_scores[v_hard & ~v_events]
    events, negatives = t_scores[t_hard & t_events], t_scores[t_hard & ~t_events]
    report: dict[str, Any] = {
        "points": [_point(rate, val_negatives, events, negatives) for rate in rates],
        **_threshold_free(t_events[t_hard], t_scores[t_hard]),
        "decision_threshold": None,
        "hard_negative_specificity": None,
        "decision_recall": None,
        "n_validation_hard_negatives": int(val_negatives.size),
        "n_test_hard_negatives": int(negatives.size),
        "n_test_events": int(events.size),
    }
    if decision_threshold is not None:
        if not math.isfinite(decision_threshold):
            raise ConfigError(f"decision_threshold must be a finite number or None, got {decision_threshold!r}")
        report["decision_threshold"] = float(decision_threshold)
        if negatives.size:
            report["hard_negative_specificity"] = _round(np.mean(negatives < decision_threshold))
        if events.size:
            report["decision_recall"] = _round(np.mean(events >= decision_threshold))
    return report


# ─── curves ─────────────────────────────────────────────────────────────────────────────
def _thin(*columns: np.ndarray, points: int) -> list[list[float]]:
    """At most ``points`` evenly spaced rows of the columns, the first and last kept."""
    size = columns[0].size
    keep = np.unique(np.round(np.linspace(0, size - 1, min(points, size))).astype(np.int64))
    return [[round(float(value), DIGITS) for value in column[keep]] for column in columns]


def curves(
    labels: ArrayLike, scores: ArrayLike, hard: ArrayLike | None = None, points: int = DEFAULT_CURVE_POINTS
) -> dict[str, Any]:
    """ROC and precision-recall curves on the hard set, thinned for JSON and plots.

    Args:
        labels: 0/1 per sample.
        scores: the detector's score per sample.
        hard: True for the samples of the hard set; None: every sample.
        points: most points kept per curve (at least 2; the endpoints are always kept).

    Returns:
        ``roc``: ``{"fpr": [...], "tpr": [...]}``; ``pr``: ``{"recall": [...],
        "precision": [...]}`` (both None with one class); ``n``, ``n_events``, ``n_negatives``
        of the hard set.

    Raises:
        MetricInputError: empty or non-finite scores, labels other than 0/1, lengths that
            differ, or a hard mask of the wrong shape.
        ConfigError: ``points`` below 2.
    """
    if isinstance(points, bool) or not isinstance(points, numbers.Integral) or points < 2:
        raise ConfigError(f"points must be an int >= 2 (the two endpoints), got {points!r}")
    values = _scores(scores, "scores")
    keep = _mask(hard, "hard", values.size)
    truth, values = _labels(labels, "labels", values.size)[keep], values[keep]
    result: dict[str, Any] = {"roc": None, "pr": None, "n": int(truth.size),
                              "n_events": int(truth.sum()), "n_negatives": int((~truth).sum())}
    if truth.size and truth.any() and not truth.all():
        fpr, tpr, _ = sk.roc_curve(truth, values)
        precision, recall, _ = sk.precision_recall_curve(truth, values)
        result["roc"] = dict(zip(("fpr", "tpr"), _thin(fpr, tpr, points=points)))
        result["pr"] = dict(zip(("recall", "precision"), _thin(recall, precision, points=points)))
    return result


# ─── magnitude ──────────────────────────────────────────────────────────────────────────
def magnitude_skill(
    train_event_magnitudes: ArrayLike,
    labels: ArrayLike,
    true_magnitudes: ArrayLike,
    predicted_magnitudes: ArrayLike,
    paper_predictions: ArrayLike | None = None,
) -> dict[str, Any]:
    """Magnitude error on the test events against the constant "training mean" predictor.

    A regressor that cannot beat the mean mb of the training events has learnt nothing
    about magnitude (the 2024 SMAC challenge's winning magnitude entry was that constant),
    so the error is reported beside the constant's on the same events, and as their ratio.

    Args:
        train_event_magnitudes: mb of the training events (one per training event sample).
        labels: 0/1 per test sample.
        true_magnitudes: mb per test sample (0 for negatives).
        predicted_magnitudes: the model's mb per test sample, read on the events only,
            whether or not a detector flagged them.
        paper_predictions: what the system would report per test sample for the QuakeSet
            paper's MAE (typically the magnitude where the detector flags an event, else 0);
            None: ``predicted_magnitudes``.

    Returns:
        ``n_events``; ``mae_events`` (model, test events); ``constant_magnitude`` (the mean
        of ``train_event_magnitudes``) and ``constant_mae_events`` (its MAE on the same
        events); ``ratio`` (model / constant; below 1 is skill; None when either MAE is
        undefined or the constant is exact); ``informative`` (``ratio < 1``); ``paper_mae``
        (the paper's MAE over every test sample, negatives at target 0).

    Raises:
        MetricInputError: no training magnitudes, non-finite values, labels other than 0/1,
            or lengths that differ.
    """
    constant = float(np.mean(_scores(train_event_magnitudes, "train_event_magnitudes")))
    truth = _scores(true_magnitudes, "true_magnitudes")
    predicted = _scores(predicted_magnitudes, "predicted_magnitudes")
    if predicted.size != truth.size:
        raise MetricInputError(f"predicted_magnitudes has {predicted.size} values for {truth.size} samples")
    events = _labels(labels, "labels", truth.size)
    reported = predicted if paper_predictions is None else _scores(paper_predictions, "paper_predictions")
    if reported.size != truth.size:
        raise MetricInputError(f"paper_predictions has {reported.size} values for {truth.size} samples")
    result: dict[str, Any] = {"n_events": int(events.sum()), "mae_events": None,
                              "constant_magnitude": _round(constant), "constant_mae_events": None,
                              "ratio": None, "informative": False,
                              "paper_mae": _round(mean_absolute_error(truth, reported))}
    if events.any():
        model_mae = mean_absolute_error(truth[events], predicted[events])
        constant_mae = float(np.mean(np.abs(truth[events] - constant)))
        result.update({"mae_events": _round(model_mae), "constant_mae_events": _round(constant_mae)})
        if constant_mae > 0.0:
            result["ratio"] = _round(model_mae / constant_mae)
            result["informative"] = bool(model_mae < constant_mae)
    return result


# ─── detection by magnitude and distance ────────────────────────────────────────────────
def _edges(values: Sequence[float], name: str) -> np.ndarray:
    edges = np.asarray(values, dtype=np.float64).reshape(-1)
    if edges.size == 0 or not np.isfinite(edges).all() or (np.diff(edges) <= 0).any():
        raise ConfigError(f"{name} must be one or more finite, strictly increasing numbers, got {list(values)}")
    return edges


def _bin_labels(edges: np.ndarray) -> list[tuple[str, float | None, float | None]]:
    """(label, low, high) of the ``len(edges) + 1`` bins the cut points ``edges`` make."""
    bins: list[tuple[str, float | None, float | None]] = [(f"<{edges[0]:g}", None, float(edges[0]))]
    bins += [(f"{low:g}-{high:g}", float(low), float(high)) for low, high in itertools.pairwise(edges)]
    bins.append((f">={edges[-1]:g}", float(edges[-1]), None))
    return bins


def _rate_row(flagged: np.ndarray, where: np.ndarray) -> dict[str, Any]:
    n = int(where.sum())
    detected = int(flagged[where].sum())
    return {"n": n, "detected": detected, "rate": _round(detected / n) if n else None}


def detection_by_bins(
    flagged: ArrayLike,
    labels: ArrayLike,
    magnitudes: ArrayLike,
    distances_km: Sequence[float | None] | np.ndarray,
    magnitude_edges: Sequence[float],
    distance_edges: Sequence[float],
) -> dict[str, Any]:
    """Share of events flagged, per magnitude bin, per distance bin and per (magnitude, distance) cell.

    Edges are cut points: ``k`` edges make ``k + 1`` bins, the first ``< edges[0]``, then
    ``[edges[i], edges[i + 1])``, the last ``>= edges[-1]``, so every event lands in one bin.
    Distances that are None or NaN (the published file records none) go to the ``unknown``
    distance bin, which is always listed.

    Args:
        flagged: 0/1 per sample: the detector called it an event.
        labels: 0/1 per sample; only the events (1) are binned.
        magnitudes: mb per sample (finite for events).
        distances_km: distance of the patch centre from the epicentre per sample, or None/NaN.
        magnitude_edges: mb cut points, increasing.
        distance_edges: km cut points, increasing.

    Returns:
        ``n_events``; ``magnitude`` and ``distance_km``: lists of ``{"bin", "low", "high",
        "n", "detected", "rate"}`` (``rate`` None for an empty bin; ``low``/``high`` None at
        an open end or for ``unknown``); ``cells``: ``{"magnitude_bin", "distance_bin", "n",
        "detected", "rate"}`` for every pair of bins; the edges.

    Raises:
        MetricInputError: inputs of different lengths, labels or flags other than 0/1, or an
            event without a finite magnitude.
        ConfigError: edges that are empty, not finite or not increasing.
    """
    m_edges, d_edges = _edges(magnitude_edges, "magnitude_edges"), _edges(distance_edges, "distance_edges")
    events = _labels(labels, "labels", np.asarray(labels).size)
    called = _labels(flagged, "flagged", events.size)
    mb = np.asarray(magnitudes, dtype=np.float64).reshape(-1)
    km = np.array([np.nan if value is None else value for value in distances_km], dtype=np.float64).reshape(-1)
    if mb.size != events.size or km.size != events.size:
        raise MetricInputError(f"magnitudes ({mb.size}) and distances_km ({km.size}) need one value per label "
                               f"({events.size})")
    if not np.isfinite(mb[events]).all():
        raise MetricInputError("magnitudes: every event needs a finite magnitude")
    called, mb, km = called[events], mb[events], km[events]
    m_index = np.searchsorted(m_edges, mb, side="right")
    known = np.isfinite(km)
    d_index = np.where(known, np.searchsorted(d_edges, np.where(known, km, 0.0), side="right"), d_edges.size + 1)
    m_bins = _bin_labels(m_edges)
    d_bins = [*_bin_labels(d_edges), ("unknown", None, None)]

    def rows(bins: list, index: np.ndarray) -> list[dict[str, Any]]:
        return [{"bin": label, "low": low, "high": high, **_rate_row(called, index == i)}
                for i, (label, low, high) in enumerate(bins)]

    cells = [{"magnitude_bin": m_label, "distance_bin": d_label, **_rate_row(called, (m_index == i) & (d_index == j))}
             for i, (m_label, _, _) in enumerate(m_bins) for j, (d_label, _, _) in enumerate(d_bins)]
    return {"n_events": int(events.sum()), "magnitude": rows(m_bins, m_index), "distance_km": rows(d_bins, d_index),
            "cells": cells, "magnitude_edges": m_edges.tolist(), "distance_edges": d_edges.tolist()}


# ─── seeds ──────────────────────────────────────────────────────────────────────────────
def seed_summary(values: ArrayLike) -> dict[str, Any]:
    """Mean and spread of one metric over training seeds ("three seeds, mean ± spread").

    Args:
        values: the metric, one value per seed.

    Returns:
        ``mean``, ``std`` (sample standard deviation, ``ddof=1``; None for one seed),
        ``min``, ``max`` and ``n``.

    Raises:
        MetricInputError: no values, or values that are not finite numbers.
    """
    array = _scores(values, "values")
    return {"mean": _round(array.mean()), "std": _round(array.std(ddof=1)) if array.size > 1 else None,
            "min": _round(array.min()), "max": _round(array.max()), "n": int(array.size)}
