"""Propagation delays of a repeat-pass C-band interferogram: turbulent and stratified
troposphere, residual orbit error and the ionosphere.

Every field is the one-way line-of-sight (LOS) delay difference between the two
acquisitions, float64 metres, on a ``size x size`` grid of ``pixel_m`` spacing (row 0
northmost, columns growing eastward, as in :mod:`quakesat.simulator.sar_scene`; the radar's
range direction is east–west there). Sources:

- turbulence: a Gaussian random field with an isotropic power-law spectrum. Hanssen (2001,
  *Radar Interferometry: Data Interpretation and Error Analysis*, Kluwer, §4.7, eq. 4.7.28)
  describes the spectrum of a 1-D profile through the atmospheric signal with exponents
  -5/3 for wavelengths of ~1.5–50 km, -8/3 for 0.25–1.5 km and -2/3 for 0.02–0.25 km. The
  profile of an isotropic 2-D field has a spectrum one power shallower than the field's
  2-D spectrum, so the 1.5–50 km regime is P(k) ∝ k^(-8/3) in 2-D: the default here, for all
  scales (one regime is a modelling choice). Its size comes from the GPS statistics of
  Emardson et al. (2003, JGR 108(B5), 2231): the zenith delay difference between two points
  L km apart in one interferogram has a standard deviation of about c L^α + k H mm, c ≈ 2.5,
  α ≈ 0.5, k ≈ 4.8 per km of height difference H.
- stratification: a delay proportional to elevation, from the difference between the two
  acquisitions' vertical refractivity profiles (Doin et al. 2009, J. Appl. Geophys. 69);
  its size is Emardson et al.'s height term k.
- orbit: a plane from a baseline error of Sentinel-1 precise orbits (5 cm 3-D, ESA
  Sentinel-1 POD specification), through the flat-Earth look geometry.
- ionosphere: a plane of differential total electron content (TEC), delayed by the
  first-order dispersion 40.28 TEC / f² (e.g. Gomba et al. 2016, IEEE TGRS 54(3)); its size
  at C-band is a modelling choice.

docs/simulator.md, "Interferometric pairs", lists the constants with their sources.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from quakesat.simulator.sar_scene import PIXEL_SPACING_M, REFERENCE_INCIDENCE_DEG

# ─── turbulence ─────────────────────────────────────────────────────────────────────────
#: Default exponent of the 2-D power spectrum: Hanssen (2001, eq. 4.7.28) gives -5/3 for a
#: 1-D profile at wavelengths of ~1.5–50 km, which is -8/3 for the isotropic 2-D field. Below
#: 1.5 km Hanssen's profile exponent is -8/3 (-11/3 in 2-D): a caller modelling the fine
#: scales of a 10 m tile can pass that; one regime for all scales is a modelling choice.
TURBULENCE_SLOPE = -8.0 / 3.0
#: Default outer scale (m): the spectrum flattens to a constant above it. 50 km is the upper
#: end of Hanssen's (2001) -5/3 (1-D) regime; the exact roll-off is a modelling choice.
TURBULENCE_OUTER_SCALE_M = 50e3
#: The screen is synthesised on a grid this many times wider than the patch and cropped, so
#: that the patch is not periodic and carries part of the larger-scale (near-planar) power a
#: real screen has across it: a modelling choice (wider costs time for little change).
SCREEN_PADDING = 2
#: Emardson et al. (2003, JGR 108(B5), 2231), SCIGN GPS zenith delays: sigma = c L^alpha + k H,
#: sigma in mm, distance L and height difference H in km.
EMARDSON_C_MM = 2.5
EMARDSON_ALPHA = 0.5
EMARDSON_K_MM_PER_KM = 4.8
#: Spread (natural log) of one pair's turbulence RMS around Emardson et al.'s average: calm,
#: dry pairs to humid, convective ones. A modelling choice; the draw keeps the mean square
#: equal to Emardson et al.'s.
TURBULENCE_LOG_SPREAD = 0.5
#: Side of the patch the RMS is drawn for by default: a QuakeSet tile, 512 pixels of 10 m.
DEFAULT_EXTENT_M = 512 * PIXEL_SPACING_M

# ─── orbits ─────────────────────────────────────────────────────────────────────────────
#: Sentinel-1 precise orbit (POEORB) accuracy, 3-D RMS (ESA Sentinel-1 POD specification:
#: better than 5 cm).
S1_ORBIT_ACCURACY_M = 0.05
#: Sentinel-1 reference altitude (ESA Sentinel-1 User Handbook: 693 km).
S1_ALTITUDE_M = 693e3
#: Earth's mean radius (IUGG), for the length of one orbit revolution.
EARTH_RADIUS_M = 6371e3

# ─── ionosphere ─────────────────────────────────────────────────────────────────────────
#: Sentinel-1 C-band centre frequency (ESA Sentinel-1 User Handbook: 5.405 GHz).
S1_FREQUENCY_HZ = 5.405e9
#: First-order ionospheric dispersion: a delay of 40.28 TEC / f² metres, TEC in electrons
#: per m² (e.g. Gomba et al. 2016); one TEC unit is 1e16 electrons per m².
IONO_CONSTANT = 40.28
TECU = 1e16
#: Differential TEC gradient of one pair, TECU per 100 km: log-normal with this median and
#: log spread. A modelling choice: at C-band the ionosphere of a quiet mid-latitude pair is a
#: few mm per 100 km, larger near the equatorial anomaly and in storms (the reason for the
#: split-spectrum correction of Gomba et al. 2016).
IONO_GRADIENT_MEDIAN_TECU_PER_100KM = 0.1
IONO_GRADIENT_LOG_SPREAD = 1.0


def _grid_en(size: int, pixel_m: float) -> tuple[np.ndarray, np.ndarray]:
    """East and north coordinates (m) of each pixel from the patch centre (row 0 northmost)."""
    offsets = (np.arange(size, dtype=np.float64) - (size - 1) / 2.0) * pixel_m
    return offsets[None, :].repeat(size, axis=0), -offsets[:, None].repeat(size, axis=1)


def turbulent_screen(rng: np.random.Generator, size: int, pixel_m: float, rms_m: float,
                     slope: float = TURBULENCE_SLOPE, outer_scale_m: float = TURBULENCE_OUTER_SCALE_M) -> np.ndarray:
    """Turbulent tropospheric delay: a Gaussian random field with P(k) ∝ (k² + k0²)^(slope/2).

    White Gaussian noise is coloured in the Fourier domain on a grid :data:`SCREEN_PADDING`
    times wider than the patch and cropped to it (so the patch is not periodic); k0 is
    1 / ``outer_scale_m``, below which the spectrum is flat. The patch is then set to zero
    mean and exactly ``rms_m`` RMS.

    Args:
        rng: random generator.
        size: side of the square grid (pixels).
        pixel_m: pixel spacing (m).
        rms_m: RMS of the returned field (m, one-way LOS).
        slope: exponent of the 2-D power spectrum (default -8/3, Hanssen 2001's 1.5–50 km regime).
        outer_scale_m: scale (m) above which the spectrum flattens.

    Returns:
        ``size x size`` float64 delay (m), zero mean.
    """
    n = SCREEN_PADDING * size
    spectrum = np.fft.rfft2(rng.standard_normal((n, n)))
    k_rows = np.fft.fftfreq(n, d=pixel_m)[:, None]
    k_cols = np.fft.rfftfreq(n, d=pixel_m)[None, :]
    k0 = 1.0 / outer_scale_m
    # Amplitude is the square root of the power: (k² + k0²)^(slope/4).
    amplitude = (k_rows**2 + k_cols**2 + k0**2) ** (slope / 4.0)
    amplitude[0, 0] = 0.0  # the mean is not a delay an interferogram can see
    field = np.fft.irfft2(spectrum * amplitude, s=(n, n))[:size, :size]
    field = field - field.mean()
    spread = field.std()
    if rms_m == 0.0 or spread == 0.0:
        return np.zeros((size, size))
    return field * (rms_m / spread)


@lru_cache(maxsize=8)
def _mean_pair_power(exponent: float, steps: int = 400) -> float:
    """E[r^exponent] for two points drawn uniformly in a unit square.

    Their difference (u, v) has density (1-|u|)(1-|v|) on [-1, 1]², so the mean is
    4 ∫∫ (1-u)(1-v) (u²+v²)^(exponent/2) du dv over [0, 1]² (midpoint rule).
    """
    centres = (np.arange(steps) + 0.5) / steps
    u, v = np.meshgrid(centres, centres, indexing="ij")
    integrand = (1.0 - u) * (1.0 - v) * np.hypot(u, v) ** exponent
    return float(4.0 * integrand.mean())


def expected_turbulence_rms(extent_m: float = DEFAULT_EXTENT_M,
                            incidence_deg: float = REFERENCE_INCIDENCE_DEG) -> float:
    """Average RMS (m, one-way LOS) of the turbulent delay across a square patch.

    Emardson et al. (2003) give the standard deviation of the zenith delay difference of two
    points L km apart as c L^α mm, i.e. the structure function D(L) = (c L^α)². A field's
    variance about its mean over a patch is half the mean of D over all pairs of its points,
    so RMS² = c² s^(2α) E[r^(2α)] / 2 for a square of side s km (r: distance between two
    uniform points of the unit square). The zenith delay maps to the LOS by 1 / cos(incidence).

    Args:
        extent_m: side of the square patch (m).
        incidence_deg: incidence angle (degrees).

    Returns:
        The RMS (m) an average pair shows over such a patch.
    """
    side_km = extent_m / 1e3
    variance_mm2 = EMARDSON_C_MM**2 * side_km ** (2 * EMARDSON_ALPHA) * _mean_pair_power(2 * EMARDSON_ALPHA) / 2.0
    return math.sqrt(variance_mm2) * 1e-3 / math.cos(math.radians(incidence_deg))


def draw_turbulence_rms(rng: np.random.Generator, extent_m: float = DEFAULT_EXTENT_M,
                        incidence_deg: float = REFERENCE_INCIDENCE_DEG) -> float:
    """One pair's turbulence RMS (m): :func:`expected_turbulence_rms` times a log-normal factor.

    The factor has log spread :data:`TURBULENCE_LOG_SPREAD` and mean square 1 (so the mean
    square over many pairs is Emardson et al.'s); a 5 km patch then gets about 1–10 mm.

    Args:
        rng: random generator.
        extent_m: side of the square patch (m); default a QuakeSet tile (5.12 km).
        incidence_deg: incidence angle (degrees).

    Returns:
        RMS (m, one-way LOS) to give :func:`turbulent_screen`.
    """
    spread = TURBULENCE_LOG_SPREAD
    factor = math.exp(rng.normal(-spread**2, spread))
    return expected_turbulence_rms(extent_m, incidence_deg) * factor


def stratified_delay(elevation_m: np.ndarray, coefficient_m_per_m: float) -> np.ndarray:
    """Stratified tropospheric delay: proportional to elevation.

    The two acquisitions' vertical refractivity profiles differ, so the delay difference grows
    with the height of the ground (Doin et al. 2009); over the relief of a patch it is close
    to linear. The constant part is left in: an interferogram cannot see it anyway.

    Args:
        elevation_m: ground elevation (m), any shape.
        coefficient_m_per_m: LOS delay per metre of elevation (m/m), e.g. from
            :func:`draw_stratified_coefficient`.

    Returns:
        float64 delay (m), the shape of ``elevation_m``.
    """
    return np.asarray(elevation_m, dtype=np.float64) * float(coefficient_m_per_m)


def draw_stratified_coefficient(rng: np.random.Generator, incidence_deg: float = REFERENCE_INCIDENCE_DEG) -> float:
    """One pair's stratified-delay coefficient (m of LOS delay per m of elevation).

    Normal with zero mean and Emardson et al.'s (2003) k = 4.8 mm per km (zenith) as its
    standard deviation, mapped to the LOS by 1 / cos(incidence): about ±1 cm per km of relief
    at two sigma. The normal shape is a modelling choice.

    Args:
        rng: random generator.
        incidence_deg: incidence angle (degrees).

    Returns:
        The coefficient for :func:`stratified_delay`.
    """
    zenith = rng.normal(0.0, EMARDSON_K_MM_PER_KM * 1e-6)  # mm per km is 1e-6 m per m
    return float(zenith / math.cos(math.radians(incidence_deg)))


def _baseline_error_sd() -> float:
    """Standard deviation (m) of one component of a pair's baseline error: two independent
    orbits, each with the 3-D accuracy spread over three components."""
    return math.sqrt(2.0) * S1_ORBIT_ACCURACY_M / math.sqrt(3.0)


def orbital_ramp(rng: np.random.Generator, size: int, pixel_m: float, perpendicular_error_m: float | None = None,
                 parallel_error_m: float | None = None, incidence_deg: float = REFERENCE_INCIDENCE_DEG) -> np.ndarray:
    """Residual orbit error: a plane, zero at the patch centre.

    Range (east–west): the range difference of a pair changes with look angle θ by B⊥, and
    dθ/dx = cos θ / R across the ground (flat Earth, R = H / cos θ), so a perpendicular
    baseline error δB⊥ leaves a gradient δB⊥ cos²θ / H. Azimuth (north–south): orbit errors
    vary about once per revolution, so a parallel baseline error δB∥ changes along the track
    by at most 2π δB∥ per orbit length (a modelling choice for its shape). With 5 cm orbits
    this is a few mm per 100 km.

    Args:
        rng: random generator (draws what is not given).
        size: side of the square grid (pixels).
        pixel_m: pixel spacing (m).
        perpendicular_error_m: δB⊥ (m); drawn N(0, √2 · 5 cm / √3) when None.
        parallel_error_m: δB∥ (m); drawn likewise when None.
        incidence_deg: incidence angle (degrees).

    Returns:
        ``size x size`` float64 delay (m).
    """
    spread = _baseline_error_sd()
    perpendicular = rng.normal(0.0, spread) if perpendicular_error_m is None else perpendicular_error_m
    parallel = rng.normal(0.0, spread) if parallel_error_m is None else parallel_error_m
    cos_theta = math.cos(math.radians(incidence_deg))
    east_gradient = perpendicular * cos_theta**2 / S1_ALTITUDE_M
    orbit_length_m = 2.0 * math.pi * (EARTH_RADIUS_M + S1_ALTITUDE_M)
    north_gradient = parallel * 2.0 * math.pi / orbit_length_m
    east, north = _grid_en(size, pixel_m)
    return east_gradient * east + north_gradient * north


def ionospheric_ramp(rng: np.random.Generator, size: int, pixel_m: float,
                     tec_gradient_tecu_per_100km: float | None = None, direction_deg: float | None = None,
                     incidence_deg: float = REFERENCE_INCIDENCE_DEG) -> np.ndarray:
    """Differential ionospheric delay: a plane (the ionosphere varies over tens to hundreds of
    km, so across a patch it is a gradient), zero at the patch centre.

    A TEC difference ΔTEC advances the carrier phase by 40.28 ΔTEC / f² (a negative delay),
    1.38 cm per TECU at 5.405 GHz, mapped to the LOS by 1 / cos(incidence) (thin-shell
    mapping taken at the ground incidence: a modelling choice).

    Args:
        rng: random generator (draws what is not given).
        size: side of the square grid (pixels).
        pixel_m: pixel spacing (m).
        tec_gradient_tecu_per_100km: size of the ΔTEC gradient (TECU per 100 km); drawn
            log-normal (:data:`IONO_GRADIENT_MEDIAN_TECU_PER_100KM`) when None.
        direction_deg: direction of increasing ΔTEC, clockwise from north; uniform when None.
        incidence_deg: incidence angle (degrees).

    Returns:
        ``size x size`` float64 delay (m).
    """
    if tec_gradient_tecu_per_100km is None:
        tec_gradient_tecu_per_100km = IONO_GRADIENT_MEDIAN_TECU_PER_100KM * math.exp(
            rng.normal(0.0, IONO_GRADIENT_LOG_SPREAD))
    if direction_deg is None:
        direction_deg = rng.uniform(0.0, 360.0)
    delay_per_tecu = -IONO_CONSTANT * TECU / S1_FREQUENCY_HZ**2 / math.cos(math.radians(incidence_deg))
    gradient = tec_gradient_tecu_per_100km / 100e3 * delay_per_tecu  # m of delay per m of ground
    azimuth = math.radians(direction_deg)
    east, north = _grid_en(size, pixel_m)
    return gradient * (math.sin(azimuth) * east + math.cos(azimuth) * north)


def radial_power_slope(field: np.ndarray, pixel_m: float, k_min: float, k_max: float) -> float:
    """Log-log slope of a field's radially averaged 2-D power spectrum between two wavenumbers.

    The field is demeaned and tapered with a 2-D Hann window (a patch is not periodic: its
    edges would otherwise leak power across the spectrum), its power averaged in
    logarithmically spaced rings, and a line fitted to log power against log wavenumber.

    Args:
        field: 2-D array.
        pixel_m: pixel spacing (m).
        k_min: lowest wavenumber of the fit (cycles per m).
        k_max: highest wavenumber of the fit (cycles per m).

    Returns:
        The fitted exponent (e.g. about -8/3 for a default :func:`turbulent_screen`).
    """
    values = np.asarray(field, dtype=np.float64)
    rows, cols = values.shape
    window = np.outer(np.hanning(rows), np.hanning(cols))
    power = np.abs(np.fft.fft2((values - values.mean()) * window)) ** 2
    wavenumber = np.hypot(np.fft.fftfreq(rows, d=pixel_m)[:, None], np.fft.fftfreq(cols, d=pixel_m)[None, :])
    # About eight rings per octave: dense enough for a stable fit, wide enough to average.
    count = max(3, int(round(8 * math.log2(k_max / k_min))))
    edges = np.geomspace(k_min, k_max, count + 1)
    ring = np.digitize(wavenumber.ravel(), edges) - 1
    inside = (ring >= 0) & (ring < count)
    totals = np.bincount(ring[inside], weights=power.ravel()[inside], minlength=count)
    k_sums = np.bincount(ring[inside], weights=wavenumber.ravel()[inside], minlength=count)
    counts = np.bincount(ring[inside], minlength=count)
    used = counts > 0
    if used.sum() < 3:
        raise ValueError("fewer than three wavenumber rings between k_min and k_max")
    mean_k = k_sums[used] / counts[used]
    mean_power = totals[used] / counts[used]
    return float(np.polyfit(np.log(mean_k), np.log(mean_power), 1)[0])
