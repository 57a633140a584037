"""Write a simulated ``earthquakes.h5`` in the published QuakeSet schema (docs/architecture.md).

Per event (:mod:`quakesat.simulator.events`): a magnitude like the published file's, a
hypocentre and rupture, intensity residuals, a region, acquisition dates, an event-level
split (70/15/15, stratified by magnitude), and a grid of patches around the catalogued
epicentre. Per patch: one static scene (:mod:`quakesat.simulator.sar_scene`), its shaking
(:mod:`quakesat.simulator.shaking`), the co-seismic change the published ground-failure and
damage models give for it (:mod:`quakesat.simulator.coseismic`), and three acquisitions —
``before`` and ``pre`` before the event, ``post`` after it — each with its own conditions
(:mod:`quakesat.simulator.conditions`: weather, season, human change, orbit track,
calibration), co-seismic change added to ``post`` only. Ground truth the simulator knows is
stored beside the images (``change_mask``, ``land_cover``, patch and event attributes) and
ignored by the reader.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from quakesat import __version__
from quakesat.data.parallel import default_workers, ordered_map
from quakesat.errors import DiskSpaceError, QuakesatError
from quakesat.files import atomic_output
from quakesat.simulator.conditions import sample_conditions
from quakesat.simulator.coseismic import CoseismicConfig, coseismic_change
from quakesat.simulator.events import (
    MAGNITUDE_RANGE,
    Event,
    acquisition_times,
    draw_event,
    draw_magnitudes,
    patch_grid,
)
from quakesat.simulator.imaging import render, render_db
from quakesat.simulator.sar_scene import PIXEL_SPACING_M, make_scene, nodata_border, speckle_and_noise
from quakesat.simulator.shaking import RESIDUAL_GRID, patch_shaking

#: Split shares at event level, as in QuakeSet.
SPLIT_SHARES = {"train": 0.70, "validation": 0.15, "test": 0.15}
METRES_PER_DEGREE = 111_320.0
#: Share of patches with a ``before`` image: 1,421 of the published file's 1,906 positive
#: pairs have a negative pair beside them.
BEFORE_SHARE = 0.75


class SimulationError(QuakesatError, ValueError):
    """A simulation option is out of its valid range."""


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that determines a simulated file (same config, same bytes of pixels).

    Attributes:
        events: number of earthquake events.
        seed: random seed.
        size: tile side in pixels (QuakeSet: 512); physics is in metres at 10 m pixels, so
            small tiles cover a small area.
        patches_per_event: fixed patch count, or None for the published file's layout
            (a 4 x 4 grid around the epicentre with cells missing: about 12 per event).
        identical_negative_share: share of patches whose ``before`` is a copy of ``pre``,
            emulating the artifact of the real file (docs/simulator.md, "The real file's shortcut, on demand").
        before_share: share of patches that have a ``before`` image at all.
        nodata_share: share of images with a no-data (NaN) border.
        magnitude_range: mb bounds of the events (default: the published file's range).
        coseismic: co-seismic model switches.
        slc: also write each patch's same-track complex images (``slc_pre``, ``slc_post`` and,
            beside a ``before``, ``slc_before``) and the co-seismic line-of-sight field
            (``los_coseismic``): docs/simulator.md, "Interferometric pairs". Drawn from a
            random stream of their own, so the amplitude images are the same bytes either way.
            They lie on a wider interferometric tile centred on the amplitude patch (next two).
        slc_side: side (pixels) of the interferometric tile, a multiple of 8 (the on-board
            multilook block); default 256.
        slc_footprint_m: ground side (m) of the interferometric tile; default 20,480 m, so
            80 m pixels by default (docs/simulator.md, "What the phase can show"). Its pixel
            spacing ``slc_footprint_m / slc_side`` is at least the amplitude pixel's (10 m).
    """

    events: int = 40
    seed: int = 0
    size: int = 512
    patches_per_event: int | None = None
    identical_negative_share: float = 0.0
    before_share: float = BEFORE_SHARE
    nodata_share: float = 0.15
    magnitude_range: tuple[float, float] = MAGNITUDE_RANGE
    coseismic: CoseismicConfig = field(default_factory=CoseismicConfig)
    slc: bool = False
    slc_side: int = 256
    slc_footprint_m: float = 20_480.0

    def __post_init__(self) -> None:
        if self.events < 1:
            raise SimulationError(f"events must be >= 1, got {self.events}")
        if not 16 <= self.size <= 4096:
            raise SimulationError(f"size must be within 16..4096 pixels, got {self.size}")
        if self.patches_per_event is not None and not 1 <= self.patches_per_event <= 64:
            raise SimulationError(f"patches per event must be within 1..64, got {self.patches_per_event}")
        for name in ("identical_negative_share", "before_share", "nodata_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise SimulationError(f"{name} must be within 0..1, got {value}")
        low, high = self.magnitude_range
        if not (MAGNITUDE_RANGE[0] <= low <= high <= MAGNITUDE_RANGE[1]):
            raise SimulationError(f"magnitude_range must lie within {MAGNITUDE_RANGE[0]}..{MAGNITUDE_RANGE[1]} mb "
                                  f"with low <= high, got {self.magnitude_range}")
        if not isinstance(self.slc_side, int) or isinstance(self.slc_side, bool) \
                or self.slc_side < 8 or self.slc_side % 8:
            raise SimulationError(f"slc_side must be a multiple of 8 and >= 8, got {self.slc_side}")
        if not (math.isfinite(self.slc_footprint_m) and self.slc_footprint_m > 0):
            raise SimulationError(f"slc_footprint_m must be finite and > 0, got {self.slc_footprint_m}")
        if self.slc_footprint_m / self.slc_side < PIXEL_SPACING_M:
            raise SimulationError(f"the interferometric pixel (slc_footprint_m / slc_side = "
                                  f"{self.slc_footprint_m / self.slc_side:g} m) must be at least the amplitude "
                                  f"pixel ({PIXEL_SPACING_M:g} m)")


def split_counts(n: int) -> dict[str, int]:
    """Events per split for ``n`` events: the :data:`SPLIT_SHARES` rounded, every split
    non-empty from three events on, and the remainder in ``train``."""
    counts = {name: int(round(share * n)) for name, share in SPLIT_SHARES.items() if name != "train"}
    if n >= 3:
        counts = {name: max(1, count) for name, count in counts.items()}
    counts = {"train": n - sum(counts.values()), **counts}
    return counts


def assign_splits(magnitudes: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Event-level splits with the counts of :func:`split_counts`, stratified by magnitude.

    Events are walked in magnitude order and each goes to the split furthest behind its
    pro-rata quota (among splits not yet full), so every magnitude range is spread over
    the three splits; ties are broken at random.
    """
    n = len(magnitudes)
    counts = split_counts(n)
    names = list(counts)
    quota = np.array([counts[name] for name in names], dtype=float)
    order = np.lexsort((rng.random(n), magnitudes))
    given = np.zeros(len(names))
    splits = [""] * n
    for rank, index in enumerate(order):
        behind = quota * (rank + 1) / n - given + 1e-9 * rng.random(len(names))
        behind[given >= quota] = -np.inf
        choice = int(np.argmax(behind))
        given[choice] += 1
        splits[index] = names[choice]
    return splits


def _draw_event_ids(rng: np.random.Generator, n: int) -> list[str]:
    """Distinct ISC-like numeric event ids (strings of nine digits)."""
    ids: set[int] = set()
    while len(ids) < n:
        ids.update(int(v) for v in rng.integers(600_000_000, 700_000_000, size=n - len(ids)))
    ordered = sorted(ids)
    rng.shuffle(ordered)
    return [str(v) for v in ordered]


def _day_of_year(timestamp: int) -> int:
    return datetime.fromtimestamp(timestamp, tz=UTC).timetuple().tm_yday


@dataclass(frozen=True)
class _PatchJob:
    """Everything one patch's pixels depend on; its random stream is seeded by
    (seed, event index, patch index), so the bytes do not depend on the worker count."""

    config: SimulationConfig
    event_index: int
    patch_index: int
    event: Event
    offset_m: tuple[float, float]  # patch centre (north, east) of the catalogued epicentre
    times: dict[str, int]


#: HDF5 storage of datasets that need more than the default: the co-seismic LOS field (m) kept
#: to 1e-5 m (0.01 mm, a 2,800th of a fringe) and compressed, a few per cent of its raw bytes.
_STORAGE: dict[str, dict[str, Any]] = {"los_coseismic": {"scaleoffset": 5, "compression": "gzip"}}
#: Stream tags beside (seed, event, patch): the interferometric draws never touch the amplitude stream.
_SLC_STREAM, _MECHANISM_STREAM = 1, 2


def _run_patch_job(job: _PatchJob) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    rng = np.random.default_rng([job.config.seed, job.event_index, job.patch_index])
    slc = None
    if job.config.slc:
        slc = (np.random.default_rng([job.config.seed, job.event_index, job.patch_index, _SLC_STREAM]),
               np.random.default_rng([job.config.seed, job.event_index, _MECHANISM_STREAM]))  # one rake per event
    return _simulate_patch(rng, job.config, job.event, job.offset_m, job.times, slc)


def _pixel_positions(size: int, centre_m: tuple[float, float], points: int) -> tuple[np.ndarray, np.ndarray]:
    """(north, east) metres of a ``points x points`` grid over a patch centred at ``centre_m``
    (row 0 northmost; pixel centres when ``points == size``)."""
    step = size / points
    offsets = (np.arange(points) + 0.5) * step - size / 2.0
    north = centre_m[0] - offsets[:, None] * PIXEL_SPACING_M + np.zeros((1, points))
    east = centre_m[1] + offsets[None, :] * PIXEL_SPACING_M + np.zeros((points, 1))
    return north, east


def _simulate_patch(rng: np.random.Generator, config: SimulationConfig, event: Event, offset_m: tuple[float, float],
                    times: dict[str, int], slc: tuple[np.random.Generator, np.random.Generator] | None = None
                    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Images, ground truth and attributes of one patch centred ``offset_m`` from the catalogued
    epicentre; with ``slc`` (the patch's and the event's interferometric streams), its complex
    images too."""
    size = config.size
    scene = make_scene(rng, size, event.region)
    # Positions from the true epicentre, which lies the catalogue error away from the catalogued one.
    centre = (offset_m[0] - event.location_error_m[0], offset_m[1] - event.location_error_m[1])
    north_m, east_m = _pixel_positions(size, centre, size)
    shaking = patch_shaking(event.rupture, event.residuals, north_m, east_m,
                            *_pixel_positions(size, centre, min(RESIDUAL_GRID, size)))
    change_db, damage, stats = coseismic_change(rng, scene, shaking, config.coseismic)

    has_before = rng.random() < config.before_share
    identical = has_before and rng.random() < config.identical_negative_share
    names = ["before", "pre", "post"] if has_before else ["pre", "post"]
    images: dict[str, np.ndarray] = {}
    geometry: dict[str, Any] = {}
    changes: dict[str, tuple[str, ...]] = {}
    conditions, previous_time = None, None
    for name in names:
        if name == "before" and identical:
            continue  # written as a copy of pre below
        days = 12.0 if previous_time is None else (times[name] - previous_time) / 86_400.0
        conditions = sample_conditions(rng, scene, _day_of_year(times[name]), conditions, days)
        previous_time = times[name]
        changes[name] = conditions.events
        geometry[name] = conditions.geometry
        db = render_db(scene, conditions, change_db if name == "post" else None)
        image = speckle_and_noise(rng, db)  # imaging.render, with the noise-free dB kept for the complex images
        if rng.random() < config.nodata_share:
            image[nodata_border(rng, size)] = np.nan
        images[name] = image
    if identical:
        images["before"] = images["pre"].copy()
    images = {name: images[name] for name in names}
    images["change_mask"] = damage
    images["land_cover"] = scene.land_cover
    half = (size - 1) / 2.0
    epicenter_rc = (half + centre[0] / PIXEL_SPACING_M, half - centre[1] / PIXEL_SPACING_M)
    attrs: dict[str, Any] = {
        "pixel_spacing_m": PIXEL_SPACING_M,
        "units": "linear",
        "epicenter_row": float(epicenter_rc[0]),
        "epicenter_col": float(epicenter_rc[1]),
        "epicenter_in_patch": bool(0 <= epicenter_rc[0] < size and 0 <= epicenter_rc[1] < size),
        "distance_km": float(math.hypot(*centre) / 1000.0),
        "rupture_distance_km": float(shaking.rupture_km.min()),
        "max_mmi": float(shaking.mmi.max()),
        "mean_mmi": float(shaking.mmi.mean()),
        "max_pga_g": float(shaking.pga_g.max()),
        "max_pgv_cm_s": float(shaking.pgv_cm_s.max()),
        "damaged_fraction": float(np.count_nonzero(damage) / damage.size),
        "identical_before": bool(identical),
        "changes_pre_post": ",".join(changes.get("post", ())),
        **{f"{key}": value for key, value in stats.items()},
        **{f"time_{name}": times[name] for name in names},
        **{f"look_east_{name}": geometry[name].look_east for name in geometry},
        **{f"incidence_deg_{name}": round(geometry[name].incidence_deg, 3) for name in geometry},
    }
    if np.any(damage):
        rows, cols = np.nonzero(damage)
        attrs["damage_centroid_row"] = float(rows.mean())
        attrs["damage_centroid_col"] = float(cols.mean())
    if has_before and not identical:
        attrs["changes_before_pre"] = ",".join(changes["pre"])
    if slc is not None:
        # The amplitude copy of an identical ``before`` stands for a repeated file, not an acquisition: no phase.
        acquired = [name for name in names if not (name == "before" and identical)]
        _add_slc(slc, config, event, damage, centre, acquired, times, images, attrs)
    return images, attrs


def _overlap_weights(side: int, pixel_m: float, fine_side: int, fine_pixel_m: float) -> np.ndarray:
    """``side x fine_side`` share of each pixel of a ``side``-pixel axis (spacing ``pixel_m``)
    covered by each pixel of a ``fine_side``-pixel axis (spacing ``fine_pixel_m``), both axes
    centred on the same point."""
    edges = (np.arange(side + 1) - side / 2.0) * pixel_m
    fine_edges = (np.arange(fine_side + 1) - fine_side / 2.0) * fine_pixel_m
    low = np.maximum(edges[:-1, None], fine_edges[None, :-1])
    high = np.minimum(edges[1:, None], fine_edges[None, 1:])
    return np.clip(high - low, 0.0, None) / pixel_m


def damage_share(damage: np.ndarray, side: int, pixel_m: float, damage_pixel_m: float = PIXEL_SPACING_M
                 ) -> np.ndarray:
    """The damaged share of each pixel of a ``side x side`` grid at ``pixel_m`` spacing centred on
    the ``damage`` mask's centre (non-zero: damaged; ``damage_pixel_m`` spacing): the area-weighted
    mean of ``damage != 0`` over each coarse pixel (a block mean when the spacings divide),
    counting ground outside the mask as undamaged. Float64 in [0, 1]."""
    rows = _overlap_weights(side, pixel_m, damage.shape[0], damage_pixel_m)
    cols = _overlap_weights(side, pixel_m, damage.shape[1], damage_pixel_m)
    return np.clip(rows @ (damage != 0).astype(np.float64) @ cols.T, 0.0, 1.0)


def grid_pixel(point_m: tuple[float, float], centre_m: tuple[float, float], side: int,
               pixel_m: float) -> tuple[float, float]:
    """(row, col), fractional, of the point ``point_m`` (north, east of the true epicentre, m) on
    the grid of :func:`~quakesat.simulator.insar.study.patch_positions` centred at ``centre_m``."""
    return (float((centre_m[0] - point_m[0]) / pixel_m + (side - 1) / 2.0),
            float((point_m[1] - centre_m[1]) / pixel_m + (side - 1) / 2.0))


def _add_slc(streams: tuple[np.random.Generator, np.random.Generator], config: SimulationConfig, event: Event,
             damage: np.ndarray, centre: tuple[float, float], acquired: list[str], times: dict[str, int],
             images: dict[str, np.ndarray], attrs: dict[str, Any]) -> None:
    """The complex images of the interferometric tile around the patch and their truth
    (:mod:`quakesat.simulator.insar.pair`) into ``images`` and ``attrs``.

    The tile is ``config.slc_side`` pixels at ``config.slc_footprint_m / config.slc_side``,
    centred on the amplitude patch (``centre``: from the true epicentre). Its scene is drawn
    from the patch's interferometric stream at that side, land cover and elevation reused at the
    wide spacing (as in :mod:`quakesat.simulator.insar.study`); backscatter is that scene's
    noise-free VV, the same for every date, with no weather and no no-data border. Damage is the
    amplitude patch's, as a damaged share per wide pixel, in the tile's centre and zero around it:
    it is simulated inside the amplitude patch only.
    """
    from quakesat.simulator.insar.dislocation import FaultSource, draw_rake
    from quakesat.simulator.insar.geometry import WAVELENGTH_M
    from quakesat.simulator.insar.pair import simulate_slc_images
    from quakesat.simulator.insar.study import patch_positions

    patch_rng, event_rng = streams
    side, footprint = config.slc_side, float(config.slc_footprint_m)
    pixel_m = footprint / side
    source = FaultSource.from_rupture(event.rupture, draw_rake(event_rng))
    scene = make_scene(patch_rng, side, event.region)
    sigma0 = 10.0 ** (scene.base_db[..., 0] / 10.0)
    north_m, east_m = patch_positions(side, pixel_m, centre)
    share = damage_share(damage, side, pixel_m)
    gaps = {"event": (times["post"] - times["pre"]) / 86_400.0}
    if "before" in acquired:
        gaps["quiet"] = (times["pre"] - times["before"]) / 86_400.0
    made = simulate_slc_images(patch_rng, land_cover=scene.land_cover, elevation_m=scene.elevation, damage=share,
                               sigma0={name: sigma0 for name in acquired}, north_m=north_m, east_m=east_m,
                               pixel_m=pixel_m, gaps_days=gaps, source=source,
                               day_of_year=_day_of_year(times["post"]))
    for name, image in made.images.items():
        images[f"slc_{name}"] = image
    event_pair = made.pairs["event"]
    images["los_coseismic"] = event_pair.coseismic_los_m
    attrs.update({
        "slc_pass": made.track.pass_direction, "slc_heading_deg": made.track.heading_deg,
        "slc_incidence_deg": round(made.track.incidence_deg, 3), "slc_wavelength_m": WAVELENGTH_M,
        "slc_rake_deg": round(source.rake_deg, 2), "slc_gap_days": event_pair.gap_days,
        "slc_coseismic_fringes": round(event_pair.coseismic_fringes, 4),
        "slc_nonseismic": ",".join(event_pair.nonseismic_kinds),
        "slc_pixel_spacing_m": pixel_m, "slc_footprint_m": footprint, "slc_side": side,
        "slc_damaged_share": float(share.mean()),
        # the surface projection of the rupture's centroid (the source is placed from the true
        # epicentre, as the pixel positions are) on the tile's pixel grid: where an
        # interferometric alert should point
        **dict(zip(("slc_centroid_row", "slc_centroid_col"),
                   grid_pixel((source.north_m, source.east_m), centre, side, pixel_m))),
    })
    if "quiet" in made.pairs:
        attrs["slc_gap_days_before"] = made.pairs["quiet"].gap_days
        attrs["slc_nonseismic_before"] = ",".join(made.pairs["quiet"].nonseismic_kinds)


def _event_attrs(event: Event, split: str) -> dict[str, Any]:
    rupture, region = event.rupture, event.region
    true_lat = event.latitude + event.location_error_m[0] / METRES_PER_DEGREE
    true_lon = event.longitude + event.location_error_m[1] / (
        METRES_PER_DEGREE * max(math.cos(math.radians(event.latitude)), 1e-6))
    return {
        "magnitude": event.magnitude, "split": split, "latitude": event.latitude, "longitude": event.longitude,
        "depth": rupture.depth_km, "hypocenter": np.array([event.latitude, event.longitude, rupture.depth_km]),
        "time": event.time, "mw": round(rupture.mw, 3), "rupture_length_km": round(rupture.length_km, 3),
        "rupture_width_km": round(rupture.width_km, 3), "strike_deg": round(rupture.strike_deg, 2),
        "dip_deg": round(rupture.dip_deg, 2), "true_latitude": true_lat, "true_longitude": true_lon,
        "repeat_days": event.repeat_days, "between_event_residual": round(event.residuals.between, 4),
        "region": json.dumps(asdict(region)),
    }


#: Free space kept beyond a file's estimated size (HDF5 metadata, the file system's own needs).
DISK_MARGIN_BYTES = 64 * 2**20


def check_disk_space(folder: Path, needed_bytes: int, what: Path, free_bytes: int | None = None) -> None:
    """Refuse, before anything is written, a file of about ``needed_bytes`` that ``folder``'s
    file system has no room for (a full disk in the middle of an HDF5 write can crash the
    process rather than raise).

    Raises:
        DiskSpaceError: one line with both sizes.
    """
    free = shutil.disk_usage(folder).free if free_bytes is None else free_bytes
    if needed_bytes + DISK_MARGIN_BYTES > free:
        raise DiskSpaceError(f"{what}: not enough free disk space: the file needs about {needed_bytes / 1e9:.2f} GB "
                             f"and {free / 1e9:.2f} GB is free; free some space or write elsewhere")


def simulate_file(path: str | Path, config: SimulationConfig = SimulationConfig(), progress: bool = True,
                  workers: int | None = None) -> dict[str, Any]:
    """Simulate ``config.events`` earthquakes and write them to ``path`` (overwritten).

    Event-level draws (magnitude, split, event, patch grid, times) come from one stream
    seeded by ``config.seed``; each patch's pixels from a stream seeded by (seed, event,
    patch). The file is therefore the same for any ``workers``.

    Args:
        path: output HDF5 file.
        config: what to simulate.
        progress: show a progress bar on stderr.
        workers: processes rendering patches (None: :func:`default_workers`).

    Returns:
        A JSON-serialisable summary: file, events, patches, splits, workers, seconds.
    """
    import h5py
    from tqdm import tqdm

    started = time.perf_counter()
    workers = default_workers() if workers is None else max(1, int(workers))
    rng = np.random.default_rng(config.seed)
    magnitudes = draw_magnitudes(rng, config.events, tuple(config.magnitude_range))
    splits = assign_splits(magnitudes, rng)
    event_ids = _draw_event_ids(rng, config.events)
    events: list[dict[str, Any]] = []
    jobs: list[_PatchJob] = []
    for index in range(config.events):
        event = draw_event(rng, float(magnitudes[index]))
        grid = patch_grid(rng, config.size, config.patches_per_event)
        for p, (_, _, offset) in enumerate(grid):
            jobs.append(_PatchJob(config, index, p, event, offset, acquisition_times(rng, event)))
        events.append({"id": event_ids[index], "event": event, "grid": grid,
                       "attrs": _event_attrs(event, splits[index])})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    split_counts = {name: 0 for name in SPLIT_SHARES}
    results = ordered_map(_run_patch_job, jobs, workers)
    first = next(results, None)
    if first is not None:  # the first patch's arrays size the whole file
        try:
            check_disk_space(path.parent, sum(array.nbytes for array in first[0].values()) * len(jobs), path)
        except DiskSpaceError:
            results.close()
            raise
        results = itertools.chain([first], results)
    # Written beside the target and renamed when complete: an interrupted run leaves no half file.
    with atomic_output(path) as partial, h5py.File(partial, "w") as h5, \
            tqdm(total=len(jobs), desc="simulate", unit="patch", disable=not progress) as bar:
        h5.attrs["simulator"] = f"quakesat {__version__}"
        h5.attrs["simulation_config"] = json.dumps(asdict(config))
        for entry in events:
            group = h5.create_group(entry["id"])
            group.attrs.update(entry["attrs"])
            split_counts[entry["attrs"]["split"]] += 1
            lat, lon = entry["event"].latitude, entry["event"].longitude
            centres: list[tuple[float, float]] = []
            for p, (row, col, offset) in enumerate(entry["grid"]):
                images, attrs = next(results)
                patch = group.create_group(f"patch_{p}")
                for name, array in images.items():
                    patch.create_dataset(name, data=array, chunks=array.shape if array.ndim == 3 else None,
                                         **_STORAGE.get(name, {}))
                attrs["center_lat"] = lat + offset[0] / METRES_PER_DEGREE
                attrs["center_lon"] = lon + offset[1] / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6))
                attrs["grid_row"], attrs["grid_col"] = row, col
                centres.append((attrs["center_lat"], attrs["center_lon"]))
                patch.attrs.update(attrs)
                bar.update()
            # Like the real file: x / y datasets beside the patches, here one value per patch
            # (its centre's longitude / latitude), as data/georef.py reads them.
            group.create_dataset("x", data=np.array([c[1] for c in centres], dtype=np.float64))
            group.create_dataset("y", data=np.array([c[0] for c in centres], dtype=np.float64))
    return {
        "file": str(path),
        "events": config.events,
        "patches": len(jobs),
        "splits": split_counts,
        "workers": workers,
        "seconds": round(time.perf_counter() - started, 2),
    }


# ─── single pairs, for the mission simulation ───────────────────────────────────────────
def simulate_event_pair(rng: np.random.Generator, size: int, event: Event, offset_m: tuple[float, float],
                        pre_time: int, post_time: int) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """One (pre, post) pair ``offset_m`` (north, east) from ``event``'s epicentre, with the
    same physics as a file's patches (shaking, ground failure, damage, conditions), no
    no-data border: (pre, post, attributes such as ``damaged_fraction`` and ``max_mmi``)."""
    config = SimulationConfig(events=1, size=size, before_share=0.0, nodata_share=0.0)
    images, attrs = _simulate_patch(rng, config, event, offset_m, {"pre": int(pre_time), "post": int(post_time)})
    return images["pre"], images["post"], attrs


def simulate_quiet_pair(rng: np.random.Generator, size: int, latitude: float, pre_time: int, post_time: int,
                        changed: bool) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """An event-free (pre, post) pair of a landscape drawn for ``latitude``: ``changed`` draws
    the second acquisition's own conditions (moisture, crops, construction, floods, snow,
    orbit track), else both share one set of conditions and differ by speckle only. Returns
    (pre, post, the changes between them)."""
    from quakesat.simulator.events import draw_region

    scene = make_scene(rng, size, draw_region(rng, float(latitude)))
    first = sample_conditions(rng, scene, _day_of_year(int(pre_time)))
    second = first
    if changed:
        second = sample_conditions(rng, scene, _day_of_year(int(post_time)), first, (post_time - pre_time) / 86_400.0)
    pre = render(rng, scene, first, None)
    post = render(rng, scene, second, None)
    return pre, post, tuple(second.events) if changed else ()
