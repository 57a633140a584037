"""The baselines: the pair table, the validation-only choices, and every block of the report.

Most tests read a file written here with plain h5py in the published schema, not by the
simulator (whose physics changes under it): 14 events of 3 patches, 32 px tiles, speckled scenes, a
+6 dB change planted on a known square of every event's post image (smaller the farther the
patch is from the epicentre), half the negatives pixel-identical, ``distance_km`` on every
patch but one. The splits are fixed by hand so that validation and test both hold events and
non-identical negatives. Written once per module: reading it and fitting every baseline takes
about two seconds. One test runs the whole path on a small simulated file (``quakesat
simulate``, its file schema being the stable part).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from quakesat.cli import main
from quakesat.data.quakeset import QuakeSetFile, Task
from quakesat.errors import ConfigError
from quakesat.evaluation.baselines import (
    DETECTOR_BASELINES,
    FOREST_PARAMS,
    LIGHTGBM_PARAMS,
    MAGNITUDE_BASELINES,
    PairTable,
    balanced_accuracy_threshold,
    fit_baselines,
    pair_table,
    run_baselines,
)
from quakesat.evaluation.metrics import MetricInputError
from quakesat.evaluation.plots import plot_detection_vs_magnitude_distance, plot_roc_pr
from quakesat.models.change_features import CHANGE_FEATURE_NAMES, SHARE_LOOKS, SHARE_THRESHOLDS_DB, changed_shares

SIDE = 32
PATCHES = 3
SPLITS = ["train"] * 8 + ["validation"] * 3 + ["test"] * 3
#: The patch written without ``distance_km`` (the real file records none).
NO_DISTANCE = ("1003", "patch_1")


def _speckled(scene: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return (scene * rng.gamma(4.4, 1 / 4.4, size=scene.shape)).astype(np.float32)


def write_file(path: Path, seed: int = 5) -> Path:
    """The module's file (docstring above)."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        for number, split in enumerate(SPLITS):
            event = f.create_group(str(1000 + number))
            event.attrs["magnitude"] = round(float(rng.uniform(4.2, 6.4)), 1)
            event.attrs["split"] = split
            for p in range(PATCHES):
                patch = event.create_group(f"patch_{p}")
                scene = np.exp(rng.normal(np.log([0.1, 0.025]), 0.5, size=(SIDE, SIDE, 2)))
                before, pre, post = (_speckled(scene, rng) for _ in range(3))
                distance = float(rng.uniform(0.5, 15.0))
                side = max(4, int(SIDE * 0.6 * (1 - distance / 20)))
                post[:side, :side] *= np.float32(10 ** 0.6)
                if rng.random() < 0.5:
                    before = pre.copy()
                if p == 2:
                    post[-2:] = np.nan  # a no-data border in one image of the pair
                for name, image in (("before", before), ("pre", pre), ("post", post)):
                    patch.create_dataset(name, data=image)
                if (str(1000 + number), f"patch_{p}") != NO_DISTANCE:
                    patch.attrs["distance_km"] = distance
    return path


@pytest.fixture(scope="module")
def hand_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_file(tmp_path_factory.mktemp("baselines") / "earthquakes.h5")


@pytest.fixture(scope="module")
def table(hand_file: Path) -> PairTable:
    return pair_table(hand_file, workers=1)


@pytest.fixture(scope="module")
def report(table: PairTable) -> dict[str, Any]:
    return fit_baselines(table, seed=0)


# ─── the pair table ─────────────────────────────────────────────────────────────────────
def test_table_has_one_row_per_pair_in_file_order(table: PairTable, hand_file: Path) -> None:
    n = len(SPLITS) * PATCHES * 2
    assert table.features.shape == (n, len(CHANGE_FEATURE_NAMES))
    assert table.features.dtype == np.float32
    assert table.shares.shape == (n, len(SHARE_LOOKS), len(SHARE_THRESHOLDS_DB))
    assert table.label.tolist() == [1, 0] * (n // 2)  # positive, then negative, per patch
    assert table.event_id[:2].tolist() == ["1000", "1000"] and table.patch[2] == "patch_1"
    assert (table.magnitude[table.label == 0] == 0).all() and (table.magnitude[table.label == 1] > 4).all()
    with h5py.File(hand_file) as f:
        same = [bool(np.array_equal(f[e][p]["before"][()], f[e][p]["pre"][()], equal_nan=True))
                for e, p in zip(table.event_id[1::2], table.patch[1::2])]
    assert table.identical[1::2].tolist() == same and not table.identical[0::2].any()
    assert 0 < sum(same) < len(same)


def test_table_distances_and_statistics(table: PairTable, hand_file: Path) -> None:
    missing = (table.event_id == NO_DISTANCE[0]) & (table.patch == NO_DISTANCE[1])
    assert np.isnan(table.distance_km[missing]).all() and missing.sum() == 2
    assert np.isfinite(table.distance_km[~missing]).all()
    # Identical pairs have no change at all; the table's shares are those of the reader.
    assert (table.shares[table.identical] == 0).all()
    with h5py.File(hand_file) as f:
        group = f["1009"]["patch_2"]
        expected = changed_shares(group["pre"][()], group["post"][()])
    row = np.flatnonzero((table.event_id == "1009") & (table.patch == "patch_2") & (table.label == 1))[0]
    np.testing.assert_array_equal(table.shares[row], expected)


def test_table_is_the_same_with_two_workers(table: PairTable, hand_file: Path) -> None:
    other = pair_table(hand_file, workers=2)
    np.testing.assert_array_equal(other.features, table.features)
    np.testing.assert_array_equal(other.shares, table.shares)
    assert other.identical.tolist() == table.identical.tolist()


# ─── balanced-accuracy threshold ────────────────────────────────────────────────────────
def test_balanced_threshold_by_hand() -> None:
    # Events 0.6, 0.8, 0.9; negatives 0.1, 0.2, 0.7. ">= 0.6" gets 3/3 events and 2/3 quiet
    # (0.833), ">= 0.8" gets 2/3 and 3/3 (0.833): the tie goes to the higher, moved to the
    # midpoint with the next lower score, 0.7.
    labels = [1, 1, 1, 0, 0, 0]
    scores = [0.6, 0.8, 0.9, 0.1, 0.2, 0.7]
    assert balanced_accuracy_threshold(labels, scores) == pytest.approx(0.75)
    # Perfectly separated: the midpoint of the gap.
    assert balanced_accuracy_threshold([0, 0, 1], [0.1, 0.3, 0.5]) == pytest.approx(0.4)
    # The event below the negative: ">= 0.1" scores 0.5, ">= 0.9" scores 0; the lowest
    # score is returned as it is (no lower neighbour to move to).
    assert balanced_accuracy_threshold([1, 0], [0.1, 0.9]) == 0.1


def test_balanced_threshold_needs_both_classes() -> None:
    with pytest.raises(MetricInputError, match="events and non-events"):
        balanced_accuracy_threshold([1, 1], [0.1, 0.2])
    with pytest.raises(MetricInputError):
        balanced_accuracy_threshold([1, 0], [0.1, float("nan")])


# ─── the report ─────────────────────────────────────────────────────────────────────────
def test_report_has_every_block_with_consistent_lengths(report: dict[str, Any], table: PairTable) -> None:
    n_test = int((table.split == "test").sum())
    assert report["samples"] == {"train": 48, "validation": 18, "test": n_test}
    assert set(report["detectors"]) == set(DETECTOR_BASELINES)
    assert set(report["magnitude"]) == set(MAGNITUDE_BASELINES)
    samples = report["test_samples"]
    assert {len(values) for values in samples.values()} == {n_test}
    assert samples["distance_km"].count(None) == (2 if NO_DISTANCE[0] in samples["event_id"] else 0)
    assert report["hard_samples"]["test"] == sum(samples["hard"])
    for name, block in report["detectors"].items():
        assert len(block["scores"]) == len(block["decisions"]) == n_test, name
        assert block["decisions"] == [int(s >= block["decision_threshold"]) for s in block["scores"]], name
        assert block["test"]["n"] == n_test and block["test_hard"]["n"] == sum(samples["hard"]), name
        assert [p["rate"] for p in block["operating_points"]["points"]] == [0.01, 0.001]
        assert block["operating_points"]["n_test_events"] == sum(samples["label"])
        assert block["curves"]["n"] == sum(samples["hard"])
        assert block["by_bins"]["n_events"] == sum(samples["label"])
    for name, block in report["magnitude"].items():
        assert len(block["predictions"]) == n_test, name
        assert block["magnitude_skill"]["n_events"] == sum(samples["label"])
    json.dumps(report, allow_nan=False)  # JSON-ready: no NaN anywhere


def test_identical_rule_has_no_skill_on_the_hard_set(report: dict[str, Any]) -> None:
    block = report["detectors"]["identical-pair"]
    samples = report["test_samples"]
    assert block["scores"] == [0.0 if same else 1.0 for same in samples["identical"]]
    assert block["operating_points"]["roc_auc"] == 0.5
    assert block["test"]["accuracy"] > block["test_hard"]["accuracy"]  # the shortcut, on the whole set
    assert block["test_hard"]["counts"]["tn"] == 0


def test_planted_change_is_found_by_the_change_baselines(report: dict[str, Any]) -> None:
    # +6 dB on at least a sixth of every event's pixels: a change detector must rank
    # (nearly) every event above every hard negative.
    for name in ("log-ratio", "random-forest", "lightgbm"):
        assert report["detectors"][name]["operating_points"]["roc_auc"] >= 0.9, name


def test_settings_report_the_fixed_hyper_parameters(report: dict[str, Any]) -> None:
    forest = report["detectors"]["random-forest"]["settings"]["hyper_parameters"]
    assert forest == {**FOREST_PARAMS, "random_state": 0} and forest["n_estimators"] == 300
    boost = report["detectors"]["lightgbm"]["settings"]["hyper_parameters"]
    assert boost["n_estimators"] == 200 and boost["num_leaves"] == 15 and boost == {**LIGHTGBM_PARAMS, "random_state": 0}
    rule = report["detectors"]["log-ratio"]["settings"]
    assert rule["looks"] in SHARE_LOOKS and rule["change_db"] in SHARE_THRESHOLDS_DB
    assert len(rule["candidates"]) == len(SHARE_LOOKS) * len(SHARE_THRESHOLDS_DB)
    best = max(c["validation_auc"] for c in rule["candidates"])
    first_best = next(c for c in rule["candidates"] if c["validation_auc"] == best)
    assert (rule["looks"], rule["change_db"]) == (first_best["looks"], first_best["change_db"])


def test_magnitude_constant_is_the_training_event_mean(report: dict[str, Any], table: PairTable) -> None:
    train_events = (table.split == "train") & (table.label == 1)
    expected = float(table.magnitude[train_events].mean())
    block = report["magnitude"]["constant-mean"]
    assert block["predictions"] == [expected] * len(block["predictions"])
    skill = block["magnitude_skill"]
    assert skill["constant_magnitude"] == round(expected, 4) and skill["ratio"] == 1.0
    assert skill["informative"] is False
    regressor = report["magnitude"]["lightgbm-regressor"]["magnitude_skill"]
    assert regressor["constant_mae_events"] == skill["constant_mae_events"]


def test_no_choice_reads_test_labels(table: PairTable, report: dict[str, Any]) -> None:
    test = np.flatnonzero(table.split == "test")
    order = np.random.default_rng(0).permutation(test.size)
    label, magnitude = table.label.copy(), table.magnitude.copy()
    label[test], magnitude[test] = label[test][order], magnitude[test][order]
    assert (label != table.label).any()
    permuted = fit_baselines(replace(table, label=label, magnitude=magnitude), seed=0)
    for name in DETECTOR_BASELINES:
        a, b = report["detectors"][name], permuted["detectors"][name]
        assert a["settings"] == b["settings"] and a["decision_threshold"] == b["decision_threshold"], name
        assert a["scores"] == b["scores"] and a["decisions"] == b["decisions"], name
        assert [p["threshold"] for p in a["operating_points"]["points"]] == \
            [p["threshold"] for p in b["operating_points"]["points"]], name
    for name in MAGNITUDE_BASELINES:
        assert report["magnitude"][name]["predictions"] == permuted["magnitude"][name]["predictions"], name


def test_validation_labels_drive_the_choices(table: PairTable, report: dict[str, Any]) -> None:
    # The counterpart of the test above: flip validation's labels and the rule's threshold moves.
    validation = table.split == "validation"
    label = table.label.copy()
    label[validation] = 1 - label[validation]
    flipped = fit_baselines(replace(table, label=label, identical=table.identical & ~validation), seed=0)
    assert flipped["detectors"]["log-ratio"]["decision_threshold"] != \
        report["detectors"]["log-ratio"]["decision_threshold"]


def test_same_seed_same_report(table: PairTable, report: dict[str, Any]) -> None:
    again = fit_baselines(table, seed=0)
    for name in ("random-forest", "lightgbm"):
        assert again["detectors"][name]["scores"] == report["detectors"][name]["scores"], name


def test_run_baselines_reads_and_fits(hand_file: Path, report: dict[str, Any]) -> None:
    result = run_baselines(hand_file, seed=0)  # every CPU: the table must not depend on it
    assert result["detectors"]["log-ratio"]["scores"] == report["detectors"]["log-ratio"]["scores"]
    assert result["file"] == str(hand_file)


def test_a_split_without_what_the_choices_need_is_refused(table: PairTable) -> None:
    validation = table.split == "validation"
    with pytest.raises(ConfigError, match="validation split needs events and non-identical negatives"):
        fit_baselines(replace(table, identical=table.identical | validation))
    with pytest.raises(ConfigError, match="train split needs events and non-events"):
        fit_baselines(replace(table, label=np.where(table.split == "train", 1, table.label)))
    with pytest.raises(ConfigError, match="test split is empty"):
        fit_baselines(replace(table, split=np.where(table.split == "test", "train", table.split)))


# ─── plots of the report ────────────────────────────────────────────────────────────────
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plots_are_written_whole(report: dict[str, Any], tmp_path: Path) -> None:
    rows = [{"name": name, "curves": block["curves"]} for name, block in report["detectors"].items()]
    rows.append({"name": "one class", "curves": {"roc": None, "pr": None}})  # left out, not an error
    roc = plot_roc_pr(rows, tmp_path / "roc_pr.png")
    bins = plot_detection_vs_magnitude_distance(
        {name: block["by_bins"] for name, block in report["detectors"].items()}, tmp_path / "bins.png")
    for path in (roc, bins):
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bins.png", "roc_pr.png"]  # no partial file left


def test_plots_refuse_what_they_cannot_draw(report: dict[str, Any], tmp_path: Path) -> None:
    block = report["detectors"]["lightgbm"]
    with pytest.raises(ConfigError, match="does not exist"):
        plot_roc_pr([{"name": "x", "curves": block["curves"]}], tmp_path / "missing" / "roc.png")
    with pytest.raises(ConfigError, match="no rows"):
        plot_roc_pr([], tmp_path / "roc.png")
    with pytest.raises(ConfigError, match="'name' and 'curves'"):
        plot_roc_pr([{"curves": block["curves"]}], tmp_path / "roc.png")
    other = {**block["by_bins"], "magnitude": block["by_bins"]["magnitude"][:-1]}
    with pytest.raises(ConfigError, match="different magnitude bins"):
        plot_detection_vs_magnitude_distance({"a": block["by_bins"], "b": other}, tmp_path / "bins.png")
    assert list(tmp_path.iterdir()) == []


# ─── a simulated file, end to end ───────────────────────────────────────────────────────
@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("simulated") / "earthquakes.h5"
    code = main(["simulate", "--events", "10", "--size", "32", "--seed", "1", "--identical-negatives", "0.5",
                 "--workers", "1", "--quiet", "--out", str(path)])
    assert code == 0
    return path


def test_run_baselines_on_a_simulated_file(simulated: Path) -> None:
    result = run_baselines(simulated, seed=1)
    with QuakeSetFile(simulated) as qs:
        refs = qs.samples(Task.BITEMPORAL_DETECTION, "test")
        distances = [qs.patch_attrs(ref.event_id, ref.patch).get("distance_km") for ref in refs]
    samples = result["test_samples"]
    assert samples["event_id"] == [ref.event_id for ref in refs] and samples["label"] == [ref.label for ref in refs]
    assert samples["distance_km"] == [None if d is None else float(d) for d in distances]
    assert sum(samples["identical"]) > 0  # the shortcut is there to be excluded
    for name, block in result["detectors"].items():
        assert len(block["scores"]) == len(refs) and block["test_hard"]["n"] == sum(samples["hard"]), name
    assert result["detectors"]["identical-pair"]["operating_points"]["roc_auc"] == 0.5
    for name, block in result["magnitude"].items():
        assert len(block["predictions"]) == len(refs), name
    json.dumps(result, allow_nan=False)
