"""The flight runtime flying a model that takes same-track pairs (tests/vectors/tiny_insar_model),
without torch: the pair's checks, the interferogram, NO_COHERENCE, WRONG_KIND both ways, no change
gate, location by head or centre, and the files it reads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from quakesat.ground.decode import decode  # noqa: E402
from quakesat.runtime.flight import FlightRuntime, RuntimeConfig  # noqa: E402
from quakesat.runtime.interferogram import InterferogramConfig, interferogram_features  # noqa: E402
from quakesat.runtime.manifest import load_manifest  # noqa: E402
from quakesat.runtime.status import Status  # noqa: E402
from quakesat.runtime.tile import AMPLITUDE, SAME_TRACK, Georef, Tile  # noqa: E402
from quakesat.runtime.tile_file import read_tile_list, write_tile_list  # noqa: E402

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
TINY = VECTORS / "tiny_insar_model"
AMPLITUDE_MODEL = VECTORS / "tiny_model"
SIDE = 64
PLACE = Georef(38.1, 13.4, 80.0)
WHEN = 1_700_000_000


def speckle(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ((rng.normal(size=(SIDE, SIDE)) + 1j * rng.normal(size=(SIDE, SIDE))) * np.sqrt(0.05)).astype(np.complex64)


def coherent_pair(seed: int = 1, fringes: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A pre image and a post image that is it, slightly decorrelated, with ``fringes`` cycles of
    phase ramp across the tile (a deformation-like signal)."""
    pre = speckle(seed)
    ramp = np.exp(2j * np.pi * fringes * np.arange(SIDE) / SIDE)[None, :]
    post = (pre * ramp + 0.2 * speckle(seed + 100)).astype(np.complex64)
    return pre, post


def same_track_tile(pre: np.ndarray | None = None, post: np.ndarray | None = None, **changes) -> Tile:
    if pre is None or post is None:
        pre, post = coherent_pair()
    return replace(Tile(7, WHEN, pre, post, PLACE, kind=SAME_TRACK), **changes)


@pytest.fixture(scope="module")
def runtime() -> FlightRuntime:
    return FlightRuntime.open(TINY, "onnx-fp32", RuntimeConfig(health_every=0))


def test_the_fixture_declares_the_same_track_kind_and_no_gate() -> None:
    manifest = load_manifest(TINY)
    assert manifest.input.kind == SAME_TRACK and manifest.preprocess == InterferogramConfig(looks=4)
    assert manifest.input.tile_shape == (3, 16, 16) and manifest.gate.statistic == "none"
    assert manifest.locate.method in ("centre", "head")


def test_a_coherent_pair_is_judged_by_the_network_on_its_interferogram(runtime: FlightRuntime) -> None:
    pre, post = coherent_pair(fringes=2.0)
    outcome = runtime.process(same_track_tile(pre, post))
    assert outcome.check.status == Status.OK and outcome.heads is not None and outcome.gate is None
    direct = runtime.model.heads(interferogram_features(pre, post, InterferogramConfig(4))[None])
    assert np.array_equal(outcome.heads["event"], direct["event"])  # the same input, formed on board
    assert outcome.report.tile_id == 7 and not outcome.report.gated
    assert decode(outcome.message).status == Status.OK


@pytest.mark.parametrize("name, pre, post, status", [
    ("independent images", speckle(1), speckle(2), Status.NO_COHERENCE),
    ("all NaN", np.full((SIDE, SIDE), np.nan, np.complex64), speckle(2), Status.ALL_NODATA),
    ("an infinity", None, None, Status.NON_FINITE),
    ("amplitude images", np.ones((SIDE, SIDE, 2), np.float32), np.ones((SIDE, SIDE, 2), np.float32),
     Status.BAD_DTYPE),
    ("wrong side", speckle(1)[:32, :32], speckle(2)[:32, :32], Status.BAD_SHAPE),
    ("a constant fill", np.full((SIDE, SIDE), 0.1 + 0.1j, np.complex64), speckle(2), Status.CONSTANT),
    ("all zero", np.zeros((SIDE, SIDE), np.complex64), speckle(2), Status.ALL_ZERO),
    ("too bright", speckle(1) * np.complex64(1e4), speckle(2), Status.OUT_OF_RANGE),
])
def test_a_bad_pair_is_a_status_never_an_event(runtime: FlightRuntime, name, pre, post, status) -> None:
    if pre is None:
        pre, post = coherent_pair()
        post = post.copy()
        post[3, 5] = complex(np.inf, 0)
    outcome = runtime.process(same_track_tile(pre, post))
    assert outcome.check.status == status, name
    assert not outcome.report.event and outcome.report.magnitude == 0 and outcome.heads is None


def test_partial_nodata_is_processed_and_flagged(runtime: FlightRuntime) -> None:
    pre, post = coherent_pair()
    pre = pre.copy()
    pre[:8] = np.nan
    outcome = runtime.process(same_track_tile(pre, post))
    assert outcome.check.status == Status.PARTIAL_NODATA and outcome.heads is not None


def test_an_amplitude_tile_is_the_wrong_kind_for_a_same_track_model(runtime: FlightRuntime) -> None:
    images = np.ones((SIDE, SIDE, 2), np.float32)
    outcome = runtime.process(Tile(3, WHEN, images, images, PLACE, kind=AMPLITUDE))
    assert outcome.check.status == Status.WRONG_KIND and not outcome.report.event and outcome.heads is None


def test_a_same_track_tile_is_the_wrong_kind_for_an_amplitude_model() -> None:
    amplitude = FlightRuntime.open(AMPLITUDE_MODEL, "onnx-fp32", RuntimeConfig(health_every=0))
    outcome = amplitude.process(same_track_tile())
    assert outcome.check.status == Status.WRONG_KIND and not outcome.report.event


def test_a_flagged_pair_is_located_by_its_head_or_at_the_centre() -> None:
    head = FlightRuntime.open(TINY, "onnx-fp32", RuntimeConfig(health_every=0, locate="head"))
    centre = FlightRuntime.open(TINY, "onnx-fp32", RuntimeConfig(health_every=0, locate="change"))
    for rt in (head, centre):  # every judged tile an event, to exercise location
        rt.model.manifest = replace(rt.model.manifest, decision=replace(rt.model.manifest.decision,
                                                                        event_threshold=0.0))
    pre, post = coherent_pair(fringes=1.0)
    by_head = head.process(same_track_tile(pre, post))
    assert by_head.report.event and by_head.location_method == "head" and by_head.report.located
    # "change" reads amplitude images: a same-track pair falls back to the tile centre
    at_centre = centre.process(same_track_tile(pre, post))
    assert at_centre.report.event and at_centre.location_method == "centre" and not at_centre.report.located
    assert (at_centre.report.lat, at_centre.report.lon) == (PLACE.center_lat, PLACE.center_lon)


def test_a_tile_list_reads_only_the_model_kind(tmp_path: Path) -> None:
    pre, post = coherent_pair()
    images = np.ones((SIDE, SIDE, 2), np.float32)
    path = write_tile_list([same_track_tile(pre, post, tile_id=1),
                            Tile(2, WHEN, images, images, PLACE, kind=AMPLITUDE)], tmp_path)
    same = [tile for tile, _ in read_tile_list(path, side=SIDE, model_kind=SAME_TRACK)]
    assert same[0].kind == SAME_TRACK and same[0].first.dtype == np.complex64
    assert np.array_equal(same[0].first, pre) and np.array_equal(same[0].second, post)
    assert same[1].kind == AMPLITUDE and same[1].first is None  # not what the model takes: unread
    amplitude = [tile for tile, _ in read_tile_list(path, side=SIDE)]
    assert amplitude[0].first is None and amplitude[1].first is not None


def test_a_same_track_file_of_another_type_or_rank_is_refused_on_its_header(tmp_path: Path) -> None:
    from quakesat.runtime.tile_file import read_image

    np.save(tmp_path / "f4.npy", np.ones((SIDE, SIDE, 2), np.float32))
    np.save(tmp_path / "c16.npy", np.ones((SIDE, SIDE), np.complex128))
    np.save(tmp_path / "c8_3d.npy", np.ones((SIDE, SIDE, 1), np.complex64))
    np.save(tmp_path / "c8.npy", np.ones((SIDE, SIDE), np.complex64))
    assert read_image(tmp_path / "f4.npy", kind=SAME_TRACK)[1].status == Status.BAD_DTYPE
    assert read_image(tmp_path / "c16.npy", kind=SAME_TRACK)[1].status == Status.BAD_DTYPE
    assert read_image(tmp_path / "c8_3d.npy", kind=SAME_TRACK)[1].status == Status.BAD_SHAPE
    assert read_image(tmp_path / "c8.npy", side=32, kind=SAME_TRACK)[1].status == Status.BAD_SHAPE
    image, check = read_image(tmp_path / "c8.npy", side=SIDE, kind=SAME_TRACK)
    assert check.status == Status.OK and image.dtype == np.complex64 and image.shape == (SIDE, SIDE)
    assert read_image(tmp_path / "c8.npy")[1].status == Status.BAD_DTYPE  # not an amplitude image
