"""`quakesat run` and `quakesat-runner` side by side: the same tile list and the same options
(gate, location, emit mode, health cadence, queue capacity) give byte-identical downlink
streams, queue order, drops and health reports included. On the parity tiles, on the hostile
tile list, on the parity list three times over (the runner's --repeat), and in fault mode; and
for the same-track model on its parity tiles and on the hostile tile list.

The Python CLI runs in this process (`quakesat.cli.main`, the code `quakesat run` runs,
without paying the interpreter start per case); the runner as the built binary."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from quakesat.ground.decode import iter_stream
from quakesat.runtime.manifest import load_manifest
from quakesat.runtime.message import HealthReport

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
RUNNER = ROOT / "build" / "native" / "quakesat-runner"
TINY = VECTORS / "tiny_model"

pytestmark = pytest.mark.skipif(not RUNNER.is_file(), reason="quakesat-runner not built (bash scripts/test.sh builds it)")

#: Option sets, each run on both lists: the defaults, small queues that drop, alerts only.
SETTINGS = {
    "defaults": [],
    "queue_3_health_5": ["--queue-capacity", "3", "--health-every", "5"],
    "alerts_queue_2_health_4": ["--emit", "alerts", "--queue-capacity", "2", "--health-every", "4"],
    "alerts_defaults": ["--emit", "alerts"],
    "queue_1_health_every_tile": ["--queue-capacity", "1", "--health-every", "1"],
    "nogate_head_final_health_only": ["--gate", "off", "--locate", "head", "--queue-capacity", "4",
                                      "--health-every", "0"],
    "identical_change_health_7": ["--gate", "identical", "--locate", "change", "--queue-capacity", "6",
                                  "--health-every", "7"],
}
LISTS = {"parity": VECTORS / "runner" / "tiles.jsonl", "hostile": VECTORS / "hostile_list" / "tiles.jsonl"}
#: The same-track model and the lists it runs here: its own parity tiles, and the hostile list
#: (amplitude lines WRONG_KIND unread, its same-track lines read as complex pairs).
TINY_INSAR = VECTORS / "tiny_insar_model"
SAME_TRACK_LISTS = {"same_track": VECTORS / "runner_same_track" / "tiles.jsonl", "hostile": LISTS["hostile"]}
#: (model, tile list) of every parity run: each model on its lists.
RUNS = {**{f"amplitude-{name}": (TINY, tiles) for name, tiles in LISTS.items()},
        **{f"same_track-{name}": (TINY_INSAR, tiles) for name, tiles in SAME_TRACK_LISTS.items()}}


def python_run(artifacts: Path, tiles: Path, out: Path, options: list[str]) -> bytes:
    """`quakesat run --tiles` in this process; returns the stream it wrote."""
    pytest.importorskip("quakesat.export.executorch_backend")  # the .pte backend (torch, executorch)
    from quakesat.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        # the runner flies what it is given, as on board: pte-int8 (gate-failed on the fixtures
        # too) and, in fault mode, a model that cannot be used
        code = main(["run", "--artifacts", str(artifacts), "--artifact", "pte-int8", "--tiles", str(tiles),
                     "--out", str(out), "--allow-failed-gate", "--fault-mode", *options])
    assert code == 0
    return out.read_bytes()


def cpp_run(artifacts: Path, tiles: Path, out: Path, options: list[str]) -> bytes:
    result = subprocess.run([str(RUNNER), str(artifacts), str(tiles), "-o", str(out), "--artifact", "pte-int8",
                             *options], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return out.read_bytes()


def assert_same(python: bytes, cpp: bytes) -> list:
    """Byte-identical streams, compared message by message first for a readable failure."""
    mine = [cpp[i:i + 32].hex() for i in range(0, len(cpp), 32)]
    theirs = [python[i:i + 32].hex() for i in range(0, len(python), 32)]
    assert mine == theirs
    assert cpp == python
    messages = [m for _, m in iter_stream(cpp)]
    assert messages
    return messages


@pytest.mark.parametrize("options", SETTINGS.values(), ids=SETTINGS.keys())
@pytest.mark.parametrize("model, tiles", RUNS.values(), ids=RUNS.keys())
def test_both_clis_write_the_same_stream(tmp_path, model: Path, tiles: Path, options: list[str]) -> None:
    python = python_run(model, tiles, tmp_path / "python.bin", options)
    cpp = cpp_run(model, tiles, tmp_path / "cpp.bin", options)
    messages = assert_same(python, cpp)
    assert sum(isinstance(m, HealthReport) for m in messages) == 1  # the waiting one, the others superseded


def test_small_queues_do_drop_and_report_it(tmp_path) -> None:
    """The settings above are not vacuous: a queue of 2 under alerts drops on the parity list,
    and the health report that reaches the ground counts every drop."""
    options = SETTINGS["alerts_queue_2_health_4"]
    cpp = cpp_run(TINY, LISTS["parity"], tmp_path / "cpp.bin", options)
    health = [m for _, m in iter_stream(cpp) if isinstance(m, HealthReport)]
    python_run(TINY, LISTS["parity"], tmp_path / "python.bin", options)
    report = json.loads((tmp_path / "python.report.json").read_text())
    assert report["dropped"] > 0 and health[0].dropped == report["dropped"]


def python_passes(tiles: Path, out: Path, passes: int, **config: object) -> bytes:
    """What `quakesat run` does (ground/run.py run_tiles: every tile, a final health report, one
    contact) over the tiles of ``tiles`` read ``passes`` times, as the runner's --repeat reads
    them (a line that cannot be parsed keeps its line index as its id in every pass)."""
    pytest.importorskip("quakesat.export.executorch_backend")
    from quakesat.ground.run import run_tiles
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig
    from quakesat.runtime.tile_file import read_tile_list

    runtime = FlightRuntime.open(TINY, "pte-int8", RuntimeConfig(**config))  # type: ignore[arg-type]
    items = ((tile, None, seconds) for _ in range(passes)
             for tile, seconds in read_tile_list(tiles, reuse_buffers=True))
    run_tiles(runtime, items, out)
    return out.read_bytes()


@pytest.mark.parametrize("config", [{}, {"queue_capacity": 5, "health_every": 9},
                                    {"emit": "alerts", "queue_capacity": 4, "health_every": 10}],
                         ids=["defaults", "queue_5_health_9", "alerts_queue_4_health_10"])
def test_repeat_is_one_run_over_the_list_that_many_times(tmp_path, config: dict) -> None:
    options = [part for key, value in config.items() for part in (f"--{key.replace('_', '-')}", str(value))]
    python = python_passes(LISTS["parity"], tmp_path / "python.bin", 3, **config)
    cpp = cpp_run(TINY, LISTS["parity"], tmp_path / "cpp.bin", [*options, "--repeat", "3"])
    assert_same(python, cpp)


def test_repeat_equals_a_list_written_over_when_every_line_parses(tmp_path) -> None:
    """Without an unparseable line (whose id is its line index), --repeat 3 is `quakesat run`
    on the list written three times over."""
    for entry in LISTS["parity"].parent.iterdir():
        (tmp_path / entry.name).symlink_to(entry)
    lines = [line for line in LISTS["parity"].read_bytes().splitlines(keepends=True) if b"not a number" not in line]
    once, thrice = tmp_path / "once.jsonl", tmp_path / "thrice.jsonl"
    once.write_bytes(b"".join(lines))
    thrice.write_bytes(b"".join(lines) * 3)
    options = ["--queue-capacity", "7", "--health-every", "11"]
    python = python_run(TINY, thrice, tmp_path / "python.bin", options)
    cpp = cpp_run(TINY, once, tmp_path / "cpp.bin", [*options, "--repeat", "3"])
    assert_same(python, cpp)


def test_fault_mode_streams_are_the_same(tmp_path) -> None:
    """A tampered program: every tile and the health reports carry hash_mismatch, and a small
    queue drops, on both sides alike."""
    model = tmp_path / "model"
    shutil.copytree(TINY, model)
    pte = model / "model.int8.pte"
    data = bytearray(pte.read_bytes())
    data[1000] ^= 0x5A
    pte.write_bytes(bytes(data))
    for options in ([], ["--queue-capacity", "3", "--health-every", "4"], ["--emit", "alerts"]):
        python = python_run(model, LISTS["parity"], tmp_path / "python.bin", options)
        cpp = cpp_run(model, LISTS["parity"], tmp_path / "cpp.bin", options)
        messages = assert_same(python, cpp)
        assert all(m.status.code_name == "hash_mismatch" for m in messages)


def test_trusted_key_streams_are_the_same_signed_or_not(tmp_path) -> None:
    """With --trusted-key: an unsigned manifest flies in fault mode (manifest_invalid, the
    manifest's model id still in every message) and a signed one normally, alike on both sides."""
    pytest.importorskip("cryptography")
    from quakesat.cli import main

    model, keys = tmp_path / "model", tmp_path / "keys"
    shutil.copytree(TINY, model)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["keygen", "--out", str(keys)]) == 0
    options = ["--trusted-key", str(keys / "signing.pub"), "--queue-capacity", "5", "--health-every", "6"]
    python = python_run(model, LISTS["parity"], tmp_path / "python.bin", options)
    messages = assert_same(python, cpp_run(model, LISTS["parity"], tmp_path / "cpp.bin", options))
    assert {m.status.code_name for m in messages} == {"manifest_invalid"}
    assert {m.model_id for m in messages} == {load_manifest(model).artifact("pte-int8").model_id}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["sign", str(model), "--key", str(keys / "signing.key")]) == 0
    python = python_run(model, LISTS["parity"], tmp_path / "python.bin", options)
    messages = assert_same(python, cpp_run(model, LISTS["parity"], tmp_path / "cpp.bin", options))
    assert "manifest_invalid" not in {m.status.code_name for m in messages}
