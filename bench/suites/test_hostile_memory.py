"""Memory under hostile input, each figure the peak RSS of a fresh process (GNU ``time``):

- Python: ``quakesat run`` on one tile whose post image is a normal ``.npy``, then on one
  whose header claims 12000 x 12000 x 2 floats over a sparse file that has them, on paper
  (1.15 GB). The reader refuses the shape before reading a pixel: the second run's peak RSS
  must stay within 2x the first's (before the fix it read the whole claim: 1.19 GB).
- C++: ``quakesat-runner`` on a 1-line tile list, then on a 20,000-line list of 4,000-character
  paths (160 MB of text). The list is streamed: peak RSS within 2x (it was 178-183 MB when
  the runner read the list whole first).

Both use the tiny model (tests/vectors/tiny_model): the memory at stake is the reader's, not
the network's. Run: ``pytest bench/suites/test_hostile_memory.py --benchmark-only``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")
TIME = shutil.which("time", path="/usr/bin") or ""
pytestmark = pytest.mark.skipif(not TIME, reason="GNU time (/usr/bin/time, Debian package time) is not installed")

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "vectors" / "tiny_model"
RUNNER = ROOT / "build" / "native" / "quakesat-runner"
#: A hostile input may cost at most this many times the peak RSS of a normal one.
RSS_RATIO_BUDGET = 2.0
LONG_LIST_LINES, PATH_CHARACTERS = 20_000, 4_000


def peak_rss_mb(command: list[str], scratch: Path) -> float:
    """Peak resident memory of one fresh process running ``command``, MB, as GNU time reports
    it. (``os.wait4`` on a child of this process would not do: a forked child inherits the
    parent's high-water mark, and pytest with torch loaded is hundreds of MB.)"""
    report = scratch / "time.txt"
    result = subprocess.run([TIME, "-f", "%M", "-o", str(report), *command], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, check=False)
    assert result.returncode == 0, command
    return int(report.read_text().split()[-1]) / 1024  # kB


def overclaiming_npy(path: Path) -> None:
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (12000, 12000, 2), }"
    header += b" " * (117 - len(header)) + b"\n"  # 128 bytes before the data
    with open(path, "wb") as handle:
        handle.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
        handle.truncate(128 + 12000 * 12000 * 2 * 4)  # a hole: no disk


def test_python_overclaiming_header_costs_no_more_than_a_tile(benchmark, tmp_path: Path) -> None:
    image = np.random.default_rng(0).gamma(4.4, 0.01, (64, 64, 2)).astype(np.float32)
    np.save(tmp_path / "pre.npy", image)
    np.save(tmp_path / "post.npy", image * np.float32(1.5))
    overclaiming_npy(tmp_path / "hostile.npy")

    def run(post: str) -> float:
        return peak_rss_mb([sys.executable, "-m", "quakesat", "run", "--artifacts", str(TINY),
                            "--pre", str(tmp_path / "pre.npy"), "--post", str(tmp_path / post), "--lat", "1",
                            "--lon", "2", "--fault-mode", "--out", str(tmp_path / f"{post}.bin")], tmp_path)

    figures: dict[str, float] = {}
    benchmark.pedantic(lambda: figures.update(normal=run("post.npy"), hostile=run("hostile.npy")), rounds=1)
    ratio = figures["hostile"] / figures["normal"]
    benchmark.extra_info.update({"normal_mb": round(figures["normal"], 1), "hostile_mb": round(figures["hostile"], 1),
                                 "ratio": round(ratio, 3)})
    assert ratio <= RSS_RATIO_BUDGET, figures


@pytest.mark.skipif(not RUNNER.is_file(), reason="quakesat-runner is not built (scripts/build_native.sh)")
def test_cpp_long_tile_list_is_streamed(benchmark, tmp_path: Path) -> None:
    def tile_list(name: str, lines: int) -> Path:
        path = tmp_path / name
        with open(path, "w", encoding="ascii") as handle:
            for k in range(lines):
                long = "d/" * (PATH_CHARACTERS // 2 - 3) + f"{k}.npy"
                handle.write(json.dumps({"tile_id": k, "time": 1_700_000_000 + k, "lat": 1.0, "lon": 2.0,
                                         "pre": long, "post": long}) + "\n")
        return path

    short, long = tile_list("one.jsonl", 1), tile_list("long.jsonl", LONG_LIST_LINES)

    def run(listing: Path) -> float:
        return peak_rss_mb([str(RUNNER), str(TINY), str(listing), "-o", str(listing.with_suffix(".bin")),
                            "--health-every", "0", "--emit", "alerts"], tmp_path)

    figures: dict[str, float] = {}
    benchmark.pedantic(lambda: figures.update(one=run(short), long=run(long)), rounds=1)
    ratio = figures["long"] / figures["one"]
    benchmark.extra_info.update({"one_line_mb": round(figures["one"], 1), "long_list_mb": round(figures["long"], 1),
                                 "list_mb": round(long.stat().st_size / 2**20, 1), "ratio": round(ratio, 3)})
    assert ratio <= RSS_RATIO_BUDGET, figures
