"""quakesat archive (ground/archive.py) against the serial quakesat run: the same stream and
decode byte for byte and the same report but for its timing fields, on a local two-worker
cluster, over several files, and with a worker killed mid-run; the runtime's judge/record
split it rests on; one-line usage errors in bounded time."""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("h5py")
pytest.importorskip("onnxruntime")
distributed = pytest.importorskip("distributed")

from quakesat.cli import main  # noqa: E402
from quakesat.data.tiles import file_tiles  # noqa: E402
from quakesat.ground.archive import TIMING_FIELDS, local_cluster  # noqa: E402
from quakesat.ground.decode import iter_stream  # noqa: E402
from quakesat.ground.run import run_tiles  # noqa: E402
from quakesat.runtime.flight import FlightRuntime, RuntimeConfig  # noqa: E402
from quakesat.runtime.message import HealthReport  # noqa: E402
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

TINY = Path(__file__).resolve().parent / "vectors" / "tiny_model"
# Small enough that the queue drops and health reports come often: the replayed state matters.
OPTIONS = ("--split", "all", "--health-every", "7", "--queue-capacity", "20", "--evaluate")
CONFIG = RuntimeConfig(health_every=7, queue_capacity=20)
#: What besides TIMING_FIELDS may differ: the output paths, and the archive's own block.
NOT_COMPARED = ("stream", "decoded", "report", "archive")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("archive")
    paths = []
    for seed in (31, 32):
        path = folder / f"quakes{seed}.h5"
        simulate_file(path, SimulationConfig(events=8, seed=seed, size=64, identical_negative_share=0.5),
                      progress=False, workers=1)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def serial(files, tmp_path_factory) -> Path:
    """The serial quakesat run of the first file: the reference."""
    out = tmp_path_factory.mktemp("serial") / "messages.bin"
    assert main(["run", "--artifacts", str(TINY), "--data", str(files[0]), "--out", str(out), *OPTIONS]) == 0
    return out


@pytest.fixture(scope="module")
def cluster():
    """A two-worker local cluster the tests reach with --scheduler (the CLI's own is tested once)."""
    with local_cluster(2) as local:
        yield local


def _flat(report: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in report.items():
        if isinstance(value, dict) and value:
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _timing(name: str) -> bool:
    parts = name.split(".")
    for pattern in TIMING_FIELDS:
        wanted = pattern.split(".")
        if len(wanted) == len(parts) and all(w in ("*", p) for w, p in zip(wanted, parts)):
            return True
    return False


def assert_same_run(archive: Path, serial: Path) -> dict[str, Any]:
    """Stream and decode byte for byte; every report field equal but the timing ones."""
    assert archive.read_bytes() == serial.read_bytes()
    assert archive.with_suffix(".jsonl").read_bytes() == serial.with_suffix(".jsonl").read_bytes()
    ours = json.loads(archive.with_suffix(".report.json").read_text())
    theirs = json.loads(serial.with_suffix(".report.json").read_text())
    kept = {k: v for k, v in _flat(ours).items() if k.split(".")[0] not in NOT_COMPARED and not _timing(k)}
    reference = {k: v for k, v in _flat(theirs).items() if k.split(".")[0] not in NOT_COMPARED and not _timing(k)}
    assert kept == reference
    assert any(k.startswith("evaluation.") for k in kept) and "profile.stages.infer.runs" in kept
    return ours


def test_the_archive_on_a_local_cluster_is_the_serial_run_byte_for_byte(files, serial, tmp_path) -> None:
    out = tmp_path / "archive.bin"
    code = main(["archive", "--artifacts", str(TINY), "--data", str(files[0]), "--out", str(out), *OPTIONS,
                 "--workers", "2", "--shard-tiles", "5", "--quiet"])
    assert code == 0
    report = assert_same_run(out, serial)
    # The state that had to be replayed was exercised: drops, and health reports every 7 tiles, each
    # superseding the waiting one (no contact until the end) and carrying its drop count on.
    health = [m for _, m in iter_stream(out.read_bytes()) if isinstance(m, HealthReport)]
    assert report["dropped"] > 0 and len(health) == 1 and health[0].dropped == report["dropped"]
    scale = report["archive"]
    assert scale["workers"] == 2 and scale["shards"] > 10
    # Each worker opened its runtime and its HDF5 handle once for the whole pass, not per shard.
    assert scale["runtimes_opened"] == scale["files_opened"] == scale["workers_seen"] == 2


def test_a_same_track_model_archives_the_same_track_pairs_as_the_serial_run(cluster, tmp_path) -> None:
    """The archive carries the model's tile kind: workers read the file's same-track pairs
    (only the samples that have them), and the stream is the serial run's, byte for byte."""
    data = tmp_path / "slc.h5"
    simulate_file(data, SimulationConfig(events=6, seed=33, size=64, identical_negative_share=0.5, slc=True,
                                         slc_side=64, slc_footprint_m=5120.0), progress=False, workers=1)
    insar = TINY.parent / "tiny_insar_model"
    serial_out, archive_out = tmp_path / "serial.bin", tmp_path / "archive.bin"
    assert main(["run", "--artifacts", str(insar), "--data", str(data), "--out", str(serial_out), *OPTIONS]) == 0
    assert main(["archive", "--artifacts", str(insar), "--data", str(data), "--out", str(archive_out), *OPTIONS,
                 "--scheduler", cluster.scheduler_address, "--shard-tiles", "4", "--quiet"]) == 0
    report = assert_same_run(archive_out, serial_out)
    pairs = sum(1 for tile, _, _ in file_tiles(data, None, kind="same_track"))
    amplitude = sum(1 for _ in file_tiles(data, None))
    assert report["tiles"] == pairs and 0 < pairs < amplitude  # identical negatives have no same-track pair


def test_several_files_are_one_pass_with_tile_ids_following_on(files, cluster, tmp_path) -> None:
    counts = [sum(1 for _ in file_tiles(path, None)) for path in files]

    def chained():
        offset = 0
        for path, count in zip(files, counts):
            for tile, truth, seconds in file_tiles(path, None):
                yield tile.__class__(tile.tile_id + offset, tile.time, tile.first, tile.second, tile.georef,
                                     tile.read_check), truth, seconds
            offset += count

    reference = tmp_path / "serial.bin"
    run_tiles(FlightRuntime.open(TINY, config=CONFIG), chained(), reference, evaluate=True)
    out = tmp_path / "archive.bin"
    code = main(["archive", "--artifacts", str(TINY), "--data", *map(str, files), "--out", str(out), *OPTIONS,
                 "--scheduler", cluster.scheduler_address, "--shard-tiles", "3", "--quiet"])
    assert code == 0
    report = assert_same_run(out, reference)
    assert [f["tiles"] for f in report["archive"]["files"]] == counts
    assert [f["first_tile_id"] for f in report["archive"]["files"]] == [0, counts[0]]


class KillOnSecondShard(distributed.WorkerPlugin):
    """Ends its worker's process (no clean-up, as a crash would) when the worker starts its
    second shard, once in the whole cluster: the first worker to create ``flag`` dies."""

    def __init__(self, flag: str) -> None:
        self.flag, self.started = flag, 0

    def transition(self, key, start, finish, **kwargs) -> None:  # noqa: ANN001 - Dask's hook
        if finish != "executing":
            return
        self.started += 1
        if self.started == 2:
            try:
                os.close(os.open(self.flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
            os._exit(17)


def test_a_worker_killed_mid_run_loses_no_tile_and_duplicates_none(files, serial, tmp_path) -> None:
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    flag = tmp_path / "killed"
    with local_cluster(2) as local, distributed.Client(local) as client:
        client.register_plugin(KillOnSecondShard(str(flag)))
        out = tmp_path / "archive.bin"
        code = main(["archive", "--artifacts", str(TINY), "--data", str(files[0]), "--out", str(out), *OPTIONS,
                     "--scheduler", local.scheduler_address, "--shard-tiles", "4", "--quiet"])
    assert flag.exists(), "no worker was killed"
    assert code == 0
    scale = assert_same_run(out, serial)["archive"]
    # Whoever returned shards opened its runtime once (the killed worker may have returned none).
    assert scale["runtimes_opened"] == scale["workers_seen"] >= 1


def test_verdicts_judged_elsewhere_in_any_order_and_recorded_in_order_give_the_same_stream(files) -> None:
    """The split under the archive: FlightRuntime.judge_tile on one runtime, in a shuffled
    order, FlightRuntime.record on another, equals FlightRuntime.process."""
    tiles = [tile for tile, _, _ in file_tiles(files[0], None)]
    serial = FlightRuntime.open(TINY, config=CONFIG)
    for tile in tiles:
        serial.process(tile)
    serial.health()
    judge, recorder = FlightRuntime.open(TINY, config=CONFIG), FlightRuntime.open(TINY, config=CONFIG)
    order = list(range(len(tiles)))
    random.Random(5).shuffle(order)
    verdicts = {k: judge.judge_tile(tiles[k]) for k in order}
    assert all(v.report.seq == 0 for v in verdicts.values()) and judge.tiles_processed == 0 and not judge.queue
    for k in range(len(tiles)):
        recorder.record(verdicts[k])
    recorder.health()
    assert recorder.drain() == serial.drain()
    assert (recorder.tiles_processed, recorder.gated, recorder.queue.dropped_total) == \
        (serial.tiles_processed, serial.gated, serial.queue.dropped_total)


def _cli(*args: str) -> tuple[int, str, float]:
    import subprocess

    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "quakesat.cli", "archive", *args], capture_output=True, text=True,
                          check=False,
                          timeout=120)
    return done.returncode, done.stderr, time.perf_counter() - started


@pytest.mark.parametrize("args, says", [
    ((), "the following arguments are required: --data"),
    (("--data", "missing.h5"), "missing.h5: no such file"),
    (("--data", "{data}", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"),
     "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
    (("--data", "{data}", "--scheduler", "not-an-address"), "is not a scheduler address"),
    (("--data", "{data}", "--scheduler", "tcp://127.0.0.1:9", "--workers", "2"), "--workers sizes the local cluster"),
])
def test_usage_errors_are_one_line_and_exit_2_in_bounded_time(files, tmp_path, args, says) -> None:
    args = tuple(a.replace("{data}", str(files[0])) for a in args)
    code, stderr, seconds = _cli("--artifacts", str(TINY), "--out", str(tmp_path / "m.bin"), *args)
    assert code == 2 and says in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert seconds < 60 and not (tmp_path / "m.bin").exists()
