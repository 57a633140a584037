"""quakesat-runner (the C++ CLI, built by scripts/test.sh) against the Python side: the same
tile list gives the committed Python messages byte for byte, and `quakesat decode` reads them;
the runner's version is the package's, --help documents the options and the exit statuses,
and a manifest the Python reader refuses (version 1) is refused on every tile."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import quakesat
from quakesat.ground.decode import iter_stream
from quakesat.runtime.manifest import REEXPORT_HINT
from quakesat.runtime.message import TileReport
from quakesat.runtime.status import Status

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
RUNNER = ROOT / "build" / "native" / "quakesat-runner"

pytestmark = pytest.mark.skipif(not RUNNER.is_file(), reason="quakesat-runner not built (bash scripts/test.sh builds it)")


def run(*args: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(RUNNER), str(VECTORS / "tiny_model"), str(VECTORS / "runner" / "tiles.jsonl"),
                           "-o", str(out), *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("config,args", [("manifest", ["--artifact", "pte-int8"]),
                                         ("nogate_head", ["--artifact", "pte-int8", "--gate", "off",
                                                          "--locate", "head"])])
def test_the_cli_writes_the_python_messages(tmp_path, config, args) -> None:
    out = tmp_path / "cpp.bin"
    result = run(*args, "--profile", out=out)
    assert result.returncode == 0, result.stderr[-2000:]
    expected = [json.loads(line)["message"] for line in (VECTORS / "runner" / f"expected_{config}.jsonl")
                .read_text().splitlines()]
    data = out.read_bytes()
    assert [data[i:i + 32].hex() for i in range(0, len(data), 32)] == expected
    assert "tiles/s" in result.stdout and "memory:" in result.stdout


def statuses(path: Path) -> list[Status]:
    reports = [m for _, m in iter_stream(path.read_bytes())]
    assert reports and all(isinstance(m, TileReport) and not m.event for m in reports)
    return [m.status for m in reports]


def test_a_tampered_program_is_reported_on_every_tile_and_exits_zero(tmp_path) -> None:
    model = tmp_path / "model"
    shutil.copytree(VECTORS / "tiny_model", model)
    manifest = json.loads((model / "manifest.json").read_text())
    default = manifest["default_artifacts"]["cpp"]  # the program the runner picks without --artifact
    pte = model / next(a["path"] for a in manifest["artifacts"] if a["name"] == default)
    pte.write_bytes(pte.read_bytes()[:-1] + b"\x00")
    out = tmp_path / "t.bin"
    result = subprocess.run([str(RUNNER), str(model), str(VECTORS / "runner" / "tiles.jsonl"), "-o", str(out)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0 and "hash_mismatch" in result.stderr
    assert set(statuses(out)) == {Status.HASH_MISMATCH}


def test_a_version_1_manifest_is_manifest_invalid_on_every_tile(tmp_path) -> None:
    model = tmp_path / "model"
    shutil.copytree(VECTORS / "tiny_model", model)
    manifest = json.loads((model / "manifest.json").read_text())
    manifest["version"] = 1
    (model / "manifest.json").write_text(json.dumps(manifest, indent=2))
    out = tmp_path / "v1.bin"
    result = subprocess.run([str(RUNNER), str(model), str(VECTORS / "runner" / "tiles.jsonl"), "-o", str(out)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(statuses(out)) == {Status.MANIFEST_INVALID}
    assert "manifest_invalid" in result.stderr and "version" in result.stderr
    assert REEXPORT_HINT in result.stderr  # the same advice as the Python reader's


def test_version_is_the_package_version() -> None:
    result = subprocess.run([str(RUNNER), "--version"], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith(f"quakesat-runner {quakesat.__version__} ")


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_goes_to_stdout_and_names_every_option(flag) -> None:
    result = subprocess.run([str(RUNNER), flag], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: quakesat-runner ")
    for option in ("-o OUT.bin", "--artifact NAME", "--gate", "--locate", "--threads N", "--profile", "--version",
                   "--help", "exit status"):
        assert option in result.stdout, option


@pytest.mark.parametrize("args,problem", [
    ([], "missing ARTIFACTS_DIR"),
    (["A", "T"], "missing -o"),
    (["A", "T", "-o"], "-o needs a value"),
    (["A", "T", "-o", "x.bin", "--gate", "sometimes"], "--gate"),
    (["A", "T", "-o", "x.bin", "--locate", "gps"], "--locate"),
    (["A", "T", "-o", "x.bin", "--threads", "0"], "--threads"),
    (["A", "T", "-o", "x.bin", "--threads", "2x"], "--threads"),
    (["A", "T", "-o", "x.bin", "--frobnicate"], "--frobnicate"),
    (["A", "T", "U", "-o", "x.bin"], "'U'"),
])
def test_bad_arguments_exit_2_with_one_line_naming_the_problem(tmp_path, args, problem) -> None:
    result = subprocess.run([str(RUNNER), *args], capture_output=True, text=True, timeout=30, cwd=tmp_path,
                            check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and problem in result.stderr, result.stderr
    assert not (tmp_path / "x.bin").exists()


def test_repeat_and_timings_give_every_tile_and_the_memory_plan(tmp_path) -> None:
    out, timings = tmp_path / "cpp.bin", tmp_path / "timings.json"
    result = run("--artifact", "pte-int8", "--gate", "off", "--repeat", "3", "--timings", str(timings), out=out)
    assert result.returncode == 0, result.stderr[-2000:]
    tiles = len((VECTORS / "runner" / "tiles.jsonl").read_text().splitlines())
    data = json.loads(timings.read_text())
    assert data["format"] == "quakesat-runner-timings" and data["passes"] == 3
    assert len(data["tile_seconds"]) == data["tiles"] == 3 * tiles == len(out.read_bytes()) // 32
    assert all(s > 0 for s in data["tile_seconds"])
    single = out.read_bytes()[: 32 * tiles]
    reports = [m for _, m in iter_stream(out.read_bytes())]
    assert [m.tile_id for m in reports[tiles:2 * tiles]] == [m.tile_id for m in reports[:tiles]]  # the same tiles again
    memory = data["memory"]
    assert 0 < memory["method_arena_used"] <= memory["method_arena"] < 4 << 20  # fitted, not the 4 MiB probe
    assert memory["planned"] > 0 and memory["program_file"] == (VECTORS / "tiny_model" / "model.int8.pte").stat().st_size
    assert data["rss"]["peak"] >= data["rss"]["after_first_pass"] > 0
    assert set(data["stages"]) == {"read", "check", "gate", "preprocess", "infer", "decide", "locate", "encode"}
    assert single


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_repeat_takes_a_whole_number(tmp_path, value) -> None:
    result = run("--repeat", value, out=tmp_path / "cpp.bin")
    assert result.returncode == 2 and "--repeat" in result.stderr
