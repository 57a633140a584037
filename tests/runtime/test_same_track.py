"""The same-track pair's input checks (runtime/same_track.py) and their shared hostile vectors
(tests/vectors/hostile_complex), which ctest runs through the C++ twin."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from quakesat.runtime.same_track import (
    MIN_COHERENT_SHARE,
    check_coherence,
    check_same_track_image,
    check_same_track_pair,
    coherent_level,
)
from quakesat.runtime.status import Status

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
FOLDER = VECTORS / "hostile_complex"


def _generator():
    spec = importlib.util.spec_from_file_location("make_hostile_complex", VECTORS / "make_hostile_complex.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _cases() -> list[dict]:
    return [json.loads(line) for line in (FOLDER / "checks.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_committed_verdict_is_what_python_gives_today() -> None:
    generator = _generator()
    cases = _cases()
    assert len(cases) >= 20
    for case in cases:
        pre, post = np.load(FOLDER / case["pre"]), np.load(FOLDER / case["post"])
        assert generator.verdict(pre, post, case["side"], case["looks"]) == case["status"], case["name"]


def test_the_vectors_hold_every_verdict_the_checks_can_give() -> None:
    seen = {case["status"] for case in _cases()}
    assert seen == {"ok", "no_coherence", "partial_nodata", "mostly_nodata", "all_nodata", "non_finite", "all_zero",
                    "constant", "out_of_range", "bad_dtype", "bad_shape"}


def test_the_generator_writes_the_committed_images() -> None:
    made = _generator().cases()
    assert [name for name, *_ in made] == [case["name"] for case in _cases()]
    for (name, pre, post), case in zip(made, _cases()):
        for array, key in ((pre, "pre"), (post, "post")):
            stored = np.load(FOLDER / case[key])
            assert stored.dtype == array.dtype and np.array_equal(stored, array, equal_nan=True), name


def test_a_complex128_image_is_rounded_and_checked_like_complex64() -> None:
    rng = np.random.default_rng(0)
    image = (rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))) * 0.1
    assert check_same_track_image(image, 8).status == Status.OK
    assert check_same_track_image(image.astype(np.complex64), 8).status == Status.OK
    assert check_same_track_image(image.real, 8).status == Status.BAD_DTYPE
    assert check_same_track_image([[1j]], 1).status == Status.BAD_DTYPE


def test_a_bad_image_is_named_in_the_pairs_detail() -> None:
    rng = np.random.default_rng(1)
    good = (0.1 * (rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4)))).astype(np.complex64)
    bad = good.copy()
    bad[1, 1] = complex(np.inf, 0)
    check = check_same_track_pair(good, bad, 4)
    assert check.status == Status.NON_FINITE and check.detail.startswith("post image:")


@pytest.mark.parametrize("looks, expected", [(1, 1.0), (2, 1.0), (4, 3 * math.sqrt(math.pi / 64)),
                                             (8, 3 * math.sqrt(math.pi / 256))])
def test_the_coherent_level_is_three_times_the_zero_coherence_bias(looks: int, expected: float) -> None:
    assert coherent_level(looks) == pytest.approx(expected)


def test_no_coherence_needs_fewer_than_one_percent_of_coherent_cells() -> None:
    level = np.float32(coherent_level(8))
    cells = np.zeros((32, 32), np.float32)
    needed = math.ceil(MIN_COHERENT_SHARE * cells.size)  # 11 of 1024
    cells.reshape(-1)[: needed - 1] = level
    assert check_coherence(cells, 8).status == Status.NO_COHERENCE
    cells.reshape(-1)[needed - 1] = level
    assert check_coherence(cells, 8).status == Status.OK
