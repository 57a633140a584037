"""A tiny QuakeSet file in the published schema, written with plain h5py, oddities included.

h5py is imported where the file is written, so the runtime-only test environment (no h5py)
can load this conftest."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:
    import h5py

SIDE = 16  # tile side of the fixture (the real file: 512)

# Event layout, by hand (keys sort as strings: "1001" < "1002" < "2001" < "999"):
#   1001  train (str)        4.5   patch_0 (before), patch_2 (before), patch_10 (no before);
#                                  x, y datasets; extra attrs; an unknown 'notes' group;
#                                  patch_0 post has a full NaN border; patch_2 has an unknown
#                                  'quicklook' dataset; patch_0 has simulator ground truth.
#   1002  validation (bytes) 5.25  patch_0: before == pre pixel for pixel, NaN row 0 in both.
#   2001  test (str)         6.0   patch_0: before == pre but one value; patch_1: one VH NaN in post.
#   999   train (str)        4.0   patch_0 (before).
EVENTS: dict[str, dict] = {
    "1001": {
        "split": "train",
        "magnitude": 4.5,
        "patches": {"patch_0": True, "patch_2": True, "patch_10": False},
    },
    "1002": {"split": b"validation", "magnitude": 5.25, "patches": {"patch_0": True}},
    "2001": {"split": "test", "magnitude": 6.0, "patches": {"patch_0": True, "patch_1": True}},
    "999": {"split": "train", "magnitude": 4.0, "patches": {"patch_0": True}},
}
# NaN pixels written, by hand: 1001/patch_0/post border 16*16 - 14*14 = 60; 1002 pre and
# before row 0: 16 each; 2001/patch_1/post one pixel (one channel) = 1. Images in all: 20.


@dataclass
class QuakeSetFixture:
    """The fixture file and every image array written into it."""

    path: Path
    arrays: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict)


def write_fixture(path: Path) -> QuakeSetFixture:
    """Write the fixture file described above; return its path and arrays."""
    rng = np.random.default_rng(1234)
    fixture = QuakeSetFixture(path=path)

    def image() -> np.ndarray:
        return rng.gamma(4.0, 0.025, size=(SIDE, SIDE, 2)).astype(np.float32)

    import h5py

    with h5py.File(path, "w") as f:
        for event_id, spec in EVENTS.items():
            group = f.create_group(event_id)
            group.attrs["magnitude"] = spec["magnitude"]
            group.attrs["split"] = spec["split"]
            for patch, has_before in spec["patches"].items():
                group.create_group(patch)
                arrays = {"pre": image(), "post": image()}
                if has_before:
                    arrays["before"] = image()
                for name, array in arrays.items():
                    fixture.arrays[(event_id, patch, name)] = array
        # The oddities, on top of the plain layout.
        a = fixture.arrays
        post = a[("1001", "patch_0", "post")]
        post[0, :, :] = post[-1, :, :] = post[:, 0, :] = post[:, -1, :] = np.nan
        a[("1002", "patch_0", "pre")][0, :, :] = np.nan
        a[("1002", "patch_0", "before")] = a[("1002", "patch_0", "pre")].copy()
        near = a[("2001", "patch_0", "pre")].copy()
        near[7, 7, 0] += 0.01
        a[("2001", "patch_0", "before")] = near
        a[("2001", "patch_1", "post")][5, 5, 1] = np.nan
        for (event_id, patch, name), array in a.items():
            f[event_id][patch].create_dataset(name, data=array)

        e1001 = f["1001"]
        e1001.attrs["hypocenter"] = np.array([38.1, 15.6, 10.0])
        e1001.attrs["depth"] = 10.0
        e1001.attrs["epsg"] = np.int32(32633)
        e1001.create_dataset("x", data=np.linspace(500000.0, 505000.0, 3))
        e1001.create_dataset("y", data=np.linspace(4200000.0, 4205000.0, 3))
        e1001.create_group("notes")
        e1001["patch_2"].create_dataset("quicklook", data=np.zeros((4, 4), dtype=np.uint8))
        p0 = e1001["patch_0"]
        p0.create_dataset("change_mask", data=np.eye(SIDE, dtype=np.uint8))
        p0.create_dataset("land_cover", data=np.full((SIDE, SIDE), 3, dtype=np.uint8))
        p0.attrs["center_lat"] = 38.1
        p0.attrs["center_lon"] = 15.6
        p0.attrs["pixel_spacing_m"] = 10.0
        p0.attrs["units"] = "linear"
        f["999"].attrs["time"] = b"2020-01-02T03:04:05Z"
    return fixture


@pytest.fixture
def copy_with_patches_edited() -> Callable[[Path, Path, Callable[[h5py.Group], None]], Path]:
    """A function that copies a QuakeSet file and applies ``edit`` to every ``patch_*`` group
    of the copy: ``copy_with_patches_edited(source, target, edit) -> target``."""

    def make(source: Path, target: Path, edit: Callable[[h5py.Group], None]) -> Path:
        import h5py

        shutil.copyfile(source, target)
        with h5py.File(target, "a") as f:
            for event in f.values():
                for name, patch in event.items():
                    if name.startswith("patch_"):
                        edit(patch)
        return target

    return make


@pytest.fixture(scope="session")
def quakeset_file(tmp_path_factory: pytest.TempPathFactory) -> QuakeSetFixture:
    """The fixture file, written once per session; tests must not modify it."""
    return write_fixture(tmp_path_factory.mktemp("quakeset") / "earthquakes.h5")


@pytest.fixture
def broken_copy(
    quakeset_file: QuakeSetFixture, tmp_path: Path
) -> Callable[[Callable[[h5py.File], None]], Path]:
    """Return a function that copies the fixture, lets a callback edit it, and returns the copy."""

    def make(edit: Callable[[h5py.File], None]) -> Path:
        import h5py

        target = tmp_path / "broken.h5"
        shutil.copyfile(quakeset_file.path, target)
        with h5py.File(target, "a") as f:
            edit(f)
        return target

    return make
