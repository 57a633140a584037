"""Shared benchmark fixtures: one QuakeLite multi-head exported per session, one thread.

The network is trained for one epoch on simulated 512 x 512 tiles (latency does not depend
on its accuracy) and exported to every format this machine can write, with the fidelity gate
disabled; the manifest's gate and location blocks are calibrated on the file's validation
split as in any export.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from quakesat.export.exporter import ExportOptions, export_model  # noqa: E402
from quakesat.export.fidelity import GateLimits  # noqa: E402
from quakesat.export.pte_export import pte_available  # noqa: E402
from quakesat.export.tflite_export import tflite_available  # noqa: E402
from quakesat.models.train import TrainConfig, train  # noqa: E402
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

FORMATS = ("onnx",) + (("tflite",) if tflite_available() else ()) + (("pte",) if pte_available() else ())


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray, Path]:
    """(model folder, artifacts folder, one preprocessed 4 x 256 x 256 tile, the .h5 file)."""
    folder = tmp_path_factory.mktemp("latency")
    data = folder / "tiles.h5"
    simulate_file(data, SimulationConfig(events=12, seed=1, size=512, patches_per_event=1,
                                         identical_negative_share=0.5), progress=False)
    train(data, folder / "model", TrainConfig(model="quakelite", task="multi", epochs=1), progress=False)
    no_gate = GateLimits(min_agreement=0.0, max_magnitude_drift=1e9, min_tiles=1)  # latency only: an untrained net
    export_model(folder / "model", data, folder / "artifacts",
                 ExportOptions(formats=FORMATS, calibration_tiles=16, calibration_methods=("minmax",),
                               per_channel=(True,), limits=no_gate))
    tiles = np.random.default_rng(0).normal(size=(1, 4, 256, 256)).astype(np.float32)
    return folder / "model", folder / "artifacts", tiles, data


@pytest.fixture(autouse=True)
def one_thread():
    """Every benchmark at one thread (torch's default would take every core)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
