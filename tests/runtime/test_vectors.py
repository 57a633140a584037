"""The golden downlink vectors: reproducible from their seed, and decoded as recorded."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from quakesat.ground.decode import REJECT_REASONS, decode, to_json_dict
from quakesat.runtime.message import HealthReport, TileReport, encode
from quakesat.runtime.status import Status
from tests.downlink_helpers import VECTORS, assert_rejected_as, assert_vectors_fresh, generator, read_vectors

GEN = generator("make_downlink_vectors")
VALID = read_vectors(GEN.VALID_NAME)
INVALID = read_vectors(GEN.INVALID_NAME)


def test_committed_files_equal_a_fresh_generation(tmp_path: Path) -> None:
    assert_vectors_fresh(GEN, tmp_path)


def test_names_unique() -> None:
    names = [v["name"] for v in VALID + INVALID]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["name"])
def test_valid_vector(vector: dict) -> None:
    data = bytes.fromhex(vector["hex"])
    msg = decode(data)
    assert to_json_dict(msg) == vector["decoded"]
    assert encode(msg) == data
    assert encode(GEN.message_from_fields(vector["fields"])) == data


@pytest.mark.parametrize("vector", INVALID, ids=lambda v: v["name"])
def test_invalid_vector(vector: dict) -> None:
    assert_rejected_as(decode, vector)


def test_coverage_of_the_sets() -> None:
    messages = [GEN.message_from_fields(v["fields"]) for v in VALID]
    assert {type(msg) for msg in messages} == {TileReport, HealthReport}
    assert {msg.status for msg in messages} == set(Status)
    tiles = [msg for msg in messages if isinstance(msg, TileReport)]
    combos = {(t.event, t.gated, t.located) for t in tiles if t.event}
    assert {(True, False, False), (True, True, False), (True, False, True), (True, True, True)} <= combos
    decoded = [decode(bytes.fromhex(v["hex"])) for v in VALID]
    for name, values in {
        "seq": (0, 16383), "time": (0, 2**32 - 1), "lat": (-90.0, 90.0), "lon": (-180.0, 180.0),
        "model_id": (0, 65535),
    }.items():
        seen = {getattr(d, name) for d in decoded}
        assert set(values) <= seen, name
    assert {0.0, 655.35} <= {d.magnitude for d in decoded if isinstance(d, TileReport)}
    assert {0.0, 1.0} <= {d.confidence for d in decoded if isinstance(d, TileReport)}
    assert any(isinstance(msg, HealthReport) and msg.dropped > 65535 for msg in messages)
    # every reason that bytes can produce (all but not_bytes) has a vector
    assert {v["reason"] for v in INVALID} == set(REJECT_REASONS) - {"not_bytes"}


def test_the_shared_constants_file_is_what_the_python_side_says() -> None:
    """tests/vectors/flight_constants.json is checked against the C++ constants by ctest;
    here it is checked against the Python modules it is written from."""
    spec = importlib.util.spec_from_file_location("make_flight_constants", VECTORS / "make_flight_constants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (VECTORS / "flight_constants.json").read_text() == module.render(), (
        "stale: run python tests/vectors/make_flight_constants.py")
