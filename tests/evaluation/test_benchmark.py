"""The benchmark runner: every baseline and network row, seeds summarised, choices on validation, outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from quakesat.evaluation.baselines import DETECTOR_BASELINES, MAGNITUDE_BASELINES  # noqa: E402
from quakesat.evaluation.benchmark import (  # noqa: E402
    DETERMINISTIC_BASELINES,
    NetworkRow,
    reference_macs,
    run_benchmark,
)
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

ROW = NetworkRow("quakelite", "multi", downsample=(1, 2), epochs=2)


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("benchmark")
    data = folder / "tiny.h5"
    simulate_file(data, SimulationConfig(events=12, seed=2, size=32), progress=False, workers=1)
    return folder, run_benchmark(data, folder / "out", (ROW,), seeds=(0, 1))


def test_every_baseline_and_the_network_are_rows(bench_run):
    _, result = bench_run
    names = [row["name"] for row in result["rows"]]
    assert names == [*DETECTOR_BASELINES, *MAGNITUDE_BASELINES, ROW.name]
    for row in result["rows"]:
        expected = 1 if row["name"] in DETERMINISTIC_BASELINES else 2
        assert row["seeds"] == expected == len(row["per_seed"]), row["name"]


def test_summaries_are_the_seed_means(bench_run):
    _, result = bench_run
    network = result["rows"][-1]
    aucs = [block["operating_points"]["roc_auc"] for block in network["per_seed"].values()]
    assert network["summary"]["roc_auc"]["mean"] == pytest.approx(np.mean(aucs), abs=1e-4)
    assert network["summary"]["roc_auc"]["n"] == 2
    recalls = [block["operating_points"]["points"][0]["recall"] for block in network["per_seed"].values()]
    assert network["summary"]["recall@0.01"]["mean"] == pytest.approx(np.mean(recalls), abs=1e-4)


def test_the_multilook_is_the_best_on_validation_and_every_seed_uses_it(bench_run):
    _, result = bench_run
    network = result["rows"][-1]
    selection = network["selection"]
    scores = {int(k): v for k, v in selection["scores"].items()}
    assert selection["chosen"] == max(scores, key=scores.get)
    assert {block["downsample"] for block in network["per_seed"].values()} == {selection["chosen"]}


def test_outputs_are_written(bench_run):
    folder, result = bench_run
    out = folder / "out"
    assert json.loads((out / "results.json").read_text())["rows"][0]["name"] == "identical-pair"
    tables = (out / "results.md").read_text()
    for name in (*DETECTOR_BASELINES, ROW.name, "constant-mean"):
        assert f"| {name} |" in tables
    for plot in ("roc_pr.png", "detection_vs_magnitude_distance.png"):
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Tiny file: the 1 % rate cannot be measured, and the tables say so.
    assert "needs 100 non-identical negatives" in tables


def test_reference_macs_meet_the_low_resource_target() -> None:
    macs = reference_macs()
    assert macs["mobilenetv2@512"] > 1.5e9
    assert macs["quakelite@128"] * 20 <= macs["mobilenetv2@512"]
