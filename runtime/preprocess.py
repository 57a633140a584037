"""The one definition of tile preprocessing, shared by training, export calibration and runtime.

A Sentinel-1 image arrives as ``H x W x 2`` sigma0 (VV, VH), linear or dB as *declared* by
the caller (never guessed), with NaN where there is no data. Preprocessing turns it into a
channels-first float32 array that a network reads. Two versions exist; the manifest names
the one a model was exported with (``preprocess.version``) and both runtimes run either.

**Version 2** (the default; docs/runtime.md, "Preprocessing") does the science of version 1
in float32, each step an IEEE operation that numpy and the C++ runner round the same way, so
the two agree bit for bit:

1. no-data: a value that is not finite (``v - v != 0``) is no-data;
2. multilook (``downsample`` = k): per k x k block and band, the finite values (no-data
   counts as 0) summed down each column of the block, then the column sums left to right
   (``(x00 + x10) + (x01 + x11)`` for k = 2), divided by the count of finite values (float32
   division); a block with no finite value is no-data;
3. ``y = max(linear, floor_linear)``; ``log2 y`` by :func:`fast_log2`: the float's exponent
   plus a degree-5 polynomial in its mantissa (Horner, float32, no fused multiply-add),
   within :data:`LOG2_ERROR_BOUND` of the exact value (:data:`DB_ERROR_BOUND` in dB);
4. normalise and convert in one step: ``z = log2 y * A + B`` with
   ``A = 10 log10(2) / std`` and ``B = -mean / std`` per band (rounded to float32 once);
5. clip ``z`` to the clip range in normalised units, ``(clip_db - mean) / std``;
6. no-data -> 0 (the band mean).

Inputs in dB (``units="db"``) go straight to step 4 with ``A = 1 / std``; version 2 does not
multilook dB inputs (averaging intensity needs ``10 ** (x / 10)``; use version 1 there).
Images that are not float32 are rounded to float32 first.

**Version 1** is the original float64 definition, kept so that models exported with it run
unchanged: no-data mask, multilook in float64, ``10 log10(max(x, floor))``, no-data -> mean,
clip in dB, ``(dB - mean) / std``, cast to float32 once. A C++ twin in double matches it to
within one float32 ulp.

Any change to these steps or to the defaults is a new ``PREPROCESS_VERSION``; the constants
travel in the model manifest through :meth:`PreprocessConfig.to_dict`. numpy only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from quakesat.errors import PreprocessError

#: The version new models are trained and exported with.
PREPROCESS_VERSION = 2
#: Every version this runtime (and the C++ runner) can run.
SUPPORTED_PREPROCESS_VERSIONS: tuple[int, ...] = (1, 2)

#: Band order of every image, as in QuakeSet (docs/architecture.md, "The seams").
BANDS: tuple[str, str] = ("VV", "VH")

#: ``10 log10(2)``: dB per octave of intensity (the double nearest the exact value).
DB_PER_LOG2 = 3.0102999566398120
#: Coefficients ``c1..c5`` of ``log2(1 + t) ~ t (c1 + t (c2 + t (c3 + t (c4 + t c5))))`` on
#: ``t`` in [0, 1): a weighted least-squares fit to near-minimax, rounded to float32 (the
#: C++ runner holds the same nine-digit literals; tests/vectors/flight_constants.json).
LOG2_COEFFICIENTS: tuple[float, ...] = (1.44196546, -0.709661722, 0.417592436, -0.196265593, 0.0463836789)
#: Largest error of :func:`fast_log2` against the exact ``log2`` over every float32 in
#: [1e-4, 1e4] (measured exhaustively by the tests on every mantissa: 1.5e-5).
LOG2_ERROR_BOUND = 2e-5
#: The same bound in dB: ``LOG2_ERROR_BOUND * 10 log10(2)``, about 6e-5 dB; Sentinel-1's
#: radiometric accuracy is of the order of 1 dB.
DB_ERROR_BOUND = LOG2_ERROR_BOUND * DB_PER_LOG2


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
        version: the preprocessing version (:data:`SUPPORTED_PREPROCESS_VERSIONS`).
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
        if isinstance(self.version, bool) or self.version not in SUPPORTED_PREPROCESS_VERSIONS:
            raise PreprocessError(
                f"preprocessing version {self.version} is not supported by this runtime "
                f"(it implements versions {', '.join(map(str, SUPPORTED_PREPROCESS_VERSIONS))}); re-export the model"
            )
        if self.units not in ("linear", "db"):
            raise PreprocessError(f"units must be 'linear' or 'db', got {self.units!r}")
        if not (isinstance(self.downsample, int) and self.downsample >= 1):
            raise PreprocessError(f"downsample must be an integer >= 1, got {self.downsample!r}")
        if self.version == 2 and self.units == "db" and self.downsample > 1:
            raise PreprocessError("preprocessing version 2 does not multilook dB inputs "
                                  "(use linear sigma0, downsample 1, or version 1)")
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


@dataclass(frozen=True)
class BandConstants:
    """Version 2's per-band float32 constants, derived from a :class:`PreprocessConfig`.

    Each is computed in float64 from the manifest's numbers in the order written here and
    rounded to float32 once; the C++ runner derives them the same way (bit-identical).
    """

    scale: np.float32  # A: 10 log10(2) / std (linear inputs) or 1 / std (dB inputs)
    offset: np.float32  # B: -mean / std
    low: np.float32  # (clip_db[0] - mean) / std
    high: np.float32  # (clip_db[1] - mean) / std


def band_constants(config: PreprocessConfig) -> tuple[BandConstants, ...]:
    """The float32 constants of steps 4-5 for each band (VV, VH)."""
    out = []
    for mean, std in zip(config.mean_db, config.std_db):
        scale = (1.0 if config.units == "db" else DB_PER_LOG2) / std
        out.append(BandConstants(np.float32(scale), np.float32(-mean / std),
                                 np.float32((config.clip_db[0] - mean) / std),
                                 np.float32((config.clip_db[1] - mean) / std)))
    return tuple(out)


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
    """Version 1's multilook: mean of the finite values in each ``factor x factor`` block, per band.

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


class Scratch:
    """Working arrays for version 2, kept from one tile to the next.

    Every intermediate of :func:`preprocess_image` is written into one of these with numpy's
    ``out=``: a fresh array per step would cost its page faults on every tile (glibc hands
    large blocks back to the kernel on free), which tripled the time of a pair here. The
    flight runtime holds one; without it each call makes its own.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
        """The array called ``name``, of ``shape`` and ``dtype`` (reused when it fits)."""
        array = self._arrays.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self._arrays[name] = np.empty(shape, dtype=dtype)
        return array


def fast_log2(y: np.ndarray, scratch: Scratch | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """Version 2's ``log2`` of positive normal float32 values (step 3 of the module doc).

    ``y = 2**e * m`` with ``m`` in [1, 2): the result is ``e + t P(t)``, ``t = m - 1``, the
    polynomial :data:`LOG2_COEFFICIENTS` evaluated by Horner's rule in float32. Exact
    float32 operations only, so the C++ twin gives the same bits. Within
    :data:`LOG2_ERROR_BOUND` of ``log2`` for inputs in [1e-4, 1e4]. ``out`` may be ``y``.
    """
    y = np.ascontiguousarray(y, dtype=np.float32)
    scratch = scratch or Scratch()
    bits = y.view(np.int32)
    exponent_bits = scratch.get("log2_exponent", y.shape, np.int32)
    np.right_shift(bits, 23, out=exponent_bits)
    exponent_bits -= 127
    exponent = scratch.get("log2_exponent_f", y.shape)
    exponent[...] = exponent_bits  # int32 -> float32: exact for these small integers
    mantissa_bits = scratch.get("log2_mantissa", y.shape, np.int32)
    np.bitwise_and(bits, 0x007FFFFF, out=mantissa_bits)
    mantissa_bits |= 0x3F800000
    t = mantissa_bits.view(np.float32)
    t -= np.float32(1.0)
    c = [np.float32(v) for v in LOG2_COEFFICIENTS]
    p = np.empty(y.shape, np.float32) if out is None else out  # y's bits are read: out may be y
    np.multiply(t, c[4], out=p)
    for coefficient in (c[3], c[2], c[1], c[0]):
        p += coefficient
        p *= t
    p += exponent
    return p


def _block_sums(values: np.ndarray, factor: int, scratch: Scratch | None = None) -> np.ndarray:
    """Version 2's k x k block sums of an ``H x W x 2`` float32 array (step 2 of the module doc).

    Each block column is summed down its rows first (row 0, then row 1, ...), then the column
    sums left to right: for k = 2, ``(x00 + x10) + (x01 + x11)``. The two bands are added as
    the real and imaginary parts of one complex64 view: complex addition is the same float32
    addition per part, done in one numpy pass instead of two strided ones.
    """
    scratch = scratch or Scratch()
    height, width, _ = values.shape
    if factor == 1:
        total = scratch.get("sums", values.shape)
        np.copyto(total, values)
        return total
    pairs = np.ascontiguousarray(values).view(np.complex64).reshape(height // factor, factor, width)
    columns = scratch.get("columns", (height // factor, width), np.complex64)
    np.add(pairs[:, 0], pairs[:, 1], out=columns)
    for row in range(2, factor):
        columns += pairs[:, row]
    blocks = columns.reshape(height // factor, width // factor, factor)
    total = scratch.get("sums", (height // factor, width // factor), np.complex64)
    np.add(blocks[:, :, 0], blocks[:, :, 1], out=total)
    for col in range(2, factor):
        total += blocks[:, :, col]
    return total.view(np.float32).reshape(height // factor, width // factor, 2)


def _preprocess_v2(image: np.ndarray, config: PreprocessConfig, out: np.ndarray,
                   all_finite: bool | None, scratch: Scratch | None) -> None:
    """Version 2 into ``out`` (``2 x H' x W'`` float32); see the module doc."""
    values = image if image.dtype == np.float32 else image.astype(np.float32)
    with np.errstate(over="ignore"):  # a block of values near float32's largest sums to +inf: defined
        _preprocess_v2_float32(values, config, out, all_finite, scratch or Scratch())


def _preprocess_v2_float32(values: np.ndarray, config: PreprocessConfig, out: np.ndarray,
                           all_finite: bool | None, scratch: Scratch) -> None:
    if all_finite is None:
        all_finite = bool(np.isfinite(values).all())
    k = config.downsample
    if config.units == "db":  # downsample is 1 (checked by the config)
        level, empty = values, (None if all_finite else ~np.isfinite(values))
    elif all_finite:
        level = _block_sums(values, k, scratch)
        if k > 1:
            level /= np.float32(k * k)
        empty = None
    else:  # no-data: the rare path, with temporaries
        finite = np.isfinite(values)
        total = _block_sums(np.where(finite, values, np.float32(0.0)), k).copy()
        count = _block_sums(finite.astype(np.float32), k)  # small integers: exact in float32
        empty = count == 0
        with np.errstate(invalid="ignore", divide="ignore"):
            level = total / count
    if config.units == "linear":
        np.maximum(level, np.float32(config.floor_linear), out=level)
        level = fast_log2(level, scratch, out=level)
    for band, constants in enumerate(band_constants(config)):
        plane = out[band]
        np.multiply(level[:, :, band], constants.scale, out=plane)
        plane += constants.offset
        np.maximum(plane, constants.low, out=plane)
        np.minimum(plane, constants.high, out=plane)
        if empty is not None:
            plane[empty[:, :, band]] = np.float32(0.0)


def _preprocess_v1(image: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Version 1 (float64, cast once); see the module doc."""
    with np.errstate(invalid="ignore"):  # a signalling NaN becomes a quiet one: no-data either way
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


def preprocess_image(image: np.ndarray, config: PreprocessConfig | None = None, *,
                     out: np.ndarray | None = None, all_finite: bool | None = None,
                     scratch: Scratch | None = None) -> np.ndarray:
    """Preprocess one ``H x W x 2`` image into a ``2 x H' x W'`` float32 array.

    Args:
        image: VV, VH sigma0 in ``config.units``, NaN/Inf for no data.
        config: preprocessing constants (defaults: :class:`PreprocessConfig`).
        out: optional ``2 x H' x W'`` float32 array to write into (the flight runtime's
            preallocated model input); returned.
        all_finite: what the caller already knows from the input checks (every value
            finite: version 2 skips its no-data mask); ``None`` = look. A wrong ``True``
            is the caller's bug: non-finite values would reach the output.
        scratch: working arrays kept between calls (:class:`Scratch`); version 2 only.

    Returns:
        Normalised dB, channels first (VV, VH), float32, finite everywhere.

    Raises:
        PreprocessError: wrong type, shape, dtype, or a size the multilook cannot divide.
    """
    config = config or PreprocessConfig()
    _check_image(image, config)
    shape = config.output_shape(*image.shape[:2], images=1)
    if out is not None and (out.shape != shape or out.dtype != np.float32):
        raise PreprocessError(f"out must be float32 of shape {shape}, got {out.dtype} {out.shape}")
    if config.version == 1:
        result = _preprocess_v1(image, config)
        if out is None:
            return result
        out[...] = result
        return out
    target = np.empty(shape, dtype=np.float32) if out is None else out
    _preprocess_v2(image, config, target, all_finite, scratch)
    return target


def preprocess_pair(first: np.ndarray, second: np.ndarray, config: PreprocessConfig | None = None, *,
                    out: np.ndarray | None = None, all_finite: bool | None = None,
                    scratch: Scratch | None = None) -> np.ndarray:
    """Preprocess a bitemporal pair into a ``4 x H' x W'`` float32 array.

    Channel order: first VV, first VH, second VV, second VH — for a positive QuakeSet sample
    ``first`` is ``pre`` and ``second`` is ``post``. ``out``, ``all_finite`` and ``scratch`` as
    in :func:`preprocess_image` (``all_finite`` covers both images).

    Raises:
        PreprocessError: as :func:`preprocess_image`, or images of different shapes.
    """
    if getattr(first, "shape", None) != getattr(second, "shape", None):
        raise PreprocessError(
            f"both images of a pair must have the same shape, got "
            f"{getattr(first, 'shape', None)} and {getattr(second, 'shape', None)}"
        )
    config = config or PreprocessConfig()
    _check_image(first, config)
    shape = config.output_shape(*first.shape[:2], images=2)
    if out is None:
        out = np.empty(shape, dtype=np.float32)
    elif out.shape != shape or out.dtype != np.float32:
        raise PreprocessError(f"out must be float32 of shape {shape}, got {out.dtype} {out.shape}")
    half = len(BANDS)
    preprocess_image(first, config, out=out[:half], all_finite=all_finite, scratch=scratch)
    preprocess_image(second, config, out=out[half:], all_finite=all_finite, scratch=scratch)
    return out
