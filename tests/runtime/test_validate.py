"""Every bad-input path becomes its status (never an exception), and good tiles pass."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quakesat.runtime.preprocess import PreprocessConfig
from quakesat.runtime.status import Status, StatusCategory
from quakesat.runtime.tile import MAX_CLIPPED, MAX_NODATA, check_image, check_pair

SIDE = 16


def good(seed: int = 0) -> np.ndarray:
    """Speckled linear sigma0 around -12 dB (VV) and -19 dB (VH), inside the clip range."""
    rng = np.random.default_rng(seed)
    levels = np.array([10 ** (-12 / 10), 10 ** (-19 / 10)], dtype=np.float32)
    return (levels * rng.gamma(4.4, 1 / 4.4, size=(SIDE, SIDE, 2))).astype(np.float32)


def with_values(index, value) -> np.ndarray:
    image = good()
    image[index] = value
    return image


CASES = [
    ("ints", good().astype(np.int32), Status.BAD_DTYPE),
    ("a list", good().tolist(), Status.BAD_DTYPE),
    ("None", None, Status.BAD_DTYPE),
    ("wrong side", np.zeros((SIDE, SIDE + 1, 2), np.float32) + 0.1, Status.BAD_SHAPE),
    ("three bands", np.ones((SIDE, SIDE, 3), np.float32), Status.BAD_SHAPE),
    ("one Inf", with_values((3, 4, 0), np.inf), Status.NON_FINITE),
    ("one -Inf", with_values((0, 0, 1), -np.inf), Status.NON_FINITE),
    ("all NaN", np.full((SIDE, SIDE, 2), np.nan, np.float32), Status.ALL_NODATA),
    ("mostly NaN", with_values((slice(0, 12),), np.nan), Status.MOSTLY_NODATA),
    ("zeros", np.zeros((SIDE, SIDE, 2), np.float32), Status.ALL_ZERO),
    ("zeros and NaN", with_values((slice(0, 8),), 0.0) * np.where(np.arange(SIDE)[:, None, None] < 8, 1, np.nan),
     Status.ALL_ZERO),
    ("constant", np.full((SIDE, SIDE, 2), 0.05, np.float32), Status.CONSTANT),
    ("negative", with_values((5, 5, 0), -0.01), Status.OUT_OF_RANGE),
    ("absurdly bright", with_values((5, 5, 1), 1e6), Status.OUT_OF_RANGE),
    ("a few NaN", with_values((0, slice(0, 4)), np.nan), Status.PARTIAL_NODATA),
    ("bright block", with_values((slice(0, 4), slice(0, 4)), 50.0), Status.VALUES_CLIPPED),
    ("good", good(), Status.OK),
]


@pytest.mark.parametrize("name, image, status", CASES, ids=[c[0] for c in CASES])
def test_each_bad_input_gets_its_status(name, image, status) -> None:
    check = check_image(image, SIDE)
    assert check.status == status, check.detail
    assert check.processable == (status.category in (StatusCategory.OK, StatusCategory.DEGRADED))
    assert (check.detail != "") == (status != Status.OK)


def test_limits_are_exclusive_and_configurable() -> None:
    half = with_values((slice(0, SIDE // 2),), np.nan)  # exactly MAX_NODATA
    assert MAX_NODATA == 0.5 and check_image(half, SIDE).status == Status.PARTIAL_NODATA
    assert check_image(half, SIDE, max_nodata=0.4).status == Status.MOSTLY_NODATA
    one_bright = with_values((0, 0, 0), 50.0)  # 1 of 512 values: under MAX_CLIPPED
    assert MAX_CLIPPED == 0.01 and check_image(one_bright, SIDE).status == Status.OK
    assert check_image(one_bright, SIDE, max_clipped=0.0).status == Status.VALUES_CLIPPED


def test_tiles_in_db_are_checked_in_db() -> None:
    in_db = (10 * np.log10(good())).astype(np.float32)  # negative values, valid in dB
    config = PreprocessConfig(units="db")
    assert check_image(in_db, SIDE, config).status == Status.OK
    assert check_image(in_db, SIDE).status == Status.OUT_OF_RANGE  # read as linear: impossible
    in_db[1, 1, 0] = 200.0  # +200 dB: no sensor produces it
    assert check_image(in_db, SIDE, config).status == Status.OUT_OF_RANGE


def test_pairs_report_the_worse_image_and_name_it() -> None:
    assert check_pair(good(1), good(2), SIDE).status == Status.OK
    degraded = with_values((0, 0), np.nan)
    bad = np.full((SIDE, SIDE, 2), np.nan, np.float32)
    check = check_pair(degraded, bad, SIDE)
    assert check.status == Status.ALL_NODATA and check.detail.startswith("second image")
    check = check_pair(good(), degraded, SIDE)
    assert check.status == Status.PARTIAL_NODATA and check.detail.startswith("second image")
    assert check_pair(good(), good()[:8], SIDE).status == Status.BAD_SHAPE


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(dtype=st.sampled_from([np.float32, np.float64, np.int16, np.uint8]),
                  shape=st.sampled_from([(SIDE, SIDE, 2), (SIDE, SIDE), (4, 4, 2), (SIDE, SIDE, 2, 1)])))
def test_any_array_gets_a_status_and_never_raises(image) -> None:
    check = check_image(image, SIDE)
    assert isinstance(check.status, Status)
