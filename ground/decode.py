"""The ground decoder of the downlink: bytes back into reports, checked, and their JSON view.

The flight side only encodes (:mod:`quakesat.runtime.message` owns the byte layout and the
encoder); everything that reads messages lives here: :func:`decode` validates one 32-byte
message and names the first failed check (:data:`REJECT_REASONS`, the same codes the golden
vectors and the C++ tests use), :func:`iter_stream` splits a binary stream, and
:func:`to_json_dict` is what ``quakesat decode`` prints. Standard library only.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterator
from typing import Any

from quakesat.errors import DecodeError
from quakesat.runtime.message import (
    APID,
    APID_MAX,
    CATEGORY_FLAGS,
    CCSDS_VERSION,
    CRC_OFFSET,
    FIELDS,
    LAT_RAW_MAX,
    LATLON_SCALE,
    LAYOUT,
    LON_RAW_MAX,
    MAGNITUDE_SCALE,
    MESSAGE_LENGTH,
    MESSAGE_VERSION,
    PACKET_DATA_LENGTH,
    PACKET_TYPE_TM,
    PROBLEM_FLAGS,
    RESERVED_FLAG_BITS,
    SEQ_COUNT_MAX,
    SEQ_FLAGS_UNSEGMENTED,
    TILE_ONLY_FLAGS,
    UNIT_SCALE,
    Flag,
    HealthReport,
    Kind,
    TileReport,
    crc16,
)
from quakesat.runtime.status import Status

PACKET_REJECT_REASONS: tuple[str, ...] = (
    "not_bytes",
    "bad_length",
    "crc_mismatch",
    "bad_ccsds_version",
    "not_telemetry",
    "secondary_header_set",
    "bad_apid",
    "bad_sequence_flags",
    "bad_data_length",
)
"""The reasons :func:`packet_fields` rejects with, in its order: every packet kind's first checks."""
REJECT_REASONS: tuple[str, ...] = (
    *PACKET_REJECT_REASONS,
    "unknown_version",
    "unknown_kind",
    "reserved_flags_set",
    "unknown_status",
    "flags_inconsistent",
    "event_on_error",
    "lat_out_of_range",
    "lon_out_of_range",
)
"""Every DecodeError reason :func:`decode` raises, in the order the checks run."""

# Plain-int views of the layout's enums, looked up once: the checks below compare ints, so a
# day's downlink (10^5 messages) decodes without building enum members per message.
_FIELD_NAMES = tuple(f.name for f in FIELDS)
_STATUS_BY_CODE: dict[int, Status] = {int(s): s for s in Status}
_KIND_BY_CODE: dict[int, Kind] = {int(k): k for k in Kind}
_IMPLIED_BITS: dict[Status, int] = {s: int(CATEGORY_FLAGS[s.category]) for s in Status}
_PROBLEM_BITS = int(PROBLEM_FLAGS)
_TILE_ONLY_BITS = int(TILE_ONLY_FLAGS)
_RESERVED_BITS = int(RESERVED_FLAG_BITS)
_ERROR_BITS = int(Flag.INPUT_INVALID | Flag.MODEL_ERROR)
_EVENT_BIT, _GATED_BIT, _LOCATED_BIT = int(Flag.EVENT), int(Flag.GATED), int(Flag.LOCATED)
_TILE_KIND_NAME, _HEALTH_KIND_NAME = Kind.TILE_REPORT.name.lower(), Kind.HEALTH.name.lower()


# ─── decode ─────────────────────────────────────────────────────────────────────────────
def _flag_names(flags: int) -> str:
    """Render flag bits for error details, e.g. ``EVENT|DEGRADED`` or ``none``."""
    names = [flag.name for flag in Flag if flags & flag and flag.name]
    return "|".join(names) if names else "none"


def packet_fields(data: Any, layout: Any, names: tuple[str, ...], crc_offset: int, apid: int,
                  packet_data_length: int) -> dict[str, int]:
    """The checks every quakesat packet passes before its own: bytes of ``layout.size``, the
    CRC over ``data[:crc_offset]``, then the CCSDS primary header (version 0, telemetry, no
    secondary header, ``apid``, unsegmented, ``packet_data_length``). Returns the unpacked
    fields by ``names``; raises :class:`DecodeError` with the first failed check's reason."""
    if isinstance(data, memoryview):
        data = data.tobytes()
    elif isinstance(data, bytearray):
        data = bytes(data)
    elif not isinstance(data, bytes):
        raise DecodeError("not_bytes", f"expected bytes, got {type(data).__name__}")
    if len(data) != layout.size:
        raise DecodeError("bad_length", f"got {len(data)} bytes, expected {layout.size}")

    raw = dict(zip(names, layout.unpack(data)))
    computed = crc16(data[:crc_offset])
    if raw["crc"] != computed:
        raise DecodeError("crc_mismatch", f"CRC 0x{raw['crc']:04x} != computed 0x{computed:04x}")

    packet_id = raw["packet_id"]
    if packet_id >> 13 != CCSDS_VERSION:
        raise DecodeError("bad_ccsds_version", f"packet version {packet_id >> 13}, expected 0")
    if (packet_id >> 12) & 1 != PACKET_TYPE_TM:
        raise DecodeError("not_telemetry", "packet type 1 (telecommand), expected 0 (telemetry)")
    if (packet_id >> 11) & 1:
        raise DecodeError("secondary_header_set", "secondary header flag 1, expected 0")
    packet_apid = packet_id & APID_MAX
    if packet_apid != apid:
        raise DecodeError("bad_apid", f"APID 0x{packet_apid:03x}, expected 0x{apid:03x}")
    seq_flags = raw["packet_sequence_control"] >> 14
    if seq_flags != SEQ_FLAGS_UNSEGMENTED:
        raise DecodeError("bad_sequence_flags", f"sequence flags 0b{seq_flags:02b}, expected 0b11")
    data_length = raw["packet_data_length"]
    if data_length != packet_data_length:
        raise DecodeError(
            "bad_data_length", f"packet data length {data_length}, expected {packet_data_length}"
        )
    return raw


def decode(data: bytes, *, apid: int = APID) -> TileReport | HealthReport:
    """Decode and validate one downlink message.

    Checks run in the order of :data:`REJECT_REASONS`; the first failure is raised. Decoded
    floats are the quantized values (``lat = raw / 1e7``, ``magnitude = raw / 100``,
    ``confidence = raw / 255``), so ``encode(decode(b)) == b`` for every valid ``b``.

    Args:
        data: exactly :data:`MESSAGE_LENGTH` bytes (bytes, bytearray or memoryview).
        apid: the APID to accept; the default is quakesat's own.

    Returns:
        A TileReport or a HealthReport, by the message's kind.

    Raises:
        DecodeError: the only exception raised, for any input; ``reason`` names the failed
            check and ``detail`` gives the values involved.
    """
    raw = packet_fields(data, LAYOUT, _FIELD_NAMES, CRC_OFFSET, apid, PACKET_DATA_LENGTH)
    version, kind_code = raw["version_kind"] >> 4, raw["version_kind"] & 0x0F
    if version != MESSAGE_VERSION:
        raise DecodeError(
            "unknown_version", f"message version {version}, this decoder reads {MESSAGE_VERSION}"
        )
    kind = _KIND_BY_CODE.get(kind_code)
    if kind is None:
        raise DecodeError("unknown_kind", f"kind {kind_code}, expected {[int(k) for k in Kind]}")

    flags = raw["flags"]
    if flags & _RESERVED_BITS:
        raise DecodeError(
            "reserved_flags_set", f"flags 0x{flags:02x} set reserved bits 0x{RESERVED_FLAG_BITS:02x}"
        )
    status = _STATUS_BY_CODE.get(raw["reason"])
    if status is None:
        raise DecodeError("unknown_status", f"reason code {raw['reason']} is not a defined Status")
    implied = _IMPLIED_BITS[status]
    problems = flags & _PROBLEM_BITS
    if problems != implied:
        raise DecodeError(
            "flags_inconsistent",
            f"problem flags {_flag_names(problems)} but status {status.name} "
            f"({status.category.value}) implies {_flag_names(implied)}",
        )
    if kind is Kind.HEALTH and flags & _TILE_ONLY_BITS:
        raise DecodeError(
            "flags_inconsistent",
            f"health report carries tile-only flags {_flag_names(flags & _TILE_ONLY_BITS)}",
        )
    if flags & _EVENT_BIT and problems & _ERROR_BITS:
        raise DecodeError(
            "event_on_error", f"EVENT flagged with {_flag_names(problems)} (status {status.name})"
        )
    if not -LAT_RAW_MAX <= raw["lat"] <= LAT_RAW_MAX:
        raise DecodeError(
            "lat_out_of_range", f"latitude {raw['lat']} x 1e-7 deg is outside ±{LAT_RAW_MAX}"
        )
    if not -LON_RAW_MAX <= raw["lon"] <= LON_RAW_MAX:
        raise DecodeError(
            "lon_out_of_range", f"longitude {raw['lon']} x 1e-7 deg is outside ±{LON_RAW_MAX}"
        )

    seq = raw["packet_sequence_control"] & SEQ_COUNT_MAX
    lat = raw["lat"] / LATLON_SCALE
    lon = raw["lon"] / LATLON_SCALE
    if kind is Kind.TILE_REPORT:
        return TileReport(
            seq=seq,
            tile_id=raw["tile_id"],
            time=raw["time"],
            lat=lat,
            lon=lon,
            magnitude=raw["magnitude"] / MAGNITUDE_SCALE,
            confidence=raw["confidence"] / UNIT_SCALE,
            model_id=raw["model_id"],
            status=status,
            event=bool(flags & _EVENT_BIT),
            gated=bool(flags & _GATED_BIT),
            located=bool(flags & _LOCATED_BIT),
            apid=apid,
        )
    return HealthReport(
        seq=seq,
        time=raw["time"],
        lat=lat,
        lon=lon,
        tiles_processed=raw["tile_id"],
        dropped=raw["magnitude"],
        queue_fill=raw["confidence"] / UNIT_SCALE,
        model_id=raw["model_id"],
        status=status,
        apid=apid,
    )


def iter_stream(
    data: bytes, *, apid: int = APID
) -> Iterator[tuple[int, TileReport | HealthReport | DecodeError]]:
    """Split a binary stream into consecutive messages and decode each one.

    The stream has no sync marker: messages are read back to back every
    :data:`MESSAGE_LENGTH` bytes, so a lost byte makes every following message fail its CRC.

    Args:
        data: concatenated messages.
        apid: the APID to accept.

    Yields:
        ``(byte offset, message)`` for valid messages and ``(byte offset, DecodeError)``
        (with ``offset`` set) for malformed ones; a trailing partial message yields a
        ``bad_length`` error. Never raises.
    """
    if isinstance(data, memoryview):
        data = data.tobytes()
    elif not isinstance(data, (bytes, bytearray)):
        yield 0, DecodeError("not_bytes", f"expected bytes, got {type(data).__name__}", offset=0)
        return
    for offset in range(0, len(data), MESSAGE_LENGTH):
        try:
            yield offset, decode(data[offset : offset + MESSAGE_LENGTH], apid=apid)
        except DecodeError as err:
            yield offset, DecodeError(err.reason, err.detail, offset=offset)


# ─── JSON view ────────────────────────────────────────────────────────────────
def _iso_utc(seconds: int) -> str:
    """Unix seconds (a message's u32 time) as ISO 8601 UTC with a ``Z`` suffix."""
    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(seconds))


#: Per status: the JSON ``status`` flag names its category implies, and the ``reason``.
_STATUS_VIEW: dict[Status, tuple[tuple[str, ...], str]] = {
    s: (tuple(flag.name.lower() for flag in Flag if flag & CATEGORY_FLAGS[s.category]), s.name.lower())
    for s in Status
}


def to_json_dict(msg: TileReport | HealthReport) -> dict[str, Any]:
    """The JSON object ``quakesat decode`` prints for one message.

    Floats are rounded only as far as their quantization step (lat/lon 7 decimals,
    magnitude 2, confidence and queue fill 4), so the output is stable.

    Args:
        msg: a decoded (or to-be-encoded) report.

    Returns:
        A dict of JSON-ready values; see docs/downlink.md for the keys.

    Raises:
        TypeError: ``msg`` is neither a TileReport nor a HealthReport.
    """
    if not isinstance(msg, (TileReport, HealthReport)):
        raise TypeError(f"expected a TileReport or HealthReport, got {type(msg).__name__}")
    flag_names, reason = _STATUS_VIEW[Status(msg.status)]
    out: dict[str, Any] = {
        "apid": msg.apid,
        "seq": msg.seq,
        "version": MESSAGE_VERSION,
        "kind": _TILE_KIND_NAME if isinstance(msg, TileReport) else _HEALTH_KIND_NAME,
        "status": list(flag_names),
        "reason": reason,
    }
    if isinstance(msg, TileReport):
        out.update(
            event=bool(msg.event),
            gated=bool(msg.gated),
            located=bool(msg.located),
            tile_id=msg.tile_id,
            time=_iso_utc(msg.time),
            lat=round(float(msg.lat), 7),
            lon=round(float(msg.lon), 7),
            # raw 0 is no estimate (no event, or a magnitude head no better than a constant):
            # null, never a magnitude of 0.00
            magnitude=round(float(msg.magnitude), 2) if msg.magnitude > 0 else None,
            magnitude_estimated=bool(msg.magnitude > 0),
            confidence=round(float(msg.confidence), 4),
            model_id=f"{msg.model_id:04x}",
        )
    else:
        out.update(
            event=False,
            gated=False,
            located=False,
            tile_id=None,
            time=_iso_utc(msg.time),
            lat=round(float(msg.lat), 7),
            lon=round(float(msg.lon), 7),
            magnitude=None,
            magnitude_estimated=False,
            confidence=None,
            model_id=f"{msg.model_id:04x}",
            tiles_processed=msg.tiles_processed,
            dropped=msg.dropped,
            queue_fill=round(float(msg.queue_fill), 4),
        )
    return out
