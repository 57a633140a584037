"""Every error a user can cause on the command line: one line on stderr naming the problem, no
traceback, the documented exit status (README "Command line"); `| head` ends quietly; Ctrl-C
exits 130 and leaves no half-written output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from quakesat.cli_args import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from quakesat.runtime.message import TileReport, encode

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "vectors" / "tiny_model"


def quakesat(*args: str, preamble: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh interpreter (``preamble`` runs first, e.g. to hide a package)."""
    code = f"import sys\n{preamble}\nfrom quakesat.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def one_line_error(result: subprocess.CompletedProcess, status: int, *words: str) -> str:
    assert result.returncode == status, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def a_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "plain.txt"
    path.write_text("not what any command wants")
    return path


def test_a_missing_input_file(tmp_path: Path) -> None:
    one_line_error(quakesat("run", "--artifacts", str(TINY), "--data", str(tmp_path / "none.h5"),
                            "--out", str(tmp_path / "m.bin")), EXIT_USAGE, "--data", "no such file")


def test_a_missing_model_folder(tmp_path: Path) -> None:
    one_line_error(quakesat("evaluate", "--data", str(tmp_path), "--model-dir", str(tmp_path / "model")),
                   EXIT_USAGE, "--data", "directory")


def test_a_directory_where_a_file_is_expected(tmp_path: Path) -> None:
    one_line_error(quakesat("data", "info", str(tmp_path)), EXIT_USAGE, "is a directory")
    one_line_error(quakesat("run", "--artifacts", str(TINY), "--tiles", str(ROOT / "tests/vectors/runner/tiles.jsonl"),
                            "--out", str(tmp_path)), EXIT_USAGE, "--out", "is a directory")


def test_a_file_where_a_directory_is_expected(a_file: Path, tmp_path: Path) -> None:
    one_line_error(quakesat("train", "--data", str(a_file), "--out", str(a_file)), EXIT_USAGE, "is a file")
    one_line_error(quakesat("simulate", "--out", str(a_file / "q.h5")), EXIT_USAGE, "not a directory")


def test_an_output_the_system_refuses(tmp_path: Path) -> None:
    """/proc takes no new files, even from root: the write fails while running, in one line."""
    result = quakesat("simulate", "--events", "1", "--size", "16", "--workers", "1", "--quiet",
                      "--out", "/proc/quakesat-test.h5")
    one_line_error(result, EXIT_USAGE, "/proc")


@pytest.mark.parametrize("args, words", [
    (("evaluate", "--data", "{file}", "--model-dir", "{dir}", "--split", "tset"), ("--split", "tset")),
    (("train", "--data", "{file}", "--out", "{dir}/m", "--model", "resnet50"), ("--model", "resnet50")),
    (("export", "--model-dir", "{dir}", "--data", "{file}", "--out", "{dir}/a", "--min-agreement", "1.5"),
     ("--min-agreement", "1.5")),
    (("export", "--model-dir", "{dir}", "--data", "{file}", "--out", "{dir}/a", "--threads", "0"), ("--threads",)),
    (("run", "--artifacts", "{dir}", "--data", "{file}", "--out", "{dir}/m.bin", "--threads", "0"), ("--threads",)),
    (("run", "--artifacts", "{dir}", "--data", "{file}", "--out", "{dir}/m.bin", "--health-every", "-1"),
     ("--health-every",)),
    (("run", "--artifacts", "{dir}", "--pre", "{file}", "--out", "{dir}/m.bin"), ("--pre needs --post",)),
    (("run", "--artifacts", "{dir}", "--pre", "{file}", "--post", "{file}", "--lat", "91", "--lon", "0",
      "--out", "{dir}/m.bin"), ("--lat",)),
    (("simulate", "--out", "{dir}/q.h5", "--events", "0"), ("--events",)),
    (("simulate", "--out", "{dir}/q.h5", "--identical-negatives", "nan"), ("--identical-negatives", "finite")),
    (("train", "--data", "{file}", "--out", "{dir}/m", "--lr", "0"), ("--lr",)),
    (("train", "--data", "{file}", "--out", "{dir}/m", "--model", "svc-rbf", "--input", "interferometric"),
     ("interferometric", "svc-rbf")),
    (("train", "--data", "{file}", "--out", "{dir}/m", "--inject", "-1"), ("--inject",)),
    (("train", "--data", "{file}", "--out", "{dir}/m", "--inject", "100"), ("inject", "interferometric")),
    (("train", "--data", "{file}", "--out", "{dir}/m", "--augment"), ("augment", "interferometric")),
    (("demo", "--events", "2"), ("--events",)),
    (("no-such-command",), ("invalid choice",)),
    (("run", "--artifacts", "{dir}"), ("required",)),
])
def test_bad_options_are_one_line_usage_errors(args, words, a_file: Path, tmp_path: Path) -> None:
    filled = [a.format(file=a_file, dir=tmp_path) for a in args]
    one_line_error(quakesat(*filled), EXIT_USAGE, *words)


def test_a_missing_optional_dependency_names_the_extra(a_file: Path) -> None:
    """As in a runtime-only install: h5py is not there."""
    hide = "sys.modules['h5py'] = None"
    one_line_error(quakesat("data", "info", str(a_file), preamble=hide), EXIT_USAGE,
                   "h5py", "pip install 'quakesat[data]'")


def test_a_file_that_is_not_hdf5_is_an_input_error(a_file: Path) -> None:
    one_line_error(quakesat("data", "info", str(a_file)), EXIT_USAGE, str(a_file))


def test_run_refuses_an_unusable_model_unless_told_to_fly_it_in_fault_mode(tmp_path: Path) -> None:
    out = tmp_path / "m.bin"
    pair = ("--pre", str(tmp_path / "a.npy"), "--post", str(tmp_path / "b.npy"), "--lat", "0", "--lon", "0")
    for extra in ((), ("--strict",)):  # --strict was the way to ask for this; it is the default now
        result = quakesat("run", "--artifacts", str(tmp_path / "no-model"), *extra, *pair, "--out", str(out))
        one_line_error(result, EXIT_USAGE, "model_missing", "--fault-mode", "nothing was written")
        assert not out.exists()
    # With --fault-mode the same run flies as the satellite would and says so in every message.
    loose = quakesat("run", "--artifacts", str(tmp_path / "no-model"), "--fault-mode", *pair, "--out", str(out))
    assert loose.returncode == EXIT_OK and out.stat().st_size == 64  # one tile report, one health report


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    stream = b"".join(encode(TileReport(seq=i % 16384, tile_id=i, time=1_700_000_000, lat=1.0, lon=2.0, magnitude=0.0,
                                        confidence=1.0, model_id=7)) for i in range(20_000))
    (tmp_path / "many.bin").write_bytes(stream)
    code = "import sys\nfrom quakesat.cli import main\nsys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen([sys.executable, "-c", code, "decode", str(tmp_path / "many.bin")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # like `| head -1`
    status = process.wait(timeout=120)
    stderr = process.stderr.read().decode()
    assert first.startswith(b"{") and stderr == "" and status == EXIT_BROKEN_PIPE


def test_ctrl_c_exits_130_and_leaves_no_half_written_file(tmp_path: Path) -> None:
    out = tmp_path / "big.h5"
    code = "import sys\nfrom quakesat.cli import main\nsys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen([sys.executable, "-c", code, "simulate", "--events", "400", "--size", "256",
                                "--workers", "1", "--quiet", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(p.name.endswith(".partial") for p in tmp_path.iterdir()):
        time.sleep(0.05)  # wait until the output file is being written
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == EXIT_INTERRUPTED, stderr
    assert stderr.strip().splitlines() == ["quakesat simulate: interrupted"]
    assert os.listdir(tmp_path) == []  # neither the target nor its temporary file


def test_help_and_version_exit_0(capsys) -> None:
    from quakesat import __version__
    from quakesat.cli import main

    assert main(["--version"]) == EXIT_OK and __version__ in capsys.readouterr().out
    assert main(["run", "--help"]) == EXIT_OK and "--strict" in capsys.readouterr().out
    assert main(["train", "--help"]) == EXIT_OK and "%%" not in capsys.readouterr().out


def test_the_cli_knows_every_model_name() -> None:
    pytest.importorskip("torch")
    from quakesat.commands.models import MODEL_NAMES
    from quakesat.models.log_ratio import LOG_RATIO_MODEL
    from quakesat.models.networks import NETWORKS
    from quakesat.models.shallow import SHALLOW_MODELS

    assert set(MODEL_NAMES) == set(NETWORKS) | set(SHALLOW_MODELS) | {LOG_RATIO_MODEL}


def test_pre_npy_with_bad_content_is_a_status_not_an_error(tmp_path: Path) -> None:
    """Bad tile *content* is the runtime's business: a message with its status, exit 0."""
    np.save(tmp_path / "a.npy", np.full((64, 64, 2), np.nan, np.float32))
    result = quakesat("run", "--artifacts", str(TINY), "--pre", str(tmp_path / "a.npy"), "--post",
                      str(tmp_path / "a.npy"), "--lat", "0", "--lon", "0", "--out", str(tmp_path / "m.bin"))
    assert result.returncode == EXIT_OK and "Traceback" not in result.stderr
    assert "all_nodata" in (tmp_path / "m.jsonl").read_text()


@pytest.mark.parametrize("content, words", [
    ('{"format": "quakesat-mission", "version": 1}', ("not a quakesat bench", "quakesat-mission")),
    ('{"format": "quakesat-bench", "version": 99, "rows": []}', ("newer quakesat",)),
    ("[1, 2", ("not JSON",)),
])
def test_bench_render_reads_its_record_or_says_why_in_one_line(tmp_path: Path, content: str,
                                                                 words: tuple[str, ...]) -> None:
    record = tmp_path / "bench.json"
    record.write_text(content)
    one_line_error(quakesat("bench", "--render", str(record), "--out", str(tmp_path / "out")), EXIT_USAGE, *words)
    assert not (tmp_path / "out").exists()
