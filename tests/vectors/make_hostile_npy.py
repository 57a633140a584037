"""Write the hostile ``.npy`` vectors in ``tests/vectors/hostile_npy/``: image files that are
nearly, or deceptively, what the tile file contract accepts, each with the read status both
readers must give (the header grammar of :mod:`quakesat.runtime.tile_file`).

    python tests/vectors/make_hostile_npy.py

``cases.jsonl``: one line per file, ``{"name", "file", "status"}`` (the reader's verdict);
``checks.jsonl``: well-formed files whose pixels are broken (8 x 8, and the fill rules' cases at 8 to 64
pixels a side), with the input checks' verdict (``check_image`` at the file's own side, with the default
preprocessing, or in dB where a line says ``"units": "db"``). Checked by pytest
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
        # A leading zero: NumPy's own reader refuses it (found by the Python fuzzer: "(1,01, 2)").
        "leading_zero_dimension": (npy(h("(08, 8, 2)"), data), "unreadable"),
        "leading_zero_middle_dimension": (npy(h("(8,08, 2)"), data), "unreadable"),
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


def plausible_speckle(side: int, seed: int) -> np.ndarray:
    """Plausible speckle well inside the clip range: VV about -12 dB, VH about -19 dB."""
    rng = np.random.default_rng(seed)
    levels = np.array([10 ** (-12 / 10), 10 ** (-19 / 10)])
    return (levels * rng.gamma(4.4, 1 / 4.4, size=(side, side, 2))).astype("<f4")


def with_snan(image: np.ndarray, where: list[tuple[int, int, int]]) -> np.ndarray:
    """``image`` with signalling NaNs (bits 0xFF800001, quiet bit clear) at ``where``."""
    image = image.copy()
    bits = image.view(np.uint32)
    for at in where:
        bits[at] = 0xFF800001
    return image


def fill_images() -> dict[str, tuple[np.ndarray, str]]:
    """The no-data and fill rules against a few stray pixels (issue 26): one band NaN or one
    value, with a stray pixel or not; a value in more than half of a band's valid pixels
    (``MAX_REPEATED``) and at exactly half; most of a band beyond the clip range; signalling-NaN
    no-data; +0 and -0 as one value. 8, 15 (odd), 16 and 64 pixels a side, so that several rows
    go through the C++ runner's fused version-2 pass. Expected statuses by hand (default
    preprocessing: linear, clip range -35..+10 dB = 3.16e-4..10)."""
    s8, s15, s16, s64 = (plausible_speckle(side, 261 + i) for i, side in enumerate((8, 15, 16, 64)))
    rng = np.random.default_rng(265)

    def band(image: np.ndarray, b: int, value: float) -> np.ndarray:
        image = image.copy()
        image[..., b] = value
        return image

    def share(image: np.ndarray, b: int, count: int, values: object, skip: int = 0) -> np.ndarray:
        """``count`` pixels of band ``b`` (random places, after the first ``skip``) set to ``values``."""
        image = image.copy()
        side = image.shape[0]
        at = skip + rng.permutation(side * side - skip)[:count]
        plane = image[..., b].reshape(-1)  # a copy: band b is strided
        plane[at] = values
        image[..., b] = plane.reshape(side, side)
        return image

    def one(image: np.ndarray, at: tuple[int, int, int], value: float) -> np.ndarray:
        image = image.copy()
        image[at] = value
        return image

    zeros16 = np.zeros((16, 16, 2), "<f4")
    signed_zeros = np.where(np.arange(16) % 2 == 0, np.float32(0.0), np.float32(-0.0))  # +0, -0 by column
    vv_signed_zero_rows = s16.copy()
    vv_signed_zero_rows[:10, :, 0] = signed_zeros  # 160 of 256 VV pixels zero, half of them -0
    vv_signed_zero_half = s16.copy()
    vv_signed_zero_half[:8, :, 0] = signed_zeros  # 128 of 256: exactly half
    vv_nodata = share(s16, 0, 20, np.nan)  # 20 NaN first, then the shares of the 236 valid ones
    nodata_at = np.flatnonzero(np.isnan(vv_nodata[..., 0]).reshape(-1))
    valid_at = np.setdiff1d(np.arange(256), nodata_at)

    def vv_valid_share(count: int) -> np.ndarray:
        image = vv_nodata.copy()
        plane = image[..., 0].reshape(-1)
        plane[rng.permutation(valid_at)[:count]] = 0.05
        image[..., 0] = plane.reshape(16, 16)
        return image

    speckle_nodata64 = s64.copy()
    speckle_nodata64[:9, :13] = np.nan  # an odd-edged block: unpaired valid pixels at its edge
    return {
        # a polarisation missing, or all but one pixel of it (fused: VV lanes seeded from VV)
        "fill_vv_all_nan_16": (band(s16, 0, np.nan), "all_nodata"),
        "fill_vv_all_nan_64": (band(s64, 0, np.nan), "all_nodata"),
        "fill_vv_nan_but_one_16": (one(band(s16, 0, np.nan), (5, 7, 0), 0.07), "mostly_nodata"),
        "fill_vh_nan_but_one_64": (one(band(s64, 1, np.nan), (63, 63, 1), 0.01), "mostly_nodata"),
        # one value in a band, with and without a stray pixel
        "fill_vh_constant_005_16": (band(s16, 1, 0.05), "constant"),
        "fill_vh_constant_005_64": (band(s64, 1, 0.05), "constant"),
        "fill_vh_zero_16": (band(s16, 1, 0.0), "constant"),
        "fill_vh_zero_64": (band(s64, 1, 0.0), "constant"),
        "fill_vh_constant_one_stray_16": (one(band(s16, 1, 0.05), (3, 11, 1), 0.07), "constant"),
        "fill_zero_one_stray_8": (one(np.zeros((8, 8, 2), "<f4"), (2, 3, 0), 0.05), "constant"),
        "fill_zero_one_stray_64": (one(np.zeros((64, 64, 2), "<f4"), (40, 17, 1), 0.05), "constant"),
        "fill_constant_one_stray_16": (one(np.full((16, 16, 2), 0.05, "<f4"), (9, 4, 0), 0.06), "constant"),
        "fill_zero_one_stray_vv_nodata_16": (one(band(zeros16, 0, np.nan), (0, 0, 1), 0.05), "all_nodata"),
        # a value in 60 % of a band's pixels is a fill; in 40 %, speckle around it is not
        "fill_majority_60_8": (share(s8, 0, 39, 0.05), "constant"),
        "fill_majority_60_16": (share(s16, 0, 154, 0.05), "constant"),
        "fill_majority_40_16": (share(s16, 0, 102, 0.05), "ok"),
        "fill_majority_60_64": (share(s64, 1, 2458, 0.012), "constant"),
        "fill_majority_40_64": (share(s64, 1, 1638, 0.012), "ok"),
        "fill_majority_60_odd_15": (share(s15, 1, 135, 0.012), "constant"),
        "fill_speckle_odd_15": (s15, "ok"),
        # limits: exactly half of the valid pixels is not a fill, half + 1 is
        "fill_exactly_half_16": (share(s16, 0, 128, 0.05), "ok"),
        "fill_half_plus_one_16": (share(s16, 0, 129, 0.05), "constant"),
        "fill_exactly_half_of_valid_16": (vv_valid_share(118), "partial_nodata"),
        "fill_half_plus_one_of_valid_16": (vv_valid_share(119), "constant"),
        # +0 and -0 are one value (adjacent pixels +0, -0: their bits differ)
        "fill_signed_zero_majority_16": (vv_signed_zero_rows, "constant"),
        "fill_signed_zero_exactly_half_16": (vv_signed_zero_half, "values_clipped"),
        # most of a band beyond the clip range: one value once clipped
        "fill_subnormal_one_normal_16": (one(s16 * np.float32(1e-38), (0, 0, 0), 0.05), "constant"),
        "fill_subnormal_one_normal_64": (one(s64 * np.float32(1e-38), (31, 32, 1), 0.05), "constant"),
        "fill_60_below_clip_16": (share(s16, 0, 154, s16[..., 0].reshape(-1)[:154] * np.float32(1e-4)), "constant"),
        "fill_60_above_clip_64": (share(s64, 1, 2458, 20 + s64[..., 1].reshape(-1)[:2458] * np.float32(100)),
                                  "constant"),
        "fill_40_above_clip_64": (share(s64, 1, 1638, 20 + s64[..., 1].reshape(-1)[:1638] * np.float32(100)),
                                  "values_clipped"),
        # no-data written as signalling NaN, and a negative pixel: out of range wherever they fall
        "fill_snan_negative_first_16": (one(with_snan(s16, [(0, 0, 0), (0, 0, 1), (0, 1, 0)]), (7, 7, 0), -0.01),
                                        "out_of_range"),
        "fill_snan_negative_row_16": (one(with_snan(s16, [(5, c, b) for c in range(16) for b in (0, 1)]),
                                          (15, 15, 1), -0.01), "out_of_range"),
        "fill_snan_negative_vv_16": (one(with_snan(s16, [(r, 2 * r % 16, 0) for r in range(16)]), (0, 1, 0), -0.01),
                                     "out_of_range"),
        "fill_snan_negative_scattered_16": (one(with_snan(s16, [(r, (5 * r + 3) % 16, r % 2) for r in range(16)]),
                                                (8, 2, 1), -1e-6), "out_of_range"),
        "fill_snan_negative_scattered_64": (one(with_snan(s64, [(r, (7 * r + 1) % 64, r // 3 % 2) for r in range(64)]),
                                                (33, 12, 0), -0.01), "out_of_range"),
        "fill_snan_nodata_16": (with_snan(s16, [(r, (3 * r) % 16, r % 2) for r in range(16)]), "partial_nodata"),
        # plain speckle, whole and with an odd-edged no-data block: nothing to report but that
        "fill_speckle_64": (s64, "ok"),
        "fill_speckle_nodata_64": (speckle_nodata64, "partial_nodata"),
    }


def db_fill_images() -> dict[str, tuple[np.ndarray, str]]:
    """Tiles in dB (checked with ``units="db"``): 0 dB lies inside the clip range, so only the
    fill rule sees a majority of +0 and -0 (one value), and every other value is positive."""
    bright = (1.0 + 8.0 * np.random.default_rng(266).random((16, 16, 2))).astype("<f4")  # 1..9 dB
    signed_zeros = np.where(np.arange(16) % 2 == 0, np.float32(0.0), np.float32(-0.0))  # +0, -0 by column
    majority, half = bright.copy(), bright.copy()
    majority[:10, :, 0] = signed_zeros  # 160 of 256 VV pixels
    half[:8, :, 0] = signed_zeros  # 128 of 256: exactly half
    return {
        "fill_signed_zero_majority_db_16": (majority, "constant"),
        "fill_signed_zero_exactly_half_db_16": (half, "ok"),
        "fill_bright_db_16": (bright, "ok"),
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
    for units, images in (("linear", {**broken_images(), **fill_images()}), ("db", db_fill_images())):
        for name, (image, status) in images.items():
            np.save(OUT / f"{name}.npy", image)
            line = {"name": name, "file": f"{name}.npy", "status": status}
            checks.append(json.dumps(line if units == "linear" else {**line, "units": units}))
    (OUT / "checks.jsonl").write_text("\n".join(checks) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} reader cases and {len(checks)} check cases to {OUT}")


if __name__ == "__main__":
    main()
