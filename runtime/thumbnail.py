"""The flight side of the deformation thumbnail: a fixed 160-byte follow-up to a cued alert.

After the 32-byte alert of an event tile (:mod:`quakesat.runtime.message`) the payload can send
a coarse picture of the tile's fringes: a CCSDS space packet (CCSDS 133.0-B-2 primary header,
6 bytes) of its own APID, :data:`THUMBNAIL_APID` (0x2C2; the 32-byte messages keep 0x2C1, so
their stream is untouched and a ground station routes on the APID), carrying the tile's id,
time and centre, the grid geometry and a 16 x 16 grid of 4-bit codes of the wrapped
line-of-sight (LOS) motion, closed by the same CRC-16/CCITT-FALSE (docs/downlink.md,
"Thumbnail (APID 0x2C2)", has the byte table and the code meaning).

Codes 0..14 are the wrapped interferometric phase of a cell in 15 equal steps over
[-π, π), that is the LOS motion modulo half the radar wavelength (one step
λ / 30 ≈ 1.85 mm); code :data:`NO_SIGNAL` (15) is a cell without coherent signal. The motion
is *wrapped*, not unwrapped: a 16 x 16 grid of a tile near an earthquake holds several fringes
per cell, which no unwrapping can recover (docs/downlink.md says more).

This module owns the layout (:data:`THUMBNAIL_FIELDS`), the constants, :class:`Thumbnail`,
:func:`encode_thumbnail` and the quantiser :func:`thumbnail_from_interferogram`; the ground
decoder is :mod:`quakesat.ground.thumbnail_decode`, the C++ codec
``cpp_runner/src/thumbnail.cpp``; both are tested on ``tests/vectors/thumbnail.jsonl``.
Standard library and numpy.
"""

from __future__ import annotations

import math
import operator
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quakesat.errors import MessageFieldError
from quakesat.runtime.message import (
    APID_MAX,
    CCSDS_VERSION,
    LAT_MAX,
    LATLON_SCALE,
    LON_MAX,
    PACKET_TYPE_TM,
    PRIMARY_HEADER_LENGTH,
    SEQ_COUNT_MAX,
    SEQ_FLAGS_UNSEGMENTED,
    U16_MAX,
    U32_MAX,
    Field,
    _int_field,
    _scaled_field,
    check_layout,
    crc16,
)

# ─── constants (docs/downlink.md and the golden vectors are tested against these) ───────
THUMBNAIL_APID = 0x2C2
"""Application process id of the thumbnails: the 32-byte messages' APID (0x2C1) plus one."""
THUMBNAIL_VERSION = 1
"""Thumbnail format version, the high nibble of byte 6; decoders reject any other."""
THUMBNAIL_KIND = 2
"""The low nibble of byte 6: the next code after the 32-byte message's kinds (tile report 0,
health 1), so byte 6 names the packet whichever APID it arrived on."""
GRID_SIDE = 16
"""Rows and columns of the grid (format version 1 carries 16 x 16 only)."""
CELLS = GRID_SIDE * GRID_SIDE
CODE_BITS = 4
CODES_LENGTH = CELLS * CODE_BITS // 8
"""Bytes of the packed grid: two 4-bit codes per byte, high nibble first, row-major."""
CODE_MAX = (1 << CODE_BITS) - 1
THUMBNAIL_LENGTH = 160
"""Every thumbnail is exactly this many bytes, header and CRC included: 6 of primary header, 24
of fields, 128 of codes, 2 of CRC (docs/downlink.md, "Thumbnail (APID 0x2C2)")."""
THUMBNAIL_PACKET_DATA_LENGTH = THUMBNAIL_LENGTH - PRIMARY_HEADER_LENGTH - 1
"""Value of the CCSDS packet data length field: bytes after the primary header, minus one."""
CELL_M_MIN = 1
"""Smallest cell side (m) the encoder takes: a cell of 0 m is no geometry (decoders reject it)."""

PHASE_STEPS = 15
"""Codes 0..14 split [-π, π) into this many equal steps."""
NO_SIGNAL = 15
"""The code of a cell without coherent signal (coherence below the threshold, or no data)."""
PHASE_STEP_RAD = 2.0 * math.pi / PHASE_STEPS
"""One code step of wrapped phase (radians)."""
ZERO_CODE = PHASE_STEPS // 2
"""The code whose step is centred on phase 0 (code k is centred on (k - 7) · 2π/15)."""
WAVELENGTH_M = 0.055465
"""Sentinel-1 C-band wavelength (m), 5.405 GHz: the value of quakesat.data.los and the
simulator (a test holds them equal)."""
LOS_WRAP_M = WAVELENGTH_M / 2
"""LOS motion of one fringe (2π): the wrapped motion is known modulo this."""
LOS_STEP_M = LOS_WRAP_M / PHASE_STEPS
"""LOS motion of one code step, λ/30 (about 1.85 mm)."""
LOS_STEP_MM = LOS_STEP_M * 1000
"""The same in millimetres (the decoded JSON's unit)."""
COHERENCE_MIN = 0.3
"""Default threshold of :func:`thumbnail_from_interferogram`: a cell whose coherence is below
it is :data:`NO_SIGNAL`."""

# ─── the byte layout ────────────────────────────────────────────────────────────────────
THUMBNAIL_FIELDS: tuple[Field, ...] = (
    Field("packet_id", 0, "H"),  # version(3) type(1) secondary header flag(1) APID(11)
    Field("packet_sequence_control", 2, "H"),  # sequence flags(2) sequence count(14)
    Field("packet_data_length", 4, "H"),
    Field("version_kind", 6, "B"),  # thumbnail version (high nibble), kind 2 (low nibble)
    Field("flags", 7, "B"),  # none defined in version 1: every bit reserved, must be 0
    Field("tile_id", 8, "I"),
    Field("time", 12, "I"),
    Field("lat", 16, "i"),
    Field("lon", 20, "i"),
    Field("rows", 24, "B"),
    Field("cols", 25, "B"),
    Field("cell_m", 26, "H"),
    Field("model_id", 28, "H"),
    Field("codes", 30, f"{CODES_LENGTH}s"),  # 256 codes of 4 bits, high nibble first, row-major
    Field("crc", 30 + CODES_LENGTH, "H"),
)
"""The single source of the thumbnail's byte layout; docs/downlink.md and the C++ side are
checked against it."""

THUMBNAIL_LAYOUT = struct.Struct(">" + "".join(f.fmt for f in THUMBNAIL_FIELDS))
THUMBNAIL_CRC_OFFSET = THUMBNAIL_FIELDS[-1].offset
THUMBNAIL_CODES_OFFSET = THUMBNAIL_FIELDS[-2].offset


def field_type_name(field: Field) -> str:
    """C-like type name of a thumbnail field: ``u8[128]`` for the codes, else the field's own."""
    if field.fmt.endswith("s"):
        return f"u8[{field.size}]"
    return field.type_name


check_layout(THUMBNAIL_FIELDS, THUMBNAIL_LAYOUT, THUMBNAIL_LENGTH, "thumbnail")


# ─── the thumbnail ──────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Thumbnail:
    """The coarse fringe picture of one tile, sent after its alert.

    Attributes:
        seq: CCSDS packet sequence count of the thumbnail APID, 0..16383 (wraps; each APID
            counts its own packets).
        tile_id: tile identifier, u32 (the alert's).
        time: acquisition time, Unix UTC seconds, u32 (the alert's).
        lat: latitude of the tile centre in degrees.
        lon: longitude of the tile centre in degrees.
        cell_m: side of one grid cell on the ground, metres, 1..65535.
        model_id: first two bytes of the deployed model's SHA-256 (the alert's).
        codes: the 256 codes of the 16 x 16 grid, row-major (row 0 first, each row column 0
            first), each 0..15: 0..14 wrapped phase steps, 15 no coherent signal.
        apid: CCSDS application process id.
    """

    seq: int
    tile_id: int
    time: int
    lat: float
    lon: float
    cell_m: int
    model_id: int
    codes: tuple[int, ...]
    apid: int = THUMBNAIL_APID


# ─── encode ─────────────────────────────────────────────────────────────────────────────
def _packed_codes(codes: Any) -> bytes:
    """Check the 256 codes and pack them two per byte, high nibble first."""
    if isinstance(codes, (str, bytes, bytearray)) or not isinstance(codes, (Sequence, np.ndarray)):
        raise MessageFieldError(
            f"codes must be a sequence of {CELLS} integers in 0..{CODE_MAX}, got {type(codes).__name__}"
        )
    if isinstance(codes, np.ndarray) and codes.ndim != 1:
        raise MessageFieldError(f"codes must be flat ({CELLS} codes, row-major), got an array of shape {codes.shape}")
    if len(codes) != CELLS:
        raise MessageFieldError(
            f"codes must hold {CELLS} codes ({GRID_SIDE} x {GRID_SIDE}, row-major), got {len(codes)}"
        )
    values = [_int_field(f"codes[{i}]", code, 0, CODE_MAX) for i, code in enumerate(codes)]
    return bytes((values[i] << 4) | values[i + 1] for i in range(0, CELLS, 2))


def encode_thumbnail(th: Thumbnail) -> bytes:
    """Encode a thumbnail into its packet.

    lat/lon are quantized as in :func:`quakesat.runtime.message.encode`: the range is checked
    on the value, then ``round(value * 1e7)``, half to even.

    Args:
        th: the thumbnail.

    Returns:
        Exactly :data:`THUMBNAIL_LENGTH` bytes, CRC included.

    Raises:
        MessageFieldError: a field is out of its valid range, NaN or of the wrong type, or the
            codes are not 256 integers in 0..15; the message names the field, its value and its
            valid range.
        TypeError: ``th`` is not a Thumbnail.
    """
    if not isinstance(th, Thumbnail):
        raise TypeError(f"expected a Thumbnail, got {type(th).__name__}")
    apid = _int_field("apid", th.apid, 0, APID_MAX)
    seq = _int_field("seq", th.seq, 0, SEQ_COUNT_MAX)
    values = (
        (CCSDS_VERSION << 13) | (PACKET_TYPE_TM << 12) | (0 << 11) | apid,
        (SEQ_FLAGS_UNSEGMENTED << 14) | seq,
        THUMBNAIL_PACKET_DATA_LENGTH,
        (THUMBNAIL_VERSION << 4) | THUMBNAIL_KIND,
        0,  # flags: none defined
        _int_field("tile_id", th.tile_id, 0, U32_MAX),
        _int_field("time", th.time, 0, U32_MAX),
        _scaled_field("lat", th.lat, -LAT_MAX, LAT_MAX, LATLON_SCALE),
        _scaled_field("lon", th.lon, -LON_MAX, LON_MAX, LATLON_SCALE),
        GRID_SIDE,
        GRID_SIDE,
        _int_field("cell_m", th.cell_m, CELL_M_MIN, U16_MAX),
        _int_field("model_id", th.model_id, 0, U16_MAX),
        _packed_codes(th.codes),
        0,  # CRC placeholder
    )
    packet = bytearray(THUMBNAIL_LAYOUT.pack(*values))
    struct.pack_into(">H", packet, THUMBNAIL_CRC_OFFSET, crc16(bytes(packet[:THUMBNAIL_CRC_OFFSET])))
    return bytes(packet)


def unpack_codes(packed: bytes) -> tuple[int, ...]:
    """The codes of a packed grid (the inverse of the encoder's packing).

    Args:
        packed: :data:`CODES_LENGTH` bytes, two codes each, high nibble first.

    Returns:
        The 256 codes, row-major.
    """
    return tuple(code for byte in packed for code in (byte >> 4, byte & 0x0F))


def los_wrapped_m(code: int) -> float | None:
    """The wrapped LOS motion a code stands for: the centre of its step, in metres.

    Code ``k`` (0..14) is the phase step centred on ``(k - 7) · 2π/15``, that is
    ``(k - 7) · λ/30`` of motion toward the satellite, modulo λ/2 (:data:`LOS_WRAP_M`).

    Args:
        code: a code, 0..15.

    Returns:
        The motion in metres, in [-λ/4, λ/4); None for :data:`NO_SIGNAL`.

    Raises:
        ValueError: ``code`` is not in 0..15.
    """
    try:
        number = None if isinstance(code, bool) else operator.index(code)
    except TypeError:
        number = None
    if number is None or not 0 <= number <= CODE_MAX:
        raise ValueError(f"a thumbnail code is an integer in 0..{CODE_MAX}, got {code!r}")
    if number == NO_SIGNAL:
        return None
    return (number - ZERO_CODE) * LOS_STEP_M


# ─── the quantiser ──────────────────────────────────────────────────────────────────────
def thumbnail_from_interferogram(
    interferogram: np.ndarray,
    coherence: np.ndarray | None = None,
    *,
    rows: int = GRID_SIDE,
    coherence_min: float = COHERENCE_MIN,
) -> tuple[int, ...]:
    """The codes of a ``rows x rows`` thumbnail of an interferogram.

    The interferogram is the on-board one (:func:`quakesat.runtime.interferogram.form_interferogram`:
    complex ``Σ post · conj(pre)`` per multilook block, ``H/looks x W/looks``, with its
    coherence), or any complex ``H x W`` image whose phase is the interferometric phase
    (positive: motion toward the satellite). Per cell of ``H/rows x W/rows`` pixels:

    1. a pixel whose interferogram (real or imaginary part) or coherence is not finite counts
       as 0 (no data, no coherence);
    2. ``S = Σ I`` (the complex mean up to its count, so the phase of the mean) and
       ``A = Σ |I|``;
    3. the cell's coherence ``q = κ · mean(γ)`` with the phase consistency ``κ = |S| / A``
       (1 where the cell's phases agree, near 0 where fringes denser than the cell cancel)
       and ``mean(γ)`` the mean of ``coherence`` over the cell; ``q = κ`` without coherence;
    4. code :data:`NO_SIGNAL` (15) where ``S = 0`` (no phase at all: no data, or a sum that
       cancels exactly) or ``q < coherence_min``; otherwise, with
       ``φ = atan2(S.im, S.re)`` in [-π, π], ``code = floor((φ + π) / (2π/15)) mod 15``.

    Ties: a phase exactly on a step boundary ``-π + k · 2π/15`` is code ``k`` (floor takes
    the upper step), and ``φ = π`` (the phase of a negative real sum, the same phase as -π) is
    code 0, which the ``mod 15`` gives. The boundary test is on the IEEE-754 double
    ``(φ + π) / (2π/15)`` with ``φ`` from ``numpy.arctan2``; only the flight side quantises
    (the ground reads codes), so no other implementation has to agree on it.

    Args:
        interferogram: 2-D complex array, ``H x W``, both sides multiples of ``rows``.
        coherence: the coherence (``H x W``, real, in [0, 1]), or None.
        rows: cells per side (the packet carries 16).
        coherence_min: the threshold ``q`` must reach, in [0, 1].

    Returns:
        ``rows * rows`` codes, row-major, as Python ints.

    Raises:
        ValueError: the interferogram is not a 2-D complex array, its sides are not divisible
            into the grid, ``coherence`` has another shape or is complex, ``rows`` is not a
            positive integer, or ``coherence_min`` is outside [0, 1].
    """
    values = np.asarray(interferogram)
    if values.ndim != 2 or not np.iscomplexobj(values):
        raise ValueError(
            f"an interferogram is a 2-D complex array, got {values.ndim}-D {values.dtype} of shape {values.shape}"
        )
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 1:
        raise ValueError(f"rows must be a positive integer, got {rows!r}")
    rows = int(rows)
    height, width = values.shape
    if height % rows or width % rows or height == 0:
        raise ValueError(
            f"an interferogram of {height} x {width} pixels cannot be divided into a {rows} x {rows} grid: "
            f"both sides must be positive multiples of {rows}"
        )
    if isinstance(coherence_min, bool) or not isinstance(coherence_min, (int, float, np.floating, np.integer)) \
            or not 0.0 <= float(coherence_min) <= 1.0:
        raise ValueError(f"coherence_min must be a number in [0, 1], got {coherence_min!r}")
    values = values.astype(np.complex128, copy=False)
    valid = np.isfinite(values.real) & np.isfinite(values.imag)
    gamma = None
    if coherence is not None:
        gamma = np.asarray(coherence)
        if gamma.shape != values.shape or np.iscomplexobj(gamma) or gamma.dtype.kind not in "fiu":
            raise ValueError(
                f"coherence must be a real array of the interferogram's shape {values.shape}, "
                f"got {gamma.dtype} of shape {gamma.shape}"
            )
        gamma = gamma.astype(np.float64)
        valid &= np.isfinite(gamma)
        gamma = np.where(valid, gamma, 0.0)
    values = np.where(valid, values, 0.0)

    def per_cell(array: np.ndarray) -> np.ndarray:
        return array.reshape(rows, height // rows, rows, width // rows).sum(axis=(1, 3))

    total = per_cell(values)
    amplitude = per_cell(np.abs(values))
    magnitude = np.abs(total)
    quality = np.divide(magnitude, amplitude, out=np.zeros(amplitude.shape), where=amplitude > 0)
    if gamma is not None:
        quality = quality * (per_cell(gamma) / ((height // rows) * (width // rows)))
    phase = np.arctan2(total.imag, total.real)
    steps = np.floor((phase + np.pi) / PHASE_STEP_RAD).astype(np.int64) % PHASE_STEPS
    codes = np.where((magnitude > 0) & (quality >= float(coherence_min)), steps, NO_SIGNAL)
    return tuple(int(code) for code in codes.ravel())
