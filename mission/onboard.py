"""On board: every simulated tile through the real flight runtime, then the onboard queue's
view of a whole day of tiles.

:class:`PythonProcessor` runs tiles through :class:`~quakesat.runtime.flight.FlightRuntime`;
:class:`CppProcessor` writes them as a tile list and runs ``build/native/quakesat-runner``
(a queue that holds the whole batch, no health report but the final one), whose messages the
ground decoder reads back and puts in tile order by their sequence counts. Either way each
tile's report is the runtime's, byte for byte, save its packet sequence count. Both fly the
tile kind the model's manifest declares (``input.kind``: amplitude pairs, or same-track complex
pairs from :mod:`quakesat.mission.same_track_tiles`); :attr:`ModelInfo.kind` says which, and a
tile of the other kind is a :class:`~quakesat.errors.ConfigError`, not a run of
``WRONG_KIND`` reports.

The survey processes far more event-free tiles than can be simulated (about 65 tiles a
second of recording). Those beyond the simulated sample are *not* run: each takes the
outcome of a simulated event-free tile, drawn at random (a bootstrap), with its own id, time
and place, and only the ones that would enter the queue (all of them under ``emit = "all"``)
become messages. The report says how many tiles were run and how many drawn. Sequence counts
are given by the onboard segment, in the order messages reach the queue, so the downlinked
stream numbers its packets the way one processor running all the tiles would.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from quakesat.errors import ConfigError
from quakesat.mission.tiles import SimulatedTile
from quakesat.runtime.flight import FlightRuntime, RuntimeConfig, emits
from quakesat.runtime.message import SEQ_COUNT_MAX, HealthReport, TileReport
from quakesat.runtime.tile import AMPLITUDE, DEFAULT_PIXEL_SPACING_M, SAME_TRACK, SAME_TRACK_PIXEL_SPACING_M

ReportT = TypeVar("ReportT", TileReport, HealthReport)

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "build" / "native" / "quakesat-runner"


@dataclass(frozen=True)
class ModelInfo:
    """What the mission needs to know of the model that flies.

    ``kind`` is the tile kind it takes (the manifest's ``input.kind``): ``amplitude`` (the
    mission simulates :func:`~quakesat.mission.tiles.simulate_tiles` pairs of 10 m pixels) or
    ``same_track`` (complex pairs of 80 m pixels); ``pixel_spacing_m`` that kind's pixel, so
    that a tile is ``raw_side * pixel_spacing_m`` on the ground (:attr:`tile_km`)."""

    artifacts: str
    artifact: str
    model_id: int
    raw_side: int
    runtime: str
    kind: str = AMPLITUDE
    pixel_spacing_m: float = DEFAULT_PIXEL_SPACING_M

    @property
    def tile_km(self) -> float:
        """Side of a tile on the ground, km."""
        return self.raw_side * self.pixel_spacing_m / 1000.0


def pixel_spacing_m(kind: str) -> float:
    """The pixel spacing of the mission's tiles of ``kind``: 10 m amplitude (Sentinel-1 IW
    GRD, QuakeSet), 80 m same-track (the interferometric models' tiles)."""
    return SAME_TRACK_PIXEL_SPACING_M if kind == SAME_TRACK else DEFAULT_PIXEL_SPACING_M


def _model_info(artifacts: str | Path, artifact: str, model_id: int, raw_side: int, runtime: str,
                kind: str) -> ModelInfo:
    return ModelInfo(str(artifacts), artifact, model_id, raw_side, runtime, kind, pixel_spacing_m(kind))


def _checked(simulated: SimulatedTile, info: ModelInfo) -> SimulatedTile:
    """``simulated``, if it is a tile of the kind the model takes; a ConfigError otherwise."""
    kind = simulated.tile.kind
    if kind != info.kind:
        raise ConfigError(f"tile {simulated.plan.tile_id} is a {kind} pair, but the model {info.artifact} of "
                          f"{info.artifacts} takes {info.kind} pairs (its manifest's input.kind): simulate the "
                          f"mission's tiles as the model's kind (simulate_tiles(..., kind={info.kind!r}))")
    return simulated


class PythonProcessor:
    """Tiles through the Python flight runtime (one process, one backend session)."""

    def __init__(self, artifacts: str | Path, artifact: str | None, gate: str) -> None:
        self.runtime = FlightRuntime.open(artifacts, artifact or None,
                                          RuntimeConfig(gate=gate, health_every=0, queue_capacity=1))
        if self.runtime.model is None:
            fault = self.runtime.fault
            raise ConfigError(f"the mission's model cannot be used: {fault.detail if fault else 'no model'}")
        self.info = _model_info(artifacts, self.runtime.model.artifact.name, self.runtime.model_id,
                                int(self.runtime.side or 0), "python", self.runtime.input_kind)

    def run(self, tiles: Iterable[SimulatedTile]) -> Iterator[tuple[SimulatedTile, TileReport]]:
        for simulated in tiles:
            _checked(simulated, self.info)
            report = self.runtime.process(simulated.tile).report
            self.runtime.queue.pop()  # the mission keeps its own queue
            yield simulated, report


class CppProcessor:
    """Tiles through the C++ runner, in batches written as tile lists (``.pte`` artifacts): each
    batch's ``.npy`` images (``<f4`` amplitude, ``<c8`` same-track pairs with ``"kind":
    "same_track"``, docs/cpp_runner.md) in a temporary folder of its own."""

    def __init__(self, artifacts: str | Path, artifact: str | None, gate: str, binary: Path = RUNNER,
                 batch: int = 64) -> None:
        from quakesat.runtime.manifest import load_manifest

        if not binary.is_file():
            raise ConfigError(f"the C++ runner {binary} is not built (bash scripts/build_native.sh)")
        manifest = load_manifest(artifacts)
        name = artifact or manifest.cpp_default_artifact
        if not name and manifest.model.family != "cnn":
            raise ConfigError(f"{artifacts} holds a {manifest.model.family} model, which exports to ONNX only: the C++ "
                              "runner flies networks (.pte); use --runtime python for it")
        if not name:
            raise ConfigError(f"{artifacts} has no .pte artifact for the C++ runner: it was exported without "
                              "ExecuTorch (pip install 'quakesat[pte]', then export again)")
        entry = manifest.artifact(name)
        if not 1 <= batch <= SEQ_COUNT_MAX + 1:  # a batch's reports are put in order by their sequence counts
            raise ConfigError(f"a C++ batch holds 1..{SEQ_COUNT_MAX + 1} tiles, got {batch}")
        self.binary, self.artifacts, self.name, self.gate, self.batch = binary, Path(artifacts), name, gate, batch
        self.info = _model_info(artifacts, name, entry.model_id, manifest.input.raw_side, "cpp",
                                manifest.input.kind)

    def _batch(self, batch: list[SimulatedTile]) -> list[TileReport]:
        from quakesat.ground.decode import DecodeError, iter_stream
        from quakesat.runtime.tile_file import write_tile_list

        with tempfile.TemporaryDirectory(prefix="quakesat-mission-") as folder:
            tiles = write_tile_list([s.tile for s in batch], folder)
            out = Path(folder) / "messages.bin"
            # The mission keeps its own queue: the runner's holds every tile of the batch (nothing
            # dropped) and sends only its final health report, which is left out here.
            result = subprocess.run([str(self.binary), str(self.artifacts), str(tiles), "-o", str(out), "--artifact",
                                     self.name, "--gate", self.gate, "--emit", "all", "--health-every", "0",
                                     "--queue-capacity", str(max(len(batch), 1))],
                                    capture_output=True, text=True, timeout=3600)
            if result.returncode != 0:
                raise ConfigError(f"the C++ runner failed: {result.stderr.strip().splitlines()[-1:]}")
            reports = []
            for _, message in iter_stream(out.read_bytes()):
                if isinstance(message, DecodeError):
                    raise ConfigError(f"the C++ runner wrote a message the ground cannot decode: {message}")
                if isinstance(message, TileReport):
                    reports.append(message)
        reports.sort(key=lambda report: report.seq)  # downlink order -> tile order (seq = index in the batch)
        if [report.seq for report in reports] != list(range(len(batch))):
            raise ConfigError(f"the C++ runner wrote {len(reports)} tile reports for {len(batch)} tiles")
        return reports

    def run(self, tiles: Iterable[SimulatedTile]) -> Iterator[tuple[SimulatedTile, TileReport]]:
        batch: list[SimulatedTile] = []
        for simulated in tiles:
            batch.append(_checked(simulated, self.info))
            if len(batch) == self.batch:
                yield from zip(batch, self._batch(batch))
                batch = []
        if batch:
            yield from zip(batch, self._batch(batch))


def open_processor(runtime: str, artifacts: str | Path, artifact: str | None, gate: str):
    """The processor for ``runtime`` (``python`` or ``cpp``)."""
    if not Path(artifacts, "manifest.json").is_file():
        raise ConfigError(f"no exported model in {artifacts} (run `quakesat demo` or `quakesat export`, "
                          "then pass --artifacts)")
    return CppProcessor(artifacts, artifact, gate) if runtime == "cpp" else PythonProcessor(artifacts, artifact, gate)


@dataclass(frozen=True)
class Arrival:
    """A message reaching the onboard queue (``report``) or a health-report tick (None)."""

    time: float
    report: TileReport | None
    tiles_processed: int


@dataclass(frozen=True)
class ProcessedTile:
    """A tile the onboard segment processed in one mode: when its message was ready."""

    time: float  # ready: acquisition + processing delay
    report: TileReport
    drawn: bool


#: More bootstrapped messages than this in one mode is a scenario the simulation refuses (a
#: model that flags a large share of event-free tiles under ``emit = "all"``, say): a
#: ConfigError says so instead of a run that takes hours.
MAX_DRAWN_MESSAGES = 3_000_000


@dataclass(frozen=True)
class TileClock:
    """How many tiles the onboard segment has processed by a given time: piecewise linear
    through ``times`` (sorted, ready times) and ``cumulative`` (tiles processed by each)."""

    times: np.ndarray
    cumulative: np.ndarray

    @property
    def total(self) -> float:
        return float(self.cumulative[-1]) if len(self.cumulative) else 0.0

    def counts_at(self, when: np.ndarray) -> np.ndarray:
        """Tiles processed by each of the times ``when``."""
        if not len(self.times):
            return np.zeros(len(when), dtype=np.int64)
        return np.interp(when, self.times, self.cumulative, left=0.0).astype(np.int64)

    def time_of(self, counts: np.ndarray) -> np.ndarray:
        """When the ``counts``-th tile was processed (``counts`` within the total)."""
        return np.interp(counts, self.cumulative, self.times)


def drawn_tiles(pool: list[TileReport], count: int, place: Callable[[int], tuple[np.ndarray, np.ndarray]],
                first_id: int, emit: str, rng: np.random.Generator) -> list[ProcessedTile]:
    """The bootstrapped tiles that enter the queue, out of ``count`` drawn from ``pool``.

    Each of the ``count`` tiles takes the outcome of a pool member drawn at random; only the
    ones whose outcome queues under ``emit`` are made (their number is binomial, their
    outcomes uniform over the queuing pool members, which is the same draw). ``place(k)``
    gives ``k`` (times, (k, 2) lat/lon) for them. Reports are re-stamped with their own id,
    time and place."""
    queuing = [report for report in pool if emits(report, emit)]
    if count <= 0 or not queuing:
        return []
    made = int(rng.binomial(count, len(queuing) / len(pool)))
    if made > MAX_DRAWN_MESSAGES:
        raise ConfigError(f"{made:,} event-free tiles would queue a message (flag rate {len(queuing) / len(pool):.1%} "
                          f"of {count:,} tiles): shorten the window, narrow the swath or use emit = \"alerts\"")
    picks = rng.integers(0, len(queuing), size=made)
    times, places = place(made)
    order = np.argsort(times, kind="stable")
    out = []
    for k, j in enumerate(order):
        source = queuing[int(picks[k])]
        report = _stamped(source, tile_id=(first_id + k) & 0xFFFF_FFFF, time=int(times[j]),
                          lat=float(places[j, 0]), lon=float(places[j, 1]))
        out.append(ProcessedTile(float(times[j]), report, True))
    return out


def arrivals(processed: list[ProcessedTile], clock: TileClock, emit: str, health_every: int) -> list[Arrival]:
    """The queue's arrivals in time order: each processed tile's report that ``emit`` lets
    through, and a health tick after every ``health_every`` tiles processed (``clock``
    counts every tile, the drawn ones that do not queue included)."""
    processed = sorted(processed, key=lambda p: (p.time, p.report.tile_id))
    out: list[Arrival] = []
    ticks_n = np.arange(health_every, clock.total + 1, health_every) if health_every else np.zeros(0)
    ticks = clock.time_of(ticks_n) if len(ticks_n) else np.zeros(0)
    counts = clock.counts_at(np.array([p.time for p in processed]))
    t = 0
    for p, count in zip(processed, counts):
        while t < len(ticks) and ticks[t] < p.time:
            out.append(Arrival(float(ticks[t]), None, int(ticks_n[t])))
            t += 1
        if emits(p.report, emit):
            out.append(Arrival(p.time, p.report, int(count)))
    out += [Arrival(float(ticks[k]), None, int(ticks_n[k])) for k in range(t, len(ticks))]
    return out


def restamp(report: TileReport | HealthReport, seq: int) -> TileReport | HealthReport:
    """``report`` with the onboard segment's packet sequence count."""
    return _stamped(report, seq=seq % (SEQ_COUNT_MAX + 1))


def _stamped(report: ReportT, **changes: Any) -> ReportT:
    """``dataclasses.replace(report, **changes)`` for the mission's 10^6 re-stamps a day: a copy
    of the frozen report's fields with ``changes``, without replace's per-call walk over the
    fields (in a profile of the demo's mission, 1.7M re-stamps took 11 s instead of 39 s). The reports have no ``__post_init__`` to skip; encoding checks every
    field's range when a message goes down."""
    if not changes.keys() <= report.__dict__.keys():
        raise TypeError(f"{type(report).__name__} has no field {sorted(changes.keys() - report.__dict__.keys())}")
    clone = object.__new__(type(report))
    clone.__dict__.update(report.__dict__)
    clone.__dict__.update(changes)
    return clone
