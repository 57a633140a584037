"""The Python side of the same-track parity vectors (tests/vectors/runner_same_track/, written by
make_same_track_runner_vectors.py): the files the C++ runner tests read. Reading and the
same-track checks need numpy only (the hostile files are rebuilt from the committed first event
by the generator's own code and must be the committed ones); the messages and streams need the
ExecuTorch backend (the ``pte`` extra) and must be what the Python flight runtime gives."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from quakesat.ground.decode import decode
from quakesat.runtime.manifest import load_manifest
from quakesat.runtime.same_track import check_same_track_pair
from quakesat.runtime.status import Status
from quakesat.runtime.tile import SAME_TRACK
from quakesat.runtime.tile_file import read_image, read_tile_list

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
FOLDER = VECTORS / "runner_same_track"
TINY = VECTORS / "tiny_insar_model"


def _generator():
    spec = importlib.util.spec_from_file_location("make_same_track_runner_vectors",
                                                  VECTORS / "make_same_track_runner_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()


def expected(config: str) -> list[dict]:
    return [json.loads(line) for line in (FOLDER / f"expected_{config}.jsonl").read_text().splitlines()]


def tiles() -> list:
    """The list's tiles as `quakesat run --tiles` reads them for the same-track model."""
    manifest = load_manifest(TINY)
    return [tile for tile, _ in read_tile_list(FOLDER / "tiles.jsonl", side=manifest.input.raw_side,
                                               model_kind=manifest.input.kind)]


def test_the_model_takes_same_track_pairs() -> None:
    manifest = load_manifest(TINY)
    assert manifest.input.kind == SAME_TRACK and manifest.input.raw_side == GENERATOR.SIDE
    assert manifest.preprocess.looks == GENERATOR.LOOKS and manifest.gate.statistic == "none"


def test_every_tile_is_read_and_checked_with_the_status_it_deserves() -> None:
    side = load_manifest(TINY).input.raw_side
    stopped = set()
    listed = tiles()
    assert len(listed) == len(expected("manifest")) <= 40
    for tile, want in zip(listed, expected("manifest"), strict=True):
        if tile.read_check is not None and tile.read_check.status != Status.OK:
            stopped.add(want["name"])
            assert tile.read_check.status.code_name == want["status"], want["name"]
        elif tile.kind != SAME_TRACK:  # an amplitude line: refused unread
            stopped.add(want["name"])
            assert tile.first is None and want["status"] == "wrong_kind", want["name"]
        else:
            pair = check_same_track_pair(tile.first, tile.second, side)
            if not pair.processable:
                stopped.add(want["name"])
                assert pair.status.code_name == want["status"], want["name"]
    assert {"all_nodata", "mostly_nodata", "lost_in_either", "non_finite", "all_zero", "constant", "out_of_range",
            "float32_file", "complex128_file", "big_endian_file", "three_dimensional_file", "wrong_side",
            "truncated_file", "missing_file", "amplitude_line", "amplitude_line_missing_files", "unknown_kind",
            "broken_list_line"} <= stopped


def test_the_file_contract_cases() -> None:
    def status(name: str) -> Status:
        return read_image(FOLDER / "tiles" / name, side=64, kind=SAME_TRACK)[1].status

    assert status("float32_file_post.npy") == Status.BAD_DTYPE
    assert status("complex128_file_pre.npy") == Status.BAD_DTYPE
    assert status("big_endian_file_post.npy") == Status.BAD_DTYPE
    assert status("three_dimensional_file_pre.npy") == Status.BAD_SHAPE
    assert status("wrong_side_post.npy") == Status.BAD_SHAPE
    assert status("truncated_file_post.npy") == Status.UNREADABLE
    image, check = read_image(FOLDER / "tiles" / "0_pre.npy", side=64, kind=SAME_TRACK)
    assert check.status == Status.OK and image.shape == (64, 64) and image.dtype == np.dtype("<c8")


def test_the_hostile_files_are_what_the_generator_makes_of_the_committed_first_event() -> None:
    """Every hostile tile's files are the generator's variants of tile 0 (the simulation is not
    run again: the real pairs are the committed ones)."""
    base = tiles()[0]
    lines = [json.loads(line) for line in (FOLDER / "tiles.jsonl").read_text().splitlines()
             if line.startswith('{"tile_id": ') and not line.startswith('{"tile_id": "')]
    by_id = {entry["tile_id"]: entry for entry in lines}
    names = [want["name"] for want in expected("manifest")]
    checked = 0
    for case in GENERATOR._hostile_cases(base):
        entry = by_id[names.index(case["name"])]
        assert entry.get("kind") == case["kind"], case["name"]
        assert entry["time"] == case.get("time", base.time) and entry["lat"] == case.get("lat", base.georef.center_lat)
        for side in ("pre", "post"):
            path = FOLDER / entry[side]
            if case.get(f"missing_{side}") or (side == "post" and case.get("missing")):
                assert not path.exists(), case["name"]
            elif isinstance(case[side], bytes):
                assert path.stat().st_size == 128 + 100, case["name"]
            else:
                stored = np.load(path)
                assert stored.dtype == case[side].dtype and stored.shape == case[side].shape, case["name"]
                assert stored.tobytes() == np.ascontiguousarray(case[side]).tobytes(), case["name"]
                checked += 1
    assert checked >= 30


@pytest.mark.parametrize("config", sorted(GENERATOR.CONFIGS))
def test_the_python_runtime_on_the_pte_program_gives_the_committed_messages(config: str) -> None:
    pytest.importorskip("executorch")
    from quakesat.export import executorch_backend  # noqa: F401 - registers the .pte backend
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig

    runtime = FlightRuntime.open(TINY, GENERATOR.ARTIFACT,
                                 RuntimeConfig(health_every=0, **GENERATOR.CONFIGS[config]))
    assert runtime.model is not None, runtime.fault
    got = [runtime.process(tile).message.hex() for tile in tiles()]
    assert got == [want["message"] for want in expected(config)]
    reports = {want["name"]: decode(bytes.fromhex(want["message"])) for want in expected(config)}
    # Real events are flagged; nothing is flagged without coherence, and coherence is judged
    # after the georeference and time.
    assert any(r.event for name, r in reports.items() if name.startswith("event_"))
    assert reports["independent"].status == Status.NO_COHERENCE and not reports["independent"].event
    assert all(reports[name].status == Status.NO_COHERENCE for name in reports if name.startswith("incoherent_"))
    assert reports["independent_bad_latitude"].status == Status.BAD_GEOREFERENCE
    assert reports["independent_bad_time"].status == Status.BAD_TIME
    assert reports["amplitude_line"].status == reports["amplitude_line_missing_files"].status == Status.WRONG_KIND
    # Located by the head when asked, else at the tile centre (the manifest says centre).
    flagged = [r for r in reports.values() if r.event]
    assert flagged and all(r.located == (config == "head") for r in flagged)


@pytest.mark.parametrize("name", list(GENERATOR.STREAMS))
def test_quakesat_run_writes_the_committed_streams(name: str) -> None:
    pytest.importorskip("executorch")
    from quakesat.export import executorch_backend  # noqa: F401 - registers the .pte backend
    from quakesat.ground.run import one_contact
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig

    want = next(line for line in map(json.loads, (FOLDER / "expected_streams.jsonl").read_text().splitlines())
                if line["name"] == name)
    settings = GENERATOR.STREAMS[name]
    assert {key: want[key] for key in settings} == settings and want["artifact"] == GENERATOR.ARTIFACT
    runtime = FlightRuntime.open(TINY, GENERATOR.ARTIFACT, RuntimeConfig(**settings))
    count, stream = one_contact(runtime, tiles())
    assert stream.hex() == want["stream"]
    assert count == want["tiles"] and len(stream) // 32 == want["messages"]
    assert runtime.queue.dropped_total == want["dropped"]
