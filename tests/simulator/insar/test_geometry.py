"""The radar viewing geometry: the LOS vector's direction for each pass worked out by hand, the
sign of the LOS displacement and of the interferometric phase (checked against two simulated SLC
phases), wrapping and fringe counting."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quakesat.simulator.insar.geometry import (
    HALF_WAVELENGTH_M,
    HEADING_DEG,
    INCIDENCE_RANGE_DEG,
    LOOK,
    WAVELENGTH_M,
    fringes,
    interferometric_phase,
    los_displacement,
    los_unit_vector,
    wrap,
)

SPEED_OF_LIGHT_M_S = 299_792_458.0


def test_constants_are_sentinel1_c_band():
    # c / 5.405 GHz = 0.0554658 m; the constant keeps the handbook's 5.5465 cm (1.4e-5 shorter).
    assert WAVELENGTH_M == pytest.approx(SPEED_OF_LIGHT_M_S / 5.405e9, rel=2e-5)
    assert HALF_WAVELENGTH_M == pytest.approx(0.02773, abs=1e-5)
    assert INCIDENCE_RANGE_DEG == (29.1, 46.0) and LOOK == "right"


@pytest.mark.parametrize("heading", [-168.0, -12.0, 0.0, 45.0, 190.0])
@pytest.mark.parametrize("incidence", [0.0, 29.1, 35.0, 46.0])
@pytest.mark.parametrize("look", ["right", "left"])
def test_los_is_a_unit_vector_with_up_cos_incidence(heading, incidence, look):
    v = los_unit_vector(heading, incidence, look)
    assert np.linalg.norm(v) == pytest.approx(1.0)
    assert v[2] == pytest.approx(math.cos(math.radians(incidence)))
    flight = np.array([math.sin(math.radians(heading)), math.cos(math.radians(heading)), 0.0])
    assert v @ flight == pytest.approx(0.0, abs=1e-12)  # zero-Doppler: across track


def test_los_by_hand_for_cardinal_headings():
    s, c = math.sin(math.radians(30.0)), math.cos(math.radians(30.0))
    # Flying north, looking right (east): the satellite is west of the pixel.
    np.testing.assert_allclose(los_unit_vector(0.0, 30.0), [-s, 0.0, c], atol=1e-12)
    # Flying east, looking right (south): the satellite is north of the pixel.
    np.testing.assert_allclose(los_unit_vector(90.0, 30.0), [0.0, s, c], atol=1e-12)
    # Flying north, looking left (west): the satellite is east.
    np.testing.assert_allclose(los_unit_vector(0.0, 30.0, "left"), [s, 0.0, c], atol=1e-12)


def test_ascending_sees_from_the_west_and_descending_from_the_east():
    asc = los_unit_vector(HEADING_DEG["ascending"], 35.0)
    desc = los_unit_vector(HEADING_DEG["descending"], 35.0)
    # Ascending flies NNW looking ENE: ground-to-satellite is west-south-west and up.
    assert asc[0] < -0.5 and asc[1] < 0.0 and abs(asc[0]) > 4 * abs(asc[1])
    # Descending flies SSW looking WNW: ground-to-satellite is east-south-east and up.
    assert desc[0] > 0.5 and desc[1] < 0.0 and abs(desc[0]) > 4 * abs(desc[1])
    assert asc[2] > 0.0 and desc[2] > 0.0


def test_bad_geometry_is_refused():
    with pytest.raises(ValueError, match="look"):
        los_unit_vector(0.0, 30.0, "down")
    with pytest.raises(ValueError, match="incidence"):
        los_unit_vector(0.0, 90.0)


def test_uplift_is_toward_the_satellite_and_positive_phase():
    los = los_unit_vector(HEADING_DEG["ascending"], 35.0)
    d = los_displacement(np.array([0.0, 0.0, 0.01]), los)
    assert d == pytest.approx(0.01 * math.cos(math.radians(35.0)))
    assert interferometric_phase(d) == pytest.approx(4.0 * math.pi * d / WAVELENGTH_M)
    assert interferometric_phase(d) > 0.0
    # Eastward motion: away from an ascending satellite (west of the pixel), toward a descending one.
    east = np.array([0.01, 0.0, 0.0])
    assert los_displacement(east, los) < 0.0
    assert los_displacement(east, los_unit_vector(HEADING_DEG["descending"], 35.0)) > 0.0


def test_los_displacement_keeps_the_grid_shape():
    enu = np.zeros((4, 5, 3))
    enu[..., 2] = 1.0
    out = los_displacement(enu, los_unit_vector(0.0, 40.0))
    assert out.shape == (4, 5)
    np.testing.assert_allclose(out, math.cos(math.radians(40.0)))


def test_phase_is_that_of_post_times_conj_pre_of_two_slcs():
    """An SLC pixel at slant range R has phase -4πR/λ; a 7 mm range shortening between the
    passes gives the interferogram post × conj(pre) the phase +4π·0.007/λ."""
    r0 = 850_123.4567
    d = np.array([0.007, -0.004, 0.0, 0.013])
    pre = np.exp(-1j * 4.0 * np.pi * r0 / WAVELENGTH_M)
    post = np.exp(-1j * 4.0 * np.pi * (r0 - d) / WAVELENGTH_M)
    np.testing.assert_allclose(np.angle(post * np.conj(pre)), wrap(interferometric_phase(d)), atol=1e-6)


def test_wrap_lands_in_minus_pi_to_pi():
    assert wrap(np.pi) == pytest.approx(np.pi)
    assert wrap(-np.pi) == pytest.approx(np.pi)
    assert wrap(3.0 * np.pi) == pytest.approx(np.pi)
    assert wrap(0.5) == pytest.approx(0.5) and wrap(-0.5) == pytest.approx(-0.5)
    x = np.random.default_rng(0).uniform(-50.0, 50.0, 1000)
    w = wrap(x)
    assert np.all((w > -np.pi) & (w <= np.pi))
    np.testing.assert_allclose(np.cos(w), np.cos(x), atol=1e-9)
    np.testing.assert_allclose(np.sin(w), np.sin(x), atol=1e-9)


def test_one_fringe_is_half_a_wavelength():
    ramp = np.linspace(-WAVELENGTH_M / 2, WAVELENGTH_M / 2, 101)  # λ peak to peak: 2 fringes
    assert fringes(ramp) == pytest.approx(2.0)
    assert fringes(np.array([0.0, np.nan, HALF_WAVELENGTH_M])) == pytest.approx(1.0)
    # One fringe is one 2π cycle of interferometric phase.
    assert interferometric_phase(HALF_WAVELENGTH_M) == pytest.approx(2.0 * np.pi)
