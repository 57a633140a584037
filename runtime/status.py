"""The one status enum of quakesat: stable numeric codes grouped by range, with categories."""

from __future__ import annotations

from enum import Enum, IntEnum


class StatusCategory(Enum):
    """What a status means for the tile it is attached to; fixed by the code's range."""

    OK = "ok"
    DEGRADED = "degraded"
    BAD_INPUT = "bad_input"
    RESOURCE = "resource"
    MODEL = "model"


# Inclusive code ranges of each category (docs/downlink.md, "Status codes"). 128..255 is reserved: no status may be
# defined there until a new range is agreed, and decoders reject such codes.
CATEGORY_RANGES: tuple[tuple[int, int, StatusCategory], ...] = (
    (0, 0, StatusCategory.OK),
    (1, 31, StatusCategory.DEGRADED),
    (32, 63, StatusCategory.BAD_INPUT),
    (64, 95, StatusCategory.RESOURCE),
    (96, 127, StatusCategory.MODEL),
)
RESERVED_RANGE: tuple[int, int] = (128, 255)
STATUS_MAX: int = 255
"""Largest code a status may ever take: it travels in one unsigned byte of the downlink."""


class Status(IntEnum):
    """Outcome of processing one tile (or of the payload as a whole, in health reports).

    The numbers are part of the downlink format and of the C++ runner: never renumber a
    member, only add new ones inside the range of their category.
    """

    OK = 0
    # 1..31 degraded: the tile was processed and the result is usable with care.
    PARTIAL_NODATA = 1
    VALUES_CLIPPED = 2
    NO_GEOREFERENCE = 3
    # 32..63 bad input: the tile was not processed; an event may never be flagged.
    ALL_NODATA = 32
    MOSTLY_NODATA = 33
    NON_FINITE = 34
    ALL_ZERO = 35
    CONSTANT = 36
    BAD_SHAPE = 37
    BAD_DTYPE = 38
    OUT_OF_RANGE = 39
    BAD_GEOREFERENCE = 40
    BAD_TIME = 41
    UNREADABLE = 42
    NO_COHERENCE = 43
    WRONG_KIND = 44
    # 64..95 resource: the payload runs in degraded operation.
    QUEUE_OVERFLOW = 64
    DEADLINE_MISSED = 65
    OUT_OF_MEMORY = 66
    # 96..127 model: the model could not be trusted or run; no event may be flagged.
    MODEL_MISSING = 96
    HASH_MISMATCH = 97
    MANIFEST_INVALID = 98
    BACKEND_ERROR = 99
    OUTPUT_INVALID = 100

    @property
    def category(self) -> StatusCategory:
        """The category this status belongs to, from its numeric range."""
        return category_of(int(self))

    @property
    def description(self) -> str:
        """One-line human description of this status."""
        return DESCRIPTIONS[self]

    @property
    def code_name(self) -> str:
        """Lowercase name used in JSON, logs and the C++ ``to_string`` (e.g. ``all_nodata``)."""
        return self.name.lower()


DESCRIPTIONS: dict[Status, str] = {
    Status.OK: "tile processed normally",
    Status.PARTIAL_NODATA: "some pixels are no-data; the rest was processed",
    Status.VALUES_CLIPPED: "values outside the plausible sigma0 range were clipped",
    Status.NO_GEOREFERENCE: "the tile carries no georeference: processed, but the message has no position (0, 0)",
    Status.ALL_NODATA: "every pixel is no-data",
    Status.MOSTLY_NODATA: "too many pixels (of the tile or of one band) are no-data to process the tile",
    Status.NON_FINITE: "the tile holds infinite values",
    Status.ALL_ZERO: "every pixel is zero",
    Status.CONSTANT: "a stuck or filled product: most of a band is one value, or beyond the clip range",
    Status.BAD_SHAPE: "the tile does not have the expected shape",
    Status.BAD_DTYPE: "the tile does not have the expected data type",
    Status.OUT_OF_RANGE: "values lie outside the range the sensor can produce",
    Status.BAD_GEOREFERENCE: "the tile's georeference is invalid (off the globe, non-finite, or a spacing <= 0)",
    Status.BAD_TIME: "the acquisition time is missing or invalid",
    Status.UNREADABLE: "the tile could not be read",
    Status.NO_COHERENCE: "no coherence anywhere in the same-track pair: not co-registered, or decorrelated everywhere",
    Status.WRONG_KIND: "the tile is not of the kind the model takes (an amplitude pair or a same-track complex pair)",
    Status.QUEUE_OVERFLOW: "the downlink queue overflowed and messages were dropped",
    Status.DEADLINE_MISSED: "processing did not finish within its deadline",
    Status.OUT_OF_MEMORY: "not enough memory to process the tile",
    Status.MODEL_MISSING: "no deployed model was found",
    Status.HASH_MISMATCH: "the model file does not match the SHA-256 in its manifest",
    Status.MANIFEST_INVALID: "the model manifest is missing fields or inconsistent",
    Status.BACKEND_ERROR: "the inference backend failed",
    Status.OUTPUT_INVALID: "the model output is non-finite or outside its valid range",
}


def category_of(code: int) -> StatusCategory:
    """Return the category a numeric status code falls in, from its range alone.

    Args:
        code: a status code, defined or not (e.g. a byte read from a message).

    Returns:
        The category whose range holds ``code``.

    Raises:
        ValueError: if ``code`` lies in the reserved range 128..255 or outside 0..255.
    """
    for low, high, category in CATEGORY_RANGES:
        if low <= code <= high:
            return category
    low, high = RESERVED_RANGE
    if low <= code <= high:
        raise ValueError(f"status code {code} is in the reserved range {low}..{high}")
    raise ValueError(f"status code {code} is outside 0..{STATUS_MAX}")


def parse_status(value: int | str | Status) -> Status:
    """Return the :class:`Status` named or numbered by ``value``.

    Args:
        value: a Status, its number, or its name in any case (``"all_nodata"``).

    Returns:
        The matching Status member.

    Raises:
        ValueError: if no Status has that number or name.
    """
    if isinstance(value, Status):
        return value
    if isinstance(value, str):
        try:
            return Status[value.upper()]
        except KeyError:
            raise ValueError(f"unknown status name {value!r}") from None
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Status(value)
        except ValueError:
            raise ValueError(f"unknown status code {value}") from None
    raise ValueError(f"a status is a Status, an int or a name, not {type(value).__name__}")
