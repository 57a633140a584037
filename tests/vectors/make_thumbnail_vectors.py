"""Write the thumbnail golden vectors (thumbnail.jsonl, thumbnail_invalid.jsonl) from a fixed seed.

Run ``python tests/vectors/make_thumbnail_vectors.py`` to (re)write them next to this script;
pytest checks the committed files equal what this produces (tests/runtime/test_thumbnail.py),
and the C++ codec is tested against the same files (cpp_runner/tests/test_thumbnail.cpp).
Every grid of codes is drawn or computed in integers (no libm), so the files are the same on
every machine. Change the seed or the cases only together with a format change.
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

from quakesat.ground.thumbnail_decode import decode_thumbnail, thumbnail_to_json_dict
from quakesat.runtime.message import LATLON_SCALE, SEQ_COUNT_MAX, U16_MAX, U32_MAX, TileReport, encode
from quakesat.runtime.thumbnail import (
    CELLS,
    GRID_SIDE,
    NO_SIGNAL,
    PHASE_STEPS,
    THUMBNAIL_CRC_OFFSET,
    THUMBNAIL_LENGTH,
    Thumbnail,
    encode_thumbnail,
)

SEED = 20260107
VALID_NAME = "thumbnail.jsonl"
INVALID_NAME = "thumbnail_invalid.jsonl"

#: A 256 px tile of 80 m in 16 cells: 1280 m per cell (runtime/interferogram.py's geometry).
_CELL_M = 1280


# ─── fields <-> thumbnails (the "fields" object is the encoder's input) ────────────────
def fields_of(th: Thumbnail) -> dict[str, Any]:
    """The encoder input of ``th`` as a JSON-ready dict (codes as a flat list, row-major)."""
    out = dict(vars(th))
    out["codes"] = list(th.codes)
    return out


def thumbnail_from_fields(fields: dict[str, Any]) -> Thumbnail:
    """Rebuild the thumbnail a vector's ``fields`` object describes."""
    values = dict(fields)
    values["codes"] = tuple(values["codes"])
    return Thumbnail(**values)


# ─── grids of codes (integers only) ─────────────────────────────────────────────────────
def _random_codes(rng: random.Random, no_signal: float) -> tuple[int, ...]:
    """Uniform phase codes, each cell 15 with probability ``no_signal``."""
    return tuple(NO_SIGNAL if rng.random() < no_signal else rng.randrange(PHASE_STEPS) for _ in range(CELLS))


def _bullseye(centre_row: int, centre_col: int, rings_per_cell2: int, radius2_coherent: int) -> tuple[int, ...]:
    """Concentric fringes around a cell, in code steps of the squared distance (an uplift's
    pattern), incoherent beyond ``radius2_coherent`` (squared cells)."""
    codes = []
    for row in range(GRID_SIDE):
        for col in range(GRID_SIDE):
            r2 = (row - centre_row) ** 2 + (col - centre_col) ** 2
            codes.append(NO_SIGNAL if r2 > radius2_coherent else (r2 * rings_per_cell2 + 7) % PHASE_STEPS)
    return tuple(codes)


def _ramp(step_row: int, step_col: int) -> tuple[int, ...]:
    """A linear phase ramp (parallel fringes), wrapped."""
    return tuple((row * step_row + col * step_col) % PHASE_STEPS
                 for row in range(GRID_SIDE) for col in range(GRID_SIDE))


# ─── valid thumbnails ───────────────────────────────────────────────────────────────────
class _Draw(SequenceDraw):
    """Seeded draws of plausible field values."""

    def thumbnail(self, **overrides: Any) -> Thumbnail:
        rng = self.rng
        values: dict[str, Any] = {
            "seq": self.next_seq(),
            "tile_id": rng.randrange(U32_MAX + 1),
            "time": rng.randrange(*TIME_RANGE),
            "lat": rng.uniform(-70.0, 70.0),
            "lon": rng.uniform(-180.0, 180.0),
            "cell_m": _CELL_M,
            "model_id": rng.randrange(U16_MAX + 1),
            "codes": _random_codes(rng, 0.2),
        }
        values.update(overrides)
        return Thumbnail(**values)


def build_valid(rng: random.Random) -> list[tuple[str, Thumbnail]]:
    """The valid cases, ``(name, thumbnail)`` pairs drawn from ``rng`` in a fixed order: fringe
    patterns, uniform grids, every field at its extremes, a sequence-count wrap, rounding ties
    and lat/lon small enough for exponent notation in JSON."""
    d = _Draw(rng)
    cases: list[tuple[str, Thumbnail]] = [
        ("random_codes", d.thumbnail()),
        ("random_codes_mostly_incoherent", d.thumbnail(codes=_random_codes(rng, 0.8))),
        ("bullseye_uplift", d.thumbnail(codes=_bullseye(7, 9, 1, 40))),
        ("bullseye_dense_fringes", d.thumbnail(codes=_bullseye(3, 12, 4, 90))),
        ("ramp_parallel_fringes", d.thumbnail(codes=_ramp(1, 2))),
        ("every_code_once_per_row", d.thumbnail(codes=tuple(range(GRID_SIDE)) * GRID_SIDE)),
        ("all_codes_15_no_signal", d.thumbnail(codes=(NO_SIGNAL,) * CELLS)),
        ("all_codes_0", d.thumbnail(codes=(0,) * CELLS)),
        ("all_codes_14", d.thumbnail(codes=(PHASE_STEPS - 1,) * CELLS)),
        ("all_codes_7_zero_motion", d.thumbnail(codes=(7,) * CELLS)),
        ("lat_max_lon_max", d.thumbnail(lat=90.0, lon=180.0)),
        ("lat_min_lon_min", d.thumbnail(lat=-90.0, lon=-180.0)),
        ("lat_max_lon_min", d.thumbnail(lat=90.0, lon=-180.0)),
        ("ids_max_time_max", d.thumbnail(tile_id=U32_MAX, model_id=U16_MAX, time=U32_MAX)),
        ("ids_0_time_0_centre_0", d.thumbnail(tile_id=0, model_id=0, time=0, lat=0.0, lon=0.0)),
        ("cell_m_1", d.thumbnail(cell_m=1)),
        ("cell_m_max", d.thumbnail(cell_m=U16_MAX)),
        ("seq_max_before_wrap", d.thumbnail(seq=SEQ_COUNT_MAX)),
        ("seq_0_after_wrap", d.thumbnail(seq=0)),
        # Exact ties of value * 1e7: round half to even gives 0 and 0, not 1 and -1.
        ("rounding_ties_half_even", d.thumbnail(lat=0.5 / LATLON_SCALE, lon=-0.5 / LATLON_SCALE)),
        # Python's JSON writes |x| < 1e-4 in exponent notation (1e-07): the C++ writer must too.
        ("lat_lon_tiny_exponent_notation", d.thumbnail(lat=1 / LATLON_SCALE, lon=-35 / LATLON_SCALE)),
        ("lat_lon_just_under_1e-4", d.thumbnail(lat=999 / LATLON_SCALE, lon=-1000 / LATLON_SCALE)),
    ]
    return cases


# ─── invalid thumbnails ─────────────────────────────────────────────────────────────────
def build_invalid(rng: random.Random) -> list[tuple[str, bytes, str]]:
    """Malformed thumbnails, ``(name, bytes, expected reason)`` triples: at least one per reason
    producible from bytes, plus check order. Each is a valid thumbnail corrupted so that exactly
    the named check fires first (the CRC recomputed for every check after the CRC's)."""
    d = _Draw(rng)
    good = encode_thumbnail(d.thumbnail())
    other = encode_thumbnail(d.thumbnail(codes=(NO_SIGNAL,) * CELLS))
    alert = encode(TileReport(seq=1, tile_id=7, time=1_704_456_000, lat=1.0, lon=2.0, magnitude=6.0,
                              confidence=0.9, model_id=1, event=True))
    bit = rng.randrange(6 * 8, THUMBNAIL_CRC_OFFSET * 8)
    lat_over, lon_under = set_fmt(16, "i", 900_000_001), set_fmt(20, "i", -1_800_000_001)
    x = mutated
    last = THUMBNAIL_LENGTH - 1
    cases: list[tuple[str, bytes, str]] = [
        ("empty", b"", "bad_length"),
        ("truncated_159", good[:last], "bad_length"),
        ("header_only", good[:6], "bad_length"),
        ("extended_161", good + b"\x00", "bad_length"),
        ("a_32_byte_alert", alert, "bad_length"),
        ("alert_then_thumbnail", alert + good, "bad_length"),
        ("two_thumbnails_as_one", good + other, "bad_length"),
        ("payload_bit_flip", x(good, xor_u8(bit // 8, 0x80 >> bit % 8), False), "crc_mismatch"),
        ("codes_nibble_flip", x(good, xor_u8(100, 0x0F), False), "crc_mismatch"),
        ("crc_field_bit_flip", x(good, xor_u8(last, 0x01), False), "crc_mismatch"),
        ("all_zero_bytes", bytes(THUMBNAIL_LENGTH), "crc_mismatch"),
        ("ccsds_version_1", x(good, or_u8(0, 0x20)), "bad_ccsds_version"),
        ("telecommand_type", x(good, or_u8(0, 0x10)), "not_telemetry"),
        ("secondary_header_flag", x(good, or_u8(0, 0x08)), "secondary_header_set"),
        ("apid_0x2c1_of_the_alerts", x(good, set_fmt(0, "H", 0x2C1)), "bad_apid"),
        ("apid_idle_0x7ff", x(other, set_fmt(0, "H", 0x7FF)), "bad_apid"),
        ("sequence_flags_first_segment", x(good, seq_flags(0b01)), "bad_sequence_flags"),
        ("sequence_flags_continuation", x(good, seq_flags(0b00)), "bad_sequence_flags"),
        ("data_length_25_of_the_alerts", x(good, set_fmt(4, "H", 25)), "bad_data_length"),
        ("data_length_0", x(other, set_fmt(4, "H", 0)), "bad_data_length"),
        ("data_length_154", x(good, set_fmt(4, "H", 154)), "bad_data_length"),
        ("version_0", x(good, set_u8(6, 0x02)), "unknown_version"),
        ("version_2", x(other, set_u8(6, 0x22)), "unknown_version"),
        ("kind_0_tile_report", x(good, set_u8(6, 0x10)), "unknown_kind"),
        ("kind_1_health", x(good, set_u8(6, 0x11)), "unknown_kind"),
        ("kind_15", x(other, set_u8(6, 0x1F)), "unknown_kind"),
        ("reserved_flag_bit0", x(good, or_u8(7, 0x01)), "reserved_flags_set"),
        ("reserved_flag_bit7", x(other, or_u8(7, 0x80)), "reserved_flags_set"),
        ("rows_8", x(good, set_u8(24, 8)), "bad_grid"),
        ("cols_32", x(good, set_u8(25, 32)), "bad_grid"),
        ("rows_0_cols_0", x(other, chain(set_u8(24, 0), set_u8(25, 0))), "bad_grid"),
        ("cell_m_0", x(good, set_fmt(26, "H", 0)), "bad_grid"),
        ("lat_above_90", x(good, lat_over), "lat_out_of_range"),
        ("lat_below_minus_90", x(other, set_fmt(16, "i", -900_000_001)), "lat_out_of_range"),
        ("lat_int32_min", x(good, set_fmt(16, "i", -(2**31))), "lat_out_of_range"),
        ("lon_above_180", x(good, set_fmt(20, "i", 1_800_000_001)), "lon_out_of_range"),
        ("lon_below_minus_180", x(other, lon_under), "lon_out_of_range"),
        ("lon_int32_max", x(good, set_fmt(20, "i", 2**31 - 1)), "lon_out_of_range"),
        # Several faults at once: the earliest check in THUMBNAIL_REJECT_REASONS order must win.
        ("order_crc_before_header", x(good, chain(or_u8(0, 0x10), set_u8(6, 0x32)), False), "crc_mismatch"),
        ("order_apid_before_kind", x(good, chain(set_fmt(0, "H", 0x2C1), set_u8(6, 0x10))), "bad_apid"),
        ("order_kind_before_flags", x(good, chain(set_u8(6, 0x11), set_u8(7, 0xFF))), "unknown_kind"),
        ("order_flags_before_grid", x(good, chain(set_u8(7, 0x40), set_u8(24, 4))), "reserved_flags_set"),
        ("order_grid_before_lat", x(good, chain(set_fmt(26, "H", 0), lat_over)), "bad_grid"),
        ("order_lat_before_lon", x(good, chain(lat_over, lon_under)), "lat_out_of_range"),
    ]
    return cases


# ─── files ──────────────────────────────────────────────────────────────────────────────
#: The two files, from the cases above (tests/vectors/packet_vectors.py writes them).
FILES = PacketVectors(
    seed=SEED, names=(VALID_NAME, INVALID_NAME), build_valid=build_valid, build_invalid=build_invalid,
    encode=encode_thumbnail, decode=decode_thumbnail, to_json_dict=thumbnail_to_json_dict, fields_of=fields_of,
    description=__doc__,
)
render, write_vectors, main = FILES.render, FILES.write_vectors, FILES.main


if __name__ == "__main__":
    raise SystemExit(main())
