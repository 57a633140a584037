"""``quakesat simulate``: schema, determinism, file-level invariants, magnitudes, splits, options.

The published relations themselves are tested in test_physics.py, the confounds in
test_conditions.py and the patch layout in test_layout.py; here the file as a whole: its
structure, contracts and invariants (same seed → same bytes; damage only where the mask
says and only in ``post``; ...). Files are tiny (64 px tiles, a few events) and written
once per module where they can be shared.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest

from quakesat.cli import main
from quakesat.data.quakeset import SPLITS, QuakeSetFile, Task
from quakesat.errors import QuakesatError
from quakesat.simulator.coseismic import CoseismicConfig, Damage
from quakesat.simulator.events import MAGNITUDE_RANGE, draw_magnitudes
from quakesat.simulator.sar_scene import LandCover
from quakesat.simulator.simulate import (
    SimulationConfig,
    SimulationError,
    assign_splits,
    simulate_file,
)

SIZE = 64
IMAGES = ("before", "pre", "post")
#: The module's shared file: a mix of patches with and without ``before`` and with and
#: without a no-data border, so that counts and NaN handling have both cases to check.
BASE = SimulationConfig(events=6, seed=11, size=SIZE, before_share=0.5, nodata_share=0.3)


# ─── helpers ────────────────────────────────────────────────────────────────────────────
def write(tmp_path_factory: pytest.TempPathFactory, config: SimulationConfig, name: str,
          workers: int = 1) -> Path:
    path = tmp_path_factory.mktemp("simulate") / name
    simulate_file(path, config, progress=False, workers=workers)
    return path


def patches(h5: h5py.File):
    """Yield (event group, patch name, patch group) for every patch of a simulated file."""
    for key in sorted(h5.keys()):
        event = h5[key]
        for name in sorted(event.keys()):
            if name.startswith("patch_"):
                yield event, name, event[name]


def to_db(image: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return 10.0 * np.log10(image.astype(np.float64))


def all_members(h5: h5py.File) -> dict[str, object]:
    """Every dataset (as an array) and attribute (as a value) of a file, keyed by HDF5 path."""
    found: dict[str, object] = {}

    def visit(name: str, obj: object) -> None:
        if isinstance(obj, h5py.Dataset):
            found[name] = obj[()]
        for attr, value in obj.attrs.items():  # type: ignore[attr-defined]
            found[f"{name}@{attr}"] = value

    for attr, value in h5.attrs.items():
        found[f"@{attr}"] = value
    h5.visititems(visit)
    return found


@pytest.fixture(scope="module")
def base_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory, BASE, "base.h5")


@pytest.fixture(scope="module")
def damage_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Large events (small tiles: every patch near the epicentre), every patch with an
    independent ``before``, no no-data."""
    config = SimulationConfig(events=5, seed=2, size=SIZE, before_share=1.0, nodata_share=0.0,
                              magnitude_range=(6.6, MAGNITUDE_RANGE[1]))
    return write(tmp_path_factory, config, "damage.h5")


# ─── 1. schema ──────────────────────────────────────────────────────────────────────────
def test_reader_opens_the_file_and_every_event_has_magnitude_and_split(base_file):
    with QuakeSetFile(base_file) as qs:
        assert len(qs.events) == BASE.events
        assert qs.ignored_members == ()  # x / y and ground truth are known, nothing else written
        for info in qs.events:
            assert info.event_id.isdigit()
            assert info.split in SPLITS
            assert isinstance(info.magnitude, float) and info.magnitude > 4.0
            for attr in ("latitude", "longitude", "depth", "time"):
                assert attr in info.attrs, (info.event_id, attr)
            assert info.image_shape == (SIZE, SIZE, 2)


def test_images_and_ground_truth_have_the_schema_dtypes_and_shapes(base_file):
    seen = Counter()
    with h5py.File(base_file, "r") as h5:
        for event, name, patch in patches(h5):
            where = f"{event.name}/{name}"
            for image in IMAGES:
                if image == "before" and image not in patch:
                    continue
                seen[image] += 1
                ds = patch[image]
                assert ds.dtype == np.float32, where
                assert ds.shape == (SIZE, SIZE, 2), where
            for truth in ("change_mask", "land_cover"):
                ds = patch[truth]
                assert ds.dtype == np.uint8, where
                assert ds.shape == (SIZE, SIZE), where
            assert set(np.unique(patch["change_mask"][()])) <= {int(d) for d in Damage}, where
            assert set(np.unique(patch["land_cover"][()])) <= {int(c) for c in LandCover}, where
            assert patch.attrs["units"] == "linear"
    assert seen["pre"] == seen["post"] > seen["before"] > 0  # both kinds of patch present


def test_grid_datasets_and_georeference_agree_with_the_patches(base_file):
    with h5py.File(base_file, "r") as h5:
        for key in h5:
            event = h5[key]
            names = sorted((n for n in event if n.startswith("patch_")), key=lambda n: int(n[6:]))
            assert names == [f"patch_{i}" for i in range(len(names))]
            x, y = event["x"][()], event["y"][()]  # each patch centre's longitude / latitude
            assert x.shape == y.shape == (len(names),)
            lat, lon = float(event.attrs["latitude"]), float(event.attrs["longitude"])
            # Offsets of each patch centre east / north of the catalogued epicentre, metres.
            north = (y - lat) * 111_320
            east = (x - lon) * 111_320 * math.cos(math.radians(lat))
            # The true epicentre is one catalogue error away from the catalogued one, the
            # same for every patch of the event.
            error_north = (float(event.attrs["true_latitude"]) - lat) * 111_320
            error_east = (float(event.attrs["true_longitude"]) - lon) * 111_320 * math.cos(math.radians(lat))
            for i, name in enumerate(names):
                attrs = event[name].attrs
                spacing = float(attrs["pixel_spacing_m"])
                centre = (SIZE - 1) / 2.0
                # North-up image: a patch north of the epicentre sees it below its centre.
                assert attrs["epicenter_row"] == pytest.approx(centre + (north[i] - error_north) / spacing, abs=1e-3)
                assert attrs["epicenter_col"] == pytest.approx(centre - (east[i] - error_east) / spacing, abs=1e-3)
                assert attrs["distance_km"] == pytest.approx(
                    math.hypot(north[i] - error_north, east[i] - error_east) / 1000.0, abs=1e-6)
                assert (attrs["center_lat"], attrs["center_lon"]) == (y[i], x[i])


def test_acquisition_times_bracket_the_event(base_file):
    with h5py.File(base_file, "r") as h5:
        for event, name, patch in patches(h5):
            t = {k[5:]: int(v) for k, v in patch.attrs.items() if k.startswith("time_")}
            assert set(t) == {n for n in IMAGES if n in patch}, f"{event.name}/{name}"
            assert t["pre"] < int(event.attrs["time"]) < t["post"]
            if "before" in t:
                assert t["before"] < t["pre"]


def test_sample_counts_follow_the_paper_rules(base_file):
    with QuakeSetFile(base_file) as qs:
        for split in (None, *SPLITS):
            chosen = [e for e in qs.events if split is None or e.split == split]
            n_patches = sum(len(e.patches) for e in chosen)
            n_before = sum(len(e.patches_with_before) for e in chosen)
            for task in (Task.BITEMPORAL_DETECTION, Task.BITEMPORAL_MAGNITUDE):
                refs = qs.samples(task, split)
                assert len(refs) == n_patches + n_before
                assert sum(r.label for r in refs) == n_patches
                assert all(r.images == ("before", "pre") for r in refs if r.label == 0)
            for task in (Task.SINGLE_DETECTION, Task.SINGLE_MAGNITUDE):
                refs = qs.samples(task, split)
                assert len(refs) == 2 * n_patches
                assert sum(r.label for r in refs) == n_patches
            for r in qs.samples(Task.BITEMPORAL_MAGNITUDE, split):
                assert r.magnitude == (qs.event(r.event_id).magnitude if r.label else 0.0)


# ─── 2. determinism ─────────────────────────────────────────────────────────────────────
def test_same_config_gives_the_same_file_contents_for_any_worker_count(base_file, tmp_path_factory):
    again = write(tmp_path_factory, BASE, "again.h5", workers=3)
    with h5py.File(base_file, "r") as a, h5py.File(again, "r") as b:
        first, second = all_members(a), all_members(b)
    assert first.keys() == second.keys()
    for key, value in first.items():
        other = second[key]
        if isinstance(value, np.ndarray):
            assert value.dtype == other.dtype, key
            assert np.array_equal(value, other, equal_nan=value.dtype.kind == "f"), key
        else:
            assert value == other, key


def test_another_seed_gives_other_pixels(base_file, tmp_path_factory):
    other = write(tmp_path_factory, replace(BASE, seed=BASE.seed + 1), "other.h5")
    with h5py.File(base_file, "r") as a, h5py.File(other, "r") as b:
        pre_a = next(patches(a))[2]["pre"][()]
        pre_b = next(patches(b))[2]["pre"][()]
        assert sorted(a.keys()) != sorted(b.keys())
    assert not np.array_equal(pre_a, pre_b, equal_nan=True)


# ─── 3. physics invariants ──────────────────────────────────────────────────────────────
def test_pixels_are_positive_or_nan_and_nan_covers_both_channels(base_file):
    with_nan = without_nan = 0
    with h5py.File(base_file, "r") as h5:
        for event, name, patch in patches(h5):
            for image in IMAGES:
                if image not in patch:
                    continue
                data = patch[image][()]
                where = f"{event.name}/{name}/{image}"
                assert not np.isinf(data).any(), where
                nan = np.isnan(data)
                assert np.array_equal(nan[..., 0], nan[..., 1]), where  # no data is per pixel
                assert (data[~nan] > 0).all(), where  # linear sigma0 + noise: never <= 0
                assert not nan.all(), where
                with_nan += bool(nan.any())
                without_nan += not nan.any()
    assert with_nan > 0 and without_nan > 0


def test_nodata_share_zero_and_one(tmp_path_factory):
    none = write(tmp_path_factory, SimulationConfig(events=3, seed=5, size=SIZE, nodata_share=0.0), "nodata0.h5")
    every = write(tmp_path_factory, SimulationConfig(events=3, seed=5, size=SIZE, nodata_share=1.0), "nodata1.h5")
    with h5py.File(none, "r") as h5:
        for _, _, patch in patches(h5):
            for image in IMAGES:
                if image in patch:
                    assert not np.isnan(patch[image][()]).any()
    with h5py.File(every, "r") as h5:
        for _, _, patch in patches(h5):
            for image in IMAGES:
                if image in patch:
                    assert np.isnan(patch[image][()]).any()


def test_coseismic_off_means_no_damage_and_post_is_not_pre(tmp_path_factory):
    config = SimulationConfig(events=3, seed=4, size=SIZE, magnitude_range=(6.6, MAGNITUDE_RANGE[1]),
                              coseismic=CoseismicConfig(enabled=False))
    path = write(tmp_path_factory, config, "control.h5")
    with h5py.File(path, "r") as h5:
        for event, name, patch in patches(h5):
            assert not patch["change_mask"][()].any(), f"{event.name}/{name}"
            assert patch.attrs["damaged_fraction"] == 0.0
            # Still a new acquisition: fresh speckle and weather.
            assert not np.array_equal(patch["pre"][()], patch["post"][()], equal_nan=True)


def test_large_events_near_the_epicentre_damage_some_patch(damage_file):
    with h5py.File(damage_file, "r") as h5:
        fractions = [np.count_nonzero(p["change_mask"][()]) / SIZE**2 for _, _, p in patches(h5)]
        stored = [float(p.attrs["damaged_fraction"]) for _, _, p in patches(h5)]
    assert max(fractions) > 0
    assert stored == pytest.approx(fractions)


def test_damage_changes_post_against_pre_more_than_a_no_event_pair(damage_file):
    """Difference in differences: inside minus outside the mask, (post - pre) vs (pre - before).

    Per patch, the mean dB change inside the damaged pixels minus the mean change outside
    them cancels most of the acquisition's weather; the same contrast over the no-event
    pair (before, pre) at the same pixels is the control. Speckle averages out over the
    pixels. Pooled over patches, the co-seismic contrast must be the larger one.
    """
    quake, control = [], []
    with h5py.File(damage_file, "r") as h5:
        for _, _, patch in patches(h5):
            mask = patch["change_mask"][()] > 0
            if mask.sum() < 20 or (~mask).sum() < 20:
                continue
            before, pre, post = (to_db(patch[n][()]) for n in IMAGES)
            for channel in (0, 1):  # VV, VH
                q = post[..., channel] - pre[..., channel]
                c = pre[..., channel] - before[..., channel]
                quake.append(abs(q[mask].mean() - q[~mask].mean()))
                control.append(abs(c[mask].mean() - c[~mask].mean()))
    if len(quake) < 6:
        pytest.skip("too few patches with both damaged and undamaged pixels to compare")
    assert np.mean(quake) > np.mean(control), (np.mean(quake), np.mean(control))


# ─── 4. magnitudes ──────────────────────────────────────────────────────────────────────
def test_magnitudes_follow_the_published_distribution():
    values = draw_magnitudes(np.random.default_rng(7), 2000)
    assert values.shape == (2000,)
    # The published file: mb 4.45-6.87; the paper: about N(5.64, 0.44). 2000 draws: SE of the mean ~0.01.
    assert values.min() >= MAGNITUDE_RANGE[0] and values.max() <= MAGNITUDE_RANGE[1]
    assert abs(values.mean() - 5.64) < 0.05
    assert abs(values.std() - 0.44) < 0.05
    assert np.allclose(values, np.round(values, 2))  # given to 0.01, like the file's attributes


def test_a_narrower_magnitude_range_is_honoured_even_in_the_tail():
    values = draw_magnitudes(np.random.default_rng(5), 10_000, (6.7, 6.87))
    assert values.min() >= 6.7 and values.max() <= 6.87


# ─── 5. splits ──────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_splits_are_70_15_15_and_stratified(seed):
    magnitudes = draw_magnitudes(np.random.default_rng(seed), 100)
    splits = assign_splits(magnitudes, np.random.default_rng(seed + 100))
    counts = Counter(splits)
    assert set(counts) == set(SPLITS)
    assert abs(counts["train"] - 70) <= 2
    assert abs(counts["validation"] - 15) <= 2
    assert abs(counts["test"] - 15) <= 2
    overall = np.median(magnitudes)
    for split in SPLITS:
        chosen = magnitudes[[s == split for s in splits]]
        assert abs(np.median(chosen) - overall) <= 0.3, split


@pytest.mark.parametrize("n", [4, 5, 6, 10])
def test_small_event_counts_fill_every_split(n):
    for seed in range(5):
        magnitudes = draw_magnitudes(np.random.default_rng(seed), n)
        assert set(assign_splits(magnitudes, np.random.default_rng(seed))) == set(SPLITS)


def test_three_events_give_one_event_per_split():
    for seed in range(5):
        magnitudes = draw_magnitudes(np.random.default_rng(seed), 3)
        assert sorted(assign_splits(magnitudes, np.random.default_rng(seed))) == sorted(SPLITS)


def test_cli_simulate_then_data_info(tmp_path, capsys):
    out = tmp_path / "six.h5"
    assert main(["simulate", "--events", "6", "--seed", "3", "--out", str(out), "--size", "64", "--quiet"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["events"] == 6
    assert main(["data", "info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["events"] == 6
    assert isinstance(info["patches"], int) and info["patches"] == written["patches"]
    assert info["image_shape"] == [64, 64, 2]
    assert {split: n["events"] for split, n in info["splits"].items()} == written["splits"]
    assert all(n["events"] >= 1 for n in info["splits"].values())


# ─── 6. identical negatives (docs/simulator.md) ─────────────────────────────────────────────────
def test_identical_share_one_copies_pre_into_before(tmp_path_factory):
    config = SimulationConfig(events=4, seed=6, size=SIZE, identical_negative_share=1.0, before_share=0.7, nodata_share=0.5)
    path = write(tmp_path_factory, config, "identical1.h5")
    with_before = 0
    with h5py.File(path, "r") as h5:
        for event, name, patch in patches(h5):
            if "before" not in patch:
                assert not patch.attrs["identical_before"]
                continue
            with_before += 1
            assert patch.attrs["identical_before"], f"{event.name}/{name}"
            assert np.array_equal(patch["before"][()], patch["pre"][()], equal_nan=True)
    assert with_before > 0


def test_identical_share_zero_copies_nothing(base_file):
    with_before = 0
    with h5py.File(base_file, "r") as h5:
        for event, name, patch in patches(h5):
            assert not patch.attrs["identical_before"], f"{event.name}/{name}"
            if "before" in patch:
                with_before += 1
                assert not np.array_equal(patch["before"][()], patch["pre"][()], equal_nan=True)
    assert with_before > 0


# ─── 7. ground-truth geometry ───────────────────────────────────────────────────────────
def test_epicenter_in_patch_agrees_with_its_pixel(base_file, damage_file):
    inside = total = 0
    for path in (base_file, damage_file):
        with h5py.File(path, "r") as h5:
            for event, name, patch in patches(h5):
                row, col = patch.attrs["epicenter_row"], patch.attrs["epicenter_col"]
                expected = bool(0 <= row < SIZE and 0 <= col < SIZE)
                assert bool(patch.attrs["epicenter_in_patch"]) == expected, f"{event.name}/{name}"
                inside += expected
                total += 1
    # One grid cell at most holds the epicentre: most patches do not.
    assert inside < total / 4


# ─── 8. bad options ─────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("options", "named"), [
    ({"events": 0}, "events"),
    ({"size": 8}, "size"),
    ({"size": 15}, "size"),
    ({"patches_per_event": 0}, "patches"),
    ({"identical_negative_share": 1.5}, "identical_negative_share"),
    ({"identical_negative_share": -0.1}, "identical_negative_share"),
    ({"before_share": 1.01}, "before_share"),
    ({"nodata_share": -1.0}, "nodata_share"),
    ({"magnitude_range": (4.0, 6.0)}, "magnitude_range"),
    ({"magnitude_range": (6.0, 5.0)}, "magnitude_range"),
    ({"magnitude_range": (5.0, 7.5)}, "magnitude_range"),
])
def test_bad_options_raise_simulation_error_naming_the_option(options, named):
    with pytest.raises(SimulationError, match=named) as caught:
        SimulationConfig(**options)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, QuakesatError)


@pytest.mark.parametrize("options", [
    {"events": 1}, {"size": 16}, {"identical_negative_share": 0.0}, {"identical_negative_share": 1.0},
    {"nodata_share": 1.0}, {"patches_per_event": 1}, {"patches_per_event": 64},
    {"magnitude_range": MAGNITUDE_RANGE}, {"magnitude_range": (6.0, 6.0)},
])
def test_options_at_the_limit_are_accepted(options):
    SimulationConfig(**options)


@pytest.mark.parametrize(("argv", "named"), [
    (["--events", "0"], "events"),
    (["--size", "8"], "size"),
    (["--identical-negatives", "1.5"], "identical"),
    (["--patches", "0"], "patches"),
])
def test_cli_bad_options_exit_2_with_one_line_and_no_file(argv, named, tmp_path, capsys):
    out = tmp_path / "bad.h5"
    assert main(["simulate", "--out", str(out), "--quiet", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("quakesat simulate: error:")
    assert named in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_file_the_disk_has_no_room_for_is_refused_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A full disk in the middle of an HDF5 write can crash the process: the size is checked
    against the free space first, one line, exit 2, nothing left behind."""
    from types import SimpleNamespace

    from quakesat.errors import DiskSpaceError
    from quakesat.simulator import simulate

    monkeypatch.setattr(simulate.shutil, "disk_usage", lambda _: SimpleNamespace(total=10**9, used=10**9 - 10**6,
                                                                                   free=10**6))
    out = tmp_path / "q.h5"
    with pytest.raises(DiskSpaceError, match="not enough free disk space"):
        simulate_file(out, replace(BASE, events=4), progress=False, workers=1)
    assert list(tmp_path.iterdir()) == []
    assert main(["simulate", "--events", "4", "--size", "64", "--out", str(out)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "GB is free" in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_the_disk_check_by_hand(tmp_path: Path) -> None:
    from quakesat.errors import DiskSpaceError
    from quakesat.simulator.simulate import DISK_MARGIN_BYTES, check_disk_space

    check_disk_space(tmp_path, 10**6, tmp_path / "f.h5", free_bytes=10**6 + DISK_MARGIN_BYTES)
    with pytest.raises(DiskSpaceError, match="needs about 0.00 GB and 0.07 GB is free"):
        check_disk_space(tmp_path, 10**6, tmp_path / "f.h5", free_bytes=10**6 + DISK_MARGIN_BYTES - 1)
