"""The tile contract: a bitemporal pair, where it is on Earth and when, and the checks it must pass.

A :class:`Tile` is what the flight runtime receives: the ``first`` (pre-event) and
``second`` (post-event) images, each ``H x W x 2`` sigma0 (VV, VH) in the units the model's
preprocessing declares, the acquisition time of the second image, and a :class:`Georef`
(latitude/longitude of the tile centre and the pixel spacing). Before a tile reaches the
model it is checked, and a bad tile becomes a status (:class:`TileCheck`), never a crash.

:func:`check_pair` looks at the two images and returns the first status that applies, in
this order (the first bad-input finding wins; degradations are reported only for otherwise
good tiles):

==================  ===============================================================
``BAD_DTYPE``       not a floating-point numpy array
``BAD_SHAPE``       not ``side x side x 2``, or the two images differ in shape
``NON_FINITE``      any +/-Inf (NaN is the no-data convention; Inf is corruption)
``ALL_NODATA``      every pixel NaN
``MOSTLY_NODATA``   more than ``max_nodata`` of the pixels NaN
``ALL_NODATA``      every pixel of one band NaN (a polarisation missing)
``MOSTLY_NODATA``   more than ``max_nodata`` of one band's pixels NaN
``ALL_ZERO``        every valid pixel exactly 0
``CONSTANT``        a fill: in one band, more than ``MAX_REPEATED`` (half) of the valid
                    pixels hold one value (``==``: +0 and -0 are one value), so that a stuck
                    or filled product is caught whatever a few stray pixels say. Exact and
                    cheap: the disjoint pairs of adjacent pixels (columns 2j, 2j+1) whose
                    values are both valid and differ rule a band out when they are at least
                    half its valid pixels (no value can then hold more); otherwise the only
                    candidate, the median of the valid values, is counted
``OUT_OF_RANGE``    a negative intensity, or one above ``MAX_LINEAR`` (+40 dB); for tiles
                    in dB, a value outside -80..+40 dB
``CONSTANT``        in one band, more than ``MAX_REPEATED`` of the valid pixels beyond the
                    clip range, either end (all subnormal, say: one value once clipped)
``PARTIAL_NODATA``  some pixels NaN (degraded: the rest is processed)
``VALUES_CLIPPED``  more than ``max_clipped`` of the valid pixels beyond the preprocessing's
                    dB clip range (degraded)
``OK``              none of the above
==================  ===============================================================

:func:`check_georef` and :func:`check_time` turn an unusable georeference or time into a
status: an invalid georeference (off the globe, non-finite) is bad input, a missing one is
``NO_GEOREFERENCE`` (degraded: the model runs, the message has no position). A tile with a bad-input status must not be run through the model and must not raise
an event; a degraded one is processed and flagged. :func:`pixel_to_latlon` maps a pixel of
the tile to degrees (rows run south, columns east, as in a north-up product). numpy and the
standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quakesat.runtime.message import LAT_MAX, LON_MAX, U32_MAX
from quakesat.runtime.preprocess import PreprocessConfig
from quakesat.runtime.status import Status, StatusCategory

#: Largest plausible linear sigma0 (+40 dB): brighter values are corruption, not terrain.
MAX_LINEAR = 1e4
#: Smallest plausible sigma0 in dB for tiles given in dB (far below any sensor's noise floor).
MIN_DB = -80.0
#: Share of no-data pixels above which a tile is not processed.
MAX_NODATA = 0.5
#: The two bands of an image, in order.
BAND_NAMES = ("VV", "VH")
#: Share of valid pixels beyond the clip range above which a processed tile is flagged.
MAX_CLIPPED = 0.01
#: Share of a band's valid pixels above which one value (or the clip range's one end) makes
#: the tile a fill (``CONSTANT``). At least 0.5: then at most one value can hold that share,
#: and the checks find it exactly (the median here, a majority vote in C++).
MAX_REPEATED = 0.5


@dataclass(frozen=True)
class TileCheck:
    """The verdict on one tile or pair: a status and a sentence for the log."""

    status: Status
    detail: str = ""

    @property
    def processable(self) -> bool:
        """True for OK and degraded tiles: the model may run on them."""
        return self.status.category in (StatusCategory.OK, StatusCategory.DEGRADED)


def _differing_pairs(image: np.ndarray, nan: np.ndarray | None, low: np.floating) -> list[int]:
    """Per band, the disjoint pairs of horizontally adjacent pixels (columns ``2j``, ``2j + 1``;
    the last column of an odd width is unpaired) whose two values are both valid and differ.

    Any one value of a band then holds at most ``valid - differ`` of its pixels (one per
    differing pair, two per equal pair, one per unpaired pixel). ``nan`` is the no-data mask
    (None when every value is finite; no Inf gets here). Counted as the both-valid pairs less
    the equal ones (NaN equals nothing). The fast path (float32, no NaN, no zero or negative
    value, so that equal bits mean equal floats) compares both bands' pairs as one 64-bit word
    each; only when some pair is equal are the bands counted apart.
    """
    height, width = image.shape[:2]
    half = width // 2
    pairs = height * half
    if nan is None and low > 0 and image.dtype == np.float32 and image.flags.c_contiguous and width % 2 == 0:
        words = image.view(np.uint64).reshape(height, half, 2)  # [VV, VH] of pixels 2j and 2j + 1
        if np.count_nonzero((words[..., 0] ^ words[..., 1]).view(np.uint32)) == 2 * pairs:
            return [pairs, pairs]  # every pair differs in both bands
    quads = image[:, :2 * half].reshape(height, half, 4)  # VV 2j, VH 2j, VV 2j+1, VH 2j+1
    missing = None if nan is None else nan[:, :2 * half].reshape(height, half, 4)
    differ = []
    for band in (0, 1):
        both = pairs if missing is None else pairs - np.count_nonzero(missing[..., band] | missing[..., band + 2])
        differ.append(int(both - np.count_nonzero(quads[..., band] == quads[..., band + 2])))
    return differ


def _fill_value(band: np.ndarray, valid: int, differ: int) -> tuple[float, int] | None:
    """The value that more than ``MAX_REPEATED`` of the band's ``valid`` pixels hold, and how
    many hold it; None when no value does. Exact: the ``differ`` pairs of
    :func:`_differing_pairs` rule most bands out at once; otherwise such a value, if any, is the
    median of the valid values (it fills the middle of their sorted order: numpy's partition
    puts every NaN, signalling ones too, after every number), and its count decides."""
    if valid - differ <= MAX_REPEATED * valid:
        return None
    values = band.flatten()
    middle = valid // 2
    values.partition(middle)
    candidate = values[middle]
    count = int(np.count_nonzero(values == candidate))  # float ==: +0 and -0 are one value, NaN none
    return (float(candidate), count) if count > MAX_REPEATED * valid else None


def check_image(image: object, side: int, config: PreprocessConfig = PreprocessConfig(),
                max_nodata: float = MAX_NODATA, max_clipped: float = MAX_CLIPPED) -> TileCheck:
    """Check one ``side x side x 2`` linear image (see the module table)."""
    if not isinstance(image, np.ndarray) or not np.issubdtype(image.dtype, np.floating):
        kind = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
        return TileCheck(Status.BAD_DTYPE, f"expected a float array, got {kind}")
    if image.shape != (side, side, 2):
        return TileCheck(Status.BAD_SHAPE, f"expected shape {(side, side, 2)}, got {image.shape}")
    band_size = side * side
    # One pass each for the largest and smallest value; both finite means no NaN and no
    # Inf anywhere, and every later check reads from them (the slow path below is needed
    # only for tiles with no-data or corruption, and gives the same verdicts).
    high, low = image.max(), image.min()
    nan: np.ndarray | None = None
    if np.isfinite(high) and np.isfinite(low):
        valid_size, nodata, band_valid = image.size, 0.0, [band_size, band_size]
    else:
        # No NaN of any kind (a signalling NaN is one too) reaches a min/max reduction: they are
        # replaced by a valid value first (numpy's fmin/fmax over a strided band mishandle
        # signalling NaNs).
        nan = np.isnan(image)
        valid_size = image.size - int(np.count_nonzero(nan))
        if valid_size == 0:  # every value NaN, so none is Inf
            return TileCheck(Status.ALL_NODATA, "every pixel is NaN")
        filled = image.copy()
        np.copyto(filled, image[np.unravel_index(np.argmin(nan), nan.shape)], where=nan)
        high, low = filled.max(), filled.min()
        if np.isinf(high) or np.isinf(low):
            return TileCheck(Status.NON_FINITE, f"{int(np.isinf(image).sum())} infinite values")
        nodata = 1.0 - valid_size / image.size
        if nodata > max_nodata:
            return TileCheck(Status.MOSTLY_NODATA, f"{nodata:.1%} of the pixels are NaN (limit {max_nodata:.0%})")
        band_valid = [band_size - int(np.count_nonzero(nan[..., 0]))]
        band_valid.append(valid_size - band_valid[0])
        for band in (0, 1):
            if band_valid[band] == 0:
                return TileCheck(Status.ALL_NODATA, f"every pixel of band {BAND_NAMES[band]} is NaN")
        for band in (0, 1):
            band_nodata = 1.0 - band_valid[band] / band_size
            if band_nodata > max_nodata:
                return TileCheck(Status.MOSTLY_NODATA, f"{band_nodata:.1%} of the pixels of band {BAND_NAMES[band]} "
                                                       f"are NaN (limit {max_nodata:.0%})")
    if low == 0 and high == 0:
        return TileCheck(Status.ALL_ZERO, "every valid pixel is 0")
    # A fill: one value in more than MAX_REPEATED of a band's valid pixels (a stuck or filled
    # product, whatever a few stray pixels say). Contains "every valid pixel the same value".
    differ = _differing_pairs(image, nan, low)
    for band in (0, 1):
        fill = _fill_value(image[..., band], band_valid[band], differ[band])
        if fill is not None:
            return TileCheck(Status.CONSTANT, f"{fill[1]} of the {band_valid[band]} valid pixels of band "
                                              f"{BAND_NAMES[band]} are {fill[0]!r}")
    bounds = (0.0, MAX_LINEAR) if config.units == "linear" else (MIN_DB, 10.0 * np.log10(MAX_LINEAR))
    if low < image.dtype.type(bounds[0]) or high > image.dtype.type(bounds[1]):
        return TileCheck(Status.OUT_OF_RANGE, f"values span {float(low):.4g}..{float(high):.4g}; "
                                              f"{config.units} sigma0 lies in {bounds[0]:g}..{bounds[1]:g}")
    clip_low, clip_high = clip_thresholds(config, image.dtype)
    clipped = 0
    if low < clip_low or high > clip_high:  # count only when some value lies beyond (NaN compares false)
        beyond = (image < clip_low) | (image > clip_high)
        clipped = int(np.count_nonzero(beyond))
        # Beyond one end of the clip range is one value once clipped (all subnormal, say): a
        # band more than MAX_REPEATED beyond is a fill too. Per band only when the total allows it.
        if clipped > MAX_REPEATED * min(band_valid):
            for band in (0, 1):
                band_clipped = int(np.count_nonzero(beyond[..., band]))
                if band_clipped > MAX_REPEATED * band_valid[band]:
                    return TileCheck(Status.CONSTANT, f"{band_clipped} of the {band_valid[band]} valid pixels of "
                                                      f"band {BAND_NAMES[band]} lie beyond the clip range "
                                                      f"{config.clip_db} dB: one value after clipping")
    if nodata > 0:
        return TileCheck(Status.PARTIAL_NODATA, f"{nodata:.1%} of the pixels are NaN")
    if clipped / valid_size > max_clipped:
        return TileCheck(Status.VALUES_CLIPPED, f"{clipped / valid_size:.1%} of the pixels lie beyond "
                                                f"{config.clip_db} dB")
    return TileCheck(Status.OK)


def clip_thresholds(config: PreprocessConfig, dtype: np.dtype = np.dtype(np.float32)) -> tuple[np.floating, np.floating]:
    """The clip range in the input's units, rounded to the image's float type.

    Values are compared in their own precision (float32 for tiles): the C++ runner rounds
    the same double thresholds to float the same way, so both count the same pixels.
    """
    low, high = config.clip_db if config.units == "db" else (10.0 ** (db / 10.0) for db in config.clip_db)
    kind = np.dtype(dtype).type
    return kind(low), kind(high)


def check_pair(first: object, second: object, side: int, config: PreprocessConfig = PreprocessConfig(),
               max_nodata: float = MAX_NODATA, max_clipped: float = MAX_CLIPPED) -> TileCheck:
    """Check a bitemporal pair: each image, then that they match; the worse verdict wins
    (a bad input over a degradation; the first image on a tie)."""
    checks = [check_image(image, side, config, max_nodata, max_clipped) for image in (first, second)]
    for label, check in zip(("first", "second"), checks):
        if not check.processable:
            return TileCheck(check.status, f"{label} image: {check.detail}")
    for label, check in zip(("first", "second"), checks):
        if check.status != Status.OK:
            return TileCheck(check.status, f"{label} image: {check.detail}")
    return TileCheck(Status.OK)


#: Length of one degree of latitude (and of longitude at the equator) on the mean sphere, m.
METRES_PER_DEGREE = 111_320.0
#: Sentinel-1 IW GRD high-resolution pixel spacing (the QuakeSet tiles), metres.
DEFAULT_PIXEL_SPACING_M = 10.0
#: Pixel spacing of the same-track tiles the interferometric models are trained on (20.48 km
#: in 256 px: ``quakesat simulate --slc``, docs/simulator.md), metres.
SAME_TRACK_PIXEL_SPACING_M = 80.0
#: Tile kinds: an amplitude pair (``H x W x 2`` float32 sigma0, the QuakeSet kind) and a
#: same-track complex pair (``side x side`` complex64, for interferometry:
#: :mod:`quakesat.runtime.same_track`). A tile list line names its kind (``"kind"``, default
#: ``"amplitude"``); a tile of another kind than the model's is ``WRONG_KIND``.
AMPLITUDE = "amplitude"
SAME_TRACK = "same_track"
TILE_KINDS = (AMPLITUDE, SAME_TRACK)


@dataclass(frozen=True)
class Georef:
    """Where a north-up tile lies: its centre and its pixel spacing."""

    center_lat: float
    center_lon: float
    pixel_spacing_m: float = DEFAULT_PIXEL_SPACING_M


@dataclass(frozen=True)
class Tile:
    """One bitemporal tile as it reaches the runtime (docs/architecture.md, "The seams").

    Attributes:
        tile_id: the tile's identifier, carried in its message (u32).
        time: acquisition time of the second (post-event) image, Unix UTC seconds.
        first: pre-event image, ``H x W x 2`` (a same-track tile: ``H x W`` complex).
        second: post-event image, same shape and type.
        georef: where the tile lies.
        read_check: why the tile could not be read, if it could not (``UNREADABLE``,
            ``BAD_DTYPE`` or ``BAD_SHAPE`` from the reader).
        read_s: seconds its reading took; the per-tile time budget counts them.
        kind: what the two images are (:data:`TILE_KINDS`): ``"amplitude"`` (``H x W x 2``
            sigma0, the default) or ``"same_track"`` (a same-track complex pair,
            :mod:`quakesat.runtime.same_track`). The tile list reader reads only tiles of the
            kind the model takes (``first``/``second`` are None for the others), and a runtime
            whose model takes another kind answers ``WRONG_KIND`` before any pixel is looked at.
    """

    tile_id: int
    time: int
    first: object
    second: object
    georef: Georef | None
    read_check: TileCheck | None = None
    read_s: float = 0.0
    kind: str = AMPLITUDE


def check_georef(georef: Georef | None) -> TileCheck:
    """``NO_GEOREFERENCE`` (degraded) for a missing georeference; ``BAD_GEOREFERENCE`` for a
    centre off the globe, a non-finite value or a non-positive pixel spacing; ``OK`` otherwise."""
    if georef is None:
        return TileCheck(Status.NO_GEOREFERENCE, "the tile has no georeference")
    values = (georef.center_lat, georef.center_lon, georef.pixel_spacing_m)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        return TileCheck(Status.BAD_GEOREFERENCE, f"non-numeric or non-finite georeference {values}")
    if abs(georef.center_lat) > LAT_MAX or abs(georef.center_lon) > LON_MAX:
        return TileCheck(Status.BAD_GEOREFERENCE,
                         f"centre ({georef.center_lat}, {georef.center_lon}) is not a latitude/longitude")
    if not georef.pixel_spacing_m > 0:
        return TileCheck(Status.BAD_GEOREFERENCE, f"pixel spacing {georef.pixel_spacing_m} m is not positive")
    return TileCheck(Status.OK)


def check_time(time: object) -> TileCheck:
    """``BAD_TIME`` unless ``time`` is an integer number of Unix seconds that fits a u32."""
    if isinstance(time, bool) or not isinstance(time, (int, np.integer)):
        return TileCheck(Status.BAD_TIME, f"acquisition time must be integer Unix seconds, got {time!r}")
    if not 0 < int(time) <= U32_MAX:
        return TileCheck(Status.BAD_TIME, f"acquisition time {time} is outside 1..{U32_MAX}")
    return TileCheck(Status.OK)


def offset_latlon(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m``/``east_m`` from (``lat``, ``lon``) in the local equirectangular
    approximation (the longitude step shrinks with ``cos(latitude)``); neither clamped nor
    wrapped."""
    return lat + north_m / METRES_PER_DEGREE, lon + east_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6))


def pixel_to_latlon(georef: Georef, row: float, col: float, side: int) -> tuple[float, float]:
    """Latitude/longitude of pixel (``row``, ``col``) of a north-up ``side x side`` tile.

    Pixel centres are at integer coordinates; the tile centre is ``(side - 1) / 2``. Rows grow
    southward, columns eastward; the longitude step shrinks with ``cos(latitude)`` (a local
    equirectangular approximation, exact to centimetres over a 5 km tile).
    """
    centre = (side - 1) / 2.0
    north_m = (centre - row) * georef.pixel_spacing_m
    east_m = (col - centre) * georef.pixel_spacing_m
    lat, lon = offset_latlon(georef.center_lat, georef.center_lon, north_m, east_m)
    lat = min(max(lat, -LAT_MAX), LAT_MAX)
    lon = (lon + 180.0) % 360.0 - 180.0 if abs(lon) > LON_MAX else lon
    return lat, lon


def ground_distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points on the mean sphere, metres (haversine)."""
    radius = METRES_PER_DEGREE * 180.0 / math.pi
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * radius * math.asin(min(1.0, math.sqrt(h)))
