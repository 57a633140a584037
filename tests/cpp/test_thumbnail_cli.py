"""quakesat-decode --thumbnails (the C++ ground decoder's thumbnail mode) against the Python
decoder: for every golden vector and a stream of mutated thumbnails it prints, line for line,
the text Python's json.dumps writes for thumbnail_to_json_dict, or the same rejection."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
from pathlib import Path

import pytest

from quakesat.errors import DecodeError
from quakesat.ground.thumbnail_decode import decode_thumbnail, iter_thumbnails, thumbnail_to_json_dict
from quakesat.runtime.message import LAT_RAW_MAX, LATLON_SCALE, LON_RAW_MAX, crc16
from quakesat.runtime.thumbnail import THUMBNAIL_CRC_OFFSET, THUMBNAIL_LENGTH, encode_thumbnail

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
DECODER = ROOT / "build" / "native" / "quakesat-decode"

pytestmark = pytest.mark.skipif(not DECODER.is_file(),
                                reason="quakesat-decode not built (bash scripts/test.sh builds it)")


def python_lines(stream: bytes, **kwargs: int) -> list[str]:
    """What quakesat-decode --thumbnails must print for ``stream``."""
    return [json.dumps({"offset": offset, "error": item.reason}) if isinstance(item, DecodeError)
            else json.dumps(thumbnail_to_json_dict(item)) for offset, item in iter_thumbnails(stream, **kwargs)]


def cpp_lines(stream: bytes, tmp_path: Path, *args: str) -> list[str]:
    path = tmp_path / "thumbnails.bin"
    path.write_bytes(stream)
    result = subprocess.run([str(DECODER), "--thumbnails", str(path), *args], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def _packets(name: str) -> list[bytes]:
    lines = (VECTORS / name).read_text(encoding="utf-8").splitlines()
    return [bytes.fromhex(json.loads(line)["hex"]) for line in lines if line.strip()]


def test_the_golden_vectors_print_the_python_json(tmp_path: Path) -> None:
    packets = [p for p in _packets("thumbnail.jsonl") + _packets("thumbnail_invalid.jsonl")
               if len(p) == THUMBNAIL_LENGTH]
    stream = b"".join(packets) + packets[0][:17]  # and a trailing partial packet
    expected = python_lines(stream)
    assert cpp_lines(stream, tmp_path) == expected
    assert sum(line.startswith('{"apid"') for line in expected) == len(_packets("thumbnail.jsonl"))
    assert expected[-1] == json.dumps({"offset": len(packets) * THUMBNAIL_LENGTH, "error": "bad_length"})


def test_mutated_thumbnails_print_the_python_json(tmp_path: Path) -> None:
    rng = random.Random(11)
    valid = _packets("thumbnail.jsonl")
    packets = []
    for _ in range(600):
        packet = bytearray(rng.choice(valid))
        for _ in range(rng.randrange(1, 4)):
            packet[rng.randrange(THUMBNAIL_CRC_OFFSET)] = rng.randrange(256)
        if rng.random() < 0.8:  # most with a correct CRC, so the later checks are reached
            packet[THUMBNAIL_CRC_OFFSET:] = crc16(bytes(packet[:THUMBNAIL_CRC_OFFSET])).to_bytes(2, "big")
        packets.append(bytes(packet))
    stream = b"".join(packets)
    expected = python_lines(stream)
    assert cpp_lines(stream, tmp_path) == expected
    outcomes = {json.loads(line).get("error", "ok") for line in expected}
    assert {"ok", "crc_mismatch", "bad_apid", "lat_out_of_range"} <= outcomes


def test_lat_lon_of_every_size_print_as_python_writes_them(tmp_path: Path) -> None:
    # Python writes a float as its shortest repr, in exponent notation below 1e-4 (1e-07,
    # -3.5e-05): the C++ writer must pick the same digits and the same notation.
    rng = random.Random(5)
    base = decode_thumbnail(_packets("thumbnail.jsonl")[0])
    packets = []
    for _ in range(2000):
        lat_raw = int(rng.choice([1, -1]) * rng.randrange(10 ** rng.randrange(1, 10)))
        lon_raw = int(rng.choice([1, -1]) * rng.randrange(10 ** rng.randrange(1, 10)))
        lat = max(-LAT_RAW_MAX, min(LAT_RAW_MAX, lat_raw)) / LATLON_SCALE
        lon = max(-LON_RAW_MAX, min(LON_RAW_MAX, lon_raw)) / LATLON_SCALE
        packets.append(encode_thumbnail(dataclasses.replace(base, lat=lat, lon=lon)))
    stream = b"".join(packets)
    expected = python_lines(stream)
    assert cpp_lines(stream, tmp_path) == expected
    assert any("e-0" in line for line in expected)


def test_apid_option_and_the_32_byte_mode_untouched(tmp_path: Path) -> None:
    packet = _packets("thumbnail.jsonl")[0]
    assert json.loads(cpp_lines(packet, tmp_path)[0])["apid"] == 0x2C2
    assert cpp_lines(packet, tmp_path, "--apid", "705") == python_lines(packet, apid=705)
    assert json.loads(cpp_lines(packet, tmp_path, "--apid", "705")[0])["error"] == "bad_apid"
    path = tmp_path / "as_messages.bin"
    path.write_bytes(packet)
    result = subprocess.run([str(DECODER), str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.split() == ["crc_mismatch"] * 5  # 5 x 32 bytes, no thumbnail mode


def test_help_mentions_thumbnails() -> None:
    result = subprocess.run([str(DECODER), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and "--thumbnails" in result.stdout
