"""On-board interferogram formation (runtime/interferogram.py): values by hand, the simulator's
estimator, no-data, and the errors a wrong pair gets."""

from __future__ import annotations

import numpy as np
import pytest

from quakesat.runtime.interferogram import (
    CHANNELS,
    InterferogramConfig,
    form_interferogram,
    interferogram_features,
    is_interferometric,
)


def _pair(rng: np.random.Generator, side: int = 16) -> tuple[np.ndarray, np.ndarray]:
    pre = (rng.normal(size=(side, side)) + 1j * rng.normal(size=(side, side))).astype(np.complex64)
    post = (pre * np.exp(1j * 0.7) + 0.3 * (rng.normal(size=(side, side)) + 1j * rng.normal(size=(side, side))))
    return pre, post.astype(np.complex64)


def test_a_pure_phase_shift_gives_that_phase_and_full_coherence() -> None:
    pre = np.full((4, 4), 2 + 1j, np.complex64)
    post = (pre * np.exp(1j * 1.2)).astype(np.complex64)
    ifg, coherence = form_interferogram(pre, post, looks=2)
    assert ifg.shape == (2, 2)
    np.testing.assert_allclose(np.angle(ifg), 1.2, atol=1e-6)
    np.testing.assert_allclose(np.abs(ifg), 4 * 5.0, rtol=1e-6)  # 4 pixels of |pre|^2 = 5
    np.testing.assert_allclose(coherence, 1.0, atol=1e-6)
    features = interferogram_features(pre, post, InterferogramConfig(looks=2))
    assert features.dtype == np.float32 and features.shape == (len(CHANNELS), 2, 2)
    np.testing.assert_allclose(features[0], np.cos(1.2), atol=1e-6)
    np.testing.assert_allclose(features[1], np.sin(1.2), atol=1e-6)
    np.testing.assert_allclose(features[2], 1.0, atol=1e-6)


def test_independent_images_have_low_coherence() -> None:
    rng = np.random.default_rng(0)
    pre = (rng.normal(size=(64, 64)) + 1j * rng.normal(size=(64, 64))).astype(np.complex64)
    post = (rng.normal(size=(64, 64)) + 1j * rng.normal(size=(64, 64))).astype(np.complex64)
    _, coherence = form_interferogram(pre, post, looks=8)
    # the estimator's bias for 64 independent looks at zero coherence is about sqrt(pi / 4 / 64) = 0.11
    assert 0.05 < coherence.mean() < 0.2


def test_it_is_the_simulators_estimator() -> None:
    pytest.importorskip("scipy")  # the simulator side; absent from the runtime-only install
    from quakesat.simulator.insar.coherence import multilook

    pre, post = _pair(np.random.default_rng(1))
    ifg, coherence = form_interferogram(pre, post, looks=4)
    sim_ifg, sim_coherence = multilook(pre, post, 4)
    np.testing.assert_allclose(ifg, sim_ifg, rtol=1e-5)
    np.testing.assert_allclose(coherence, sim_coherence, atol=1e-6)


def test_no_data_counts_as_zero_and_an_empty_block_reads_zero() -> None:
    pre, post = _pair(np.random.default_rng(2), side=8)
    pre[:4, :4] = np.nan
    post[0, 7] = complex(np.inf, 0)
    features = interferogram_features(pre, post, InterferogramConfig(looks=4))
    assert np.all(np.isfinite(features))
    np.testing.assert_array_equal(features[:, 0, 0], 0.0)  # the whole block is no-data
    clean = post.copy()
    clean[0, 7] = 0
    masked_pre = pre.copy()
    masked_pre[0, 7] = 0
    np.testing.assert_allclose(form_interferogram(pre, post, 4)[0][0, 1],
                               form_interferogram(np.nan_to_num(masked_pre), clean, 4)[0][0, 1], rtol=1e-6)


@pytest.mark.parametrize("pre, post, looks, message", [
    (np.zeros((8, 8), np.complex64), np.zeros((8, 4), np.complex64), 4, "one shape"),
    (np.zeros((8, 8), np.float32), np.zeros((8, 8), np.float32), 4, "complex"),
    (np.zeros((8, 8), np.complex64), np.zeros((8, 8), np.complex64), 3, "multiples"),
    (np.zeros((2, 8, 8), np.complex64), np.zeros((2, 8, 8), np.complex64), 4, "2-D"),
])
def test_a_wrong_pair_is_refused(pre: np.ndarray, post: np.ndarray, looks: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        form_interferogram(pre, post, looks)


def test_config_round_trips_and_refuses_other_kinds() -> None:
    config = InterferogramConfig(looks=4)
    stored = config.to_dict()
    assert is_interferometric(stored) and InterferogramConfig.from_dict(stored) == config
    assert not is_interferometric({"version": 2, "downsample": 2})
    with pytest.raises(ValueError, match="kind"):
        InterferogramConfig.from_dict({"version": 2})
    with pytest.raises(ValueError, match="channels"):
        InterferogramConfig.from_dict({**stored, "channels": ["phase"]})
    for looks in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="looks"):
            InterferogramConfig(looks=looks)  # type: ignore[arg-type]
    assert config.output_shape(256, 256) == (3, 64, 64)
