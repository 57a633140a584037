"""Throughput of ``quakesat archive`` at one and two local Dask workers, in the same run (pytest-benchmark).

    pytest bench/suites/test_archive_scaling.py --benchmark-only --benchmark-group-by=group

One round is one archive pass (:func:`quakesat.ground.archive.run_archive`) of the 512 x 512
tiles of a simulated file, given :data:`REPEATS` times so that a pass is long enough to
read, through the session's int8 ONNX QuakeLite, on an already started cluster whose workers
have opened the runtime and the file in the warm-up round (the cluster's start-up is not in
the timing; docs/archive.md gives it apart). The ratio of the two rows is the scaling to
read: on a machine with fewer free cores than workers it cannot reach 2. Each round also
checks that the stream is the same bytes at both worker counts. Not a pass/fail test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("h5py")
distributed = pytest.importorskip("distributed")

from quakesat.ground.archive import local_cluster, run_archive  # noqa: E402
from quakesat.runtime.flight import RuntimeConfig  # noqa: E402
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

GROUP = "archive-512-tiles-int8-onnx"
#: Times the file is given on one pass (one pass, tile ids following on: see run_archive).
REPEATS = 4
#: The stream of the first worker count timed, checked against the next.
_STREAMS: dict[int, bytes] = {}


@pytest.fixture(scope="module")
def archive_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated file of 512 x 512 tiles: 10 events of 4 patches (about 70 tiles)."""
    path = tmp_path_factory.mktemp("archive") / "archive.h5"
    simulate_file(path, SimulationConfig(events=10, seed=4, size=512, patches_per_event=4), progress=False)
    return path


@pytest.fixture(scope="module", params=[1, 2], ids=lambda n: f"{n}-worker{'s' if n > 1 else ''}")
def cluster(request: pytest.FixtureRequest):
    """A local cluster of ``n`` single-thread worker processes (started once per count)."""
    with local_cluster(request.param) as local:
        yield request.param, local.scheduler_address


@pytest.mark.benchmark(group=GROUP)
def test_archive_pass(benchmark, exported, archive_file, cluster, tmp_path) -> None:
    workers, address = cluster
    out = tmp_path / "messages.bin"
    kwargs = {"artifact": "onnx-int8", "config": RuntimeConfig(), "split": None, "scheduler": address,
              "progress": False}
    report = benchmark.pedantic(run_archive, args=([archive_file] * REPEATS, exported[1], out), kwargs=kwargs,
                                rounds=3, warmup_rounds=1, iterations=1)
    tiles = sum(item["tiles"] for item in report["archive"]["files"])
    assert report["tiles"] == tiles > 0 and report["archive"]["workers"] == workers
    benchmark.extra_info.update(workers=workers, tiles=tiles,
                                tiles_per_s=round(tiles / benchmark.stats.stats.median, 2))
    stream = out.read_bytes()
    first = _STREAMS.setdefault(workers, stream)
    assert all(other == first for other in _STREAMS.values())  # the worker count changes nothing but time
