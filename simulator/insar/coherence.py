"""Decorrelation and complex (SLC) pairs: how much of the interferometric phase survives.

This module does four jobs for the simulator's interferometric pairs:

- temporal decorrelation per land cover: the exponential model
  γ(t) = (γ0 − γ∞)·exp(−t/τ) + γ∞ of Rocca (2007, IEEE TGRS 45(10) "Modeling interferogram
  stacks") and Parizzi et al. (2009, ESA Fringe workshop: decorrelation time constants at L, C
  and X band), the form Morishita & Hanssen (2015, IEEE TGRS 53(2)) fit to pasture and
  Kellndorfer et al. (2022, Scientific Data 9:73) fit per pixel to the global Sentinel-1
  6–48-day coherence;
- co-seismic decorrelation: ground that was damaged loses coherence (the principle of the ARIA
  damage proxy maps, Yun et al. 2015, Seismological Research Letters 86(6));
- a pair of single-look complex images whose speckle is circular complex Gaussian with a given
  per-pixel correlation and whose interferometric phase has a given expectation, and its
  multilooked interferogram and coherence estimate;
- the spread of the multilooked phase: the exact pdf of the L-look interferometric phase
  (Lee, Hoppel, Mango & Miller 1994, IEEE TGRS 32(5); Tough, Blacknell & Quegan 1995, Proc. R.
  Soc. A 449), evaluated here by its hypergeometric series, and the Cramér–Rao bound of
  Rodriguez & Martin (1992, IEE Proc. F 139(2)) it approaches for many looks.

"Looks" means two things below and the names keep them apart: :func:`multilook` averages
``looks × looks`` blocks of pixels (``looks`` is a block side), while :func:`phase_std` and
:func:`cramer_rao_phase_std` take the number of independent single-look samples averaged
(``looks**2`` for such a block, since the simulator's speckle is independent per pixel).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln, logsumexp

from quakesat.simulator.sar_scene import LandCover

# ─── temporal decorrelation (C band, Sentinel-1 VV) ─────────────────────────────────────
#: (γ0, γ∞, τ in days) of γ(t) = (γ0 − γ∞)·exp(−t/τ) + γ∞ for each class. The model is Rocca
#: (2007) / Parizzi et al. (2009); the numbers are modelling choices set to the ordering and
#: ranges the C-band studies report: Jacob et al. (2020, IEEE JSTARS 13 "Sentinel-1 InSAR
#: coherence for land cover mapping") and Kellndorfer et al. (2022) find built-up areas and
#: arid bare ground keeping high coherence over weeks, forest low at C band already at the
#: shortest Sentinel-1 repeat, and crops and grass in between, falling within days to weeks;
#: Morishita & Hanssen (2015) find C-band pasture coherence lost within days to weeks. Water
#: decorrelates within milliseconds (Bragg waves move), so it carries no coherence at any
#: repeat: zero, and constant by design.
TEMPORAL_DECORRELATION: dict[LandCover, tuple[float, float, float]] = {
    LandCover.WATER: (0.0, 0.0, 1.0),
    LandCover.URBAN: (0.85, 0.60, 40.0),
    LandCover.FOREST: (0.50, 0.10, 5.0),
    LandCover.CROPLAND: (0.70, 0.15, 10.0),
    LandCover.GRASSLAND: (0.75, 0.20, 12.0),
    LandCover.BARE: (0.90, 0.70, 60.0),
}

# ─── co-seismic decorrelation ───────────────────────────────────────────────────────────
#: Share of the coherence a fully damaged pixel loses (collapsed buildings, landslide scars,
#: sand ejecta rearrange the scatterers between the passes). Yun et al. (2015) map damage where
#: the co-event coherence falls below the pre-event one; how far it falls is a modelling
#: choice: to 30 % of the value the pixel would otherwise have.
COSEISMIC_COHERENCE_LOSS = 0.7

# ─── numerics of the phase pdf (all modelling choices) ──────────────────────────────────
#: Points of each of the three φ grids the second moment is integrated on (uniform over
#: [0, π], uniform over the central peak, geometric towards 0 for the cusp of few looks).
_PDF_GRID_POINTS = 2001
#: The central grid reaches this many Cramér–Rao standard deviations (the pdf is negligible
#: beyond that for many looks; for few looks the uniform grid covers the tails).
_PDF_PEAK_WIDTH = 12.0
#: Number of series terms summed per chunk (bounds the memory: grid points × chunk).
_SERIES_CHUNK = 512


def _check_coherence(coherence: np.ndarray | float) -> np.ndarray:
    """Return ``coherence`` as float64, or raise ValueError where it is outside [0, 1] or NaN."""
    gamma = np.asarray(coherence, dtype=np.float64)
    if not np.all((gamma >= 0.0) & (gamma <= 1.0)):  # NaN fails both comparisons
        raise ValueError("coherence must lie in [0, 1]")
    return gamma


def temporal_coherence(land_cover: np.ndarray, gap_days: float) -> np.ndarray:
    """Expected coherence of each pixel after ``gap_days`` between the passes.

    Args:
        land_cover: :class:`~quakesat.simulator.sar_scene.LandCover` values, any shape.
        gap_days: time between the two acquisitions in days (>= 0).

    Returns:
        float64 array of ``land_cover``'s shape, in [0, 1].
    """
    if not gap_days >= 0.0:
        raise ValueError(f"gap_days must be >= 0, got {gap_days}")
    cover = np.asarray(land_cover)
    if cover.size and (not np.issubdtype(cover.dtype, np.integer) or cover.min() < 0 or cover.max() >= len(LandCover)):
        raise ValueError("land_cover holds values that are not LandCover classes")
    # One coherence per class, then a table lookup: cheaper than evaluating per pixel.
    per_class = np.empty(len(LandCover), dtype=np.float64)
    for cls, (gamma0, gamma_inf, tau) in TEMPORAL_DECORRELATION.items():
        per_class[cls] = (gamma0 - gamma_inf) * math.exp(-gap_days / tau) + gamma_inf
    return per_class[cover]


def coseismic_coherence(
    coherence: np.ndarray, damage: np.ndarray, loss: float = COSEISMIC_COHERENCE_LOSS
) -> np.ndarray:
    """Coherence of a pair spanning the earthquake: damaged ground loses part of it.

    ``coherence · (1 − loss · d)`` with ``d`` the damaged share of the pixel, so undamaged
    pixels keep their value and a fully damaged one keeps ``1 − loss`` of it.

    Args:
        coherence: coherence without the earthquake, values in [0, 1].
        damage: per pixel, broadcastable to ``coherence``: a boolean mask, an integer mask
            where any non-zero value is damaged (the simulator's ``change_mask`` of
            :class:`~quakesat.simulator.coseismic.Damage` codes), or a float share in [0, 1].
        loss: share of the coherence a fully damaged pixel loses, in [0, 1].

    Returns:
        float64 array of the broadcast shape, in [0, 1].
    """
    gamma = _check_coherence(coherence)
    if not 0.0 <= loss <= 1.0:
        raise ValueError(f"loss must lie in [0, 1], got {loss}")
    damage = np.asarray(damage)
    if damage.dtype == bool or np.issubdtype(damage.dtype, np.integer):
        # Masks: the codes say which process damaged the pixel, not how much of it.
        share = (damage != 0).astype(np.float64)
    else:
        share = damage.astype(np.float64)
        if not np.all((share >= 0.0) & (share <= 1.0)):
            raise ValueError("a float damage share must lie in [0, 1]")
    return gamma * (1.0 - loss * share)


def correlated_slc_pair(
    rng: np.random.Generator,
    amplitude_pre: np.ndarray,
    amplitude_post: np.ndarray,
    coherence: np.ndarray,
    phase: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Two single-look complex images with correlated circular Gaussian speckle.

    ``pre = a_pre·z1`` and ``post = a_post·(γ·z1 + sqrt(1 − γ²)·z2)·exp(i·phase)`` with z1, z2
    independent unit circular complex Gaussians, so that E|pre|² = a_pre², E|post|² = a_post²,
    the correlation coefficient of the speckle is γ, and post·conj(pre) has phase ``phase`` in
    expectation. Every pixel draws its own speckle (pixels are independent looks).

    Args:
        rng: the random generator.
        amplitude_pre: amplitude of the first image, sqrt(sigma0), >= 0.
        amplitude_post: amplitude of the second image, sqrt(sigma0), >= 0.
        coherence: correlation coefficient γ per pixel, in [0, 1].
        phase: expected interferometric phase arg(post·conj(pre)) per pixel, radians.

    Returns:
        (pre, post), complex64 arrays of the broadcast shape of the inputs.
    """
    a_pre = np.asarray(amplitude_pre, dtype=np.float64)
    if np.any(a_pre < 0):
        raise ValueError("amplitudes must be >= 0")
    shape = np.broadcast_shapes(a_pre.shape, np.shape(amplitude_post), np.shape(coherence), np.shape(phase))
    z1 = unit_speckle(rng, shape)
    return (a_pre * z1).astype(np.complex64), correlated_image(rng, z1, amplitude_post, coherence, phase)


def unit_speckle(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit circular complex Gaussian speckle: real and imaginary parts each of variance 1/2,
    so that E|z|² = 1; every pixel its own draw."""
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / math.sqrt(2.0)


def correlated_image(rng: np.random.Generator, reference: np.ndarray, amplitude: np.ndarray, coherence: np.ndarray,
                     phase: np.ndarray) -> np.ndarray:
    """An image whose speckle is correlated by γ with the unit speckle ``reference``:
    ``amplitude·(γ·reference + sqrt(1 − γ²)·z)·exp(i·phase)`` with z fresh unit speckle, so that
    ``image·conj(reference)`` has phase ``phase`` in expectation. Several images correlated with
    one reference make the images of one track (each pair's coherence to it as given).

    Args:
        rng: the random generator.
        reference: unit circular complex Gaussian speckle (:func:`unit_speckle`).
        amplitude: sqrt(sigma0) of the image, >= 0.
        coherence: correlation coefficient γ per pixel, in [0, 1].
        phase: expected phase of ``image·conj(reference)``, radians.

    Returns:
        complex64 array of the broadcast shape of the inputs.
    """
    gamma = _check_coherence(coherence)
    a = np.asarray(amplitude, dtype=np.float64)
    if np.any(a < 0):
        raise ValueError("amplitudes must be >= 0")
    fresh = unit_speckle(rng, np.broadcast_shapes(np.shape(reference), a.shape, gamma.shape, np.shape(phase)))
    image = a * (gamma * reference + np.sqrt(1.0 - gamma**2) * fresh) * np.exp(1j * np.asarray(phase, dtype=np.float64))
    return image.astype(np.complex64)


def multilook(pre: np.ndarray, post: np.ndarray, looks: int) -> tuple[np.ndarray, np.ndarray]:
    """Multilooked interferogram and coherence estimate over ``looks × looks`` blocks.

    The interferogram is Σ post·conj(pre) over each block and the coherence estimate
    |Σ post·conj(pre)| / sqrt(Σ|pre|² · Σ|post|²) (the maximum-likelihood estimator of the
    correlation magnitude; biased upwards at low coherence and few looks). A block without
    power has coherence 0.

    Args:
        pre: first SLC image, ``... x H x W``.
        post: second SLC image, same shape.
        looks: block side in pixels; H and W must be multiples of it.

    Returns:
        (interferogram complex64, coherence float32), each ``... x H/looks x W/looks``.
    """
    pre = np.asarray(pre)
    post = np.asarray(post)
    if pre.shape != post.shape or pre.ndim < 2:
        raise ValueError(f"pre and post must be images of the same shape, got {pre.shape} and {post.shape}")
    if not isinstance(looks, (int, np.integer)) or looks < 1:
        raise ValueError(f"looks must be a positive integer, got {looks!r}")
    height, width = pre.shape[-2:]
    if height % looks or width % looks:
        raise ValueError(f"image sides {height} x {width} are not multiples of looks={looks}")
    blocks = pre.shape[:-2] + (height // looks, looks, width // looks, looks)
    # Sum in double precision: complex64 sums of thousands of pixels lose digits.
    pre_b = pre.astype(np.complex128).reshape(blocks)
    post_b = post.astype(np.complex128).reshape(blocks)
    axes = (-3, -1)
    interferogram = (post_b * np.conj(pre_b)).sum(axis=axes)
    power = (np.abs(pre_b) ** 2).sum(axis=axes) * (np.abs(post_b) ** 2).sum(axis=axes)
    coherence = np.zeros(power.shape)
    np.divide(np.abs(interferogram), np.sqrt(power), out=coherence, where=power > 0)
    return interferogram.astype(np.complex64), np.clip(coherence, 0.0, 1.0).astype(np.float32)


def cramer_rao_phase_std(coherence: float, n_independent: int) -> float:
    """Cramér–Rao bound of the interferometric phase std: sqrt((1 − γ²) / (2·N·γ²)).

    Rodriguez & Martin (1992); the multilooked phase reaches it for many looks.

    Args:
        coherence: correlation magnitude γ in [0, 1].
        n_independent: number N of independent single-look samples averaged (>= 1).

    Returns:
        The bound in radians (inf for γ = 0).
    """
    gamma = float(_check_coherence(coherence))
    if n_independent < 1:
        raise ValueError(f"n_independent must be >= 1, got {n_independent}")
    if gamma == 0.0:
        return math.inf
    return math.sqrt((1.0 - gamma**2) / (2.0 * n_independent * gamma**2))


def multilook_phase_pdf(phi: np.ndarray, coherence: float, looks: int) -> np.ndarray:
    """Probability density of the L-look interferometric phase about its expectation.

    Lee et al. (1994), equation of the multilook phase pdf, for φ in (−π, π] and β = γ·cos φ:

        p(φ) = Γ(L+½)(1−γ²)^L β / (2√π Γ(L) (1−β²)^(L+½)) + (1−γ²)^L ₂F₁(L, 1; ½; β²) / (2π).

    Both terms are evaluated in logarithms: (1−γ²)^L underflows and ₂F₁ overflows for many
    looks, while their product stays moderate. ₂F₁(L, 1; ½; z) = Σ_k (L)_k / (½)_k · z^k has
    positive terms only, so its series is summed without cancellation. Its length grows as
    L·γ²/(1−γ²) + 1/(1−γ²): milliseconds for the simulator's coherences and looks.

    Args:
        phi: phase offsets from the expected phase, radians.
        coherence: correlation magnitude γ in [0, 1).
        looks: number L of independent single-look samples averaged (>= 1).

    Returns:
        float64 density of ``phi``'s shape.
    """
    gamma = float(_check_coherence(coherence))
    if gamma >= 1.0:
        raise ValueError("the phase pdf is a delta at coherence 1")
    if looks < 1:
        raise ValueError(f"looks must be >= 1, got {looks}")
    phi = np.asarray(phi, dtype=np.float64)
    beta = gamma * np.cos(phi)
    log_one_minus_g2 = math.log1p(-gamma**2)
    log_one_minus_b2 = np.log1p(-(beta**2))

    first = np.sign(beta) * np.exp(
        gammaln(looks + 0.5) - gammaln(looks) - math.log(2.0 * math.sqrt(math.pi))
        + looks * log_one_minus_g2 - (looks + 0.5) * log_one_minus_b2
    ) * np.abs(beta)

    # Terms of the series peak near k* = L·β²/(1−β²) and fall geometrically (ratio → β²)
    # beyond; 2k* + 80/(1−γ²) + 50 terms leave a tail below 1e-16 of the sum for every φ.
    k_peak = looks * gamma**2 / (1.0 - gamma**2)
    n_terms = int(2.0 * k_peak + 80.0 / (1.0 - gamma**2) + 50.0)
    log_z = 2.0 * np.log(np.maximum(np.abs(beta), 1e-300)).ravel()
    log_sum = np.full(log_z.shape, -np.inf)
    for start in range(0, n_terms, _SERIES_CHUNK):
        k = np.arange(start, min(start + _SERIES_CHUNK, n_terms), dtype=np.float64)
        log_coef = gammaln(looks + k) - gammaln(looks) - gammaln(0.5 + k) + gammaln(0.5)
        log_terms = log_coef[None, :] + np.outer(log_z, k)
        log_sum = np.logaddexp(log_sum, logsumexp(log_terms, axis=1))
    second = np.exp(looks * log_one_minus_g2 + log_sum.reshape(phi.shape)) / (2.0 * math.pi)
    # Where β < 0 the two terms nearly cancel (the far tail of many looks): rounding can leave
    # a density of about -1e-13 there instead of its true, far smaller positive value.
    return np.maximum(first + second, 0.0)


def phase_std(coherence: float, looks: int) -> float:
    """Standard deviation of the multilooked interferometric phase about its expectation.

    sqrt(∫ φ² p(φ) dφ) over (−π, π] with p the exact L-look pdf
    (:func:`multilook_phase_pdf`), integrated numerically. For γ = 0 the phase is uniform
    (π/√3); for γ = 1 it is exact (0). Tends to :func:`cramer_rao_phase_std` for many looks.

    Args:
        coherence: correlation magnitude γ in [0, 1].
        looks: number L of independent single-look samples averaged (>= 1); a
            ``looks × looks`` block of :func:`multilook` is L = looks**2.

    Returns:
        The standard deviation in radians.
    """
    gamma = float(_check_coherence(coherence))
    if looks < 1:
        raise ValueError(f"looks must be >= 1, got {looks}")
    if gamma == 0.0:
        return math.pi / math.sqrt(3.0)
    if gamma == 1.0:
        return 0.0
    # The pdf is even in φ: integrate over [0, π] on a grid that resolves both a narrow peak
    # (many looks, high γ) and the cusp and wide tails of few looks.
    peak = min(math.pi, _PDF_PEAK_WIDTH * cramer_rao_phase_std(gamma, looks))
    grid = np.unique(np.concatenate([
        np.linspace(0.0, math.pi, _PDF_GRID_POINTS),
        np.linspace(0.0, peak, _PDF_GRID_POINTS),
        np.geomspace(1e-6 * peak, math.pi, _PDF_GRID_POINTS),
    ]))
    density = multilook_phase_pdf(grid, gamma, looks)
    # Dividing by the integral of the density itself cancels most of the quadrature error.
    mass = np.trapezoid(density, grid)
    second_moment = np.trapezoid(grid**2 * density, grid)
    return math.sqrt(second_moment / mass)
