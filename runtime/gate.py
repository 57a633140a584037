"""The change gate: skip the network on tiles where nothing changed.

Before the network runs, :class:`ChangeGate` looks at one cheap statistic of the
bitemporal pair:

- **pixel-identical images** (the real QuakeSet's 68 % of negative pairs, DESIGN §5) are
  caught first by an exact comparison, cost one pass over the bytes, and are skipped: no
  change is no event;
- otherwise the statistic is the **changed share** (:func:`quakesat.runtime.change.changed_share`:
  the share of 3 x 3-multilooked pixels whose log-ratio exceeds 3 dB); a tile below the
  gate's threshold is skipped.

The threshold is calibrated on tiles with known events (the validation split) by
:func:`calibrate_threshold` so that at most ``max_missed`` (default 0.5 %) of the events
would be skipped. A tile the gate cannot judge (no shared valid pixel) is never skipped:
the network and the input checks decide. numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quakesat.errors import ConfigError
from quakesat.runtime.change import changed_share

#: Largest share of events the calibrated gate may skip (issue #5).
DEFAULT_MAX_MISSED = 0.005


@dataclass(frozen=True)
class GateVerdict:
    """Whether the network may be skipped, and why."""

    skip: bool
    statistic: float  # changed share; 0.0 for identical images, NaN when not computed or computable
    identical: bool


@dataclass(frozen=True)
class ChangeGate:
    """Skip tiles whose changed share is below ``threshold`` (0 skips only identical pairs)."""

    threshold: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0 or math.isnan(self.threshold):
            raise ConfigError(f"gate threshold is a share of pixels in 0..1, got {self.threshold!r}")

    def judge(self, first: np.ndarray, second: np.ndarray) -> GateVerdict:
        """The verdict for one pair of checked ``H x W x 2`` images."""
        if first.shape == second.shape and np.array_equal(first, second, equal_nan=True):
            return GateVerdict(True, 0.0, True)
        if self.threshold <= 0.0:  # identical pairs only: no statistic could skip anything
            return GateVerdict(False, float("nan"), False)
        statistic = changed_share(first, second)
        if math.isnan(statistic):
            return GateVerdict(False, statistic, False)
        return GateVerdict(statistic < self.threshold, statistic, False)


def calibrate_threshold(event_statistics: Sequence[float], max_missed: float = DEFAULT_MAX_MISSED) -> float:
    """The largest threshold that skips at most ``max_missed`` of the given events.

    Args:
        event_statistics: the gate statistic of tiles known to hold an event (NaN ones are
            ignored: the gate never skips them).
        max_missed: the share of events the gate may skip.

    Returns:
        A threshold such that ``count(statistic < threshold) <= floor(max_missed * n)``;
        0.0 (skip identical pairs only) when there are no events to calibrate on.

    Raises:
        ConfigError: ``max_missed`` outside 0..1.
    """
    if not 0.0 <= max_missed <= 1.0:
        raise ConfigError(f"max_missed is a share in 0..1, got {max_missed!r}")
    values = np.sort(np.asarray([v for v in event_statistics if not math.isnan(v)], dtype=np.float64))
    if values.size == 0:
        return 0.0
    allowed = int(math.floor(max_missed * values.size))
    # Skipping "statistic < values[allowed]" misses at most `allowed` events (ties stay in).
    return float(values[allowed]) if allowed < values.size else 1.0
