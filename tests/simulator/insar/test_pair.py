"""The complex images of a patch (simulator/insar/pair.py) and their place in a simulated file:
the phase is the sum the module doc states, the event-free pair carries no co-seismic motion,
no data stays no data, the amplitude images are the same bytes with or without them, and the
file's interferometric tile is the wider one centred on the amplitude patch."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from quakesat.simulator.insar import pair
from quakesat.simulator.insar.coherence import multilook
from quakesat.simulator.insar.dislocation import FaultSource, slip_m, surface_displacement
from quakesat.simulator.insar.geometry import WAVELENGTH_M, los_displacement, wrap
from quakesat.simulator.sar_scene import LandCover
from quakesat.simulator.simulate import SimulationConfig, SimulationError, damage_share, simulate_file

SIZE, PIXEL_M = 128, 40.0
#: A small interferometric tile for the file tests: 32 px of 80 m (2.56 km).
SMALL_TILE = {"slc_side": 32, "slc_footprint_m": 2560.0}


def _grid() -> tuple[np.ndarray, np.ndarray]:
    offsets = (np.arange(SIZE) - (SIZE - 1) / 2) * PIXEL_M
    return -offsets[:, None] + 0 * offsets[None, :], offsets[None, :] + 0 * offsets[:, None]  # north, east


def _thrust(mw: float = 6.0, depth_km: float = 5.0) -> FaultSource:
    return FaultSource(0.0, 0.0, depth_km, 10.0, 6.0, 20.0, 30.0, 90.0, slip_m(mw, 10.0, 6.0))


def _images(seed: int = 0, cover: LandCover = LandCover.BARE, source: FaultSource | None = None,
            damage: np.ndarray | None = None, before: bool = True) -> pair.SlcImages:
    north, east = _grid()
    sigma0 = {name: np.full((SIZE, SIZE), 0.05) for name in (("before", "pre", "post") if before else ("pre", "post"))}
    return pair.simulate_slc_images(
        np.random.default_rng(seed), land_cover=np.full((SIZE, SIZE), cover, dtype=np.uint8),
        elevation_m=np.zeros((SIZE, SIZE)), damage=np.zeros((SIZE, SIZE), np.uint8) if damage is None else damage,
        sigma0=sigma0, north_m=north, east_m=east, pixel_m=PIXEL_M,
        gaps_days={"event": 12.0, "quiet": 12.0} if before else {"event": 12.0}, source=source, day_of_year=100,
        track=pair.TrackGeometry("ascending", -12.0, 35.0))


def _phase_error(later: np.ndarray, earlier: np.ndarray, truth: pair.PairTruth) -> float:
    """Circular mean |difference| between the 4 x 4-look interferogram phase and the truth's."""
    interferogram, _ = multilook(earlier, later, 4)
    expected = (4 * np.pi / WAVELENGTH_M * (truth.coseismic_los_m + truth.nonseismic_los_m - truth.delay_m)
                + truth.reference_phase_rad)
    expected_looked = np.angle(multilook(np.ones_like(earlier), np.exp(1j * expected).astype(np.complex64), 4)[0])
    return float(np.mean(np.abs(wrap(np.angle(interferogram) - expected_looked))))


def test_the_event_pairs_phase_is_motion_less_delay() -> None:
    images = _images(source=_thrust())
    truth = images.pairs["event"]
    assert truth.coseismic_fringes > 3  # a shallow Mw 6 thrust: fringes across 5 km
    assert _phase_error(images.images["post"], images.images["pre"], truth) < 0.15  # bare ground: coherent


def test_the_quiet_pair_has_no_coseismic_motion_and_its_own_phase() -> None:
    images = _images(source=_thrust())
    quiet = images.pairs["quiet"]
    assert not np.any(quiet.coseismic_los_m)
    assert _phase_error(images.images["pre"], images.images["before"], quiet) < 0.15
    # ... and the event's motion is not in it: its phase is far from the event pair's
    event_phase = np.angle(multilook(images.images["pre"], images.images["post"], 4)[0])
    quiet_phase = np.angle(multilook(images.images["before"], images.images["pre"], 4)[0])
    assert np.mean(np.abs(wrap(event_phase - quiet_phase))) > 0.5


def test_each_pair_has_its_own_arbitrary_phase_reference() -> None:
    """The level of a wrapped phase says nothing (the pair's reference is arbitrary): the
    constants are uniform over the circle, so event-free pairs do not sit near phase 0."""
    offsets = [_images(source=None, seed=seed).pairs["quiet"].reference_phase_rad for seed in range(40)]
    assert all(0.0 <= o < 2 * np.pi for o in offsets)
    assert abs(np.mean(np.exp(1j * np.array(offsets)))) < 0.35  # a uniform draw, not a constant
    images = _images(source=None, seed=3)
    quiet = images.pairs["quiet"]
    assert _phase_error(images.images["pre"], images.images["before"], quiet) < 0.15


def test_low_coherence_scrambles_the_phase_and_damage_lowers_it() -> None:
    forest = _images(cover=LandCover.FOREST, source=_thrust())
    assert _phase_error(forest.images["post"], forest.images["pre"], forest.pairs["event"]) > 0.5
    damage = np.zeros((SIZE, SIZE), np.uint8)
    damage[:, : SIZE // 2] = 1
    damaged = _images(source=_thrust(), damage=damage).pairs["event"].coherence
    assert damaged[:, : SIZE // 2].mean() < 0.5 * damaged[:, SIZE // 2:].mean()


def test_no_data_stays_no_data_and_images_are_complex64() -> None:
    north, east = _grid()
    sigma0 = {"pre": np.full((SIZE, SIZE), 0.05), "post": np.full((SIZE, SIZE), 0.05)}
    sigma0["post"][:10] = np.nan
    made = pair.simulate_slc_images(np.random.default_rng(1), land_cover=np.full((SIZE, SIZE), 5, np.uint8),
                                    elevation_m=np.zeros((SIZE, SIZE)), damage=np.zeros((SIZE, SIZE), np.uint8),
                                    sigma0=sigma0, north_m=north, east_m=east, pixel_m=PIXEL_M,
                                    gaps_days={"event": 6.0}, source=None, day_of_year=1)
    assert set(made.images) == {"pre", "post"} and set(made.pairs) == {"event"}
    assert all(image.dtype == np.complex64 for image in made.images.values())
    assert np.isnan(made.images["post"][:10]).all() and np.isfinite(made.images["post"][10:]).all()
    assert np.isfinite(made.images["pre"]).all()


def test_the_coarse_dislocation_grid_is_within_a_millimetre() -> None:
    north, east = _grid()
    source = _thrust(6.0, 5.0)
    los = pair.TrackGeometry("ascending", -12.0, 35.0).los
    full = los_displacement(surface_displacement(source, east, north), los)
    assert np.max(np.abs(pair._coseismic_los(source, north, east, los) - full)) < 1e-3


def test_a_file_with_complex_images_keeps_its_amplitude_bytes(tmp_path) -> None:
    plain, rich = tmp_path / "plain.h5", tmp_path / "rich.h5"
    simulate_file(plain, SimulationConfig(events=2, seed=4, size=64, before_share=1.0), progress=False, workers=1)
    simulate_file(rich, SimulationConfig(events=2, seed=4, size=64, before_share=1.0, slc=True, **SMALL_TILE),
                  progress=False, workers=2)
    with h5py.File(plain) as a, h5py.File(rich) as b:
        compared = 0
        for event in a:
            for name in a[event]:
                if not name.startswith("patch_"):
                    continue
                for dataset in a[event][name]:
                    assert np.array_equal(a[event][name][dataset][()], b[event][name][dataset][()], equal_nan=True)
                    compared += 1
                patch = b[event][name]
                assert patch["slc_pre"].dtype == np.complex64 and patch["slc_pre"].shape == (32, 32)
                assert patch["slc_post"].shape == patch["los_coseismic"].shape == (32, 32)
                assert patch["los_coseismic"].dtype == np.float32
                assert all(np.isfinite(patch[n][()]).all() for n in patch if n.startswith("slc_"))  # no no-data
                assert patch.attrs["slc_side"] == 32 and patch.attrs["slc_footprint_m"] == 2560.0
                assert patch.attrs["slc_pixel_spacing_m"] == 80.0
                assert 0.0 <= patch.attrs["slc_damaged_share"] <= 1.0
                assert ("slc_before" in patch) == (not patch.attrs["identical_before"])
                assert patch.attrs["slc_pass"] in ("ascending", "descending")
                assert patch.attrs["slc_gap_days"] in (6.0, 12.0, 24.0)
        assert compared > 0


@pytest.mark.parametrize("workers", [1, 2])
def test_the_complex_images_do_not_depend_on_the_worker_count(tmp_path, workers: int) -> None:
    path = tmp_path / f"w{workers}.h5"
    config = SimulationConfig(events=1, seed=9, size=32, slc=True, **SMALL_TILE)
    simulate_file(path, config, progress=False, workers=workers)
    with h5py.File(path) as h5:
        event = next(iter(h5))
        digest = hash(h5[event]["patch_0"]["slc_post"][()].tobytes())
    reference = tmp_path / "reference.h5"
    simulate_file(reference, config, progress=False, workers=1)
    with h5py.File(reference) as h5:
        assert hash(h5[event]["patch_0"]["slc_post"][()].tobytes()) == digest


def test_the_damage_share_is_the_block_mean_in_the_tiles_centre() -> None:
    damage = np.zeros((64, 64), np.uint8)
    damage[:32] = 3  # the northern half damaged (any non-zero code)
    damage[40:48, 8:16] = 1  # one more 80 m block
    share = damage_share(damage, 32, 80.0)  # 64 px of 10 m = 8 x 8 px of 80 m in the centre of 32 x 32
    assert share.shape == (32, 32)
    inner = share[12:20, 12:20]
    assert np.array_equal(inner[:4], np.ones((4, 8))) and inner[5, 1] == 1.0
    assert inner[4:].sum() == 1.0
    outside = share.copy()
    outside[12:20, 12:20] = 0
    assert not outside.any()
    # a spacing that does not divide the patch: area weighted, the damaged area is kept
    odd = damage_share(damage, 30, 30.0)
    assert odd.max() <= 1.0 and np.isclose(odd.sum() * 30.0**2, np.count_nonzero(damage) * 10.0**2)
    # a wide tile narrower than the patch keeps the share of what it covers
    assert np.allclose(damage_share(np.ones((64, 64), np.uint8), 4, 80.0), 1.0)


def test_the_damage_share_lowers_the_event_pairs_coherence_in_the_centre() -> None:
    share = damage_share(np.ones((64, 64), np.uint8), SIZE, PIXEL_M)  # 640 m patch: 16 px of 40 m
    centre = slice(SIZE // 2 - 8, SIZE // 2 + 8)
    assert share[centre, centre].min() == 1.0 and share.sum() == 256
    coherence = _images(damage=share).pairs["event"].coherence
    assert coherence[centre, centre].mean() < 0.5 * coherence[:32, :32].mean()


def test_a_damaged_patch_gives_its_tile_a_damaged_share(tmp_path) -> None:
    path = tmp_path / "damaged.h5"
    # shallow, large events near the epicentre: patches with damage
    simulate_file(path, SimulationConfig(events=2, seed=3, size=64, patches_per_event=2, magnitude_range=(5.8, 6.5),
                                         slc=True, **SMALL_TILE), progress=False, workers=1)
    shares = []
    with h5py.File(path) as h5:
        for event in h5:
            for name in h5[event]:
                if name.startswith("patch_"):
                    patch = h5[event][name]
                    expected = np.count_nonzero(patch["change_mask"][()]) * 10.0**2 / 2560.0**2
                    assert np.isclose(patch.attrs["slc_damaged_share"], expected)
                    shares.append(patch.attrs["slc_damaged_share"])
    assert max(shares) > 0


@pytest.mark.parametrize("changes", [{"slc_side": 4}, {"slc_side": 36}, {"slc_side": 64.0},
                                     {"slc_footprint_m": 0.0}, {"slc_footprint_m": float("inf")},
                                     {"slc_footprint_m": float("nan")},
                                     {"slc_side": 256, "slc_footprint_m": 2000.0}])
def test_the_interferometric_tile_is_validated(changes: dict) -> None:
    with pytest.raises(SimulationError):
        SimulationConfig(**changes)
    SimulationConfig(slc_side=256, slc_footprint_m=2560.0)  # 10 m pixels: allowed


def test_the_centroid_pixel_is_the_grid_position_of_the_source() -> None:
    """``slc_centroid_row``/``_col`` come from :func:`grid_pixel`: the inverse of the tile's
    pixel positions, so the grid holds the source's (north, east) at that pixel."""
    from quakesat.simulator.insar.study import patch_positions
    from quakesat.simulator.simulate import grid_pixel

    side, pixel_m, centre = 64, 80.0, (1234.0, -567.0)
    north, east = patch_positions(side, pixel_m, centre)
    for point in ((1234.0, -567.0), (300.0, 900.0), (north[5, 7], east[5, 7])):
        row, col = grid_pixel(point, centre, side, pixel_m)
        assert np.interp(row, np.arange(side), north[:, 0], period=None) == pytest.approx(point[0])
        assert np.interp(col, np.arange(side), east[0, :]) == pytest.approx(point[1])
    assert grid_pixel((north[5, 7], east[5, 7]), centre, side, pixel_m) == pytest.approx((5.0, 7.0))
