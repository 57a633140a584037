"""The shared preprocessing, both versions: each step against hand-computed values, version 2's
log approximation against its error bound, and the failure modes."""

from __future__ import annotations

import numpy as np
import pytest

from quakesat.errors import PreprocessError
from quakesat.runtime.preprocess import (
    DB_ERROR_BOUND,
    LOG2_ERROR_BOUND,
    PREPROCESS_VERSION,
    SUPPORTED_PREPROCESS_VERSIONS,
    PreprocessConfig,
    fast_log2,
    multilook,
    nodata_fraction,
    preprocess_image,
    preprocess_pair,
)

VERSIONS = pytest.mark.parametrize("version", SUPPORTED_PREPROCESS_VERSIONS)


def _tolerance(version: int, std: float = 1.0) -> float:
    """How far a normalised output may sit from the exact value: one float32 rounding in
    version 1, the log approximation's bound (plus roundings) in version 2."""
    return 1e-6 if version == 1 else DB_ERROR_BOUND / std + 1e-6


def _image(vv: float, vh: float, size: int = 4) -> np.ndarray:
    image = np.empty((size, size, 2), dtype=np.float32)
    image[..., 0], image[..., 1] = vv, vh
    return image


@VERSIONS
def test_linear_to_normalised_db_by_hand(version: int) -> None:
    config = PreprocessConfig(mean_db=(-10.0, -20.0), std_db=(5.0, 2.0), version=version)
    out = preprocess_image(_image(0.01, 0.001), config)  # -20 dB, -30 dB
    assert out.shape == (2, 4, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], (-20.0 + 10.0) / 5.0, rtol=0, atol=_tolerance(version, 5.0))
    np.testing.assert_allclose(out[1], (-30.0 + 20.0) / 2.0, rtol=0, atol=_tolerance(version, 2.0))


@VERSIONS
def test_db_input_is_not_converted_again(version: int) -> None:
    config = PreprocessConfig(units="db", mean_db=(0.0, 0.0), std_db=(1.0, 1.0), version=version)
    out = preprocess_image(_image(-7.5, -15.0), config)
    np.testing.assert_array_equal(out[0], np.float32(-7.5))
    np.testing.assert_array_equal(out[1], np.float32(-15.0))


@VERSIONS
def test_nodata_becomes_zero_and_extremes_are_clipped(version: int) -> None:
    config = PreprocessConfig(clip_db=(-30.0, 5.0), mean_db=(-10.0, -20.0), std_db=(5.0, 5.0), version=version)
    image = _image(0.1, 0.01)
    image[0, 0] = np.nan
    image[0, 1] = np.inf
    image[1, 0] = 0.0  # zero -> floor (-40 dB) -> clipped to -30 dB
    image[1, 1] = 1e6  # +60 dB -> clipped to +5 dB
    out = preprocess_image(image, config)
    assert np.isfinite(out).all()
    assert out[0, 0, 0] == 0.0 and out[1, 0, 0] == 0.0
    assert out[0, 0, 1] == 0.0
    assert out[0, 1, 0] == pytest.approx((-30.0 + 10.0) / 5.0)
    assert out[0, 1, 1] == pytest.approx((5.0 + 10.0) / 5.0)


def test_multilook_averages_finite_linear_values() -> None:
    linear = np.array([[1.0, 3.0], [np.nan, 2.0]])[..., None]
    np.testing.assert_allclose(multilook(linear, 2)[0, 0, 0], 2.0)
    assert np.isnan(multilook(np.full((2, 2, 1), np.nan), 2)[0, 0, 0])


@VERSIONS
def test_downsample_shape_and_value(version: int) -> None:
    config = PreprocessConfig(downsample=4, mean_db=(0.0, 0.0), std_db=(1.0, 1.0), version=version)
    image = _image(0.1, 0.1, size=8)
    image[:4, :4, 0] = 0.3  # block mean of a constant block is the constant
    out = preprocess_image(image, config)
    assert out.shape == (2, 2, 2)
    assert out[0, 0, 0] == pytest.approx(10 * np.log10(0.3), abs=1e-5 + _tolerance(version))
    assert out[0, 1, 1] == pytest.approx(-10.0, abs=1e-5 + _tolerance(version))


@VERSIONS
def test_pair_channel_order(version: int) -> None:
    config = PreprocessConfig(mean_db=(0.0, 0.0), std_db=(1.0, 1.0), version=version)
    out = preprocess_pair(_image(0.1, 0.01), _image(1.0, 0.001), config)
    np.testing.assert_allclose(out[:, 0, 0], [-10.0, -20.0, 0.0, -30.0], atol=1e-5 + _tolerance(version))


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((4, 4), np.float32), "H x W x 2"),
        (np.zeros((4, 4, 3), np.float32), "H x W x 2"),
        (np.zeros((4, 4, 2), np.int16), "dtype"),
        ([[0.0]], "numpy array"),
    ],
)
def test_bad_images_raise_preprocess_error(image: object, message: str) -> None:
    with pytest.raises(PreprocessError, match=message):
        preprocess_image(image)  # type: ignore[arg-type]


def test_size_not_divisible_by_downsample_is_refused() -> None:
    with pytest.raises(PreprocessError, match="multiple"):
        preprocess_image(_image(0.1, 0.1, size=6), PreprocessConfig(downsample=4))


def test_pair_shapes_must_agree() -> None:
    with pytest.raises(PreprocessError, match="same shape"):
        preprocess_pair(_image(0.1, 0.1, 4), _image(0.1, 0.1, 8))


def test_config_round_trip_and_validation() -> None:
    config = PreprocessConfig(downsample=2, mean_db=(-11.0, -18.5))
    assert PreprocessConfig.from_dict(config.to_dict()) == config
    assert config.to_dict()["version"] == PREPROCESS_VERSION
    with pytest.raises(PreprocessError, match="version"):
        PreprocessConfig(version=max(SUPPORTED_PREPROCESS_VERSIONS) + 1)
    with pytest.raises(PreprocessError, match="version"):
        PreprocessConfig(version=True)  # type: ignore[arg-type]
    with pytest.raises(PreprocessError, match="dB inputs"):
        PreprocessConfig(units="db", downsample=2, version=2)
    assert PreprocessConfig(units="db", downsample=2, version=1).downsample == 2
    with pytest.raises(PreprocessError, match="unknown"):
        PreprocessConfig.from_dict({**config.to_dict(), "gamma": 1.0})
    with pytest.raises(PreprocessError, match="downsample"):
        PreprocessConfig(downsample=0)
    with pytest.raises(PreprocessError, match="std_db"):
        PreprocessConfig(std_db=(1.0, 0.0))


def test_nodata_fraction() -> None:
    image = _image(0.1, 0.1)
    image[0, :, 0] = np.nan
    assert nodata_fraction(image) == pytest.approx(4 / 32)


def test_fast_log2_meets_its_bound_on_every_float32_mantissa() -> None:
    """Exhaustive over the 2**23 mantissas at the ends and middle of the tiles' range."""
    mantissas = np.arange(2**23, dtype=np.int32)
    worst = 0.0
    for exponent in (-14, -1, 0, 1, 13):  # 6e-5 .. 1.6e4: the floor (1e-4) to +40 dB
        y = (mantissas | np.int32((exponent + 127) << 23)).view(np.float32)
        worst = max(worst, float(np.abs(fast_log2(y).astype(np.float64) - np.log2(y.astype(np.float64))).max()))
    assert 1e-6 < worst <= LOG2_ERROR_BOUND  # an approximation, and within its documented bound
    assert fast_log2(np.array([1.0, 2.0, 0.5], np.float32)).tolist() == [0.0, 1.0, -1.0]  # exact at powers of 2


def _speckle(seed: int, side: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).exponential(0.05, (side, side, 2)).astype(np.float32)


def test_version_2_stays_within_its_bound_of_version_1() -> None:
    """Same science: on speckle, with no-data and clipped pixels, the versions differ by the
    log approximation and float32 rounding only."""
    image = _speckle(1)
    image[3, 4] = np.nan
    image[5:7, 8:10] = np.nan  # one whole 2 x 2 block of no-data
    image[9, 9] = 50.0  # beyond the clip range
    for downsample in (1, 2, 4):
        outputs = [preprocess_image(image, PreprocessConfig(downsample=downsample, version=v)) for v in (1, 2)]
        assert np.abs(outputs[0] - outputs[1]).max() <= _tolerance(2, 5.0) + 1e-5


def test_version_2_fast_path_and_general_path_give_the_same_bits() -> None:
    image = _speckle(2)
    config = PreprocessConfig(downsample=2)
    general = preprocess_image(image, config, all_finite=False)
    assert np.array_equal(preprocess_image(image, config, all_finite=True), general)
    assert np.array_equal(preprocess_image(image, config), general)
    assert np.array_equal(preprocess_image(image.astype(np.float64), config), general)  # rounded to float32 first


def test_version_2_block_sum_order_is_columns_first() -> None:
    """(x00 + x10) + (x01 + x11): values picked so that row-major order rounds differently."""
    image = np.zeros((2, 2, 2), np.float32)
    image[..., 0] = [[1.0, 2.0**-24], [0.0, 2.0**-24]]  # (1 + 0) + (e + e) = 1 + 2e; row-major gives 1
    image[..., 1] = 0.5
    config = PreprocessConfig(downsample=2, mean_db=(0.0, 0.0), std_db=(1.0, 1.0), floor_linear=1e-30)
    from quakesat.runtime.preprocess import _block_sums

    assert _block_sums(image, 2)[0, 0, 0] == np.float32(1.0) + np.float32(2.0**-23)
    out = preprocess_image(image, config)
    assert out.shape == (2, 1, 1) and np.isfinite(out).all()


def test_out_is_written_in_place_and_checked() -> None:
    config = PreprocessConfig(downsample=2)
    out = np.full((4, 16, 16), np.nan, np.float32)
    result = preprocess_pair(_speckle(3), _speckle(4), config, out=out)
    assert result is out and np.isfinite(out).all()
    with pytest.raises(PreprocessError, match="out must be"):
        preprocess_pair(_speckle(3), _speckle(4), config, out=np.empty((4, 32, 32), np.float32))
