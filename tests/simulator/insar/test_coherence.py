"""Decorrelation and correlated SLC pairs: the tables, the statistics of the pair, the phase spread.

The temporal model is checked at values worked out by hand from its table (so a mistyped
constant fails), for its direction and its class ordering. The SLC pair is checked by its
sample statistics over a large uniform area, and the wrapped-phase spread of its multilooked
interferogram against the exact multilook phase pdf. Throughout, ``side`` is the block side of
:func:`multilook` and ``side**2`` the number of independent looks that :func:`phase_std` takes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quakesat.simulator.coseismic import Damage
from quakesat.simulator.insar.coherence import (
    TEMPORAL_DECORRELATION,
    coseismic_coherence,
    correlated_slc_pair,
    cramer_rao_phase_std,
    multilook,
    multilook_phase_pdf,
    phase_std,
    temporal_coherence,
)
from quakesat.simulator.sar_scene import LandCover

ALL_CLASSES = np.arange(len(LandCover), dtype=np.uint8)

# ─── temporal decorrelation ─────────────────────────────────────────────────────────────

# (γ0 − γ∞)·exp(−t/τ) + γ∞ written out with the table's numbers.
HAND = {
    6: {LandCover.WATER: 0.0, LandCover.URBAN: 0.25 * math.exp(-6 / 40) + 0.60,
        LandCover.FOREST: 0.40 * math.exp(-6 / 5) + 0.10, LandCover.CROPLAND: 0.55 * math.exp(-6 / 10) + 0.15,
        LandCover.GRASSLAND: 0.55 * math.exp(-6 / 12) + 0.20, LandCover.BARE: 0.20 * math.exp(-6 / 60) + 0.70},
    12: {LandCover.WATER: 0.0, LandCover.URBAN: 0.25 * math.exp(-12 / 40) + 0.60,
         LandCover.FOREST: 0.40 * math.exp(-12 / 5) + 0.10, LandCover.CROPLAND: 0.55 * math.exp(-12 / 10) + 0.15,
         LandCover.GRASSLAND: 0.55 * math.exp(-12 / 12) + 0.20, LandCover.BARE: 0.20 * math.exp(-12 / 60) + 0.70},
    24: {LandCover.WATER: 0.0, LandCover.URBAN: 0.25 * math.exp(-24 / 40) + 0.60,
         LandCover.FOREST: 0.40 * math.exp(-24 / 5) + 0.10, LandCover.CROPLAND: 0.55 * math.exp(-24 / 10) + 0.15,
         LandCover.GRASSLAND: 0.55 * math.exp(-24 / 12) + 0.20, LandCover.BARE: 0.20 * math.exp(-24 / 60) + 0.70},
}


@pytest.mark.parametrize("gap", [6, 12, 24])
def test_temporal_coherence_hand_values(gap):
    got = temporal_coherence(ALL_CLASSES, gap)
    assert got.dtype == np.float64
    for cls in LandCover:
        assert got[cls] == pytest.approx(HAND[gap][cls], abs=1e-12), cls.name


def test_temporal_coherence_decreases_with_gap():
    gaps = [0, 6, 12, 24, 48, 96, 365]
    curves = np.array([temporal_coherence(ALL_CLASSES, g) for g in gaps])  # gap x class
    assert np.all((curves >= 0) & (curves <= 1))
    for cls in LandCover:
        gamma0, gamma_inf, _ = TEMPORAL_DECORRELATION[cls]
        if gamma0 == gamma_inf:  # constant by design (water)
            assert np.all(curves[:, cls] == gamma0)
        else:
            assert np.all(np.diff(curves[:, cls]) < 0), cls.name
            assert curves[0, cls] == pytest.approx(gamma0)
            assert curves[-1, cls] == pytest.approx(gamma_inf, abs=0.01)


def test_temporal_coherence_classes():
    at12 = temporal_coherence(ALL_CLASSES, 12)
    assert at12[LandCover.WATER] == pytest.approx(0.0, abs=1e-12)
    assert at12[LandCover.URBAN] > at12[LandCover.CROPLAND]
    assert at12[LandCover.BARE] > at12[LandCover.GRASSLAND] > at12[LandCover.FOREST]
    # An image maps pixel by pixel.
    image = np.array([[LandCover.URBAN, LandCover.WATER], [LandCover.FOREST, LandCover.BARE]], dtype=np.uint8)
    got = temporal_coherence(image, 12)
    assert got.shape == (2, 2)
    assert got[0, 0] == at12[LandCover.URBAN] and got[1, 1] == at12[LandCover.BARE]


# ─── co-seismic decorrelation ───────────────────────────────────────────────────────────


def test_coseismic_coherence_drops_where_damaged():
    coherence = np.full((4, 4), 0.8)
    mask = np.zeros((4, 4), dtype=bool)
    mask[1:3, 1:3] = True
    got = coseismic_coherence(coherence, mask)
    assert np.all(got[mask] < 0.8)
    assert np.all(got[~mask] == 0.8)
    # The simulator's change_mask codes: any code is damage.
    codes = np.zeros((4, 4), dtype=np.uint8)
    codes[0, 0], codes[0, 1], codes[0, 2] = Damage.LANDSLIDE, Damage.BUILDING, Damage.LIQUEFACTION
    got = coseismic_coherence(coherence, codes, loss=0.5)
    assert np.allclose(got[0, :3], 0.4) and np.all(got[1:] == 0.8)
    # A damaged share scales the loss.
    got = coseismic_coherence(np.array([0.8, 0.8, 0.8]), np.array([0.0, 0.5, 1.0]), loss=0.5)
    assert got == pytest.approx([0.8, 0.6, 0.4])


# ─── correlated SLC pair ────────────────────────────────────────────────────────────────

SIDE = 256
SIGMA0_PRE, SIGMA0_POST = 0.05, 0.08
PHASE = 1.3


@pytest.mark.parametrize("gamma", [0.2, 0.5, 0.9])
def test_correlated_pair_statistics(gamma):
    rng = np.random.default_rng(27)
    shape = (SIDE, SIDE)
    pre, post = correlated_slc_pair(rng, np.full(shape, math.sqrt(SIGMA0_PRE)), np.full(shape, math.sqrt(SIGMA0_POST)),
                                    np.full(shape, gamma), np.full(shape, PHASE))
    assert pre.dtype == np.complex64 and post.dtype == np.complex64 and pre.shape == shape
    # One block over the whole area: the sample coherence and the circular mean phase.
    interferogram, coherence = multilook(pre, post, SIDE)
    print(f"gamma={gamma}: sample coherence {coherence[0, 0]:.4f}, mean phase {np.angle(interferogram[0, 0]):.4f}")
    assert abs(coherence[0, 0] - gamma) < 0.02
    phase_error = abs(np.angle(interferogram[0, 0] * np.exp(-1j * PHASE)))
    assert phase_error < (0.02 if gamma == 0.9 else 0.06)
    assert np.mean(np.abs(pre) ** 2) == pytest.approx(SIGMA0_PRE, rel=0.02)
    assert np.mean(np.abs(post) ** 2) == pytest.approx(SIGMA0_POST, rel=0.02)


def test_correlated_pair_follows_per_pixel_coherence():
    # Left half incoherent, right half fully coherent: the estimate follows each half.
    rng = np.random.default_rng(5)
    gamma = np.zeros((64, 64))
    gamma[:, 32:] = 1.0
    pre, post = correlated_slc_pair(rng, np.ones((64, 64)), np.ones((64, 64)), gamma, np.zeros((64, 64)))
    _, coherence = multilook(pre, post, 32)
    assert np.all(coherence[:, 0] < 0.15) and np.allclose(coherence[:, 1], 1.0, atol=1e-5)


# ─── wrapped-phase spread against coherence and looks ───────────────────────────────────

SPREAD_SIDE = 512
SPREAD_CASES = [(0.3, 4), (0.6, 4), (0.6, 8), (0.9, 2)]  # (γ, multilook block side)


def _empirical_phase_std(gamma: float, side: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    shape = (SPREAD_SIDE, SPREAD_SIDE)
    pre, post = correlated_slc_pair(rng, np.ones(shape), np.ones(shape), np.full(shape, gamma), np.full(shape, PHASE))
    interferogram, _ = multilook(pre, post, side)
    # Offsets from the known phase, wrapped into (−π, π].
    offsets = np.angle(interferogram.astype(np.complex128) * np.exp(-1j * PHASE))
    return float(np.sqrt(np.mean(offsets**2)))


def test_wrapped_phase_spread_against_coherence_and_looks():
    empirical = {}
    for i, (gamma, side) in enumerate(SPREAD_CASES):
        empirical[gamma, side] = _empirical_phase_std(gamma, side, seed=100 + i)
        expected = phase_std(gamma, side**2)
        print(f"gamma={gamma} side={side} L={side**2}: empirical {empirical[gamma, side]:.4f} rad, "
              f"pdf {expected:.4f} rad, Cramer-Rao {cramer_rao_phase_std(gamma, side**2):.4f} rad")
        assert empirical[gamma, side] == pytest.approx(expected, rel=0.10)
    # More looks and higher coherence narrow the spread, in the samples and in the model.
    assert empirical[0.6, 8] < empirical[0.6, 4] < empirical[0.3, 4]
    for gamma in (0.2, 0.5, 0.8, 0.95):
        stds = [phase_std(gamma, n) for n in (1, 4, 16, 64)]
        assert np.all(np.diff(stds) < 0)
    for n in (1, 16):
        stds = [phase_std(g, n) for g in (0.0, 0.2, 0.5, 0.8, 0.95, 1.0)]
        assert np.all(np.diff(stds) < 0)


def test_phase_std_limits():
    assert phase_std(0.0, 16) == pytest.approx(math.pi / math.sqrt(3))  # uniform phase
    assert phase_std(1e-9, 4) == pytest.approx(math.pi / math.sqrt(3), rel=1e-6)
    assert phase_std(1.0, 4) == 0.0
    # Towards many looks the exact spread approaches the Cramér–Rao bound.
    gaps = [phase_std(0.6, n) / cramer_rao_phase_std(0.6, n) - 1 for n in (16, 64, 256, 1024)]
    print("relative excess over Cramer-Rao at gamma=0.6, N=16/64/256/1024:", [f"{g:.5f}" for g in gaps])
    assert np.all(np.diff(np.abs(gaps)) < 0)
    assert abs(gaps[-1]) < 0.005
    assert cramer_rao_phase_std(0.5, 10) == pytest.approx(math.sqrt(0.75 / (2 * 10 * 0.25)))


def test_multilook_phase_pdf():
    phi = np.linspace(-math.pi, math.pi, 4001)
    for gamma, looks in [(0.3, 1), (0.7, 9), (0.95, 64)]:
        density = multilook_phase_pdf(phi, gamma, looks)
        assert np.all(density >= 0) and np.all(density[np.abs(phi) < 1] > 0)
        assert np.trapezoid(density, phi) == pytest.approx(1.0, abs=1e-4)
        assert np.allclose(density, density[::-1])  # even about the expected phase
    # One look: the closed form (Lee et al. 1994; Just & Bamler 1994).
    gamma = 0.7
    beta = gamma * np.cos(phi)
    closed = (1 - gamma**2) / (2 * math.pi * (1 - beta**2)) * (1 + beta * np.arccos(-beta) / np.sqrt(1 - beta**2))
    assert np.allclose(multilook_phase_pdf(phi, gamma, 1), closed, rtol=1e-10)


# ─── bad input ──────────────────────────────────────────────────────────────────────────


def test_bad_input():
    rng = np.random.default_rng(0)
    ones = np.ones((8, 8))
    with pytest.raises(ValueError):
        multilook(ones.astype(np.complex64), ones.astype(np.complex64), 3)
    with pytest.raises(ValueError):
        multilook(np.ones((8, 6), np.complex64), np.ones((8, 6), np.complex64), 4)
    with pytest.raises(ValueError):
        correlated_slc_pair(rng, ones, ones, np.full((8, 8), 1.2), np.zeros((8, 8)))
    with pytest.raises(ValueError):
        correlated_slc_pair(rng, ones, ones, np.full((8, 8), -0.1), np.zeros((8, 8)))
    with pytest.raises(ValueError):
        coseismic_coherence(np.full((2, 2), 1.5), np.zeros((2, 2), bool))
    with pytest.raises(ValueError):
        coseismic_coherence(np.full((2, 2), 0.5), np.full((2, 2), 2.0))
    with pytest.raises(ValueError):
        phase_std(1.1, 4)
    with pytest.raises(ValueError):
        phase_std(float("nan"), 4)
    with pytest.raises(ValueError):
        cramer_rao_phase_std(-0.2, 4)
    with pytest.raises(ValueError):
        temporal_coherence(ALL_CLASSES, -1.0)
    with pytest.raises(ValueError):
        temporal_coherence(np.array([len(LandCover)]), 6.0)
