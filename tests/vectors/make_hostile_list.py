"""Write the hostile tile-list vectors in ``tests/vectors/hostile_list/``: lines that are
nearly, or deceptively, what the tile list contract accepts, and what both readers must
make of each (:func:`quakesat.runtime.tile_file.tile_from_line`).

    python tests/vectors/make_hostile_list.py

``tiles.jsonl`` holds the lines (one 8 x 8 image, ``a.npy``, serves every good one);
``expected.jsonl`` one line per tile read, in order: ``tile_id``, ``time`` (the integer
time the line gives, else null), ``lat``/``lon`` (null without a place), ``status``
(``ok`` or ``unreadable``, the reader's verdict before any input check) and ``kind``
(``amplitude`` or ``same_track``, the tile's kind; an unreadable tile's is the default,
``amplitude``; a same-track tile's files are not read, so its paths may name nothing). Blank
lines give no tile. Checked by pytest (``tests/runtime/test_hostile_list.py``) and by the C++ tests
(``cpp_runner/tests/test_core.cpp``). The expectations are written here by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "hostile_list"
T = 1_700_000_000


def good(tile_id: int, extra: str = "", pre: str = '"a.npy"') -> bytes:
    return (f'{{"tile_id": {tile_id}, "time": {T}, "lat": 10.5, "lon": 20.25, "pre": {pre}, '
            f'"post": "a.npy"{extra}}}').encode("utf-8")


def cases() -> list[tuple[bytes, dict | None]]:
    def ok(tile_id: int, kind: str = "amplitude") -> dict:
        return {"tile_id": tile_id, "time": T, "lat": 10.5, "lon": 20.25, "status": "ok", "kind": kind}

    def bad(tile_id: int, time: int | None = None, place: bool = False) -> dict:
        return {"tile_id": tile_id, "time": time, "lat": 10.5 if place else None, "lon": 20.25 if place else None,
                "status": "unreadable", "kind": "amplitude"}

    return [
        (good(1), ok(1)),
        (b"\xef\xbb\xbf" + good(2), ok(2)),  # a byte-order mark
        (good(3) + b"\r", ok(3)),  # CRLF
        (good(4, ', "note": "\u00e9"'.replace("\u00e9", "é")), ok(4)),  # UTF-8 text in a value
        (good(5, ', "note": "x\u2028y"'), ok(5)),  # U+2028 inside a string is not a line break
        (good(6, ', "note": "\xff"').replace(b"\xc3\xbf", b"\xff"), bad(5)),  # invalid UTF-8: index 5
        (good(7, pre='"a.npy\\u0000x"'), bad(7, T, True)),  # a NUL inside a path opens nothing
        (good(8, pre="5"), bad(8, T, True)),  # a path that is not a string
        (b'{"tile_id": 9, "time": %d, "lat": "10.5", "lon": 20.25, "pre": "a.npy", "post": "a.npy"}' % T,
         bad(9, T)),  # a latitude as a string: no place
        (b'{"tile_id": 10, "lat": 10.5, "lon": 20.25, "pre": "a.npy", "post": "a.npy"}', bad(10, None, True)),
        (good(11, ', "tile_id": 99'), bad(10)),  # a key twice: refused, not "the last one wins"
        (good(12).replace(b'"tile_id": 12', b'"tile_id": 12.0'), bad(11, T, True)),  # not an integer: index 11
        (good(13).replace(b'"lat": 10.5', b'"lat": NaN'), bad(12)),  # NaN is not JSON
        (good(14).replace(b'"lat": 10.5', b'"lat": 1e999'), bad(13)),  # overflows a double
        (b"\x0c" + good(15), bad(14)),  # a form feed is not JSON whitespace
        (good(16) + "\u0085".encode("utf-8"), bad(15)),  # nor is NEL
        (b"[1, 2]", bad(16)),
        (good(18) + b" trailing", bad(17)),
        (b"   \t ", None),  # blank: no tile
        (good(19).replace(b'"tile_id": 19', b'"tile_id": -19'), bad(18, T, True)),
        (good(20).replace(b'"tile_id": 20', b'"tile_id": 4294967296'), bad(19, T, True)),
        (good(21, ', "pixel_spacing_m": null'), bad(21, T)),  # spacing not a number: no place
        (good(22) + b"\x00", bad(21)),  # a NUL in the line
        (good(23).replace(b'"a.npy"', b'"\xed\xa0\x80"', 1), bad(22)),  # a UTF-8-encoded surrogate
        (good(24, pre='"\\ud800"'), bad(23)),  # a lone surrogate escape
        # A boolean time reads (the time check then says BAD_TIME), with no integer time.
        (good(25, ', "time": true').replace(b'"time": %d, ' % T, b""),
         {"tile_id": 25, "time": None, "lat": 10.5, "lon": 20.25, "status": "ok", "kind": "amplitude"}),
        (b"{" * 100_000, bad(25)),  # nesting too deep for any parser
        (b"{}", bad(26)),
        (good(29).replace(b'"lat": 10.5', b'"lat": 1' + b"0" * 309), bad(27)),  # an integer beyond a double
        # Nesting: at the limit of 64 levels (the line's object is level 1) and one beyond it.
        (good(30, ', "note": ' + "[" * 63 + "]" * 63), ok(30)),
        (good(31, ', "note": ' + "[" * 64 + "]" * 64), bad(29)),
        (good(32, ', "note": {"x": ' * 1100 + "1" + "}" * 1100), bad(30)),  # 1,100 deep: Python's own limit
        (good(33, ', "t": 1, "t": 2'), bad(31)),  # a key twice in one object, even one not read
        (good(34, ', "note": {"tile_id": 1}'), ok(34)),  # the same key in two objects is fine
        (good(35, ', "note": "' + "x" * 70_000 + '"'), bad(33)),  # longer than MAX_LINE_BYTES
        (b" " * 70_000, bad(34)),  # a blank line that long is still too long: a tile, not skipped
        (good(37, ', "note": "' + "x" * 65_000 + '"'), ok(37)),  # a long line, under the limit
        # The tile's kind: "amplitude" (the default) or "same_track", a string spelt exactly so.
        (good(38, ', "kind": "amplitude"'), ok(38)),
        (good(39, ', "kind": "same_track"'), ok(39, "same_track")),
        (good(40, ', "kind": "SAME_TRACK"'), bad(40, T, True)),
        (good(41, ', "kind": ""'), bad(41, T, True)),
        (good(42, ', "kind": 3'), bad(42, T, True)),
        (good(43, ', "kind": null'), bad(43, T, True)),
        (good(44, ', "kind": "same_track", "kind": "amplitude"'), bad(42)),  # a key twice: index 42
        (good(45, ', "kind": "same_track"', pre='"nowhere.npy"'), ok(45, "same_track")),  # its files are not read
        (good(46, ', "kind": "same_track"', pre='"a.npy\\u0000x"'), bad(46, T, True)),  # still no NUL in a path
        (good(47, ', "kind": "same\\u005ftrack"'), ok(47, "same_track")),  # an escape is the same string
        (good(48, ', "kind": "amplitude "'), bad(48, T, True)),
        (good(49, ', "kind": true'), bad(49, T, True)),
        (good(50, ', "kind": ["same_track"]'), bad(50, T, True)),
        (good(28), ok(28)),  # the reader carries on after all of the above
    ]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    lines, expected = [], []
    for line, want in cases():
        lines.append(line)
        if want is not None:
            expected.append(json.dumps(want))
    (OUT / "tiles.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (OUT / "expected.jsonl").write_text("\n".join(expected) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} lines, {len(expected)} tiles to {OUT}")


if __name__ == "__main__":
    main()
