"""Real co-seismic interferograms from COMET LiCSAR, brought into the interferometric input.

The interferometric models read, per tile, what the satellite forms on board from a same-track
complex pair (:mod:`quakesat.runtime.interferogram`): float32 ``(3, cells, cells)`` with, per
multilooked ground cell, ``cos φ`` and ``sin φ`` (the wrapped phase as a unit phasor) and the
coherence ``γ``. LiCSAR publishes interferograms that are already formed, so they enter *after*
that step: this module reads one published interferogram and averages it onto the tile's cells.

What is read (one folder ``LiCSAR_products/<track>/<frame>/interferograms/<d1>_<d2>/``):

* ``<d1>_<d2>.geo.diff_pha.tif``: wrapped phase, float32 radians in (-π, π], 0 or NaN where
  there is no data;
* ``<d1>_<d2>.geo.cc.tif``: coherence, uint8 scaled 0..255 (products since late 2019) or
  float32 0..1 (older products), 0 where there is no data.

Both are single-band GeoTIFFs on one regular lat/lon grid (EPSG:4326, ~0.001° posting) given
by ModelPixelScale (33550) and one ModelTiepoint (33922); the GeoKeyDirectory (34735), when
present, is checked for a geographic WGS 84 grid and tells pixel-is-area (the default) from
pixel-is-point. A pixel is no data in both rasters where the phase or the coherence is not
finite, where the coherence is 0 (which covers LiCSAR's "phase 0 and coherence 0"), or where a
raster holds its GDAL_NODATA value (tag 42113). Read with :mod:`tifffile` and its codec
package imagecodecs (both in the ``data`` extra): LiCSAR stores its phase with DEFLATE and the
floating-point predictor (``gdal_translate -co COMPRESS=DEFLATE -co PREDICTOR=3`` in
licsar_proc's ``create_geoctiffs_to_pub.sh``), which tifffile decodes through imagecodecs.

How a tile is made (:func:`licsar_tile_features`): a square of ``footprint_m`` metres centred
on (lat, lon), cut into ``cells x cells`` ground cells (row 0 northmost, columns eastward;
111,320 m per degree of latitude, ``111,320 · cos(lat)`` m per degree of longitude at the
tile's centre). Each LiCSAR pixel belongs to the cell that holds its centre (cells are
half-open: west and north edges in, east and south edges out). Over a cell's valid pixels the
coherence-weighted phasor ``Σ γ·exp(iφ)`` gives ``cos φ`` and ``sin φ`` (its real and imaginary
parts divided by its modulus; 0 and 0 where the cell has no valid pixel or the sum is 0) and
the mean ``γ`` gives the third channel (0 without a valid pixel). A cell that no raster pixel
falls in (the tile partly off the raster) is ``(0, 0, 0)``, the input the satellite forms
where it has no data; :class:`LicsarTile` says which share of the cells the raster covered
and which share had a valid pixel. A tile entirely off the raster is an error.

The phase sign: the on-board interferogram is ``post · conj(pre)`` and motion toward the
satellite is positive phase (docs/simulator.md). LiCSBAS (COMET's time-series tool for these
products) and licsar_proc's own ``rad2mm_s1`` turn LiCSAR phase into LOS displacement with
``-λ/(4π)``, positive toward the satellite, so LiCSAR's phase has the opposite sign (as GAMMA's
``SLC_diff_intf`` with the earlier date as its first image would give): by default the phase
is negated (``sin φ`` changes sign, ``cos φ`` does not); ``onboard_sign=False`` keeps LiCSAR's
sign. This is inferred from those tools' code, not from a published LiCSAR specification.

Comparable in kind, not bit for bit: LiCSAR estimates its coherence over its own window at its
own resolution (GAMMA ``cc_wave`` on the unfiltered multilooked interferogram; a 640 m cell here
averages ~40 such estimates, which is not the coherence of the 640 m block the satellite
estimates, and small windows bias low coherence upward), its ``diff_pha`` is the adaptively
filtered phase (GAMMA ``adf``, Goldstein-type; the unfiltered
``<d1>_<d2>.geo.diff_unfiltered_pha.tif`` is not always published), the pixels are geocoded (resampled) rather than in the radar geometry, and the
on-board phasor is amplitude-weighted where this one is coherence-weighted (LiCSAR publishes
no amplitude per interferogram). A model trained on simulated pairs must be checked on such
data before its output on them is trusted (docs/real_interferograms.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.errors import ConfigError, DatasetNotFoundError, PreprocessError, QuakeSetFormatError
from quakesat.runtime.interferogram import CHANNELS

#: File name endings of one interferogram's products.
PHASE_SUFFIX = ".geo.diff_pha.tif"
COHERENCE_SUFFIX = ".geo.cc.tif"
#: Metres per degree of latitude (and of longitude at the equator) used to size a tile.
METRES_PER_DEGREE = 111_320.0
#: The default tile: 256 px of 80 m, multilooked 8 x 8 to 32 x 32 cells of 640 m.
DEFAULT_FOOTPRINT_M = 20_480.0
DEFAULT_CELLS = 32

_PAIR = re.compile(r"^([0-9]{8})_([0-9]{8})$")
# GeoTIFF tags and GeoKeys (GeoTIFF 1.0 / OGC GeoTIFF 1.1).
_PIXEL_SCALE, _TIEPOINT, _TRANSFORMATION, _GEOKEYS, _GDAL_NODATA = 33550, 33922, 34264, 34735, 42113
_MODEL_TYPE, _RASTER_TYPE, _GEOGRAPHIC_TYPE, _PROJECTED_TYPE = 1024, 1025, 2048, 3072
_MODEL_GEOGRAPHIC, _PIXEL_IS_POINT, _USER_DEFINED, _WGS84 = 2, 2, 32767, 4326
# Slack on the wrapped-phase range (float32 rounding of ±π) and on float coherence above 1.
_PHASE_SLACK, _COHERENCE_SLACK = 1e-3, 1e-3
# Two grids are one when they differ by less than this share of a pixel.
_GRID_TOLERANCE = 1e-6


@dataclass(frozen=True)
class LatLonGrid:
    """A regular lat/lon grid: pixel ``(row j, column i)`` has its centre at
    ``(lat0 + j·dlat, lon0 + i·dlon)`` degrees; ``dlat < 0`` for a north-up raster."""

    lon0: float
    lat0: float
    dlon: float
    dlat: float

    def lons(self, width: int) -> np.ndarray:
        """Longitudes of the column centres."""
        return self.lon0 + np.arange(width, dtype=np.float64) * self.dlon

    def lats(self, height: int) -> np.ndarray:
        """Latitudes of the row centres."""
        return self.lat0 + np.arange(height, dtype=np.float64) * self.dlat

    def bounds(self, height: int, width: int) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` of the pixel centres."""
        lons = (self.lon0, self.lon0 + (width - 1) * self.dlon)
        lats = (self.lat0, self.lat0 + (height - 1) * self.dlat)
        return min(lons), min(lats), max(lons), max(lats)

    def same_as(self, other: LatLonGrid) -> bool:
        """Whether two grids place every pixel at the same point (to a millionth of a pixel)."""
        step = max(abs(self.dlon), abs(self.dlat))
        return all(abs(a - b) <= _GRID_TOLERANCE * step for a, b in
                   ((self.lon0, other.lon0), (self.lat0, other.lat0), (self.dlon, other.dlon),
                    (self.dlat, other.dlat)))


@dataclass(frozen=True)
class LicsarInterferogram:
    """One LiCSAR interferogram, no data as NaN in both rasters (module doc).

    Attributes:
        phase: float32 ``H x W`` wrapped phase, radians, LiCSAR's sign; NaN where no data.
        coherence: float32 ``H x W`` in [0, 1]; NaN where no data (the same pixels as ``phase``).
        grid: where the pixel centres lie.
        pair: ``"yyyymmdd_yyyymmdd"``, the two acquisition dates.
        frame: the LiCSAR frame ID (the folder above ``interferograms/``), None if the folder
            is not in the products' layout.
        track: the track folder above the frame folder, None likewise.
        path: the folder read.
    """

    phase: np.ndarray
    coherence: np.ndarray
    grid: LatLonGrid
    pair: str
    frame: str | None = None
    track: str | None = None
    path: Path | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of both rasters."""
        return self.phase.shape

    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` of the pixel centres, degrees."""
        return self.grid.bounds(*self.shape)


@dataclass(frozen=True)
class LicsarTile:
    """A tile's network input made from a LiCSAR interferogram.

    Attributes:
        features: float32 ``(3, cells, cells)``: ``cos φ``, ``sin φ``, ``γ``
            (:data:`quakesat.runtime.interferogram.CHANNELS`); ``(0, 0, 0)`` where no pixel.
        covered_share: share of the cells that hold at least one raster pixel (valid or not).
        valid_share: share of the cells that hold at least one valid pixel.
        pixel_count: int ``(cells, cells)``: valid pixels averaged per cell.
    """

    features: np.ndarray
    covered_share: float
    valid_share: float
    pixel_count: np.ndarray


# --- reading ----------------------------------------------------------------------------------

def _pair_of(folder: Path) -> str:
    """The pair a folder holds: its own name, else the one ``*.geo.diff_pha.tif`` in it."""
    if _PAIR.match(folder.name):
        return folder.name
    names = sorted(p.name[: -len(PHASE_SUFFIX)] for p in folder.glob(f"*{PHASE_SUFFIX}"))
    names = [name for name in names if _PAIR.match(name)]
    if len(names) == 1:
        return names[0]
    if not names:
        raise DatasetNotFoundError(f"{folder}: no yyyymmdd_yyyymmdd{PHASE_SUFFIX} in this folder "
                                   f"(expected a LiCSAR interferograms/<date1>_<date2>/ folder)")
    raise QuakeSetFormatError(f"{folder}: several interferograms ({', '.join(names)}); "
                              f"pass the folder of one")


def _geokeys(values: Any) -> dict[int, int]:
    """Short-valued GeoKeys of a GeoKeyDirectory (keys stored in other tags are skipped)."""
    values = [int(v) for v in np.asarray(values).ravel()]
    if len(values) < 4:
        return {}
    count = values[3]
    keys = {}
    for n in range(count):
        entry = values[4 + 4 * n: 8 + 4 * n]
        if len(entry) == 4 and entry[1] == 0:
            keys[entry[0]] = entry[3]
    return keys


def _grid_of(path: Path, tags: dict[int, Any], height: int, width: int) -> LatLonGrid:
    """The lat/lon grid a GeoTIFF's tags describe, checked to be a regular EPSG:4326 one."""
    keys = _geokeys(tags[_GEOKEYS]) if _GEOKEYS in tags else {}
    model = keys.get(_MODEL_TYPE)
    geographic = keys.get(_GEOGRAPHIC_TYPE)
    if _PROJECTED_TYPE in keys or (model is not None and model != _MODEL_GEOGRAPHIC):
        raise QuakeSetFormatError(f"{path}: a projected grid (GeoKeys {keys}); expected lat/lon EPSG:4326")
    if geographic is not None and geographic not in (_WGS84, _USER_DEFINED):
        raise QuakeSetFormatError(f"{path}: geographic CRS EPSG:{geographic}; expected EPSG:4326")
    if _PIXEL_SCALE not in tags or _TIEPOINT not in tags:
        extra = " (an affine ModelTransformation is not supported)" if _TRANSFORMATION in tags else ""
        raise QuakeSetFormatError(f"{path}: no ModelPixelScale (33550) and ModelTiepoint (33922) tags{extra}; "
                                  f"expected a georeferenced LiCSAR GeoTIFF")
    scale = np.asarray(tags[_PIXEL_SCALE], dtype=np.float64).ravel()
    tie = np.asarray(tags[_TIEPOINT], dtype=np.float64).ravel()
    if scale.size < 2 or tie.size != 6 or not (np.isfinite(scale[:2]).all() and np.isfinite(tie).all()):
        raise QuakeSetFormatError(f"{path}: ModelPixelScale {scale.tolist()} / ModelTiepoint {tie.tolist()}: "
                                  f"expected two scales and one tiepoint")
    if scale[0] <= 0 or scale[1] == 0:
        raise QuakeSetFormatError(f"{path}: pixel scale {scale[:2].tolist()} is not a usable grid step")
    i, j, x, y = tie[0], tie[1], tie[3], tie[4]
    shift = 0.0 if keys.get(_RASTER_TYPE) == _PIXEL_IS_POINT else 0.5  # area: tiepoint at a corner
    grid = LatLonGrid(lon0=float(x + (shift - i) * scale[0]), lat0=float(y - (shift - j) * scale[1]),
                      dlon=float(scale[0]), dlat=float(-scale[1]))
    west, south, east, north = grid.bounds(height, width)
    if not (-90.0 <= south and north <= 90.0 and -360.0 <= west and east <= 360.0 and scale[0] < 10.0):
        raise QuakeSetFormatError(f"{path}: grid spans lon {west:g}..{east:g}, lat {south:g}..{north:g}: "
                                  f"not degrees; expected a lat/lon EPSG:4326 grid")
    return grid


def _read_raster(path: Path) -> tuple[np.ndarray, LatLonGrid, float | None]:
    """A single-band GeoTIFF's values, grid and GDAL no-data value."""
    try:
        import tifffile
    except ImportError as err:
        raise ImportError("reading LiCSAR GeoTIFFs needs tifffile and imagecodecs: pip install 'quakesat[data]'") from err

    if not path.is_file():
        raise DatasetNotFoundError(f"{path}: no such file (a LiCSAR interferogram folder holds "
                                   f"<pair>{PHASE_SUFFIX} and <pair>{COHERENCE_SUFFIX})")
    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            tags = {tag.code: tag.value for tag in page.tags.values()}
            values = page.asarray()
    except (tifffile.TiffFileError, ValueError, OSError) as err:
        if isinstance(err, QuakeSetFormatError):
            raise
        raise QuakeSetFormatError(f"{path}: not a readable TIFF ({err})") from err
    if values.ndim != 2:
        raise QuakeSetFormatError(f"{path}: raster of shape {values.shape}; expected one 2-D band")
    nodata = None
    if _GDAL_NODATA in tags:
        try:
            nodata = float(str(tags[_GDAL_NODATA]).strip().strip("\x00"))
        except ValueError:
            nodata = None
    return values, _grid_of(path, tags, *values.shape), nodata


def _phase_values(path: Path, values: np.ndarray) -> np.ndarray:
    if values.dtype.kind != "f":
        raise QuakeSetFormatError(f"{path}: phase of type {values.dtype}; expected float radians")
    phase = values.astype(np.float32)
    finite = phase[np.isfinite(phase)]
    if finite.size and float(np.abs(finite).max()) > math.pi + _PHASE_SLACK:
        raise QuakeSetFormatError(f"{path}: phase up to {float(np.abs(finite).max()):.3g} rad; expected a "
                                  f"wrapped phase in (-pi, pi] (an unwrapped .geo.unw.tif?)")
    return phase


def _coherence_values(path: Path, values: np.ndarray) -> np.ndarray:
    if values.dtype == np.uint8:
        return values.astype(np.float32) / np.float32(255.0)
    if values.dtype.kind != "f":
        raise QuakeSetFormatError(f"{path}: coherence of type {values.dtype}; expected uint8 0..255 "
                                  f"or float 0..1")
    coherence = values.astype(np.float32)
    finite = coherence[np.isfinite(coherence)]
    if finite.size and (float(finite.min()) < 0.0 or float(finite.max()) > 1.0 + _COHERENCE_SLACK):
        raise QuakeSetFormatError(f"{path}: float coherence in {float(finite.min()):.3g}..{float(finite.max()):.3g};"
                                  f" expected 0..1")
    return np.minimum(coherence, np.float32(1.0))


def read_licsar_interferogram(folder: str | Path) -> LicsarInterferogram:
    """Read one LiCSAR interferogram folder (module doc).

    Args:
        folder: ``.../interferograms/<date1>_<date2>/`` (or the ``.geo.diff_pha.tif`` in it).

    Returns:
        The phase and coherence, no data as NaN in both, on their shared grid.

    Raises:
        DatasetNotFoundError: the folder or one of the two GeoTIFFs is missing.
        QuakeSetFormatError: a file is not a TIFF, not one 2-D band, of an unexpected type or
            range, not on a regular lat/lon (EPSG:4326) grid, or the two grids differ.
    """
    folder = Path(folder)
    if folder.is_file() and folder.name.endswith(PHASE_SUFFIX):
        folder = folder.parent
    if not folder.is_dir():
        raise DatasetNotFoundError(f"{folder}: no such interferogram folder")
    pair = _pair_of(folder)
    phase_path, coherence_path = folder / f"{pair}{PHASE_SUFFIX}", folder / f"{pair}{COHERENCE_SUFFIX}"
    raw_phase, phase_grid, phase_nodata = _read_raster(phase_path)
    raw_coherence, coherence_grid, coherence_nodata = _read_raster(coherence_path)
    if raw_phase.shape != raw_coherence.shape or not phase_grid.same_as(coherence_grid):
        raise QuakeSetFormatError(f"{coherence_path}: grid {raw_coherence.shape} {coherence_grid} differs from the "
                                  f"phase's {raw_phase.shape} {phase_grid}")
    phase = _phase_values(phase_path, raw_phase)
    coherence = _coherence_values(coherence_path, raw_coherence)
    invalid = ~np.isfinite(phase) | ~np.isfinite(coherence) | (coherence <= 0.0)
    if phase_nodata is not None:
        invalid |= raw_phase == phase_nodata
    if coherence_nodata is not None:
        invalid |= raw_coherence == coherence_nodata
    phase[invalid] = np.nan
    coherence[invalid] = np.nan
    parent = folder.resolve().parent
    in_layout = parent.name == "interferograms" and parent.parent.name
    return LicsarInterferogram(phase=phase, coherence=coherence, grid=phase_grid, pair=pair,
                               frame=parent.parent.name if in_layout else None,
                               track=(parent.parent.parent.name or None) if in_layout else None,
                               path=folder)


# --- a tile's input ---------------------------------------------------------------------------

def _check_tile_arguments(lat: float, lon: float, footprint_m: float, cells: int) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) >= 89.0:
        raise ConfigError(f"tile centre ({lat}, {lon}) must be finite with |lat| < 89 degrees")
    if not (math.isfinite(footprint_m) and footprint_m > 0):
        raise ConfigError(f"footprint_m must be a positive number of metres, got {footprint_m!r}")
    if isinstance(cells, bool) or not isinstance(cells, (int, np.integer)) or cells < 1:
        raise ConfigError(f"cells must be a positive integer, got {cells!r}")


def _cell_index(offset_deg: np.ndarray, half_deg: float, cell_deg: float, cells: int) -> np.ndarray:
    """Cell index of each coordinate offset from the tile centre (-1 outside the tile)."""
    index = np.floor((offset_deg + half_deg) / cell_deg).astype(np.int64)
    index[(index < 0) | (index >= cells)] = -1
    return index


def licsar_tile_features(ifg: LicsarInterferogram, lat: float, lon: float,
                         footprint_m: float = DEFAULT_FOOTPRINT_M, cells: int = DEFAULT_CELLS, *,
                         onboard_sign: bool = True) -> LicsarTile:
    """The network input of a tile centred at (lat, lon), averaged from ``ifg`` (module doc).

    Args:
        ifg: an interferogram from :func:`read_licsar_interferogram`.
        lat, lon: the tile's centre, degrees (longitudes compare modulo 360).
        footprint_m: the tile's side, metres.
        cells: cells per side.
        onboard_sign: negate LiCSAR's phase into the on-board sign convention (module doc).

    Returns:
        The float32 ``(3, cells, cells)`` input with the share of cells covered.

    Raises:
        ConfigError: a centre off the usable globe, a non-positive footprint or cell count.
        PreprocessError: no pixel of the raster lies in the tile.
    """
    lat, lon, footprint_m = float(lat), float(lon), float(footprint_m)
    _check_tile_arguments(lat, lon, footprint_m, cells)
    height, width = ifg.shape
    cell_lat = footprint_m / cells / METRES_PER_DEGREE
    cell_lon = cell_lat / math.cos(math.radians(lat))
    north = ifg.grid.lats(height) - lat                      # degrees north of the centre
    east = (ifg.grid.lons(width) - lon + 180.0) % 360.0 - 180.0
    rows = _cell_index(-north, 0.5 * cells * cell_lat, cell_lat, cells)  # row 0 northmost
    cols = _cell_index(east, 0.5 * cells * cell_lon, cell_lon, cells)
    row_sel, col_sel = np.flatnonzero(rows >= 0), np.flatnonzero(cols >= 0)
    if row_sel.size == 0 or col_sel.size == 0:
        west_b, south_b, east_b, north_b = ifg.bounds()
        raise PreprocessError(f"tile of {footprint_m:g} m centred at ({lat:.5f}, {lon:.5f}) lies outside "
                              f"interferogram {ifg.pair} (lon {west_b:.4f}..{east_b:.4f}, "
                              f"lat {south_b:.4f}..{north_b:.4f})")
    flat = (rows[row_sel][:, None] * cells + cols[col_sel][None, :]).ravel()
    phase = ifg.phase[np.ix_(row_sel, col_sel)].astype(np.float64).ravel()
    gamma = ifg.coherence[np.ix_(row_sel, col_sel)].astype(np.float64).ravel()
    size = cells * cells
    covered = np.bincount(flat, minlength=size) > 0
    valid = np.isfinite(phase) & np.isfinite(gamma)
    flat, phase, gamma = flat[valid], phase[valid], gamma[valid]
    if onboard_sign:
        phase = -phase
    count = np.bincount(flat, minlength=size)
    real = np.bincount(flat, weights=gamma * np.cos(phase), minlength=size)
    imag = np.bincount(flat, weights=gamma * np.sin(phase), minlength=size)
    total = np.bincount(flat, weights=gamma, minlength=size)
    modulus = np.hypot(real, imag)
    nonzero = modulus > 0
    features = np.zeros((len(CHANNELS), size), dtype=np.float64)
    features[0, nonzero] = real[nonzero] / modulus[nonzero]
    features[1, nonzero] = imag[nonzero] / modulus[nonzero]
    features[2, count > 0] = total[count > 0] / count[count > 0]
    return LicsarTile(features=features.reshape(len(CHANNELS), cells, cells).astype(np.float32),
                      covered_share=float(covered.mean()), valid_share=float((count > 0).mean()),
                      pixel_count=count.reshape(cells, cells))
