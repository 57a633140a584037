"""Same-track tiles for the mission (mission/same_track_tiles.py): simulated from the plan with
the simulator's interferometric physics, independent of the worker count, carrying the event's
fringes, and flown through both runtimes by the onboard processors (tests/vectors/tiny_insar_model);
a tile of the wrong kind for the model is a clear error."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from quakesat.errors import ConfigError
from quakesat.mission.catalogue import Quake
from quakesat.mission.onboard import RUNNER, CppProcessor, PythonProcessor, open_processor, restamp
from quakesat.mission.same_track_tiles import SAME_TRACK_SIDE_PX, same_track_pair, simulate_same_track_tiles
from quakesat.mission.tiles import CHANGED, EVENT, UNCHANGED, PlannedTile, SimulatedTile, simulate_tiles, tile_km
from quakesat.runtime.message import encode
from quakesat.runtime.status import Status
from quakesat.runtime.tile import AMPLITUDE, SAME_TRACK, Georef, Tile

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
TINY_INSAR = VECTORS / "tiny_insar_model"  # takes 64 x 64 same-track pairs
TINY_AMPLITUDE = VECTORS / "tiny_model"
SIDE = 64  # the tiny model's raw side: small tiles keep the tests fast
PIXEL_M = 80.0
REPEAT_DAYS = 12
ORIGIN = 1_770_000_000
LOOK = ORIGIN + 5_400
#: A large shallow event: Mw 7 at 5 km.
QUAKE = Quake(0, "test", ORIGIN, 38.0, 13.0, 5.0, 7.0)


def event_tile(tile_id: int, seed: int, offset_m: tuple[float, float] = (0.0, 0.0), look: int = 0) -> PlannedTile:
    return PlannedTile(tile_id, LOOK, LOOK - REPEAT_DAYS * 86_400, 38.0, 13.0, EVENT, QUAKE.index, look, offset_m,
                       (seed, 2, QUAKE.index, look, 1, 1))


def free_tile(tile_id: int, k: int, kind: str = CHANGED) -> PlannedTile:
    when = LOOK + 600 * k
    return PlannedTile(tile_id, when, when - REPEAT_DAYS * 86_400, 30.0 + k, 10.0 + k, kind, seed=(7, 3, k + 1))


def plan() -> list[PlannedTile]:
    return [event_tile(1, 5), event_tile(2, 5, (5_120.0, 0.0)), event_tile(3, 5, (0.0, -5_120.0), look=1),
            free_tile(4, 0, CHANGED), free_tile(5, 1, UNCHANGED)]


def simulate(planned: list[PlannedTile], workers: int = 1, side: int = SIDE) -> list[SimulatedTile]:
    return list(simulate_same_track_tiles(planned, [QUAKE], side, PIXEL_M, REPEAT_DAYS, workers))


@pytest.fixture(scope="module")
def simulated() -> list[SimulatedTile]:
    return simulate(plan())


def fingerprint(tiles: list[SimulatedTile]) -> list[tuple]:
    return [(s.plan, s.tile.tile_id, s.tile.time, s.tile.georef, s.tile.kind, s.tile.first.tobytes(),
             s.tile.second.tobytes(), s.damaged_fraction, s.max_mmi, s.changes, s.coseismic_fringes) for s in tiles]


def test_the_tiles_are_same_track_pairs_of_the_planned_tiles(simulated) -> None:
    assert [s.plan for s in simulated] == plan()
    for s in simulated:
        tile = s.tile
        assert tile.kind == SAME_TRACK == s.kind
        assert (tile.tile_id, tile.time) == (s.plan.tile_id, s.plan.time)
        assert tile.georef == Georef(s.plan.lat, s.plan.lon, PIXEL_M)
        for image in (tile.first, tile.second):
            assert image.shape == (SIDE, SIDE) and image.dtype == np.complex64
            assert np.isfinite(image.view(np.float32)).all() and np.abs(image).max() > 0
        assert not np.array_equal(tile.first, tile.second)
        assert s.damaged_fraction == 0.0  # damage is not simulated in same-track tiles (module doc)
    events = [s for s in simulated if s.plan.kind == EVENT]
    assert all(s.coseismic_fringes > 1.0 and 1.0 <= s.max_mmi <= 10.0 for s in events)
    assert all(s.coseismic_fringes == 0.0 and s.max_mmi == 0.0 for s in simulated if s.plan.kind != EVENT)
    # simulate_tiles flies the same plan as same-track tiles when asked for that kind
    again = list(simulate_tiles(plan()[:2], [QUAKE], SIDE, PIXEL_M, REPEAT_DAYS, 1, kind=SAME_TRACK))
    assert fingerprint(again) == fingerprint(simulated[:2])
    with pytest.raises(ConfigError, match="tile kind"):
        simulate_tiles(plan(), [QUAKE], SIDE, PIXEL_M, REPEAT_DAYS, 1, kind="sar")


def test_the_tiles_do_not_depend_on_the_worker_count_or_the_run(simulated) -> None:
    assert fingerprint(simulate(plan(), workers=2)) == fingerprint(simulated)
    assert fingerprint(simulate(plan()[::-1])) == fingerprint(simulated[::-1])  # each tile from its own streams
    other = [replace(p, seed=(p.seed[0] + 1, *p.seed[1:])) for p in plan()[:1]]
    assert simulate(other)[0].tile.first.tobytes() != simulated[0].tile.first.tobytes()


def test_an_event_tile_is_the_simulators_own_event_pair(simulated) -> None:
    """The tile's pair is what simulate_patch_pairs (the detection-ceiling study) makes from the same
    streams: no physics of its own."""
    from quakesat.simulator.events import event_at
    from quakesat.simulator.insar.dislocation import draw_rake
    from quakesat.simulator.insar.pair import draw_track
    from quakesat.simulator.insar.study import simulate_patch_pairs

    planned = plan()[1]
    event_rng = np.random.default_rng([planned.seed[0], 4, QUAKE.index])
    event = event_at(event_rng, QUAKE.mb, QUAKE.mw, QUAKE.depth_km, QUAKE.latitude, QUAKE.longitude, QUAKE.origin,
                     REPEAT_DAYS)
    rake = draw_rake(event_rng)
    track = draw_track(np.random.default_rng([planned.seed[0], 4, QUAKE.index, planned.look + 1]))
    streams = tuple(np.random.default_rng([*planned.seed, tag]) for tag in (1, 2, 3))
    study = simulate_patch_pairs(event, rake, planned.offset_m, {"pre": planned.pre_time, "post": planned.time}, track,
                                 SIDE * PIXEL_M, SIDE, streams, free_pair=False)
    assert study.event_pair[0].tobytes() == simulated[1].tile.first.tobytes()
    assert study.event_pair[1].tobytes() == simulated[1].tile.second.tobytes()
    # the helper with no source is the event-free pair of the same scene and streams
    made = same_track_pair(*(np.random.default_rng([*planned.seed, tag]) for tag in (1, 2)), event.region, None,
                           planned.offset_m, {"pre": planned.pre_time, "post": planned.time}, track, SIDE, PIXEL_M)
    assert made.pairs["event"].coseismic_fringes == 0.0 and made.images["pre"].tobytes() == study.event_pair[0].tobytes()


def phase_gradient(pre: np.ndarray, post: np.ndarray, looks: int = 4, window: int = 5) -> float:
    """Mean local fringe rate of the interferogram, rad per multilooked cell, over both axes:
    ``looks x looks`` cells, neighbour products averaged over ``window x window`` cells and
    weighted by their magnitude (decorrelated cells count little)."""
    from scipy import ndimage

    z = post.astype(np.complex128) * np.conj(pre.astype(np.complex128))
    cells = z.shape[0] // looks
    m = z[:cells * looks, :cells * looks].reshape(cells, looks, cells, looks).sum(axis=(1, 3))
    total = 0.0
    for product in (m[:, 1:] * np.conj(m[:, :-1]), m[1:, :] * np.conj(m[:-1, :])):
        g = ndimage.uniform_filter(product.real, window) + 1j * ndimage.uniform_filter(product.imag, window)
        total += float((np.abs(np.angle(g)) * np.abs(g)).sum() / np.abs(g).sum())
    return total


def test_tiles_at_a_large_shallow_event_show_its_fringes() -> None:
    """Physics sanity, generous margin: at the epicentre of an Mw 7 at 5 km the interferograms'
    fringe rate is several times that of event-free pairs (these seeds: 2.0 vs 0.5 rad per cell;
    3.0 vs 0.5 on 8 others); the simulator's truth says the same."""
    events = simulate([event_tile(k + 1, 100 + k) for k in range(6)], workers=2)
    free = simulate([free_tile(10 + k, k, (CHANGED, UNCHANGED)[k % 2]) for k in range(6)], workers=2)
    event_rate = np.mean([phase_gradient(s.tile.first, s.tile.second) for s in events])
    free_rate = np.mean([phase_gradient(s.tile.first, s.tile.second) for s in free])
    assert event_rate > 2.0 * free_rate, (event_rate, free_rate)
    # the truth: every tile holds some of it (a fault's orientation can leave little in the line of
    # sight at the epicentre), most hold tens of fringes
    assert min(s.coseismic_fringes for s in events) > 0.5 and np.mean([s.coseismic_fringes for s in events]) > 10.0
    # farther from the event, fewer fringes (the same fault: one event stream)
    near, far = simulate([event_tile(1, 101), event_tile(2, 101, (40_000.0, 40_000.0))])
    assert far.coseismic_fringes < 0.25 * near.coseismic_fringes


def test_the_python_processor_flies_same_track_tiles(simulated) -> None:
    pytest.importorskip("onnxruntime")
    processor = open_processor("python", TINY_INSAR, None, "manifest")
    info = processor.info
    assert isinstance(processor, PythonProcessor)
    assert (info.kind, info.raw_side, info.pixel_spacing_m, info.runtime) == (SAME_TRACK, SIDE, PIXEL_M, "python")
    assert info.tile_km == pytest.approx(tile_km(SIDE, PIXEL_M)) == pytest.approx(5.12)
    out = list(processor.run(simulated))
    assert [s for s, _ in out] == simulated
    for s, report in out:
        assert report.status == Status.OK and report.tile_id == s.plan.tile_id and report.time == s.plan.time
        assert report.model_id == info.model_id and not report.gated  # no change gate for same-track pairs


def test_the_default_same_track_side_is_the_kits() -> None:
    from quakesat.runtime.manifest import load_manifest

    assert SAME_TRACK_SIDE_PX * PIXEL_M == 20_480.0
    demo = Path(__file__).resolve().parents[2] / "out" / "demo" / "artifacts" / "quakelite-insar"
    if (demo / "manifest.json").is_file():
        assert load_manifest(demo).input.raw_side == SAME_TRACK_SIDE_PX


def test_a_tile_of_the_other_kind_is_a_clear_error(simulated) -> None:
    pytest.importorskip("onnxruntime")
    amplitude = SimulatedTile(plan()[3], Tile(4, LOOK, np.ones((SIDE, SIDE, 2), np.float32),
                                              np.ones((SIDE, SIDE, 2), np.float32), Georef(30.0, 10.0)), 0.0, 0.0, "")
    insar = open_processor("python", TINY_INSAR, None, "manifest")
    with pytest.raises(ConfigError, match="amplitude pair.*takes same_track pairs"):
        list(insar.run([simulated[0], amplitude]))
    plain = open_processor("python", TINY_AMPLITUDE, None, "manifest")
    assert (plain.info.kind, plain.info.pixel_spacing_m) == (AMPLITUDE, 10.0)
    with pytest.raises(ConfigError, match="same_track pair.*takes amplitude pairs"):
        list(plain.run(simulated[:1]))
    if RUNNER.is_file():
        cpp = CppProcessor(TINY_AMPLITUDE, None, "manifest")
        assert cpp.info.kind == AMPLITUDE
        with pytest.raises(ConfigError, match="same_track pair.*takes amplitude pairs"):
            list(cpp.run(simulated[:1]))


@pytest.mark.skipif(not RUNNER.is_file(), reason="the C++ runner is not built (bash scripts/build_native.sh)")
def test_the_cpp_runner_gives_the_python_runtimes_reports(simulated) -> None:
    pytest.importorskip("quakesat.export.executorch_backend")  # the Python runtime's .pte backend (torch)
    cpp = CppProcessor(TINY_INSAR, None, "manifest", batch=3)  # two batches
    assert (cpp.info.kind, cpp.info.raw_side, cpp.info.pixel_spacing_m) == (SAME_TRACK, SIDE, PIXEL_M)
    python = PythonProcessor(TINY_INSAR, cpp.info.artifact, "manifest")
    assert python.info.model_id == cpp.info.model_id
    ours = [encode(restamp(report, k)) for k, (_, report) in enumerate(python.run(simulated))]
    theirs = [encode(restamp(report, k)) for k, (_, report) in enumerate(cpp.run(simulated))]
    assert len(theirs) == len(simulated) and theirs == ours
