"""The difficulty report: contract, determinism, baselines that can fail and succeed, the stated properties.

Files are tiny (64 px tiles, a dozen events) except in the slow test, so scores are noisy;
every bound is paired with a file where the opposite outcome is forced (no co-seismic
change at all; a planted +10 dB change), so a baseline that always "fails" or always
"succeeds" cannot pass both. The slow test checks, on a benchmark-sized file, the
properties docs/simulator.md states, not a tuned number.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import pytest

from quakesat.doc_blocks import markers, replace_block
from quakesat.errors import ConfigError
from quakesat.evaluation.baselines import DETECTOR_BASELINES
from quakesat.evaluation.difficulty import difficulty_report, format_difficulty
from quakesat.simulator.coseismic import CoseismicConfig
from quakesat.simulator.simulate import SimulationConfig, simulate_file

SIZE = 64
REPORT_KEYS = {"file", "samples", "hard_negatives", "baselines", "magnitude", "signal", "interferometric",
               "seconds"}
BASELINE_KEYS = {"roc_auc", "average_precision", "recall_at_1pct", "far_at_1pct", "hard_negative_specificity",
                 "accuracy", "settings", "visible_roc_auc"}


def _simulate(tmp_path_factory: pytest.TempPathFactory, name: str, config: SimulationConfig) -> Path:
    path = tmp_path_factory.mktemp("difficulty") / name
    simulate_file(path, config, progress=False, workers=1)
    return path


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = _simulate(tmp_path_factory, "earthquakes.h5", SimulationConfig(events=10, seed=3, size=SIZE))
    return path, difficulty_report(path)


@pytest.fixture(scope="module")
def no_signal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Events without any surface change: post differs from pre by natural change and speckle only."""
    config = SimulationConfig(events=12, seed=7, size=SIZE, coseismic=CoseismicConfig(enabled=False))
    return _simulate(tmp_path_factory, "no_signal.h5", config)


# ─── contract ───────────────────────────────────────────────────────────────────────────
def test_report_has_the_documented_keys_and_is_strict_json(simulated):
    _, report = simulated
    assert set(report) == REPORT_KEYS
    assert set(report["baselines"]) == set(DETECTOR_BASELINES)
    for block in report["baselines"].values():
        assert set(block) == BASELINE_KEYS
    assert set(report["magnitude"]) == {"constant-mean", "lightgbm-regressor"}
    json.loads(json.dumps(report, allow_nan=False))


def test_report_is_deterministic(simulated):
    path, report = simulated
    again = difficulty_report(path)
    assert {k: again[k] for k in REPORT_KEYS - {"seconds"}} == {k: report[k] for k in REPORT_KEYS - {"seconds"}}


def test_the_identical_rule_has_no_skill_on_the_hard_tiles(simulated):
    _, report = simulated
    assert report["baselines"]["identical-pair"]["roc_auc"] == 0.5
    assert report["magnitude"]["constant-mean"]["ratio"] == 1.0


def test_the_signal_block_describes_the_ground_truth(simulated):
    _, report = simulated
    signal = report["signal"]
    assert signal["tiles"] == sum(row["tiles"] for row in signal["by_magnitude"])
    assert 0.0 <= signal["visibly_damaged"] <= 1.0
    assert signal["negative_pairs"] > 0 and signal["confounds"]


def test_markdown_goes_into_the_doc_block_and_nowhere_else(simulated, tmp_path):
    _, report = simulated
    begin, end = markers("difficulty")
    doc = tmp_path / "doc.md"
    doc.write_text(f"# Title\n\nprose before\n\n{begin}\nstale numbers\n{end}\n\nprose after\n")
    replace_block(doc, "difficulty", format_difficulty(report))
    text = doc.read_text()
    assert "stale numbers" not in text and "prose before" in text and "prose after" in text
    assert "| log-ratio |" in text and text.count(begin) == 1
    replace_block(doc, "difficulty", format_difficulty(report))  # idempotent
    assert doc.read_text() == text
    (tmp_path / "none.md").write_text("no block here\n")
    with pytest.raises(ConfigError, match="expected one block"):
        replace_block(tmp_path / "none.md", "difficulty", "x")


# ─── can fail, can succeed ──────────────────────────────────────────────────────────────
def test_no_coseismic_change_leaves_nothing_to_find(no_signal):
    report = difficulty_report(no_signal)
    assert report["signal"]["visibly_damaged"] == 0.0
    for name in ("log-ratio", "random-forest", "lightgbm"):
        # Chance is 0.5; ~60 hard tiles give a standard error of ~0.075: 0.8 is 4 of them.
        assert report["baselines"][name]["roc_auc"] <= 0.8, (name, report["baselines"][name])


def test_a_planted_change_is_found_by_the_log_ratio(no_signal, tmp_path, copy_with_patches_edited):
    # Every ``post`` (used only by positives) made 10x brighter: +10 dB in every pixel.
    def brighten_post(patch: h5py.Group) -> None:
        patch["post"][...] = patch["post"][...] * 10.0

    planted = copy_with_patches_edited(no_signal, tmp_path / "planted.h5", brighten_post)
    report = difficulty_report(planted)
    assert report["baselines"]["log-ratio"]["roc_auc"] >= 0.95, report["baselines"]["log-ratio"]
    assert report["baselines"]["lightgbm"]["roc_auc"] >= 0.9, report["baselines"]["lightgbm"]


# ─── the stated properties (docs/simulator.md, "Difficulty") ────────────────────────────
@pytest.mark.slow
def test_default_simulator_properties(tmp_path_factory: pytest.TempPathFactory) -> None:
    """On a benchmark-like file (60 events, 512 px) the properties docs/simulator.md states:
    visible damage grows with magnitude and falls with distance; the negatives carry
    confounds; the identical rule has no skill on the hard tiles; no change-amount baseline
    solves detection (ROC AUC below 0.8), and no magnitude baseline beats the constant by much."""
    path = _simulate(tmp_path_factory, "benchmark.h5", SimulationConfig(events=60, seed=2024))
    report = difficulty_report(path)
    print(json.dumps(report))
    signal = report["signal"]
    by_magnitude = [row["visibly_damaged"] for row in signal["by_magnitude"] if row["tiles"] >= 20]
    by_distance = [row["visibly_damaged"] for row in signal["by_distance_km"] if row["tiles"] >= 20]
    assert by_magnitude[-1] > by_magnitude[0], signal["by_magnitude"]
    assert by_distance[0] > by_distance[-1], signal["by_distance_km"]
    assert sum(signal["confounds"].values()) > 1.0  # more than one confound per negative pair on average
    assert report["baselines"]["identical-pair"]["roc_auc"] == 0.5
    for name in ("log-ratio", "random-forest", "lightgbm"):
        assert report["baselines"][name]["roc_auc"] < 0.8, report["baselines"]
    assert report["magnitude"]["lightgbm-regressor"]["ratio"] > 0.8, report["magnitude"]
