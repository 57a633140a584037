"""The fringe statistic of a multilooked interferogram: how steep and how consistent its local
phase gradient is (the detection-ceiling study's best rule that knows nothing of the event).

Shared by the ceiling study (:mod:`quakesat.evaluation.insar_ceiling`) and the survey
aggregation study (:mod:`quakesat.mission.aggregation_study`), which may not import each
other's stages. numpy only.
"""

from __future__ import annotations

import numpy as np

#: Side (multilooked pixels) of the windows the rule averages neighbour phase differences over:
#: 4 x 4 (modelling choice: 16 differences make the local gradient's phase usable at moderate
#: coherence, yet a window stays below a fringe of a Mw 6 event at 8 looks).
FRINGE_WINDOW = 4


def unit_phasor(values: np.ndarray) -> np.ndarray:
    """``values / |values|``, 0 where ``values`` is 0."""
    values = np.asarray(values, dtype=np.complex128)
    magnitude = np.abs(values)
    return np.divide(values, magnitude, out=np.zeros_like(values), where=magnitude > 0)


def block_sums(values: np.ndarray, side: int) -> np.ndarray:
    """Sum of ``values`` (``... x H x W``, sides multiples of ``side``) over ``side x side`` blocks."""
    height, width = values.shape[-2:]
    return values.reshape(values.shape[:-2] + (height // side, side, width // side, side)).sum(axis=(-3, -1))


def phase_gradient(interferogram: np.ndarray, weights: np.ndarray, window: int) -> np.ndarray:
    """The fringe rule: coherence-weighted mean magnitude of the local phase gradient.

    Neighbour products ``u[r, c+1]·conj(u[r, c])`` (and down the rows) carry the wrapped
    phase difference of neighbouring pixels; each is weighted by the geometric mean of the
    two coherences and averaged over ``window x window`` windows, giving a local mean phasor
    ``m`` whose phase is the local gradient (radians per multilooked pixel) and whose modulus
    says how consistent it is (about 1 on clean fringes, ``1/window`` on pure noise). The
    statistic is Σ_windows s·|g| / Σ s with ``g = (|m_x| arg m_x, |m_y| arg m_y)`` and ``s``
    the window's weight: steep and consistent gradients count, noise barely, a flat phase
    not at all. It knows nothing of the event: atmosphere, subsidence and landslides raise it
    as fringes do.

    Args:
        interferogram: ``... x H x W`` multilooked interferograms (only their phase is used).
        weights: ``... x H x W`` estimated coherence, the same shape, finite and >= 0.
        window: window side (>= 1); H - 1 and W - 1 must be at least ``window``.

    Returns:
        float64 ``...`` in radians per multilooked pixel.
    """
    height, width = interferogram.shape[-2:]
    if window < 1 or min(height, width) - 1 < window:
        raise ValueError(f"window {window} needs images of at least {window + 1} pixels a side, got {height} x {width}")
    unit = unit_phasor(interferogram)
    rows, cols = (height - 1) // window * window, (width - 1) // window * window
    crop = (Ellipsis, slice(0, rows), slice(0, cols))
    along = (unit[..., :, 1:] * np.conj(unit[..., :, :-1]))[crop]
    down = (unit[..., 1:, :] * np.conj(unit[..., :-1, :]))[crop]
    w_along = np.sqrt(weights[..., :, 1:] * weights[..., :, :-1])[crop]
    w_down = np.sqrt(weights[..., 1:, :] * weights[..., :-1, :])[crop]
    parts, strength = [], 0.0
    for products, w in ((along, w_along), (down, w_down)):
        total = block_sums(w, window)
        mean = np.divide(block_sums(w * products, window), total, out=np.zeros(total.shape, np.complex128),
                         where=total > 0)
        parts.append(np.abs(mean) * np.angle(mean))
        strength = strength + total
    gradient = np.hypot(*parts)
    total = strength.sum(axis=(-2, -1))
    return np.divide((strength * gradient).sum(axis=(-2, -1)), total, out=np.zeros_like(total), where=total > 0)
