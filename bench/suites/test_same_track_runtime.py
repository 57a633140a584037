"""Time of one same-track tile (256 x 256 complex pair at 80 m, 8 looks) through the flight
runtime, per stage and end to end, beside an amplitude tile (pytest-benchmark).

    pytest bench/suites/test_same_track_runtime.py --benchmark-only --benchmark-group-by=group

One thread, real simulated pairs, in the same run so that the ratios are what to read: the
whole ``FlightRuntime.process`` of a same-track pair through an interferometric QuakeLite
(onnx-int8) and of a 512 x 512 amplitude pair through the amplitude one; and the same-track
stages alone: the pair's input checks, the interferogram's formation (preprocessing version 3)
and the network. Not a pass/fail test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("h5py")

from quakesat.data.quakeset import QuakeSetFile  # noqa: E402
from quakesat.export.exporter import ExportOptions, export_model  # noqa: E402
from quakesat.export.fidelity import GateLimits  # noqa: E402
from quakesat.models.train import TrainConfig, train  # noqa: E402
from quakesat.runtime.flight import FlightRuntime, RuntimeConfig  # noqa: E402
from quakesat.runtime.interferogram import InterferogramConfig, interferogram_features  # noqa: E402
from quakesat.runtime.same_track import check_same_track_pair  # noqa: E402
from quakesat.runtime.tile import SAME_TRACK, Georef, Tile  # noqa: E402
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

GROUP = "flight-runtime-same-track-tile-1-thread"
LOOKS = 8


@pytest.fixture(scope="module")
def insar(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[np.ndarray, np.ndarray]]:
    """(artifacts of an interferometric QuakeLite trained one epoch, one real same-track event pair)."""
    folder = tmp_path_factory.mktemp("same_track")
    data = folder / "slc.h5"
    simulate_file(data, SimulationConfig(events=12, seed=1, size=128, patches_per_event=1, slc=True),
                  progress=False)
    train(data, folder / "model", TrainConfig(model="quakelite", task="multi", input="interferometric",
                                              downsample=LOOKS, epochs=1), progress=False)
    no_gate = GateLimits(min_agreement=0.0, max_magnitude_drift=1e9, min_tiles=1)  # latency only
    export_model(folder / "model", data, folder / "artifacts",
                 ExportOptions(formats=("onnx",), calibration_tiles=16, calibration_methods=("minmax",),
                               per_channel=(True,), limits=no_gate))
    with QuakeSetFile(data) as qs:
        ref = next(r for r in qs.samples(1) if r.label == 1 and qs.same_track_shape(r))
        pre, post = qs.read_same_track(ref)
    return folder / "artifacts", (pre, post)


@pytest.fixture(scope="module")
def runtime(insar) -> FlightRuntime:
    return FlightRuntime.open(insar[0], "onnx-int8", RuntimeConfig(health_every=0, queue_capacity=1_000_000))


@pytest.mark.benchmark(group=GROUP)
def test_process_a_same_track_tile(benchmark, runtime, insar) -> None:
    pre, post = insar[1]
    outcome = benchmark(runtime.process, Tile(1, 1_700_000_000, pre, post, Georef(38.0, 13.0, 80.0), kind=SAME_TRACK))
    assert outcome.check.processable and "infer" in outcome.seconds


@pytest.mark.benchmark(group=GROUP)
def test_process_an_amplitude_tile_beside_it(benchmark, exported) -> None:
    amplitude = FlightRuntime.open(exported[1], "onnx-int8", RuntimeConfig(health_every=0, queue_capacity=1_000_000))
    with QuakeSetFile(exported[3]) as qs:
        first, second = qs.read(next(r for r in qs.samples(1) if r.label == 1))
    outcome = benchmark(amplitude.process, Tile(1, 1_700_000_000, first, second, Georef(38.0, 13.0)))
    assert "infer" in outcome.seconds


@pytest.mark.benchmark(group=GROUP)
def test_stage_same_track_checks(benchmark, insar) -> None:
    pre, post = insar[1]
    assert benchmark(check_same_track_pair, pre, post, pre.shape[0]).processable


@pytest.mark.benchmark(group=GROUP)
def test_stage_interferogram_formation(benchmark, insar) -> None:
    pre, post = insar[1]
    features = benchmark(interferogram_features, pre, post, InterferogramConfig(LOOKS))
    assert features.shape == (3, pre.shape[0] // LOOKS, pre.shape[1] // LOOKS)


@pytest.mark.benchmark(group=GROUP)
def test_stage_infer_onnx_int8(benchmark, runtime, insar) -> None:
    features = interferogram_features(*insar[1], InterferogramConfig(LOOKS))[None]
    heads = benchmark(runtime.model.heads, features)
    assert heads["event"].shape == (1,)
