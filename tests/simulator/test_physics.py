"""The published relations behind the co-seismic model, and what they must imply.

Each relation is checked at values worked out by hand from the paper's equation (so a
mistyped coefficient fails), at its limits and masks, and for the direction of its effect.
The last section checks the physics the issue asks for end to end: more damage for a larger
magnitude at the same distance, and for a smaller distance at the same magnitude.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quakesat.simulator import ground_failure as gf
from quakesat.simulator.coseismic import CoseismicConfig, Damage, coseismic_change, ground_failure
from quakesat.simulator.events import draw_region
from quakesat.simulator.sar_scene import Region, make_scene
from quakesat.simulator.shaking import (
    PatchShaking,
    Rupture,
    ShakingResiduals,
    mmi_allen2012,
    mmi_sigma_allen2012,
    mw_from_mb,
    patch_shaking,
    pga_g_from_mmi,
    pgv_cm_s_from_mmi,
    rupture_length_km,
    rupture_width_km,
    vs30_from_slope,
)


# ─── magnitude and rupture size ─────────────────────────────────────────────────────────
def test_mb_to_mw_is_scordilis_2006():
    assert mw_from_mb(5.0) == pytest.approx(0.85 * 5.0 + 1.03)
    assert mw_from_mb(6.2) == pytest.approx(6.30)


def test_rupture_size_is_wells_and_coppersmith_1994():
    # Mw 7: length 10^(-2.44 + 4.13) = 49.0 km, width 10^(-1.01 + 2.24) = 17.0 km.
    assert rupture_length_km(7.0) == pytest.approx(48.98, abs=0.01)
    assert rupture_width_km(7.0) == pytest.approx(16.98, abs=0.01)
    assert rupture_length_km(5.0) < rupture_length_km(6.0) < rupture_length_km(7.0)


def test_rupture_distance_of_a_vertical_fault_is_its_geometry():
    rupture = Rupture.from_magnitude(6.0, depth_km=10.0, strike_deg=0.0, dip_deg=90.0)
    top = 10.0 - rupture.width_km / 2  # vertical, centred on the hypocentre, below the surface
    assert top > 0
    assert rupture.distance_km(np.array([0.0]), np.array([0.0]))[0] == pytest.approx(top)
    # Across strike (east), the nearest point is the top edge right below.
    assert rupture.distance_km(np.array([0.0]), np.array([3000.0]))[0] == pytest.approx(math.hypot(3.0, top))
    # Beyond the northern end: the corner of the top edge.
    beyond = rupture.length_km / 2 + 2.0
    assert rupture.distance_km(np.array([beyond * 1000.0]), np.array([0.0]))[0] == pytest.approx(math.hypot(2.0, top))


def test_a_shallow_wide_rupture_is_clipped_at_the_surface():
    rupture = Rupture.from_magnitude(6.9, depth_km=3.0, strike_deg=45.0, dip_deg=60.0)
    assert rupture.width_km < rupture_width_km(6.9)
    # Up dip the plane reaches the surface: some surface point lies on it (distance 0 nearby).
    north, east = np.meshgrid(np.linspace(-6000, 6000, 121), np.linspace(-6000, 6000, 121), indexing="ij")
    assert rupture.distance_km(north, east).min() < 0.1


# ─── intensity and ground motion ────────────────────────────────────────────────────────
def test_intensity_is_allen_wald_worden_2012():
    # Mw 6, Rrup 10 km: 3.950 + 0.913*6 - 1.107*ln(sqrt(100 + (1 + 0.813 e)^2)) = 6.825.
    assert mmi_allen2012(6.0, np.array(10.0)) == pytest.approx(6.825, abs=0.002)
    assert mmi_sigma_allen2012(0.0) == pytest.approx(0.95)
    assert mmi_sigma_allen2012(1e6) == pytest.approx(0.72)
    distances = np.array([1.0, 5.0, 20.0, 80.0])
    assert np.all(np.diff(mmi_allen2012(6.0, distances)) < 0)
    assert mmi_allen2012(5.0, np.array(10.0)) < mmi_allen2012(6.0, np.array(10.0))


def test_ground_motion_inverts_worden_2012():
    # Forward GMICE at the motions the inverse returns gives the intensity back.
    mmi = np.array([3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    pga_cm = pga_g_from_mmi(mmi) * 981.0
    pgv = pgv_cm_s_from_mmi(mmi)
    forward_pga = np.where(mmi < 4.22, 1.78 + 1.55 * np.log10(pga_cm), -1.60 + 3.70 * np.log10(pga_cm))
    forward_pgv = np.where(mmi < 4.56, 3.78 + 1.47 * np.log10(pgv), 2.89 + 3.16 * np.log10(pgv))
    assert forward_pga == pytest.approx(mmi)
    assert forward_pgv == pytest.approx(mmi)
    # The two branches nearly meet at the break (no jump in motion of more than ~1 %).
    below, above = pga_g_from_mmi(np.array([4.2199, 4.2201]))
    assert above / below == pytest.approx(1.0, abs=0.01)
    assert pga_g_from_mmi(np.array(8.0)) == pytest.approx(10 ** ((8.0 + 1.60) / 3.70) / 981.0)


def test_vs30_follows_the_allen_and_wald_2009_table():
    slopes = np.array([3.5e-3, 0.010, 0.018, 0.050, 0.100, 0.140])
    assert vs30_from_slope(slopes) == pytest.approx([240.0, 300.0, 360.0, 490.0, 620.0, 760.0])
    assert vs30_from_slope(np.array([1e-7]))[0] == 180.0  # flat ground: capped at the soft end
    assert vs30_from_slope(np.array([2.0]))[0] == 900.0  # cliffs: capped at the stiff end
    fine = vs30_from_slope(np.geomspace(1e-4, 1.0, 200))
    assert np.all(np.diff(fine) >= 0)


# ─── ground failure ─────────────────────────────────────────────────────────────────────
def test_landslide_probability_is_nowicki_jessee_2018():
    # PGV 20 cm/s, slope 30°, mixed sedimentary, herbaceous cover, CTI 5:
    # X = -6.30 + 1.65 ln20 + 0.06*30 - 1.36 + 1.03 + 0.03*5 + 0.01*ln20*30 = -0.8381.
    x = -6.30 + 1.65 * math.log(20) + 1.8 - 1.36 + 1.03 + 0.15 + 0.01 * math.log(20) * 30
    p = gf.landslide_probability(np.array(20.0), np.array(30.0), gf.NJ18_LITHOLOGY["mixed sedimentary"],
                                 np.array(gf.NJ18_LAND_COVER["closed to open herbaceous vegetation (140)"]),
                                 np.array(5.0))
    assert float(p) == pytest.approx(1.0 / (1.0 + math.exp(-x)))
    more_shaking = gf.landslide_probability(np.array(40.0), np.array(30.0), -1.36, np.array(1.03), np.array(5.0))
    steeper = gf.landslide_probability(np.array(20.0), np.array(40.0), -1.36, np.array(1.03), np.array(5.0))
    assert more_shaking > p and steeper > p


def test_landslide_coverage_masks_and_limits():
    p = np.array([0.0, 0.5, 1.0])
    strong, steep = np.full(3, 0.3), np.full(3, 20.0)
    share = gf.landslide_coverage(p, strong, steep)
    assert share[0] == pytest.approx(0.0, abs=1e-12)  # the fit's floor at P = 0 is removed
    assert share[2] == pytest.approx(math.exp(-7.592 + 5.237 - 3.042 + 4.035) - math.exp(-7.592))
    assert np.all(np.diff(share) > 0)
    assert gf.landslide_coverage(p, np.full(3, 0.0199), steep).max() == 0.0  # below 2 %g
    assert gf.landslide_coverage(p, strong, np.full(3, 2.0)).max() == 0.0  # 2° or flatter
    assert gf.landslide_coverage(p, np.full(3, 0.02), np.full(3, 2.01))[2] > 0.0  # at the limits


def test_liquefaction_is_zhu_2017_general_model():
    # PGV 30, Vs30 250, 1000 mm, 0.5 km from water, table 2 m.
    x = 8.801 + 0.334 * math.log(30) - 1.918 * math.log(250) + 5.408e-4 * 1000 - 0.2054 * 0.5 - 0.0333 * 2
    p = gf.liquefaction_probability(np.array(30.0), np.array(250.0), 1000.0, np.array(0.5), np.array(2.0))
    assert float(p) == pytest.approx(1.0 / (1.0 + math.exp(-x)))
    extent = gf.liquefaction_extent(p, np.array(30.0), np.array(0.3), np.array(250.0))
    expected = (49.15 / (1 + 42.40 * math.exp(-9.165 * float(p))) ** 2 - 49.15 / 43.40**2) / 100
    assert float(extent) == pytest.approx(expected)
    # Masks: PGV below 3 cm/s, Vs30 above 620 m/s, PGA below 0.1 g (the USGS floor).
    assert gf.liquefaction_extent(p, np.array(2.99), np.array(0.3), np.array(250.0)) == 0.0
    assert gf.liquefaction_extent(p, np.array(30.0), np.array(0.3), np.array(620.01)) == 0.0
    assert gf.liquefaction_extent(p, np.array(30.0), np.array(0.0999), np.array(250.0)) == 0.0
    assert gf.liquefaction_extent(p, np.array(3.0), np.array(0.1), np.array(620.0)) > 0.0
    farther = gf.liquefaction_probability(np.array(30.0), np.array(250.0), 1000.0, np.array(5.0), np.array(2.0))
    stiffer = gf.liquefaction_probability(np.array(30.0), np.array(400.0), 1000.0, np.array(0.5), np.array(2.0))
    assert farther < p and stiffer < p


def test_building_damage_is_the_macroseismic_method():
    # At I + 6.25 V = 13.1 the mean grade is 2.5; it rises with intensity and vulnerability.
    assert gf.mean_damage_grade(np.array(8.475), np.array(0.74)) == pytest.approx(2.5)
    assert gf.mean_damage_grade(np.array(8.0), np.array(0.74)) == pytest.approx(
        2.5 * (1 + math.tanh((8.0 + 6.25 * 0.74 - 13.1) / 2.3)))
    grades = gf.mean_damage_grade(np.array([6.0, 7.0, 8.0, 9.0, 10.0]), np.array(0.74))
    assert np.all(np.diff(grades) > 0)
    assert gf.mean_damage_grade(np.array(8.0), np.array(0.90)) > gf.mean_damage_grade(np.array(8.0), np.array(0.42))
    probabilities = gf.damage_grade_probabilities(np.array([0.0, 1.3, 2.5, 5.0]))
    assert probabilities.sum(axis=-1) == pytest.approx(1.0)
    assert (probabilities * np.arange(6)).sum(axis=-1) == pytest.approx([0.0, 1.3, 2.5, 5.0])


# ─── the physics end to end ─────────────────────────────────────────────────────────────
SIDE = 96
REGION = Region(relief_m=250.0, urban_share=0.2, water_probability=1.0, vulnerability=0.74,
                lithology="mixed sedimentary", precipitation_mm=1200.0, latitude=10.0, construction_rate=1.0)


def _shaking(mb: float, distance_km: float, side: int = SIDE) -> PatchShaking:
    """Median shaking (no residuals) of a patch ``distance_km`` east of the epicentre of an
    mb event 10 km deep on a north-striking vertical fault."""
    rupture = Rupture.from_magnitude(mw_from_mb(mb), 10.0, 0.0, 90.0)
    none = ShakingResiduals(0.0, np.zeros((1, 2)), np.array([math.pi / 2]))  # cos(pi/2) = 0
    offsets = (np.arange(side) - (side - 1) / 2) * 10.0
    north = -offsets[:, None] + np.zeros((1, side))
    east = distance_km * 1000.0 + offsets[None, :] + np.zeros((side, 1))
    coarse = np.linspace(0, side - 1, 4).astype(int)
    return patch_shaking(rupture, none, north, east, north[np.ix_(coarse, coarse)], east[np.ix_(coarse, coarse)])


def _expected_failure(mb: float, distance_km: float, scenes: list) -> float:
    """Mean expected damaged share (landslides + liquefaction + collapsed building area) over scenes."""
    total = 0.0
    for seed, scene in enumerate(scenes):
        failure = ground_failure(np.random.default_rng(seed), scene, _shaking(mb, distance_km))
        building_area = np.bincount(scene.buildings[scene.buildings >= 0], minlength=len(scene.vulnerability))
        collapsed = float((failure.collapse_probability * building_area).sum()) / scene.buildings.size
        total += failure.landslide_share.mean() + failure.liquefaction_share.mean() + collapsed
    return total / len(scenes)


@pytest.fixture(scope="module")
def scenes() -> list:
    return [make_scene(np.random.default_rng(seed), SIDE, REGION) for seed in range(4)]


def test_expected_damage_grows_with_magnitude_and_falls_with_distance(scenes):
    by_magnitude = [_expected_failure(mb, 5.0, scenes) for mb in (4.6, 5.4, 6.2, 6.8)]
    by_distance = [_expected_failure(6.2, d, scenes) for d in (0.0, 5.0, 15.0, 40.0)]
    assert all(b > a for a, b in zip(by_magnitude, by_magnitude[1:])), by_magnitude
    assert all(b < a for a, b in zip(by_distance, by_distance[1:])), by_distance
    # And a small event far away leaves almost nothing next to a large one at its rupture.
    assert _expected_failure(4.6, 40.0, scenes) < 0.01 * _expected_failure(6.8, 0.0, scenes)


def test_drawn_damage_follows_the_expected_shares(scenes):
    """Realised objects follow the expectation: many more damaged pixels for mb 6.8 at the
    rupture than for mb 4.6 at 15 km, on the same scenes and random streams."""
    strong = weak = 0
    for seed, scene in enumerate(scenes):
        _, mask_strong, stats = coseismic_change(np.random.default_rng(seed), scene, _shaking(6.8, 0.0))
        _, mask_weak, _ = coseismic_change(np.random.default_rng(seed), scene, _shaking(4.6, 15.0))
        strong += int(np.count_nonzero(mask_strong))
        weak += int(np.count_nonzero(mask_weak))
        assert set(np.unique(mask_strong)) <= {int(d) for d in Damage}
        assert stats["collapsed_buildings"] >= 0 and stats["landslides"] >= 0
    assert strong > 10 * max(weak, 1)


def _end_on_shaking(mb: float, fault_north: bool) -> PatchShaking:
    """Shaking of a patch just beyond one end of a north-striking fault, the fault north or south of it."""
    rupture = Rupture.from_magnitude(mw_from_mb(mb), 4.0, 0.0, 90.0)
    offsets = (np.arange(SIDE) - (SIDE - 1) / 2) * 10.0
    shift = (rupture.length_km / 2 + 0.5) * 1000.0 * (-1.0 if fault_north else 1.0)
    north = -offsets[:, None] + np.zeros((1, SIDE)) + shift
    east = offsets[None, :] + np.zeros((SIDE, 1))
    none = ShakingResiduals(0.0, np.zeros((1, 2)), np.array([math.pi / 2]))
    return patch_shaking(rupture, none, north, east, north[::32, ::32], east[::32, ::32])


def test_damage_follows_the_rupture_within_a_tile(scenes):
    """Same scene and random stream, the fault's end north or south of the patch: the damage
    lies nearer the side that faces the fault (row 0 is north)."""
    rows = np.arange(SIDE)[:, None] + np.zeros((1, SIDE))
    north_rows, south_rows = [], []
    for seed, scene in enumerate(scenes):
        north, south = _end_on_shaking(6.6, True), _end_on_shaking(6.6, False)
        assert north.mmi[0].mean() > north.mmi[-1].mean() and south.mmi[-1].mean() > south.mmi[0].mean()
        _, mask_north, _ = coseismic_change(np.random.default_rng(seed), scene, north)
        _, mask_south, _ = coseismic_change(np.random.default_rng(seed), scene, south)
        north_rows.append(rows[mask_north > 0])
        south_rows.append(rows[mask_south > 0])
    north_rows, south_rows = np.concatenate(north_rows), np.concatenate(south_rows)
    assert north_rows.size > 50 and south_rows.size > 50
    assert north_rows.mean() < south_rows.mean()


def test_control_switch_draws_nothing(scenes):
    change, mask, stats = coseismic_change(np.random.default_rng(0), scenes[0], _shaking(6.8, 0.0),
                                           CoseismicConfig(enabled=False))
    assert not change.any() and not mask.any()
    assert stats["expected_landslide_share"] > 0  # the expectation is still reported


def test_regions_vary_and_name_a_published_lithology():
    regions = [draw_region(np.random.default_rng(seed), 40.0) for seed in range(50)]
    assert {r.lithology for r in regions} <= set(gf.NJ18_LITHOLOGY)
    assert len({round(r.relief_m) for r in regions}) > 40
    assert all(0.45 <= r.vulnerability <= 0.85 for r in regions)
