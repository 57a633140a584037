"""The change gate: identical pairs skip for free, thresholds keep the promised events."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quakesat.errors import ConfigError
from quakesat.runtime.change import ChangeGate, calibrate_threshold


def speckled(seed: int, side: int = 48) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.06 * rng.gamma(4.4, 1 / 4.4, size=(side, side, 2))).astype(np.float32)


def test_identical_pairs_are_skipped_even_with_no_data() -> None:
    image = speckled(0)
    image[:4] = np.nan
    verdict = ChangeGate(0.0).judge(image, image.copy())
    assert verdict.skip and verdict.identical and verdict.statistic == 0.0


def test_a_changed_pair_passes_a_low_threshold_and_a_quiet_one_is_skipped_by_a_high_one() -> None:
    before, after = speckled(1), speckled(2)
    changed = after.copy()
    changed[:24] *= 10.0  # +10 dB over half the tile
    quiet = ChangeGate(1.0).judge(before, after)
    loud = ChangeGate(1.0).judge(before, changed)
    assert not quiet.identical and loud.statistic > quiet.statistic
    gate = ChangeGate(threshold=(quiet.statistic + loud.statistic) / 2)
    assert gate.judge(before, after).skip and not gate.judge(before, changed).skip


def test_an_identical_only_gate_computes_no_statistic_and_skips_nothing_else() -> None:
    verdict = ChangeGate(0.0).judge(speckled(1), speckled(1) * 1.0001)
    assert not verdict.skip and not verdict.identical and np.isnan(verdict.statistic)


def test_a_pair_with_no_shared_valid_pixel_is_never_skipped() -> None:
    first = np.full((48, 48, 2), np.nan, np.float32)
    verdict = ChangeGate(1.0).judge(first, speckled(3))
    assert not verdict.skip and math.isnan(verdict.statistic)


def test_calibration_misses_at_most_the_allowed_share() -> None:
    stats = [0.01 * i for i in range(1, 201)]  # 200 events
    threshold = calibrate_threshold(stats, 0.005)  # one miss allowed
    assert sum(s < threshold for s in stats) == 1
    assert calibrate_threshold(stats, 0.0) == pytest.approx(0.01)  # nothing may be missed
    assert calibrate_threshold([], 0.005) == 0.0
    assert calibrate_threshold([float("nan")], 0.005) == 0.0


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_bad_thresholds_are_refused(bad) -> None:
    with pytest.raises(ConfigError):
        ChangeGate(bad)
    if not math.isnan(bad):
        with pytest.raises(ConfigError):
            calibrate_threshold([0.1], bad)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=300), st.floats(0, 0.2))
def test_calibrated_threshold_keeps_its_promise(stats, max_missed) -> None:
    threshold = calibrate_threshold(stats, max_missed)
    assert sum(s < threshold for s in stats) <= math.floor(max_missed * len(stats))
