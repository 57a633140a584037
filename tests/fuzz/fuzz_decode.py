"""Fuzz the ground decoder of the downlink (:mod:`quakesat.ground.decode`) with atheris.

    python tests/fuzz/fuzz_decode.py tests/fuzz/corpus/decode -max_total_time=20

The contract checked, for any bytes (a contract violation raises, which is a crash):

- :func:`~quakesat.ground.decode.decode` raises only ``DecodeError``, whose ``reason`` is
  one of ``REJECT_REASONS``; a message it accepts is 32 bytes, encodes back to exactly
  those bytes, decodes alike from ``bytearray`` and ``memoryview``, and has a JSON view
  (``to_json_dict``, what ``quakesat decode`` prints) that serialises as strict JSON;
- the same holds for the input with its CRC recomputed, so that the checks behind the CRC
  are reached without the fuzzer having to find a CRC;
- :func:`~quakesat.ground.decode.iter_stream` never raises, yields one item per started
  32-byte slot at offsets 0, 32, ..., each what ``decode`` makes of that slot, errors with
  their offset set.

Importable without atheris (``tests/fuzz/test_fuzz_regressions.py`` replays the corpus
through :func:`TestOneInput`); only a run as a script instruments and fuzzes.
"""

from __future__ import annotations

import contextlib
import json
import sys

FUZZING = __name__ == "__main__"
if FUZZING:
    import atheris

with atheris.instrument_imports(include=["quakesat"]) if FUZZING else contextlib.nullcontext():
    from quakesat.errors import DecodeError
    from quakesat.ground.decode import REJECT_REASONS, decode, iter_stream, to_json_dict
    from quakesat.runtime.message import CRC_OFFSET, MESSAGE_LENGTH, HealthReport, TileReport, crc16, encode


def _decoded(data: bytes) -> TileReport | HealthReport | DecodeError:
    """What ``decode`` makes of ``data``, checked against the contract."""
    try:
        msg = decode(data)
    except DecodeError as err:
        assert err.reason in REJECT_REASONS, f"unknown reject reason {err.reason!r}"
        assert err.offset is None, f"decode set an offset: {err.offset}"
        return err
    assert isinstance(msg, (TileReport, HealthReport)), f"decode returned {type(msg).__name__}"
    assert len(data) == MESSAGE_LENGTH, f"accepted {len(data)} bytes"
    again = encode(msg)
    assert again == data, f"re-encodes to {again.hex()}, read {data.hex()}"
    for view in (bytearray(data), memoryview(data)):
        assert decode(view) == msg, f"decode of a {type(view).__name__} differs"
    json.dumps(to_json_dict(msg), allow_nan=False)
    return msg


def _same(a: TileReport | HealthReport | DecodeError, b: TileReport | HealthReport | DecodeError) -> bool:
    if isinstance(a, DecodeError) or isinstance(b, DecodeError):
        return isinstance(a, DecodeError) and isinstance(b, DecodeError) and a.reason == b.reason
    return a == b


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name libFuzzer and atheris use)
    """Check the decoder's contract on one input (see the module doc)."""
    single = _decoded(data)
    if len(data) >= CRC_OFFSET:
        head = data[:CRC_OFFSET]
        _decoded(head + crc16(head).to_bytes(2, "big") + data[MESSAGE_LENGTH:])
    items = list(iter_stream(data))
    offsets = list(range(0, len(data), MESSAGE_LENGTH))
    assert [offset for offset, _ in items] == offsets, "iter_stream's offsets are not 0, 32, ..."
    for offset, item in items:
        if isinstance(item, DecodeError):
            assert item.offset == offset, f"error at {offset} says offset {item.offset}"
        expected = single if len(items) == 1 else _decoded(data[offset:offset + MESSAGE_LENGTH])
        assert _same(item, expected), f"iter_stream at {offset}: {item!r}, decode: {expected!r}"


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if FUZZING:
    main()
