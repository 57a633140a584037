"""Change features against hand-computed values: a known dB step on a known share of pixels,
no-data handling, agreement with numpy and the runtime's changed share."""

from __future__ import annotations

import numpy as np
import pytest

from quakesat.errors import ConfigError
from quakesat.models.change_features import (
    CHANGE_FEATURE_NAMES,
    LOOKS,
    QUANTILES,
    change_features,
    changed_shares,
    pair_statistics,
)
from quakesat.runtime.change import changed_share

SIDE = 128
#: The stepped rectangle: 32 rows x 80 columns of 128 x 128, aligned with every multilook.
ROWS, COLS = 32, 80
SHARE = ROWS * COLS / SIDE**2  # 0.15625


def _flat_pair(vv_db: float = 4.0, vh_db: float = -4.0) -> tuple[np.ndarray, np.ndarray]:
    """A speckle-free pair: VV 0.1 and VH 0.025 everywhere; the second image stepped by
    ``vv_db`` / ``vh_db`` on the rectangle."""
    first = np.empty((SIDE, SIDE, 2), dtype=np.float32)
    first[..., 0], first[..., 1] = 0.1, 0.025
    second = first.copy()
    second[:ROWS, :COLS, 0] *= np.float32(10 ** (vv_db / 10))
    second[:ROWS, :COLS, 1] *= np.float32(10 ** (vh_db / 10))
    return first, second


def _named(vector: np.ndarray) -> dict[str, float]:
    return dict(zip(CHANGE_FEATURE_NAMES, vector.tolist()))


def _speckle(seed: int, side: int = 64) -> np.ndarray:
    return np.random.default_rng(seed).gamma(4.4, 0.1 / 4.4, size=(side, side, 2)).astype(np.float32)


def test_names_match_the_vector() -> None:
    vector = change_features(*_flat_pair())
    assert vector.dtype == np.float32 and vector.shape == (len(CHANGE_FEATURE_NAMES),)
    assert len(set(CHANGE_FEATURE_NAMES)) == len(CHANGE_FEATURE_NAMES) == 101
    assert CHANGE_FEATURE_NAMES[0] == "lr1_vv_q01" and CHANGE_FEATURE_NAMES[-1] == "valid_share"


@pytest.mark.parametrize("looks", LOOKS)
def test_known_step_gives_expected_shares_and_quantiles(looks: int) -> None:
    f = _named(change_features(*_flat_pair()))
    vv, vh = f"lr{looks}_vv", f"lr{looks}_vh"
    # VV brightens by 4 dB on 15.625 % of the pixels, unchanged elsewhere.
    for threshold in (1, 2, 3):
        assert f[f"{vv}_abs_gt{threshold}db"] == pytest.approx(SHARE)
        assert f[f"{vh}_abs_gt{threshold}db"] == pytest.approx(SHARE)
    assert f[f"{vv}_abs_gt6db"] == 0.0 and f[f"{vh}_abs_gt6db"] == 0.0
    assert f[f"{vv}_up_gt3db"] == pytest.approx(SHARE) and f[f"{vv}_down_gt3db"] == 0.0
    assert f[f"{vh}_down_gt3db"] == pytest.approx(SHARE) and f[f"{vh}_up_gt3db"] == 0.0
    # 84.4 % zeros then 15.6 % at +4: q01..q75 are 0, q95 and q99 are 4 (VH: mirrored).
    expected_vv = {1: 0.0, 5: 0.0, 25: 0.0, 50: 0.0, 75: 0.0, 95: 4.0, 99: 4.0}
    expected_vh = {1: -4.0, 5: -4.0, 25: 0.0, 50: 0.0, 75: 0.0, 95: 0.0, 99: 0.0}
    for q in QUANTILES:
        key = round(q * 100)
        assert f[f"{vv}_q{key:02d}"] == pytest.approx(expected_vv[key], abs=1e-5)
        assert f[f"{vh}_q{key:02d}"] == pytest.approx(expected_vh[key], abs=1e-5)
    assert f[f"{vv}_mean"] == pytest.approx(4.0 * SHARE, rel=1e-5)
    assert f[f"{vv}_std"] == pytest.approx(4.0 * np.sqrt(SHARE * (1 - SHARE)), rel=1e-5)
    # The densest 1/8-side window lies inside the rectangle: all of it changed.
    assert f[f"{vv}_window_abs_gt3db"] == 1.0


def test_scene_statistics_and_valid_share() -> None:
    f = _named(change_features(*_flat_pair()))
    assert f["first_vv_mean_db"] == pytest.approx(-10.0, abs=1e-5)
    assert f["first_vh_mean_db"] == pytest.approx(10 * np.log10(0.025), abs=1e-5)
    assert f["first_vv_std_db"] == pytest.approx(0.0, abs=1e-5)
    assert f["valid_share"] == 1.0


def test_localized_change_scores_higher_in_the_window_than_overall() -> None:
    # The same number of changed pixels, once as a compact square, once spread out.
    first = np.full((SIDE, SIDE, 2), 0.1, dtype=np.float32)
    compact, spread = first.copy(), first.copy()
    compact[:16, :16] *= 10.0
    spread[::8, ::8] *= 10.0  # 16 x 16 pixels on a lattice
    a, b = _named(change_features(first, compact)), _named(change_features(first, spread))
    assert a["lr1_vv_abs_gt3db"] == b["lr1_vv_abs_gt3db"] == 256 / SIDE**2
    assert a["lr1_vv_window_abs_gt3db"] == 1.0  # window side 16: exactly the square
    assert b["lr1_vv_window_abs_gt3db"] == 4 / 256  # at most 2 x 2 lattice points in 16 x 16


def test_identical_pair_has_no_change() -> None:
    image = _speckle(1)
    f = _named(change_features(image, image.copy()))
    change = [v for k, v in f.items() if k.startswith("lr")]
    assert change == [0.0] * len(change)
    assert f["first_vv_mean_db"] < 0 and f["first_vv_std_db"] > 0 and f["valid_share"] == 1.0


def test_no_data_is_excluded() -> None:
    first, second = _flat_pair()
    second[SIDE - 16:, :, 1] = np.nan  # the last 16 rows: no VH in the second image
    first[SIDE - 1, 0, 0] = 0.0  # non-positive is no data too
    f = _named(change_features(first, second))
    valid = SIDE * (SIDE - 16)
    assert f["valid_share"] == pytest.approx(valid / SIDE**2)
    assert f["lr1_vv_abs_gt3db"] == pytest.approx(ROWS * COLS / valid)
    assert f["lr16_vv_abs_gt3db"] == pytest.approx(10 / 56)  # 8 x 8 map, last row gone, 2 x 5 changed
    assert np.isfinite(change_features(first, second)).all()


def test_a_level_without_valid_block_gives_zeros() -> None:
    first, second = _flat_pair()
    first[::16, ::16] = np.nan  # one no-data pixel in every 16 x 16 block (and every 4 x 4 one on it)
    f = _named(change_features(first, second))
    assert all(v == 0.0 for k, v in f.items() if k.startswith("lr16_"))
    assert f["lr1_vv_abs_gt3db"] > 0 and f["lr4_vv_abs_gt3db"] > 0
    assert f["valid_share"] == pytest.approx(1 - 64 / SIDE**2)


def test_pair_without_any_valid_pixel_is_zeros() -> None:
    first, second = _flat_pair()
    second[..., 0] = np.nan
    vector = change_features(first, second)
    assert vector.tolist() == [0.0] * len(CHANGE_FEATURE_NAMES)
    assert changed_shares(first, second).tolist() == [[0.0] * 4] * 3


def test_quantiles_and_spread_agree_with_numpy_on_speckle() -> None:
    first, second = _speckle(2), _speckle(3)
    second[:3] = np.nan
    f = _named(change_features(first, second))
    with np.errstate(invalid="ignore"):
        ratio = 10 * np.log10(second.astype(np.float64) / first)
    vv = ratio[..., 0][np.isfinite(ratio).all(axis=-1)]
    for q in QUANTILES:
        assert f[f"lr1_vv_q{round(q * 100):02d}"] == pytest.approx(np.quantile(vv, q), abs=1e-4)
    assert f["lr1_vv_mean"] == pytest.approx(vv.mean(), abs=1e-4)
    assert f["lr1_vv_std"] == pytest.approx(vv.std(), abs=1e-4)
    assert f["lr1_vv_abs_gt2db"] == pytest.approx(np.mean(np.abs(vv) > 2))


def test_changed_shares_match_the_runtime_definition() -> None:
    first, second = _speckle(4), _speckle(5)
    second[10:30, 10:30] *= 4.0
    second[0, :5] = np.nan
    shares = changed_shares(first, second, looks=(3, 2), thresholds_db=(3.0, 1.5))
    assert shares.shape == (2, 2)
    assert shares[0, 0] == pytest.approx(changed_share(first, second))
    assert shares[0, 1] > shares[0, 0] and shares[1, 1] > shares[1, 0]  # a lower threshold, more change
    features, same = pair_statistics(first, second, (3, 2), (3.0, 1.5))
    np.testing.assert_array_equal(same, shares)
    np.testing.assert_array_equal(features, change_features(first, second))


def test_bad_shapes_are_refused() -> None:
    image = _speckle(6)
    with pytest.raises(ConfigError, match="differ in shape"):
        change_features(image, image[:32])
    with pytest.raises(ConfigError, match="expected H x W x 2"):
        change_features(image[..., :1], image[..., :1])
    with pytest.raises(ConfigError, match="positive ints"):
        changed_shares(image, image, looks=(0,))
