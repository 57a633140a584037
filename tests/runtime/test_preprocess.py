"""The shared preprocessing: each step against hand-computed values, and its failure modes."""

from __future__ import annotations

import numpy as np
import pytest

from quakesat.errors import PreprocessError
from quakesat.runtime.preprocess import (
    PREPROCESS_VERSION,
    PreprocessConfig,
    multilook,
    nodata_fraction,
    preprocess_image,
    preprocess_pair,
)


def _image(vv: float, vh: float, size: int = 4) -> np.ndarray:
    image = np.empty((size, size, 2), dtype=np.float32)
    image[..., 0], image[..., 1] = vv, vh
    return image


def test_linear_to_normalised_db_by_hand() -> None:
    config = PreprocessConfig(mean_db=(-10.0, -20.0), std_db=(5.0, 2.0))
    out = preprocess_image(_image(0.01, 0.001), config)  # -20 dB, -30 dB
    assert out.shape == (2, 4, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], (-20.0 + 10.0) / 5.0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(out[1], (-30.0 + 20.0) / 2.0, rtol=0, atol=1e-6)


def test_db_input_is_not_converted_again() -> None:
    config = PreprocessConfig(units="db", mean_db=(0.0, 0.0), std_db=(1.0, 1.0))
    out = preprocess_image(_image(-7.5, -15.0), config)
    np.testing.assert_array_equal(out[0], np.float32(-7.5))
    np.testing.assert_array_equal(out[1], np.float32(-15.0))


def test_nodata_becomes_zero_and_extremes_are_clipped() -> None:
    config = PreprocessConfig(clip_db=(-30.0, 5.0), mean_db=(-10.0, -20.0), std_db=(5.0, 5.0))
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


def test_downsample_shape_and_value() -> None:
    config = PreprocessConfig(downsample=4, mean_db=(0.0, 0.0), std_db=(1.0, 1.0))
    image = _image(0.1, 0.1, size=8)
    image[:4, :4, 0] = 0.3  # block mean of a constant block is the constant
    out = preprocess_image(image, config)
    assert out.shape == (2, 2, 2)
    assert out[0, 0, 0] == pytest.approx(10 * np.log10(0.3), abs=1e-5)
    assert out[0, 1, 1] == pytest.approx(-10.0, abs=1e-5)


def test_pair_channel_order() -> None:
    config = PreprocessConfig(mean_db=(0.0, 0.0), std_db=(1.0, 1.0))
    out = preprocess_pair(_image(0.1, 0.01), _image(1.0, 0.001), config)
    np.testing.assert_allclose(out[:, 0, 0], [-10.0, -20.0, 0.0, -30.0], atol=1e-5)


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
        PreprocessConfig(version=PREPROCESS_VERSION + 1)
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
