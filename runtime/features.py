"""Flat feature vectors for shallow models, from preprocessed tiles.

A shallow model sees a tile preprocessed with a strong multilook, flattened; for a
bitemporal tile the change (second minus first, normalised dB) is appended. Training
(``quakesat.models.features``) and the runtime use this one definition.
"""

from __future__ import annotations

import numpy as np

from quakesat.errors import PreprocessError


def flat_features(tiles: np.ndarray) -> np.ndarray:
    """``(N, F)`` float32 features of a batch of preprocessed tiles.

    Args:
        tiles: ``(N, 4, H, W)`` bitemporal tiles (first VV, VH, second VV, VH) or
            ``(N, 2, H, W)`` single images.

    Returns:
        Bitemporal: first, second and second minus first, each flattened channel-major
        (``F = 6 H W``); single image: the image flattened (``F = 2 H W``).

    Raises:
        PreprocessError: not a 4-D batch of 2 or 4 channels.
    """
    if tiles.ndim != 4 or tiles.shape[1] not in (2, 4):
        raise PreprocessError(f"expected (N, 2|4, H, W) preprocessed tiles, got shape {tiles.shape}")
    n = tiles.shape[0]
    if tiles.shape[1] == 2:
        return tiles.reshape(n, -1).astype(np.float32, copy=False)
    first, second = tiles[:, 0:2], tiles[:, 2:4]
    return np.concatenate([first.reshape(n, -1), second.reshape(n, -1), (second - first).reshape(n, -1)],
                          axis=1).astype(np.float32, copy=False)
