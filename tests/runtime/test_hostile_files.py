"""What sits at a path the runtime reads (tests/vectors/hostile_files, shared with the C++
tests): only regular files are opened, their size is judged before a byte is read, and a
FIFO, device, directory or odd spelling gives the documented verdict at once, never a hang."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from quakesat.errors import ConfigError, ManifestError, ModelNotFoundError
from quakesat.runtime.manifest import load_manifest, sha256_file
from quakesat.runtime.tile_file import read_image, read_tile_list

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "hostile_files"
CASES = [json.loads(line) for line in (VECTORS / "cases.jsonl").read_text().splitlines()]
#: The file each door reads in the scratch folder, and the good file it holds when regular.
DOORS = {"image": ("post.npy", "good.npy"), "list": ("tiles.jsonl", "good_list.jsonl"),
         "signature": ("manifest.json.sig", "good.sig"), "key": ("signing.pub", "good.pub"),
         "artifact": ("model.bin", "good.npy"), "manifest": ("manifest.json", None)}


def materialise(case: dict[str, str], scratch: Path) -> str:
    """Carry out the case's recipe in ``scratch``; return the path as the door is given it."""
    name, good = DOORS[case["door"]]
    target = scratch / name
    make = case["make"]
    if case["door"] == "signature":
        shutil.copy(VECTORS / "signed_manifest.json", scratch / "manifest.json")
    if make in ("regular", "trailing_slash", "trailing_dot"):
        shutil.copy(VECTORS / good, target)
    elif make.startswith("file:"):
        shutil.copy(VECTORS / make.removeprefix("file:"), target)
    elif make == "symlink":
        shutil.copy(VECTORS / good, scratch / "real")
        target.symlink_to("real")
    elif make == "fifo":
        os.mkfifo(target)
    elif make == "directory":
        target.mkdir()
    elif make in ("dev_zero", "dev_null"):
        target.symlink_to(f"/dev/{make.removeprefix('dev_')}")
    elif make == "dangling_symlink":
        target.symlink_to("nowhere")
    elif make == "overclaim":
        with open(target, "wb") as handle:
            handle.write(b"\x93NUMPY\x01\x00")
            header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (12000, 12000, 2), }"
            header += b" " * (117 - len(header)) + b"\n"  # 10 + 118 = 128 bytes before the data
            handle.write(len(header).to_bytes(2, "little") + header)
            handle.truncate(128 + 12000 * 12000 * 2 * 4)
    elif make == "sparse":
        with open(target, "wb") as handle:
            handle.truncate(17 << 20)
    else:
        assert make == "missing", make
    return str(target) + {"trailing_slash": "/", "trailing_dot": "/."}.get(make, "")


def verdict(case: dict[str, str], path: str, scratch: Path) -> str:
    door = case["door"]
    if door == "image":
        _, check = read_image(path, side=8)
        return check.status.code_name
    if door == "list":
        try:
            list(read_tile_list(path, side=8))
        except OSError:
            return "refused"
        return "ok"
    if door in ("signature", "key"):
        pytest.importorskip("cryptography")
        from quakesat.runtime.signature import read_public_key, verify_manifest

        try:
            if door == "key":
                read_public_key(path)
            else:
                verify_manifest(scratch, read_public_key(VECTORS / "good.pub"))
        except ConfigError:
            return "refused"
        except ManifestError:
            return "manifest_invalid"
        return "ok"
    if door == "artifact":
        try:
            digest = sha256_file(path)
        except OSError:
            return "refused"
        return "ok" if digest == hashlib.sha256((VECTORS / "good.npy").read_bytes()).hexdigest() else "wrong digest"
    try:
        load_manifest(scratch)
    except ModelNotFoundError:
        return "model_missing"
    except ManifestError:
        return "manifest_invalid"
    return "ok"


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_every_door_gives_the_shared_verdict(case: dict[str, str], tmp_path: Path) -> None:
    path = materialise(case, tmp_path)
    assert verdict(case, path, tmp_path) == case["expected"]


def test_every_door_and_recipe_is_covered() -> None:
    doors = {case["door"] for case in CASES}
    assert doors == set(DOORS)
    for door in doors - {"manifest"}:
        makes = {case["make"] for case in CASES if case["door"] == door}
        assert {"regular", "fifo", "directory", "dev_zero", "missing"} <= makes, door
