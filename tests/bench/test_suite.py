"""quakesat bench end to end on the committed tiny model (64 x 64 tiles): the bench.json schema,
the ratios, the Markdown and plots, the command line; and the statistics by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from quakesat.bench.latency import LatencyStats, RunPolicy, percentile, time_calls
from quakesat.bench.record import parse_bench_record
from quakesat.bench.report import markdown, write_report
from quakesat.bench.suite import SCHEMA_VERSION, BenchConfig, run_bench, sensor_estimate

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "vectors" / "tiny_model"
RUNNER = ROOT / "build" / "native" / "quakesat-runner"


def test_percentiles_and_stats_by_hand() -> None:
    values = [0.001, 0.002, 0.003, 0.004, 0.010]
    assert percentile(values, 50) == 0.003
    assert percentile(values, 90) == pytest.approx(0.0076)  # rank 3.6: 0.004 + 0.6 * (0.010 - 0.004)
    stats = LatencyStats.from_seconds(values)
    assert (stats.runs, stats.p50_ms, stats.mean_ms) == (5, 3.0, pytest.approx(4.0))
    assert stats.tiles_per_s == pytest.approx(5 / 0.020)
    with pytest.raises(ValueError):
        LatencyStats.from_seconds([])


def test_the_policy_needs_both_the_count_and_the_duration() -> None:
    calls: list[int] = []
    seconds = time_calls(calls.append, RunPolicy(min_runs=7, min_seconds=0.0, warmup=2))
    assert len(seconds) == 7 and calls == list(range(9))  # warm-up runs are made, not timed
    seconds = time_calls(lambda _: None, RunPolicy(min_runs=1, min_seconds=0.05, warmup=0))
    assert len(seconds) > 1 and sum(seconds) < 0.05 + 0.05
    with pytest.raises(ValueError):
        RunPolicy(min_runs=0)


def test_the_sensor_estimate_is_four_cores_of_the_fastest_a53_row() -> None:
    rows = [{"artifact": "a", "energy_estimates": [{"board_id": "rpi3b+-a53", "seconds_per_tile": 0.02}]},
            {"artifact": "b", "energy_estimates": [{"board_id": "rpi3b+-a53", "seconds_per_tile": 0.04}]}]
    estimate = sensor_estimate(rows)
    assert estimate["artifact"] == "a" and estimate["a53_tiles_per_s_four_cores"] == pytest.approx(200.0)
    assert estimate["keeps_up"] is True and estimate["kind"] == "estimate"
    assert "note" in sensor_estimate([])


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("bench")
    config = BenchConfig(artifacts=TINY, out=out, policy=RunPolicy(min_runs=5, min_seconds=0.0, warmup=1),
                         threads=(1,), long_run=30, instructions=False, micro_arena=False, seed=False)
    return run_bench(config, say=lambda _: None), out


def test_bench_json_has_its_schema(bench) -> None:
    result, out = bench
    assert result["version"] == SCHEMA_VERSION and result["format"] == "quakesat-bench"
    assert parse_bench_record(result).rows == result["rows"]  # the typed record's reader takes it
    assert result["tile_side"] == 64 and result["preprocess_version"] == 1  # the tiny model is a version 1 export
    assert Path(result["tiles"]).is_file()  # speckle pairs were made for it
    rows = {(row["artifact"], row["runtime"]): row for row in result["rows"]}
    assert ("onnx-fp32", "python") in rows and ("onnx-int8", "python") in rows
    if RUNNER.is_file():
        assert ("pte-int8", "cpp") in rows and ("pte-fp32", "cpp") in rows
        plan = rows[("pte-int8", "cpp")]["memory_plan"]
        assert plan["method_arena_used"] <= plan["method_arena"] and plan["tile_buffers"] > 0
    for row in result["rows"]:
        assert "error" not in row, row
        latency = row["latency"]
        assert latency["runs"] >= 5 and 0 < latency["p50_ms"] <= latency["p90_ms"] <= latency["p99_ms"]
        assert set(row["stage_ms"]) >= {"read", "check", "preprocess", "infer", "encode"}
        assert row["rss_peak_bytes"] > 1e6 and row["model_bytes"] > 0
        assert row["long_run"]["tiles"] >= 30 and row["long_run"]["rss_after_bytes"] > 0
        assert "speedup_vs_seed" not in row  # no seed-equivalent in this run: no ratio, never a guess
    json.dumps(result)


def test_the_report_has_a_row_per_measurement_and_plots(bench) -> None:
    result, out = bench
    paths = write_report(result, out)
    text = paths["markdown"].read_text()
    assert text == markdown(result)
    for row in result["rows"]:
        assert f"| {row['artifact']} | {row['runtime']} |" in text
    assert json.loads(paths["json"].read_text())["rows"] == result["rows"]
    for name in ("bench_stages", "bench_accuracy"):
        assert paths[name].stat().st_size > 1000


def test_the_command_line_writes_the_files_and_refuses_bad_threads(tmp_path) -> None:
    command = [sys.executable, "-m", "quakesat", "bench", "--artifacts", str(TINY), "--out", str(tmp_path),
               "--min-runs", "2", "--min-seconds", "0", "--long-run", "0", "--no-instructions", "--no-seed",
               "--artifact", "onnx-int8"]
    done = subprocess.run([*command, "--threads", "1"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["json"] == str(tmp_path / "bench.json")
    rows = json.loads((tmp_path / "bench.json").read_text())["rows"]
    assert [(r["artifact"], r["runtime"], r["threads"]) for r in rows] == [("onnx-int8", "python", 1)]
    bad = subprocess.run([*command, "--threads", "0"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--threads" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
