"""The on-board reference store: how a tile's previous same-track acquisition is kept, and
what keeping it costs in bytes and in coherence.

To form an interferogram on board (:mod:`quakesat.runtime.interferogram`), the satellite needs
the tile's previous acquisition of the same track. It cannot keep full-resolution SLC data for
the world, so a reference is kept **reduced** and **quantised**:

1. **presum** ``p``: the complex image is averaged over ``p x p`` blocks (a complex mean, so the
   speckle stays circular Gaussian and the pre/post correlation γ of a block equals that of its
   pixels while the phase is flat across it). The new acquisition is presummed the same way
   before the interferogram is formed, and the interferogram is then multilooked by
   ``looks / p`` to reach the same output grid. What this costs: the output block averages
   ``(looks/p)²`` independent samples instead of ``looks²``, so its phase is noisier.
2. **bits** ``b`` per real and imaginary part: each row of the presummed image is scaled by its
   own RMS (kept as one float16 per row: block-adaptive quantisation, the idea of Sentinel-1's
   FDBAQ for raw echoes, ESA *Sentinel-1 SAR Space Packet Protocol Data Unit*, applied here to
   focused data) and quantised by a mid-rise uniform quantiser clipped at ``CLIP_SIGMA``
   standard deviations. What this costs: quantisation noise, uncorrelated between the passes,
   lowers the coherence.

:func:`coherence_cost` measures both costs on simulated pairs of known coherence (the
simulator's circular Gaussian speckle, :func:`quakesat.simulator.insar.coherence.correlated_slc_pair`)
and :func:`choose_format` picks the cheapest format within a stated loss. :class:`StoreFormat`
does the byte arithmetic. numpy and the simulator only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quakesat.simulator.insar.coherence import correlated_slc_pair, multilook

#: Bytes of a float16 row scale.
SCALE_BYTES = 2
#: Per-tile header: tile id (u32), acquisition time (u32), orbit number (u32), the presum and
#: bit depth (u8 each), two spare bytes. Fixed by this module's format, not by a standard.
HEADER_BYTES = 16
#: The mid-rise quantiser's clipping level in standard deviations of a part (re or im) of the
#: row: beyond it values saturate. 3σ keeps 99.7 % of a Gaussian part unclipped.
CLIP_SIGMA = 3.0
#: Bit depths a reference may use; 32 means float32 parts, no quantisation.
BIT_DEPTHS = (2, 3, 4, 5, 6, 8, 32)
GIB = 2**30


@dataclass(frozen=True)
class StoreFormat:
    """How one reference tile is kept: presum ``presum`` and ``bits`` per real/imaginary part."""

    presum: int = 1
    bits: int = 32

    def __post_init__(self) -> None:
        if isinstance(self.presum, bool) or not isinstance(self.presum, int) or self.presum < 1:
            raise ValueError(f"presum must be a positive integer, got {self.presum!r}")
        if self.bits not in BIT_DEPTHS:
            raise ValueError(f"bits must be one of {BIT_DEPTHS}, got {self.bits!r}")

    def tile_bytes(self, side_px: int) -> int:
        """Bytes one reference tile of ``side_px x side_px`` pixels occupies (header, row
        scales and the packed parts; a row's parts are packed to whole bytes)."""
        if side_px % self.presum:
            raise ValueError(f"tile side {side_px} is not a multiple of presum {self.presum}")
        side = side_px // self.presum
        row_bytes = math.ceil(side * 2 * self.bits / 8)
        scales = 0 if self.bits == 32 else side * SCALE_BYTES
        return HEADER_BYTES + side * row_bytes + scales

    def tiles_in(self, budget_bytes: float, side_px: int) -> int:
        """How many reference tiles fit in ``budget_bytes``."""
        if budget_bytes < 0:
            raise ValueError(f"budget must be >= 0 bytes, got {budget_bytes}")
        return int(budget_bytes // self.tile_bytes(side_px))

    def refresh_bytes_per_day(self, tiles: int, side_px: int, repeat_days: float) -> float:
        """Bytes written per day when each of ``tiles`` references is replaced once per repeat
        cycle (each pass over a stored tile writes its new reference)."""
        if repeat_days <= 0:
            raise ValueError(f"repeat_days must be > 0, got {repeat_days}")
        return tiles * self.tile_bytes(side_px) / repeat_days

    def label(self) -> str:
        """A short name, e.g. ``p2 b4`` or ``p1 float32``."""
        return f"p{self.presum} " + ("float32" if self.bits == 32 else f"b{self.bits}")


def presum(image: np.ndarray, factor: int) -> np.ndarray:
    """The complex mean over ``factor x factor`` blocks of a ``... x H x W`` image (complex128)."""
    image = np.asarray(image)
    height, width = image.shape[-2:]
    if height % factor or width % factor:
        raise ValueError(f"image sides {height} x {width} are not multiples of presum {factor}")
    blocks = image.shape[:-2] + (height // factor, factor, width // factor, factor)
    return image.astype(np.complex128).reshape(blocks).mean(axis=(-3, -1))


def quantise(image: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Block-adaptive mid-rise quantisation of a complex ``... x H x W`` image, row by row.

    Returns:
        (codes, scales): ``codes`` int16 of shape ``... x H x W x 2`` (real, imaginary), each in
        ``[-2**(bits-1), 2**(bits-1) - 1]``; ``scales`` float16 ``... x H``, the quantiser step
        of each row.
    """
    if bits not in BIT_DEPTHS or bits == 32:
        raise ValueError(f"bits must be one of {BIT_DEPTHS[:-1]} to quantise, got {bits!r}")
    parts = np.stack([image.real, image.imag], axis=-1).astype(np.float64)
    rms = np.sqrt(np.mean(parts**2, axis=(-2, -1)))
    levels = 2**bits
    step = (2.0 * CLIP_SIGMA * rms / levels).astype(np.float16)
    safe = np.where(step > 0, step.astype(np.float64), 1.0)[..., None, None]
    codes = np.clip(np.floor(parts / safe), -levels // 2, levels // 2 - 1)
    return codes.astype(np.int16), step


def dequantise(codes: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The complex image :func:`quantise` coded: each code at the middle of its step."""
    parts = (codes.astype(np.float64) + 0.5) * scales.astype(np.float64)[..., None, None]
    return parts[..., 0] + 1j * parts[..., 1]


def kept(image: np.ndarray, store: StoreFormat) -> np.ndarray:
    """The complex image as the store gives it back: presummed, then quantised and decoded."""
    reduced = presum(image, store.presum)
    if store.bits == 32:
        return reduced.astype(np.complex64).astype(np.complex128)
    return dequantise(*quantise(reduced, store.bits))


@dataclass(frozen=True)
class CoherenceCost:
    """What one store format does to interferograms of known coherence, on the output grid."""

    store: StoreFormat
    coherence: float
    #: Mean coherence estimate of the output blocks (the on-board estimator).
    estimated_coherence: float
    #: Circular standard deviation of the output phase about its true value, radians.
    phase_std: float


def _circular_std(phase: np.ndarray) -> float:
    resultant = float(np.abs(np.mean(np.exp(1j * phase))))
    return math.sqrt(-2.0 * math.log(max(resultant, 1e-12)))


def coherence_cost(stores: list[StoreFormat], coherences: list[float], side_px: int = 256, looks: int = 8,
                   tiles: int = 4, seed: int = 0) -> list[CoherenceCost]:
    """Measure each store format on simulated pairs: for each true coherence, ``tiles`` pairs of
    ``side_px`` pixels with a flat true phase are drawn (the same draws for every format); the
    reference (pre) is kept by the format, the new pass presummed alike, the interferogram
    multilooked to the ``looks`` grid. A format with presum 1 and 32 bits is the full-resolution
    reference."""
    for store in stores:
        if looks % store.presum:
            raise ValueError(f"presum {store.presum} does not divide looks {looks}")
    rng = np.random.default_rng(seed)
    costs: list[CoherenceCost] = []
    for gamma in coherences:
        shape = (tiles, side_px, side_px)
        truth = float(rng.uniform(-math.pi, math.pi))
        pre, post = correlated_slc_pair(rng, np.ones(shape), np.ones(shape), np.full(shape, gamma),
                                        np.full(shape, truth))
        for store in stores:
            reference = kept(pre, store)
            new = presum(post, store.presum)
            interferogram, estimate = multilook(reference, new, looks // store.presum)
            error = np.angle(interferogram.astype(np.complex128) * np.exp(-1j * truth))
            costs.append(CoherenceCost(store, float(gamma), float(np.mean(estimate)), _circular_std(error)))
    return costs


def choose_format(costs: list[CoherenceCost], side_px: int, max_phase_std_ratio: float = 1.1) -> StoreFormat:
    """The format with the fewest bytes per tile whose output phase spread is within
    ``max_phase_std_ratio`` of the full-resolution float reference's at *every* coherence
    measured (a reference must serve bare ground and fields alike).

    Raises:
        ValueError: a coherence without its full-resolution float32 reference among the costs.
    """
    full = {cost.coherence: cost.phase_std for cost in costs if cost.store == StoreFormat(1, 32)}
    missing = sorted({cost.coherence for cost in costs} - full.keys())
    if not full or missing:
        raise ValueError(f"no full-resolution float32 reference measured at coherence {missing or 'any'}")
    worst: dict[StoreFormat, float] = {}
    for cost in costs:
        worst[cost.store] = max(worst.get(cost.store, 0.0), cost.phase_std / full[cost.coherence])
    fitting = [store for store, ratio in worst.items() if ratio <= max_phase_std_ratio]
    return min(fitting, key=lambda store: (store.tile_bytes(side_px), -store.bits))


#: The study docs/mission.md shows ("The reference store"): these formats at these coherences.
STUDY_FORMATS = (StoreFormat(1, 32), StoreFormat(1, 8), StoreFormat(1, 5), StoreFormat(1, 4), StoreFormat(1, 3),
                 StoreFormat(1, 2), StoreFormat(2, 4), StoreFormat(4, 4), StoreFormat(8, 4))
STUDY_COHERENCES = (0.3, 0.5, 0.7, 0.9)
STUDY_SIDE_PX = 256
#: The loss the store accepts: at most 10 % more phase spread than a full-resolution float reference.
STUDY_MAX_RATIO = 1.1


def store_study_markdown(seed: int = 0, tiles: int = 4) -> str:
    """The study's table and its choice, as the generated block ``reference-store`` of
    docs/mission.md holds it (a test renders it again and compares)."""
    costs = coherence_cost(list(STUDY_FORMATS), list(STUDY_COHERENCES), side_px=STUDY_SIDE_PX, tiles=tiles, seed=seed)
    full = {c.coherence: c.phase_std for c in costs if c.store == StoreFormat(1, 32)}
    head = " | ".join(f"γ = {g}" for g in STUDY_COHERENCES)
    lines = [f"| format | bytes per {STUDY_SIDE_PX} px tile | {head} |",
             "|---|---|" + "---|" * len(STUDY_COHERENCES)]
    for store in STUDY_FORMATS:
        ratios = [c.phase_std / full[c.coherence] for c in costs if c.store == store]
        lines.append(f"| {store.label()} | {store.tile_bytes(STUDY_SIDE_PX):,} | " +
                     " | ".join(f"{r:.2f}" for r in ratios) + " |")
    chosen = choose_format(costs, STUDY_SIDE_PX, STUDY_MAX_RATIO)
    per_gib = chosen.tiles_in(GIB, STUDY_SIDE_PX)
    lines += ["", f"Chosen: **{chosen.label()}**, the fewest bytes within {STUDY_MAX_RATIO:.1f}× the phase spread at "
              f"every coherence: {chosen.tile_bytes(STUDY_SIDE_PX):,} bytes per tile, {per_gib:,} tiles per GiB "
              f"(seed {seed}, {tiles} simulated {STUDY_SIDE_PX} px pairs per coherence, 8-look output)."]
    return "\n".join(lines)
