"""The results runner: every row scored, the three outputs written, numbers in range."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from quakesat.evaluation.results import CnnRow, reference_macs, run_results  # noqa: E402
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402


def test_rows_tables_and_plot(tmp_path) -> None:
    data = tmp_path / "tiny.h5"
    simulate_file(data, SimulationConfig(events=8, seed=2, size=32), progress=False)
    rows = run_results(data, tmp_path / "out", cnn_rows=(CnnRow("quakelite", "multi", downsample=1, epochs=1),))
    assert json.loads((tmp_path / "out" / "results.json").read_text()) == rows
    # 4 shallow models x 4 tasks, and the multi-head network reports tasks 1 and 2.
    assert sorted((r["model"], r["task"]) for r in rows if r["family"] == "cnn") == [("quakelite-multi", 1),
                                                                                      ("quakelite-multi", 2)]
    assert len([r for r in rows if r["family"] == "shallow"]) == 16
    for row in rows:
        assert set(row) >= {"model", "task", "accuracy", "mae", "macs", "params"}
        assert 0.0 <= row["accuracy"] <= 1.0
        assert (row["mae"] is None) == (row["task"] in (1, 5))
    tables = (tmp_path / "out" / "results_tables.md").read_text()
    assert "### Task 1" in tables and "### Task 6" in tables and "quakelite-multi" in tables
    assert (tmp_path / "out" / "accuracy_vs_macs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reference_macs_meet_the_low_resource_target() -> None:
    macs = reference_macs()
    assert macs["mobilenetv2@512"] > 1.5e9
    assert macs["quakelite@128"] * 20 <= macs["mobilenetv2@512"]
