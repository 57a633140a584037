"""The Python tile-list reader on the shared hostile lines (the C++ reader reads the same
file in cpp_runner/tests/test_core.cpp): each line gives its expected tile, nothing raises,
and one bad line never ends the file."""

from __future__ import annotations

import json
from pathlib import Path

from quakesat.runtime.status import Status
from quakesat.runtime.tile_file import read_tile_list

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "hostile_list"
EXPECTED = [json.loads(line) for line in (VECTORS / "expected.jsonl").read_text(encoding="utf-8").splitlines()]


def _as_read(tile) -> dict:
    status = "ok" if tile.read_check is None or tile.read_check.status == Status.OK else \
        tile.read_check.status.code_name
    integer_time = tile.time if isinstance(tile.time, int) and not isinstance(tile.time, bool) and tile.time >= 0 \
        else None
    place = tile.georef is not None
    return {"tile_id": tile.tile_id, "time": integer_time, "lat": tile.georef.center_lat if place else None,
            "lon": tile.georef.center_lon if place else None, "status": status, "kind": tile.kind}


def test_every_hostile_line_gives_its_expected_tile() -> None:
    got = [_as_read(tile) for tile, _ in read_tile_list(VECTORS / "tiles.jsonl")]
    assert len(got) == len(EXPECTED)
    for index, (have, want) in enumerate(zip(got, EXPECTED)):
        assert have == want, f"tile {index}"


def test_a_same_track_tile_is_not_read_as_amplitude_images() -> None:
    """Its files are never opened by the reader: no images, no read verdict, its kind carried."""
    same_track = [tile for tile, _ in read_tile_list(VECTORS / "tiles.jsonl") if tile.kind == "same_track"]
    assert len(same_track) >= 3
    assert all(tile.first is None and tile.second is None and tile.read_check is None for tile in same_track)
