"""The log-ratio change detector: multilook, no-data blocks, and the changed-share rule, by hand.

Values are chosen so the arithmetic is exact where a limit is tested (1.0 -> 10.0 is exactly
+10 dB), and images are built block by block so a "known fraction changed" is known exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quakesat.runtime.change import CHANGE_THRESHOLD_DB, changed_share, log_ratio_db

LOOKS = 3  # the default multilook of both functions


def _constant(value: float, height: int = 6, width: int = 6, bands: int = 2) -> np.ndarray:
    return np.full((height, width, bands), value, dtype=np.float32)


def _speckled(seed: int, height: int = 9, width: int = 9) -> np.ndarray:
    return np.random.default_rng(seed).gamma(4.0, 0.025, size=(height, width, 2)).astype(np.float32)


# ─── log_ratio_db ───────────────────────────────────────────────────────────────────────
def test_constant_images_give_ten_log_two_everywhere() -> None:
    ratio = log_ratio_db(_constant(0.1), _constant(0.2))
    assert ratio.shape == (2, 2, 2)
    assert ratio.dtype == np.float64
    np.testing.assert_allclose(ratio, 10.0 * math.log10(2.0), rtol=1e-6)


def test_direction_is_second_over_first() -> None:
    ratio = log_ratio_db(_constant(0.2), _constant(0.1))
    np.testing.assert_allclose(ratio, -10.0 * math.log10(2.0), rtol=1e-6)


@pytest.mark.parametrize(
    ("height", "width", "looks", "shape"),
    [
        (7, 8, 3, (2, 2, 2)),  # cropped to 6 x 6
        (9, 9, 3, (3, 3, 2)),  # exact multiple
        (3, 3, 3, (1, 1, 2)),  # one block: the limit
        (8, 6, 4, (2, 1, 2)),
        (5, 4, 1, (5, 4, 2)),  # looks=1: per pixel, nothing cropped
    ],
)
def test_output_shape_is_cropped_to_whole_blocks(height: int, width: int, looks: int, shape: tuple) -> None:
    assert log_ratio_db(_constant(0.1, height, width), _constant(0.1, height, width), looks=looks).shape == shape


def test_cropped_rows_and_columns_are_ignored() -> None:
    first, second = _constant(0.1, 7, 8), _constant(0.2, 7, 8)
    # Row 6 and columns 6..7 fall outside the 6 x 6 crop: bad data there must not leak in.
    first[6, :, :] = np.nan
    second[:, 6:, :] = 0.0
    ratio = log_ratio_db(first, second)
    assert np.isfinite(ratio).all()
    np.testing.assert_allclose(ratio, 10.0 * math.log10(2.0), rtol=1e-6)


def test_any_band_count_is_kept() -> None:
    first, second = _constant(0.1, bands=3), _constant(0.1, bands=3)
    second[..., 2] = 1.0
    ratio = log_ratio_db(first, second)
    assert ratio.shape == (2, 2, 3)
    np.testing.assert_allclose(ratio[..., :2], 0.0, atol=1e-12)
    np.testing.assert_allclose(ratio[..., 2], 10.0, rtol=1e-6)


def test_block_mean_is_of_linear_intensity() -> None:
    # A 3 x 3 block of eight 0.1 and one 1.0 averages to 0.2 (linear), not a dB mean.
    first = _constant(0.1, 3, 3)
    second = _constant(0.1, 3, 3)
    second[1, 1, :] = 1.0
    expected = 10.0 * math.log10(((8 * 0.1 + 1.0) / 9) / 0.1)
    np.testing.assert_allclose(log_ratio_db(first, second), expected, rtol=1e-6)


@pytest.mark.parametrize("bad", [np.nan, 0.0, -0.5, np.inf, -np.inf])
@pytest.mark.parametrize("which", ["first", "second"])
def test_one_bad_pixel_makes_its_block_nan_in_its_band_only(bad: float, which: str) -> None:
    first, second = _constant(0.1), _constant(0.2)
    (first if which == "first" else second)[4, 5, 0] = bad  # block (1, 1), band VV
    ratio = log_ratio_db(first, second)
    assert np.isnan(ratio[1, 1, 0])
    # Every other block, and the other band of the same block, are untouched.
    mask = np.ones(ratio.shape, dtype=bool)
    mask[1, 1, 0] = False
    np.testing.assert_allclose(ratio[mask], 10.0 * math.log10(2.0), rtol=1e-6)


def test_looks_one_is_per_pixel() -> None:
    first, second = _speckled(1, 5, 7), _speckled(2, 5, 7)
    first[0, 0, 1] = np.nan
    second[2, 3, 0] = 0.0
    ratio = log_ratio_db(first, second, looks=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = 10.0 * np.log10(second.astype(np.float64) / first.astype(np.float64))
    expected[2, 3, 0] = np.nan  # zero is no data, not -inf
    np.testing.assert_allclose(ratio, expected, rtol=1e-12)
    assert np.isnan(ratio[0, 0, 1]) and np.isnan(ratio[2, 3, 0])
    assert np.isfinite(ratio).sum() == ratio.size - 2


def test_inputs_are_not_modified() -> None:
    first, second = _speckled(3), _speckled(4)
    first[0, 0, 0] = np.nan
    second[1, 1, 1] = -1.0
    kept = first.copy(), second.copy()
    log_ratio_db(first, second)
    changed_share(first, second)
    np.testing.assert_array_equal(first, kept[0])
    np.testing.assert_array_equal(second, kept[1])


# ─── changed_share ──────────────────────────────────────────────────────────────────────
def test_threshold_constant() -> None:
    assert CHANGE_THRESHOLD_DB == 3.0


def test_identical_images_share_nothing() -> None:
    image = _speckled(5, 12, 12)
    assert changed_share(image, image.copy()) == 0.0


def _blocks_changed(blocks: list[tuple[int, int]], factor: float, side: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A ``side*3`` square pair whose listed 3 x 3 blocks are scaled by ``factor`` in ``second``."""
    first = _constant(0.1, side * LOOKS, side * LOOKS)
    second = first.copy()
    for r, c in blocks:
        second[r * LOOKS:(r + 1) * LOOKS, c * LOOKS:(c + 1) * LOOKS, :] *= factor
    return first, second


@pytest.mark.parametrize("changed", [0, 1, 4, 7, 16])
def test_known_share_of_blocks_changed_by_six_db(changed: int) -> None:
    blocks = [(i // 4, i % 4) for i in range(changed)]
    first, second = _blocks_changed(blocks, 10.0 ** 0.6)  # +6 dB
    assert changed_share(first, second) == changed / 16


def test_a_decrease_counts_as_a_change() -> None:
    first, second = _blocks_changed([(0, 0), (3, 3)], 10.0 ** -0.6)  # -6 dB
    assert changed_share(first, second) == 2 / 16


def test_exact_threshold_is_not_counted_and_just_above_is() -> None:
    # 1.0 -> 10.0 is exactly +10.0 dB in float64; test the limit at 10 dB.
    first, second = _constant(1.0), _constant(10.0)
    assert float(log_ratio_db(first, second).max()) == 10.0
    assert changed_share(first, second, threshold_db=10.0) == 0.0  # strict >
    assert changed_share(first, second, threshold_db=float(np.nextafter(10.0, 0.0))) == 1.0
    assert changed_share(first, second * np.float32(1.0001), threshold_db=10.0) == 1.0


def test_default_threshold_at_limit_and_limit_plus_one() -> None:
    below = _blocks_changed([(0, 0)], 10.0 ** 0.29)  # +2.9 dB
    above = _blocks_changed([(0, 0)], 10.0 ** 0.31)  # +3.1 dB
    assert changed_share(*below) == 0.0
    assert changed_share(*above) == 1 / 16


@pytest.mark.parametrize("band", [0, 1], ids=["VV", "VH"])
def test_a_change_in_one_band_is_enough(band: int) -> None:
    first = _constant(0.1, 9, 9)
    second = first.copy()
    second[..., band] *= 10.0 ** 0.6
    assert changed_share(first, second) == 1.0


def test_no_data_blocks_leave_the_denominator() -> None:
    # 2 x 2 blocks: one no-data, one changed, two unchanged -> 1 / 3.
    first, second = _blocks_changed([(0, 1)], 10.0 ** 0.6, side=2)
    first[0, 0, 1] = np.nan  # block (0, 0), VH only: the whole block is invalid
    assert changed_share(first, second) == pytest.approx(1 / 3, abs=0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: (_constant(np.nan), _constant(0.1)),
        lambda: (_constant(0.1), _constant(0.0)),
        lambda: (_constant(-1.0), _constant(np.inf)),
    ],
    ids=["first-all-nan", "second-all-zero", "negative-and-inf"],
)
def test_no_valid_pixel_gives_nan_not_an_exception(make) -> None:
    assert math.isnan(changed_share(*make()))


def test_disjoint_valid_areas_give_nan() -> None:
    first, second = _constant(0.1), _constant(0.2)
    first[:, :3, :] = np.nan   # left blocks invalid in first
    second[:, 3:, :] = np.nan  # right blocks invalid in second
    assert math.isnan(changed_share(first, second))


def test_image_smaller_than_one_block_has_no_valid_pixel() -> None:
    first, second = _constant(0.1, 2, 2), _constant(0.2, 2, 2)
    assert log_ratio_db(first, second).shape == (0, 0, 2)
    assert math.isnan(changed_share(first, second))
