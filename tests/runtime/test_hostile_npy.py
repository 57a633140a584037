"""The Python reader on the shared hostile ``.npy`` vectors (the C++ reader reads the same
files in cpp_runner/tests/test_core.cpp): each gives its expected status, nothing raises,
and no memory is taken for a file that cannot hold what its header promises."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from quakesat.runtime.tile import check_image
from quakesat.runtime.tile_file import parse_npy_header, read_image

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "hostile_npy"
CASES = [json.loads(line) for line in (VECTORS / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
CHECKS = [json.loads(line) for line in (VECTORS / "checks.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_hostile_file_gives_its_status(case) -> None:
    image, check = read_image(VECTORS / case["file"])
    assert check.status.code_name == case["status"], check.detail
    assert (image is None) == (case["status"] != "ok")


def test_a_huge_header_shape_takes_no_memory() -> None:
    tracemalloc.start()
    read_image(VECTORS / "huge_shape_small_file.npy")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000  # the header promises 80 GB; the file holds 512 bytes


def test_what_numpy_writes_is_inside_the_grammar(tmp_path) -> None:
    import numpy as np

    for shape in ((8, 8, 2), (512, 512, 2), (1, 2), ()):
        path = tmp_path / "a.npy"
        np.save(path, np.zeros(shape, dtype="<f4"))
        data = path.read_bytes()
        length = int.from_bytes(data[8:10], "little")
        assert parse_npy_header(data[10:10 + length]) == ("<f4", False, shape)


@pytest.mark.parametrize("case", CHECKS, ids=[c["name"] for c in CHECKS])
def test_each_broken_image_gets_its_input_check_verdict(case) -> None:
    image, read = read_image(VECTORS / case["file"])
    assert read.status.code_name == "ok"
    check = check_image(image, 8)
    assert check.status.code_name == case["status"], check.detail
