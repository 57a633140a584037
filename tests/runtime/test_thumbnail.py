"""Tests of the deformation thumbnail's flight side (runtime/thumbnail.py, docs/downlink.md
"Thumbnail (APID 0x2C2)"): the golden vectors, the encoder's limits, the quantiser on
interferograms with a known answer, and the doc's tables against the code."""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quakesat.errors import MessageFieldError
from quakesat.ground.thumbnail_decode import (
    LOS_MODULO_MM,
    THUMBNAIL_REJECT_REASONS,
    decode_thumbnail,
    los_wrapped_mm,
    thumbnail_to_json_dict,
)
from quakesat.runtime import message as m
from quakesat.runtime import thumbnail as t
from quakesat.runtime.interferogram import form_interferogram
from quakesat.runtime.thumbnail import (
    CELLS,
    GRID_SIDE,
    NO_SIGNAL,
    THUMBNAIL_FIELDS,
    THUMBNAIL_LENGTH,
    Thumbnail,
    encode_thumbnail,
    field_type_name,
    los_wrapped_m,
    thumbnail_from_interferogram,
)
from tests.downlink_helpers import (
    DOC,
    assert_rejected_as,
    assert_vectors_fresh,
    doc_code,
    doc_table,
    generator,
    read_vectors,
)

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

GEN = generator("make_thumbnail_vectors")
VALID = read_vectors(GEN.VALID_NAME)
INVALID = read_vectors(GEN.INVALID_NAME)


def _thumb(**overrides: object) -> Thumbnail:
    base = {"seq": 42, "tile_id": 1234, "time": 1_704_456_000, "lat": 37.1234567, "lon": -122.5, "cell_m": 1280,
            "model_id": 0xABCD, "codes": tuple(i % 16 for i in range(CELLS))}
    base.update(overrides)
    return Thumbnail(**base)  # type: ignore[arg-type]


# ─── golden vectors ─────────────────────────────────────────────────────────────────────
def test_committed_vectors_equal_a_fresh_generation(tmp_path: Path) -> None:
    assert_vectors_fresh(GEN, tmp_path)


def test_vector_names_unique() -> None:
    names = [v["name"] for v in VALID + INVALID]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["name"])
def test_valid_vector_round_trips(vector: dict) -> None:
    data = bytes.fromhex(vector["hex"])
    assert len(data) == THUMBNAIL_LENGTH
    decoded = decode_thumbnail(data)
    assert thumbnail_to_json_dict(decoded) == vector["decoded"]
    assert encode_thumbnail(decoded) == data
    assert encode_thumbnail(GEN.thumbnail_from_fields(vector["fields"])) == data


@pytest.mark.parametrize("vector", INVALID, ids=lambda v: v["name"])
def test_invalid_vector_is_rejected_with_its_reason(vector: dict) -> None:
    assert_rejected_as(decode_thumbnail, vector)


def test_vectors_cover_the_edges() -> None:
    thumbs = [decode_thumbnail(bytes.fromhex(v["hex"])) for v in VALID]
    grids = {th.codes for th in thumbs}
    for code in (0, 14, NO_SIGNAL):
        assert (code,) * CELLS in grids
    assert {(90.0, 180.0), (-90.0, -180.0)} <= {(th.lat, th.lon) for th in thumbs}
    assert {0, m.U32_MAX} <= {th.tile_id for th in thumbs}
    assert {0, m.U32_MAX} <= {th.time for th in thumbs}
    assert {0, m.U16_MAX} <= {th.model_id for th in thumbs}
    assert {1, m.U16_MAX} <= {th.cell_m for th in thumbs}
    seqs = [th.seq for th in thumbs]
    assert any(a == m.SEQ_COUNT_MAX and b == 0 for a, b in itertools.pairwise(seqs)), "a sequence-count wrap"
    assert set(range(16)) <= {code for th in thumbs for code in th.codes}
    # every reason bytes can produce (all but not_bytes) has a vector
    assert {v["reason"] for v in INVALID} == set(THUMBNAIL_REJECT_REASONS) - {"not_bytes"}


# ─── encoder ────────────────────────────────────────────────────────────────────────────
codes_strategy = st.lists(st.integers(0, 15), min_size=CELLS, max_size=CELLS).map(tuple)


@st.composite
def thumbnails(draw: st.DrawFn) -> Thumbnail:
    def bounded(low: float, high: float) -> st.SearchStrategy[float]:
        return st.one_of(st.sampled_from([low, high]), st.floats(low, high, allow_nan=False))

    return Thumbnail(
        seq=draw(st.integers(0, m.SEQ_COUNT_MAX)),
        tile_id=draw(st.integers(0, m.U32_MAX)),
        time=draw(st.integers(0, m.U32_MAX)),
        lat=draw(bounded(-90.0, 90.0)),
        lon=draw(bounded(-180.0, 180.0)),
        cell_m=draw(st.integers(1, m.U16_MAX)),
        model_id=draw(st.integers(0, m.U16_MAX)),
        codes=draw(codes_strategy),
    )


@FAST
@given(thumbnails())
def test_round_trip_within_quantization_and_idempotent(th: Thumbnail) -> None:
    data = encode_thumbnail(th)
    assert len(data) == THUMBNAIL_LENGTH
    decoded = decode_thumbnail(data)
    assert abs(decoded.lat - th.lat) <= 0.5 / m.LATLON_SCALE * (1 + 1e-9)
    assert abs(decoded.lon - th.lon) <= 0.5 / m.LATLON_SCALE * (1 + 1e-9)
    assert (decoded.seq, decoded.tile_id, decoded.time, decoded.cell_m, decoded.model_id, decoded.codes, decoded.apid) \
        == (th.seq, th.tile_id, th.time, th.cell_m, th.model_id, th.codes, th.apid)
    assert encode_thumbnail(decoded) == data


def test_packing_is_high_nibble_first_row_major() -> None:
    codes = [0] * CELLS
    codes[0], codes[1], codes[GRID_SIDE] = 0xA, 0x5, 0xC  # row 0 col 0, row 0 col 1, row 1 col 0
    data = encode_thumbnail(_thumb(codes=tuple(codes)))
    offset = t.THUMBNAIL_CODES_OFFSET
    assert data[offset] == 0xA5 and data[offset + GRID_SIDE // 2] == 0xC0
    assert t.unpack_codes(data[offset : offset + t.CODES_LENGTH]) == tuple(codes)


def test_header_and_fixed_fields() -> None:
    data = encode_thumbnail(_thumb(seq=m.SEQ_COUNT_MAX))
    assert data[:2] == b"\x02\xc2" and data[2:4] == b"\xff\xff"
    assert int.from_bytes(data[4:6], "big") == t.THUMBNAIL_PACKET_DATA_LENGTH == THUMBNAIL_LENGTH - 7
    assert data[6] == 0x12 and data[7] == 0 and data[24] == data[25] == 16
    assert int.from_bytes(data[-2:], "big") == m.crc16(data[:-2])


def test_rounding_is_half_to_even() -> None:
    decoded = decode_thumbnail(encode_thumbnail(_thumb(lat=0.5 / m.LATLON_SCALE, lon=-2.5 / m.LATLON_SCALE)))
    assert (decoded.lat, decoded.lon) == (0.0, -2 / m.LATLON_SCALE)


INT_LIMITS = [("seq", 0, m.SEQ_COUNT_MAX), ("tile_id", 0, m.U32_MAX), ("time", 0, m.U32_MAX),
              ("model_id", 0, m.U16_MAX), ("cell_m", 1, m.U16_MAX), ("apid", 0, m.APID_MAX)]


@pytest.mark.parametrize("name,low,high", INT_LIMITS, ids=[row[0] for row in INT_LIMITS])
def test_int_field_limits(name: str, low: int, high: int) -> None:
    for ok in (low, high):
        encode_thumbnail(_thumb(**{name: ok}))
    for bad in (low - 1, high + 1):
        with pytest.raises(MessageFieldError, match=f"{name}={bad} is outside its valid range {low}..{high}"):
            encode_thumbnail(_thumb(**{name: bad}))
    for wrong_type in (float(low), True, "1", None):
        with pytest.raises(MessageFieldError, match=name):
            encode_thumbnail(_thumb(**{name: wrong_type}))


@pytest.mark.parametrize("name,limit", [("lat", 90.0), ("lon", 180.0)])
def test_lat_lon_limits(name: str, limit: float) -> None:
    for ok in (-limit, limit, 0, int(limit)):
        encode_thumbnail(_thumb(**{name: ok}))
    for bad in (math.nextafter(limit, math.inf), -limit - 1e-7, math.inf, -math.inf):
        with pytest.raises(MessageFieldError, match=f"{name}=.* is outside its valid range"):
            encode_thumbnail(_thumb(**{name: bad}))
    with pytest.raises(MessageFieldError, match="NaN"):
        encode_thumbnail(_thumb(**{name: math.nan}))
    with pytest.raises(MessageFieldError, match=name):
        encode_thumbnail(_thumb(**{name: "1.0"}))


def test_codes_are_checked() -> None:
    ok = [7] * CELLS
    encode_thumbnail(_thumb(codes=ok))  # a list will do
    encode_thumbnail(_thumb(codes=np.full(CELLS, 15, dtype=np.uint8)))  # and a flat numpy array
    for index, bad in ((0, 16), (255, -1)):
        codes = list(ok)
        codes[index] = bad
        with pytest.raises(MessageFieldError, match=rf"codes\[{index}\]={bad} is outside its valid range 0..15"):
            encode_thumbnail(_thumb(codes=tuple(codes)))
    for wrong in (1.0, True, "3", None):
        codes = list(ok)
        codes[3] = wrong
        with pytest.raises(MessageFieldError, match=r"codes\[3\]"):
            encode_thumbnail(_thumb(codes=tuple(codes)))
    for length in (0, 255, 257):
        with pytest.raises(MessageFieldError, match=f"must hold 256 codes.*got {length}"):
            encode_thumbnail(_thumb(codes=(0,) * length))
    with pytest.raises(MessageFieldError, match="flat"):
        encode_thumbnail(_thumb(codes=np.zeros((16, 16), dtype=int)))
    for not_a_sequence in (None, 5, b"\x00" * 256, "0" * 256, {0: 1}):
        with pytest.raises(MessageFieldError, match="codes must be a sequence"):
            encode_thumbnail(_thumb(codes=not_a_sequence))
    with pytest.raises(TypeError):
        encode_thumbnail("not a thumbnail")  # type: ignore[arg-type]


def test_los_of_a_code() -> None:
    assert los_wrapped_m(7) == 0.0 and los_wrapped_m(NO_SIGNAL) is None
    assert los_wrapped_m(0) == pytest.approx(-7 * t.WAVELENGTH_M / 30)
    assert los_wrapped_m(14) == pytest.approx(7 * t.WAVELENGTH_M / 30)
    assert t.LOS_STEP_M == pytest.approx(t.WAVELENGTH_M / 2 / 15) and 1.84 < t.LOS_STEP_MM < 1.86
    assert all(-t.LOS_WRAP_M / 2 <= los_wrapped_m(k) < t.LOS_WRAP_M / 2 for k in range(15))
    for bad in (-1, 16, 1.0, True, None):
        with pytest.raises(ValueError):
            los_wrapped_m(bad)  # type: ignore[arg-type]


def test_wavelength_is_the_one_of_the_simulator_and_the_data_layer() -> None:
    from quakesat.data.los import WAVELENGTH_M

    assert t.WAVELENGTH_M == WAVELENGTH_M


# ─── the quantiser ──────────────────────────────────────────────────────────────────────
def _analytic_code(phase: np.ndarray) -> np.ndarray:
    """floor(((φ + π) mod 2π) / (2π/15)), the code of a phase known exactly."""
    return np.floor(np.mod(phase + np.pi, 2 * np.pi) / (2 * np.pi / 15)).astype(int)


def _boundary_margin(phase: np.ndarray) -> float:
    """Distance (in steps) of the nearest phase to a step boundary."""
    steps = np.mod(phase + np.pi, 2 * np.pi) / (2 * np.pi / 15)
    return float(np.min(np.abs(steps - np.round(steps))))


def _ramp(side: int, per_row: float, per_col: float, offset: float) -> np.ndarray:
    rows, cols = np.mgrid[0:side, 0:side].astype(np.float64)
    return per_row * rows + per_col * cols + offset


@pytest.mark.parametrize("side", [32, 64, 256])
def test_a_phase_ramp_gives_the_analytic_codes(side: int) -> None:
    # Unit-amplitude pixels on a linear phase ramp: a cell's complex mean has exactly the phase
    # of the ramp at the cell centre (the pixels pair up symmetrically around it), as long as the
    # ramp turns by less than pi across the cell; the ramp wraps several times over the grid.
    per_pixel = side // GRID_SIDE
    per_row, per_col, offset = 0.61 / per_pixel, -0.37 / per_pixel, 0.123
    interferogram = np.exp(1j * _ramp(side, per_row, per_col, offset))
    centres = (np.arange(GRID_SIDE) * per_pixel + (per_pixel - 1) / 2).astype(np.float64)
    centre_phase = per_row * centres[:, None] + per_col * centres[None, :] + offset
    assert _boundary_margin(centre_phase) > 1e-6  # far from every tie, beyond rounding (~1e-13)
    expected = _analytic_code(centre_phase)
    codes = thumbnail_from_interferogram(interferogram)
    assert np.array_equal(np.array(codes).reshape(GRID_SIDE, GRID_SIDE), expected)
    assert len(set(codes)) == 15  # every phase step shows up
    # the same with a uniform coherence above the threshold, and through complex64
    assert thumbnail_from_interferogram(interferogram.astype(np.complex64), np.full((side, side), 0.9)) == codes


def test_the_on_board_interferogram_shape_is_accepted() -> None:
    # A 256 px same-track pair, post turned by a phase ramp: the on-board interferogram is
    # 32 x 32 blocks of 8 x 8 (runtime/interferogram.py); a cell is 2 x 2 blocks = 16 x 16 px.
    side, looks = 256, 8
    per_row, per_col, offset = 0.05, 0.021, -2.5
    phase = _ramp(side, per_row, per_col, offset)
    pre = np.ones((side, side), dtype=np.complex64)
    post = np.exp(1j * phase).astype(np.complex64)
    interferogram, coherence = form_interferogram(pre, post, looks)
    assert interferogram.shape == coherence.shape == (32, 32)
    centres = np.arange(GRID_SIDE) * 16 + 7.5
    centre_phase = per_row * centres[:, None] + per_col * centres[None, :] + offset
    assert _boundary_margin(centre_phase) > 1e-6
    codes = thumbnail_from_interferogram(interferogram, coherence)
    assert np.array_equal(np.array(codes).reshape(GRID_SIDE, GRID_SIDE), _analytic_code(centre_phase))


def test_amplitude_does_not_move_a_constant_phase() -> None:
    rng = np.random.default_rng(4)
    amplitude = rng.uniform(0.1, 3.0, (64, 64))
    for code in range(15):
        phase = -np.pi + (code + 0.5) * 2 * np.pi / 15
        codes = thumbnail_from_interferogram(amplitude * np.exp(1j * phase))
        assert set(codes) == {code}


def test_incoherent_cells_are_no_signal() -> None:
    side = 64
    interferogram = np.exp(1j * _ramp(side, 0.01, 0.02, 0.3))
    coherence = np.full((side, side), 0.8)
    coherence[:16, :] = 0.05  # the first four cell rows: decorrelated
    coherence[32:34, 40:42] = 0.0  # a quarter of cell (8, 10): its mean coherence 0.6 still passes
    codes = np.array(thumbnail_from_interferogram(interferogram, coherence)).reshape(GRID_SIDE, GRID_SIDE)
    assert (codes[:4] == NO_SIGNAL).all()
    assert (codes[4:] != NO_SIGNAL).all()
    # at the threshold itself a cell is coherent; just over it, not (phase 0: kappa is exactly 1)
    flat, quarter = np.ones((side, side), dtype=complex), np.full((side, side), 0.25)
    assert set(thumbnail_from_interferogram(flat, quarter, coherence_min=0.25)) == {7}
    assert set(thumbnail_from_interferogram(flat, quarter, coherence_min=math.nextafter(0.25, 1))) == {NO_SIGNAL}


def test_fringes_denser_than_a_cell_cancel_into_no_signal() -> None:
    # A whole fringe across each 4-pixel cell (and a checkerboard of 0 and pi): the complex
    # mean vanishes, the phase consistency is ~0, so no phase is claimed.
    side = 64
    dense = np.exp(1j * _ramp(side, 0.0, 2 * np.pi / 4, 0.2))
    assert set(thumbnail_from_interferogram(dense, np.ones((side, side)))) == {NO_SIGNAL}
    checker = np.where((np.add.outer(np.arange(side), np.arange(side)) % 2) == 0, 1.0, -1.0).astype(complex)
    assert set(thumbnail_from_interferogram(checker)) == {NO_SIGNAL}
    # a sum that cancels exactly has no phase at all: no signal even with no threshold
    assert set(thumbnail_from_interferogram(checker, coherence_min=0.0)) == {NO_SIGNAL}


def test_no_data_and_empty_cells() -> None:
    side = 32
    interferogram = np.full((side, side), 2.0 + 0j)  # phase 0: code 7
    interferogram[:2, :2] = np.nan  # all of cell (0, 0): no data
    interferogram[2, 2] = complex(np.inf, 0)  # one pixel of cell (1, 1): the rest still speak
    interferogram[4:6, 4:6] = 0  # all of cell (2, 2): zero amplitude, no phase
    coherence = np.ones((side, side))
    coherence[6:8, 6:8] = np.nan  # all of cell (3, 3): no coherence
    codes = np.array(thumbnail_from_interferogram(interferogram, coherence, coherence_min=0.0)).reshape(16, 16)
    assert codes[0, 0] == codes[2, 2] == codes[3, 3] == NO_SIGNAL
    assert codes[1, 1] == 7 and (codes[4:] == 7).all()


def test_ties_plus_pi_is_code_0_and_zero_is_code_7() -> None:
    negative_real = np.full((16, 16), -1.0 + 0j)  # atan2(0, -x) = +pi: the same phase as -pi
    assert set(thumbnail_from_interferogram(negative_real)) == {0}
    negative_zero = np.full((16, 16), complex(-1.0, -0.0))  # atan2(-0, -x) = -pi
    assert set(thumbnail_from_interferogram(negative_zero)) == {0}
    assert set(thumbnail_from_interferogram(np.ones((16, 16), dtype=complex))) == {7}
    assert set(thumbnail_from_interferogram(np.full((16, 16), 1j))) == {11}  # pi/2: floor(11.25)


@pytest.mark.parametrize("shape", [(30, 32), (32, 40), (8, 8), (0, 0), (17, 16)])
def test_an_indivisible_tile_is_refused(shape: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="cannot be divided into a 16 x 16 grid"):
        thumbnail_from_interferogram(np.ones(shape, dtype=complex))


def test_bad_arguments_are_refused() -> None:
    good = np.ones((32, 32), dtype=complex)
    with pytest.raises(ValueError, match="2-D complex"):
        thumbnail_from_interferogram(np.ones((32, 32)))
    with pytest.raises(ValueError, match="2-D complex"):
        thumbnail_from_interferogram(np.ones((2, 32, 32), dtype=complex))
    for coherence in (np.ones((16, 16)), np.ones((32, 32), dtype=complex), np.ones((32, 32), dtype=bool)):
        with pytest.raises(ValueError, match="coherence must be a real array"):
            thumbnail_from_interferogram(good, coherence)
    for rows in (0, -16, 16.0, True):
        with pytest.raises(ValueError, match="rows must be a positive integer"):
            thumbnail_from_interferogram(good, rows=rows)  # type: ignore[arg-type]
    for threshold in (-0.1, 1.5, math.nan, "0.3", None):
        with pytest.raises(ValueError, match="coherence_min"):
            thumbnail_from_interferogram(good, coherence_min=threshold)  # type: ignore[arg-type]
    assert len(thumbnail_from_interferogram(good, rows=8)) == 64  # another grid for other uses


def test_codes_encode() -> None:
    codes = thumbnail_from_interferogram(np.exp(1j * _ramp(32, 0.3, 0.2, 0.0)))
    assert isinstance(codes, tuple) and all(type(code) is int for code in codes)
    assert decode_thumbnail(encode_thumbnail(_thumb(codes=codes))).codes == codes


# ─── docs/downlink.md is checked against the code ───────────────────────────────────────
def test_doc_field_table_matches_code() -> None:
    rows = doc_table("table:thumbnail-fields")
    assert len(rows) == len(THUMBNAIL_FIELDS)
    for row, field in zip(rows, THUMBNAIL_FIELDS):
        offset, size, type_name, name, _meaning = row
        assert (int(offset), int(size), type_name, doc_code(name)) == (
            field.offset, field.size, field_type_name(field), field.name,
        )
    meaning = {doc_code(row[3]): row[4] for row in rows}
    assert f"`0x{t.THUMBNAIL_APID:03X}`" in meaning["packet_id"]
    assert meaning["packet_data_length"].startswith(f"{t.THUMBNAIL_PACKET_DATA_LENGTH} ")
    assert f"version {t.THUMBNAIL_VERSION}" in meaning["version_kind"]
    assert f"kind {t.THUMBNAIL_KIND}" in meaning["version_kind"]
    assert f"bytes 0..{t.THUMBNAIL_CRC_OFFSET - 1}" in meaning["crc"]


def _phase_text(n: int) -> str:
    """n π/15 as the doc writes it."""
    if n == 0:
        return "0"
    sign, size = ("-" if n < 0 else ""), abs(n)
    return sign + ("π" if size == 15 else "π/15" if size == 1 else f"{size}π/15")


def test_doc_code_table_matches_code() -> None:
    rows = doc_table("table:thumbnail-codes")
    assert [int(row[0]) for row in rows] == list(range(16))
    for code, phase, shown in rows[:15]:
        k = int(code)
        assert phase == f"[{_phase_text(2 * k - 15)}, {_phase_text(2 * k - 13)})"
        assert float(shown) == los_wrapped_mm(k)
    assert rows[15][1:] == ["no coherent signal", "null"]


def test_doc_constants_and_budget() -> None:
    text = DOC.read_text(encoding="utf-8").split("## Thumbnail (APID 0x2C2)")[1]
    assert f"λ = {t.WAVELENGTH_M} m" in text
    assert f"λ/2 = {LOS_MODULO_MM} mm" in text and f"λ/30 = {t.LOS_STEP_MM:.3f} mm" in text
    assert f"`COHERENCE_MIN` = {t.COHERENCE_MIN}" in text
    budget = dict(doc_table("table:thumbnail-budget"))
    assert int(budget["quakesat thumbnail"]) == THUMBNAIL_LENGTH
    assert int(budget["alert and its thumbnail"]) == THUMBNAIL_LENGTH + m.MESSAGE_LENGTH


def test_doc_example_decodes_to_shown_picture_and_json() -> None:
    text = DOC.read_text(encoding="utf-8")
    hex_text = re.search(r"<!-- example:thumbnail-hex -->\s*```text\n([0-9a-f]+)\n```", text).group(1)
    picture = re.search(r"<!-- example:thumbnail-picture -->\s*```text\n([0-9a-f\n]+)\n```", text).group(1)
    json_text = re.search(r"<!-- example:thumbnail-json -->\s*```json\n(.*?)\n```", text, flags=re.DOTALL).group(1)
    decoded = decode_thumbnail(bytes.fromhex(hex_text))
    rows = picture.split("\n")
    assert rows == ["".join(f"{code:x}" for code in decoded.codes[r * 16 : (r + 1) * 16]) for r in range(16)]
    full = thumbnail_to_json_dict(decoded)
    shown = json.loads(json_text)
    assert list(shown) + ["codes", "los_wrapped_mm"] == list(full)
    assert shown == {key: full[key] for key in shown}
