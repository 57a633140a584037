"""quakesat-decode (the C++ ground decoder's command line) against the Python decoder: every
golden vector, valid and invalid, and a stream of fuzzed packets get the same verdict, message
for message; usage errors are one line and exit 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from quakesat.bench.reliability import fuzzed_packets
from quakesat.errors import DecodeError
from quakesat.ground.decode import decode
from quakesat.runtime.message import HealthReport

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
DECODER = ROOT / "build" / "helper-cpp" / "quakesat-decode"

pytestmark = pytest.mark.skipif(not DECODER.is_file(), reason="quakesat-decode not built (bash scripts/test.sh builds it)")


def python_verdict(packet: bytes) -> str:
    try:
        message = decode(packet)
    except DecodeError as err:
        return err.reason
    if isinstance(message, HealthReport):
        return f"ok health {message.seq} {message.tiles_processed} {message.dropped} {message.status.code_name}"
    return f"ok tile {message.seq} {message.tile_id} {message.status.code_name} {int(message.event)}"


def cpp_verdicts(stream: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "stream.bin"
    path.write_bytes(stream)
    result = subprocess.run([str(DECODER), str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_golden_vectors_get_the_python_verdicts(tmp_path) -> None:
    packets = [bytes.fromhex(json.loads(line)["hex"])
               for name in ("downlink.jsonl", "downlink_invalid.jsonl")
               for line in (VECTORS / name).read_text().splitlines() if line.strip()]
    packets = [p for p in packets if len(p) == 32]  # a stream carries whole messages; lengths below
    assert cpp_verdicts(b"".join(packets), tmp_path) == [python_verdict(p) for p in packets]


def test_fuzzed_packets_get_the_python_verdicts(tmp_path) -> None:
    packets = fuzzed_packets(6000, seed=3)
    got = cpp_verdicts(b"".join(packets), tmp_path)
    expected = [python_verdict(p) for p in packets]
    assert got == expected
    assert {line.split()[0] for line in got} >= {"ok", "crc_mismatch", "unknown_status"}


def test_a_trailing_partial_message_is_bad_length(tmp_path) -> None:
    packet = fuzzed_packets(3, seed=0)[1]
    assert cpp_verdicts(packet + packet[:7], tmp_path)[1:] == ["bad_length"]


@pytest.mark.parametrize("args", [[], ["a", "b"], ["--apid"], ["--apid", "4096", "x"], ["--nope", "x"]])
def test_usage_errors_are_one_line_and_exit_2(args) -> None:
    result = subprocess.run([str(DECODER), *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_an_unreadable_file_exits_2(tmp_path) -> None:
    result = subprocess.run([str(DECODER), str(tmp_path / "absent.bin")], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2 and "cannot read" in result.stderr
