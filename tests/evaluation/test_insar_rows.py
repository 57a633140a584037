"""The interferometric rows beside the amplitude rows: the same pairs, splits and thresholds.

One small file simulated with ``--slc`` (12 events, 32 px amplitude tiles, 64 px same-track
tiles of 80 m) feeds :func:`insar_table`, the difficulty report and the benchmark; a file
without same-track pairs must leave the rows out, with a note, not fail.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from quakesat.data.quakeset import QuakeSetFile, Task  # noqa: E402
from quakesat.evaluation.baselines import pair_table  # noqa: E402
from quakesat.evaluation.benchmark import NetworkRow, run_benchmark  # noqa: E402
from quakesat.evaluation.difficulty import difficulty_report, format_difficulty  # noqa: E402
from quakesat.evaluation.insar_rows import INSAR_BASELINES, insar_table  # noqa: E402
from quakesat.models.torch_data import TorchQuakeSet  # noqa: E402
from quakesat.runtime.interferogram import InterferogramConfig  # noqa: E402
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

INSAR_ROW = NetworkRow("quakelite", "multi", downsample=(8,), epochs=2, input="interferometric")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("insar_rows")
    with_pairs, without = folder / "slc.h5", folder / "amplitude.h5"
    config = SimulationConfig(events=12, seed=3, size=32, slc=True, slc_side=64, slc_footprint_m=5120.0)
    simulate_file(with_pairs, config, progress=False, workers=1)
    simulate_file(without, SimulationConfig(events=12, seed=3, size=32), progress=False, workers=1)
    return folder, with_pairs, without


@pytest.fixture(scope="module")
def scored(files):
    _, path, _ = files
    table = pair_table(path)
    return table, insar_table(path, table)


def test_every_pair_gets_every_rule_in_the_tables_order(files, scored):
    _, path, _ = files
    table, insar = scored
    assert insar is not None and insar.grid_px == 8 and insar.pixel_m == 80.0
    for name in INSAR_BASELINES:
        assert insar.scores[name].shape == table.label.shape and np.all(np.isfinite(insar.scores[name]))
    assert np.all(np.isfinite(insar.mw[table.label == 1])) and np.all(insar.depth_km > 0)
    # the event-free pair of a patch carries its event's truth, and the oracle sees the
    # difference: events with a fringe or more stand above every event-free pair of theirs
    big = (table.label == 1) & (insar.peak_los_m > 0.0277)
    assert big.sum() >= 5
    oracle = insar.scores["insar-oracle"]
    assert np.median(oracle[big]) > np.percentile(oracle[table.label == 0], 90)


def test_a_file_without_same_track_pairs_has_no_rows(files):
    _, _, without = files
    assert insar_table(without, pair_table(without)) is None


def test_the_difficulty_report_adds_the_rows_and_the_phase_signal(files):
    _, path, without = files
    report = difficulty_report(path)
    json.dumps(report, allow_nan=False)
    block = report["interferometric"]
    assert set(block["rules"]) == set(INSAR_BASELINES)
    assert block["rules"]["insar-oracle"]["roc_auc"] > block["rules"]["insar-coherence-drop"]["roc_auc"]
    assert sum(row["tiles"] for row in block["by_mw"]) == int((pair_table(path).label == 1).sum())
    assert block["nonseismic"]["event_pairs"]["pairs"] > 0 and block["nonseismic"]["event_free_pairs"]["pairs"] > 0
    text = format_difficulty(report)
    assert "| insar-oracle |" in text and "Non-seismic motion in the same-track pairs" in text
    assert difficulty_report(without)["interferometric"] is None


def test_the_interferometric_dataset_reads_the_same_track_pair(files):
    _, path, without = files
    with QuakeSetFile(path) as qs:
        data = TorchQuakeSet(qs, Task(1), "train", InterferogramConfig(looks=8), cache=False)
        x, targets = data[0]
        assert tuple(x.shape) == (3, 8, 8) and float(x[:2].abs().max()) <= 1.0 + 1e-6
        assert set(targets) >= {"location", "has_location"}
        assert len(data) == len(qs.samples(Task(1), "train"))
    with QuakeSetFile(without) as qs:
        assert len(TorchQuakeSet(qs, Task(1), "train", InterferogramConfig(), cache=False)) == 0
        with pytest.raises(ValueError, match="pairs"):
            TorchQuakeSet(qs, Task(5), "train", InterferogramConfig(), cache=False)


def test_the_benchmark_puts_the_rows_beside_the_amplitude_rows(files):
    folder, path, _ = files
    result = run_benchmark(path, folder / "out", (INSAR_ROW,), seeds=(0,))
    rows = {row["name"]: row for row in result["rows"]}
    assert {"log-ratio", *INSAR_BASELINES, INSAR_ROW.name} <= set(rows)
    assert rows["insar-oracle"]["kind"] == "insar-baseline"
    network = rows[INSAR_ROW.name]["per_seed"]["0"]
    assert network["input_shape"] == [3, 8, 8] and network["location"]["test_tiles"] > 0
    for name in (*INSAR_BASELINES, INSAR_ROW.name):
        bins = rows[name]["per_seed"]["0"]["by_mw_depth"]
        test_events = int(sum(entry["n"] for entry in bins["mw"]))
        assert test_events == int(sum(entry["n"] for entry in bins["depth_km"])) > 0
    text = (folder / "out" / "results.md").read_text()
    assert "**Interferometric detection**" in text and "| insar-oracle (ceiling) | same-track |" in text
    assert "| log-ratio | amplitude |" in text and "published Sentinel-1 co-seismic signals" in text
    # the amplitude table holds the amplitude rows only
    amplitude_table = text.split("**Interferometric detection**")[0]
    assert "insar-" not in amplitude_table


def test_an_interferometric_row_on_an_amplitude_file_is_left_out_with_a_note(files):
    folder, _, without = files
    result = run_benchmark(without, folder / "out_amplitude", (INSAR_ROW,), seeds=(0,))
    assert not any(row["name"].startswith("insar-") for row in result["rows"])
    assert any("simulate with --slc" in note for note in result["notes"])
    assert "insar" not in result


def test_identical_negatives_have_no_same_track_pair_and_are_never_flagged(tmp_path):
    """A file with the published file's identical negatives (as the demo simulates) still gets
    its rows: those pairs have no same-track pair and score below every pair that has one."""
    path = tmp_path / "identical.h5"
    simulate_file(path, SimulationConfig(events=8, seed=4, size=32, slc=True, slc_side=64, slc_footprint_m=5120.0,
                                         identical_negative_share=0.5), progress=False, workers=1)
    table = pair_table(path)
    insar = insar_table(path, table)
    assert insar is not None and table.identical.any()
    for name in INSAR_BASELINES:
        scores = insar.scores[name]
        assert np.all(np.isfinite(scores))
        assert scores[table.identical].max() < scores[~table.identical].min()
