"""Tests of the downlink codec (docs/downlink.md): round trips, limits, rejection."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quakesat.errors import DecodeError, MessageFieldError
from quakesat.ground import decode as ground_decode
from quakesat.ground.decode import decode, iter_stream, to_json_dict
from quakesat.runtime import message as m
from quakesat.runtime.message import (
    APID,
    FIELDS,
    MESSAGE_LENGTH,
    Flag,
    HealthReport,
    Kind,
    TileReport,
    crc16,
    encode,
    model_id_from_sha256,
)
from quakesat.runtime.status import Status, StatusCategory
from tests.downlink_helpers import DOC, doc_code, doc_list, doc_table, reseal

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NO_EVENT = [s for s in Status if s.category in (StatusCategory.BAD_INPUT, StatusCategory.MODEL)]
EVENT_OK = [s for s in Status if s not in NO_EVENT]


# ─── strategies ─────────────────────────────────────────────────────────────────────────
def _bounded(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats over the whole closed range, with the limits themselves drawn often."""
    return st.one_of(st.sampled_from([low, high]), st.floats(low, high, allow_nan=False))


@st.composite
def tile_reports(draw: st.DrawFn) -> TileReport:
    status = draw(st.sampled_from(list(Status)))
    event = draw(st.booleans()) if status in EVENT_OK else False
    return TileReport(
        seq=draw(st.integers(0, m.SEQ_COUNT_MAX)),
        tile_id=draw(st.integers(0, m.U32_MAX)),
        time=draw(st.integers(0, m.U32_MAX)),
        lat=draw(_bounded(-90.0, 90.0)),
        lon=draw(_bounded(-180.0, 180.0)),
        magnitude=draw(_bounded(0.0, m.MAGNITUDE_MAX)),
        confidence=draw(_bounded(0.0, 1.0)),
        model_id=draw(st.integers(0, m.U16_MAX)),
        status=status,
        event=event,
        gated=draw(st.booleans()),
        located=draw(st.booleans()),
    )


@st.composite
def health_reports(draw: st.DrawFn) -> HealthReport:
    return HealthReport(
        seq=draw(st.integers(0, m.SEQ_COUNT_MAX)),
        time=draw(st.integers(0, m.U32_MAX)),
        lat=draw(_bounded(-90.0, 90.0)),
        lon=draw(_bounded(-180.0, 180.0)),
        tiles_processed=draw(st.integers(0, m.U32_MAX)),
        dropped=draw(st.integers(0, m.DROPPED_MAX)),
        queue_fill=draw(_bounded(0.0, 1.0)),
        model_id=draw(st.integers(0, m.U16_MAX)),
        status=draw(st.sampled_from(list(Status))),
    )


messages = st.one_of(tile_reports(), health_reports())


def _tile(**overrides: object) -> TileReport:
    base = dict(
        seq=42, tile_id=1234, time=1_704_456_000, lat=37.1234567, lon=-122.5,
        magnitude=6.42, confidence=0.93, model_id=0xABCD, event=True, located=True,
    )
    base.update(overrides)
    return TileReport(**base)  # type: ignore[arg-type]


def _health(**overrides: object) -> HealthReport:
    base = dict(
        seq=7, time=1_704_456_000, lat=-12.5, lon=100.25, tiles_processed=99,
        dropped=3, queue_fill=0.25, model_id=0x0102, status=Status.QUEUE_OVERFLOW,
    )
    base.update(overrides)
    return HealthReport(**base)  # type: ignore[arg-type]


def _reseal(packet: bytes | bytearray) -> bytes:
    """Recompute the CRC of a (tampered) message so that later checks are reached."""
    return reseal(packet, m.CRC_OFFSET)


SAMPLES = [
    _tile(),
    _tile(status=Status.ALL_NODATA, event=False, located=False, confidence=0.0),
    _tile(status=Status.DEADLINE_MISSED, gated=True, lat=-90.0, lon=180.0),
    _health(),
    _health(status=Status.MODEL_MISSING, dropped=0, lat=90.0, lon=-180.0),
]


# ─── (a) round trip ─────────────────────────────────────────────────────────────────────
def _assert_close(original: TileReport | HealthReport, decoded: TileReport | HealthReport) -> None:
    steps = {
        "lat": 0.5 / m.LATLON_SCALE,
        "lon": 0.5 / m.LATLON_SCALE,
        "magnitude": 0.5 / m.MAGNITUDE_SCALE,
        "confidence": 0.5 / m.UNIT_SCALE,
        "queue_fill": 0.5 / m.UNIT_SCALE,
    }
    assert type(decoded) is type(original)
    for field in dataclasses.fields(original):
        a, b = getattr(original, field.name), getattr(decoded, field.name)
        if field.name in steps:
            # half a quantization step, plus float slack for value * scale
            assert abs(a - b) <= steps[field.name] * (1 + 1e-9), field.name
        else:
            assert a == b, field.name


@FAST
@given(messages)
def test_round_trip_within_quantization_and_idempotent(msg: TileReport | HealthReport) -> None:
    data = encode(msg)
    assert isinstance(data, bytes) and len(data) == MESSAGE_LENGTH
    decoded = decode(data)
    _assert_close(msg, decoded)
    assert encode(decoded) == data
    assert decode(encode(decoded)) == decoded


def test_round_trip_extremes_exact() -> None:
    for msg in (
        _tile(seq=0, tile_id=0, time=0, lat=-90.0, lon=-180.0, magnitude=0.0, confidence=0.0,
              model_id=0),
        _tile(seq=m.SEQ_COUNT_MAX, tile_id=m.U32_MAX, time=m.U32_MAX, lat=90.0, lon=180.0,
              magnitude=m.MAGNITUDE_MAX, confidence=1.0, model_id=m.U16_MAX, gated=True),
        _health(tiles_processed=m.U32_MAX, dropped=m.DROPPED_MAX, queue_fill=1.0, time=m.U32_MAX),
    ):
        assert decode(encode(msg)) == msg


def test_dropped_saturates() -> None:
    for dropped in (m.DROPPED_MAX, m.DROPPED_MAX + 1, 10**12):
        assert decode(encode(_health(dropped=dropped))).dropped == m.DROPPED_MAX
    assert decode(encode(_health(dropped=m.DROPPED_MAX - 1))).dropped == m.DROPPED_MAX - 1


def test_rounding_is_half_to_even() -> None:
    decoded = decode(encode(_tile(lat=0.5 / m.LATLON_SCALE, lon=-0.5 / m.LATLON_SCALE,
                                  magnitude=0.025, confidence=0.5)))
    assert (decoded.lat, decoded.lon, decoded.magnitude) == (0.0, 0.0, 0.02)
    assert decoded.confidence == 128 / 255


# ─── (b) single-bit flips ───────────────────────────────────────────────────────────────
@pytest.mark.parametrize("msg", SAMPLES, ids=lambda s: type(s).__name__)
def test_every_single_bit_flip_is_detected(msg: TileReport | HealthReport) -> None:
    data = encode(msg)
    for bit in range(MESSAGE_LENGTH * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        with pytest.raises(DecodeError) as info:
            decode(bytes(flipped))
        assert info.value.reason == "crc_mismatch", bit


@FAST
@given(messages, st.integers(0, MESSAGE_LENGTH * 8 - 1))
def test_bit_flip_detected_property(msg: TileReport | HealthReport, bit: int) -> None:
    flipped = bytearray(encode(msg))
    flipped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecodeError):
        decode(bytes(flipped))


# ─── (c) truncation, extension, garbage, non-bytes ──────────────────────────────────────
def test_truncated_and_extended_rejected() -> None:
    data = encode(_tile())
    for length in range(MESSAGE_LENGTH):
        with pytest.raises(DecodeError) as info:
            decode(data[:length])
        assert info.value.reason == "bad_length"
    for extra in (b"\x00", data[:1], data, bytes(100)):
        with pytest.raises(DecodeError) as info:
            decode(data + extra)
        assert info.value.reason == "bad_length"


@pytest.mark.parametrize("value", [None, "02c1", 12, 1.5, [1, 2], {"a": 1}, object(), bytes])
def test_non_bytes_rejected_as_not_bytes(value: object) -> None:
    with pytest.raises(DecodeError) as info:
        decode(value)  # type: ignore[arg-type]
    assert info.value.reason == "not_bytes"


def test_bytes_like_accepted() -> None:
    data = encode(_tile())
    assert decode(bytearray(data)) == decode(memoryview(data)) == decode(data)


def _decode_or_reason(data: bytes) -> TileReport | HealthReport | str:
    """decode, turning DecodeError into its reason; any other exception fails the test."""
    try:
        return decode(data)
    except DecodeError as err:
        assert err.reason in ground_decode.REJECT_REASONS
        return err.reason


@FAST
@given(st.binary(max_size=80))
def test_garbage_rejected_with_decode_error_only(data: bytes) -> None:
    result = _decode_or_reason(data)
    if not isinstance(result, str):  # a 1 in 65536 CRC coincidence must still be coherent
        assert encode(result) == data


@FAST
@given(st.binary(min_size=30, max_size=30))
def test_garbage_with_valid_crc_decodes_only_to_what_encode_makes(body: bytes) -> None:
    # With a correct CRC every later check is exercised; whatever decode accepts must be
    # exactly what encode would produce (decode is the inverse of encode on its domain).
    data = _reseal(body)
    result = _decode_or_reason(data)
    if isinstance(result, str):
        assert result not in ("bad_length", "crc_mismatch", "not_bytes")
    else:
        assert encode(result) == data


# ─── (d) encoder limits: at the limit accepted, one past rejected ───────────────────────
INT_LIMITS = [
    ("seq", _tile, 0, m.SEQ_COUNT_MAX),
    ("tile_id", _tile, 0, m.U32_MAX),
    ("time", _tile, 0, m.U32_MAX),
    ("model_id", _tile, 0, m.U16_MAX),
    ("tiles_processed", _health, 0, m.U32_MAX),
    ("time", _health, 0, m.U32_MAX),
    ("model_id", _health, 0, m.U16_MAX),
    ("apid", _tile, 0, m.APID_MAX),
]
FLOAT_LIMITS = [
    ("lat", _tile, -90.0, 90.0, 1 / m.LATLON_SCALE),
    ("lon", _tile, -180.0, 180.0, 1 / m.LATLON_SCALE),
    ("magnitude", _tile, 0.0, m.MAGNITUDE_MAX, m.MAGNITUDE_STEP),
    ("confidence", _tile, 0.0, 1.0, 1 / m.UNIT_SCALE),
    ("lat", _health, -90.0, 90.0, 1 / m.LATLON_SCALE),
    ("lon", _health, -180.0, 180.0, 1 / m.LATLON_SCALE),
    ("queue_fill", _health, 0.0, 1.0, 1 / m.UNIT_SCALE),
]


def _rejects(make, name: str, value: object) -> MessageFieldError:  # noqa: ANN001
    with pytest.raises(MessageFieldError) as info:
        encode(make(**{name: value}))
    assert name in str(info.value)
    return info.value


def _ids(value: object) -> str:
    return value if isinstance(value, str) else getattr(value, "__name__", "")


@pytest.mark.parametrize("name,make,low,high", INT_LIMITS, ids=_ids)
def test_int_field_limits(name: str, make, low: int, high: int) -> None:  # noqa: ANN001
    for ok in (low, high):
        encode(make(**{name: ok}))
    for bad in (low - 1, high + 1):
        err = _rejects(make, name, bad)
        assert str(bad) in str(err) and f"{low}..{high}" in str(err)
    for wrong_type in (float(low), True, "1", None):
        _rejects(make, name, wrong_type)


@pytest.mark.parametrize("name,make,low,high,step", FLOAT_LIMITS, ids=_ids)
def test_float_field_limits(
    name: str, make, low: float, high: float, step: float  # noqa: ANN001
) -> None:
    for ok in (low, high, int(low), (low + high) / 2):
        encode(make(**{name: ok}))
    below, above = math.nextafter(low, -math.inf), math.nextafter(high, math.inf)
    for bad in (low - step, high + step, below, above, math.inf, -math.inf):
        err = _rejects(make, name, bad)
        assert repr(bad) in str(err)
    assert "NaN" in str(_rejects(make, name, math.nan))
    for wrong_type in (None, "1.0", True):
        _rejects(make, name, wrong_type)


def test_dropped_negative_or_not_int_rejected() -> None:
    encode(_health(dropped=0))
    _rejects(_health, "dropped", -1)
    _rejects(_health, "dropped", 1.0)
    _rejects(_health, "dropped", True)


def test_status_and_flags_types() -> None:
    assert decode(encode(_tile(status=int(Status.PARTIAL_NODATA)))).status is Status.PARTIAL_NODATA
    for bad in (4, 128, 255, "ok", None):
        _rejects(_tile, "status", bad)
        _rejects(_health, "status", bad)
    for name in ("event", "gated", "located"):
        _rejects(_tile, name, 1)
    with pytest.raises(TypeError):
        encode("not a message")  # type: ignore[arg-type]


def test_other_apid_encodes_and_decodes_only_when_asked() -> None:
    data = encode(_tile(apid=0x123))
    with pytest.raises(DecodeError) as info:
        decode(data)
    assert info.value.reason == "bad_apid" and "0x123" in info.value.detail
    assert decode(data, apid=0x123).apid == 0x123


# ─── (e) no event on bad input or model error ───────────────────────────────────────────
@pytest.mark.parametrize("status", NO_EVENT, ids=lambda s: s.name)
def test_encode_refuses_event_on_error(status: Status) -> None:
    with pytest.raises(MessageFieldError, match="an event cannot be flagged on"):
        encode(_tile(status=status, event=True))
    data = bytearray(encode(_tile(status=status, event=False)))
    assert data[7] & Flag.EVENT == 0
    data[7] |= Flag.EVENT
    with pytest.raises(DecodeError) as info:
        decode(_reseal(data))
    assert info.value.reason == "event_on_error"


@pytest.mark.parametrize("status", EVENT_OK, ids=lambda s: s.name)
def test_event_allowed_on_ok_degraded_resource(status: Status) -> None:
    assert decode(encode(_tile(status=status, event=True))).event


def test_problem_flags_follow_status_category() -> None:
    for status in Status:
        flags = encode(_tile(status=status, event=False, located=False))[7]
        assert flags == m.CATEGORY_FLAGS[status.category]
        assert encode(_health(status=status))[7] == m.CATEGORY_FLAGS[status.category]


def test_forged_flags_rejected() -> None:
    ok = encode(_tile(event=False, located=False))
    for bits in (Flag.DEGRADED, Flag.INPUT_INVALID, Flag.MODEL_ERROR):
        forged = bytearray(ok)
        forged[7] |= bits
        with pytest.raises(DecodeError) as info:
            decode(_reseal(forged))
        assert info.value.reason == "flags_inconsistent"
    for bits in (Flag.EVENT, Flag.GATED, Flag.LOCATED):
        forged = bytearray(encode(_health()))
        forged[7] |= bits
        with pytest.raises(DecodeError) as info:
            decode(_reseal(forged))
        assert info.value.reason == "flags_inconsistent"


# ─── (f) CRC ────────────────────────────────────────────────────────────────────────────
def test_crc_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1 == m.CRC_CHECK
    assert crc16(b"") == 0xFFFF


def _bitwise_crc(data: bytes) -> int:
    """Straight from the definition: poly 0x1021, init 0xFFFF, MSB first, no xorout."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


@FAST
@given(st.binary(max_size=64))
def test_crc_matches_definition_and_fastcrc(data: bytes) -> None:
    fastcrc = pytest.importorskip("fastcrc")
    assert crc16(data) == _bitwise_crc(data) == fastcrc.crc16.ibm_3740(data)


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda s: type(s).__name__)
def test_spacepackets_pus_crc_check_accepts_our_messages(msg: TileReport | HealthReport) -> None:
    pytest.importorskip("spacepackets")
    from spacepackets.ecss import check_pus_crc

    assert check_pus_crc(encode(msg))


# ─── (g) an independent CCSDS parser agrees ─────────────────────────────────────────────
@FAST
@given(messages)
def test_spacepackets_parses_our_primary_header(msg: TileReport | HealthReport) -> None:
    pytest.importorskip("spacepackets")
    from spacepackets.ccsds.spacepacket import (
        PacketType,
        SequenceFlags,
        SpacePacketHeader,
    )

    data = encode(msg)
    header = SpacePacketHeader.unpack(data[: m.PRIMARY_HEADER_LENGTH])
    assert header.ccsds_version == 0
    assert header.packet_type == PacketType.TM
    assert header.sec_header_flag is False
    assert header.apid == APID
    assert header.seq_flags == SequenceFlags.UNSEGMENTED
    assert header.seq_count == msg.seq
    assert header.data_len == m.PACKET_DATA_LENGTH
    assert header.packet_len == MESSAGE_LENGTH
    rebuilt = SpacePacketHeader(
        PacketType.TM, apid=APID, seq_count=msg.seq, data_len=m.PACKET_DATA_LENGTH
    )
    assert bytes(rebuilt.pack()) == data[: m.PRIMARY_HEADER_LENGTH]


# ─── stream, JSON, helpers ──────────────────────────────────────────────────────────────
def test_iter_stream_reports_offsets_and_goes_on() -> None:
    a, b, c = encode(_tile(seq=1)), bytearray(encode(_tile(seq=2))), encode(_health(seq=3))
    b[20] ^= 0x04
    items = list(iter_stream(a + bytes(b) + c + c[:5]))
    assert [offset for offset, _ in items] == [0, 32, 64, 96]
    assert items[0][1] == decode(a) and items[2][1] == decode(c)
    err = items[1][1]
    assert isinstance(err, DecodeError) and err.reason == "crc_mismatch" and err.offset == 32
    assert "byte offset 32" in str(err)
    tail = items[3][1]
    assert isinstance(tail, DecodeError) and tail.reason == "bad_length" and tail.offset == 96
    assert list(iter_stream(b"")) == []
    (offset, item), = list(iter_stream(None))  # type: ignore[arg-type]
    assert offset == 0 and isinstance(item, DecodeError) and item.reason == "not_bytes"


def test_to_json_dict_keys_and_values() -> None:
    tile = to_json_dict(decode(encode(_tile(status=Status.PARTIAL_NODATA))))
    assert list(tile) == [
        "apid", "seq", "version", "kind", "status", "reason", "event", "gated", "located",
        "tile_id", "time", "lat", "lon", "magnitude", "magnitude_estimated", "confidence", "model_id",
    ]
    assert tile["status"] == ["degraded"] and tile["reason"] == "partial_nodata"
    assert tile["magnitude_estimated"] is (tile["magnitude"] is not None)
    unestimated = to_json_dict(decode(encode(dataclasses.replace(_tile(), magnitude=0.0))))
    assert unestimated["magnitude"] is None and unestimated["magnitude_estimated"] is False  # never 0.00
    assert tile["time"] == "2024-01-05T12:00:00Z" and tile["model_id"] == "abcd"
    assert tile["kind"] == "tile_report" and tile["version"] == m.MESSAGE_VERSION
    health = to_json_dict(decode(encode(_health(status=Status.MODEL_MISSING, time=m.U32_MAX))))
    assert health["kind"] == "health" and health["status"] == ["model_error"]
    assert health["tile_id"] is None and health["magnitude"] is None and health["confidence"] is None
    assert health["magnitude_estimated"] is False
    assert health["tiles_processed"] == 99 and health["dropped"] == 3 and health["queue_fill"] == 0.251
    assert health["time"] == "2106-02-07T06:28:15Z"
    assert not (health["event"] or health["gated"] or health["located"])
    json.dumps(health)


def test_model_id_from_sha256() -> None:
    digest = hashlib.sha256(b"model bytes").hexdigest()
    assert model_id_from_sha256(digest) == int(digest[:4], 16)
    assert model_id_from_sha256(digest.upper()) == int(digest[:4], 16)
    for bad in ("", digest[:-1], digest + "0", "z" * 64, None):
        with pytest.raises(MessageFieldError):
            model_id_from_sha256(bad)  # type: ignore[arg-type]


def test_kind_and_flag_values() -> None:
    assert (Kind.TILE_REPORT, Kind.HEALTH) == (0, 1)
    assert [int(f) for f in Flag] == [1, 2, 4, 8, 16, 32]
    assert m.RESERVED_FLAG_BITS == 0xC0


# ─── docs/downlink.md is checked against the code ───────────────────────────────────────
def test_doc_field_table_matches_code() -> None:
    rows = doc_table("table:fields")
    assert len(rows) == len(FIELDS)
    for row, field in zip(rows, FIELDS):
        offset, size, type_name, name, _tile_text, health_text = row
        assert (int(offset), int(size), type_name, doc_code(name)) == (
            field.offset, field.size, field.type_name, field.name,
        )
        if field.health_name:
            assert doc_code(health_text) == field.health_name


def test_doc_flag_table_matches_code() -> None:
    rows = [r for r in doc_table("table:flags") if doc_code(r[1])]
    assert [(int(r[0]), doc_code(r[1]), r[2]) for r in rows] == [
        (int(f).bit_length() - 1, f.name, m.FLAG_DESCRIPTIONS[f]) for f in Flag
    ]


def test_doc_reject_reasons_in_order() -> None:
    assert doc_list("list:reject-reasons") == ground_decode.REJECT_REASONS


def test_doc_crc_and_budget() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"0x{m.CRC_CHECK:04X}" in text and "0x1021" in text and "0xFFFF" in text
    budget = dict(doc_table("table:budget"))
    assert int(budget["quakesat downlink message"]) == MESSAGE_LENGTH
    pytest.importorskip("spacepackets")
    from spacepackets.ecss.tm import PusTm

    # Same content as PUS-C TM[5,1]: acquisition time as the packet time (4-byte CUC coarse),
    # a 2-byte event definition id, then flags, reason, confidence, tile id, lat, lon,
    # magnitude, model id as auxiliary data.
    aux = struct.pack(">BBBIiiHH", 0, 0, 0, 0, 0, 0, 0, 0)
    pus = PusTm(
        service=5, message_subtype=1, timestamp=bytes(4), source_data=bytes(2) + aux, apid=APID
    )
    assert int(budget["PUS-C TM[5,1] with the same fields"]) == len(pus.pack())
    assert len(pus.pack()) > MESSAGE_LENGTH


def test_doc_example_decodes_to_shown_json() -> None:
    text = DOC.read_text(encoding="utf-8")
    hex_text = re.search(r"<!-- example:hex -->\s*```text\n([0-9a-f]+)\n```", text).group(1)
    json_block = r"<!-- example:json -->\s*```json\n(.*?)\n```"
    json_text = re.search(json_block, text, flags=re.DOTALL).group(1)
    assert to_json_dict(decode(bytes.fromhex(hex_text))) == json.loads(json_text)
    assert f"--hex {hex_text}" in text
