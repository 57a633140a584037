"""Tests of the status enum (docs/downlink.md, "Status codes"): stable numbers, ranges, categories, and its doc table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quakesat.runtime.message import CATEGORY_FLAGS, NO_EVENT_CATEGORIES, Flag
from quakesat.runtime.status import (
    CATEGORY_RANGES,
    DESCRIPTIONS,
    RESERVED_RANGE,
    Status,
    StatusCategory,
    category_of,
    parse_status,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "downlink.md"

# The contract, written out once more by hand: renumbering a status breaks the downlink
# format and the C++ runner, so it must fail here too.
EXPECTED = {
    "OK": (0, StatusCategory.OK),
    "PARTIAL_NODATA": (1, StatusCategory.DEGRADED),
    "VALUES_CLIPPED": (2, StatusCategory.DEGRADED),
    "NO_GEOREFERENCE": (3, StatusCategory.DEGRADED),
    "ALL_NODATA": (32, StatusCategory.BAD_INPUT),
    "MOSTLY_NODATA": (33, StatusCategory.BAD_INPUT),
    "NON_FINITE": (34, StatusCategory.BAD_INPUT),
    "ALL_ZERO": (35, StatusCategory.BAD_INPUT),
    "CONSTANT": (36, StatusCategory.BAD_INPUT),
    "BAD_SHAPE": (37, StatusCategory.BAD_INPUT),
    "BAD_DTYPE": (38, StatusCategory.BAD_INPUT),
    "OUT_OF_RANGE": (39, StatusCategory.BAD_INPUT),
    "BAD_GEOREFERENCE": (40, StatusCategory.BAD_INPUT),
    "BAD_TIME": (41, StatusCategory.BAD_INPUT),
    "UNREADABLE": (42, StatusCategory.BAD_INPUT),
    "NO_COHERENCE": (43, StatusCategory.BAD_INPUT),
    "WRONG_KIND": (44, StatusCategory.BAD_INPUT),
    "QUEUE_OVERFLOW": (64, StatusCategory.RESOURCE),
    "DEADLINE_MISSED": (65, StatusCategory.RESOURCE),
    "OUT_OF_MEMORY": (66, StatusCategory.RESOURCE),
    "MODEL_MISSING": (96, StatusCategory.MODEL),
    "HASH_MISMATCH": (97, StatusCategory.MODEL),
    "MANIFEST_INVALID": (98, StatusCategory.MODEL),
    "BACKEND_ERROR": (99, StatusCategory.MODEL),
    "OUTPUT_INVALID": (100, StatusCategory.MODEL),
}


def test_members_numbers_and_categories_are_the_contract() -> None:
    assert {s.name: (int(s), s.category) for s in Status} == EXPECTED


def test_numbers_unique_and_fit_a_byte() -> None:
    values = [int(s) for s in Status.__members__.values()]  # aliases would show up here
    assert len(values) == len(set(values))
    assert all(0 <= v < RESERVED_RANGE[0] for v in values)


def test_ranges_tile_0_to_127_then_reserved() -> None:
    expected_low = 0
    for low, high, _ in CATEGORY_RANGES:
        assert low == expected_low and high >= low
        expected_low = high + 1
    assert expected_low == RESERVED_RANGE[0] and RESERVED_RANGE[1] == 255


@pytest.mark.parametrize("low,high,category", CATEGORY_RANGES, ids=lambda v: getattr(v, "name", ""))
def test_category_of_at_range_limits(low: int, high: int, category: StatusCategory) -> None:
    assert category_of(low) is category and category_of(high) is category
    if high < 127:
        assert category_of(high + 1) is not category


@pytest.mark.parametrize("code", [128, 255, -1, 256])
def test_category_of_rejects_reserved_and_out_of_byte(code: int) -> None:
    with pytest.raises(ValueError):
        category_of(code)


def test_every_status_has_a_one_line_description() -> None:
    assert set(DESCRIPTIONS) == set(Status)
    for status in Status:
        text = status.description
        assert text and "\n" not in text and text == text.strip()
        assert status.code_name == status.name.lower()


def test_category_implies_problem_flag() -> None:
    assert CATEGORY_FLAGS == {
        StatusCategory.OK: Flag(0),
        StatusCategory.DEGRADED: Flag.DEGRADED,
        StatusCategory.RESOURCE: Flag.DEGRADED,
        StatusCategory.BAD_INPUT: Flag.INPUT_INVALID,
        StatusCategory.MODEL: Flag.MODEL_ERROR,
    }
    assert NO_EVENT_CATEGORIES == {StatusCategory.BAD_INPUT, StatusCategory.MODEL}


def test_parse_status() -> None:
    assert parse_status("all_nodata") is Status.ALL_NODATA
    assert parse_status("ALL_NODATA") is Status.ALL_NODATA
    assert parse_status(99) is Status.BACKEND_ERROR
    assert parse_status(Status.OK) is Status.OK
    for bad in ("nope", 4, 128, True, 1.0, None):
        with pytest.raises(ValueError):
            parse_status(bad)  # type: ignore[arg-type]


def test_doc_status_table_matches_code() -> None:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index("<!-- table:status -->") + 3
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        code, name, category, description = (c.strip() for c in line.strip().strip("|").split("|"))
        rows.append((int(code), re.fullmatch(r"`(\w+)`", name).group(1), category, description))
    assert rows == [(int(s), s.name, s.category.value, s.description) for s in Status]
