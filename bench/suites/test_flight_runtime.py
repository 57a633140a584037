"""Time of one 512 x 512 tile through the flight runtime, per stage and end to end (pytest-benchmark).

    pytest bench/suites/test_flight_runtime.py --benchmark-only --benchmark-group-by=group

Everything at one thread, on one real simulated tile pair, in the same run so that the
ratios are what to read: the whole ``FlightRuntime.process`` for a tile that runs the model
and for a pixel-identical pair the gate skips, and each stage alone (input checks, the gate
statistic, preprocessing, the int8 ONNX model, location), and the model tile again with a
per-tile time budget set (inference on the watchdog's thread). Not a pass/fail test.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("h5py")

from quakesat.data.quakeset import QuakeSetFile  # noqa: E402
from quakesat.runtime.change import (
    change_peak,  # noqa: E402
    changed_share,  # noqa: E402
)
from quakesat.runtime.flight import FlightRuntime, RuntimeConfig  # noqa: E402
from quakesat.runtime.preprocess import preprocess_pair  # noqa: E402
from quakesat.runtime.tile import (  # noqa: E402
    Georef,
    Tile,
    check_pair,  # noqa: E402
)

GROUP = "flight-runtime-512-tile-1-thread"


@pytest.fixture(scope="module")
def pair(exported) -> tuple[np.ndarray, np.ndarray]:
    """The first event pair of the benchmark file (a real (pre, post) tile)."""
    with QuakeSetFile(exported[3]) as qs:
        ref = next(r for r in qs.samples(1) if r.label == 1)
        return qs.read(ref)


@pytest.fixture(scope="module")
def runtime(exported) -> FlightRuntime:
    # Queue large enough for every benchmark round; no health reports in the timing.
    return FlightRuntime.open(exported[1], "onnx-int8", RuntimeConfig(health_every=0, queue_capacity=1_000_000))


def make_tile(first: np.ndarray, second: np.ndarray) -> Tile:
    return Tile(1, 1_700_000_000, first, second, Georef(38.0, 13.0))


@pytest.mark.benchmark(group=GROUP)
def test_process_a_tile_that_runs_the_model(benchmark, runtime, pair) -> None:
    outcome = benchmark(runtime.process, make_tile(*pair))
    assert "infer" in outcome.seconds


@pytest.fixture(scope="module")
def budgeted_runtime(exported) -> FlightRuntime:
    """The same runtime with a per-tile budget: inference on the watchdog's thread."""
    config = RuntimeConfig(health_every=0, queue_capacity=1_000_000, deadline_s=10.0)
    return FlightRuntime.open(exported[1], "onnx-int8", config)


@pytest.mark.benchmark(group=GROUP)
def test_process_a_tile_that_runs_the_model_within_a_time_budget(benchmark, budgeted_runtime, pair) -> None:
    """Beside the unbudgeted row: what the watched thread costs (one hand-off per tile)."""
    outcome = benchmark(budgeted_runtime.process, make_tile(*pair))
    assert "infer" in outcome.seconds and budgeted_runtime.deadlines_missed == 0


@pytest.mark.benchmark(group=GROUP)
def test_process_an_identical_pair_the_gate_skips(benchmark, runtime, pair) -> None:
    outcome = benchmark(runtime.process, make_tile(pair[0], pair[0].copy()))
    assert outcome.report.gated and "infer" not in outcome.seconds


@pytest.mark.benchmark(group=GROUP)
def test_stage_input_checks(benchmark, runtime, pair) -> None:
    assert benchmark(check_pair, *pair, runtime.side, runtime.preprocess).processable


@pytest.mark.benchmark(group=GROUP)
def test_stage_gate_statistic(benchmark, pair) -> None:
    assert benchmark(changed_share, *pair) >= 0.0


@pytest.mark.benchmark(group=GROUP)
def test_stage_preprocess(benchmark, runtime, pair) -> None:
    assert benchmark(preprocess_pair, *pair, runtime.preprocess).shape == tuple(runtime.model.manifest.input.tile_shape)


@pytest.mark.benchmark(group=GROUP)
def test_stage_infer_onnx_int8(benchmark, runtime, pair) -> None:
    x = preprocess_pair(*pair, runtime.preprocess)[None]
    assert "event" in benchmark(runtime.model.heads, x)


@pytest.mark.benchmark(group=GROUP)
def test_stage_locate_change_peak(benchmark, pair) -> None:
    benchmark(change_peak, *pair)
