"""Training and evaluation of networks: schedule, losses, determinism, folders, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from quakesat.cli import main  # noqa: E402
from quakesat.errors import ConfigError, ModelNotFoundError  # noqa: E402
from quakesat.evaluation.evaluate import evaluate  # noqa: E402
from quakesat.models.torch_data import location_target  # noqa: E402
from quakesat.models.train import (  # noqa: E402
    TrainConfig,
    compute_loss,
    cosine_with_warmup,
    load_network,
    train,
)
from quakesat.runtime.preprocess import PREPROCESS_VERSION  # noqa: E402
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("train") / "small.h5"
    simulate_file(path, SimulationConfig(events=8, seed=4, size=64), progress=False)
    return path


def test_schedule_warms_up_linearly_then_follows_a_cosine() -> None:
    factor = cosine_with_warmup(total_steps=100, warmup_share=0.1)
    assert [factor(s) for s in (0, 4, 9)] == pytest.approx([0.1, 0.5, 1.0])
    assert factor(10) == pytest.approx(1.0)
    assert factor(55) == pytest.approx(0.5 * (1 + math.cos(math.pi * 45 / 90)))
    assert factor(100) == pytest.approx(0.0)


def test_loss_is_the_weighted_sum_of_the_heads_present() -> None:
    outputs = {"event": torch.tensor([0.0, 0.0]), "magnitude": torch.tensor([5.0, 3.0]),
               "location": torch.tensor([[0.5, 0.0], [0.0, 0.0]])}
    targets = {"event": torch.tensor([1.0, 0.0]), "magnitude": torch.tensor([6.0, 0.0]),
               "location": torch.tensor([[0.0, 0.0], [0.0, 0.0]]), "has_location": torch.tensor([True, False])}
    bce = math.log(2.0)  # logit 0 against either label
    conditional_mse = 1.0  # multi-head: magnitude error on the event sample only (6 vs 5)
    location = (0.25 + 0.0) / 2  # only the first sample has a location
    loss = compute_loss(outputs, targets, {"event": 1.0, "magnitude": 0.1, "location": 2.0})
    assert float(loss) == pytest.approx(bce + 0.1 * conditional_mse + 2.0 * location)
    # A magnitude-only network regresses the paper's target (0 for the negative) with plain
    # MSE over every sample, whatever the multi-head weight.
    alone = compute_loss({"magnitude": outputs["magnitude"]}, targets, {"magnitude": 0.1})
    assert float(alone) == pytest.approx((1.0 + 9.0) / 2)
    # A batch without events adds no magnitude term to the multi-head loss.
    negatives = {name: value[1:] for name, value in targets.items()}
    only_negative = compute_loss({"event": outputs["event"][1:], "magnitude": outputs["magnitude"][1:]}, negatives,
                                 {"event": 1.0, "magnitude": 0.1})
    assert float(only_negative) == pytest.approx(bce)


def test_multi_head_reports_its_magnitude_only_where_the_event_head_fires(small_file) -> None:
    from quakesat.data.quakeset import QuakeSetFile
    from quakesat.models.torch_data import TorchQuakeSet
    from quakesat.models.train import EVENT_THRESHOLD, predict
    from quakesat.runtime.preprocess import PreprocessConfig

    class TwoHeads(torch.nn.Module):
        """Event logit = mean post-minus-pre VV (centred on this file), magnitude = 5.5."""

        def __init__(self, centre: float) -> None:
            super().__init__()
            self.centre = torch.nn.Parameter(torch.tensor(centre))

        def forward(self, x):
            change = (x[:, 2] - x[:, 0]).mean(dim=(1, 2))
            return {"event": 100 * (change - self.centre), "magnitude": torch.full_like(change, 5.5)}

    with QuakeSetFile(small_file) as qs:
        tiles = TorchQuakeSet(qs, 1, None, PreprocessConfig(downsample=2))
        changes = [float((tiles[i][0][2] - tiles[i][0][0]).mean()) for i in range(len(tiles))]
        outputs = predict(TwoHeads(float(np.median(changes))), tiles)
    fires = outputs["event"] >= EVENT_THRESHOLD
    assert fires.any() and (~fires).any()
    assert np.all(outputs["magnitude"][fires] == pytest.approx(5.5))
    assert np.all(outputs["magnitude"][~fires] == 0.0)
    assert np.all(outputs["magnitude_given_event"] == pytest.approx(5.5))


def test_cuda_is_refused_clearly_where_torch_sees_no_gpu() -> None:
    from quakesat.models.train import resolve_device

    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device"):
            resolve_device("cuda")


def test_location_target_in_half_tile_units() -> None:
    inside = {"epicenter_in_patch": True}
    assert location_target({"epicenter_row": 31.5, "epicenter_col": 63.5, **inside}, 64) == ((0.0, 1.0), True)
    assert location_target({"epicenter_row": 0.0, "epicenter_col": 31.5, **inside}, 64)[0] == \
        pytest.approx((-31.5 / 32, 0.0))
    assert location_target({"epicenter_row": 200.0, "epicenter_col": 10.0}, 64) == ((0.0, 0.0), False)
    assert location_target({}, 64) == ((0.0, 0.0), False)


def test_the_location_target_is_the_damage_centroid_where_the_simulator_recorded_damage() -> None:
    attrs = {"epicenter_row": 31.5, "epicenter_col": 63.5, "epicenter_in_patch": True, "damaged_fraction": 0.02,
             "damage_centroid_row": 15.5, "damage_centroid_col": 31.5}
    assert location_target(attrs, 64) == ((-0.5, 0.0), True)
    # a tile of a file that records damage, without any: nothing to locate, whatever the epicentre
    no_damage = {k: v for k, v in attrs.items() if not k.startswith("damage_centroid")}
    assert location_target({**no_damage, "damaged_fraction": 0.0}, 64) == ((0.0, 0.0), False)


@pytest.mark.parametrize("options", [dict(model="resnet"), dict(task="segment"), dict(task="multi", input="single"),
                                     dict(epochs=0), dict(device="tpu")])
def test_bad_options_are_refused(options: dict) -> None:
    with pytest.raises(ConfigError):
        TrainConfig(**options)


def test_same_seed_same_trained_weights(small_file, tmp_path) -> None:
    config = TrainConfig(model="quakelite", task="multi", epochs=1, downsample=2, seed=3)
    train(small_file, tmp_path / "a", config, progress=False)
    train(small_file, tmp_path / "b", config, progress=False)
    a, config_a = load_network(tmp_path / "a")
    b, _ = load_network(tmp_path / "b")
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(pa, pb), name
    assert config_a["preprocess"]["version"] == PREPROCESS_VERSION and config_a["preprocess"]["downsample"] == 2
    assert config_a["paper_task"] == 1 and config_a["net_spec"]["location"] is True
    assert config_a["input_shape"] == [4, 32, 32]


def test_train_then_evaluate_single_image_magnitude(small_file, tmp_path) -> None:
    summary = train(small_file, tmp_path / "m", TrainConfig(task="magnitude", input="single", epochs=1, downsample=2),
                    progress=False)
    assert summary["paper_task"] == 6 and summary["input_shape"] == [2, 32, 32]
    report = evaluate(small_file, tmp_path / "m", "test")
    assert set(report["magnitude"]) >= {"mae", "magnitude_accuracy"}
    assert "detection" not in report
    assert report["macs"] > 0 and report["params"] > 0 and report["ms_per_tile"] > 0


def test_evaluate_without_a_model_folder_says_how_to_make_one(small_file, tmp_path) -> None:
    with pytest.raises(ModelNotFoundError, match="quakesat train"):
        evaluate(small_file, tmp_path / "nothing")


def test_cli_train_and_evaluate(small_file, tmp_path, capsys) -> None:
    out = tmp_path / "cli"
    assert main(["train", "--data", str(small_file), "--out", str(out), "--epochs", "1", "--downsample", "2",
                 "--quiet"]) == 0
    assert "validation" in json.loads(capsys.readouterr().out)
    assert main(["evaluate", "--data", str(small_file), "--model-dir", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["paper_task"] == 1 and 0.0 <= report["detection"]["accuracy"] <= 1.0
    assert main(["train", "--data", str(small_file), "--out", str(out), "--model", "vgg"]) == 2


@pytest.mark.parametrize("model, task, key", [("svc-rbf", "detect", "detection"), ("svr-cubic", "magnitude", "magnitude")])
def test_cli_trains_and_evaluates_shallow_models(small_file, tmp_path, capsys, model, task, key) -> None:
    out = tmp_path / model
    assert main(["train", "--data", str(small_file), "--model", model, "--task", task, "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert json.loads((out / "config.json").read_text())["family"] == "shallow"
    assert main(["evaluate", "--data", str(small_file), "--model-dir", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["family"] == "shallow" and report["model"] == model and key in report
    # A detector name asked to regress is refused by name, not with a traceback.
    assert main(["train", "--data", str(small_file), "--model", "svc-rbf", "--task", "magnitude",
                 "--out", str(tmp_path / "bad")]) == 2


def test_preloaded_samples_equal_samples_preprocessed_on_demand(small_file) -> None:
    from quakesat.data.quakeset import QuakeSetFile
    from quakesat.models.torch_data import TorchQuakeSet
    from quakesat.runtime.preprocess import PreprocessConfig

    with QuakeSetFile(small_file) as qs:
        preloaded = TorchQuakeSet(qs, 1, "train", PreprocessConfig(downsample=2))
        preloaded.preload(workers=2)
        assert len(preloaded._cache) == len(preloaded), "preload fills the whole cache"
        on_demand = TorchQuakeSet(qs, 1, "train", PreprocessConfig(downsample=2), cache=False)
        assert len(preloaded) == len(on_demand) > 2
        for index in range(len(on_demand)):
            assert torch.equal(preloaded[index][0], on_demand[index][0]), index
