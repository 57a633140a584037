"""Write the downlink golden vectors (downlink.jsonl, downlink_invalid.jsonl) from a fixed seed.

Run ``python tests/vectors/make_downlink_vectors.py`` to (re)write them next to this script;
pytest checks the committed files equal what this produces, and the C++ decoder is tested
against the same files. Change the seed or the cases only together with a format change.
"""

from __future__ import annotations

import random
from typing import Any

from packet_vectors import (
    TIME_RANGE,
    PacketVectors,
    SequenceDraw,
    chain,
    mutated,
    or_u8,
    seq_flags,
    set_fmt,
    set_u8,
    xor_u8,
)

from quakesat.ground.decode import decode, to_json_dict
from quakesat.runtime.message import (
    LATLON_SCALE,
    MAGNITUDE_MAX,
    SEQ_COUNT_MAX,
    U16_MAX,
    U32_MAX,
    Flag,
    HealthReport,
    TileReport,
    encode,
)
from quakesat.runtime.status import Status, StatusCategory

SEED = 20240105
VALID_NAME = "downlink.jsonl"
INVALID_NAME = "downlink_invalid.jsonl"


# ─── fields <-> messages (the "fields" object is the encoder's input) ──────────────────
def fields_of(msg: TileReport | HealthReport) -> dict[str, Any]:
    """The encoder input of ``msg`` as a JSON-ready dict (status as its number).

    Args:
        msg: a report.

    Returns:
        ``{"kind": "tile_report" | "health", <every dataclass field>}``.
    """
    kind = "tile_report" if isinstance(msg, TileReport) else "health"
    out: dict[str, Any] = {"kind": kind}
    for name, value in vars(msg).items():
        out[name] = int(value) if isinstance(value, Status) else value
    return out


def message_from_fields(fields: dict[str, Any]) -> TileReport | HealthReport:
    """Rebuild the report a vector's ``fields`` object describes.

    Args:
        fields: a dict written by :func:`fields_of`.

    Returns:
        The TileReport or HealthReport.

    Raises:
        ValueError: unknown ``kind``.
    """
    values = dict(fields)
    kind = values.pop("kind")
    values["status"] = Status(values["status"])
    if kind == "tile_report":
        return TileReport(**values)
    if kind == "health":
        return HealthReport(**values)
    raise ValueError(f"unknown kind {kind!r}")


# ─── valid messages ─────────────────────────────────────────────────────────────────────
class _Draw(SequenceDraw):
    """Seeded draws of plausible field values."""

    def tile(self, status: Status = Status.OK, **overrides: Any) -> TileReport:
        rng = self.rng
        event = overrides.get("event", False)
        values: dict[str, Any] = {
            "seq": self.next_seq(),
            "tile_id": rng.randrange(U32_MAX + 1),
            "time": rng.randrange(*TIME_RANGE),
            "lat": rng.uniform(-70.0, 70.0),
            "lon": rng.uniform(-180.0, 180.0),
            "magnitude": rng.uniform(4.0, 8.0) if event else 0.0,
            "confidence": rng.uniform(0.6, 1.0) if event else rng.uniform(0.0, 0.4),
            "model_id": rng.randrange(U16_MAX + 1),
            "status": status,
        }
        if status.category in (StatusCategory.BAD_INPUT, StatusCategory.MODEL):
            values["confidence"] = 0.0
        values.update(overrides)
        return TileReport(**values)

    def health(self, status: Status = Status.OK, **overrides: Any) -> HealthReport:
        rng = self.rng
        values: dict[str, Any] = {
            "seq": self.next_seq(),
            "time": rng.randrange(*TIME_RANGE),
            "lat": rng.uniform(-90.0, 90.0),
            "lon": rng.uniform(-180.0, 180.0),
            "tiles_processed": rng.randrange(1_000_000),
            "dropped": 0,
            "queue_fill": rng.uniform(0.0, 0.3),
            "model_id": rng.randrange(U16_MAX + 1),
            "status": status,
        }
        values.update(overrides)
        return HealthReport(**values)


def build_valid(rng: random.Random) -> list[tuple[str, TileReport | HealthReport]]:
    """The valid cases: every kind, every Status, every field at its extremes, rounding ties.

    Args:
        rng: the seeded generator (consumed in a fixed order).

    Returns:
        ``(name, message)`` pairs.
    """
    d = _Draw(rng)
    cases: list[tuple[str, TileReport | HealthReport]] = [
        ("tile_event_located", d.tile(event=True, located=True)),
        ("tile_event_gated", d.tile(event=True, gated=True)),
        ("tile_event_gated_located", d.tile(event=True, gated=True, located=True)),
        ("tile_event_plain", d.tile(event=True)),
        ("tile_quiet_gated", d.tile(gated=True)),
        ("tile_event_partial_nodata", d.tile(Status.PARTIAL_NODATA, event=True, located=True)),
        ("tile_values_clipped", d.tile(Status.VALUES_CLIPPED)),
        ("tile_event_queue_overflow", d.tile(Status.QUEUE_OVERFLOW, event=True)),
        ("tile_deadline_missed", d.tile(Status.DEADLINE_MISSED)),
        # extremes, spread over the bad-input statuses so each appears once
        ("tile_all_nodata_lat_max_lon_max", d.tile(Status.ALL_NODATA, lat=90.0, lon=180.0)),
        ("tile_mostly_nodata_lat_min_lon_min", d.tile(Status.MOSTLY_NODATA, lat=-90.0, lon=-180.0)),
        ("tile_non_finite_seq_0_time_0", d.tile(Status.NON_FINITE, seq=0, time=0)),
        ("tile_all_zero_seq_max_time_max", d.tile(Status.ALL_ZERO, seq=SEQ_COUNT_MAX, time=U32_MAX)),
        (
            "tile_constant_all_zero_fields",
            d.tile(Status.CONSTANT, tile_id=0, lat=0.0, lon=0.0, model_id=0),
        ),
        ("tile_bad_shape_ids_max", d.tile(Status.BAD_SHAPE, tile_id=U32_MAX, model_id=U16_MAX)),
        ("tile_bad_dtype", d.tile(Status.BAD_DTYPE)),
        ("tile_out_of_range", d.tile(Status.OUT_OF_RANGE)),
        ("tile_bad_georeference", d.tile(Status.BAD_GEOREFERENCE, lat=0.0, lon=0.0)),
        ("tile_bad_time", d.tile(Status.BAD_TIME, time=0)),
        ("tile_unreadable", d.tile(Status.UNREADABLE)),
        ("tile_no_coherence", d.tile(Status.NO_COHERENCE)),
        ("tile_wrong_kind", d.tile(Status.WRONG_KIND)),
        ("tile_hash_mismatch", d.tile(Status.HASH_MISMATCH)),
        ("tile_manifest_invalid", d.tile(Status.MANIFEST_INVALID)),
        ("tile_backend_error", d.tile(Status.BACKEND_ERROR)),
        ("tile_output_invalid", d.tile(Status.OUTPUT_INVALID)),
        (
            "tile_event_magnitude_max_confidence_1",
            d.tile(event=True, magnitude=MAGNITUDE_MAX, confidence=1.0, model_id=U16_MAX),
        ),
        ("tile_magnitude_0_confidence_0", d.tile(magnitude=0.0, confidence=0.0)),
        # Exact ties of value * scale: round half to even gives 0, 0, 2, 128 here where
        # round-half-away-from-zero would give 1, -1, 3, 128. C++ must use nearbyint.
        (
            "tile_rounding_ties_half_even",
            d.tile(
                event=True,
                lat=0.5 / LATLON_SCALE,
                lon=-0.5 / LATLON_SCALE,
                magnitude=0.025,
                confidence=0.5,
            ),
        ),
        ("health_ok", d.health()),
        ("health_dropped_saturates", d.health(Status.QUEUE_OVERFLOW, dropped=100_000, queue_fill=1.0)),
        ("health_dropped_at_limit", d.health(Status.QUEUE_OVERFLOW, dropped=U16_MAX)),
        ("health_out_of_memory", d.health(Status.OUT_OF_MEMORY, dropped=3)),
        (
            "health_model_missing",
            d.health(Status.MODEL_MISSING, tiles_processed=0, queue_fill=0.0, model_id=0),
        ),
        (
            "health_extremes",
            d.health(
                Status.PARTIAL_NODATA,
                tiles_processed=U32_MAX,
                lat=-90.0,
                lon=180.0,
                time=U32_MAX,
            ),
        ),
        ("tile_event_no_georeference", d.tile(Status.NO_GEOREFERENCE, event=True, lat=0.0, lon=0.0)),
    ]
    return cases


# ─── invalid messages ───────────────────────────────────────────────────────────────────
def build_invalid(rng: random.Random) -> list[tuple[str, bytes, str]]:
    """Malformed messages: at least one per reason producible from bytes, plus check order.

    Each is a valid message corrupted so that exactly the named check fires first (the CRC
    is recomputed for every check that runs after the CRC check).

    Args:
        rng: the seeded generator.

    Returns:
        ``(name, bytes, expected reason)`` triples.
    """
    d = _Draw(rng)
    tile = encode(d.tile(event=True, located=True))
    health = encode(d.health())
    bad_input = encode(d.tile(Status.ALL_NODATA))
    model = encode(d.tile(Status.BACKEND_ERROR))
    bit = rng.randrange(6 * 8, 30 * 8)
    event, degraded = int(Flag.EVENT), int(Flag.DEGRADED)
    input_invalid, model_error = int(Flag.INPUT_INVALID), int(Flag.MODEL_ERROR)
    lat_over, lon_under = set_fmt(18, "i", 900_000_001), set_fmt(22, "i", -1_800_000_001)
    x = mutated
    cases: list[tuple[str, bytes, str]] = [
        ("empty", b"", "bad_length"),
        ("truncated_31", tile[:31], "bad_length"),
        ("header_only", tile[:6], "bad_length"),
        ("extended_33", tile + b"\x00", "bad_length"),
        ("two_messages_as_one", tile + health, "bad_length"),
        ("payload_bit_flip", x(tile, xor_u8(bit // 8, 0x80 >> bit % 8), False), "crc_mismatch"),
        ("crc_field_bit_flip", x(tile, xor_u8(31, 0x01), False), "crc_mismatch"),
        ("all_zero_bytes", bytes(32), "crc_mismatch"),
        ("ccsds_version_1", x(tile, or_u8(0, 0x20)), "bad_ccsds_version"),
        ("telecommand_type", x(tile, or_u8(0, 0x10)), "not_telemetry"),
        ("secondary_header_flag", x(tile, or_u8(0, 0x08)), "secondary_header_set"),
        ("apid_0x2c2", x(tile, set_fmt(0, "H", 0x2C2)), "bad_apid"),
        ("apid_idle_0x7ff", x(health, set_fmt(0, "H", 0x7FF)), "bad_apid"),
        ("sequence_flags_first_segment", x(tile, seq_flags(0b01)), "bad_sequence_flags"),
        ("sequence_flags_continuation", x(tile, seq_flags(0b00)), "bad_sequence_flags"),
        ("data_length_26", x(tile, set_fmt(4, "H", 26)), "bad_data_length"),
        ("data_length_0", x(health, set_fmt(4, "H", 0)), "bad_data_length"),
        ("message_version_0", x(tile, set_u8(6, 0x00)), "unknown_version"),
        ("message_version_2", x(health, set_u8(6, 0x21)), "unknown_version"),
        ("kind_2", x(tile, set_u8(6, 0x12)), "unknown_kind"),
        ("kind_15", x(health, set_u8(6, 0x1F)), "unknown_kind"),
        ("reserved_flag_bit6", x(tile, or_u8(7, 0x40)), "reserved_flags_set"),
        ("reserved_flag_bit7", x(health, or_u8(7, 0x80)), "reserved_flags_set"),
        ("status_reserved_128", x(tile, set_u8(8, 128)), "unknown_status"),
        ("status_undefined_4", x(tile, set_u8(8, 4)), "unknown_status"),
        ("status_undefined_255", x(health, set_u8(8, 255)), "unknown_status"),
        ("ok_with_degraded_flag", x(tile, or_u8(7, degraded)), "flags_inconsistent"),
        ("bad_input_without_flag", x(bad_input, set_u8(7, 0)), "flags_inconsistent"),
        ("model_status_input_flag", x(model, set_u8(7, input_invalid)), "flags_inconsistent"),
        ("health_with_event", x(health, or_u8(7, event)), "flags_inconsistent"),
        ("health_with_gated", x(health, or_u8(7, int(Flag.GATED))), "flags_inconsistent"),
        ("event_on_bad_input", x(bad_input, or_u8(7, event)), "event_on_error"),
        ("event_on_model_error", x(model, or_u8(7, event)), "event_on_error"),
        ("lat_above_90", x(tile, lat_over), "lat_out_of_range"),
        ("lat_below_minus_90", x(health, set_fmt(18, "i", -900_000_001)), "lat_out_of_range"),
        ("lat_int32_min", x(tile, set_fmt(18, "i", -(2**31))), "lat_out_of_range"),
        ("lon_above_180", x(tile, set_fmt(22, "i", 1_800_000_001)), "lon_out_of_range"),
        ("lon_below_minus_180", x(health, lon_under), "lon_out_of_range"),
        # Several faults at once: the earliest check in REJECT_REASONS order must win.
        (
            "order_crc_before_header",
            x(tile, chain(or_u8(0, 0x10), set_u8(6, 0x32)), False),
            "crc_mismatch",
        ),
        (
            "order_apid_before_kind",
            x(tile, chain(set_fmt(0, "H", 0x123), set_u8(6, 0x13))),
            "bad_apid",
        ),
        (
            "order_status_before_flags",
            x(tile, chain(set_u8(8, 200), or_u8(7, input_invalid | model_error | degraded))),
            "unknown_status",
        ),
        (
            "order_flags_before_lat",
            x(tile, chain(or_u8(7, model_error), set_fmt(18, "i", 2**31 - 1))),
            "flags_inconsistent",
        ),
        ("order_lat_before_lon", x(tile, chain(lat_over, lon_under)), "lat_out_of_range"),
    ]
    return cases


# ─── files ──────────────────────────────────────────────────────────────────────────────
#: The two files, from the cases above (tests/vectors/packet_vectors.py writes them).
FILES = PacketVectors(
    seed=SEED, names=(VALID_NAME, INVALID_NAME), build_valid=build_valid, build_invalid=build_invalid,
    encode=encode, decode=decode, to_json_dict=to_json_dict, fields_of=fields_of,
    description=__doc__,
)
render, write_vectors, main = FILES.render, FILES.write_vectors, FILES.main


if __name__ == "__main__":
    raise SystemExit(main())
