"""Realistic mistakes that used to *succeed* (issue 30): each now exits 2 with one line and
writes nothing; a gate-failed artifact flies only when asked, with a warning; repeated
per-tile problems are summarised, not printed once per tile."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from quakesat.cli_args import EXIT_OK, EXIT_USAGE
from quakesat.ground.log_summary import SHOWN_PER_KIND, RepeatSummary, line_kind
from tests.test_cli_errors import TINY, one_line_error, quakesat


@pytest.fixture(scope="module")
def small_tiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file of 32 px tiles: the tiny model takes 64 px."""
    path = tmp_path_factory.mktemp("mistakes") / "q32.h5"
    done = quakesat("simulate", "--events", "2", "--size", "32", "--workers", "1", "--quiet", "--out", str(path))
    assert done.returncode == 0, done.stderr
    return path


def _outputs(out: Path) -> list[Path]:
    return [p for p in (out, out.with_suffix(".jsonl"), out.with_suffix(".report.json")) if p.exists()]


def test_a_typo_in_artifacts(small_tiles: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.bin"
    result = quakesat("run", "--artifacts", str(TINY) + "x", "--data", str(small_tiles), "--out", str(out))
    one_line_error(result, EXIT_USAGE, "model_missing", "tiny_modelx")
    assert not _outputs(out)


def test_a_manifest_written_by_another_tool(small_tiles: Path, tmp_path: Path) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"format": "someone-else", "model": "resnet.onnx"}))
    out = tmp_path / "m.bin"
    result = quakesat("run", "--artifacts", str(folder), "--data", str(small_tiles), "--out", str(out))
    one_line_error(result, EXIT_USAGE, "manifest_invalid")
    assert not _outputs(out)


def test_a_model_of_another_tile_size_on_a_file(small_tiles: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.bin"
    out.write_bytes(b"an earlier run's stream")  # a refused run must not destroy it
    result = quakesat("run", "--artifacts", str(TINY), "--data", str(small_tiles), "--split", "all",
                      "--out", str(out))
    line = one_line_error(result, EXIT_USAGE, "bad_shape", "(64, 64, 2)", "(32, 32, 2)", "nothing was written")
    assert "tiles" in line
    assert out.read_bytes() == b"an earlier run's stream" and len(_outputs(out)) == 1


def test_a_split_with_no_tiles(small_tiles: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.bin"
    empty = tmp_path / "tiles.jsonl"
    empty.write_text("")
    result = quakesat("run", "--artifacts", str(TINY), "--tiles", str(empty), "--out", str(out))
    one_line_error(result, EXIT_USAGE, "no tiles to fly")
    assert not _outputs(out)


@pytest.mark.parametrize("extra", [(), ("--strict",)])
def test_a_pre_image_that_is_not_an_npy(tmp_path: Path, extra: tuple[str, ...]) -> None:
    notes = tmp_path / "notes.h5"
    notes.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    out = tmp_path / "m.bin"
    result = quakesat("run", "--artifacts", str(TINY), *extra, "--pre", str(notes), "--post", str(notes),
                      "--lat", "0", "--lon", "0", "--out", str(out))
    one_line_error(result, EXIT_USAGE, "unreadable")
    assert not _outputs(out)


def test_a_gate_failed_artifact_needs_a_flag_and_then_warns(small_tiles: Path, tmp_path: Path) -> None:
    manifest = json.loads((TINY / "manifest.json").read_text())
    failed = next(a["name"] for a in manifest["artifacts"] if a["gate_failures"] and a["name"].startswith("onnx"))
    good = np.abs(np.random.default_rng(0).normal(0.1, 0.02, (64, 64, 2))).astype(np.float32)
    np.save(tmp_path / "a.npy", good)
    pair = ("--pre", str(tmp_path / "a.npy"), "--post", str(tmp_path / "a.npy"), "--lat", "1", "--lon", "2")
    out = tmp_path / "m.bin"
    refused = quakesat("run", "--artifacts", str(TINY), "--artifact", failed, *pair, "--out", str(out))
    one_line_error(refused, EXIT_USAGE, failed, "fidelity gate", "--allow-failed-gate")
    assert not _outputs(out)
    flown = quakesat("run", "--artifacts", str(TINY), "--artifact", failed, "--allow-failed-gate", *pair,
                     "--out", str(out))
    assert flown.returncode == EXIT_OK, flown.stderr
    warnings = [line for line in flown.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and failed in warnings[0] and "flag agreement" in warnings[0]
    default = quakesat("run", "--artifacts", str(TINY), *pair, "--out", str(out))  # the default passed its gate
    assert default.returncode == EXIT_OK and "warning" not in default.stderr


def test_repeated_per_tile_problems_are_summarised(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    good = np.abs(rng.normal(0.1, 0.02, (64, 64, 2))).astype(np.float32)
    small = good[:32, :32].copy()
    np.save(tmp_path / "good.npy", good)
    np.save(tmp_path / "small.npy", small)
    bad_tiles = 8
    lines = [{"tile_id": i, "time": 1_700_000_000, "lat": 1.0, "lon": 2.0,
              "pre": "good.npy" if i < 2 else "small.npy", "post": "good.npy" if i < 2 else "small.npy"}
             for i in range(2 + bad_tiles)]
    (tmp_path / "tiles.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "m.bin"
    result = quakesat("run", "--artifacts", str(TINY), "--tiles", str(tmp_path / "tiles.jsonl"), "--out", str(out))
    assert result.returncode == EXIT_OK, result.stderr
    shown = [line for line in result.stderr.splitlines() if "bad_shape" in line]
    assert len(shown) == SHOWN_PER_KIND + 1, result.stderr
    assert shown[-1].endswith(f"{bad_tiles - SHOWN_PER_KIND} more tiles with bad_shape (every message carries its status)")
    report = json.loads(out.with_suffix(".report.json").read_text())
    assert report["tile_statuses"] == {"bad_shape": bad_tiles, "ok": 2}
    quiet = quakesat("run", "--artifacts", str(TINY), "--tiles", str(tmp_path / "tiles.jsonl"), "--out", str(out), "-q")
    assert quiet.returncode == EXIT_OK and "bad_shape" not in quiet.stderr
    loud = quakesat("run", "--artifacts", str(TINY), "--tiles", str(tmp_path / "tiles.jsonl"), "--out", str(out), "-v")
    assert loud.returncode == EXIT_OK and sum("bad_shape" in line for line in loud.stderr.splitlines()) == bad_tiles
    assert sum("bad_shape" in line for line in out.with_suffix(".jsonl").read_text().splitlines()) == bad_tiles


def test_the_summary_filter_counts_by_status_and_holds_what_it_is_told_to() -> None:
    import logging

    summary = RepeatSummary(shown=2, hold=frozenset({"bad_shape"}))
    records = [logging.LogRecord("quakesat.runtime", logging.WARNING, __file__, 1, message, None, None)
               for message in ["tile 1: bad_shape (x)", "tile 2: bad_shape (x)", "tile 3: bad_shape (x)",
                               "tile 4: all_nodata", "tile 5: all_nodata", "tile 6: all_nodata", "model slow"]]
    passed = [record.getMessage() for record in records if summary.filter(record)]
    assert passed == ["tile 4: all_nodata", "tile 5: all_nodata", "model slow"]
    assert summary.held == ["quakesat.runtime: tile 1: bad_shape (x)", "quakesat.runtime: tile 2: bad_shape (x)"]
    assert summary.held_back() == {"bad_shape": 1, "all_nodata": 1}
    assert line_kind("tile 12: wrong_kind (a b)") == "wrong_kind" and line_kind("model slow") == "model slow"


def test_mission_on_a_model_without_a_program_says_why(tmp_path: Path) -> None:
    from quakesat.errors import ConfigError
    from quakesat.mission.onboard import CppProcessor

    runner = tmp_path / "runner"
    runner.write_text("")
    forest = tmp_path / "forest"
    shutil.copytree(TINY, forest)
    manifest = json.loads((forest / "manifest.json").read_text())
    manifest["model"]["family"] = "shallow"
    manifest["default_artifacts"]["cpp"] = None
    (forest / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError) as err:
        CppProcessor(forest, None, "manifest", binary=runner)
    assert "ONNX only" in str(err.value) and "--runtime python" in str(err.value) and "pip install" not in str(err.value)


def test_a_refused_run_leaves_no_filter_behind_for_the_next_call(tmp_path: Path) -> None:
    """In one process (as tests and notebooks call ``main``): a refused run must not leave its
    summary filter or a silenced runtime logger for the next command."""
    import logging

    from quakesat.cli import main
    from quakesat.ground.log_summary import RepeatSummary

    code = main(["run", "--artifacts", str(tmp_path / "none"), "--pre", str(tmp_path / "a.npy"), "--post",
                 str(tmp_path / "b.npy"), "--lat", "0", "--lon", "0", "--out", str(tmp_path / "m.bin")])
    assert code == EXIT_USAGE
    assert not any(isinstance(f, RepeatSummary) for h in logging.getLogger().handlers for f in h.filters)
    assert logging.getLogger("quakesat.runtime").level == logging.NOTSET
