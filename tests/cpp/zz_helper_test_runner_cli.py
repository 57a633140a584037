"""quakesat-runner (the C++ CLI, built by scripts/test.sh) against the Python side: the same
tile list gives the committed Python stream byte for byte (queue order, drops, health reports:
tests/vectors/runner/expected_streams.jsonl) and every tile the committed Python message, and
`quakesat decode` reads them; the runner's version is the package's, --help documents the
options and the exit statuses, and a manifest the Python reader refuses (version 1) is refused
on every tile. The same for the same-track model (tests/vectors/tiny_insar_model) on
tests/vectors/runner_same_track/. tests/cpp/test_queue_parity.py runs both CLIs side by side."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import quakesat
from quakesat.ground.decode import iter_stream
from quakesat.runtime.manifest import REEXPORT_HINT
from quakesat.runtime.message import HealthReport, TileReport
from quakesat.runtime.status import Status

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
RUNNER = ROOT / "build" / "helper-cpp" / "quakesat-runner"

pytestmark = pytest.mark.skipif(not RUNNER.is_file(), reason="quakesat-runner not built (bash scripts/test.sh builds it)")


def run(*args: str, out: Path, model: str = "tiny_model", folder: str = "runner") -> subprocess.CompletedProcess:
    return subprocess.run([str(RUNNER), str(VECTORS / model), str(VECTORS / folder / "tiles.jsonl"),
                           "-o", str(out), *args], capture_output=True, text=True, timeout=120, check=False)


STREAMS = [json.loads(line) for line in (VECTORS / "runner" / "expected_streams.jsonl").read_text().splitlines()]
#: The same-track model's vectors (make_same_track_runner_vectors.py): (model, folder).
SAME_TRACK = ("tiny_insar_model", "runner_same_track")
SAME_TRACK_STREAMS = [json.loads(line) for line in
                      (VECTORS / SAME_TRACK[1] / "expected_streams.jsonl").read_text().splitlines()]


def stream_args(settings: dict) -> list[str]:
    """The CLI options of one line of expected_streams.jsonl (the same as `quakesat run`'s)."""
    return ["--artifact", settings["artifact"], "--gate", settings["gate"], "--locate", settings["locate"],
            "--emit", settings["emit"], "--health-every", str(settings["health_every"]),
            "--queue-capacity", str(settings["queue_capacity"])]


@pytest.mark.parametrize("settings", STREAMS, ids=lambda s: s["name"])
def test_the_cli_writes_the_python_stream(tmp_path, settings) -> None:
    out = tmp_path / "cpp.bin"
    result = run(*stream_args(settings), "--profile", out=out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.read_bytes().hex() == settings["stream"]
    assert f"{settings['tiles']} tiles -> {settings['messages']} messages" in result.stdout
    assert f"{settings['dropped']} dropped" in result.stdout
    assert "tiles/s" in result.stdout and "memory:" in result.stdout


@pytest.mark.parametrize("settings", SAME_TRACK_STREAMS, ids=lambda s: s["name"])
def test_the_cli_writes_the_python_stream_of_a_same_track_model(tmp_path, settings) -> None:
    out = tmp_path / "cpp.bin"
    result = run(*stream_args(settings), out=out, model=SAME_TRACK[0], folder=SAME_TRACK[1])
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.read_bytes().hex() == settings["stream"]
    assert f"{settings['tiles']} tiles -> {settings['messages']} messages" in result.stdout
    assert f"{settings['dropped']} dropped" in result.stdout
    assert "no_coherence" in result.stderr and "wrong_kind" in result.stderr  # bad tiles are named on stderr


@pytest.mark.parametrize("config,args,model,folder", [
    ("manifest", ["--artifact", "pte-int8"], "tiny_model", "runner"),
    ("nogate_head", ["--artifact", "pte-int8", "--gate", "off", "--locate", "head"], "tiny_model", "runner"),
    ("manifest", ["--artifact", "pte-int8"], *SAME_TRACK),
    ("head", ["--artifact", "pte-int8", "--gate", "off", "--locate", "head"], *SAME_TRACK),
])
def test_every_tile_gives_the_python_message(tmp_path, config, args, model, folder) -> None:
    """A queue that holds every tile and no health report but the final one: each tile's
    message, found by its sequence count (the tile's index), is the committed Python one."""
    out = tmp_path / "cpp.bin"
    result = run(*args, "--health-every", "0", "--queue-capacity", "64", out=out, model=model, folder=folder)
    assert result.returncode == 0, result.stderr[-2000:]
    expected = [json.loads(line)["message"] for line in (VECTORS / folder / f"expected_{config}.jsonl")
                .read_text().splitlines()]
    data = out.read_bytes()
    messages = [m for _, m in iter_stream(data)]
    chunks = {m.seq: data[i * 32:(i + 1) * 32].hex() for i, m in enumerate(messages)}
    assert len(messages) == len(expected) + 1
    health = [m for m in messages if isinstance(m, HealthReport)]
    assert len(health) == 1 and health[0].seq == len(expected) and health[0].tiles_processed == len(expected)
    assert [chunks[seq] for seq in range(len(expected))] == expected


def statuses(path: Path) -> list[Status]:
    """Every message's status: tile reports without an event, and the run's one health report,
    which carries the fault too."""
    messages = [m for _, m in iter_stream(path.read_bytes())]
    reports = [m for m in messages if isinstance(m, TileReport)]
    health = [m for m in messages if isinstance(m, HealthReport)]
    assert reports and all(not m.event for m in reports) and len(health) == 1
    assert len(reports) == len((VECTORS / "runner" / "tiles.jsonl").read_text().splitlines())
    return [m.status for m in messages]


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
    for option in ("-o OUT.bin", "--artifact NAME", "--gate", "--locate", "--emit MODE", "--health-every N",
                   "--queue-capacity N", "--threads N", "--profile", "--repeat N", "--timings FILE", "--version",
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
    (["A", "T", "-o", "x.bin", "--emit", "loud"], "--emit"),
    (["A", "T", "-o", "x.bin", "--emit"], "--emit needs a value"),
    (["A", "T", "-o", "x.bin", "--health-every", "-1"], "--health-every"),
    (["A", "T", "-o", "x.bin", "--health-every", "2x"], "--health-every"),
    (["A", "T", "-o", "x.bin", "--health-every", " 5"], "--health-every"),
    (["A", "T", "-o", "x.bin", "--queue-capacity", "0"], "--queue-capacity"),
    (["A", "T", "-o", "x.bin", "--queue-capacity", "1000001"], "--queue-capacity"),
    (["A", "T", "-o", "x.bin", "--queue-capacity", "+5"], "--queue-capacity"),
    (["A", "T", "U", "-o", "x.bin"], "'U'"),
])
def test_bad_arguments_exit_2_with_one_line_naming_the_problem(tmp_path, args, problem) -> None:
    result = subprocess.run([str(RUNNER), *args], capture_output=True, text=True, timeout=30, cwd=tmp_path,
                            check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and problem in result.stderr, result.stderr
    assert not (tmp_path / "x.bin").exists()


def test_repeat_and_timings_give_every_tile_and_the_memory_plan(tmp_path) -> None:
    """--repeat N is one run over the list N times: every tile timed, one queue whose sequence
    counts run on across passes, one contact at the end."""
    out, timings = tmp_path / "cpp.bin", tmp_path / "timings.json"
    result = run("--artifact", "pte-int8", "--gate", "off", "--repeat", "3", "--timings", str(timings),
                 "--health-every", "0", "--queue-capacity", "1000", out=out)
    assert result.returncode == 0, result.stderr[-2000:]
    tiles = len((VECTORS / "runner" / "tiles.jsonl").read_text().splitlines())
    data = json.loads(timings.read_text())
    assert data["format"] == "quakesat-runner-timings" and data["passes"] == 3
    assert len(data["tile_seconds"]) == data["tiles"] == 3 * tiles == len(out.read_bytes()) // 32 - 1
    assert all(s > 0 for s in data["tile_seconds"])
    reports = sorted((m for _, m in iter_stream(out.read_bytes()) if isinstance(m, TileReport)), key=lambda m: m.seq)
    assert [m.seq for m in reports] == list(range(3 * tiles))
    assert [m.tile_id for m in reports[tiles:2 * tiles]] == [m.tile_id for m in reports[:tiles]]  # the same tiles again
    assert data["queue"] == {"capacity": 1000, "dropped": 0, "health_superseded": 0}
    memory = data["memory"]
    assert 0 < memory["method_arena_used"] <= memory["method_arena"] < 4 << 20  # fitted, not the 4 MiB probe
    assert memory["planned"] > 0 and memory["program_file"] == (VECTORS / "tiny_model" / "model.int8.pte").stat().st_size
    assert memory["queue"] >= 1000 * 32
    assert data["rss"]["peak"] >= data["rss"]["after_first_pass"] > 0
    assert set(data["stages"]) == {"read", "check", "gate", "preprocess", "infer", "decide", "locate", "encode"}


def test_repeat_keeps_one_queue_and_the_health_cadence_across_passes(tmp_path) -> None:
    """With the defaults, three passes are one run of 3 x 23 tiles: a bounded queue that drops
    and a health report every 10 tiles, the stream `quakesat run` writes for the list three times
    over (checked against Python in tests/cpp/test_queue_parity.py)."""
    out, timings = tmp_path / "cpp.bin", tmp_path / "timings.json"
    result = run("--artifact", "pte-int8", "--repeat", "3", "--health-every", "10", "--queue-capacity", "8",
                 "--timings", str(timings), out=out)
    assert result.returncode == 0, result.stderr[-2000:]
    messages = [m for _, m in iter_stream(out.read_bytes())]
    tiles = 3 * len((VECTORS / "runner" / "tiles.jsonl").read_text().splitlines())
    health = [m for m in messages if isinstance(m, HealthReport)]
    assert len(messages) == 8 + 1 and len(health) == 1
    # 69 tiles: reports after tiles 10..60 and the final one, all superseding; seq 69 + 6 health
    assert health[0].tiles_processed == tiles and health[0].seq == tiles + tiles // 10
    dropped = json.loads(timings.read_text())["queue"]
    assert dropped["dropped"] == tiles - 8 == health[0].dropped and dropped["health_superseded"] == tiles // 10
    assert health[0].status == Status.QUEUE_OVERFLOW and health[0].queue_fill == 1.0


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_repeat_takes_a_whole_number(tmp_path, value) -> None:
    result = run("--repeat", value, out=tmp_path / "cpp.bin")
    assert result.returncode == 2 and "--repeat" in result.stderr
