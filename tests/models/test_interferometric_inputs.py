"""What the interferometric QuakeLite reads and how it is trained: the fringe stem and the
augmentation by the observable's symmetries."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from quakesat.errors import ConfigError  # noqa: E402
from quakesat.models.augment import augment_interferograms, dihedral, move_offset  # noqa: E402
from quakesat.models.networks import (  # noqa: E402
    FRINGE_CHANNELS,
    NetSpec,
    QuakeLite,
    fringe_features,
    phase_gradients,
)
from quakesat.models.train import TrainConfig  # noqa: E402
from quakesat.runtime.interferogram import InterferogramConfig, interferogram_features  # noqa: E402


def _interferogram(phase: np.ndarray, coherence: float = 1.0) -> torch.Tensor:
    x = np.stack([np.cos(phase), np.sin(phase), np.full(phase.shape, coherence)]).astype(np.float32)
    return torch.from_numpy(x)[None]


def test_phase_gradients_read_the_fringe_and_not_the_offset() -> None:
    cols = np.arange(16)
    ramp = np.tile(0.5 * cols, (16, 1))  # 0.5 rad per cell to the right, flat down the rows
    plain, offset = phase_gradients(_interferogram(ramp)), phase_gradients(_interferogram(ramp + 2.0))
    assert torch.allclose(plain, offset, atol=1e-5)  # the pair's unknown phase offset cancels
    along_re, along_im, down_re, down_im = plain[0]
    assert torch.allclose(along_re[:, :-1], torch.full((16, 15), math.cos(0.5)), atol=1e-5)
    assert torch.allclose(along_im[:, :-1], torch.full((16, 15), math.sin(0.5)), atol=1e-5)
    assert torch.allclose(down_re[:-1], torch.ones(15, 16), atol=1e-5) and torch.all(down_im.abs() < 1e-5)
    assert torch.all(along_re[:, -1] == 0) and torch.all(down_re[-1] == 0)  # nothing beyond the tile
    damped = phase_gradients(_interferogram(ramp, coherence=0.5))
    assert torch.allclose(damped, 0.25 * plain, atol=1e-5)  # weighted by the two cells' coherence


def test_the_interferometric_quakelite_has_the_fringe_stem_and_the_amplitude_one_has_not() -> None:
    insar = QuakeLite(NetSpec(in_channels=3, event=True, magnitude=True, location=True))
    amplitude = QuakeLite(NetSpec(in_channels=4))
    assert insar.fringes and insar.features[0][0].in_channels == FRINGE_CHANNELS == 5
    assert not amplitude.fringes and amplitude.features[0][0].in_channels == 6
    pre = (np.random.default_rng(0).normal(size=(64, 64)) + 1j).astype(np.complex64)
    x = torch.from_numpy(interferogram_features(pre, pre * np.complex64(1j), InterferogramConfig(4)))[None]
    out = insar.eval()(x)
    assert out["event"].shape == (1,) and out["location"].shape == (1, 2)


def test_the_fringe_features_are_blind_to_the_phase_offset() -> None:
    ramp = np.tile(0.8 * np.arange(16), (16, 1))
    steady, shifted = fringe_features(_interferogram(ramp, 0.6)), fringe_features(_interferogram(ramp + 1.3, 0.6))
    assert steady.shape == (1, FRINGE_CHANNELS, 16, 16) and torch.allclose(steady, shifted, atol=1e-5)
    assert torch.all(steady[0, 0] == 0.6)  # the coherence, as it is


@pytest.mark.parametrize("k", range(8))
def test_each_flip_or_turn_moves_the_location_target_with_the_pixels(k: int) -> None:
    side = 8
    x = torch.zeros(3, side, side)
    x[2, 1, 6] = 1.0
    centre, half = (side - 1) / 2, side / 2
    moved = move_offset(torch.tensor([(1 - centre) / half, (6 - centre) / half]), k)
    row, col = (int(v) for v in (dihedral(x, k)[2] == 1).nonzero()[0])
    assert torch.allclose(moved, torch.tensor([(row - centre) / half, (col - centre) / half]))


def test_augmentation_turns_the_phase_keeps_coherence_and_the_other_targets() -> None:
    rng = np.random.default_rng(1)
    phase = rng.uniform(-np.pi, np.pi, (4, 16, 16))
    x = torch.cat([_interferogram(p, 0.7) for p in phase])
    targets = {"event": torch.tensor([1.0, 0.0, 1.0, 0.0]), "magnitude": torch.tensor([5.5, 0.0, 6.0, 0.0]),
               "location": torch.tensor([[0.2, -0.4], [0.0, 0.0], [0.5, 0.5], [0.0, 0.0]]),
               "has_location": torch.tensor([True, False, True, False])}
    out, moved = augment_interferograms(x, targets, torch.Generator().manual_seed(3))
    assert torch.allclose(out[:, 0] ** 2 + out[:, 1] ** 2, torch.ones(4, 16, 16), atol=1e-5)  # still unit phasors
    assert torch.all(out[:, 2] == 0.7)
    assert torch.equal(moved["event"], targets["event"]) and torch.equal(moved["magnitude"], targets["magnitude"])
    assert torch.allclose(moved["location"].norm(dim=1), targets["location"].norm(dim=1))
    # the fringes (phase steps) are the original ones, flipped or turned: the augmented tile
    # carries as much fringe as the original, whatever the phase turn
    for i in range(4):
        before = phase_gradients(x[i:i + 1])[0, [0, 2]].abs().sum()
        after = phase_gradients(out[i:i + 1])[0, [0, 2]].abs().sum()
        assert torch.isclose(before, after, rtol=1e-3)
    again, _ = augment_interferograms(x, targets, torch.Generator().manual_seed(3))
    assert torch.equal(out, again)  # drawn from the generator alone


def test_augmentation_is_for_interferometric_input_only() -> None:
    TrainConfig(task="multi", input="interferometric", augment=True)
    with pytest.raises(ConfigError, match="interferometric"):
        TrainConfig(task="multi", input="bitemporal", augment=True)
