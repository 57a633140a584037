"""The one definition of tile preprocessing, shared by training, export calibration and runtime.

A Sentinel-1 image arrives as ``H x W x 2`` float32 sigma0 (VV, VH), linear or dB as
*declared* by the caller (never guessed), with NaN where there is no data. Preprocessing
turns it into a channels-first float32 array that a network reads:

1. no-data mask: every non-finite value is no-data;
2. optional multilook (``downsample`` = k): mean of the finite *linear* intensities in each
   k x k block — averaging intensity is how SAR multilooking reduces speckle; a block with
   no finite value stays no-data;
3. linear -> dB: ``10 log10(max(x, floor))``; zeros and negatives land on the floor;
4. no-data -> the channel's normalisation mean (so it becomes exactly 0 after step 6);
5. clip to ``clip_db``;
6. normalise: ``(dB - mean) / std`` per channel.

Arithmetic is float64 and the result is cast to float32 once, so a C++ twin that follows the
same steps in double matches to within one float32 ulp. Any change to these steps or to the
defaults is a new ``PREPROCESS_VERSION``; the constants travel in the model
manifest through :meth:`PreprocessConfig.to_dict`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from quakesat.errors import PreprocessError

PREPROCESS_VERSION = 1

#: Band order of every image, as in QuakeSet (docs/architecture.md, "The seams").
BANDS: tuple[str, str] = ("VV", "VH")


@dataclass(frozen=True)
class PreprocessConfig:
    """Constants of the preprocessing; stored in the manifest next to every artifact.

    Attributes:
        units: units of the *input* images: ``"linear"`` sigma0 or ``"db"``.
        floor_linear: smallest linear sigma0 kept before the log (1e-4 = -40 dB), well
            below the Sentinel-1 IW noise-equivalent sigma0 of about -22 dB.
        clip_db: plausible sigma0 range in dB; values outside are clipped.
        mean_db: per-band (VV, VH) normalisation mean in dB.
        std_db: per-band (VV, VH) normalisation standard deviation in dB.
        downsample: multilook factor k (1 = none); H and W must be multiples of k.
        version: the preprocessing version these constants belong to.
    """

    units: Literal["linear", "db"] = "linear"
    floor_linear: float = 1e-4
    clip_db: tuple[float, float] = (-35.0, 10.0)
    # Typical Sentinel-1 IW land backscatter: VV about -12 dB, VH about -19 dB, spread a
    # few dB across land covers (see docs/simulator.md for the per-class values).
    mean_db: tuple[float, float] = (-12.0, -19.0)
    std_db: tuple[float, float] = (5.0, 5.0)
    downsample: int = 1
    version: int = field(default=PREPROCESS_VERSION)

    def __post_init__(self) -> None:
        if self.version != PREPROCESS_VERSION:
            raise PreprocessError(
                f"preprocessing version {self.version} is not supported by this runtime "
                f"(it implements version {PREPROCESS_VERSION}); re-export the model"
            )
        if self.units not in ("linear", "db"):
            raise PreprocessError(f"units must be 'linear' or 'db', got {self.units!r}")
        if not (isinstance(self.downsample, int) and self.downsample >= 1):
            raise PreprocessError(f"downsample must be an integer >= 1, got {self.downsample!r}")
        if not self.floor_linear > 0:
            raise PreprocessError(f"floor_linear must be > 0, got {self.floor_linear!r}")
        low, high = self.clip_db
        if not low < high:
            raise PreprocessError(f"clip_db must be (low, high) with low < high, got {self.clip_db!r}")
        if len(self.mean_db) != len(BANDS) or len(self.std_db) != len(BANDS):
            raise PreprocessError(f"mean_db and std_db need one value per band {BANDS}")
        if any(not s > 0 for s in self.std_db):
            raise PreprocessError(f"std_db values must be > 0, got {self.std_db!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the constants as plain JSON types (for the manifest)."""
        data = asdict(self)
        for key in ("clip_db", "mean_db", "std_db"):
            data[key] = [float(v) for v in data[key]]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PreprocessConfig:
        """Rebuild a config from :meth:`to_dict` output.

        Every constant must be present: a missing one is an error, never a default.

        Raises:
            PreprocessError: unknown or missing keys, or invalid values.
        """
        known = set(cls.__dataclass_fields__)
        unknown, missing = set(data) - known, known - set(data)
        if unknown:
            raise PreprocessError(f"unknown preprocessing keys {sorted(unknown)}; expected {sorted(known)}")
        if missing:
            raise PreprocessError(f"preprocessing constants lack {sorted(missing)}")
        kwargs = dict(data)
        for key in ("clip_db", "mean_db", "std_db"):
            if key in kwargs:
                kwargs[key] = tuple(float(v) for v in kwargs[key])
        return cls(**kwargs)

    def output_shape(self, height: int, width: int, images: int = 2) -> tuple[int, int, int]:
        """Shape (C, H', W') that preprocessing ``images`` images of ``height x width`` gives."""
        return (images * len(BANDS), height // self.downsample, width // self.downsample)


def _check_image(image: np.ndarray, config: PreprocessConfig) -> None:
    if not isinstance(image, np.ndarray):
        raise PreprocessError(f"an image must be a numpy array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != len(BANDS):
        raise PreprocessError(f"an image must be H x W x {len(BANDS)} (VV, VH), got shape {image.shape}")
    if not np.issubdtype(image.dtype, np.floating):
        raise PreprocessError(f"an image must hold floating-point sigma0, got dtype {image.dtype}")
    height, width = image.shape[:2]
    k = config.downsample
    if height < k or width < k or height % k or width % k:
        raise PreprocessError(
            f"image of {height} x {width} pixels cannot be multilooked by {k}: "
            f"both sides must be positive multiples of {k}"
        )


def nodata_fraction(image: np.ndarray) -> float:
    """Share of pixels (over both bands) that are not finite."""
    return float(1.0 - np.count_nonzero(np.isfinite(image)) / image.size)


def multilook(linear: np.ndarray, factor: int) -> np.ndarray:
    """Mean of the finite values in each ``factor x factor`` block, per band.

    The block is summed in row-major order (``x[0,0] + x[0,1] + ... + x[k-1,k-1]``, skipping
    non-finite values) and divided by the count of finite values: the order is part of the
    definition, so that the C++ twin reproduces the float64 sums exactly.

    Args:
        linear: ``H x W x B`` array of linear intensities (float64), NaN for no data.
        factor: block side; H and W must be multiples of it.

    Returns:
        ``H/factor x W/factor x B`` float64 array; NaN where a block holds no finite value.
    """
    if factor == 1:
        return linear
    height, width, bands = linear.shape
    total = np.zeros((height // factor, width // factor, bands), dtype=np.float64)
    count = np.zeros(total.shape, dtype=np.int64)
    for row in range(factor):
        for col in range(factor):
            part = linear[row::factor, col::factor]
            finite = np.isfinite(part)
            total += np.where(finite, part, 0.0)
            count += finite
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def preprocess_image(image: np.ndarray, config: PreprocessConfig | None = None) -> np.ndarray:
    """Preprocess one ``H x W x 2`` image into a ``2 x H' x W'`` float32 array.

    Args:
        image: VV, VH sigma0 in ``config.units``, NaN/Inf for no data.
        config: preprocessing constants (defaults: :class:`PreprocessConfig`).

    Returns:
        Normalised dB, channels first (VV, VH), float32, finite everywhere.

    Raises:
        PreprocessError: wrong type, shape, dtype, or a size the multilook cannot divide.
    """
    config = config or PreprocessConfig()
    _check_image(image, config)
    values = image.astype(np.float64, copy=True)
    values[~np.isfinite(values)] = np.nan
    if config.units == "db" and config.downsample == 1:
        db = values
    else:
        linear = np.power(10.0, values / 10.0) if config.units == "db" else values
        linear = multilook(linear, config.downsample)
        with np.errstate(invalid="ignore"):
            db = 10.0 * np.log10(np.maximum(linear, config.floor_linear))
    mean = np.asarray(config.mean_db, dtype=np.float64)
    std = np.asarray(config.std_db, dtype=np.float64)
    db = np.where(np.isnan(db), mean, db)
    np.clip(db, config.clip_db[0], config.clip_db[1], out=db)
    normalised = (db - mean) / std
    return np.ascontiguousarray(normalised.transpose(2, 0, 1), dtype=np.float32)


def preprocess_pair(
    first: np.ndarray, second: np.ndarray, config: PreprocessConfig | None = None
) -> np.ndarray:
    """Preprocess a bitemporal pair into a ``4 x H' x W'`` float32 array.

    Channel order: first VV, first VH, second VV, second VH — for a positive QuakeSet sample
    ``first`` is ``pre`` and ``second`` is ``post``.

    Raises:
        PreprocessError: as :func:`preprocess_image`, or images of different shapes.
    """
    if getattr(first, "shape", None) != getattr(second, "shape", None):
        raise PreprocessError(
            f"both images of a pair must have the same shape, got "
            f"{getattr(first, 'shape', None)} and {getattr(second, 'shape', None)}"
        )
    return np.concatenate([preprocess_image(first, config), preprocess_image(second, config)], axis=0)
