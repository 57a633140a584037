"""Shallow features: the multilook factor chosen per tile side, vector layout, NaN safety."""

from __future__ import annotations

import numpy as np
import pytest

from quakesat.models.features import (
    SHALLOW_DOWNSAMPLE,
    shallow_config,
    shallow_features,
)
from quakesat.runtime.preprocess import PreprocessConfig, preprocess_image


def _image(seed: int, side: int) -> np.ndarray:
    return np.random.default_rng(seed).gamma(4.0, 0.025, size=(side, side, 2)).astype(np.float32)


# ─── shallow_config ─────────────────────────────────────────────────────────────────────
def test_default_factor() -> None:
    assert SHALLOW_DOWNSAMPLE == 32
    assert shallow_config(512).downsample == SHALLOW_DOWNSAMPLE


@pytest.mark.parametrize(
    ("side", "factor"),
    [
        (512, 32),
        (64, 32),
        (32, 32),  # limit: the side equals the factor
        (33, 1),   # limit + 1: odd, no power of two divides it
        (96, 32),
        (48, 16),
        (16, 16),
        (24, 8),
        (17, 1),
        (2, 2),
        (1, 1),
    ],
)
def test_factor_is_largest_power_of_two_up_to_default_dividing_side(side: int, factor: int) -> None:
    assert shallow_config(side).downsample == factor
    assert side % factor == 0


def test_other_constants_come_from_the_base() -> None:
    base = PreprocessConfig(
        units="db", floor_linear=1e-3, clip_db=(-30.0, 5.0), mean_db=(-10.0, -17.0),
        std_db=(4.0, 6.0), downsample=4, version=1,
    )
    config = shallow_config(48, base)
    assert config.downsample == 16
    for name in ("units", "floor_linear", "clip_db", "mean_db", "std_db", "version"):
        assert getattr(config, name) == getattr(base, name), name
    assert isinstance(config.clip_db, tuple) and isinstance(config.mean_db, tuple)
    assert base.downsample == 4  # the base is left alone


def test_default_base_is_the_default_preprocessing() -> None:
    config = shallow_config(64)
    default = PreprocessConfig()
    assert config.to_dict() == {**default.to_dict(), "downsample": 32}


# ─── shallow_features ───────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("side", "factor"), [(64, 32), (48, 16), (17, 1)])
def test_lengths_and_dtype(side: int, factor: int) -> None:
    config = shallow_config(side)
    per_image = 2 * (side // factor) ** 2
    one = shallow_features([_image(0, side)], config)
    pair = shallow_features((_image(0, side), _image(1, side)), config)
    assert one.shape == (per_image,) and one.dtype == np.float32
    assert pair.shape == (3 * per_image,) and pair.dtype == np.float32


def test_pair_layout_first_second_and_difference() -> None:
    side = 64
    config = shallow_config(side)
    first, second = _image(2, side), _image(3, side) * np.float32(4.0)  # about +6 dB
    features = shallow_features((first, second), config)
    n = features.size // 3
    np.testing.assert_array_equal(features[:n], preprocess_image(first, config).ravel())
    np.testing.assert_array_equal(features[n:2 * n], preprocess_image(second, config).ravel())
    np.testing.assert_array_equal(features[2 * n:], features[n:2 * n] - features[:n])
    assert (features[2 * n:] > 0).all()  # the brighter second image shows as a positive change


def test_single_image_is_its_preprocessed_image() -> None:
    config = shallow_config(48)
    image = _image(4, 48)
    np.testing.assert_array_equal(shallow_features([image], config), preprocess_image(image, config).ravel())


def test_nan_input_gives_finite_features() -> None:
    side = 64
    config = shallow_config(side)
    first = _image(5, side)
    first[:40, :, :] = np.nan  # covers a whole 32 x 32 block row and part of the next
    second = np.full((side, side, 2), np.nan, dtype=np.float32)
    features = shallow_features((first, second), config)
    assert features.shape == (3 * 2 * 2 * 2,)
    assert np.isfinite(features).all()
    # An all-no-data image becomes the normalisation mean, i.e. exactly zero.
    n = features.size // 3
    np.testing.assert_array_equal(features[n:2 * n], 0.0)


def test_db_inputs_are_multilooked_by_version_1() -> None:
    """Version 2 does not multilook dB inputs: the shallow features fall back to version 1."""
    config = shallow_config(48, PreprocessConfig(units="db"))
    assert (config.version, config.downsample) == (1, 16)
    assert shallow_config(48).version == 2  # linear inputs keep the default version
