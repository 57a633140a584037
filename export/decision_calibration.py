"""The manifest's decision block, measured on the validation split of a trained network.

Three choices export makes once, on validation, and writes into the manifest (``decision``):

- **calibration** (:mod:`quakesat.evaluation.calibration`): one temperature ``T`` fitted on
  the validation tiles the network would see on board (the change gate skips pixel-identical
  pairs before the network runs), folded into the event head's weights by
  :func:`fold_temperature` (``w / T``, ``b / T``: exact, so every artifact's event output *is*
  the calibrated probability and both runtimes need nothing new);
- **operating point**: the event threshold at a target false-alarm rate (default 1 %) on the
  validation hard negatives (non-identical pairs) with calibrated scores
  (:func:`quakesat.evaluation.operating_point.threshold_for_false_alarm_rate`); with fewer
  than ``1 / rate`` of them the rate cannot be measured and the block says so;
- **magnitude skill**: the magnitude head's MAE on the validation events against the
  constant mean mb of the training events; unless the head beats it by
  :data:`MAGNITUDE_SKILL_RATIO` the manifest marks the magnitude uninformative and the
  runtimes send "not estimated" (0) instead of a number that means nothing.

Test labels are never read here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from quakesat.evaluation.calibration import apply_temperature, calibration_report, logit
from quakesat.evaluation.operating_point import magnitude_skill, resolvable, threshold_for_false_alarm_rate
from quakesat.runtime.decision import DecisionRule

#: The false-alarm rate on changed negatives the exported threshold aims at.
DEFAULT_FALSE_ALARM_RATE = 0.01
#: A magnitude head counts as informative when its validation MAE on events is at most this
#: share of the constant's (a 5 % margin, so a head that ties the constant by chance stays silent).
MAGNITUDE_SKILL_RATIO = 0.95


@dataclass(frozen=True)
class ValidationHeads:
    """The fp32 network's heads on the validation split, with the truth export may use."""

    heads: dict[str, np.ndarray]
    labels: np.ndarray
    magnitudes: np.ndarray
    identical: np.ndarray
    train_event_magnitudes: np.ndarray


@dataclass(frozen=True)
class DecisionChoice:
    """What :func:`choose_decision` returns: the rule and the temperature to fold in."""

    rule: DecisionRule
    temperature: float


def fold_temperature(net: Any, temperature: float) -> Any:
    """A copy of ``net`` whose event logit is divided by ``temperature`` (its event head's
    weight and bias scaled by ``1 / T``)."""
    import torch

    if hasattr(net, "with_temperature"):  # a declared module (models/declared.py): folded in its wrapper
        return net.with_temperature(temperature)
    net = copy.deepcopy(net)
    head = net.heads.event
    with torch.no_grad():
        head.weight.div_(temperature)
        head.bias.div_(temperature)
    return net


def _sigmoid(value: float) -> float:
    return float(1.0 / (1.0 + np.exp(-value)))


def _with_margin(lowest: float, scores: np.ndarray) -> float:
    """The threshold halfway, in logit, between the highest validation score that must stay
    below it and the lowest score at or above ``lowest``: the same validation counts as
    ``lowest`` itself, with the widest margin on both sides (``lowest`` sits a float's width
    above a negative's score, where the float noise between runtimes would flip that tile).
    Nothing above: one logit unit above the quiet side. Never above 1."""
    below, above = scores[scores < lowest], scores[scores >= lowest]
    if not below.size:
        return float(min(lowest, 1.0))
    quiet = logit([below.max()])[0]
    middle = (quiet + logit([above.min()])[0]) / 2.0 if above.size else quiet + 1.0
    return float(min(max(_sigmoid(middle), lowest), 1.0))


def _operating_point(scores: np.ndarray, labels: np.ndarray, hard: np.ndarray, rate: float) -> dict[str, Any]:
    negatives = scores[hard & (labels == 0)]
    events = scores[labels == 1]
    block: dict[str, Any] = {"target_false_alarm_rate": rate, "split": "validation", "scores": "calibrated",
                             "hard_negatives": int(negatives.size), "events": int(events.size)}
    if negatives.size == 0:
        block.update(threshold=0.5, note="no changed negative in validation: the threshold stays 0.5")
        return block
    lowest = threshold_for_false_alarm_rate(negatives, rate)
    threshold = _with_margin(lowest, scores[hard | (labels == 1)])
    block.update(
        threshold=threshold,
        false_alarm_rate=round(float(np.mean(negatives >= threshold)), 6),
        recall=round(float(np.mean(events >= threshold)), 6) if events.size else None,
        resolvable=resolvable(negatives.size, rate))
    if not block["resolvable"]:
        block["note"] = (f"{negatives.size} changed negatives cannot measure a {rate:.2%} rate (needs "
                         f"{int(np.ceil(1 / rate))}): the threshold is just above the highest one's score")
    return block


def choose_decision(validation: ValidationHeads, magnitude_given_event: bool,
                    rate: float = DEFAULT_FALSE_ALARM_RATE) -> DecisionChoice:
    """The decision rule (threshold, magnitude skill, reports) and the temperature."""
    heads, labels = validation.heads, validation.labels.astype(np.int64)
    hard = ~validation.identical.astype(bool)
    temperature, calibration, point = 1.0, None, None
    threshold = 0.5
    if "event" in heads:
        probabilities = np.asarray(heads["event"], dtype=np.float64)
        calibration = calibration_report(probabilities[hard], labels[hard])
        temperature = float(calibration["temperature"])
        calibration["tiles"] = "validation tiles the network sees on board (not pixel-identical)"
        point = _operating_point(apply_temperature(probabilities, temperature), labels, hard, rate)
        threshold = float(point["threshold"])
    informative, skill = True, None
    if "magnitude" in heads:
        events = labels == 1
        if events.any() and validation.train_event_magnitudes.size:
            skill = magnitude_skill(validation.train_event_magnitudes, labels, validation.magnitudes,
                                    np.asarray(heads["magnitude"], dtype=np.float64))
            ratio = skill["ratio"]
            informative = ratio is not None and ratio <= MAGNITUDE_SKILL_RATIO
        else:
            informative = False
        skill = {"split": "validation", "required_ratio": MAGNITUDE_SKILL_RATIO,
                 **({k: skill[k] for k in ("n_events", "mae_events", "constant_magnitude",
                                           "constant_mae_events", "ratio")} if skill else
                    {"note": "no validation events to measure magnitude skill on"})}
    rule = DecisionRule(event_threshold=threshold, magnitude_given_event=magnitude_given_event,
                        magnitude_informative=informative, operating_point=point, calibration=calibration,
                        magnitude_skill=skill)
    return DecisionChoice(rule, temperature)
