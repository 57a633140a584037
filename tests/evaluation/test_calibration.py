"""Temperature scaling and calibration error: a known temperature is recovered, ECE measures
what it says, and the ranking (hence every operating point) does not move."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")

from quakesat.errors import ConfigError  # noqa: E402
from quakesat.evaluation.calibration import (  # noqa: E402
    apply_temperature,
    calibration_report,
    expected_calibration_error,
    fit_temperature,
    logit,
    reliability,
)


def _calibrated_sample(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and labels drawn so that P(label = 1 | p) = p exactly."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.0, 1.0, n)
    return p, (rng.uniform(0.0, 1.0, n) < p).astype(int)


def test_a_known_temperature_is_recovered() -> None:
    p, y = _calibrated_sample(20_000)
    overconfident = apply_temperature(p, 1 / 3)  # logits tripled
    assert fit_temperature(overconfident, y) == pytest.approx(3.0, rel=0.05)
    assert fit_temperature(p, y) == pytest.approx(1.0, rel=0.05)


def test_scaling_fixes_the_calibration_error_and_keeps_the_ranking() -> None:
    p, y = _calibrated_sample(20_000, seed=1)
    overconfident = apply_temperature(p, 0.25)
    before = expected_calibration_error(overconfident, y)
    after = expected_calibration_error(apply_temperature(overconfident, fit_temperature(overconfident, y)), y)
    assert before > 0.1 and after < 0.02 and expected_calibration_error(p, y) < 0.02
    order = np.argsort(overconfident)
    assert np.all(np.diff(apply_temperature(overconfident, 2.0)[order]) >= 0)  # monotone: ranks kept


def test_ece_on_a_constructed_case() -> None:
    # bin [0.2, 0.3): two tiles at 0.25, one event -> gap 0.25; bin [0.9, 1]: two at 0.95, both events -> 0.05
    p = np.array([0.25, 0.25, 0.95, 0.95])
    y = np.array([0, 1, 1, 1])
    assert expected_calibration_error(p, y) == pytest.approx((2 * 0.25 + 2 * 0.05) / 4)
    rows = reliability(p, y)
    assert [r["tiles"] for r in rows] == [0, 0, 2, 0, 0, 0, 0, 0, 0, 2]
    assert rows[9]["event_share"] == 1.0 and rows[0]["mean_probability"] is None


def test_one_class_fits_nothing_and_bad_input_is_refused() -> None:
    assert fit_temperature([0.2, 0.9], [1, 1]) == 1.0
    for bad in ([0.2, float("nan")], [0.2, 1.5], []):
        with pytest.raises(ConfigError):
            expected_calibration_error(bad, [0, 1][: len(bad)])
    with pytest.raises(ConfigError):
        apply_temperature([0.5], 0.0)
    with pytest.raises(ConfigError):
        fit_temperature([0.5, 0.5], [0, 2])


def test_logit_is_finite_at_the_edges_and_the_report_never_reads_test_for_the_fit() -> None:
    assert np.all(np.isfinite(logit([0.0, 1.0])))
    p, y = _calibrated_sample(2_000, seed=2)
    val = apply_temperature(p, 0.5)
    report = calibration_report(val[:1000], y[:1000], val[1000:], 1 - y[1000:])  # test labels inverted
    again = calibration_report(val[:1000], y[:1000])
    assert report["temperature"] == again["temperature"]  # the fit saw validation only
    assert report["test"]["ece_after"] > report["validation"]["ece_after"]
