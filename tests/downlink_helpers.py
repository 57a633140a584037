"""What the tests of the downlink's packet kinds share (tests/runtime/test_message.py and
test_vectors.py: the 32-byte message; tests/runtime/test_thumbnail.py and
tests/ground/test_thumbnail_decode.py: the thumbnail): their golden vectors with the generators
that write them, and the tables and numbered lists of docs/downlink.md."""

from __future__ import annotations

import importlib
import json
import re
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from quakesat.errors import DecodeError
from quakesat.runtime.message import crc16

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"
DOC = ROOT / "docs" / "downlink.md"


# ─── golden vectors ─────────────────────────────────────────────────────────────────────
def generator(name: str) -> ModuleType:
    """The generator tests/vectors/``name``.py, imported as when it runs as a script: with its
    folder on ``sys.path``, where it finds the helpers it shares (packet_vectors.py)."""
    if str(VECTORS) not in sys.path:
        sys.path.append(str(VECTORS))
    return importlib.import_module(name)


def read_vectors(name: str) -> list[dict]:
    """The vectors of tests/vectors/``name`` (JSON lines)."""
    return [json.loads(line) for line in (VECTORS / name).read_text(encoding="utf-8").splitlines()]


def assert_vectors_fresh(gen: ModuleType, tmp_path: Path) -> None:
    """The committed files of generator ``gen`` are what it writes now."""
    for path in gen.write_vectors(tmp_path):
        committed = VECTORS / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} is stale: run python tests/vectors/{gen.__name__}.py"
        )


def assert_rejected_as(decode: Callable[[bytes], Any], vector: dict) -> None:
    """``decode`` refuses an invalid vector's bytes with the vector's reason."""
    with pytest.raises(DecodeError) as info:
        decode(bytes.fromhex(vector["hex"]))
    assert info.value.reason == vector["reason"]


def reseal(packet: bytes | bytearray, crc_offset: int) -> bytes:
    """The bytes before ``crc_offset`` of a (tampered) packet with their CRC after them, so that
    the checks after the CRC's are reached."""
    body = bytes(packet[:crc_offset])
    return body + struct.pack(">H", crc16(body))


# ─── docs/downlink.md ───────────────────────────────────────────────────────────────────
def doc_table(marker: str) -> list[list[str]]:
    """Cells of the Markdown table after ``<!-- marker -->`` in docs/downlink.md (no header)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"<!-- {marker} -->") + 1
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def doc_code(cell: str) -> str | None:
    """The first ```code``` of a table cell, or None."""
    found = re.match(r"`([^`]+)`", cell)
    return found.group(1) if found else None


def doc_list(marker: str) -> tuple[str, ...]:
    """The ```code``` of each item of the numbered list after ``<!-- marker -->`` in
    docs/downlink.md, up to the first blank line (the doc holds several such lists)."""
    text = DOC.read_text(encoding="utf-8").split(f"<!-- {marker} -->")[1].split("\n\n")[0]
    return tuple(re.findall(r"^\d+\. `([a-z_]+)`", text, flags=re.MULTILINE))
