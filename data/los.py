"""A file's co-seismic line-of-sight truth (``los_coseismic``) as it shows in a multilooked interferogram.

Simulated same-track files (``quakesat simulate --slc``) store, per event patch, the
co-seismic motion toward the satellite (m) on the complex images' grid. What an
interferogram multilooked ``looks x looks`` makes of that motion alone is the block mean of
``exp(i 4π d_LOS / λ)``: its phase is the expected phase of the block, its modulus the
coherence the motion leaves inside it (1 where the block holds no gradient, less where it
holds fringes). The evaluation's matched filters use it as their template
(:mod:`quakesat.evaluation.insar_ceiling`) and training composes events with it
(:mod:`quakesat.models.inject`). numpy only.
"""

from __future__ import annotations

import numpy as np

#: Sentinel-1 C-band wavelength (m), ESA Sentinel-1 User Handbook (5.405 GHz): the default
#: where a file records none (``slc_wavelength_m``).
WAVELENGTH_M = 0.055465


def los_phasor(los_m: np.ndarray, looks: int, wavelength_m: float = WAVELENGTH_M) -> np.ndarray:
    """The motion's phasor on a multilooked grid: the block mean of ``exp(i 4π d_LOS / λ)``.

    Args:
        los_m: ``... x H x W`` line-of-sight motion (m, positive toward the satellite).
        looks: block side, dividing H and W.
        wavelength_m: radar wavelength.

    Returns:
        complex128 ``... x H/looks x W/looks``.

    Raises:
        ValueError: ``looks`` is not a positive divisor of the sides.
    """
    los = np.asarray(los_m, dtype=np.float64)
    if looks < 1 or los.shape[-1] % looks or los.shape[-2] % looks:
        raise ValueError(f"looks={looks} must be a positive divisor of the sides {los.shape[-2:]}")
    height, width = los.shape[-2:]
    phasor = np.exp(1j * 4.0 * np.pi / wavelength_m * los)
    blocks = phasor.reshape(los.shape[:-2] + (height // looks, looks, width // looks, looks))
    return blocks.sum(axis=(-3, -1)) / looks ** 2
