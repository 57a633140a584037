"""The one decision rule: event threshold, the paper's magnitude rule, conditional magnitude."""

from __future__ import annotations

import numpy as np
import pytest

from quakesat.runtime.decision import DEFAULT_DECISION, DecisionRule, decide


def test_event_head_alone_thresholds_the_probability_and_reports_the_decided_side() -> None:
    d = decide({"event": np.array([0.1, 0.5, 0.9])}, DEFAULT_DECISION)
    assert d.event.tolist() == [False, True, True]
    assert d.confidence == pytest.approx([0.9, 0.5, 0.9])
    assert d.magnitude.tolist() == [0.0, 0.0, 0.0]


def test_magnitude_below_one_means_no_event_as_in_the_paper() -> None:
    d = decide({"magnitude": np.array([0.4, 1.0, 5.2])}, DEFAULT_DECISION)
    assert d.event.tolist() == [False, True, True]
    assert d.magnitude == pytest.approx([0.4, 1.0, 5.2])  # a plain regressor reports what it says
    assert d.confidence.tolist() == [1.0, 1.0, 1.0]


def test_conditional_magnitude_is_reported_only_where_the_tile_is_an_event() -> None:
    heads = {"event": np.array([0.2, 0.8, 0.9]), "magnitude": np.array([5.5, 6.1, 0.3])}
    d = decide(heads, DecisionRule(magnitude_given_event=True))
    # tile 2: the event head fires but its magnitude is below 1, so no event (and 1 - p).
    assert d.event.tolist() == [False, True, False]
    assert d.magnitude == pytest.approx([0.0, 6.1, 0.0])
    assert d.confidence == pytest.approx([0.8, 0.8, 0.1])


def test_thresholds_come_from_the_manifest() -> None:
    heads = {"event": np.array([0.6]), "magnitude": np.array([2.0])}
    assert decide(heads, DecisionRule(0.7, 1.0, True)).event.tolist() == [False]
    assert decide(heads, DecisionRule(0.5, 2.5, True)).event.tolist() == [False]
    assert decide(heads, DecisionRule(0.5, 1.0, True)).event.tolist() == [True]


def test_an_uninformative_magnitude_reports_not_estimated_and_decides_nothing() -> None:
    heads = {"event": np.array([0.9, 0.9, 0.2], np.float32), "magnitude": np.array([5.6, 0.4, 5.6], np.float32)}
    rule = DecisionRule(magnitude_given_event=True, magnitude_informative=False)
    decided = decide(heads, rule)
    # the second tile's magnitude below 1 no longer vetoes the event: that number means nothing
    assert decided.event.tolist() == [True, True, False]
    assert decided.magnitude.tolist() == [0.0, 0.0, 0.0]  # 0: "not estimated" in the message
    informative = decide(heads, DecisionRule(magnitude_given_event=True))
    assert informative.event.tolist() == [True, False, False] and informative.magnitude[0] == np.float32(5.6)


def test_a_magnitude_only_model_still_detects_with_its_head_when_uninformative() -> None:
    heads = {"magnitude": np.array([5.6, 0.4], np.float32)}
    decided = decide(heads, DecisionRule(magnitude_informative=False))
    assert decided.event.tolist() == [True, False] and decided.magnitude.tolist() == [0.0, 0.0]
