"""``quakesat archive``: the flight runtime over whole QuakeSet files on a Dask cluster.

The parallel form of ``quakesat run --data``: the same stream, decode and report, byte for
byte, from tiles judged on many workers. It rests on the runtime's split
(:meth:`~quakesat.runtime.flight.FlightRuntime.judge_tile` /
:meth:`~quakesat.runtime.flight.FlightRuntime.record`):

- the driver lists each file's samples (metadata only) and cuts them into :class:`Shard`\\ s:
  contiguous runs of whole patches, in the order :func:`quakesat.data.tiles.file_tiles`
  yields them;
- a worker judges a shard's tiles (:func:`judge_shard`) with the one runtime and the one HDF5
  handle it keeps for the whole pass (a cache per worker thread, keyed by the artifacts, the
  config and the file), and sends back a :class:`TileResult` per tile: the verdict without the
  model's heads, the georeference, the truth and the read time, no images;
- the driver takes each shard once, keyed by shard id and tile index, holds shards that come
  early, and records the verdicts in tile order on its own runtime, opened on the same
  artifacts: sequence counts, the bounded queue and its drops, the health cadence, the final
  health report and the drain are replayed exactly as the serial run makes them, and the files
  are written by the serial run's own writer (:func:`quakesat.ground.run.write_run`).

A worker that dies takes its shards with it; the scheduler gives them to another worker
(and ``retries`` covers a shard that raised), and the driver's count at the end proves no
tile was lost or taken twice. Several files run as one pass, the tile ids of each file
following on from the previous file's. What may differ from the serial run is only timing:
docs/archive.md lists the report fields (:data:`TIMING_FIELDS`). Needs ``quakesat[archive]``
(dask.distributed) and the data extra.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quakesat.errors import QuakesatError
from quakesat.files import raise_if_interrupted
from quakesat.ground.run import write_run
from quakesat.runtime.flight import FlightRuntime, RuntimeConfig, TileOutcome, Verdict
from quakesat.runtime.tile import AMPLITUDE, Georef, Tile

if TYPE_CHECKING:
    from quakesat.data.quakeset import QuakeSetFile, SampleRef
    from quakesat.data.tiles import GridCache, Truth

log = logging.getLogger("quakesat.ground.archive")

#: Largest shard the driver cuts by default, in tiles (a lost worker costs at most this much work each).
MAX_SHARD_TILES = 64
#: Shards per worker thread the default shard size aims at, so that the load evens out.
SHARDS_PER_THREAD = 4
#: Shards submitted but not yet recorded, per worker thread: what bounds the driver's buffer.
WINDOW_PER_THREAD = 8
#: Open QuakeSet files a worker keeps (one HDF5 handle each).
WORKER_OPEN_FILES = 4
#: The Dask setting that makes a worker's glibc return freed memory at once (the nanny sets
#: MALLOC_TRIM_THRESHOLD_=65536). Setting it also turns off glibc's adaptive mmap threshold,
#: so every 2 MB image a 512 x 512 tile allocates is a fresh mmap, page-faulted in: measured
#: here, 3x the time in the numpy stages (read, check, gate, preprocessing). Unset for the
#: local cluster; docs/archive.md says how to unset it on other workers.
TRIM_SETTING = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
#: Report fields that hold times, the only ones that may differ from the serial run's
#: (``profile.stages.*`` stands for every stage's row). docs/archive.md explains why.
TIMING_FIELDS = (
    "profile.stages.*.seconds", "profile.stages.*.ms_per_tile", "profile.stages.*.ms_when_run",
    "profile.seconds_in_stages", "profile.tiles_per_s", "profile.wall_seconds", "profile.wall_tiles_per_s",
    "evaluation.gate.seconds_saved", "evaluation.gate.gate_seconds", "evaluation.gate.net_seconds_saved",
)


class ArchiveError(QuakesatError):
    """A problem with what the archive run was given: the scheduler, the workers' view of the
    artifacts or the data (exit 2)."""


class ArchiveFailure(QuakesatError):
    """The archive run started and could not finish: a shard failed on every try (exit 1)."""


# ─── what travels ───────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class ArchiveJob:
    """What every worker needs besides its shard; hashable, the key of the worker's cache."""

    artifacts: str
    artifact: str | None
    config: RuntimeConfig
    split: str | None
    limit: int | None
    assume_time: int | None
    backends: tuple[str, ...] = ()  # modules imported before the runtime opens (they register backends)
    kind: str = AMPLITUDE  # the tile kind the model takes: which of the file's images make the tiles


@dataclass(frozen=True)
class Shard:
    """A contiguous run of one file's samples (whole patches), ``start`` to ``stop``."""

    shard_id: int
    path: str
    start: int  # index into the file's sample list of the split (file_tiles' order)
    stop: int
    first_tile: int  # position of sample ``start`` in the archive's tile order (its tile id)
    samples_in_file: int  # what the driver counted: a worker seeing another file refuses it


@dataclass(frozen=True)
class TileResult:
    """One judged tile as it comes back: small (no images, no heads) and picklable."""

    index: int  # position in the archive's tile order
    verdict: Verdict
    georef: Georef | None
    truth: Truth
    read_seconds: float


@dataclass(frozen=True)
class ShardResult:
    """A shard's tiles, in order, and what the worker's runtime was (checked against the driver's)."""

    shard_id: int
    tiles: tuple[TileResult, ...]
    model_id: int
    fault: str | None  # the worker runtime's fault status, if it flies in fault mode
    worker: str
    opened: tuple[int, int] = (0, 0)  # runtimes and files this task had to open (0, 0: all were open)


# ─── the worker side ────────────────────────────────────────────────────────────────────
class ShardReader:
    """One QuakeSet file, open for the worker's whole pass: its samples of the split as tiles,
    by index range, by :func:`quakesat.data.tiles.sample_tile`, the rule
    :func:`~quakesat.data.tiles.file_tiles` uses (tile id = archive position)."""

    def __init__(self, path: str | Path, split: str | None, limit: int | None, assume_time: int | None,
                 kind: str = AMPLITUDE) -> None:
        from quakesat.data.quakeset import QuakeSetFile
        from quakesat.data.tiles import tile_refs

        self.qs: QuakeSetFile = QuakeSetFile(path)
        self.refs: list[SampleRef] = tile_refs(self.qs, split, limit, kind=kind)
        self.assume_time = assume_time
        self.kind = kind
        self._grids: GridCache = {}

    def close(self) -> None:
        self.qs.close()

    def tiles(self, start: int, stop: int, first_tile: int) -> Iterator[tuple[Tile, Truth, float]]:
        """Samples ``start``..``stop`` as (tile, truth, read seconds); tile ids from ``first_tile``."""
        from quakesat.data.tiles import sample_tile

        for offset, ref in enumerate(self.refs[start:stop]):
            yield sample_tile(self.qs, ref, first_tile + offset, self.assume_time, self._grids, self.kind)


class _WorkerCache:
    """What one worker thread keeps across shards: one runtime per (artifacts, config) and a
    few open files. One per thread (a runtime's buffers serve one tile at a time), kept in a
    module-level thread-local, so it outlives tasks and serves every pass on the worker."""

    def __init__(self) -> None:
        self.runtime_key: tuple[Any, ...] | None = None
        self.runtime: FlightRuntime | None = None
        self.readers: OrderedDict[tuple[Any, ...], ShardReader] = OrderedDict()

    def runtime_for(self, job: ArchiveJob) -> tuple[FlightRuntime, bool]:
        """The runtime for ``job``, and whether it had to be opened now."""
        manifest = Path(job.artifacts) / "manifest.json"
        stamp = manifest.stat().st_mtime_ns if manifest.exists() else None  # a re-export at the same path
        key = (job.artifacts, job.artifact, job.config, stamp)
        if self.runtime is None or key != self.runtime_key:
            import_backends(job.backends)
            runtime_log = logging.getLogger("quakesat.runtime")
            level = runtime_log.level
            runtime_log.setLevel(logging.CRITICAL)  # the driver reports a fault once; its verdicts carry the notes
            try:
                self.runtime = FlightRuntime.open(job.artifacts, job.artifact, job.config)
            finally:
                runtime_log.setLevel(level)
            self.runtime_key = key
            return self.runtime, True
        return self.runtime, False

    def reader_for(self, job: ArchiveJob, shard: Shard) -> tuple[ShardReader, bool]:
        """The open file of ``shard``, and whether it had to be opened now."""
        try:
            stat = os.stat(shard.path)
        except OSError as err:
            raise ArchiveError(f"{shard.path}: {err.strerror} on worker {_worker_name()} (every worker needs the "
                               "data at the same path)") from None
        key = (shard.path, job.split, job.limit, job.assume_time, job.kind, stat.st_mtime_ns, stat.st_size)
        reader = self.readers.get(key)
        opened = reader is None
        if reader is None:
            reader = ShardReader(shard.path, job.split, job.limit, job.assume_time, job.kind)
            self.readers[key] = reader
            while len(self.readers) > WORKER_OPEN_FILES:
                self.readers.popitem(last=False)[1].close()
        self.readers.move_to_end(key)
        if len(reader.refs) != shard.samples_in_file:
            raise ArchiveError(f"{shard.path} on worker {_worker_name()} has {len(reader.refs)} samples of the split, "
                               f"the driver's has {shard.samples_in_file}: not the same file")
        return reader, opened


_CACHES = threading.local()


def _cache() -> _WorkerCache:
    cache = getattr(_CACHES, "cache", None)
    if cache is None:
        cache = _CACHES.cache = _WorkerCache()
    return cache


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):  # not on a Dask worker (judge_shard called directly)
        return f"pid {os.getpid()}"


def import_backends(modules: Sequence[str]) -> None:
    """Import ``modules``, inference backends that register themselves on import
    (:func:`quakesat.runtime.model.register_backend`): ``quakesat archive`` names
    ``quakesat.export.executorch_backend`` so that ``.pte`` artifacts run on the workers as in
    ``quakesat run``. Named, not imported here: the ground does not depend on the export side."""
    import importlib

    for name in modules:
        importlib.import_module(name)


def judge_shard(job: ArchiveJob, shard: Shard) -> ShardResult:
    """The Dask task: judge every tile of ``shard`` with this worker's runtime (no queue, no
    sequence count: :meth:`~quakesat.runtime.flight.FlightRuntime.judge_tile`)."""
    cache = _cache()
    runtime, new_runtime = cache.runtime_for(job)
    reader, new_file = cache.reader_for(job, shard)
    results = []
    for tile, truth, read_seconds in reader.tiles(shard.start, shard.stop, shard.first_tile):
        verdict = replace(runtime.judge_tile(tile), heads=None)  # the heads stay here: small results
        results.append(TileResult(int(tile.tile_id), verdict, tile.georef, truth, read_seconds))
    fault = None if runtime.fault is None else runtime.fault.status.code_name
    return ShardResult(shard.shard_id, tuple(results), runtime.model_id, fault, _worker_name(),
                       (int(new_runtime), int(new_file)))


# ─── the driver side ────────────────────────────────────────────────────────────────────
def _patch_runs(refs: Sequence[SampleRef]) -> list[int]:
    """Sizes of the runs of consecutive samples from one patch (a patch's pairs are adjacent)."""
    runs: list[int] = []
    previous = None
    for ref in refs:
        key = (ref.event_id, ref.patch)
        if key == previous:
            runs[-1] += 1
        else:
            runs.append(1)
            previous = key
    return runs


def plan_shards(files: Sequence[str | Path], split: str | None, limit: int | None = None,
                shard_tiles: int | None = None, threads: int = 1,
                kind: str = AMPLITUDE) -> tuple[list[Shard], list[dict[str, Any]]]:
    """Cut the files' samples into shards of whole patches, about ``shard_tiles`` tiles each
    (None: enough shards for :data:`SHARDS_PER_THREAD` per worker thread, at most
    :data:`MAX_SHARD_TILES` tiles); return them in tile order and, per file, its path, tile
    count and first tile id. ``kind``: the tile kind the model takes (:func:`quakesat.data.tiles.tile_refs`)."""
    from quakesat.data.quakeset import QuakeSetFile
    from quakesat.data.tiles import tile_refs

    per_file: list[tuple[str, list[int]]] = []
    for path in files:
        with QuakeSetFile(path) as qs:
            refs = tile_refs(qs, split, limit, kind=kind)
        per_file.append((str(Path(path).resolve()), _patch_runs(refs)))
    total = sum(sum(runs) for _, runs in per_file)
    if shard_tiles is None:
        shard_tiles = max(1, min(MAX_SHARD_TILES, -(-total // max(1, threads * SHARDS_PER_THREAD))))
    shards: list[Shard] = []
    summary: list[dict[str, Any]] = []
    first_tile = 0
    for path, runs in per_file:
        count = sum(runs)
        summary.append({"path": path, "tiles": count, "first_tile_id": first_tile})
        start = size = 0
        for run in runs:
            size += run
            if size >= shard_tiles:
                shards.append(Shard(len(shards), path, start, start + size, first_tile + start, count))
                start, size = start + size, 0
        if size:
            shards.append(Shard(len(shards), path, start, start + size, first_tile + start, count))
        first_tile += count
    return shards, summary


def local_cluster(workers: int) -> Any:
    """The LocalCluster of ``quakesat archive``: ``workers`` single-thread worker processes
    (each behind a nanny that restarts it if it dies) on 127.0.0.1, glibc's allocator left as
    in a plain process (:data:`TRIM_SETTING`), no dashboard, the scheduler's HTTP endpoint on
    a free port (the default 8787, when taken, costs a warning on stderr)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({TRIM_SETTING: None}):  # read when each nanny is made, kept for its restarts
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            silence_logs=logging.ERROR, dashboard_address=None,
                            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


def _connect(scheduler: str | None, workers: int, connect_timeout: float) -> tuple[Any, Any]:
    """(client, the local cluster or None): :func:`local_cluster` of ``workers``, or the
    scheduler at ``scheduler``."""
    from distributed import Client

    if scheduler is None:
        cluster = local_cluster(workers)
        return Client(cluster, set_as_default=False), cluster
    try:
        client = Client(scheduler, timeout=connect_timeout, set_as_default=False)
    except Exception as err:  # refused, unreachable, or something that is not a Dask scheduler answered
        raise ArchiveError(f"cannot reach the Dask scheduler at {scheduler} within {connect_timeout:g} s "
                           f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else 'no answer'}); "
                           "start one with `dask scheduler` (docs/archive.md)") from None
    try:
        client.wait_for_workers(1, timeout=connect_timeout)
    except (TimeoutError, OSError):
        client.close()
        raise ArchiveError(f"the Dask scheduler at {scheduler} has no workers after {connect_timeout:g} s; "
                           f"start some with `dask worker {scheduler}` (docs/archive.md)") from None
    return client, None


def scheduler_address(text: str) -> str:
    """A Dask scheduler address, ``PROTOCOL://HOST:PORT`` (``HOST:PORT`` means ``tcp://``);
    raises ValueError for anything else (the command line's type for ``--scheduler``)."""
    address = text if "://" in text else f"tcp://{text}"
    match = re.fullmatch(r"(tcp|tls|ws|wss|ucx)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):([0-9]{1,5})", address)
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise ValueError(f"{text!r} is not a scheduler address like tcp://host:8786")
    return address


def _check_worker(result: ShardResult, runtime: FlightRuntime) -> None:
    """A worker must fly what the driver flies: the same model, or the same fault."""
    fault = None if runtime.fault is None else runtime.fault.status.code_name
    if result.model_id != runtime.model_id or result.fault != fault:
        theirs = result.fault or f"model {result.model_id:04x}"
        ours = fault or f"model {runtime.model_id:04x}"
        raise ArchiveError(f"worker {result.worker} opened the artifacts as {theirs}, the driver as {ours}: every "
                           "worker needs the same artifacts at the same path (docs/archive.md)")


def _take(result: ShardResult, shard: Shard) -> list[TileResult]:
    """The shard's tiles, checked: exactly its indices, in order."""
    indices = [tile.index for tile in result.tiles]
    expected = list(range(shard.first_tile, shard.first_tile + shard.stop - shard.start))
    if result.shard_id != shard.shard_id or indices != expected:
        raise ArchiveFailure(f"shard {shard.shard_id} came back with tiles {indices[:3]}... instead of "
                             f"{shard.first_tile}..{expected[-1] if expected else shard.first_tile}")
    return list(result.tiles)


def archive_results(client: Any, job: ArchiveJob, shards: Sequence[Shard], runtime: FlightRuntime,
                    retries: int = 2, progress: bool = True,
                    tally: dict[str, Any] | None = None) -> Iterator[TileResult]:
    """Every shard's tiles in tile order, as shards complete: at most
    :data:`WINDOW_PER_THREAD` shards per worker thread are in flight beyond the next one to
    yield; a shard that comes early waits in a buffer; each shard is taken once, and its
    worker checked against the driver's ``runtime`` (:func:`_check_worker`); a lost worker's
    shards are recomputed by the scheduler, a failing one is retried ``retries`` times, then
    the pass fails (:class:`ArchiveFailure`). ``tally``, if given, is kept up to date with
    ``runtimes_opened`` and ``files_opened`` (what the workers had to open during the pass:
    once per worker thread, again after a worker restarts) and ``workers_seen``."""
    from distributed import as_completed
    from tqdm import tqdm

    threads = max(1, sum(client.nthreads().values()))
    window = max(WINDOW_PER_THREAD * threads, 2)
    token = uuid.uuid4().hex[:12]  # this pass's task keys: never another pass's results
    done: dict[int, list[TileResult]] = {}  # shards taken, waiting for their turn
    futures: dict[Any, Shard] = {}
    submitted = emitted = 0
    pending = as_completed(loop=client.loop)
    tally = {} if tally is None else tally
    tally.update(runtimes_opened=0, files_opened=0, workers_seen=0)
    seen: set[str] = set()

    def submit_up_to(limit: int) -> None:
        nonlocal submitted
        while submitted < min(limit, len(shards)):
            shard = shards[submitted]
            future = client.submit(judge_shard, job, shard, key=f"quakesat-archive-{token}-{shard.shard_id}",
                                   retries=retries, pure=False)
            futures[future] = shard
            pending.add(future)
            submitted += 1

    bar = tqdm(total=sum(shard.stop - shard.start for shard in shards), unit="tile", desc="archive",
               disable=not progress, file=sys.stderr, leave=False)
    try:
        submit_up_to(window)
        while emitted < len(shards):
            future = next(pending)
            raise_if_interrupted()
            shard = futures.pop(future, None)
            if shard is None or shard.shard_id < emitted or shard.shard_id in done:
                continue  # a shard already taken (a recomputed copy): never twice
            if future.status not in ("finished", "error"):  # cancelled: the scheduler went away or restarted
                raise ArchiveFailure(f"shard {shard.shard_id} was {future.status} by the scheduler")
            if future.status == "error":
                error = future.exception()
                if isinstance(error, QuakesatError):
                    raise error  # the worker's own one-line reason (a missing file, another file)
                raise ArchiveFailure(f"shard {shard.shard_id} ({Path(shard.path).name} samples "
                                     f"{shard.start}..{shard.stop - 1}) failed on every try: "
                                     f"{type(error).__name__}: {error}")
            result = future.result()
            _check_worker(result, runtime)
            done[shard.shard_id] = _take(result, shard)
            seen.add(result.worker)
            tally.update(runtimes_opened=tally["runtimes_opened"] + result.opened[0],
                         files_opened=tally["files_opened"] + result.opened[1], workers_seen=len(seen))
            future.release()
            bar.update(len(result.tiles))
            while emitted in done:
                yield from done.pop(emitted)
                emitted += 1
                submit_up_to(emitted + window)
    finally:
        bar.close()
        for future in futures:
            future.cancel()


def run_archive(files: Sequence[str | Path], artifacts: str | Path, out: str | Path, *,
                artifact: str | None = None, config: RuntimeConfig = RuntimeConfig(), split: str | None = "test",
                limit: int | None = None, assume_time: int | None = None, evaluate: bool = False,
                scheduler: str | None = None, workers: int = 2, shard_tiles: int | None = None,
                connect_timeout: float = 10.0, retries: int = 2, progress: bool = True,
                backends: Sequence[str] = ()) -> dict[str, Any]:
    """The flight runtime over every tile of ``files`` (in order) on a Dask cluster, written
    as ``quakesat run`` writes one file's (see the module doc); return the report, which has
    an ``archive`` block besides the serial run's fields.

    Args:
        files: QuakeSet files; their tiles form one pass, ids following on from file to file.
        artifacts, artifact, config: the runtime, as for ``quakesat run`` (opened on the
            driver and on every worker).
        split, limit, assume_time: as for :func:`quakesat.data.tiles.file_tiles` (``limit``
            per file).
        evaluate: add the evaluation (every file must carry its truth: a QuakeSet file does).
        scheduler: a Dask scheduler address (``tcp://host:8786``); None starts a LocalCluster
            of ``workers`` single-thread processes on this machine.
        shard_tiles: tiles per shard (None: see :func:`plan_shards`).
        connect_timeout: seconds to reach the scheduler and for its first worker.
        retries: tries of a shard that raised, beyond the first.
        progress: a progress bar on stderr.
        backends: modules the driver and every worker import before opening the runtime
            (:func:`import_backends`).

    Raises:
        ArchiveError: the scheduler cannot be reached or has no workers, a worker lacks the
            data or opens other artifacts.
        ArchiveFailure: a shard failed on every try.
    """
    import_backends(backends)
    files = [Path(path) for path in files]
    runtime = FlightRuntime.open(artifacts, artifact, config)
    job = ArchiveJob(str(Path(artifacts).resolve()), artifact, config, split, limit, assume_time, tuple(backends),
                     runtime.input_kind)
    client, cluster = _connect(scheduler, workers, connect_timeout)
    try:
        threads = max(1, sum(client.nthreads().values()))
        shards, summary = plan_shards(files, split, limit, shard_tiles, threads, runtime.input_kind)
        expected = sum(item["tiles"] for item in summary)

        scale: dict[str, Any] = {"files": summary, "shards": len(shards), "scheduler": scheduler or "local",
                                 "workers": len(client.nthreads()), "worker_threads": threads}

        def outcomes() -> Iterator[tuple[Georef | None, Truth | None, float, TileOutcome]]:
            recorded = 0
            for tile in archive_results(client, job, shards, runtime, retries, progress, scale):
                if tile.index != recorded:  # archive_results checks each shard; this is the whole pass
                    raise ArchiveFailure(f"tile {tile.index} came where tile {recorded} was due")
                yield tile.georef, tile.truth, tile.read_seconds, runtime.record(tile.verdict)
                recorded += 1
            if recorded != expected:  # before anything is written
                raise ArchiveFailure(f"{recorded} tiles came back of the {expected} planned")

        return write_run(runtime, outcomes(), Path(out), evaluate, {"archive": scale})  # scale: filled as it runs
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
