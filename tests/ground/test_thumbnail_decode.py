"""Tests of the thumbnail's ground decoder (ground/thumbnail_decode.py): rejection in order,
bit flips, lengths, garbage, the stream reader, the JSON view, the doc's reason list, and an
independent CCSDS parser on the header."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quakesat.errors import DecodeError
from quakesat.ground import decode as ground_decode
from quakesat.ground.thumbnail_decode import (
    LOS_MODULO_MM,
    THUMBNAIL_REJECT_REASONS,
    decode_thumbnail,
    iter_thumbnails,
    los_wrapped_mm,
    thumbnail_to_json_dict,
)
from quakesat.runtime import message as m
from quakesat.runtime import thumbnail as t
from quakesat.runtime.thumbnail import CELLS, NO_SIGNAL, THUMBNAIL_APID, THUMBNAIL_LENGTH, Thumbnail, encode_thumbnail
from tests.downlink_helpers import doc_list, reseal

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CRC_AT = t.THUMBNAIL_CRC_OFFSET


def _thumb(**overrides: object) -> Thumbnail:
    base = {"seq": 42, "tile_id": 1234, "time": 1_704_456_000, "lat": 37.1234567, "lon": -122.5, "cell_m": 1280,
            "model_id": 0xABCD, "codes": tuple((7 * i) % 16 for i in range(CELLS))}
    base.update(overrides)
    return Thumbnail(**base)  # type: ignore[arg-type]


def _reseal(packet: bytes | bytearray) -> bytes:
    """Recompute the CRC of a (tampered) thumbnail so that later checks are reached."""
    return reseal(packet, CRC_AT)


def _reason(data: object) -> str:
    with pytest.raises(DecodeError) as info:
        decode_thumbnail(data)  # type: ignore[arg-type]
    assert info.value.reason in THUMBNAIL_REJECT_REASONS
    return info.value.reason


# ─── rejection ──────────────────────────────────────────────────────────────────────────
def test_every_single_bit_flip_is_detected() -> None:
    data = encode_thumbnail(_thumb())
    for bit in range(THUMBNAIL_LENGTH * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        assert _reason(bytes(flipped)) == "crc_mismatch", bit


def test_lengths_and_non_bytes() -> None:
    data = encode_thumbnail(_thumb())
    for length in (0, 1, 6, 32, THUMBNAIL_LENGTH - 1):
        assert _reason(data[:length]) == "bad_length"
    for extra in (b"\x00", data):
        assert _reason(data + extra) == "bad_length"
    alert = m.encode(m.TileReport(seq=1, tile_id=1, time=1, lat=0.0, lon=0.0, magnitude=0.0, confidence=0.0,
                                  model_id=0))
    assert _reason(alert) == "bad_length"
    for value in (None, "02c2", 12, [1, 2], bytes):
        assert _reason(value) == "not_bytes"
    assert decode_thumbnail(bytearray(data)) == decode_thumbnail(memoryview(data)) == decode_thumbnail(data)


@pytest.mark.parametrize(
    "offset,value,reason",
    [
        (0, 0x22, "bad_ccsds_version"), (0, 0x12, "not_telemetry"), (0, 0x0A, "secondary_header_set"),
        (1, 0xC1, "bad_apid"), (2, 0x40, "bad_sequence_flags"), (5, 0x20, "bad_data_length"),
        (6, 0x22, "unknown_version"), (6, 0x10, "unknown_kind"), (7, 0x20, "reserved_flags_set"),
        (24, 15, "bad_grid"), (25, 17, "bad_grid"), (16, 0x7F, "lat_out_of_range"), (20, 0x80, "lon_out_of_range"),
    ],
)
def test_each_check_names_its_reason(offset: int, value: int, reason: str) -> None:
    packet = bytearray(encode_thumbnail(_thumb()))
    packet[offset] = value
    assert _reason(_reseal(packet)) == reason


def test_cell_m_0_is_bad_grid() -> None:
    packet = bytearray(encode_thumbnail(_thumb()))
    packet[26:28] = b"\x00\x00"
    assert _reason(_reseal(packet)) == "bad_grid"


def test_other_apid_only_when_asked() -> None:
    data = encode_thumbnail(_thumb(apid=0x123))
    with pytest.raises(DecodeError) as info:
        decode_thumbnail(data)
    assert info.value.reason == "bad_apid" and "0x123" in info.value.detail
    assert decode_thumbnail(data, apid=0x123).apid == 0x123


def test_the_32_byte_decoder_and_this_one_refuse_each_other() -> None:
    thumbnail = encode_thumbnail(_thumb())
    decode_thumbnail(thumbnail)
    with pytest.raises(DecodeError) as info:
        ground_decode.decode(thumbnail)
    assert info.value.reason == "bad_length"
    # a 32-byte message cut from the front of a thumbnail fails the 32-byte decoder's CRC
    with pytest.raises(DecodeError) as info:
        ground_decode.decode(thumbnail[: m.MESSAGE_LENGTH])
    assert info.value.reason == "crc_mismatch"


@FAST
@given(st.binary(min_size=CRC_AT, max_size=CRC_AT))
def test_garbage_with_a_valid_crc_decodes_only_to_what_encode_makes(body: bytes) -> None:
    data = _reseal(body)
    try:
        decoded = decode_thumbnail(data)
    except DecodeError as err:
        assert err.reason in THUMBNAIL_REJECT_REASONS[3:]
    else:
        assert encode_thumbnail(decoded) == data


@FAST
@given(st.binary(max_size=2 * THUMBNAIL_LENGTH))
def test_garbage_raises_decode_error_only(data: bytes) -> None:
    try:
        decoded = decode_thumbnail(data)
    except DecodeError as err:
        assert err.reason in THUMBNAIL_REJECT_REASONS
    else:  # a 1 in 65536 CRC coincidence must still be coherent
        assert encode_thumbnail(decoded) == data


# ─── stream ─────────────────────────────────────────────────────────────────────────────
def test_iter_thumbnails_reports_offsets_and_goes_on() -> None:
    a, c = encode_thumbnail(_thumb(seq=1)), encode_thumbnail(_thumb(seq=3))
    b = bytearray(encode_thumbnail(_thumb(seq=2)))
    b[100] ^= 0x04
    items = list(iter_thumbnails(a + bytes(b) + c + c[:5]))
    assert [offset for offset, _ in items] == [0, 160, 320, 480]
    assert items[0][1] == decode_thumbnail(a) and items[2][1] == decode_thumbnail(c)
    err = items[1][1]
    assert isinstance(err, DecodeError) and err.reason == "crc_mismatch" and err.offset == 160
    tail = items[3][1]
    assert isinstance(tail, DecodeError) and tail.reason == "bad_length" and tail.offset == 480
    assert list(iter_thumbnails(b"")) == []
    assert list(iter_thumbnails(memoryview(a))) == [(0, decode_thumbnail(a))]
    (offset, item), = list(iter_thumbnails(None))  # type: ignore[arg-type]
    assert offset == 0 and isinstance(item, DecodeError) and item.reason == "not_bytes"
    other = encode_thumbnail(_thumb(apid=0x300))
    assert list(iter_thumbnails(other, apid=0x300)) == [(0, decode_thumbnail(other, apid=0x300))]


# ─── JSON ───────────────────────────────────────────────────────────────────────────────
def test_json_view() -> None:
    codes = [NO_SIGNAL] * CELLS
    codes[0], codes[1], codes[16], codes[255] = 0, 7, 14, 8
    out = thumbnail_to_json_dict(decode_thumbnail(encode_thumbnail(_thumb(codes=tuple(codes)))))
    assert list(out) == ["apid", "seq", "version", "kind", "tile_id", "time", "lat", "lon", "rows", "cols",
                         "cell_m", "model_id", "los_modulo_mm", "codes", "los_wrapped_mm"]
    assert (out["apid"], out["kind"], out["version"], out["model_id"]) == (THUMBNAIL_APID, "thumbnail", 1, "abcd")
    assert out["time"] == "2024-01-05T12:00:00Z" and (out["lat"], out["lon"]) == (37.1234567, -122.5)
    assert (out["rows"], out["cols"], out["cell_m"], out["los_modulo_mm"]) == (16, 16, 1280, LOS_MODULO_MM)
    assert LOS_MODULO_MM == round(t.WAVELENGTH_M / 2 * 1000, 3) == 27.733
    grid = out["codes"]
    assert len(grid) == 16 and all(len(row) == 16 for row in grid)
    assert grid[0][:3] == [0, 7, 15] and grid[1][0] == 14 and grid[15][15] == 8
    los = out["los_wrapped_mm"]
    assert los[0][:3] == [-12.942, 0.0, None] and los[1][0] == 12.942 and los[15][15] == 1.849
    assert sum(value is None for row in los for value in row) == CELLS - 4
    assert [los_wrapped_mm(k) for k in range(16)] == [
        round((k - 7) * t.LOS_STEP_MM, 3) for k in range(15)] + [None]
    json.dumps(out, allow_nan=False)
    with pytest.raises(TypeError):
        thumbnail_to_json_dict("nope")  # type: ignore[arg-type]


# ─── docs/downlink.md: the reason list ──────────────────────────────────────────────────
def test_doc_reject_reasons_in_order() -> None:
    assert doc_list("list:thumbnail-reject-reasons") == THUMBNAIL_REJECT_REASONS
    shared = set(THUMBNAIL_REJECT_REASONS) & set(ground_decode.REJECT_REASONS)
    assert shared == set(THUMBNAIL_REJECT_REASONS) - {"bad_grid"}


# ─── an independent CCSDS parser agrees ─────────────────────────────────────────────────
@FAST
@given(st.integers(0, m.SEQ_COUNT_MAX))
def test_spacepackets_parses_our_primary_header(seq: int) -> None:
    pytest.importorskip("spacepackets")
    from spacepackets.ccsds.spacepacket import PacketType, SequenceFlags, SpacePacketHeader

    data = encode_thumbnail(_thumb(seq=seq))
    header = SpacePacketHeader.unpack(data[: m.PRIMARY_HEADER_LENGTH])
    assert header.packet_type == PacketType.TM and header.sec_header_flag is False
    assert header.apid == THUMBNAIL_APID and header.seq_flags == SequenceFlags.UNSEGMENTED
    assert header.seq_count == seq and header.data_len == t.THUMBNAIL_PACKET_DATA_LENGTH
    assert header.packet_len == THUMBNAIL_LENGTH
