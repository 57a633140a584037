"""`quakesat decode`: messages in, JSON lines out, malformed ones reported with their reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from quakesat.cli import main
from quakesat.ground.decode import decode, to_json_dict
from quakesat.runtime.message import HealthReport, TileReport, encode
from quakesat.runtime.status import Status

TILE = TileReport(seq=42, tile_id=1234, time=1_704_456_000, lat=37.1234567, lon=-122.5,
                  magnitude=6.42, confidence=0.93, model_id=0xABCD, event=True, located=True)
HEALTH = HealthReport(seq=43, time=1_704_456_060, lat=1.0, lon=2.0, tiles_processed=5, dropped=0,
                      queue_fill=0.1, model_id=0xABCD, status=Status.OK)


def test_decode_hex_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = encode(TILE)
    assert main(["decode", "--hex", data.hex()]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line) for line in out.splitlines()] == [to_json_dict(decode(data))]
    assert err == ""


def test_decode_several_hex(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--hex", encode(TILE).hex(), encode(HEALTH).hex().upper()]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["kind"] for line in lines] == ["tile_report", "health"]


def test_decode_hex_through_a_subprocess() -> None:
    data = encode(TILE)
    done = subprocess.run(
        [sys.executable, "-m", "quakesat", "decode", "--hex", data.hex()],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == to_json_dict(decode(data))


def test_malformed_hex_returns_1_with_reason(capsys: pytest.CaptureFixture[str]) -> None:
    bad = bytearray(encode(TILE))
    bad[12] ^= 0x10
    assert main(["decode", "--hex", bytes(bad).hex()]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    report = json.loads(err)
    assert report["index"] == 0 and report["error"] == "crc_mismatch"
    assert main(["decode", "--hex", "zz", encode(TILE).hex()[:-2]]) == 1
    errors = [json.loads(line)["error"] for line in capsys.readouterr().err.splitlines()]
    assert errors == ["not_hex", "bad_length"]


def test_stream_file_with_corrupt_middle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    middle = bytearray(encode(TILE))
    middle[20] ^= 0x01
    path = tmp_path / "pass.bin"
    path.write_bytes(encode(HEALTH) + bytes(middle) + encode(TILE))
    assert main(["decode", str(path)]) == 1
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines == [to_json_dict(decode(encode(HEALTH))), to_json_dict(decode(encode(TILE)))]
    (report,) = [json.loads(line) for line in err.splitlines()]
    assert report["index"] == 1 and report["error"] == "crc_mismatch"
    assert "byte offset 32" in report["detail"]


def test_decode_thumbnails_file_and_hex(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vectors = Path(__file__).parent / "vectors"
    valid = [json.loads(line) for line in (vectors / "thumbnail.jsonl").read_text().splitlines()]
    invalid = [json.loads(line) for line in (vectors / "thumbnail_invalid.jsonl").read_text().splitlines()]
    stream = tmp_path / "thumbnails.bin"
    stream.write_bytes(b"".join(bytes.fromhex(v["hex"]) for v in valid))
    assert main(["decode", "--thumbnails", str(stream)]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line) for line in out.splitlines()] == [v["decoded"] for v in valid] and err == ""
    # A malformed one among them: reported with its reason, exit 1, the good ones still printed.
    bad = next(v for v in invalid if v["reason"] == "crc_mismatch")
    assert main(["decode", "--thumbnails", "--hex", valid[0]["hex"], bad["hex"]]) == 1
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 1 and json.loads(err)["error"] == "crc_mismatch"
    # A thumbnail read as a 32-byte message is a length error, never a message.
    assert main(["decode", "--hex", valid[0]["hex"]]) == 1
    assert json.loads(capsys.readouterr().err)["error"] == "bad_length"
