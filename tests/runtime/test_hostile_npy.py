"""The Python reader on the shared hostile ``.npy`` vectors (the C++ reader reads the same
files in cpp_runner/tests/test_core.cpp): each gives its expected status, nothing raises,
and no memory is taken for a file that cannot hold what its header promises."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from quakesat.runtime.preprocess import PreprocessConfig
from quakesat.runtime.status import Status
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
    for shape in ((8, 8, 2), (512, 512, 2), (1, 2), ()):
        path = tmp_path / "a.npy"
        np.save(path, np.zeros(shape, dtype="<f4"))
        data = path.read_bytes()
        length = int.from_bytes(data[8:10], "little")
        assert parse_npy_header(data[10:10 + length]) == ("<f4", False, shape)


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("case", CHECKS, ids=[c["name"] for c in CHECKS])
def test_each_broken_image_gets_its_input_check_verdict(case, version) -> None:
    image, read = read_image(VECTORS / case["file"])
    assert read.status.code_name == "ok"
    config = PreprocessConfig(units=case.get("units", "linear"), version=version)
    check = check_image(image, image.shape[0], config)
    assert check.status.code_name == case["status"], check.detail


def test_the_check_vectors_cover_the_fill_rules() -> None:
    names = {c["name"] for c in CHECKS}
    statuses = {c["status"] for c in CHECKS}
    assert len(CHECKS) >= 51 and {"ok", "constant", "all_nodata", "mostly_nodata", "out_of_range",
                                  "partial_nodata", "values_clipped"} <= statuses
    assert {"fill_exactly_half_16", "fill_half_plus_one_16", "fill_signed_zero_majority_16",
            "fill_snan_negative_scattered_64", "fill_signed_zero_majority_db_16"} <= names


def test_a_fill_is_found_wherever_its_strays_and_nodata_fall() -> None:
    """The fill rule is exact (more than half of a band's valid pixels one value), whatever the
    pairing certificate or the median fallback see: random layouts (no-data as quiet or
    signalling NaN) against a plain count."""
    rng = np.random.default_rng(26)
    for trial in range(300):
        side = int(rng.choice([4, 5, 8, 9, 16]))
        image = (0.05 * rng.gamma(4.4, 1 / 4.4, size=(side, side, 2))).astype(np.float32)
        band = int(rng.integers(2))
        plane = image[..., band].reshape(-1)
        value = np.float32(rng.choice([0.05, 0.0, 1e-3]))
        count = int(rng.integers(0, plane.size + 1))
        plane[rng.permutation(plane.size)[:count]] = value
        if value == 0:  # +0 and -0 are one value
            plane[np.flatnonzero(plane == 0)[::2]] = np.float32(-0.0)
        nodata = rng.permutation(plane.size)[:int(rng.integers(0, plane.size // 3))] if trial % 2 else []
        plane[nodata] = np.nan
        if trial % 4 == 1:  # no-data as signalling NaN
            plane.view(np.uint32)[nodata] = 0xFF800001
        image[..., band] = plane.reshape(side, side)
        valid = int(np.count_nonzero(np.isfinite(plane)))
        fill = int(np.count_nonzero(plane == value)) > 0.5 * valid
        check = check_image(image, side)
        if 1.0 - valid / plane.size > 0.5 or 1.0 - (valid + plane.size) / image.size > 0.5:
            continue  # mostly no-data comes first
        assert (check.status == Status.CONSTANT) == fill, (trial, side, count, valid, check.detail)
