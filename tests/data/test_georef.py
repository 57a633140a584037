"""Georeference from whatever a QuakeSet file carries (data/georef.py), and a file in the
published schema run end to end: placed by its x/y grid, its hypocentre or nothing, every
tile still reaches the model, and the run report says how each tile was placed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")
pytest.importorskip("onnxruntime")

from quakesat.cli import main  # noqa: E402
from quakesat.data.georef import event_position, grid_positions, patch_georef  # noqa: E402
from quakesat.data.quakeset import QuakeSetFile  # noqa: E402
from quakesat.data.tiles import file_tiles  # noqa: E402
from quakesat.ground.decode import iter_stream  # noqa: E402
from quakesat.runtime.message import TileReport  # noqa: E402
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

TINY = Path(__file__).resolve().parents[1] / "vectors" / "tiny_model"
WHEN = 1_700_000_000


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("georef") / "quakes.h5"
    simulate_file(path, SimulationConfig(events=6, seed=5, size=64, before_share=0.8), progress=False, workers=1)
    return path


def published_copy(source: Path, target: Path, keep_grid: bool = True, keep_event: bool = True) -> Path:
    """The simulator's file as the published one is laid out: no patch centre or acquisition
    time; optionally without the x/y grid and the event's position attributes."""
    shutil.copyfile(source, target)
    with h5py.File(target, "a") as f:
        for event in f.values():
            if not keep_grid:
                del event["x"], event["y"]
            if not keep_event:
                for name in ("latitude", "longitude", "hypocenter", "true_latitude", "true_longitude"):
                    if name in event.attrs:
                        del event.attrs[name]
            for name, patch in event.items():
                if name.startswith("patch_"):
                    for key in [k for k in patch.attrs if k.startswith(("center_", "time_"))]:
                        del patch.attrs[key]
    return target


# ─── the sources, one at a time ─────────────────────────────────────────────────────────
def test_the_patch_centre_comes_first_and_off_globe_values_are_never_used() -> None:
    grid = (np.array([20.0, 21.0]), np.array([40.0, 41.0]))
    georef, source = patch_georef("patch_1", {"center_lat": 10.0, "center_lon": 11.0}, {}, grid, 2)
    assert source == "patch" and (georef.center_lat, georef.center_lon) == (10.0, 11.0)
    georef, source = patch_georef("patch_1", {"center_lat": 500.0, "center_lon": 11.0}, {}, grid, 2)
    assert source == "grid" and (georef.center_lat, georef.center_lon) == (41.0, 21.0)


def test_a_per_patch_grid_places_each_patch_by_its_number() -> None:
    grid = (np.array([20.0, 21.0, 22.0]), np.array([40.0, 41.0, np.nan]))
    assert patch_georef("patch_0", {}, {}, grid, 3)[0].center_lon == 20.0
    assert patch_georef("patch_2", {}, {}, grid, 3)[1] == "grid_centre"  # its own value is NaN
    assert patch_georef("patch_7", {}, {}, grid, 3)[1] == "grid_centre"  # no value of its own
    georef, source = patch_georef("patch_0", {}, {"latitude": 5.0, "longitude": 6.0}, grid, 4)
    assert source == "event" and (georef.center_lat, georef.center_lon) == (5.0, 6.0)  # not one per patch


def test_a_projected_grid_needs_its_epsg() -> None:
    pyproj = pytest.importorskip("pyproj")
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True)
    x, y = to_utm.transform([15.0, 15.1], [45.0, 45.2])
    assert grid_positions(np.array(x), np.array(y)) is None  # metres are not degrees
    positions = grid_positions(np.array(x), np.array(y), epsg=32633)
    np.testing.assert_allclose(positions, [[45.0, 15.0], [45.2, 15.1]], atol=1e-7)
    assert grid_positions(np.array(x), np.array(y), epsg="not a code") is None
    assert grid_positions(np.array(x), np.array(y), epsg=999_999) is None


@pytest.mark.parametrize("attrs,expected", [
    ({"latitude": 38.2, "longitude": 37.0}, (38.2, 37.0)),
    ({"lat": -12.0, "lon": -77.0}, (-12.0, -77.0)),
    ({"hypocenter": np.array([38.2, 37.0, 10.0])}, (38.2, 37.0)),  # ISC order
    ({"hypocenter": np.array([137.0, 38.2, 10.0])}, (38.2, 137.0)),  # cannot be (lat, lon): swapped
    ({"hypocenter": np.array([137.0, 138.0])}, None),
    ({"latitude": float("nan"), "longitude": 1.0}, None),
    ({"latitude": "north", "longitude": 1.0}, None),
    ({"hypocenter": np.array(["a", "b"])}, None),
    ({"hypocenter": np.array([1.0])}, None),
    ({}, None),
])
def test_the_event_position(attrs, expected) -> None:
    assert event_position(attrs) == expected


# ─── a file in the published schema, end to end ─────────────────────────────────────────
def _stream(path: Path) -> list[TileReport]:
    return [m for _, m in iter_stream(path.read_bytes()) if isinstance(m, TileReport)]


def _run(data: Path, out: Path) -> dict:
    assert main(["run", "--artifacts", str(TINY), "--data", str(data), "--split", "all", "--assume-time", str(WHEN),
                 "--out", str(out), "--health-every", "0"]) == 0
    return json.loads(out.with_suffix(".report.json").read_text())


def test_the_grid_places_a_published_file_exactly_where_the_patch_centres_do(simulated, tmp_path) -> None:
    bare = published_copy(simulated, tmp_path / "published.h5")
    with QuakeSetFile(simulated) as qs:  # the simulator's own x/y are the patch centres
        for info in qs.events:
            x, y = qs.grid_coordinates(info.event_id)
            for n, patch in enumerate(info.patches):
                attrs = qs.patch_attrs(info.event_id, patch)
                assert (y[n], x[n]) == (attrs["center_lat"], attrs["center_lon"])
    placed = _run(bare, tmp_path / "grid.bin")
    assert set(placed["georeference_sources"]) == {"grid"}
    # The reference: the simulator's file with its acquisition times replaced by the same one.
    reference = published_copy(simulated, tmp_path / "timeless.h5")
    with h5py.File(reference, "a") as f, h5py.File(simulated, "r") as original:
        for key, event in f.items():
            del event["x"], event["y"]
            for name, patch in event.items():
                if name.startswith("patch_"):
                    for attr in ("center_lat", "center_lon"):
                        patch.attrs[attr] = original[key][name].attrs[attr]
    assert set(_run(reference, tmp_path / "patch.bin")["georeference_sources"]) == {"patch"}
    assert (tmp_path / "grid.bin").read_bytes() == (tmp_path / "patch.bin").read_bytes()


def test_a_file_that_places_nothing_still_reaches_the_model(simulated, tmp_path) -> None:
    by_event = _run(published_copy(simulated, tmp_path / "event.h5", keep_grid=False), tmp_path / "event.bin")
    assert set(by_event["georeference_sources"]) == {"event"}
    nowhere = published_copy(simulated, tmp_path / "nowhere.h5", keep_grid=False, keep_event=False)
    report = _run(nowhere, tmp_path / "nowhere.bin")
    assert report["georeference_sources"] == {"none": report["tiles"]}
    placed, unplaced = _stream(tmp_path / "event.bin"), _stream(tmp_path / "nowhere.bin")
    assert len(placed) == len(unplaced) == report["tiles"] > 0
    by_id = {m.tile_id: m for m in placed}
    for message in unplaced:
        twin = by_id[message.tile_id]
        assert message.status.code_name in ("no_georeference", twin.status.code_name)
        if twin.status.code_name in ("ok", "partial_nodata", "values_clipped"):
            assert message.status.code_name == "no_georeference"
            assert (message.event, message.magnitude, message.confidence) == (twin.event, twin.magnitude,
                                                                              twin.confidence)  # the model ran
            assert (message.lat, message.lon) == (0.0, 0.0) and not message.located
    assert any(m.status.code_name == "no_georeference" and m.event for m in unplaced) or \
        not any(m.event for m in placed)


def test_every_tile_of_the_file_is_yielded_with_its_source(simulated, tmp_path) -> None:
    bare = published_copy(simulated, tmp_path / "published.h5", keep_grid=False)
    with QuakeSetFile(bare) as qs:
        expected = len(qs.samples(1))
    items = list(file_tiles(bare, split=None, assume_time=WHEN))
    assert len(items) == expected and {truth.georef_source for _, truth, _ in items} == {"event"}
