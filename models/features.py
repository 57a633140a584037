"""Flat feature vectors for the shallow (scikit-learn) models and the difficulty check.

A sample's images go through the shared preprocessing (``quakesat.runtime.preprocess``)
with a strong multilook, then are flattened. For a bitemporal pair the change channels
(second minus first, normalised dB) are appended: a PCA of raw pixels ranks directions by
variance, which the scene layout dominates, so without them a PCA-based model barely sees
the change it is asked to detect (measured: docs/simulator.md, "Difficulty").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from quakesat.runtime.features import flat_features
from quakesat.runtime.preprocess import PreprocessConfig, preprocess_image

#: Multilook factor for shallow features: 512 x 512 tiles become 16 x 16 (a 320 m grid),
#: 1,536 features per pair; enough samples per feature for a PCA on a few hundred tiles.
SHALLOW_DOWNSAMPLE = 32


def shallow_config(tile_side: int, base: PreprocessConfig | None = None) -> PreprocessConfig:
    """The preprocessing used for shallow features of ``tile_side``-pixel tiles.

    The multilook factor is :data:`SHALLOW_DOWNSAMPLE`, reduced to the largest power of two
    that still divides ``tile_side`` (small test tiles). Inputs in dB are multilooked by
    preprocessing version 1 (version 2 multilooks linear sigma0 only).
    """
    factor = SHALLOW_DOWNSAMPLE
    while factor > 1 and tile_side % factor:
        factor //= 2
    base = base or PreprocessConfig()
    version = 1 if base.units == "db" and factor > 1 else base.version
    return replace(base, downsample=factor, version=version)


def shallow_features(images: Sequence[np.ndarray], config: PreprocessConfig) -> np.ndarray:
    """Flat float32 feature vector of one sample (one image, or a bitemporal pair).

    Args:
        images: one ``H x W x 2`` image, or two (first, second) for a bitemporal sample.
        config: preprocessing constants (see :func:`shallow_config`).

    Returns:
        For one image: the preprocessed image flattened. For a pair: first, second and
        second minus first, flattened.
    """
    tile = np.concatenate([preprocess_image(image, config) for image in images], axis=0)
    return flat_features(tile[None])[0]
