"""Signal injection (models/inject.py): the motion's phasor, composing it over an event-free
pair, and the training events drawn from a file's training split only."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from quakesat.data.los import WAVELENGTH_M as DEFAULT_WAVELENGTH_M  # noqa: E402
from quakesat.data.los import los_phasor  # noqa: E402
from quakesat.data.quakeset import QuakeSetFile, Task  # noqa: E402
from quakesat.errors import ConfigError  # noqa: E402
from quakesat.models.inject import MIN_PEAK_FRINGES, SignalInjector, compose  # noqa: E402
from quakesat.models.torch_data import TorchQuakeSet  # noqa: E402
from quakesat.models.train import TrainConfig, train  # noqa: E402
from quakesat.runtime.interferogram import InterferogramConfig, interferogram_features  # noqa: E402
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

FRINGE_M = DEFAULT_WAVELENGTH_M / 2.0


@pytest.fixture(scope="module")
def slc_file(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("inject") / "slc.h5"
    simulate_file(path, SimulationConfig(events=12, seed=3, size=32, slc=True, slc_side=64, slc_footprint_m=5120.0),
                  progress=False, workers=1)
    return path


def test_the_phasor_of_no_motion_is_one_and_of_a_quarter_wavelength_is_minus_one() -> None:
    still = los_phasor(np.zeros((8, 8)), 4)
    assert still.shape == (2, 2) and np.allclose(still, 1.0)
    quarter = los_phasor(np.full((8, 8), DEFAULT_WAVELENGTH_M / 4.0), 4)  # 4π/λ · λ/4 = π
    assert np.allclose(quarter, -1.0)


def test_a_block_holding_a_whole_fringe_loses_its_coherence() -> None:
    # one fringe (λ/2 of motion) across each 4-pixel block, along the columns
    los = np.tile(np.arange(8) * FRINGE_M / 4.0, (8, 1))
    phasor = los_phasor(los, 4)
    assert np.all(np.abs(phasor) < 1e-9)
    gentle = los_phasor(np.tile(np.arange(8) * FRINGE_M / 64.0, (8, 1)), 4)
    assert np.all(np.abs(gentle) > 0.95)


def test_looks_that_do_not_divide_the_sides_are_refused() -> None:
    with pytest.raises(ValueError, match="divisor"):
        los_phasor(np.zeros((6, 6)), 4)


def test_composing_is_forming_the_interferogram_of_the_moved_ground() -> None:
    """Unit-amplitude speckle: the interferogram of ``pre`` and ``pre`` moved by ``los`` is the
    still pair's composed with the motion's phasor (phase and coherence alike)."""
    rng = np.random.default_rng(0)
    side, looks = 32, 4
    pre = np.exp(1j * rng.uniform(0, 2 * np.pi, (side, side))).astype(np.complex64)
    rows, cols = np.mgrid[0:side, 0:side]
    los = 0.02 * np.exp(-((rows - 12.0) ** 2 + (cols - 20.0) ** 2) / 60.0)  # a 2 cm bump: fringes
    reference = np.exp(1j * 0.7)
    config = InterferogramConfig(looks)
    still = interferogram_features(pre, (pre * reference).astype(np.complex64), config)
    moved = interferogram_features(
        pre, (pre * reference * np.exp(1j * 4 * np.pi / DEFAULT_WAVELENGTH_M * los)).astype(np.complex64), config)
    composed = compose(torch.from_numpy(still), torch.from_numpy(los_phasor(los, looks).astype(np.complex64)))
    assert np.allclose(composed.numpy(), moved, atol=2e-4)
    assert composed.numpy()[2].min() < 0.9  # the bump's steep flank did cost coherence


def test_composing_with_no_motion_changes_nothing() -> None:
    x = torch.tensor(np.stack([np.cos([[0.3, 1.0]]), np.sin([[0.3, 1.0]]), [[0.5, 0.8]]]), dtype=torch.float32)
    assert torch.allclose(compose(x, torch.ones(1, 2, dtype=torch.complex64)), x)


def _training_set(path, looks=8):
    qs = QuakeSetFile(path)
    return qs, TorchQuakeSet(qs, Task(1), "train", InterferogramConfig(looks))


def test_the_injector_uses_the_training_split_only(slc_file) -> None:
    qs, train_set = _training_set(slc_file)
    try:
        injector = SignalInjector(train_set, 8)
        negatives = sum(1 for ref in train_set.refs if ref.label == 0)
        assert injector.noise_pairs == negatives > 0
        # every train event patch whose field reaches half a fringe, counted from the file itself
        expected = 0
        with h5py.File(slc_file, "r") as h5:
            for event_id, event in h5.items():
                if event.attrs["split"] != "train":
                    continue
                for name, patch in event.items():
                    if name.startswith("patch_") and "slc_post" in patch:
                        expected += float(np.max(np.abs(patch["los_coseismic"][()]))) >= MIN_PEAK_FRINGES * FRINGE_M
        assert injector.fields == expected > 0
    finally:
        qs.close()


def test_draws_are_reproducible_balanced_and_carry_their_events_targets(slc_file) -> None:
    qs, train_set = _training_set(slc_file)
    try:
        injector = SignalInjector(train_set, 8)
        first = injector.draw(20, torch.Generator().manual_seed(5)).tensors
        again = injector.draw(20, torch.Generator().manual_seed(5)).tensors
        assert all(torch.equal(a, b) for a, b in zip(first, again))
        x, event, magnitude, location, known = first
        assert x.shape == (20, 3, 8, 8) and int(event.sum()) == 10
        train_magnitudes = {round(ref.magnitude, 4) for ref in train_set.refs if ref.label == 1}
        assert {round(float(m), 4) for m in magnitude[event == 1]} <= train_magnitudes
        assert torch.all(magnitude[event == 0] == 0) and not known[event == 0].any()
        assert torch.all(location.abs() <= 1.0)
        assert torch.all(x[:, :2].abs() <= 1.0 + 1e-6) and torch.all((x[:, 2] >= 0) & (x[:, 2] <= 1.0 + 1e-6))
    finally:
        qs.close()


def test_training_with_injection_records_it(slc_file, tmp_path) -> None:
    config = TrainConfig(model="quakelite", task="multi", input="interferometric", downsample=8, epochs=1,
                         augment=True, inject=16, threads=1, data_workers=1)
    summary = train(slc_file, tmp_path / "m", config, progress=False)
    stored = json.loads((tmp_path / "m" / "config.json").read_text())
    assert stored["train"]["inject"] == 16 and summary["data"]["injection"]["pairs_per_epoch"] == 16
    assert summary["data"]["injection"]["fields"] > 0


def test_injection_is_refused_where_it_cannot_apply(tmp_path) -> None:
    with pytest.raises(ConfigError, match="interferometric"):
        TrainConfig(inject=10)
    with pytest.raises(ConfigError, match=">= 0"):
        TrainConfig(input="interferometric", inject=-1)
    with pytest.raises(ConfigError, match=">= 0"):
        TrainConfig(input="interferometric", inject=True)
