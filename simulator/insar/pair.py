"""Same-track complex (SLC) images of one patch: the co-seismic signal and every confound in one phase.

:func:`simulate_slc_images` turns what the simulator knows of a patch (land cover, terrain,
damage, the noise-free backscatter of each acquisition, where the patch lies from the true
epicentre, and the event's fault, if any) into co-registered complex images of one track:
``pre`` and ``post`` (the pair spanning the event) and, when asked, ``before`` (an earlier
acquisition, the event-free pair ``before`` -> ``pre``). The interferometric phase of each
pair (``arg(later * conj(earlier))``) is

    4 pi / lambda * (d_LOS - delay) + phi_0

with ``d_LOS`` the line-of-sight ground motion toward the satellite between the two dates
(co-seismic, from the dislocation, plus non-seismic motion), ``delay`` the differential
one-way path delay (turbulent and stratified troposphere, residual orbit and ionospheric
ramps): a delay lengthens the range as motion away from the satellite does; and ``phi_0`` a
constant drawn uniformly in [0, 2 pi) per pair. A wrapped interferogram's phase is known only
up to such a constant (its reference: what is left of the absolute path difference after the
orbit and the terrain are taken out), so the level of the phase says nothing; only its
spatial changes (fringes) do. Without ``phi_0`` every event-free pair would sit near phase 0,
a cue no real pair offers: a network trained on it reads the level, not the fringes. Each image's
speckle is circular complex Gaussian, correlated with ``pre``'s by the pair's coherence
(temporal decorrelation by land cover and time gap, and co-seismic loss on damaged ground),
so the phase noise is what that coherence and any later multilook give. VV only.

The images and their ground truth (co-seismic LOS field, coherence, delays) are returned as a
:class:`SlcImages`; :mod:`quakesat.simulator.simulate` stores them beside the amplitude pair
when asked (docs/simulator.md, "Interferometric pairs"). numpy only, plus cutde through
:mod:`~quakesat.simulator.insar.dislocation`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quakesat.simulator.insar import atmosphere, coherence, nonseismic
from quakesat.simulator.insar.dislocation import FaultSource, surface_displacement
from quakesat.simulator.insar.geometry import (HEADING_DEG, INCIDENCE_RANGE_DEG, WAVELENGTH_M, fringes,
                                               los_displacement, los_unit_vector)

#: Time gaps (days) of a same-track pair: one Sentinel-1 satellite (12), two (6), or one
#: acquisition missed (24) (ESA Sentinel-1 User Handbook; the issue's gaps).
GAP_DAYS = (6, 12, 24)
#: Pixels between evaluations of the dislocation (bilinear in between): a modelling choice,
#: 40 m at 10 m pixels; tests bound the interpolation error.
DISPLACEMENT_STEP_PX = 4


@dataclass(frozen=True)
class TrackGeometry:
    """The track every image of the patch is acquired from (one geometry: same-track pairs)."""

    pass_direction: str  # "ascending" or "descending"
    heading_deg: float
    incidence_deg: float

    @property
    def los(self) -> np.ndarray:
        """Unit vector (east, north, up) from the ground to the satellite."""
        return los_unit_vector(self.heading_deg, self.incidence_deg)


def draw_track(rng: np.random.Generator) -> TrackGeometry:
    """A random Sentinel-1 IW track over the patch: either pass direction, an incidence
    anywhere in the swath."""
    direction = "ascending" if rng.random() < 0.5 else "descending"
    return TrackGeometry(direction, HEADING_DEG[direction], float(rng.uniform(*INCIDENCE_RANGE_DEG)))


@dataclass(frozen=True)
class PairTruth:
    """What one pair's phase is made of (``H x W`` float32 metres, except ``coherence``)."""

    gap_days: float
    coseismic_los_m: np.ndarray
    nonseismic_los_m: np.ndarray
    delay_m: np.ndarray
    coherence: np.ndarray
    nonseismic_kinds: tuple[str, ...]
    reference_phase_rad: float = 0.0  # the pair's constant phi_0 (module doc)

    @property
    def coseismic_fringes(self) -> float:
        """Peak-to-peak co-seismic LOS motion in fringes (one fringe: half a wavelength)."""
        return fringes(self.coseismic_los_m)


@dataclass(frozen=True)
class SlcImages:
    """Complex64 ``H x W`` images of one track and the truth of each pair."""

    track: TrackGeometry
    images: dict[str, np.ndarray]  # "pre", "post" and, when asked, "before"
    pairs: dict[str, PairTruth]  # "event" (pre -> post) and, with "before", "quiet" (before -> pre)


def _delay(rng: np.random.Generator, size: int, pixel_m: float, elevation_m: np.ndarray,
           track: TrackGeometry) -> np.ndarray:
    """The differential one-way path delay of one pair (m): turbulence, stratification, ramps."""
    extent = size * pixel_m
    turbulence = atmosphere.turbulent_screen(rng, size, pixel_m,
                                             atmosphere.draw_turbulence_rms(rng, extent, track.incidence_deg))
    stratified = atmosphere.stratified_delay(elevation_m - float(np.mean(elevation_m)),
                                             atmosphere.draw_stratified_coefficient(rng, track.incidence_deg))
    ramps = (atmosphere.orbital_ramp(rng, size, pixel_m, incidence_deg=track.incidence_deg)
             + atmosphere.ionospheric_ramp(rng, size, pixel_m, incidence_deg=track.incidence_deg))
    return turbulence + stratified + ramps


def _coseismic_los(source: FaultSource, north_m: np.ndarray, east_m: np.ndarray, los: np.ndarray) -> np.ndarray:
    """The co-seismic LOS field on the pixel grid: the dislocation evaluated every
    :data:`DISPLACEMENT_STEP_PX` pixels (and on the last row and column) and interpolated
    bilinearly between, 16 times fewer evaluations for an error far below a fringe (an elastic
    field varies on the scale of the source depth; only a fault trace breaking the surface is
    sharper, and it is smeared over one coarse cell, where the ground has decorrelated anyway)."""
    from scipy.interpolate import RegularGridInterpolator

    rows, cols = north_m.shape
    at_rows = np.unique(np.r_[0:rows:DISPLACEMENT_STEP_PX, rows - 1])
    at_cols = np.unique(np.r_[0:cols:DISPLACEMENT_STEP_PX, cols - 1])
    coarse = los_displacement(surface_displacement(source, east_m[np.ix_(at_rows, at_cols)],
                                                   north_m[np.ix_(at_rows, at_cols)]), los)
    every_row, every_col = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    return RegularGridInterpolator((at_rows, at_cols), coarse)((every_row, every_col))


def simulate_slc_images(rng: np.random.Generator, *, land_cover: np.ndarray, elevation_m: np.ndarray,
                        damage: np.ndarray, sigma0: dict[str, np.ndarray], north_m: np.ndarray, east_m: np.ndarray,
                        pixel_m: float, gaps_days: dict[str, float], source: FaultSource | None,
                        day_of_year: int, track: TrackGeometry | None = None) -> SlcImages:
    """The complex images of one patch (module doc).

    Args:
        rng: random source (speckle, atmosphere, non-seismic motion, track).
        land_cover: ``H x W`` :class:`~quakesat.simulator.sar_scene.LandCover` values.
        elevation_m: ``H x W`` terrain (the stratified delay follows it).
        damage: ``H x W`` damage of the event (non-zero: damaged; co-seismic decorrelation).
        sigma0: noise-free linear VV backscatter of each acquisition, ``H x W``: ``"pre"``,
            ``"post"`` and, for an event-free pair too, ``"before"``. NaN: no data.
        north_m, east_m: ``H x W`` position of each pixel from the true epicentre (m).
        pixel_m: ground pixel spacing (m).
        gaps_days: days between the two images of each pair: ``"event"`` (pre -> post) and,
            with a ``before`` image, ``"quiet"`` (before -> pre).
        source: the event's fault (None: no co-seismic motion).
        day_of_year: of the post acquisition (seasonal motion).
        track: the acquisition geometry (None: drawn).

    Returns:
        The images (complex64, NaN where ``sigma0`` is NaN) and each pair's truth.
    """
    size = land_cover.shape[0]
    track = track or draw_track(rng)
    los = track.los
    coseismic = np.zeros(land_cover.shape) if source is None else _coseismic_los(source, north_m, east_m, los)
    reference = coherence.unit_speckle(rng, land_cover.shape)
    images = {"pre": (np.sqrt(np.nan_to_num(sigma0["pre"])) * reference).astype(np.complex64)}
    pairs: dict[str, PairTruth] = {}
    for name, other, gap_key in (("event", "post", "event"), ("quiet", "before", "quiet")):
        if other not in sigma0:
            continue
        gap = float(gaps_days[gap_key])
        motion, kinds = nonseismic.draw_nonseismic(rng, size, pixel_m, gap, day_of_year)
        nonseismic_los = los_displacement(motion, los)
        delay = _delay(rng, size, pixel_m, elevation_m, track)
        gamma = coherence.temporal_coherence(land_cover, gap)
        signal = nonseismic_los
        if name == "event":
            gamma = coherence.coseismic_coherence(gamma, damage)
            signal = signal + coseismic
        reference_phase = rng.uniform(0.0, 2.0 * np.pi)  # phi_0 (module doc)
        phase = 4.0 * np.pi / WAVELENGTH_M * (signal - delay) + reference_phase
        amplitude = np.sqrt(np.nan_to_num(sigma0[other]))
        # The event pair is pre -> post (post * conj(pre)); the quiet one before -> pre, so
        # before carries the conjugate phase: pre * conj(before) has the pair's phase.
        images[other] = coherence.correlated_image(rng, reference, amplitude, gamma,
                                                   phase if name == "event" else -phase)
        pairs[name] = PairTruth(gap, (coseismic if name == "event" else np.zeros_like(coseismic)).astype(np.float32),
                                nonseismic_los.astype(np.float32), delay.astype(np.float32),
                                gamma.astype(np.float32), tuple(kinds), float(reference_phase))
    for name, image in images.items():
        image[np.isnan(sigma0[name])] = np.complex64(complex(np.nan, np.nan))
    return SlcImages(track, images, pairs)
