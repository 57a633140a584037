"""From head outputs to the decision a message carries: event flag, magnitude, confidence.

One rule for every stage that decides (export's fidelity gate, the flight runtime), with its
constants from the manifest's ``decision`` block (:class:`DecisionRule`):

- a tile is an event when the event probability reaches ``event_threshold`` (models with an
  event head) **and** the magnitude reaches ``magnitude_min`` (models with a magnitude head:
  the paper's "predicted magnitude < 1 means no event");
- the reported magnitude is the head's value; for a head trained on events only
  (``magnitude_given_event``) it is reported where the tile is an event and 0 elsewhere;
  a head export found no better than a constant (``magnitude_informative`` false) neither
  reports a number (0: "not estimated") nor decides the flag;
- the confidence is the probability of the decision taken (``p`` for an event, ``1 - p``
  otherwise); a magnitude-only model has no probability and reports 1. Export folds a
  temperature fitted on validation into the event head, so ``p`` is a calibrated probability
  (:mod:`quakesat.export.decision_calibration`).

The ``operating_point``, ``calibration`` and ``magnitude_skill`` blocks record how export
chose the threshold and the magnitude's standing; no runtime decision reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class DecisionRule:
    """The manifest's ``decision`` block.

    Attributes:
        event_threshold: least event probability of an event, in [0, 1].
        magnitude_min: least magnitude (mb) of an event; the paper's rule is 1.
        magnitude_given_event: the magnitude head was trained on events only, so its value
            is reported where the tile is an event and 0 elsewhere.
        magnitude_informative: the magnitude head beat the constant on validation; when
            false the message carries 0 ("not estimated") and the head does not gate events.
        operating_point: how the threshold was chosen (target false-alarm rate, split,
            counts, the rate and recall it gave there), or None.
        calibration: the temperature fit and its calibration errors, or None.
        magnitude_skill: the validation MAE against the constant, or None.
    """

    event_threshold: float = 0.5
    magnitude_min: float = 1.0
    magnitude_given_event: bool = False
    magnitude_informative: bool = True
    operating_point: dict[str, Any] | None = None
    calibration: dict[str, Any] | None = None
    magnitude_skill: dict[str, Any] | None = None


#: The rule new exports write: the paper's "magnitude < 1 means no event" and a symmetric threshold.
DEFAULT_DECISION = DecisionRule()


@dataclass(frozen=True)
class Decisions:
    """Per-tile decisions of a batch."""

    event: np.ndarray  # bool (N,)
    magnitude: np.ndarray  # float32 (N,), 0 where the model has no magnitude head
    confidence: np.ndarray  # float32 (N,) in [0, 1]


def decide(heads: dict[str, np.ndarray], rule: DecisionRule) -> Decisions:
    """Apply the decision rule to a batch of head outputs (see module doc)."""
    n = len(next(iter(heads.values())))
    event = np.ones(n, dtype=bool)
    probability = None
    if "event" in heads:
        probability = np.asarray(heads["event"], dtype=np.float32)
        event &= probability >= rule.event_threshold
    magnitude = np.zeros(n, dtype=np.float32)
    if "magnitude" in heads:
        raw = np.asarray(heads["magnitude"], dtype=np.float32)
        if rule.magnitude_informative or "event" not in heads:  # a magnitude-only model detects with it
            event &= raw >= rule.magnitude_min
        if rule.magnitude_informative:
            magnitude = np.where(event, raw, 0.0).astype(np.float32) if rule.magnitude_given_event else raw
    confidence = np.ones(n, dtype=np.float32) if probability is None else np.where(event, probability, 1 - probability)
    return Decisions(event, magnitude, np.clip(confidence, 0.0, 1.0).astype(np.float32))
