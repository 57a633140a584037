"""Probability calibration of a detector: temperature scaling, expected calibration error, reliability.

A network trained with cross-entropy on a balanced, small training split is rarely calibrated:
its "0.9" does not mean nine events in ten. The message's confidence field is meant to be a
probability an operator can act on, so export rescales the event logit by one temperature
``T`` fitted on the validation split (Guo et al. 2017, "On calibration of modern neural
networks", ICML: temperature scaling keeps the ranking, hence ROC AUC and every operating
point, and changes only the probabilities):

    p_calibrated = sigmoid(logit(p) / T)

- :func:`fit_temperature`: the ``T`` minimising the negative log-likelihood on labelled tiles
  (a bounded 1-D search over ``log T``; scipy).
- :func:`expected_calibration_error`: the count-weighted mean gap between the mean predicted
  probability and the observed event share over equal-width probability bins (Naeini et al.
  2015), 10 bins by default.
- :func:`reliability`: the per-bin numbers behind a reliability diagram.

numpy and scipy only (training side; the flight runtime only ever sees the rescaled head).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from quakesat.errors import ConfigError

#: The fit's bounds. Validation classes a network separates perfectly pull the fit towards 0
#: (infinitely sharp), a network that knows nothing towards infinity (every probability the
#: base rate); the bounds stop both, and export's threshold keeps a margin either way.
TEMPERATURE_RANGE = (0.05, 50.0)
DEFAULT_BINS = 10
_EPS = 1e-7


def _probabilities(values: ArrayLike, name: str = "probabilities") -> np.ndarray:
    p = np.asarray(values, dtype=np.float64).ravel()
    if p.size == 0:
        raise ConfigError(f"{name}: no tiles")
    if not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1:
        raise ConfigError(f"{name}: every value must be a finite probability in [0, 1]")
    return p


def _labels(values: ArrayLike, size: int) -> np.ndarray:
    y = np.asarray(values).ravel()
    if y.size != size or not np.isin(y, (0, 1)).all():
        raise ConfigError(f"labels: need {size} values of 0 or 1")
    return y.astype(np.float64)


def logit(probabilities: ArrayLike) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped to ``[1e-7, 1 - 1e-7]`` (float64)."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def apply_temperature(probabilities: ArrayLike, temperature: float) -> np.ndarray:
    """``sigmoid(logit(p) / T)``: the probabilities a head rescaled by ``T`` gives."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise ConfigError(f"temperature must be a finite number > 0, got {temperature}")
    return 1.0 / (1.0 + np.exp(-logit(probabilities) / temperature))


def negative_log_likelihood(probabilities: ArrayLike, labels: ArrayLike) -> float:
    """Mean binary cross-entropy of the probabilities (clipped as in :func:`logit`)."""
    p = np.clip(_probabilities(probabilities), _EPS, 1 - _EPS)
    y = _labels(labels, p.size)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def fit_temperature(probabilities: ArrayLike, labels: ArrayLike) -> float:
    """The temperature minimising the negative log-likelihood of ``labels``.

    Returns 1.0 (no rescaling) when the tiles hold one class only: there is nothing to fit.
    """
    from scipy.optimize import minimize_scalar

    p = _probabilities(probabilities)
    y = _labels(labels, p.size)
    if y.min() == y.max():
        return 1.0
    z = logit(p)

    def nll(log_t: float) -> float:
        scaled = z / math.exp(log_t)
        # log(1 + exp(-s)) for events, log(1 + exp(s)) for negatives, stably
        return float(np.mean(np.logaddexp(0.0, np.where(y > 0.5, -scaled, scaled))))

    low, high = (math.log(t) for t in TEMPERATURE_RANGE)
    found = minimize_scalar(nll, bounds=(low, high), method="bounded", options={"xatol": 1e-4})
    return float(math.exp(found.x))


def reliability(probabilities: ArrayLike, labels: ArrayLike, bins: int = DEFAULT_BINS) -> list[dict[str, Any]]:
    """Per equal-width bin of predicted probability: its range, tile count, mean predicted
    probability and observed event share (``None`` for empty bins)."""
    if bins < 1:
        raise ConfigError(f"bins must be >= 1, got {bins}")
    p = _probabilities(probabilities)
    y = _labels(labels, p.size)
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        inside = index == b
        count = int(np.count_nonzero(inside))
        rows.append({"low": b / bins, "high": (b + 1) / bins, "tiles": count,
                     "mean_probability": round(float(p[inside].mean()), 6) if count else None,
                     "event_share": round(float(y[inside].mean()), 6) if count else None})
    return rows


def expected_calibration_error(probabilities: ArrayLike, labels: ArrayLike, bins: int = DEFAULT_BINS) -> float:
    """Count-weighted mean |mean predicted probability - event share| over the bins."""
    rows = reliability(probabilities, labels, bins)
    total = sum(r["tiles"] for r in rows)
    return float(sum(r["tiles"] * abs(r["mean_probability"] - r["event_share"]) for r in rows if r["tiles"]) / total)


def calibration_report(val_probabilities: ArrayLike, val_labels: ArrayLike,
                       test_probabilities: ArrayLike | None = None, test_labels: ArrayLike | None = None,
                       bins: int = DEFAULT_BINS) -> dict[str, Any]:
    """Fit the temperature on validation; ECE and NLL before and after on validation and, when
    given, on test (the temperature never sees test labels)."""
    temperature = fit_temperature(val_probabilities, val_labels)
    report: dict[str, Any] = {"method": "temperature scaling", "temperature": round(temperature, 6), "bins": bins,
                              "fitted_on": "validation"}
    splits = {"validation": (val_probabilities, val_labels)}
    if test_probabilities is not None and test_labels is not None:
        splits["test"] = (test_probabilities, test_labels)
    for split, (p, y) in splits.items():
        after = apply_temperature(p, temperature)
        report[split] = {
            "tiles": int(np.asarray(p).size),
            "ece_before": round(expected_calibration_error(p, y, bins), 6),
            "ece_after": round(expected_calibration_error(after, y, bins), 6),
            "nll_before": round(negative_log_likelihood(p, y), 6),
            "nll_after": round(negative_log_likelihood(after, y), 6),
            "reliability_before": reliability(p, y, bins),
            "reliability_after": reliability(after, y, bins),
        }
    return report
