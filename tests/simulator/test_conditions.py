"""What changes a scene between passes without an earthquake, and how each change looks.

Each confound is checked where it acts (the noise-free dB image, before speckle), in its
direction and extent, and the file-level test checks that the negative pairs of a simulated
file really carry them.
"""

from __future__ import annotations

from dataclasses import replace

import h5py
import numpy as np
import pytest

from quakesat.simulator import conditions as cond
from quakesat.simulator.imaging import render, render_db
from quakesat.simulator.sar_scene import Geometry, LandCover, Region, make_scene, terrain_db
from quakesat.simulator.simulate import SimulationConfig, simulate_file

SIDE = 64
REGION = Region(relief_m=200.0, urban_share=0.2, water_probability=1.0, vulnerability=0.6,
                lithology="mixed sedimentary", precipitation_mm=800.0, latitude=50.0, construction_rate=2.0)


@pytest.fixture(scope="module")
def scene():
    return make_scene(np.random.default_rng(3), SIDE, REGION)


def _first(scene, day: int = 180, seed: int = 0) -> cond.Conditions:
    return cond.sample_conditions(np.random.default_rng(seed), scene, day)


def test_snow_is_a_cold_season_thing_of_high_latitudes():
    assert cond.snow_probability(50.0, 20) > cond.snow_probability(35.0, 20) > cond.snow_probability(10.0, 20)
    assert cond.snow_probability(50.0, 200) == cond.snow_probability(-50.0, 20) == 0.01  # summer
    assert cond.snow_probability(-50.0, 200) == cond.snow_probability(50.0, 20)  # southern winter


def test_wet_snow_darkens_the_ground_above_the_snow_line(scene):
    dry = replace(_first(scene), snow_line_m=float("inf"))
    snow_line = float(np.median(scene.elevation))
    wet = replace(dry, snow_line_m=snow_line, wet_snow_db=4.0)
    change = render_db(scene, wet) - render_db(scene, dry)
    above = (scene.elevation >= snow_line) & (scene.land_cover != LandCover.WATER)
    bare_above = above & (scene.land_cover != LandCover.URBAN)
    assert change[bare_above] == pytest.approx(-4.0)
    assert np.all(change[~above] == 0.0)


def test_a_flood_turns_low_open_land_into_water_and_brightens_flooded_trees_and_walls():
    scene = make_scene(np.random.default_rng(9), SIDE, replace(REGION, relief_m=15.0))
    calm = replace(_first(scene), water_rise_m=0.0, flooded=False)
    flood = replace(calm, water_rise_m=3.0, flooded=True, flood_double_bounce_db=5.0)
    before, after = render_db(scene, calm), render_db(scene, flood)
    newly = (scene.elevation <= scene.water_level + 3.0) & (scene.elevation > scene.water_level) & (scene.slope < 10)
    assert newly.any()
    open_land = newly & np.isin(scene.land_cover, (LandCover.CROPLAND, LandCover.GRASSLAND, LandCover.BARE))
    assert (after[open_land, 0] < before[open_land, 0]).all()  # calm water is darker than land
    walls = newly & np.isin(scene.land_cover, (LandCover.FOREST, LandCover.URBAN))
    if walls.any():
        assert after[walls] - before[walls] == pytest.approx(5.0)


def test_construction_accumulates_and_is_reported(scene):
    rng = np.random.default_rng(1)
    first = cond.sample_conditions(rng, scene, 100)
    assert not first.structures_db.any() and first.events == ()
    later = first
    for _ in range(20):
        later = cond.sample_conditions(rng, scene, 112, later, days_since_previous=60.0)
    built = later.structures_db != 0
    assert built.any()
    follow = cond.sample_conditions(rng, scene, 124, later, days_since_previous=12.0)
    assert np.all(follow.structures_db[built] != 0)  # what was built stays
    assert (follow.structures_db.max(), follow.structures_db.min()) != (0.0, 0.0)


def test_tracks_change_at_the_stated_rate_and_flip_terrain_brightness(scene):
    rng = np.random.default_rng(2)
    current = cond.sample_conditions(rng, scene, 100)
    changes = 0
    for _ in range(2000):
        nxt = cond.sample_conditions(rng, scene, 112, current)
        changes += nxt.geometry != current.geometry
        assert ("track" in nxt.events) == (nxt.geometry != current.geometry)
        current = nxt
    assert changes / 2000 == pytest.approx(cond.TRACK_CHANGE_PROBABILITY, abs=0.03)
    east, west = Geometry(True, 37.0), Geometry(False, 37.0)
    facing = scene.gradient[1] > 0.05  # rises to the east: faces a radar looking east
    assert (terrain_db(scene, east)[facing] > 0).all() and (terrain_db(scene, west)[facing] < 0).all()


def test_higher_incidence_darkens_bare_ground_more_than_forest(scene):
    base = _first(scene)
    low = replace(base, geometry=Geometry(True, 30.0))
    high = replace(base, geometry=Geometry(True, 45.0))
    drop = render_db(scene, high) - render_db(scene, low)
    flat = scene.slope < 2
    bare, forest = flat & (scene.land_cover == LandCover.GRASSLAND), flat & (scene.land_cover == LandCover.FOREST)
    if bare.any() and forest.any():
        assert drop[bare].mean() < drop[forest].mean() < 0


def test_calibration_offsets_have_the_stated_spread(scene):
    offsets = [cond.sample_conditions(np.random.default_rng(s), scene, 1).calibration_db for s in range(3000)]
    assert np.std(offsets) == pytest.approx(cond.CALIBRATION_SD_DB, rel=0.08)


def test_render_is_positive_float32_and_speckled(scene):
    image = render(np.random.default_rng(0), scene, _first(scene))
    again = render(np.random.default_rng(1), scene, _first(scene))
    assert image.dtype == np.float32 and image.shape == (SIDE, SIDE, 2) and (image > 0).all()
    assert not np.array_equal(image, again)  # fresh speckle per acquisition


def test_negative_pairs_of_a_file_carry_confounds(tmp_path_factory):
    """Across a file's (before, pre) pairs: several kinds of non-seismic change occur, most
    pairs carry at least one, and their pixels really differ beyond speckle somewhere."""
    path = tmp_path_factory.mktemp("confounds") / "c.h5"
    simulate_file(path, SimulationConfig(events=8, seed=9, size=SIDE, before_share=1.0, nodata_share=0.0),
                  progress=False, workers=1)
    kinds, with_change, pairs = set(), 0, 0
    with h5py.File(path, "r") as h5:
        for event in h5.values():
            for name, patch in event.items():
                if not name.startswith("patch_"):
                    continue
                named = [k for k in patch.attrs["changes_before_pre"].split(",") if k]
                kinds.update(named)
                with_change += bool(named)
                pairs += 1
    assert pairs > 50
    assert with_change / pairs > 0.8
    assert {"soil_moisture", "crops", "construction"} <= kinds
    assert kinds <= {"soil_moisture", "crops", "construction", "flood", "wet_snow", "track"}


def test_crop_change_is_the_same_in_the_negative_and_the_event_pair(scene):
    """A patch's before -> pre pair (the negative) and pre -> post pair (the event) are the first
    and second transitions of one chain: their crop change must be alike, or the label leaks.
    The earlier clipped random walk changed the first transition about 4 % more than the second
    (its spread grew from one acquisition to the next); the AR(1) state is stationary."""
    rng = np.random.default_rng(5)
    parcels = 200_000
    big = replace(scene, parcels=np.arange(parcels).reshape(400, 500) % parcels)
    states = [cond._crops(rng, big, None, 12.0)[0]]
    for _ in range(3):
        previous = replace(_first(scene), crop_state=states[-1])
        states.append(cond._crops(rng, big, previous, 12.0)[0])
    spread = [float(np.std(s)) for s in states]
    np.testing.assert_allclose(spread, cond.CROP_STATE_DB, rtol=0.01)  # stationary marginal
    changes = [np.abs(np.clip(b, -4, 4) - np.clip(a, -4, 4)) for a, b in zip(states[:-1], states[1:])]
    moved = [c[c > 0] for c in changes]
    np.testing.assert_allclose([m.mean() for m in moved], moved[0].mean(), rtol=0.02)
    # the step of a parcel that moves keeps its documented spread
    steps = np.concatenate([(b - a)[(b - a) != 0] for a, b in zip(states[:-1], states[1:])])
    assert abs(float(np.std(steps)) - cond.CROP_JUMP_DB) < 0.05
