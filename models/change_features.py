"""A compact vector of change statistics of one bitemporal pair, for the shallow baselines.

The 2024 SMAC challenge's runner-up fed LightGBM with hand-made change statistics after
setting the pixel-identical pairs aside; this is our version of such a vector. Everything is
read from the log-ratio ``10 log10(second / first)`` (dB) after a box multilook of
:data:`LOOKS` pixels per side (:func:`quakesat.runtime.change.log_ratio_db`): one look keeps
the finest detail, 16 looks suppress speckle enough for a change of a few dB to stand out.

Per multilook level and per band (VV, VH), over the valid pixels:

- the quantiles :data:`QUANTILES` (1 % ... 99 %), the mean and the standard deviation;
- the share of pixels with ``|log-ratio|`` above each of :data:`ABS_THRESHOLDS_DB`;
- the share above ``+SIGNED_THRESHOLD_DB`` and below ``-SIGNED_THRESHOLD_DB`` separately
  (brightening and darkening have different physical causes);
- the share above ``WINDOW_THRESHOLD_DB`` inside the densest window of side
  :data:`WINDOW_FRACTION` of the map side (co-seismic change is local; a scene-wide share
  dilutes it).

Then, per band, the mean and standard deviation of the first image in dB (the scene
brightness the change is read against), and the share of valid pixels.

No-data handling: a pixel is valid when both images are finite and positive in both bands
(after the multilook, when every pixel of its block is). Statistics use valid pixels only.
A multilook level with no valid pixel contributes zeros; a pair with no valid pixel at all
is the zero vector with ``valid_share`` 0, so a model sees "no evidence of change".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from quakesat.errors import ConfigError
from quakesat.runtime.change import multilooked_intensity

#: Multilook side lengths (pixels) the log-ratio is computed at.
LOOKS: tuple[int, ...] = (1, 4, 16)
#: Band names, in the channel order of a QuakeSet image.
BANDS: tuple[str, ...] = ("vv", "vh")
#: Quantiles of the log-ratio, as shares.
QUANTILES: tuple[float, ...] = (0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99)
#: ``|log-ratio|`` thresholds (dB) of the changed shares.
ABS_THRESHOLDS_DB: tuple[float, ...] = (1.0, 2.0, 3.0, 6.0)
#: Threshold (dB) of the signed shares: brightening above +it, darkening below -it.
SIGNED_THRESHOLD_DB = 3.0
#: Threshold (dB) of the localized share.
WINDOW_THRESHOLD_DB = 3.0
#: Side of the localized-change window, as a share of the (multilooked) map side.
WINDOW_FRACTION = 1.0 / 8.0
#: Multilook sides (pixels) of the log-ratio rule's candidate statistics (:func:`changed_shares`).
SHARE_LOOKS: tuple[int, ...] = (2, 4, 8)
#: Change thresholds (dB) of the log-ratio rule's candidate statistics.
SHARE_THRESHOLDS_DB: tuple[float, ...] = (1.5, 2.0, 3.0, 4.5)


def _level_names(looks: int, band: str) -> list[str]:
    prefix = f"lr{looks}_{band}"
    names = [f"{prefix}_q{round(q * 100):02d}" for q in QUANTILES]
    names += [f"{prefix}_mean", f"{prefix}_std"]
    names += [f"{prefix}_abs_gt{threshold:g}db" for threshold in ABS_THRESHOLDS_DB]
    names += [f"{prefix}_up_gt{SIGNED_THRESHOLD_DB:g}db", f"{prefix}_down_gt{SIGNED_THRESHOLD_DB:g}db"]
    names.append(f"{prefix}_window_abs_gt{WINDOW_THRESHOLD_DB:g}db")
    return names


def _all_names() -> tuple[str, ...]:
    names = [name for looks in LOOKS for band in BANDS for name in _level_names(looks, band)]
    names += [f"first_{band}_{stat}_db" for band in BANDS for stat in ("mean", "std")]
    names.append("valid_share")
    return tuple(names)


#: Name of every entry of :func:`change_features`' vector, in its order.
CHANGE_FEATURE_NAMES: tuple[str, ...] = _all_names()
#: Entries per (multilook, band) block.
_PER_BAND = len(_level_names(LOOKS[0], BANDS[0]))


def _densest_window_count(mask: np.ndarray, side: int) -> int:
    """Largest number of true pixels in any ``side x side`` window of ``mask`` (a summed-area table)."""
    # int32 holds any count of a tile up to 46,000 pixels a side and halves the cumsum's cost.
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int32)
    np.cumsum(np.cumsum(mask, axis=0, dtype=np.int32), axis=1, out=table[1:, 1:])
    sums = table[side:, side:] - table[:-side, side:] - table[side:, :-side] + table[:-side, :-side]
    return int(sums.max())


def _quantiles(ordered: np.ndarray) -> np.ndarray:
    """:data:`QUANTILES` of sorted values, interpolated linearly (numpy's default ``linear`` method)."""
    position = np.asarray(QUANTILES) * (ordered.size - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, ordered.size - 1)
    weight = position - low
    return ordered[low] * (1.0 - weight) + ordered[high] * weight


def _band_block(values: np.ndarray, valid: np.ndarray, window: int) -> np.ndarray:
    """The :data:`_PER_BAND` statistics of one band's log-ratio map over its ``valid`` pixels.

    The localized share divides by the window's area, not its valid pixels: a window that is
    mostly no-data must not win on the strength of a handful of speckle outliers.
    """
    # One float32 sort gives the quantiles and, by binary search, every threshold count;
    # it is several times faster than np.quantile's partitions on a 512 x 512 map.
    ordered = np.sort(values[valid].astype(np.float32))
    n = ordered.size
    above = n - np.searchsorted(ordered, np.asarray(ABS_THRESHOLDS_DB, dtype=np.float32), side="right")
    below = np.searchsorted(ordered, -np.asarray(ABS_THRESHOLDS_DB, dtype=np.float32), side="left")
    up = n - np.searchsorted(ordered, np.float32(SIGNED_THRESHOLD_DB), side="right")
    down = np.searchsorted(ordered, np.float32(-SIGNED_THRESHOLD_DB), side="left")
    with np.errstate(invalid="ignore"):
        changed = valid & (np.abs(values) > WINDOW_THRESHOLD_DB)
    local = _densest_window_count(changed, window) / (window * window)
    wide = ordered.astype(np.float64)
    return np.concatenate([_quantiles(wide), [wide.mean(), wide.std()], (above + below) / n, [up / n, down / n, local]])


def _level_block(ratio: np.ndarray) -> np.ndarray:
    """Both bands' statistics of one multilook level; zeros when the level has no valid pixel."""
    # Band by band: np.all over a last axis of length 2 is several times slower.
    valid = np.isfinite(ratio[..., 0]) & np.isfinite(ratio[..., 1])
    if not valid.any():
        return np.zeros(_PER_BAND * len(BANDS), dtype=np.float64)
    window = max(1, round(WINDOW_FRACTION * min(valid.shape)))
    return np.concatenate([_band_block(ratio[..., band], valid, window) for band in range(len(BANDS))])


def _check_pair(first: np.ndarray, second: np.ndarray) -> None:
    for name, image in (("first", first), ("second", second)):
        if image.ndim != 3 or image.shape[2] != len(BANDS) or image.shape[0] < 1 or image.shape[1] < 1:
            raise ConfigError(
                f"change_features: {name} image has shape {image.shape}; expected H x W x {len(BANDS)} "
                "(VV, VH linear sigma0)"
            )
    if first.shape != second.shape:
        raise ConfigError(
            f"change_features: the images differ in shape ({first.shape} vs {second.shape}); "
            "a bitemporal pair covers the same pixels"
        )


def _pyramid(first: np.ndarray, second: np.ndarray, looks: set[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Multilooked (first, second) intensities at each of ``looks`` (NaN: no data in the block).

    A level whose side is a multiple of a smaller level's is built from it: the mean of block
    means over nested blocks is the block mean, and a NaN anywhere still poisons the block, so
    the result is the same as multilooking the raw image, at a fraction of the cost.
    """
    levels = {1: (multilooked_intensity(first, 1), multilooked_intensity(second, 1))}
    for side in sorted(looks - {1}):
        base = max(level for level in levels if side % level == 0)
        before, after = levels[base]
        step = side // base
        levels[side] = (multilooked_intensity(before, step), multilooked_intensity(after, step))
    return levels


def _log_ratio(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return 10.0 * np.log10(after / before)


def _shares_of_level(ratio: np.ndarray, thresholds_db: Sequence[float]) -> np.ndarray:
    """Share of valid pixels whose ``|log-ratio|`` exceeds each threshold in any band (0 when none is valid)."""
    valid = np.isfinite(ratio[..., 0]) & np.isfinite(ratio[..., 1])
    if not valid.any():
        return np.zeros(len(thresholds_db), dtype=np.float64)
    strongest = np.sort(np.maximum(np.abs(ratio[..., 0][valid]), np.abs(ratio[..., 1][valid])))
    exceeding = strongest.size - np.searchsorted(strongest, np.asarray(thresholds_db, dtype=np.float64), side="right")
    return exceeding / strongest.size


def pair_statistics(
    first: np.ndarray,
    second: np.ndarray,
    share_looks: Sequence[int] = SHARE_LOOKS,
    share_thresholds_db: Sequence[float] = SHARE_THRESHOLDS_DB,
) -> tuple[np.ndarray, np.ndarray]:
    """The change features and the changed shares of one pair, from one multilook pyramid.

    Args:
        first: the earlier ``H x W x 2`` linear sigma0 image (VV, VH); NaN, infinite or
            non-positive values are no data.
        second: the later image of the same area, same shape.
        share_looks: multilook sides of the changed shares (positive ints).
        share_thresholds_db: ``|log-ratio|`` thresholds (dB) of the changed shares.

    Returns:
        ``(features, shares)``: the float32 vector of :func:`change_features`, and a float64
        ``len(share_looks) x len(share_thresholds_db)`` array of :func:`changed_shares`.

    Raises:
        ConfigError: an image is not ``H x W x 2``, the two shapes differ, or a multilook
            side is not a positive int.
    """
    first, second = np.asarray(first), np.asarray(second)
    _check_pair(first, second)
    if any(isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side < 1 for side in share_looks):
        raise ConfigError(f"multilook sides must be positive ints, got {list(share_looks)}")
    levels = _pyramid(first, second, {*LOOKS, *(int(side) for side in share_looks)})
    ratios = {side: _log_ratio(*pair) for side, pair in levels.items()}
    shares = np.array([_shares_of_level(ratios[int(side)], share_thresholds_db) for side in share_looks],
                      dtype=np.float64).reshape(len(share_looks), len(share_thresholds_db))
    before, after = levels[1]
    valid = np.isfinite(before[..., 0]) & np.isfinite(before[..., 1]) & np.isfinite(after[..., 0]) \
        & np.isfinite(after[..., 1])
    if not valid.any():
        return np.zeros(len(CHANGE_FEATURE_NAMES), dtype=np.float32), shares
    blocks = [_level_block(ratios[side]) for side in LOOKS]
    first_db = 10.0 * np.log10(before[valid])
    scene = np.column_stack([first_db.mean(axis=0), first_db.std(axis=0)]).reshape(-1)
    features = np.concatenate([*blocks, scene, [np.count_nonzero(valid) / valid.size]])
    return features.astype(np.float32), shares


def change_features(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The change statistics of one bitemporal pair, named by :data:`CHANGE_FEATURE_NAMES`.

    Args:
        first: the earlier ``H x W x 2`` linear sigma0 image (VV, VH); NaN, infinite or
            non-positive values are no data.
        second: the later image of the same area, same shape.

    Returns:
        A float32 vector of ``len(CHANGE_FEATURE_NAMES)`` values (module docstring). A pair
        with no valid pixel gives zeros and ``valid_share`` 0.

    Raises:
        ConfigError: an image is not ``H x W x 2``, or the two shapes differ.
    """
    return pair_statistics(first, second, (), ())[0]


def changed_shares(
    first: np.ndarray,
    second: np.ndarray,
    looks: Sequence[int] = SHARE_LOOKS,
    thresholds_db: Sequence[float] = SHARE_THRESHOLDS_DB,
) -> np.ndarray:
    """The log-ratio rule's statistic for every (multilook, threshold) candidate at once.

    A multilooked pixel has changed when its ``|log-ratio|`` exceeds the threshold in any
    band, as in :func:`quakesat.runtime.change.changed_share` (which fixes a 3 x 3 multilook
    and 3 dB); the share is over the pixels valid in both images and both bands, and 0 when
    there is none (no evidence of change, where the runtime says NaN: the baselines need a
    finite score for every tile).

    Args:
        first: the earlier ``H x W x 2`` linear sigma0 image.
        second: the later image, same shape.
        looks: multilook sides (pixels).
        thresholds_db: change thresholds (dB).

    Returns:
        A float64 ``len(looks) x len(thresholds_db)`` array of shares in [0, 1].

    Raises:
        ConfigError: an image is not ``H x W x 2``, the two shapes differ, or a multilook
            side is not a positive int.
    """
    return pair_statistics(first, second, looks, thresholds_db)[1]
