"""The QuakeSet reader: sample lists per task and split, pixels, errors, one handle per process."""

from __future__ import annotations

import os
import pickle
import re

import h5py
import numpy as np
import pytest

from quakesat.data.quakeset import (
    SPLITS,
    TASKS,
    EventInfo,
    QuakeSetDataset,
    QuakeSetFile,
    SampleRef,
    Task,
)
from quakesat.errors import DatasetNotFoundError, QuakeSetFormatError

PAIR_POS = ("pre", "post")
PAIR_NEG = ("before", "pre")

# Written out by hand from the fixture layout in conftest.py (not by the reader's logic).
BITEMPORAL = {
    "train": [
        SampleRef("1001", "patch_0", PAIR_POS, 1, 4.5, "train"),
        SampleRef("1001", "patch_0", PAIR_NEG, 0, 0.0, "train"),
        SampleRef("1001", "patch_2", PAIR_POS, 1, 4.5, "train"),
        SampleRef("1001", "patch_2", PAIR_NEG, 0, 0.0, "train"),
        SampleRef("1001", "patch_10", PAIR_POS, 1, 4.5, "train"),
        SampleRef("999", "patch_0", PAIR_POS, 1, 4.0, "train"),
        SampleRef("999", "patch_0", PAIR_NEG, 0, 0.0, "train"),
    ],
    "validation": [
        SampleRef("1002", "patch_0", PAIR_POS, 1, 5.25, "validation"),
        SampleRef("1002", "patch_0", PAIR_NEG, 0, 0.0, "validation"),
    ],
    "test": [
        SampleRef("2001", "patch_0", PAIR_POS, 1, 6.0, "test"),
        SampleRef("2001", "patch_0", PAIR_NEG, 0, 0.0, "test"),
        SampleRef("2001", "patch_1", PAIR_POS, 1, 6.0, "test"),
        SampleRef("2001", "patch_1", PAIR_NEG, 0, 0.0, "test"),
    ],
}
SINGLE = {
    "train": [
        SampleRef("1001", "patch_0", ("post",), 1, 4.5, "train"),
        SampleRef("1001", "patch_0", ("pre",), 0, 0.0, "train"),
        SampleRef("1001", "patch_2", ("post",), 1, 4.5, "train"),
        SampleRef("1001", "patch_2", ("pre",), 0, 0.0, "train"),
        SampleRef("1001", "patch_10", ("post",), 1, 4.5, "train"),
        SampleRef("1001", "patch_10", ("pre",), 0, 0.0, "train"),
        SampleRef("999", "patch_0", ("post",), 1, 4.0, "train"),
        SampleRef("999", "patch_0", ("pre",), 0, 0.0, "train"),
    ],
    "validation": [
        SampleRef("1002", "patch_0", ("post",), 1, 5.25, "validation"),
        SampleRef("1002", "patch_0", ("pre",), 0, 0.0, "validation"),
    ],
    "test": [
        SampleRef("2001", "patch_0", ("post",), 1, 6.0, "test"),
        SampleRef("2001", "patch_0", ("pre",), 0, 0.0, "test"),
        SampleRef("2001", "patch_1", ("post",), 1, 6.0, "test"),
        SampleRef("2001", "patch_1", ("pre",), 0, 0.0, "test"),
    ],
}
EXPECTED = {1: BITEMPORAL, 2: BITEMPORAL, 5: SINGLE, 6: SINGLE}


@pytest.fixture
def qs(quakeset_file):
    with QuakeSetFile(quakeset_file.path) as opened:
        yield opened


# ─── tasks and samples ──────────────────────────────────────────────────────────────────
def test_task_properties():
    assert [int(t) for t in TASKS] == [1, 2, 5, 6]
    assert [t.is_bitemporal for t in TASKS] == [True, True, False, False]
    assert [t.is_regression for t in TASKS] == [False, True, False, True]
    assert Task.parse("task2") is Task.BITEMPORAL_MAGNITUDE
    assert Task.parse(5) is Task.SINGLE_DETECTION
    assert Task.parse("single_magnitude") is Task.SINGLE_MAGNITUDE
    for bad in (3, "task7", "x", True):
        with pytest.raises(ValueError, match="unknown QuakeSet task"):
            Task.parse(bad)


@pytest.mark.parametrize("task", [1, 2, 5, 6])
@pytest.mark.parametrize("split", SPLITS)
def test_samples_per_task_and_split(qs, task, split):
    assert qs.samples(task, split) == EXPECTED[task][split]


@pytest.mark.parametrize("task", [1, 5])
def test_all_splits_follow_string_sorted_event_keys(qs, task):
    by_split = EXPECTED[task]
    # "1001" < "1002" < "2001" < "999" as strings: event 999 (train; its 2 samples) comes last.
    train_1001, train_999 = by_split["train"][:-2], by_split["train"][-2:]
    expected = train_1001 + by_split["validation"] + by_split["test"] + train_999
    assert qs.samples(task) == expected


def test_val_alias_and_unknown_split(qs):
    assert qs.samples(1, "val") == BITEMPORAL["validation"]
    with pytest.raises(ValueError, match="unknown split"):
        qs.samples(1, "holdout")


def test_events_metadata(qs):
    events = qs.events
    assert [e.event_id for e in events] == ["1001", "1002", "2001", "999"]
    first: EventInfo = events[0]
    assert first.patches == ("patch_0", "patch_2", "patch_10")
    assert first.patches_with_before == ("patch_0", "patch_2")
    assert first.image_shape == (16, 16, 2)
    assert first.attrs["hypocenter"] == [38.1, 15.6, 10.0]
    assert first.attrs["depth"] == 10.0
    assert first.attrs["epsg"] == 32633 and type(first.attrs["epsg"]) is int
    assert events[1].split == "validation" and events[1].attrs["split"] == "validation"  # was bytes
    assert events[3].attrs["time"] == "2020-01-02T03:04:05Z"
    assert qs.ignored_members == ("/1001/notes", "/1001/patch_2/quicklook")


# ─── pixels ─────────────────────────────────────────────────────────────────────────────
def test_read_returns_the_written_arrays(qs, quakeset_file):
    for task in (1, 5):
        for ref in qs.samples(task):
            arrays = qs.read(ref)
            assert len(arrays) == len(ref.images)
            for name, array in zip(ref.images, arrays):
                assert array.dtype == np.float32 and array.shape == (16, 16, 2)
                written = quakeset_file.arrays[(ref.event_id, ref.patch, name)]
                np.testing.assert_array_equal(array, written)  # NaN == NaN here


def test_nan_is_kept(qs):
    post = qs.read_image("1001", "patch_0", "post")
    assert np.isnan(post[0]).all() and np.isnan(post[:, -1]).all()
    assert np.isfinite(post[1:-1, 1:-1]).all()
    assert np.isnan(qs.read_image("2001", "patch_1", "post")[5, 5, 1])


def test_missing_image_or_patch_is_a_key_error(qs):
    with pytest.raises(KeyError, match="before"):
        qs.read_image("1001", "patch_10", "before")
    with pytest.raises(KeyError, match="/1001/patch_7"):
        qs.read_image("1001", "patch_7", "pre")


def test_patch_attrs_and_ground_truth(qs):
    attrs = qs.patch_attrs("1001", "patch_0")
    assert attrs["center_lat"] == 38.1 and attrs["units"] == "linear"
    assert qs.patch_attrs("999", "patch_0") == {}
    np.testing.assert_array_equal(qs.read_ground_truth("1001", "patch_0", "change_mask"), np.eye(16))
    assert qs.read_ground_truth("1001", "patch_0", "land_cover").dtype == np.uint8
    assert qs.read_ground_truth("999", "patch_0", "change_mask") is None


def test_closed_file_refuses_reads(quakeset_file):
    qs = QuakeSetFile(quakeset_file.path)
    qs.close()
    qs.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        qs.read_image("999", "patch_0", "pre")


# ─── one handle ─────────────────────────────────────────────────────────────────────────
@pytest.fixture
def open_calls(monkeypatch):
    calls: list[str] = []
    original = h5py.File

    def counting(*args, **kwargs):
        calls.append(str(args[0]))
        return original(*args, **kwargs)

    monkeypatch.setattr(h5py, "File", counting)
    return calls


def test_file_opened_once_for_many_reads(quakeset_file, open_calls):
    dataset = QuakeSetDataset(quakeset_file.path, 1, None)
    for _ in range(3):
        for i in range(len(dataset)):
            dataset[i]
    QuakeSetDataset(dataset.file, 5, "train")[0]  # a second dataset shares the handle
    assert open_calls == [str(quakeset_file.path)]
    dataset.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_reopens_once(quakeset_file, open_calls):
    qs = QuakeSetFile(quakeset_file.path)
    parent_item = qs.read_image("2001", "patch_1", "pre")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        status = 1
        try:
            before = len(open_calls)
            same = all(
                np.array_equal(qs.read_image("2001", "patch_1", "pre"), parent_item) for _ in range(3)
            )
            os.write(write_end, f"{int(same)} {len(open_calls) - before}".encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    message = os.read(read_end, 64).decode()
    os.close(read_end)
    _, code = os.waitpid(pid, 0)
    assert code == 0
    assert message == "1 1"  # same pixels, exactly one reopen in the child
    np.testing.assert_array_equal(qs.read_image("2001", "patch_1", "pre"), parent_item)  # parent intact
    assert len(open_calls) == 1
    qs.close()


def test_pickled_dataset_reads_the_same(quakeset_file):
    with QuakeSetFile(quakeset_file.path) as qs:
        dataset = QuakeSetDataset(qs, 2, "test")
        copy = pickle.loads(pickle.dumps(dataset))
        assert len(copy) == len(dataset) == 4
        np.testing.assert_array_equal(copy[3]["images"][1], dataset[3]["images"][1])
        copy.file.close()


# ─── the dataset ────────────────────────────────────────────────────────────────────────
def test_dataset_items(quakeset_file):
    dataset = QuakeSetDataset(quakeset_file.path, "task2", "val")
    assert len(dataset) == 2
    item = dataset[1]
    assert item["label"] == 0 and item["magnitude"] == 0.0
    assert (item["event_id"], item["patch"]) == ("1002", "patch_0")
    before, pre = item["images"]
    np.testing.assert_array_equal(before, quakeset_file.arrays[("1002", "patch_0", "before")])
    np.testing.assert_array_equal(pre, quakeset_file.arrays[("1002", "patch_0", "pre")])
    assert dataset[-2]["label"] == 1 and dataset[-2]["magnitude"] == 5.25
    with pytest.raises(IndexError):
        dataset[2]
    dataset.close()


def test_dataset_transform_hook(quakeset_file):
    seen = []

    def transform(*arrays):
        seen.append(len(arrays))
        return np.stack([a[..., 0] for a in arrays])  # e.g. keep VV, channels first

    with QuakeSetFile(quakeset_file.path) as qs:
        pairs = QuakeSetDataset(qs, 1, "test", transform=transform)
        single = QuakeSetDataset(qs, 6, "test", transform=transform)
        assert pairs[0]["images"].shape == (2, 16, 16)
        assert single[0]["images"].shape == (1, 16, 16)
        assert single[0]["magnitude"] == 6.0 and single[1]["magnitude"] == 0.0
    assert seen == [2, 1, 1, 1]


# ─── malformed files ────────────────────────────────────────────────────────────────────
def test_missing_file(tmp_path):
    missing = tmp_path / "nope.h5"
    with pytest.raises(DatasetNotFoundError, match="quakesat simulate") as err:
        QuakeSetFile(missing)
    assert str(missing) in str(err.value)
    assert isinstance(err.value, FileNotFoundError)


def test_not_hdf5(tmp_path):
    text = tmp_path / "earthquakes.h5"
    text.write_text("not an HDF5 file\n")
    with pytest.raises(DatasetNotFoundError, match="not a readable HDF5 file"):
        QuakeSetFile(text)
    with pytest.raises(DatasetNotFoundError, match="not a file"):
        QuakeSetFile(tmp_path)


def test_zero_events(tmp_path):
    empty = tmp_path / "empty.h5"
    with h5py.File(empty, "w") as f:
        f.create_dataset("readme", data=np.zeros(1))
    with pytest.raises(QuakeSetFormatError, match="no earthquake event groups.*/readme"):
        QuakeSetFile(empty)


def _replace(f: h5py.File, path: str, data: np.ndarray) -> None:
    del f[path]
    f.create_dataset(path, data=data)


MALFORMED = {
    "missing magnitude": (
        lambda f: f["1002"].attrs.__delitem__("magnitude"),
        r"/1002: attribute 'magnitude' is missing",
    ),
    "missing split": (
        lambda f: f["999"].attrs.__delitem__("split"),
        r"/999: attribute 'split' is missing",
    ),
    "non-numeric magnitude": (
        lambda f: f["2001"].attrs.__setitem__("magnitude", "big"),
        r"/2001: attribute 'magnitude' is 'big'; expected a number",
    ),
    "bad split": (
        lambda f: f["1001"].attrs.__setitem__("split", "foo"),
        r"/1001: attribute 'split' is 'foo'; expected one of train, validation, test",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_files_name_the_culprit(broken_copy, case):
    edit, message = MALFORMED[case]
    path = broken_copy(edit)
    with pytest.raises(QuakeSetFormatError, match=message):
        QuakeSetFile(path)


# A malformed patch is that image's defect, never the file's end (issue: "one odd patch stops
# `run --data` with zero tiles processed"): (edit, message, event, patch, image, status).
DEFECTIVE = {
    "missing post": (lambda f: f["2001/patch_1"].__delitem__("post"),
                     r"/2001/patch_1: dataset 'post' is missing", "2001", "patch_1", "post", "unreadable"),
    "missing pre": (lambda f: f["1001/patch_10"].__delitem__("pre"),
                    r"/1001/patch_10: dataset 'pre' is missing", "1001", "patch_10", "pre", "unreadable"),
    "wrong last dim": (lambda f: _replace(f, "1001/patch_0/post", np.zeros((16, 16, 3), np.float32)),
                       r"/1001/patch_0/post: shape \(16, 16, 3\); expected \(H, W, 2\)",
                       "1001", "patch_0", "post", "bad_shape"),
    "wrong ndim": (lambda f: _replace(f, "999/patch_0/before", np.zeros((16, 16), np.float32)),
                   r"/999/patch_0/before: shape \(16, 16\); expected \(H, W, 2\)",
                   "999", "patch_0", "before", "bad_shape"),
    "integer pixels": (lambda f: _replace(f, "1002/patch_0/pre", np.zeros((16, 16, 2), np.uint16)),
                       r"/1002/patch_0/pre: dtype uint16; expected", "1002", "patch_0", "pre", "bad_dtype"),
    "mismatched shapes": (lambda f: _replace(f, "1001/patch_2/post", np.zeros((8, 16, 2), np.float32)),
                          r"/1001/patch_2/post: shape \(8, 16, 2\) differs from /1001/patch_2/pre \(16, 16, 2\)",
                          "1001", "patch_2", "post", "bad_shape"),
    "a group, not a dataset": (lambda f: (f["2001/patch_0"].__delitem__("post"), f["2001/patch_0"].create_group("post")),
                               r"/2001/patch_0/post: is a group", "2001", "patch_0", "post", "unreadable"),
}


@pytest.mark.parametrize("case", list(DEFECTIVE))
def test_a_malformed_patch_is_its_own_samples_defect(broken_copy, case):
    edit, message, event, patch, image, status = DEFECTIVE[case]
    with QuakeSetFile(broken_copy(edit)) as qs:
        [(where_event, where_patch, defect)] = qs.defective_patches
        assert (where_event, where_patch, defect.image, defect.status.code_name) == (event, patch, image, status)
        assert re.search(message, defect.message)
        every = [ref for task in (1, 5) for ref in qs.samples(task, include_defective=True)]
        sound = [ref for task in (1, 5) for ref in qs.samples(task)]
        broken = [ref for ref in every if image in ref.images and ref.event_id == event and ref.patch == patch]
        assert broken and not any(ref in sound for ref in broken)  # left out of training and evaluation
        assert set(sound) == set(every) - set(broken)  # the patch's other samples stay
        assert all(qs.sample_defect(ref) == defect for ref in broken)
        assert all(qs.sample_defect(ref) is None for ref in sound)
        assert (event, patch) not in {(i.event_id, p) for i, p in qs.iter_patches()}
        with pytest.raises((QuakeSetFormatError, KeyError)):
            qs.read_image(event, patch, image)


@pytest.mark.parametrize("case", list(DEFECTIVE))
def test_a_run_over_a_file_with_a_malformed_patch_reports_it_and_goes_on(broken_copy, case):
    from quakesat.data.tiles import file_tiles

    edit, _, event, patch, image, status = DEFECTIVE[case]
    path = broken_copy(edit)
    with QuakeSetFile(path) as qs:
        refs = qs.samples(1, split=None, include_defective=True)
    items = list(file_tiles(path, split=None))
    assert len(items) == len(refs)  # every pair became a tile: none lost, the pass went on
    for ref, (tile, truth, _) in zip(refs, items):
        uses = ref.event_id == event and ref.patch == patch and image in ref.images
        if uses:
            assert tile.read_check is not None and tile.read_check.status.code_name == status
            assert tile.first is None and tile.second is None  # a defective image is never run
        else:
            assert tile.read_check is None and tile.first is not None
        assert truth.label == ref.label


def test_tolerated_variants(broken_copy):
    def edit(f: h5py.File) -> None:
        f["1002"].attrs["split"] = np.bytes_(b"val")  # alias, as numpy bytes
        f["999"].attrs["magnitude"] = np.array([4], dtype=np.int16)  # a one-element integer array
        _replace(f, "2001/patch_0/post", np.ones((16, 16, 2), np.float64))  # float64 pixels
        f.create_group("catalog")  # a non-event root group is skipped
        f["1001/patch_10"].create_group("patch_99")  # nested groups are not patches

    with QuakeSetFile(broken_copy(edit)) as qs:
        assert qs.event("1002").split == "validation"
        assert qs.event("999").magnitude == 4.0
        assert qs.read_image("2001", "patch_0", "post").dtype == np.float32
        assert "/catalog" in qs.ignored_members and "/1001/patch_10/patch_99" in qs.ignored_members
        assert len(qs.events) == 4
