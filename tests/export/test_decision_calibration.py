"""The manifest's decision block chosen on validation: the threshold for a target
false-alarm rate, the temperature, and the magnitude marked uninformative when it does not
beat the constant."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from quakesat.evaluation.calibration import apply_temperature  # noqa: E402
from quakesat.export.decision_calibration import (  # noqa: E402
    MAGNITUDE_SKILL_RATIO,
    ValidationHeads,
    choose_decision,
    fold_temperature,
)
from quakesat.models.networks import NetSpec, build_network  # noqa: E402


def _validation(n_events: int = 300, n_negatives: int = 400, identical: int = 100, magnitude_noise: float = 0.05,
                seed: int = 0) -> ValidationHeads:
    rng = np.random.default_rng(seed)
    labels = np.r_[np.ones(n_events), np.zeros(n_negatives + identical)].astype(int)
    scores = np.r_[rng.beta(5, 2, n_events), rng.beta(2, 5, n_negatives), np.full(identical, 0.999)]
    truth = np.r_[rng.uniform(4.5, 6.8, n_events), np.zeros(n_negatives + identical)]
    magnitude = truth + rng.normal(0, magnitude_noise, truth.size)
    same = np.r_[np.zeros(n_events + n_negatives, bool), np.ones(identical, bool)]
    return ValidationHeads({"event": scores, "magnitude": magnitude}, labels, truth, same,
                           rng.uniform(4.5, 6.8, 500))


def test_the_threshold_gives_the_target_rate_on_the_changed_negatives_only() -> None:
    val = _validation()
    choice = choose_decision(val, magnitude_given_event=True, rate=0.01)
    calibrated = apply_temperature(val.heads["event"], choice.temperature)
    changed = calibrated[(val.labels == 0) & ~val.identical]
    # 400 changed negatives at 1 %: at most 4 reach the threshold, and the 5th highest does not
    assert np.count_nonzero(changed >= choice.rule.event_threshold) <= 4
    assert np.sort(changed)[-5] < choice.rule.event_threshold
    point = choice.rule.operating_point
    assert point["resolvable"] and point["hard_negatives"] == 400 and point["false_alarm_rate"] <= 0.01
    # the identical pairs (scored 0.999 here) did not count: the gate skips them on board
    assert choice.rule.event_threshold < apply_temperature([0.999], choice.temperature)[0]


def test_too_few_changed_negatives_say_the_rate_cannot_be_measured() -> None:
    choice = choose_decision(_validation(n_negatives=40), magnitude_given_event=True, rate=0.01)
    assert not choice.rule.operating_point["resolvable"]
    assert "cannot measure" in choice.rule.operating_point["note"]


def test_a_magnitude_that_beats_the_constant_is_informative_and_one_that_does_not_is_not() -> None:
    good = choose_decision(_validation(magnitude_noise=0.05), magnitude_given_event=True)
    assert good.rule.magnitude_informative and good.rule.magnitude_skill["ratio"] <= MAGNITUDE_SKILL_RATIO
    val = _validation()
    constant_like = ValidationHeads({**val.heads, "magnitude": np.full(val.labels.size, 5.6)}, val.labels,
                                    val.magnitudes, val.identical, val.train_event_magnitudes)
    bad = choose_decision(constant_like, magnitude_given_event=True)
    assert not bad.rule.magnitude_informative and bad.rule.magnitude_skill["ratio"] > MAGNITUDE_SKILL_RATIO


def test_folding_the_temperature_rescales_the_event_logit_exactly() -> None:
    net = build_network("quakelite", NetSpec(in_channels=4, event=True, magnitude=True, location=True)).eval()
    x = torch.randn(3, 4, 32, 32)
    folded = fold_temperature(net, 2.5).eval()
    with torch.no_grad():
        before, after = net(x), folded(x)
    assert torch.allclose(after["event"], before["event"] / 2.5, atol=1e-6)
    assert torch.equal(after["magnitude"], before["magnitude"])
    assert torch.equal(net(x)["event"], before["event"])  # the original is untouched
