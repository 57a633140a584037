"""The Python side of the Python/C++ parity vectors (tests/vectors/runner/): the same files the
C++ tests read. Reading, input checks, preprocessing and the decision path need numpy only;
the end-to-end messages need the ExecuTorch backend (the ``pte`` extra)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from quakesat.ground.decode import decode
from quakesat.runtime.change import locate_pixel
from quakesat.runtime.decision import DecisionRule
from quakesat.runtime.flight import judge_heads
from quakesat.runtime.manifest import load_manifest
from quakesat.runtime.message import TileReport, encode
from quakesat.runtime.preprocess import preprocess_pair
from quakesat.runtime.status import Status, StatusCategory
from quakesat.runtime.tile import Georef, check_pair, pixel_to_latlon
from quakesat.runtime.tile_file import read_image, read_tile_list

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
RUNNER = VECTORS / "runner"
TINY = VECTORS / "tiny_model"


def expected(config: str) -> list[dict]:
    return [json.loads(line) for line in (RUNNER / f"expected_{config}.jsonl").read_text().splitlines()]


def tiles() -> list:
    return [tile for tile, _ in read_tile_list(RUNNER / "tiles.jsonl")]


def test_every_tile_is_read_with_the_status_its_file_deserves() -> None:
    manifest = load_manifest(TINY)
    config = manifest.preprocess
    side = manifest.input.raw_side
    stopped = 0
    for tile, want in zip(tiles(), expected("manifest"), strict=True):
        if tile.kind != manifest.input.kind:  # a same-track pair: refused unread, whatever its files hold
            stopped += 1
            assert tile.first is None and tile.read_check is None and want["status"] == "wrong_kind", want["name"]
            continue
        if tile.read_check is not None:
            stopped += 1
            assert tile.read_check.status.code_name == want["status"], want["name"]
            continue
        pair = check_pair(tile.first, tile.second, side, config)
        if not pair.processable:
            stopped += 1
            assert pair.status.code_name == want["status"], want["name"]
    assert stopped >= 13  # every bad-input and malformed-file case is there
    assert any(tile.kind == "same_track" for tile in tiles())


def test_the_file_contract_cases() -> None:
    assert read_image(RUNNER / "tiles" / "float64_file_post.npy")[1].status == Status.BAD_DTYPE
    assert read_image(RUNNER / "tiles" / "three_bands_pre.npy")[1].status == Status.BAD_SHAPE
    assert read_image(RUNNER / "tiles" / "truncated_file_post.npy")[1].status == Status.UNREADABLE
    assert read_image(RUNNER / "tiles" / "nowhere.npy")[1].status == Status.UNREADABLE
    image, check = read_image(RUNNER / "tiles" / "event_0_pre.npy")
    assert check.status == Status.OK and image.shape == (64, 64, 2) and image.dtype == np.dtype("<f4")


def test_preprocessing_reproduces_the_committed_outputs_bit_for_bit() -> None:
    config = load_manifest(TINY).preprocess
    checked = 0
    for tile, want in zip(tiles(), expected("manifest")):
        if "preprocessed" in want:
            reference = np.load(RUNNER / want["preprocessed"])
            assert np.array_equal(preprocess_pair(tile.first, tile.second, config), reference), want["name"]
            checked += 1
    assert checked >= 8


def test_golden_decisions_reproduce_their_message_bytes() -> None:
    lines = [json.loads(line) for line in (RUNNER / "decisions.jsonl").read_text().splitlines()]
    for item in lines:
        h = item["heads"]
        heads = {"event": np.array([float(h["event"])], np.float32),
                 "magnitude": np.array([float(h["magnitude"])], np.float32),
                 "location": np.array([h["location"]], np.float32)}
        rule = DecisionRule(**item["decision"], magnitude_given_event=item["magnitude_given_event"],
                            magnitude_informative=item["magnitude_informative"])
        event, magnitude, confidence, problem = judge_heads(heads, rule)
        t = item["tile"]
        georef = Georef(t["lat"], t["lon"], t["pixel_spacing_m"])
        pixel, _ = locate_pixel(item["locate"], heads, None, None, t["side"]) if event else (None, "centre")
        lat, lon = pixel_to_latlon(georef, *pixel, t["side"]) if pixel else (georef.center_lat, georef.center_lon)
        status = Status.OUTPUT_INVALID if problem else Status(item["status"])
        report = TileReport(seq=item["seq"], tile_id=t["tile_id"], time=t["time"], lat=lat, lon=lon,
                            magnitude=magnitude, confidence=confidence, model_id=item["model_id"], status=status,
                            event=event, located=pixel is not None)
        assert encode(report).hex() == item["message"]
    statuses = [decode(bytes.fromhex(item["message"])).status for item in lines]
    assert Status.OUTPUT_INVALID in statuses and any(decode(bytes.fromhex(i["message"])).event for i in lines)
    assert any(math.isnan(float(item["heads"]["event"])) for item in lines)
    uninformative_events = [decode(bytes.fromhex(i["message"])) for i in lines if not i["magnitude_informative"]]
    assert any(m.event for m in uninformative_events) and all(m.magnitude == 0 for m in uninformative_events)


@pytest.mark.parametrize("config", ["manifest", "nogate_head"])
def test_the_python_runtime_on_the_pte_program_gives_the_committed_messages(config: str) -> None:
    pytest.importorskip("executorch")
    from quakesat.export import executorch_backend  # noqa: F401 - registers the .pte backend
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig

    settings = {"manifest": {"gate": "manifest", "locate": "auto"}, "nogate_head": {"gate": "off", "locate": "head"}}
    runtime = FlightRuntime.open(TINY, "pte-int8", RuntimeConfig(health_every=0, **settings[config]))
    got = [runtime.process(tile).message.hex() for tile in tiles()]
    assert got == [want["message"] for want in expected(config)]
    reports = [decode(bytes.fromhex(h)) for h in got]
    assert any(r.event for r in reports) and any(r.status.category == StatusCategory.BAD_INPUT for r in reports)
    wrong_kind = [r for r in reports if r.status == Status.WRONG_KIND]  # the same-track pair, as a bad input is
    assert wrong_kind and all(not r.event and r.magnitude == 0 for r in wrong_kind)
    if config == "nogate_head":
        assert any(r.located for r in reports)
