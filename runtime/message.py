"""The flight side of the downlink: the 32-byte message layout and its encoder.

One message is a CCSDS space packet (CCSDS 133.0-B-2 primary header, 6 bytes) carrying a tile
report or a health report, closed by a CRC-16/CCITT-FALSE (docs/downlink.md has the byte
table). This module owns the layout (:data:`FIELDS`), the constants, the report types and
:func:`encode`; the ground decoder is :mod:`quakesat.ground.decode`. The C++ runner's codec
(``cpp_runner/src/message.cpp``) is checked against the same constants through
``tests/vectors/flight_constants.json``. Standard library only.
"""

from __future__ import annotations

import binascii
import numbers
import operator
import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Any

from quakesat.errors import MessageFieldError
from quakesat.runtime.status import Status, StatusCategory

# ─── constants (docs/downlink.md and the golden vectors are tested against these) ───────
APID = 0x2C1
"""Application process id of quakesat's downlink (CCSDS 133.0-B-2 primary header, 11 bits)."""
MESSAGE_VERSION = 1
"""Message format version, the high nibble of byte 6; decoders reject any other."""
MESSAGE_LENGTH = 32
"""Every message is exactly this many bytes, header and CRC included (the budget of docs/downlink.md)."""
PRIMARY_HEADER_LENGTH = 6
"""CCSDS space packet primary header length in bytes."""
CRC_LENGTH = 2
PACKET_DATA_LENGTH = MESSAGE_LENGTH - PRIMARY_HEADER_LENGTH - 1
"""Value of the CCSDS packet data length field: bytes after the primary header, minus one."""

CCSDS_VERSION = 0  # packet version number "000" (CCSDS 133.0-B-2 space packets)
PACKET_TYPE_TM = 0  # 0 = telemetry, 1 = telecommand
SEQ_FLAGS_UNSEGMENTED = 0b11
APID_MAX = 0x7FF
SEQ_COUNT_MAX = 0x3FFF  # 14-bit packet sequence count; wraps to 0 after this
U16_MAX = 0xFFFF
U32_MAX = 0xFFFF_FFFF

LATLON_SCALE = 10_000_000
"""Raw units per degree of latitude/longitude (1e-7 degree, about 1.1 cm at the equator)."""
LAT_RAW_MAX = 90 * LATLON_SCALE
LON_RAW_MAX = 180 * LATLON_SCALE
LAT_MAX = LAT_RAW_MAX / LATLON_SCALE
LON_MAX = LON_RAW_MAX / LATLON_SCALE
MAGNITUDE_SCALE = 100
"""Raw units per magnitude unit (mb)."""
MAGNITUDE_STEP = 1 / MAGNITUDE_SCALE
MAGNITUDE_RAW_MAX = U16_MAX
MAGNITUDE_MAX = MAGNITUDE_RAW_MAX / MAGNITUDE_SCALE
UNIT_SCALE = 255
"""Raw units of a [0, 1] fraction carried in one byte (confidence, queue fill)."""
DROPPED_MAX = U16_MAX
"""Health reports saturate the dropped-message count here instead of failing."""

CRC_INIT = 0xFFFF
CRC_POLY = 0x1021
CRC_CHECK = 0x29B1
"""CRC-16/CCITT-FALSE of b"123456789" (the catalogue check value)."""


@dataclass(frozen=True)
class Field:
    """One field of the byte layout.

    Attributes:
        name: field name (tile report meaning where the two kinds differ).
        offset: byte offset from the start of the message.
        fmt: struct format code, big-endian (``B``, ``H``, ``I``, ``i``).
        health_name: the field's name in a health report when it means something else there.
    """

    name: str
    offset: int
    fmt: str
    health_name: str | None = None

    @property
    def size(self) -> int:
        """Width of the field in bytes."""
        return struct.calcsize(">" + self.fmt)

    @property
    def type_name(self) -> str:
        """C-like type name (``u8``, ``u16``, ``u32``, ``i32``) used by the docs and C++."""
        return _TYPE_NAMES[self.fmt]


_TYPE_NAMES = {"B": "u8", "H": "u16", "I": "u32", "i": "i32"}

FIELDS: tuple[Field, ...] = (
    Field("packet_id", 0, "H"),  # version(3) type(1) secondary header flag(1) APID(11)
    Field("packet_sequence_control", 2, "H"),  # sequence flags(2) sequence count(14)
    Field("packet_data_length", 4, "H"),
    Field("version_kind", 6, "B"),  # message version (high nibble), kind (low nibble)
    Field("flags", 7, "B"),
    Field("reason", 8, "B"),
    Field("confidence", 9, "B", "queue_fill"),
    Field("tile_id", 10, "I", "tiles_processed"),
    Field("time", 14, "I"),
    Field("lat", 18, "i"),
    Field("lon", 22, "i"),
    Field("magnitude", 26, "H", "dropped"),
    Field("model_id", 28, "H"),
    Field("crc", 30, "H"),
)
"""The single source of the byte layout; docs/downlink.md and the C++ side are checked
against it."""

LAYOUT = struct.Struct(">" + "".join(f.fmt for f in FIELDS))
CRC_OFFSET = FIELDS[-1].offset


def check_layout(fields: tuple[Field, ...], layout: struct.Struct, length: int, what: str = "message") -> None:
    """Refuse a field table with gaps, overlaps, the wrong total length or the CRC not last."""
    offset = 0
    for field in fields:
        if field.offset != offset:
            raise RuntimeError(f"{what} field {field.name} at offset {field.offset}, expected {offset}")
        offset += field.size
    if offset != length or layout.size != length:
        raise RuntimeError(f"{what} field table spans {offset} bytes, expected {length}")
    if fields[-1].name != "crc" or fields[-1].offset != length - CRC_LENGTH:
        raise RuntimeError(f"the CRC must be the last {what} field")


check_layout(FIELDS, LAYOUT, MESSAGE_LENGTH)


class Kind(IntEnum):
    """Message kind, the low nibble of byte 6."""

    TILE_REPORT = 0
    HEALTH = 1


class Flag(IntFlag):
    """Bits of the flags byte (byte 7); bits 6 and 7 are reserved and must be zero."""

    EVENT = 1 << 0
    INPUT_INVALID = 1 << 1
    MODEL_ERROR = 1 << 2
    DEGRADED = 1 << 3
    GATED = 1 << 4
    LOCATED = 1 << 5


FLAG_DESCRIPTIONS: dict[Flag, str] = {
    Flag.EVENT: "an earthquake was detected in the tile",
    Flag.INPUT_INVALID: "the status is in the bad-input range",
    Flag.MODEL_ERROR: "the status is in the model range",
    Flag.DEGRADED: "the status is in the degraded or resource range",
    Flag.GATED: "the change gate found nothing changed and the network was skipped",
    Flag.LOCATED: "lat/lon is a location refined inside the tile, not the tile centre",
}
PROBLEM_FLAGS = Flag.INPUT_INVALID | Flag.MODEL_ERROR | Flag.DEGRADED
"""The flag bits fixed by the status category; the decoder checks they agree with it."""
TILE_ONLY_FLAGS = Flag.EVENT | Flag.GATED | Flag.LOCATED
"""Flag bits a health report never carries."""
RESERVED_FLAG_BITS = 0xFF & ~int(PROBLEM_FLAGS | TILE_ONLY_FLAGS)
"""Bits 6 and 7 of the flags byte: reserved, must be zero."""

CATEGORY_FLAGS: dict[StatusCategory, Flag] = {
    StatusCategory.OK: Flag(0),
    StatusCategory.DEGRADED: Flag.DEGRADED,
    StatusCategory.RESOURCE: Flag.DEGRADED,
    StatusCategory.BAD_INPUT: Flag.INPUT_INVALID,
    StatusCategory.MODEL: Flag.MODEL_ERROR,
}
"""The problem flag each status category sets."""
NO_EVENT_CATEGORIES = frozenset({StatusCategory.BAD_INPUT, StatusCategory.MODEL})
"""Categories whose tiles were not (or not trustworthily) processed: no event may be flagged."""



# ─── messages ───────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class TileReport:
    """What the payload says about one processed tile.

    Attributes:
        seq: CCSDS packet sequence count, 0..16383 (wraps).
        tile_id: tile identifier, u32.
        time: acquisition time, Unix UTC seconds, u32.
        lat: latitude in degrees (tile centre, or the refined location when ``located``).
        lon: longitude in degrees.
        magnitude: estimated body-wave magnitude (mb), 0..655.35 in 0.01 steps.
        confidence: detection confidence, 0..1 in 1/255 steps.
        model_id: first two bytes of the deployed model's SHA-256.
        status: outcome of processing the tile.
        event: an earthquake was detected (never with a bad-input or model status).
        gated: the change gate found nothing changed and skipped the network.
        located: lat/lon were refined inside the tile.
        apid: CCSDS application process id.
    """

    seq: int
    tile_id: int
    time: int
    lat: float
    lon: float
    magnitude: float
    confidence: float
    model_id: int
    status: Status = Status.OK
    event: bool = False
    gated: bool = False
    located: bool = False
    apid: int = APID


@dataclass(frozen=True)
class HealthReport:
    """Periodic payload health, carried in the tile report's fields (docs/downlink.md).

    Attributes:
        seq: CCSDS packet sequence count, 0..16383 (wraps).
        time: report time, Unix UTC seconds, u32.
        lat: sub-satellite latitude in degrees at report time.
        lon: sub-satellite longitude in degrees at report time.
        tiles_processed: tiles processed since boot, u32.
        dropped: messages dropped from the onboard queue since the previous health report
            (saturates at 65535 when encoded).
        queue_fill: fill level of the onboard downlink queue, 0..1 in 1/255 steps.
        model_id: first two bytes of the deployed model's SHA-256.
        status: payload status (e.g. QUEUE_OVERFLOW, MODEL_MISSING).
        apid: CCSDS application process id.
    """

    seq: int
    time: int
    lat: float
    lon: float
    tiles_processed: int
    dropped: int
    queue_fill: float
    model_id: int
    status: Status = Status.OK
    apid: int = APID


Message = TileReport | HealthReport


# ─── CRC ────────────────────────────────────────────────────────────────────────────────
def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor.

    Args:
        data: the bytes to checksum.

    Returns:
        The 16-bit CRC (``crc16(b"123456789") == 0x29B1``).
    """
    # binascii.crc_hqx is the unreflected 0x1021 CRC with a caller-given initial value.
    return binascii.crc_hqx(data, CRC_INIT)


# ─── encode ─────────────────────────────────────────────────────────────────────────────
def _int_field(name: str, value: Any, low: int, high: int) -> int:
    """Return ``value`` as an int after checking it lies in ``low..high``."""
    if isinstance(value, bool):
        raise MessageFieldError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise MessageFieldError(
            f"{name} must be an integer in {low}..{high}, got {value!r} ({type(value).__name__})"
        ) from None
    if not low <= number <= high:
        raise MessageFieldError(f"{name}={number} is outside its valid range {low}..{high}")
    return number


def _scaled_field(name: str, value: Any, low: float, high: float, scale: int) -> int:
    """Check a real ``value`` lies in ``[low, high]``; return round(value * scale), half to even."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise MessageFieldError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    if value != value:  # NaN, whatever its type
        raise MessageFieldError(f"{name} is NaN; valid range is [{low}, {high}]")
    if not low <= value <= high:
        raise MessageFieldError(f"{name}={value!r} is outside its valid range [{low}, {high}]")
    return round(float(value) * scale)


def _bool_field(name: str, value: Any) -> bool:
    """Accept Python and numpy booleans only: an int here is more likely a mistake."""
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", None) == "b":
        return bool(value)
    raise MessageFieldError(f"{name} must be a bool, got {value!r}")


def _status_field(value: Any) -> Status:
    """Return ``value`` as a defined Status."""
    if isinstance(value, Status):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Status(value)
        except ValueError:
            pass
    raise MessageFieldError(f"status must be a defined Status, got {value!r}")


def _header_words(apid: Any, seq: Any) -> tuple[int, int, int]:
    """The three 16-bit words of the CCSDS primary header."""
    apid = _int_field("apid", apid, 0, APID_MAX)
    seq = _int_field("seq", seq, 0, SEQ_COUNT_MAX)
    packet_id = (CCSDS_VERSION << 13) | (PACKET_TYPE_TM << 12) | (0 << 11) | apid
    sequence_control = (SEQ_FLAGS_UNSEGMENTED << 14) | seq
    return packet_id, sequence_control, PACKET_DATA_LENGTH


def encode(msg: TileReport | HealthReport) -> bytes:
    """Encode a tile or health report into one downlink message.

    Floats are quantized as ``round(value * scale)``: Python's round half to even on the
    IEEE-754 double product (C/C++: ``nearbyint`` in the default rounding mode, not
    ``lround``). Ranges are checked on the value before scaling.

    Args:
        msg: the report to encode.

    Returns:
        Exactly :data:`MESSAGE_LENGTH` bytes, CRC included.

    Raises:
        MessageFieldError: a field is out of its valid range, NaN, of the wrong type, or
            ``event`` is set on a bad-input or model status; the message names the field,
            its value and its valid range.
        TypeError: ``msg`` is neither a TileReport nor a HealthReport.
    """
    if isinstance(msg, TileReport):
        kind = Kind.TILE_REPORT
        status = _status_field(msg.status)
        event = _bool_field("event", msg.event)
        gated = _bool_field("gated", msg.gated)
        located = _bool_field("located", msg.located)
        if event and status.category in NO_EVENT_CATEGORIES:
            raise MessageFieldError(
                f"an event cannot be flagged on status {status.name} "
                f"({status.category.value}): the tile was not processed by a trusted model"
            )
        flags = CATEGORY_FLAGS[status.category]
        flags |= (Flag.EVENT if event else 0) | (Flag.GATED if gated else 0)
        flags |= Flag.LOCATED if located else 0
        unit = _scaled_field("confidence", msg.confidence, 0.0, 1.0, UNIT_SCALE)
        count = _int_field("tile_id", msg.tile_id, 0, U32_MAX)
        last = _scaled_field("magnitude", msg.magnitude, 0.0, MAGNITUDE_MAX, MAGNITUDE_SCALE)
    elif isinstance(msg, HealthReport):
        kind = Kind.HEALTH
        status = _status_field(msg.status)
        flags = CATEGORY_FLAGS[status.category]
        unit = _scaled_field("queue_fill", msg.queue_fill, 0.0, 1.0, UNIT_SCALE)
        count = _int_field("tiles_processed", msg.tiles_processed, 0, U32_MAX)
        dropped = msg.dropped
        if isinstance(dropped, bool):
            raise MessageFieldError(f"dropped must be an integer >= 0, got {dropped!r}")
        try:
            dropped = operator.index(dropped)
        except TypeError:
            raise MessageFieldError(f"dropped must be an integer >= 0, got {dropped!r}") from None
        if dropped < 0:
            raise MessageFieldError(
                f"dropped={dropped} is negative; valid range is 0.. (saturates at {DROPPED_MAX})"
            )
        last = min(dropped, DROPPED_MAX)
    else:
        raise TypeError(f"expected a TileReport or HealthReport, got {type(msg).__name__}")

    packet_id, sequence_control, data_length = _header_words(msg.apid, msg.seq)
    values = (
        packet_id,
        sequence_control,
        data_length,
        (MESSAGE_VERSION << 4) | kind,
        int(flags),
        int(status),
        unit,
        count,
        _int_field("time", msg.time, 0, U32_MAX),
        _scaled_field("lat", msg.lat, -LAT_MAX, LAT_MAX, LATLON_SCALE),
        _scaled_field("lon", msg.lon, -LON_MAX, LON_MAX, LATLON_SCALE),
        last,
        _int_field("model_id", msg.model_id, 0, U16_MAX),
        0,  # CRC placeholder
    )
    packet = bytearray(LAYOUT.pack(*values))
    struct.pack_into(">H", packet, CRC_OFFSET, crc16(bytes(packet[:CRC_OFFSET])))
    return bytes(packet)


def problem_flags(status: Status) -> Flag:
    """Return the problem flag bits a status implies (its category's flag).

    Args:
        status: a defined status.

    Returns:
        One of INPUT_INVALID, MODEL_ERROR, DEGRADED, or no bit for OK.
    """
    return CATEGORY_FLAGS[Status(status).category]


def model_id_from_sha256(hexdigest: str) -> int:
    """The model id a message carries: the first two bytes of the model's SHA-256.

    Args:
        hexdigest: the 64-character hex SHA-256 of the deployed model file.

    Returns:
        An int in 0..65535.

    Raises:
        MessageFieldError: ``hexdigest`` is not 64 hex characters.
    """
    text = hexdigest.strip() if isinstance(hexdigest, str) else ""
    if len(text) != 64 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise MessageFieldError(f"expected a 64-character hex SHA-256 digest, got {hexdigest!r}")
    return int(text[:4], 16)
