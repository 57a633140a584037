"""What changed between the two images, and what the runtime does with it.

The log-ratio (dB difference) is the classic SAR change detector: multiplicative speckle
becomes additive, and a pixel whose backscatter changed by more than a few dB stands out.
The runtime uses it twice, both numpy only:

- **the change gate** (:class:`ChangeGate`) skips the network on tiles where nothing changed:
  pixel-identical images (about 68 % of the real QuakeSet's negative pairs, docs/simulator.md)
  are caught by an exact comparison and skipped (no change is no event); otherwise the
  statistic is the **changed share** (:func:`changed_share`: the share of 3 x 3-multilooked
  pixels whose log-ratio exceeds 3 dB) and a tile below the gate's threshold is skipped. The
  threshold is calibrated on tiles with known events (the validation split) by
  :func:`calibrate_threshold` so that at most ``max_missed`` (default 0.5 %) of the events
  would be skipped. A tile the gate cannot judge (no shared valid pixel) is never skipped.
- **location** (:func:`locate_pixel`) places a flagged event inside its tile: the model's
  location head (:func:`head_to_pixel`, an offset from the centre in half-tile units), or the
  change peak (:func:`change_peak`: the log-ratio map thresholded at 3 dB, the changed pixels
  counted in a sliding window of ``window`` of the tile side, the centroid of the changed
  pixels in the densest window; co-seismic damage falls off with distance from the
  epicentre), whichever the manifest chose on validation; else the tile centre.

Pixel coordinates are those of the raw tile (``row``, ``col``, centres at integers);
:func:`quakesat.runtime.tile.pixel_to_latlon` turns them into degrees.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quakesat.errors import ConfigError

#: A pixel counts as changed when its backscatter moved by more than this (dB), about twice
#: the spread of the log-ratio of pure speckle after a 3 x 3 multilook at ENL 4.4.
CHANGE_THRESHOLD_DB = 3.0


def multilooked_intensity(image: np.ndarray, looks: int = 3) -> np.ndarray:
    """``looks x looks`` box mean of a linear ``H x W x B`` image (H, W cropped to multiples of
    ``looks``); NaN wherever the block holds a non-finite or non-positive pixel. The block is
    summed in row-major order (part of the definition, for the C++ twin)."""
    values = np.asarray(image, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        values = np.where(np.isfinite(values) & (values > 0), values, np.nan)
    h, w = (values.shape[0] // looks) * looks, (values.shape[1] // looks) * looks
    total = np.zeros((h // looks, w // looks, values.shape[2]), dtype=np.float64)
    for row in range(looks):
        for col in range(looks):
            total += values[row:h:looks, col:w:looks]
    return total / (looks * looks)


def log_ratio_db(first: np.ndarray, second: np.ndarray, looks: int = 3) -> np.ndarray:
    """Per-pixel, per-band ``10 log10(second / first)`` after a ``looks x looks`` box multilook.

    Args:
        first, second: ``H x W x B`` linear sigma0 of the same area; NaN/Inf/<= 0 is no data.
        looks: side of the box filter applied to each linear image before the ratio (speckle
            suppression); 1 disables it. H and W are cropped to multiples of it.

    Returns:
        ``H/looks x W/looks x B`` float64 log-ratio; NaN where either image has no data.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return 10.0 * np.log10(multilooked_intensity(second, looks) / multilooked_intensity(first, looks))


def changed_share(first: np.ndarray, second: np.ndarray, threshold_db: float = CHANGE_THRESHOLD_DB) -> float:
    """Share of valid (3 x 3-multilooked) pixels whose |log-ratio| exceeds ``threshold_db`` in any band.

    Compares the intensity ratio with ``10 ** (threshold_db / 10)`` instead of taking
    logarithms (the same test, a third of the cost). Returns NaN when the two images share
    no valid pixel.
    """
    before, after = multilooked_intensity(first), multilooked_intensity(second)
    valid = np.isfinite(before).all(axis=-1) & np.isfinite(after).all(axis=-1)
    if not valid.any():
        return float("nan")
    factor = 10.0 ** (threshold_db / 10.0)
    with np.errstate(invalid="ignore"):
        changed = ((after > before * factor) | (before > after * factor)).any(axis=-1)
    return float(np.count_nonzero(changed & valid) / np.count_nonzero(valid))


# ─── the gate ──────────────────────────────────────────────────────────────────────
#: Largest share of events the calibrated gate may skip (docs/runtime.md, "Change gate").
DEFAULT_MAX_MISSED = 0.005


@dataclass(frozen=True)
class GateVerdict:
    """Whether the network may be skipped, and why."""

    skip: bool
    statistic: float  # changed share; 0.0 for identical images, NaN when not computed or computable
    identical: bool


@dataclass(frozen=True)
class ChangeGate:
    """Skip tiles whose changed share is below ``threshold`` (0 skips only identical pairs)."""

    threshold: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0 or math.isnan(self.threshold):
            raise ConfigError(f"gate threshold is a share of pixels in 0..1, got {self.threshold!r}")

    def judge(self, first: np.ndarray, second: np.ndarray) -> GateVerdict:
        """The verdict for one pair of checked ``H x W x 2`` images."""
        if first.shape == second.shape and np.array_equal(first, second, equal_nan=True):
            return GateVerdict(True, 0.0, True)
        if self.threshold <= 0.0:  # identical pairs only: no statistic could skip anything
            return GateVerdict(False, float("nan"), False)
        statistic = changed_share(first, second)
        if math.isnan(statistic):
            return GateVerdict(False, statistic, False)
        return GateVerdict(statistic < self.threshold, statistic, False)


def calibrate_threshold(event_statistics: Sequence[float], max_missed: float = DEFAULT_MAX_MISSED) -> float:
    """The largest threshold that skips at most ``max_missed`` of the given events.

    Args:
        event_statistics: the gate statistic of tiles known to hold an event (NaN ones are
            ignored: the gate never skips them).
        max_missed: the share of events the gate may skip.

    Returns:
        A threshold such that ``count(statistic < threshold) <= floor(max_missed * n)``;
        0.0 (skip identical pairs only) when there are no events to calibrate on.

    Raises:
        ConfigError: ``max_missed`` outside 0..1.
    """
    if not 0.0 <= max_missed <= 1.0:
        raise ConfigError(f"max_missed is a share in 0..1, got {max_missed!r}")
    values = np.sort(np.asarray([v for v in event_statistics if not math.isnan(v)], dtype=np.float64))
    if values.size == 0:
        return 0.0
    allowed = int(math.floor(max_missed * values.size))
    # Skipping "statistic < values[allowed]" misses at most `allowed` events (ties stay in).
    return float(values[allowed]) if allowed < values.size else 1.0


# ─── location ──────────────────────────────────────────────────────────────────────
#: Looks of the change map (pixels per side of each multilook block).
CHANGE_LOOKS = 3
#: Side of the sliding window, as a share of the tile side.
DEFAULT_WINDOW = 0.25
#: Location methods the runtime offers.
METHODS = ("auto", "head", "change", "centre")


def _window_sums(mask: np.ndarray, size: int) -> np.ndarray:
    """Number of true pixels in every ``size x size`` window (top-left indexed)."""
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int64)
    table[1:, 1:] = mask.astype(np.int64).cumsum(0).cumsum(1)
    return table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]


def change_peak(first: np.ndarray, second: np.ndarray, window: float = DEFAULT_WINDOW,
                threshold_db: float = CHANGE_THRESHOLD_DB) -> tuple[float, float] | None:
    """Pixel (row, col) of the densest change in the pair, or None if nothing changed.

    Args:
        first, second: the pair's ``H x W x 2`` linear sigma0 images (NaN: no data).
        window: side of the counting window as a share of the tile side (0 < window <= 1).
        threshold_db: a multilooked pixel is changed when ``|log-ratio|`` exceeds this in
            any band.
    """
    ratio = log_ratio_db(first, second, CHANGE_LOOKS)
    with np.errstate(invalid="ignore"):
        changed = (np.abs(ratio) > threshold_db).any(axis=-1)
    if not changed.any():
        return None
    size = int(np.clip(round(window * min(changed.shape)), 1, min(changed.shape)))
    sums = _window_sums(changed, size)
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    rows, cols = np.nonzero(changed[top:top + size, left:left + size])
    row, col = rows.mean() + top, cols.mean() + left
    # Multilooked block (r, c) covers raw pixels r*L .. r*L + L - 1: its centre is r*L + (L-1)/2.
    half = (CHANGE_LOOKS - 1) / 2.0
    return float(row * CHANGE_LOOKS + half), float(col * CHANGE_LOOKS + half)


def head_to_pixel(offset: np.ndarray, side: int) -> tuple[float, float]:
    """Pixel (row, col) from a location head's ``(d_row, d_col)`` in half-tile units,
    clamped to the tile."""
    centre = (side - 1) / 2.0
    d_row, d_col = (float(np.clip(v, -1.0, 1.0)) for v in np.asarray(offset, dtype=np.float64).reshape(2))
    return centre + d_row * side / 2.0, centre + d_col * side / 2.0


def locate_pixel(method: str, heads: dict[str, np.ndarray] | None, first: np.ndarray, second: np.ndarray,
                 side: int) -> tuple[tuple[float, float] | None, str]:
    """The refined pixel of a flagged tile and the method that gave it (``centre``: none)."""
    if method == "head" and heads is not None and "location" in heads:
        return head_to_pixel(heads["location"][0], side), "head"
    if method in ("head", "change"):
        pixel = change_peak(first, second)
        if pixel is not None:
            return pixel, "change"
    return None, "centre"
