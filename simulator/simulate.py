"""Write a simulated ``earthquakes.h5`` in the published QuakeSet schema (docs/architecture.md).

Per event: a magnitude like the paper's, a hypocentre, an event-level split (70/15/15,
stratified by magnitude), and 1–4 patches around the epicentre. Per patch: one static scene
(:mod:`quakesat.simulator.sar_scene`), three acquisitions — ``before`` and ``pre`` before the
event, ``post`` after it — each with its own weather and season, and co-seismic damage
(:mod:`quakesat.simulator.coseismic`) added to ``post`` only. Ground truth the simulator knows
is stored beside the images (``change_mask``, ``land_cover``, patch attributes) and ignored
by the reader.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from quakesat import __version__
from quakesat.data.parallel import default_workers, ordered_map
from quakesat.errors import QuakesatError
from quakesat.files import atomic_output
from quakesat.simulator.coseismic import CoseismicConfig, coseismic_change
from quakesat.simulator.sar_scene import (
    PIXEL_SPACING_M,
    make_scene,
    nodata_border,
    render,
    sample_conditions,
)

#: Magnitude distribution of QuakeSet events (mb > 4, about N(5.64, 0.44); the QuakeSet paper).
MAGNITUDE_MEAN = 5.64
MAGNITUDE_STD = 0.44
MAGNITUDE_MIN = 4.0
#: Split shares at event level, as in QuakeSet.
SPLIT_SHARES = {"train": 0.70, "validation": 0.15, "test": 0.15}
#: Sentinel-1 repeat cycle (days) with one satellite; acquisitions fall on multiples of it.
REPEAT_DAYS = 12
SECONDS_PER_DAY = 86_400
METRES_PER_DEGREE = 111_320.0


class SimulationError(QuakesatError, ValueError):
    """A simulation option is out of its valid range."""


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that determines a simulated file (same config, same bytes of pixels).

    Attributes:
        events: number of earthquake events.
        seed: random seed.
        size: tile side in pixels (QuakeSet: 512).
        patches_per_event: fixed patch count, or None for 1–4 drawn per event.
        identical_negative_share: share of patches whose ``before`` is a copy of ``pre``,
            emulating the artifact of the real file (docs/simulator.md, "The real file's shortcut, on demand").
        before_share: share of patches that have a ``before`` image at all.
        nodata_share: share of images with a no-data (NaN) border.
        max_offset_km: largest distance of a patch centre from the epicentre.
        coseismic: damage model knobs.
    """

    events: int = 40
    seed: int = 0
    size: int = 512
    patches_per_event: int | None = None
    identical_negative_share: float = 0.0
    before_share: float = 0.9
    nodata_share: float = 0.15
    max_offset_km: float = 4.0
    coseismic: CoseismicConfig = field(default_factory=CoseismicConfig)

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


def _draw_magnitudes(rng: np.random.Generator, n: int) -> np.ndarray:
    """mb values rounded to 0.1 as catalogues give them, all strictly above MAGNITUDE_MIN."""
    values = np.round(rng.normal(MAGNITUDE_MEAN, MAGNITUDE_STD, size=n), 1)
    while (low := values <= MAGNITUDE_MIN).any():
        values[low] = np.round(rng.normal(MAGNITUDE_MEAN, MAGNITUDE_STD, size=int(low.sum())), 1)
    return values


def _draw_event_ids(rng: np.random.Generator, n: int) -> list[str]:
    """Distinct ISC-like numeric event ids (strings of nine digits)."""
    ids: set[int] = set()
    while len(ids) < n:
        ids.update(int(v) for v in rng.integers(600_000_000, 700_000_000, size=n - len(ids)))
    ordered = sorted(ids)
    rng.shuffle(ordered)
    return [str(v) for v in ordered]


@dataclass(frozen=True)
class _PatchJob:
    """Everything one patch's pixels depend on; its random stream is seeded by
    (seed, event index, patch index), so the bytes do not depend on the worker count."""

    config: SimulationConfig
    event_index: int
    patch_index: int
    magnitude: float
    depth_km: float
    offset_m: tuple[float, float]
    times: dict[str, int]


def _run_patch_job(job: _PatchJob) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    rng = np.random.default_rng([job.config.seed, job.event_index, job.patch_index])
    return _simulate_patch(rng, job.config, job.magnitude, job.depth_km, job.offset_m, job.times)


def _simulate_patch(
    rng: np.random.Generator, config: SimulationConfig, magnitude: float, depth_km: float,
    offset_m: tuple[float, float], times: dict[str, int],
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Images, ground truth and attributes of one patch centred ``offset_m`` from the epicentre."""
    size = config.size
    scene = make_scene(rng, size)
    # Epicentre in patch pixels: the patch centre is offset (north, east) from it.
    centre = (size - 1) / 2.0
    epicenter_rc = (centre + offset_m[0] / PIXEL_SPACING_M, centre - offset_m[1] / PIXEL_SPACING_M)
    change_db, damage, mmi = coseismic_change(rng, scene, epicenter_rc, depth_km, magnitude, config.coseismic)

    has_before = rng.random() < config.before_share
    identical = has_before and rng.random() < config.identical_negative_share
    names = ["before", "pre", "post"] if has_before else ["pre", "post"]
    images: dict[str, np.ndarray] = {}
    conditions = None
    for name in names:
        if name == "before" and identical:
            continue  # written as a copy of pre below
        conditions = sample_conditions(rng, scene, conditions)
        image = render(rng, scene, conditions, change_db if name == "post" else None)
        if rng.random() < config.nodata_share:
            image[nodata_border(rng, size)] = np.nan
        images[name] = image
    if identical:
        images["before"] = images["pre"].copy()
    images = {name: images[name] for name in names}
    images["change_mask"] = damage
    images["land_cover"] = scene.land_cover
    attrs = {
        "pixel_spacing_m": PIXEL_SPACING_M,
        "units": "linear",
        "epicenter_row": float(epicenter_rc[0]),
        "epicenter_col": float(epicenter_rc[1]),
        "epicenter_in_patch": bool(0 <= epicenter_rc[0] < size and 0 <= epicenter_rc[1] < size),
        "max_mmi": float(mmi.max()),
        "damaged_fraction": float(np.count_nonzero(damage) / damage.size),
        "identical_before": bool(identical),
        **{f"time_{name}": times[name] for name in names},
    }
    return images, attrs


def simulate_file(path: str | Path, config: SimulationConfig = SimulationConfig(), progress: bool = True,
                  workers: int | None = None) -> dict[str, Any]:
    """Simulate ``config.events`` earthquakes and write them to ``path`` (overwritten).

    Event-level draws (magnitude, split, place, time, patch offsets) come from one stream
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
    magnitudes = _draw_magnitudes(rng, config.events)
    splits = assign_splits(magnitudes, rng)
    event_ids = _draw_event_ids(rng, config.events)
    events: list[dict[str, Any]] = []
    jobs: list[_PatchJob] = []
    for index in range(config.events):
        magnitude = float(magnitudes[index])
        depth_km = float(np.clip(rng.lognormal(np.log(10.0), 0.5), 2.0, 50.0))
        lat = float(rng.uniform(-55.0, 65.0))
        lon = float(rng.uniform(-180.0, 180.0))
        event_time = int(rng.integers(1_420_070_400, 1_704_067_200))  # 2015 .. 2023 UTC
        count = config.patches_per_event or int(rng.integers(1, 5))
        offsets = []
        for p in range(count):
            distance = config.max_offset_km * 1000.0 * math.sqrt(rng.random())
            azimuth = rng.uniform(0.0, 2.0 * math.pi)
            offset = (distance * math.cos(azimuth), distance * math.sin(azimuth))  # (north, east) m
            offsets.append(offset)
            pre = event_time - int(rng.integers(1, REPEAT_DAYS + 1)) * SECONDS_PER_DAY
            times = {
                "before": pre - REPEAT_DAYS * int(rng.integers(1, 4)) * SECONDS_PER_DAY,
                "pre": pre,
                "post": event_time + int(rng.integers(1, REPEAT_DAYS + 1)) * SECONDS_PER_DAY,
            }
            jobs.append(_PatchJob(config, index, p, magnitude, depth_km, offset, times))
        events.append({"id": event_ids[index], "lat": lat, "lon": lon, "offsets": offsets, "attrs": {
            "magnitude": magnitude, "split": splits[index], "latitude": lat, "longitude": lon,
            "depth": depth_km, "hypocenter": np.array([lat, lon, depth_km]), "time": event_time,
        }})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    split_counts = {name: 0 for name in SPLIT_SHARES}
    results = ordered_map(_run_patch_job, jobs, workers)
    # Written beside the target and renamed when complete: an interrupted run leaves no half file.
    with atomic_output(path) as partial, h5py.File(partial, "w") as h5, \
            tqdm(total=len(jobs), desc="simulate", unit="patch", disable=not progress) as bar:
        h5.attrs["simulator"] = f"quakesat {__version__}"
        h5.attrs["simulation_config"] = json.dumps(asdict(config))
        for event in events:
            group = h5.create_group(event["id"])
            group.attrs.update(event["attrs"])
            split_counts[event["attrs"]["split"]] += 1
            lat, lon = event["lat"], event["lon"]
            for p, offset in enumerate(event["offsets"]):
                images, attrs = next(results)
                patch = group.create_group(f"patch_{p}")
                for name, array in images.items():
                    patch.create_dataset(name, data=array, chunks=array.shape if array.ndim == 3 else None)
                attrs["center_lat"] = lat + offset[0] / METRES_PER_DEGREE
                attrs["center_lon"] = lon + offset[1] / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6))
                patch.attrs.update(attrs)
                bar.update()
            # Like the real file: x / y datasets beside the patches (here: patch-centre
            # offsets east / north of the epicentre, metres).
            group.create_dataset("x", data=np.array([o[1] for o in event["offsets"]]))
            group.create_dataset("y", data=np.array([o[0] for o in event["offsets"]]))
    return {
        "file": str(path),
        "events": config.events,
        "patches": len(jobs),
        "splits": split_counts,
        "workers": workers,
        "seconds": round(time.perf_counter() - started, 2),
    }
