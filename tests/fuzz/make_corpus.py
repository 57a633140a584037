"""Write the fuzzers' seed corpora in ``tests/fuzz/corpus/`` from the shared test vectors.

    python tests/fuzz/make_corpus.py

One folder per input format, read by the Python harnesses here (``tests/fuzz/fuzz_*.py``)
and by the C++ ones alike; every file is one input, at most :data:`MAX_SEED` bytes:

- ``decode/``: downlink bytes. Every message of ``tests/vectors/downlink.jsonl`` and
  ``downlink_invalid.jsonl`` (hex to raw bytes), and a few streams of several messages.
- ``npy/``: whole ``.npy`` files. The hostile reader cases and the pixel-check images of
  ``tests/vectors/hostile_npy``, plus a few smaller ones (1 x 1 x 2, header only, cut short).
- ``tile_list/``: whole ``tiles.jsonl`` files, one per line of
  ``tests/vectors/hostile_list/tiles.jsonl`` and one holding every line. The lines name
  ``a.npy``, a good 8 x 8 x 2 image; a harness serves that name (see ``fuzz_tile_list.py``).
- ``manifest/``: whole ``manifest.json`` files. ``tests/vectors/tiny_model/manifest.json``
  and every case of ``tests/vectors/manifests.jsonl`` (a JSON value written compact with
  sorted keys, as the vector generator writes its text cases, or the raw text).

The script owns these folders: it empties each one and writes it anew, so the corpus is a
function of the vectors. Standard library only.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors"
CORPUS = HERE / "corpus"
#: Largest seed written, bytes (libFuzzer's default -max_len grows from the seeds).
MAX_SEED = 64 * 1024
#: Depth of the nesting seed of the tile list (the vector's 100 000 braces exceed MAX_SEED).
DEEP_NESTING = 3000
GOOD_HEADER = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }"


def _safe(name: str) -> str:
    """A file name from a case name: letters, digits, ``_``, ``-`` and ``.`` only."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _npy(header: str, data: bytes, major: int = 1) -> bytes:
    """A ``.npy`` file holding ``header`` padded the way NumPy pads it."""
    text = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    length = struct.pack("<H", len(text)) if major == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([major, 0]) + length + text.encode("ascii") + data


def decode_seeds() -> dict[str, bytes]:
    """Downlink messages, valid and invalid, and streams of several."""
    seeds: dict[str, bytes] = {}
    valid = _jsonl(VECTORS / "downlink.jsonl")
    for case in valid:
        seeds[f"valid_{case['name']}.bin"] = bytes.fromhex(case["hex"])
    for case in _jsonl(VECTORS / "downlink_invalid.jsonl"):
        seeds[f"invalid_{case['name']}.bin"] = bytes.fromhex(case["hex"])
    messages = [bytes.fromhex(case["hex"]) for case in valid]
    seeds["stream_all_valid.bin"] = b"".join(messages)
    seeds["stream_partial_tail.bin"] = b"".join(messages[:3]) + messages[3][:17]
    seeds["stream_lost_byte.bin"] = messages[0] + messages[1][1:] + messages[2]
    return seeds


def npy_seeds() -> dict[str, bytes]:
    """The hostile ``.npy`` files (all small: 8 x 8 x 2) and a few smaller still."""
    folder = VECTORS / "hostile_npy"
    seeds: dict[str, bytes] = {}
    for listing in ("cases.jsonl", "checks.jsonl"):
        for case in _jsonl(folder / listing):
            seeds[_safe(case["file"])] = (folder / case["file"]).read_bytes()
    pixel = struct.pack("<2f", 0.25, 0.0625)
    seeds["tiny_1x1.npy"] = _npy(GOOD_HEADER % "(1, 1, 2)", pixel)
    seeds["tiny_1x1_v2.npy"] = _npy(GOOD_HEADER % "(1, 1, 2)", pixel, major=2)
    seeds["tiny_2x3.npy"] = _npy(GOOD_HEADER % "(2, 3, 2)", pixel * 6)
    seeds["header_only.npy"] = _npy(GOOD_HEADER % "(8, 8, 2)", b"")
    seeds["cut_in_header.npy"] = _npy(GOOD_HEADER % "(1, 1, 2)", pixel)[:30]
    return seeds


def tile_list_seeds() -> dict[str, bytes]:
    """One list per hostile line, and one list of all of them (the deep nesting cut down)."""
    lines = (VECTORS / "hostile_list" / "tiles.jsonl").read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [line if len(line) < MAX_SEED // 2 else line[:DEEP_NESTING] for line in lines]
    seeds = {f"line_{index:02d}.jsonl": line + b"\n" for index, line in enumerate(lines)}
    seeds["all_lines.jsonl"] = b"\n".join(lines) + b"\n"
    seeds["deep_arrays.jsonl"] = b"[" * DEEP_NESTING + b"\n"
    seeds["no_final_newline.jsonl"] = lines[0]
    return seeds


def manifest_seeds() -> dict[str, bytes]:
    """The tiny model's manifest and every shared manifest case, as file bytes."""
    seeds = {"tiny_model.json": (VECTORS / "tiny_model" / "manifest.json").read_bytes()}
    for case in _jsonl(VECTORS / "manifests.jsonl"):
        if "file" in case:
            text = (VECTORS / case["file"]).read_text(encoding="utf-8")
        elif "text" in case:
            text = case["text"]
        else:
            text = json.dumps(case["manifest"], separators=(",", ":"), sort_keys=True)
        seeds[f"{_safe(case['case'])}.json"] = text.encode("utf-8", "surrogatepass")
    return seeds


HARNESSES = {"decode": decode_seeds, "npy": npy_seeds, "tile_list": tile_list_seeds, "manifest": manifest_seeds}


def main() -> None:
    total = 0
    for name, make in HARNESSES.items():
        folder = CORPUS / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old.is_file():
                old.unlink()
        seeds = make()
        for file, content in sorted(seeds.items()):
            if len(content) > MAX_SEED:
                raise SystemExit(f"{name}/{file}: {len(content)} bytes, over the {MAX_SEED}-byte seed limit")
            (folder / file).write_bytes(content)
        size = sum(len(content) for content in seeds.values())
        total += size
        print(f"{name}: {len(seeds)} seeds, {size} bytes")
    print(f"wrote {total} bytes to {CORPUS}")


if __name__ == "__main__":
    main()
