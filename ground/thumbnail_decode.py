"""The ground decoder of the deformation thumbnail: 160 bytes back into a Thumbnail, checked.

The flight side only encodes (:mod:`quakesat.runtime.thumbnail` owns the layout, the encoder
and the quantiser); here :func:`decode_thumbnail` validates one thumbnail packet (APID 0x2C2)
and names the first failed check (:data:`THUMBNAIL_REJECT_REASONS`, the codes the golden
vectors ``tests/vectors/thumbnail_invalid.jsonl`` and the C++ decoder use),
:func:`iter_thumbnails` splits a stream of thumbnails, and :func:`thumbnail_to_json_dict` is
their JSON view (what ``quakesat-decode --thumbnails`` prints too). The 32-byte messages
(APID 0x2C1) stay with :mod:`quakesat.ground.decode`. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from quakesat.errors import DecodeError
from quakesat.ground.decode import PACKET_REJECT_REASONS, _iso_utc, packet_fields
from quakesat.runtime.message import (
    LAT_RAW_MAX,
    LATLON_SCALE,
    LON_RAW_MAX,
    SEQ_COUNT_MAX,
)
from quakesat.runtime.thumbnail import (
    CELL_M_MIN,
    GRID_SIDE,
    LOS_STEP_MM,
    LOS_WRAP_M,
    NO_SIGNAL,
    THUMBNAIL_APID,
    THUMBNAIL_CRC_OFFSET,
    THUMBNAIL_FIELDS,
    THUMBNAIL_KIND,
    THUMBNAIL_LAYOUT,
    THUMBNAIL_LENGTH,
    THUMBNAIL_PACKET_DATA_LENGTH,
    THUMBNAIL_VERSION,
    ZERO_CODE,
    Thumbnail,
    unpack_codes,
)

THUMBNAIL_REJECT_REASONS: tuple[str, ...] = (
    *PACKET_REJECT_REASONS,
    "unknown_version",
    "unknown_kind",
    "reserved_flags_set",
    "bad_grid",
    "lat_out_of_range",
    "lon_out_of_range",
)
"""Every DecodeError reason :func:`decode_thumbnail` raises, in the order the checks run (the
codes shared with the 32-byte decoder mean the same there)."""

_FIELD_NAMES = tuple(f.name for f in THUMBNAIL_FIELDS)
_KIND_NAME = "thumbnail"
#: λ/2 in mm as the JSON shows it: the wrapped motion is known modulo this.
LOS_MODULO_MM = round(LOS_WRAP_M * 1000, 3)


# ─── decode ─────────────────────────────────────────────────────────────────────────────
def decode_thumbnail(data: bytes, *, apid: int = THUMBNAIL_APID) -> Thumbnail:
    """Decode and validate one thumbnail packet.

    Checks run in the order of :data:`THUMBNAIL_REJECT_REASONS`; the first failure is raised.
    lat/lon are the quantized values (``raw / 1e7``), so
    ``encode_thumbnail(decode_thumbnail(b)) == b`` for every valid ``b``.

    Args:
        data: exactly :data:`THUMBNAIL_LENGTH` bytes (bytes, bytearray or memoryview).
        apid: the APID to accept; the default is the thumbnails' own.

    Returns:
        The Thumbnail, its codes a tuple of 256 ints.

    Raises:
        DecodeError: the only exception raised, for any input; ``reason`` names the failed
            check and ``detail`` gives the values involved.
    """
    raw = packet_fields(data, THUMBNAIL_LAYOUT, _FIELD_NAMES, THUMBNAIL_CRC_OFFSET, apid,
                        THUMBNAIL_PACKET_DATA_LENGTH)
    version, kind = raw["version_kind"] >> 4, raw["version_kind"] & 0x0F
    if version != THUMBNAIL_VERSION:
        raise DecodeError(
            "unknown_version", f"thumbnail version {version}, this decoder reads {THUMBNAIL_VERSION}"
        )
    if kind != THUMBNAIL_KIND:
        raise DecodeError("unknown_kind", f"kind {kind}, expected {THUMBNAIL_KIND} (thumbnail)")
    if raw["flags"]:
        raise DecodeError("reserved_flags_set", f"flags 0x{raw['flags']:02x}: every bit is reserved in version 1")
    if raw["rows"] != GRID_SIDE or raw["cols"] != GRID_SIDE or raw["cell_m"] < CELL_M_MIN:
        raise DecodeError(
            "bad_grid",
            f"grid {raw['rows']} x {raw['cols']} of {raw['cell_m']} m cells, expected {GRID_SIDE} x {GRID_SIDE} "
            f"of at least {CELL_M_MIN} m",
        )
    if not -LAT_RAW_MAX <= raw["lat"] <= LAT_RAW_MAX:
        raise DecodeError("lat_out_of_range", f"latitude {raw['lat']} x 1e-7 deg is outside ±{LAT_RAW_MAX}")
    if not -LON_RAW_MAX <= raw["lon"] <= LON_RAW_MAX:
        raise DecodeError("lon_out_of_range", f"longitude {raw['lon']} x 1e-7 deg is outside ±{LON_RAW_MAX}")

    return Thumbnail(
        seq=raw["packet_sequence_control"] & SEQ_COUNT_MAX,
        tile_id=raw["tile_id"],
        time=raw["time"],
        lat=raw["lat"] / LATLON_SCALE,
        lon=raw["lon"] / LATLON_SCALE,
        cell_m=raw["cell_m"],
        model_id=raw["model_id"],
        codes=unpack_codes(raw["codes"]),
        apid=apid,
    )


def iter_thumbnails(data: bytes, *, apid: int = THUMBNAIL_APID) -> Iterator[tuple[int, Thumbnail | DecodeError]]:
    """Split a stream of thumbnails into consecutive packets and decode each one.

    As :func:`quakesat.ground.decode.iter_stream` for the 32-byte messages: packets are read
    back to back every :data:`THUMBNAIL_LENGTH` bytes, with no sync marker (a ground station
    routes the downlink on the APID first, so this stream holds thumbnails only).

    Args:
        data: concatenated thumbnails.
        apid: the APID to accept.

    Yields:
        ``(byte offset, Thumbnail)`` for valid packets and ``(byte offset, DecodeError)`` (with
        ``offset`` set) for malformed ones; a trailing partial packet yields a ``bad_length``
        error. Never raises.
    """
    if isinstance(data, memoryview):
        data = data.tobytes()
    elif not isinstance(data, (bytes, bytearray)):
        yield 0, DecodeError("not_bytes", f"expected bytes, got {type(data).__name__}", offset=0)
        return
    for offset in range(0, len(data), THUMBNAIL_LENGTH):
        try:
            yield offset, decode_thumbnail(data[offset : offset + THUMBNAIL_LENGTH], apid=apid)
        except DecodeError as err:
            yield offset, DecodeError(err.reason, err.detail, offset=offset)


# ─── JSON view ──────────────────────────────────────────────────────────────────────────
def los_wrapped_mm(code: int) -> float | None:
    """A code's wrapped LOS motion as the JSON shows it: mm, 3 decimals; None for code 15."""
    return None if code == NO_SIGNAL else round((code - ZERO_CODE) * LOS_STEP_MM, 3)


def thumbnail_to_json_dict(th: Thumbnail) -> dict[str, Any]:
    """The JSON object of one thumbnail (``quakesat-decode --thumbnails`` prints the same).

    ``codes`` is the grid as 16 rows of 16 codes (row 0 first); ``los_wrapped_mm`` the motion
    toward the satellite each code stands for (the centre of its step, mm, 3 decimals),
    ``null`` where the code is 15 (no coherent signal); both wrapped modulo ``los_modulo_mm``
    (λ/2). lat/lon are rounded to 7 decimals, their quantization step.

    Args:
        th: a decoded (or to-be-encoded) thumbnail.

    Returns:
        A dict of JSON-ready values; see docs/downlink.md for the keys.

    Raises:
        TypeError: ``th`` is not a Thumbnail.
    """
    if not isinstance(th, Thumbnail):
        raise TypeError(f"expected a Thumbnail, got {type(th).__name__}")
    codes = [int(code) for code in th.codes]
    grid = [codes[row * GRID_SIDE : (row + 1) * GRID_SIDE] for row in range(GRID_SIDE)]
    return {
        "apid": th.apid,
        "seq": th.seq,
        "version": THUMBNAIL_VERSION,
        "kind": _KIND_NAME,
        "tile_id": th.tile_id,
        "time": _iso_utc(th.time),
        "lat": round(float(th.lat), 7),
        "lon": round(float(th.lon), 7),
        "rows": GRID_SIDE,
        "cols": GRID_SIDE,
        "cell_m": th.cell_m,
        "model_id": f"{th.model_id:04x}",
        "los_modulo_mm": LOS_MODULO_MM,
        "codes": grid,
        "los_wrapped_mm": [[los_wrapped_mm(code) for code in row] for row in grid],
    }
