"""Propagation delays of an interferogram: the turbulent screen's size and spectrum, the
stratified delay's proportionality to elevation, and the planes of orbit and ionosphere.

Expected values are worked out by hand from the published numbers (not read back from the
module's constants), so a mistyped constant fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quakesat.simulator.insar import atmosphere as atm

SIDE = 256
PIXEL_M = 100.0  # a 25.6 km patch: its scales lie inside Hanssen's (2001) 1.5–50 km regime


def _plane_residual(field: np.ndarray) -> float:
    """Largest residual of a least-squares plane through ``field``."""
    rows, cols = np.indices(field.shape, dtype=np.float64)
    design = np.column_stack([np.ones(field.size), rows.ravel(), cols.ravel()])
    coefficients, *_ = np.linalg.lstsq(design, field.ravel(), rcond=None)
    return float(np.abs(field.ravel() - design @ coefficients).max())


# ─── turbulence ─────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("rms_m", [0.002, 0.03])
def test_screen_has_the_requested_rms_and_zero_mean(rms_m):
    field = atm.turbulent_screen(np.random.default_rng(1), SIDE, PIXEL_M, rms_m)
    assert field.shape == (SIDE, SIDE) and field.dtype == np.float64
    assert np.sqrt(np.mean(field**2)) == pytest.approx(rms_m, rel=0.02)
    assert abs(field.mean()) < 1e-3 * rms_m


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_screen_spectrum_has_the_default_slope(seed):
    field = atm.turbulent_screen(np.random.default_rng(seed), SIDE, PIXEL_M, 0.01)
    # From 8 cycles per patch (3.2 km) to half the Nyquist wavenumber (400 m).
    fitted = atm.radial_power_slope(field, PIXEL_M, 8.0 / (SIDE * PIXEL_M), 0.25 / PIXEL_M)
    assert fitted == pytest.approx(-8.0 / 3.0, abs=0.3)


def test_screen_spectrum_follows_a_requested_slope():
    # One power steeper than the default must be seen as such (the slope is not hard-wired).
    field = atm.turbulent_screen(np.random.default_rng(0), SIDE, PIXEL_M, 0.01, slope=-11.0 / 3.0)
    fitted = atm.radial_power_slope(field, PIXEL_M, 8.0 / (SIDE * PIXEL_M), 0.25 / PIXEL_M)
    assert fitted == pytest.approx(-11.0 / 3.0, abs=0.3)


def test_screen_depends_on_the_seed_only():
    first = atm.turbulent_screen(np.random.default_rng(5), 64, 10.0, 0.005)
    again = atm.turbulent_screen(np.random.default_rng(5), 64, 10.0, 0.005)
    other = atm.turbulent_screen(np.random.default_rng(6), 64, 10.0, 0.005)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3


def test_expected_turbulence_rms_is_emardson_2003_over_the_patch():
    # sigma(L) = 2.5 sqrt(L) mm (L in km): D(L) = 6.25 L mm², and the patch variance is half
    # the mean of D over point pairs; the mean distance of two points of a unit square is
    # (2 + sqrt 2 + 5 ln(1 + sqrt 2)) / 15.
    mean_distance = (2.0 + math.sqrt(2.0) + 5.0 * math.log(1.0 + math.sqrt(2.0))) / 15.0
    zenith_mm = math.sqrt(6.25 * 5.12 * mean_distance / 2.0)
    expected = zenith_mm * 1e-3 / math.cos(math.radians(37.0))
    assert atm.expected_turbulence_rms(5120.0, 37.0) == pytest.approx(expected, rel=1e-4)
    assert expected == pytest.approx(3.62e-3, abs=0.01e-3)
    # The RMS grows as the square root of the patch side (D linear in distance).
    ratio = atm.expected_turbulence_rms(100e3, 37.0) / atm.expected_turbulence_rms(5120.0, 37.0)
    assert ratio == pytest.approx(math.sqrt(100e3 / 5120.0), rel=1e-6)


def test_drawn_turbulence_rms_keeps_emardson_mean_square():
    draws = np.array([atm.draw_turbulence_rms(np.random.default_rng(seed)) for seed in range(2000)])
    assert np.all(draws > 0)
    assert np.sqrt(np.mean(draws**2)) == pytest.approx(atm.expected_turbulence_rms(), rel=0.08)
    # Millimetres over a 5 km patch: a few mm typically, rarely past 2 cm.
    assert 1e-3 < np.median(draws) < 6e-3 and np.quantile(draws, 0.99) < 0.02


# ─── stratification ─────────────────────────────────────────────────────────────────────
def test_stratified_delay_is_proportional_to_elevation():
    elevation = np.array([[0.0, 1000.0], [2500.0, -100.0]])
    delay = atm.stratified_delay(elevation, 5e-6)
    np.testing.assert_allclose(delay, [[0.0, 5e-3], [12.5e-3, -5e-4]], rtol=0, atol=1e-15)
    assert delay.dtype == np.float64


def test_stratified_coefficient_is_emardson_k_in_the_los():
    draws = np.array([atm.draw_stratified_coefficient(np.random.default_rng(seed)) for seed in range(4000)])
    # k = 4.8 mm per km of height (zenith) = 4.8e-6 m/m, over cos(37°) in the LOS.
    assert draws.std() == pytest.approx(4.8e-6 / math.cos(math.radians(37.0)), rel=0.05)
    assert abs(draws.mean()) < 0.1 * draws.std()


# ─── orbit and ionosphere ───────────────────────────────────────────────────────────────
def test_orbital_ramp_is_a_plane():
    ramp = atm.orbital_ramp(np.random.default_rng(3), 128, 10.0)
    assert ramp.shape == (128, 128) and np.all(np.isfinite(ramp))
    assert np.abs(ramp).max() > 0
    assert _plane_residual(ramp) < 1e-9 * np.abs(ramp).max() + 1e-18


def test_orbital_ramp_from_a_perpendicular_baseline_error_by_hand():
    # 5 cm of perpendicular baseline error at 37° incidence from 693 km:
    # gradient 0.05 cos²(37°) / 693 km, across 255 pixels of 10 m, along the columns (east).
    ramp = atm.orbital_ramp(np.random.default_rng(0), 256, 10.0, perpendicular_error_m=0.05,
                            parallel_error_m=0.0, incidence_deg=37.0)
    gradient = 0.05 * math.cos(math.radians(37.0)) ** 2 / 693e3
    assert ramp[0, -1] - ramp[0, 0] == pytest.approx(gradient * 2550.0, rel=1e-9)
    np.testing.assert_allclose(ramp[0], ramp[-1], atol=1e-18)  # nothing north–south
    assert abs(ramp[127:129, 127:129].mean()) < 1e-15  # zero at the centre


def test_drawn_orbital_ramps_are_millimetres_per_100_km():
    # Sentinel-1 orbits of 5 cm leave a few mm per 100 km: a 5 km patch sees well under 1 mm.
    spans = [np.ptp(atm.orbital_ramp(np.random.default_rng(seed), 64, 80.0)) for seed in range(200)]
    assert np.median(spans) < 1e-3 and max(spans) < 3e-3


def test_ionospheric_ramp_is_a_plane_of_the_c_band_dispersion():
    ramp = atm.ionospheric_ramp(np.random.default_rng(0), 128, 10.0, tec_gradient_tecu_per_100km=0.5,
                                direction_deg=0.0, incidence_deg=37.0)
    assert _plane_residual(ramp) < 1e-9 * np.abs(ramp).max()
    # 40.28 · 1e16 / 5.405 GHz² = 1.3788 cm per TECU (zenith), a phase advance (negative delay);
    # ΔTEC grows northward, so the delay falls towards row 0 (north).
    per_tecu_los = 40.28e16 / 5.405e9**2 / math.cos(math.radians(37.0))
    expected = -0.5 / 100e3 * per_tecu_los * 127 * 10.0
    assert ramp[0, 5] - ramp[127, 5] == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(ramp[:, 0], ramp[:, -1], atol=1e-18)  # nothing east–west


def test_drawn_ionospheric_ramp_is_small_at_c_band():
    spans = [np.ptp(atm.ionospheric_ramp(np.random.default_rng(seed), 64, 80.0)) for seed in range(200)]
    assert all(np.isfinite(spans)) and np.median(spans) < 1e-3


def test_radial_power_slope_needs_rings():
    with pytest.raises(ValueError):
        atm.radial_power_slope(np.zeros((16, 16)), 10.0, 0.049, 0.0491)
