"""quakesat-runner (the C++ CLI, built by scripts/test.sh) against the Python side: the same
tile list gives the committed Python messages byte for byte, and `quakesat decode` reads them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from quakesat.ground.decode import iter_stream
from quakesat.runtime.message import TileReport
from quakesat.runtime.status import Status

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
RUNNER = ROOT / "build" / "native" / "quakesat-runner"

pytestmark = pytest.mark.skipif(not RUNNER.is_file(), reason="quakesat-runner not built (bash scripts/test.sh builds it)")


def run(*args: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(RUNNER), str(VECTORS / "tiny_model"), str(VECTORS / "runner" / "tiles.jsonl"),
                           "-o", str(out), *args], capture_output=True, text=True, timeout=120)


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


def test_a_tampered_program_is_reported_on_every_tile_and_exits_zero(tmp_path) -> None:
    model = tmp_path / "model"
    shutil.copytree(VECTORS / "tiny_model", model)
    pte = model / "model.int8.pte"
    pte.write_bytes(pte.read_bytes()[:-1] + b"\x00")
    out = tmp_path / "t.bin"
    result = subprocess.run([str(RUNNER), str(model), str(VECTORS / "runner" / "tiles.jsonl"), "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "hash_mismatch" in result.stderr
    reports = [m for _, m in iter_stream(out.read_bytes())]
    assert reports and all(isinstance(m, TileReport) and m.status == Status.HASH_MISMATCH and not m.event
                           for m in reports)


def test_bad_arguments_exit_2(tmp_path) -> None:
    assert subprocess.run([str(RUNNER)], capture_output=True).returncode == 2
    assert run("--gate", "sometimes", out=tmp_path / "x.bin").returncode == 2
