"""Write the hostile ``.npy`` vectors in ``tests/vectors/hostile_npy/``: image files that are
nearly, or deceptively, what the tile file contract accepts, each with the read status both
readers must give (the header grammar of :mod:`quakesat.runtime.tile_file`).

    python tests/vectors/make_hostile_npy.py

``cases.jsonl``: one line per file, ``{"name", "file", "status"}`` (the reader's verdict);
``checks.jsonl``: well-formed files whose pixels are broken, with the input checks' verdict. Checked by pytest
(``tests/runtime/test_hostile_npy.py``) and by the C++ tests (``cpp_runner/tests/test_core.cpp``).
The expected statuses are written here by hand from the grammar, not taken from either reader.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "hostile_npy"
SIDE = 8
GOOD = "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 8, 2), }"


def npy(header: str, data: bytes, major: int = 1, minor: int = 0, pad: bool = True) -> bytes:
    """A .npy file with ``header`` written as given (padded as NumPy pads it)."""
    text = header
    if pad:
        text += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    length = struct.pack("<H", len(text)) if major == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([major, minor]) + length + text.encode("latin1") + data


def cases() -> dict[str, tuple[bytes, str]]:
    data = (np.arange(SIDE * SIDE * 2, dtype="<f4") / 100.0).tobytes()

    def h(shape: str = "(8, 8, 2)", descr: str = "'<f4'", fortran: str = "False") -> str:
        return f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}"

    return {
        "good": (npy(GOOD, data), "ok"),
        "good_v2": (npy(GOOD, data, major=2), "ok"),
        "good_v3": (npy(GOOD, data, major=3), "ok"),
        "unpadded": (npy(GOOD, data, pad=False), "ok"),
        "no_spaces": (npy("{'descr':'<f4','fortran_order':False,'shape':(8,8,2)}", data), "ok"),
        "keys_reordered": (npy("{'shape': (8, 8, 2), 'fortran_order': False, 'descr': '<f4'}", data), "ok"),
        "shape_trailing_comma": (npy(h("(8, 8, 2,)"), data), "ok"),
        "trailing_data": (npy(GOOD, data + b"\x00" * 12), "ok"),
        "version_9": (npy(GOOD, data, major=9), "unreadable"),
        "minor_1": (npy(GOOD, data, minor=1), "unreadable"),
        "empty_file": (b"", "unreadable"),
        "magic_only": (b"\x93NUMPY\x01\x00", "unreadable"),
        "header_length_lies": (b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f4'}", "unreadable"),
        "header_length_zero": (b"\x93NUMPY\x01\x00\x00\x00" + data, "unreadable"),
        "header_over_4096": (npy("{" + " " * 5000 + GOOD[1:], data, major=2), "unreadable"),
        "truncated_data": (npy(GOOD, data[:-4]), "unreadable"),
        "huge_shape_small_file": (npy(h("(100000, 100000, 2)"), data), "unreadable"),
        "ten_digit_dimension": (npy(h("(1000000000, 8, 2)"), data), "unreadable"),
        "negative_dimension": (npy(h("(-8, 8, 2)"), data), "unreadable"),
        "boolean_dimension": (npy(h("(True, 8, 2)"), data), "unreadable"),
        "float_dimension": (npy(h("(8.0, 8, 2)"), data), "unreadable"),
        "hex_dimension": (npy(h("(0x8, 8, 2)"), data), "unreadable"),
        "plus_dimension": (npy(h("(+8, 8, 2)"), data), "unreadable"),
        "underscore_dimension": (npy(h("(0_8, 8, 2)"), data), "unreadable"),
        "expression_dimension": (npy(h("(4*2, 8, 2)"), data), "unreadable"),
        "nested_shape": (npy(h("((8,), 8, 2)"), data), "unreadable"),
        "list_shape": (npy(h("[8, 8, 2]"), data), "unreadable"),
        "five_dimensions": (npy(h("(1, 1, 8, 8, 2)"), data), "unreadable"),
        "space_separated_shape": (npy(h("(8 8 2)"), data), "unreadable"),
        "extra_key": (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (8, 8, 2), 'x': 1}", data), "unreadable"),
        "missing_shape": (npy("{'descr': '<f4', 'fortran_order': False}", data), "unreadable"),
        "key_inside_a_value": (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (8, 8, 2), "
                                   "'note': \"'shape': (1, 1, 2)\"}", data), "unreadable"),
        "decoy_before_descr": (npy("{'note': \"'descr': '<f4'\", 'descr': '<f8', 'fortran_order': False, "
                                   "'shape': (8, 8, 2)}", data), "unreadable"),
        "duplicate_descr_f8_first": (npy("{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, "
                                         "'shape': (8, 8, 2)}", data), "unreadable"),
        "duplicate_descr_f4_first": (npy("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, "
                                         "'shape': (8, 8, 2)}", data), "unreadable"),
        "double_quotes": (npy('{"descr": "<f4", "fortran_order": False, "shape": (8, 8, 2)}', data), "unreadable"),
        "no_braces": (npy("'descr': '<f4', 'fortran_order': False, 'shape': (8, 8, 2)", data), "unreadable"),
        "comment_after": (npy(GOOD + " # note", data), "unreadable"),
        "nul_in_header": (npy(GOOD + "\x00", data), "unreadable"),
        "tab_in_header": (npy(GOOD.replace(" ", "\t", 1), data), "unreadable"),
        "non_ascii_key": (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (8, 8, 2), '\xe9': 1}", data),
                          "unreadable"),
        "fortran_one": (npy(h(fortran="1"), data), "unreadable"),
        "fortran_true": (npy(h(fortran="True"), data), "unreadable"),
        "fortran_and_f8": (npy(h(descr="'<f8'", fortran="True"), data * 2), "bad_dtype"),
        "big_endian": (npy(h(descr="'>f4'"), data), "bad_dtype"),
        "float64": (npy(h(descr="'<f8'"), data * 2), "bad_dtype"),
        "float16": (npy(h(descr="'<f2'"), data), "bad_dtype"),
        "unsized_descr": (npy(h(descr="'f'"), data), "bad_dtype"),
        "empty_descr": (npy(h(descr="''"), data), "unreadable"),
        "two_dimensions": (npy(h("(8, 16)"), data), "bad_shape"),
        "three_bands": (npy(h("(8, 8, 3)"), data + data[: len(data) // 2]), "bad_shape"),
        "bands_first": (npy(h("(2, 8, 8)"), data), "bad_shape"),
        "zero_dimension": (npy(h("(0, 8, 2)"), b""), "bad_shape"),
        "empty_shape": (npy(h("()"), data), "bad_shape"),
    }


def broken_images() -> dict[str, tuple[np.ndarray, str]]:
    """Well-formed 8 x 8 x 2 files whose pixels no radar wrote, and the input checks' verdict
    (``check_image`` at side 8 with the default preprocessing)."""
    rng = np.random.default_rng(7)
    speckle = rng.gamma(1.0, 0.05, size=(SIDE, SIDE, 2)).astype("<f4")

    def with_band(band: int, value: float) -> np.ndarray:
        image = speckle.copy()
        image[..., band] = value
        return image

    denormal = (speckle * np.float32(1e-38)).astype("<f4")  # every value subnormal (< 1.18e-38)
    return {
        "check_speckle": (speckle, "ok"),
        "check_vh_missing": (with_band(1, np.nan), "all_nodata"),
        "check_vv_missing": (with_band(0, np.nan), "all_nodata"),
        "check_vh_constant": (with_band(1, 0.01), "constant"),
        "check_vv_constant": (with_band(0, 0.2), "constant"),
        "check_vh_zero": (with_band(1, 0.0), "constant"),
        "check_one_value_per_band": (np.stack([np.full((SIDE, SIDE), 0.2), np.full((SIDE, SIDE), 0.01)], -1)
                                     .astype("<f4"), "constant"),
        "check_vh_constant_with_nodata": (np.where(rng.random((SIDE, SIDE, 1)) < 0.2, np.nan, with_band(1, 0.01))
                                          .astype("<f4"), "constant"),
        "check_all_subnormal": (denormal, "constant"),
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.npy"):
        old.unlink()
    lines = []
    for name, (content, status) in cases().items():
        (OUT / f"{name}.npy").write_bytes(content)
        lines.append(json.dumps({"name": name, "file": f"{name}.npy", "status": status}))
    (OUT / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    checks = []
    for name, (image, status) in broken_images().items():
        np.save(OUT / f"{name}.npy", image)
        checks.append(json.dumps({"name": name, "file": f"{name}.npy", "status": status}))
    (OUT / "checks.jsonl").write_text("\n".join(checks) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} reader cases and {len(checks)} check cases to {OUT}")


if __name__ == "__main__":
    main()
