"""Ground motion that is not an earthquake: a subsidence bowl's peak and pull, a landslide's
confinement and direction, the seasonal cycle's bound, and the mixture a patch gets.

Expected values are worked out by hand (rate × gap, the slip surface's angle), so a wrong
year length or a swapped component fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quakesat.simulator.insar import nonseismic as ns

SIDE = 128
PIXEL_M = 20.0


def _check_field(field: np.ndarray, size: int = SIDE) -> None:
    assert field.shape == (size, size, 3) and field.dtype == np.float64
    assert np.all(np.isfinite(field))


# ─── subsidence ─────────────────────────────────────────────────────────────────────────
def test_subsidence_peaks_at_the_centre_at_rate_times_gap():
    centre = (60.0, 70.0)
    field = ns.subsidence_bowl(np.random.default_rng(0), SIDE, PIXEL_M, 12.0, rate_m_per_yr=0.30,
                               radius_m=600.0, centre_px=centre)
    _check_field(field)
    up = field[..., 2]
    # 30 cm/yr over 12 days: 0.30 × 12 / 365.25 = 9.856 mm down, at the centre pixel.
    assert up[60, 70] == pytest.approx(-0.30 * 12.0 / 365.25, rel=1e-12)
    assert up[60, 70] == pytest.approx(-9.856e-3, abs=1e-6)
    assert np.unravel_index(np.argmin(up), up.shape) == (60, 70)
    assert np.all(up <= 0)
    # Gaussian: at one radius (600 m = 30 pixels east) the bowl is at exp(-1/2) of its peak.
    assert up[60, 100] == pytest.approx(up[60, 70] * math.exp(-0.5), rel=1e-12)


def test_subsidence_pulls_the_ground_towards_the_centre():
    field = ns.subsidence_bowl(np.random.default_rng(0), SIDE, PIXEL_M, 12.0, rate_m_per_yr=0.30,
                               radius_m=600.0, centre_px=(60.0, 70.0))
    east, north = field[..., 0], field[..., 1]
    peak = 0.30 * 12.0 / 365.25
    assert east[60, 70] == 0.0 and north[60, 70] == 0.0
    # 30 pixels east of the centre (r = σ): moving west at 0.13 of the peak subsidence.
    assert east[60, 100] == pytest.approx(-0.13 * peak, rel=1e-12)
    assert north[60, 100] == pytest.approx(0.0, abs=1e-18)
    # 30 pixels north (row 30): moving south; horizontal never passes 0.13 of the peak.
    assert north[30, 70] == pytest.approx(-0.13 * peak, rel=1e-12)
    assert np.hypot(east, north).max() <= 0.13 * peak * (1 + 1e-12)


def test_drawn_subsidence_stays_in_the_cited_rates():
    for seed in range(50):
        field = ns.subsidence_bowl(np.random.default_rng(seed), 32, 80.0, 365.25)
        _check_field(field, 32)
        # Over one year the deepest point cannot pass the fastest rate (40 cm/yr).
        assert -field[..., 2].min() <= 0.40 + 1e-12


# ─── landslides ─────────────────────────────────────────────────────────────────────────
def test_landslide_moves_downslope_at_its_speed():
    field = ns.slow_landslide(np.random.default_rng(0), SIDE, PIXEL_M, 12.0, velocity_m_per_yr=0.5,
                              length_m=1000.0, width_m=500.0, azimuth_deg=90.0, slope_deg=20.0,
                              centre_px=(64.0, 64.0))
    _check_field(field)
    travel = 0.5 * 12.0 / 365.25  # 16.43 mm along the slip surface
    body = field[64, 64]
    assert body[0] == pytest.approx(travel * math.cos(math.radians(20.0)), rel=1e-12)  # east
    assert body[1] == pytest.approx(0.0, abs=1e-15)  # north
    assert body[2] == pytest.approx(-travel * math.sin(math.radians(20.0)), rel=1e-12)  # down
    # Mostly horizontal, some vertical: up / horizontal = -tan(20°) everywhere it moves.
    moving = field[..., 0] > 0
    np.testing.assert_allclose(field[..., 2][moving] / field[..., 0][moving], -math.tan(math.radians(20.0)))


def test_landslide_is_confined_to_its_lobe():
    field = ns.slow_landslide(np.random.default_rng(0), SIDE, PIXEL_M, 24.0, velocity_m_per_yr=1.0,
                              length_m=1000.0, width_m=400.0, azimuth_deg=30.0, slope_deg=15.0,
                              centre_px=(64.0, 64.0))
    rows, cols = np.indices((SIDE, SIDE))
    east = (cols - 64.0) * PIXEL_M
    north = -(rows - 64.0) * PIXEL_M
    azimuth = math.radians(30.0)
    along = east * math.sin(azimuth) + north * math.cos(azimuth)
    across = east * math.cos(azimuth) - north * math.sin(azimuth)
    outside = np.hypot(along / 500.0, across / 200.0) >= 1.0
    assert np.all(field[outside] == 0.0)
    assert np.abs(field[~outside]).max() > 0
    # The body moves along azimuth 30°: east / north = tan(30°).
    assert field[64, 64, 0] / field[64, 64, 1] == pytest.approx(math.tan(azimuth), rel=1e-9)


def test_drawn_landslides_stay_in_the_very_slow_class():
    for seed in range(50):
        field = ns.slow_landslide(np.random.default_rng(seed), 64, PIXEL_M, 365.25)
        _check_field(field, 64)
        # Over one year no pixel moves farther than 1.6 m (Cruden & Varnes 1996 "very slow").
        assert np.linalg.norm(field, axis=-1).max() <= 1.6 + 1e-12


# ─── seasonal motion ────────────────────────────────────────────────────────────────────
def test_seasonal_motion_is_vertical_and_within_its_bound():
    field = ns.seasonal_motion(np.random.default_rng(0), SIDE, PIXEL_M, 90.0, 100.0, amplitude_m=0.008, peak_day=100.0)
    _check_field(field)
    assert np.all(field[..., :2] == 0.0)
    bound = 2.0 * 0.008 * abs(math.sin(math.pi * 90.0 / 365.25))
    assert np.abs(field[..., 2]).max() <= bound
    # The second acquisition (day 100) is at the highest ground; from day 10 the ground rose
    # everywhere, by A (1 - cos(2π 90 / 365.25)) times the pattern (1 - 0.25 on average).
    assert np.all(field[..., 2] >= 0) and field[..., 2].max() > 0.5 * 0.008 * (1 - math.cos(2 * math.pi * 90 / 365.25))


def test_seasonal_motion_cancels_over_a_year():
    field = ns.seasonal_motion(np.random.default_rng(1), 64, PIXEL_M, 365.25, 200.0)
    assert np.abs(field).max() < 1e-15


def test_drawn_seasonal_motion_stays_under_a_centimetre_cycle():
    for seed in range(50):
        field = ns.seasonal_motion(np.random.default_rng(seed), 32, PIXEL_M, 12.0, float(seed * 7))
        _check_field(field, 32)
        # Amplitude at most 1 cm: over 12 days at most 2 × 1 cm × sin(π 12 / 365.25) ≈ 2.1 mm.
        assert np.abs(field[..., 2]).max() <= 2 * 0.010 * math.sin(math.pi * 12.0 / 365.25)


# ─── mixture ────────────────────────────────────────────────────────────────────────────
def test_draw_nonseismic_sums_the_kinds_it_names():
    everything, names = ns.draw_nonseismic(np.random.default_rng(4), 64, PIXEL_M, 12.0, 150.0,
                                           probabilities={"subsidence": 1.0, "landslide": 1.0, "seasonal": 1.0})
    _check_field(everything, 64)
    assert names == ["subsidence", "landslide", "seasonal"]
    assert np.abs(everything).max() > 0
    nothing, none = ns.draw_nonseismic(np.random.default_rng(4), 64, PIXEL_M, 12.0, 150.0,
                                       probabilities={"subsidence": 0.0, "landslide": 0.0, "seasonal": 0.0})
    assert none == [] and np.all(nothing == 0.0)


def test_draw_nonseismic_frequencies_follow_the_stated_probabilities():
    counts = {"subsidence": 0, "landslide": 0, "seasonal": 0}
    trials = 400
    for seed in range(trials):
        field, names = ns.draw_nonseismic(np.random.default_rng(seed), 16, 80.0, 12.0, 100.0)
        _check_field(field, 16)
        for name in names:
            counts[name] += 1
    for name, chance in ns.NONSEISMIC_PROBABILITY.items():
        # Binomial: within four standard deviations.
        assert abs(counts[name] / trials - chance) < 4 * math.sqrt(chance * (1 - chance) / trials)


def test_draw_nonseismic_refuses_unknown_kinds():
    with pytest.raises(ValueError):
        ns.draw_nonseismic(np.random.default_rng(0), 16, 80.0, 12.0, 100.0, probabilities={"volcano": 1.0})
