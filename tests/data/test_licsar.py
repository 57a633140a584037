"""LiCSAR interferograms into the interferometric input (data/licsar.py).

The fixtures are written with tifffile in the products' layout
(``LiCSAR_products/<track>/<frame>/interferograms/<d1>_<d2>/``): a float32 wrapped phase and a
uint8 coherence on a 0.001° EPSG:4326 grid (ModelPixelScale, ModelTiepoint, GeoKeyDirectory),
holding the fringes of a Gaussian uplift, a block of LiCSAR no-data (phase 0, coherence 0) and
a few NaN phase pixels. The phase is stored as LiCSAR stores it (DEFLATE with the
floating-point predictor, through imagecodecs), and one small file written that way is
embedded as a reference."""

from __future__ import annotations

import base64
import math
from pathlib import Path

import numpy as np
import pytest

tifffile = pytest.importorskip("tifffile")

from quakesat.data.licsar import (
    METRES_PER_DEGREE,
    LicsarInterferogram,
    licsar_tile_features,
    read_licsar_interferogram,
)
from quakesat.errors import ConfigError, DatasetNotFoundError, PreprocessError, QuakeSetFormatError

WAVELENGTH_M = 0.055465
PAIR = "20230201_20230213"
TRACK, FRAME = "21", "021D_05266_252525"
# The raster: upper-left corner of the upper-left pixel, 0.001° posting, 500 rows x 800 columns
# (lat 38.0 .. 37.5, lon 36.7 .. 37.5).
WEST, NORTH, STEP, HEIGHT, WIDTH = 36.7, 38.0, 0.001, 500, 800
# The uplift: peak, Gaussian width, its LOS amplitude (about 2.2 fringes).
QUAKE_LAT, QUAKE_LON, SIGMA_M, PEAK_M = 37.8, 37.0, 3000.0, 0.06
COHERENCE_U8 = 204  # 0.8
NODATA_ROWS, NODATA_COLS = slice(0, 50), slice(0, 100)
NAN_PIXELS = ((300, 300), (301, 302))


def centres() -> tuple[np.ndarray, np.ndarray]:
    """Latitudes of the row centres, longitudes of the column centres (pixel-is-area)."""
    return NORTH - (np.arange(HEIGHT) + 0.5) * STEP, WEST + (np.arange(WIDTH) + 0.5) * STEP


def uplift_m(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """LOS displacement toward the satellite, metres."""
    north = (lat - QUAKE_LAT) * METRES_PER_DEGREE
    east = (lon - QUAKE_LON) * METRES_PER_DEGREE * math.cos(math.radians(QUAKE_LAT))
    return PEAK_M * np.exp(-(north**2 + east**2) / (2 * SIGMA_M**2))


def wrap(phase: np.ndarray) -> np.ndarray:
    return np.angle(np.exp(1j * phase))


def geotags(west: float = WEST, north: float = NORTH, step: float = STEP,
            keys: tuple[int, ...] | None = None) -> list[tuple]:
    """ModelPixelScale, ModelTiepoint and a minimal GeoKeyDirectory (geographic, pixel-is-area,
    EPSG:4326), as tifffile extratags."""
    if keys is None:
        keys = (1, 1, 0, 3,  1024, 0, 1, 2,  1025, 0, 1, 1,  2048, 0, 1, 4326)
    return [(33550, "d", 3, (step, step, 0.0), True),
            (33922, "d", 6, (0.0, 0.0, 0.0, west, north, 0.0), True),
            (34735, "H", len(keys), keys, True)]


def write(path: Path, values: np.ndarray, **grid) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(path, values, extratags=geotags(**grid))
    return path


def write_like_licsar(path: Path, values: np.ndarray, rows_per_strip: int = 16) -> Path:
    """A GeoTIFF stored as LiCSAR stores its products (``gdal_translate -co COMPRESS=DEFLATE``
    with ``PREDICTOR=3`` for the float phase, ``PREDICTOR=2`` for the uint8 coherence)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    predictor = 2 if values.dtype == np.uint8 else 3
    tifffile.imwrite(path, values, compression="deflate", predictor=predictor, rowsperstrip=rows_per_strip,
                     extratags=geotags())
    return path


def licsar_rasters() -> tuple[np.ndarray, np.ndarray]:
    """LiCSAR's phase (its sign: motion toward the satellite is negative) and uint8 coherence."""
    lats, lons = centres()
    phase = wrap(-4 * np.pi / WAVELENGTH_M * uplift_m(lats[:, None], lons[None, :])).astype(np.float32)
    coherence = np.full((HEIGHT, WIDTH), COHERENCE_U8, dtype=np.uint8)
    phase[NODATA_ROWS, NODATA_COLS] = 0.0
    coherence[NODATA_ROWS, NODATA_COLS] = 0
    for row, col in NAN_PIXELS:
        phase[row, col] = np.nan
    return phase, coherence


def make_folder(root: Path, coherence: np.ndarray | None = None) -> Path:
    folder = root / "LiCSAR_products" / TRACK / FRAME / "interferograms" / PAIR
    phase, coherence_u8 = licsar_rasters()
    write_like_licsar(folder / f"{PAIR}.geo.diff_pha.tif", phase)
    if coherence is None:
        write_like_licsar(folder / f"{PAIR}.geo.cc.tif", coherence_u8)
    else:
        write(folder / f"{PAIR}.geo.cc.tif", coherence)
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_folder(tmp_path_factory.mktemp("licsar"))


@pytest.fixture(scope="module")
def ifg(folder: Path) -> LicsarInterferogram:
    return read_licsar_interferogram(folder)


def test_reader_gets_grid_values_and_no_data(ifg: LicsarInterferogram) -> None:
    assert ifg.pair == PAIR and ifg.frame == FRAME and ifg.track == TRACK
    assert ifg.shape == (HEIGHT, WIDTH)
    assert ifg.phase.dtype == np.float32 and ifg.coherence.dtype == np.float32
    assert ifg.grid.lon0 == pytest.approx(WEST + 0.5 * STEP) and ifg.grid.lat0 == pytest.approx(NORTH - 0.5 * STEP)
    assert ifg.grid.dlon == pytest.approx(STEP) and ifg.grid.dlat == pytest.approx(-STEP)
    west, south, east, north = ifg.bounds()
    assert (west, east) == pytest.approx((WEST + 0.5 * STEP, WEST + (WIDTH - 0.5) * STEP))
    assert (south, north) == pytest.approx((NORTH - (HEIGHT - 0.5) * STEP, NORTH - 0.5 * STEP))
    phase, _ = licsar_rasters()
    invalid = np.zeros((HEIGHT, WIDTH), dtype=bool)
    invalid[NODATA_ROWS, NODATA_COLS] = True
    for pixel in NAN_PIXELS:
        invalid[pixel] = True
    np.testing.assert_array_equal(np.isnan(ifg.phase), invalid)
    np.testing.assert_array_equal(np.isnan(ifg.coherence), invalid)
    np.testing.assert_array_equal(ifg.phase[~invalid], phase[~invalid])
    np.testing.assert_allclose(ifg.coherence[~invalid], COHERENCE_U8 / 255, rtol=1e-6)


def test_tile_on_the_deformation_shows_fringes_and_a_far_one_is_flat(ifg: LicsarInterferogram) -> None:
    near = licsar_tile_features(ifg, QUAKE_LAT, QUAKE_LON)
    assert near.features.shape == (3, 32, 32) and near.features.dtype == np.float32
    assert near.covered_share == 1.0 and near.valid_share == 1.0
    cos, sin, gamma = near.features
    np.testing.assert_allclose(cos**2 + sin**2, 1.0, atol=1e-5)
    np.testing.assert_allclose(gamma, COHERENCE_U8 / 255, rtol=1e-5)
    assert near.pixel_count.min() >= 30  # ~ 5.8 x 7.3 pixels of 0.001° per 640 m cell at 37.8°N
    assert cos.std() > 0.4 and sin.std() > 0.4
    steps = np.abs(np.angle(np.exp(1j * np.diff(np.arctan2(sin, cos), axis=1))))
    assert steps.max() > 0.5  # a fringe every few cells

    far = licsar_tile_features(ifg, 37.62, 37.30)
    assert far.covered_share == 1.0
    np.testing.assert_allclose(far.features[0], 1.0, atol=1e-5)
    np.testing.assert_allclose(far.features[1], 0.0, atol=1e-3)


def test_phase_sign_follows_the_onboard_convention(ifg: LicsarInterferogram) -> None:
    # Cell (15, 15) of a tile centred on the peak: its centre is 320 m north and 320 m west of it.
    lat = QUAKE_LAT + 320.0 / METRES_PER_DEGREE
    lon = QUAKE_LON - 320.0 / (METRES_PER_DEGREE * math.cos(math.radians(QUAKE_LAT)))
    expected = float(wrap(4 * np.pi / WAVELENGTH_M * uplift_m(np.array(lat), np.array(lon))))
    onboard = licsar_tile_features(ifg, QUAKE_LAT, QUAKE_LON).features
    licsar = licsar_tile_features(ifg, QUAKE_LAT, QUAKE_LON, onboard_sign=False).features
    assert abs(wrap(np.arctan2(onboard[1, 15, 15], onboard[0, 15, 15]) - expected)) < 0.1
    np.testing.assert_array_equal(licsar[0], onboard[0])
    np.testing.assert_array_equal(licsar[1], -onboard[1])


def test_tile_half_off_the_raster_has_zero_cells_and_its_share(ifg: LicsarInterferogram) -> None:
    # Centred on the raster's west edge: the 16 western columns of cells hold no pixel centre.
    tile = licsar_tile_features(ifg, 37.7, WEST)
    assert tile.covered_share == 0.5 and tile.valid_share == 0.5
    assert not tile.features[:, :, :16].any()
    assert (tile.features[2, :, 16:] > 0).all()
    assert (tile.pixel_count[:, :16] == 0).all()


def test_cells_of_no_data_are_covered_but_not_valid(ifg: LicsarInterferogram) -> None:
    # Centred on the no-data block's south-east corner (lat 37.95, lon 36.8): one quarter no data,
    # and the tile's north rows past 38.0 off the raster.
    tile = licsar_tile_features(ifg, 37.95, 36.8)
    assert 0.0 < tile.valid_share < tile.covered_share < 1.0
    empty = tile.pixel_count == 0
    assert not tile.features[:, empty].any()
    assert tile.features[:, ~empty].any(axis=0).all()


def test_float_coherence_is_read_too(tmp_path: Path, ifg: LicsarInterferogram) -> None:
    _, coherence_u8 = licsar_rasters()
    folder = make_folder(tmp_path, coherence=coherence_u8.astype(np.float32) / 255)
    other = read_licsar_interferogram(folder)
    np.testing.assert_array_equal(np.isnan(other.coherence), np.isnan(ifg.coherence))
    np.testing.assert_allclose(other.coherence, ifg.coherence, rtol=1e-6)


def test_pixel_is_point_moves_the_grid_by_half_a_pixel(tmp_path: Path) -> None:
    folder = tmp_path / PAIR
    folder.mkdir()
    keys = (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 2, 2048, 0, 1, 4326)
    for name, values in ((f"{PAIR}.geo.diff_pha.tif", np.zeros((4, 5), np.float32)),
                         (f"{PAIR}.geo.cc.tif", np.full((4, 5), 255, np.uint8))):
        tifffile.imwrite(folder / name, values, extratags=geotags(west=10.0, north=20.0, keys=keys))
    ifg = read_licsar_interferogram(folder)
    assert (ifg.grid.lon0, ifg.grid.lat0) == (10.0, 20.0)
    assert ifg.frame is None and ifg.track is None
    assert np.isfinite(ifg.phase).all()  # phase 0 with coherence 1 is data


def test_missing_file_is_named(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / f"{PAIR}.geo.cc.tif").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"20230201_20230213\.geo\.cc\.tif"):
        read_licsar_interferogram(folder)
    with pytest.raises(DatasetNotFoundError, match="no such interferogram folder"):
        read_licsar_interferogram(tmp_path / "nowhere")


def test_mismatched_grids_are_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    _, coherence = licsar_rasters()
    write(folder / f"{PAIR}.geo.cc.tif", coherence, west=WEST + STEP)
    with pytest.raises(QuakeSetFormatError, match=r"geo\.cc\.tif: grid .* differs"):
        read_licsar_interferogram(folder)
    write(folder / f"{PAIR}.geo.cc.tif", coherence[:-1])
    with pytest.raises(QuakeSetFormatError, match="differs"):
        read_licsar_interferogram(folder)


@pytest.mark.parametrize(("name", "values", "tags", "message"), [
    ("cc", np.zeros((8, 8, 3), np.uint8), {}, "expected one 2-D band"),
    ("cc", np.zeros((8, 8), np.uint16), {}, "expected uint8"),
    ("diff_pha", np.full((8, 8), 5.0, np.float32), {}, "unwrapped"),
    ("diff_pha", np.zeros((8, 8), np.float32),
     {"keys": (1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32637)}, "projected grid"),
    ("diff_pha", np.zeros((8, 8), np.float32), {"keys": (1, 1, 0, 1, 2048, 0, 1, 4269)}, "EPSG:4269"),
    ("diff_pha", np.zeros((8, 8), np.float32), {"west": 500000.0, "north": 4200000.0, "step": 80.0}, "not degrees"),
])
def test_malformed_rasters_are_refused(tmp_path: Path, name: str, values: np.ndarray, tags: dict,
                                       message: str) -> None:
    folder = tmp_path / PAIR
    write(folder / f"{PAIR}.geo.diff_pha.tif", np.zeros((8, 8), np.float32))
    write(folder / f"{PAIR}.geo.cc.tif", np.full((8, 8), 200, np.uint8))
    target = folder / f"{PAIR}.geo.{name}.tif"
    target.unlink()
    tifffile.imwrite(target, values, extratags=geotags(**tags))
    with pytest.raises(QuakeSetFormatError, match=message) as raised:
        read_licsar_interferogram(folder)
    assert f"{PAIR}.geo.{name}.tif" in str(raised.value)


def test_tile_entirely_outside_and_bad_arguments(ifg: LicsarInterferogram) -> None:
    with pytest.raises(PreprocessError, match=f"outside interferogram {PAIR}"):
        licsar_tile_features(ifg, 10.0, 10.0)
    with pytest.raises(PreprocessError, match="outside"):
        licsar_tile_features(ifg, 37.7, WEST - 0.2)  # near, but no pixel in reach
    with pytest.raises(ConfigError):
        licsar_tile_features(ifg, 37.7, 37.0, footprint_m=0.0)
    with pytest.raises(ConfigError):
        licsar_tile_features(ifg, 37.7, 37.0, cells=0)


@pytest.mark.parametrize("cell", [(0, 0), (0, 31), (31, 0), (20, 7)])
def test_a_cell_averages_the_pixels_whose_centres_it_holds(ifg: LicsarInterferogram, cell: tuple[int, int]) -> None:
    # An independent count: row 0 northmost, columns eastward, 640 m cells around (37.75, 37.05).
    lat, lon, row, col = 37.75, 37.05, *cell
    cell_lat = 640.0 / METRES_PER_DEGREE
    cell_lon = cell_lat / math.cos(math.radians(lat))
    north_edge, west_edge = lat + (16 - row) * cell_lat, lon + (col - 16) * cell_lon
    lats, lons = centres()
    rows = (lats <= north_edge) & (lats > north_edge - cell_lat)
    cols = (lons >= west_edge) & (lons < west_edge + cell_lon)
    phase = -ifg.phase[np.ix_(rows, cols)].astype(np.float64)
    gamma = ifg.coherence[np.ix_(rows, cols)].astype(np.float64)
    phasor = np.sum(gamma * np.exp(1j * phase))
    tile = licsar_tile_features(ifg, lat, lon)
    assert tile.pixel_count[row, col] == rows.sum() * cols.sum()
    np.testing.assert_allclose(tile.features[:, row, col],
                               [phasor.real / abs(phasor), phasor.imag / abs(phasor), gamma.mean()], atol=1e-6)


# 4 x 6 float32 phase, 0.001° grid from (37.0 E, 38.0 N), DEFLATE + floating-point predictor in
# strips of 2 rows, written by tifffile 2026.3.3 with imagecodecs 2026.3.6 (as GDAL writes
# LiCSAR's phase): values 0.25 * arange(24) - 3, with [1, 2] set to 0.
REFERENCE_PHASE_TIF = (
    "SUkqAAgAAAARAAABBAABAAAABgAAAAEBBAABAAAABAAAAAIBAwABAAAAIAAAAAMBAwABAAAAsoAAAAYBAwABAAAAAQAAABEBBAACAAAA2gAA"
    "ABUBAwABAAAAAQAAABYBBAABAAAAAgAAABcBAwACAAAAJAAkABoBBQABAAAA4gAAABsBBQABAAAA6gAAACgBAwABAAAAAQAAAD0BAwABAAAA"
    "AwAAAFMBAwABAAAAAwAAAA6DDAADAAAA8gAAAIKEDAAGAAAACgEAAK+HAwAQAAAAOgEAAAAAAABgAQAAhAEAAAEAAAABAAAAAQAAAAEAAAD8"
    "qfHSTWJQP/yp8dJNYlA/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIBCQAAAAAAAAENAAAAAAAAAAAABAAEAAAADAAAE"
    "AAABAAIAAQQAAAEAAQAACAAAAQDmEAAAAAAAAHicO8AABP8bPwDBAwUGBNjP4Lif4T/TgwSHAw0NSOIAhxgNAXicY7BjZGBgONjQ4OCgkMCA"
    "APYMIPEGBQUBAYELSOIAmMgFAQ==")


def test_float_predictor_file_written_by_imagecodecs_is_decoded(tmp_path: Path) -> None:
    folder = tmp_path / PAIR
    folder.mkdir()
    (folder / f"{PAIR}.geo.diff_pha.tif").write_bytes(base64.b64decode(REFERENCE_PHASE_TIF))
    coherence = np.full((4, 6), 255, np.uint8)
    coherence[1, 2] = 0
    tifffile.imwrite(folder / f"{PAIR}.geo.cc.tif", coherence,
                     extratags=geotags(west=37.0, north=38.0, step=0.001))
    ifg = read_licsar_interferogram(folder)
    expected = np.arange(24, dtype=np.float32).reshape(4, 6) * np.float32(0.25) - np.float32(3.0)
    expected[1, 2] = np.nan
    np.testing.assert_array_equal(ifg.phase, expected)
    assert ifg.grid.lon0 == pytest.approx(37.0005) and ifg.grid.lat0 == pytest.approx(37.9995)
