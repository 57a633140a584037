"""Instruction counts of the C++ runner on the committed tiny model: x86-64 under callgrind with
the stage split, aarch64 under qemu with the plugin's preprocessing counter. Skipped where the
runner builds, valgrind or qemu are missing (scripts/setup.sh installs them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quakesat.bench import instruction_counts

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "vectors" / "tiny_model"
TILES = ROOT / "tests" / "vectors" / "runner" / "tiles.jsonl"

pytestmark = pytest.mark.skipif(
    not (instruction_counts.NATIVE.is_file() and instruction_counts.AARCH64.is_file()
         and shutil.which("valgrind") and shutil.which("qemu-aarch64") and shutil.which("callgrind_annotate")),
    reason="needs build/native, build/aarch64, valgrind and qemu-user (bash scripts/setup.sh)")


def test_counts_per_tile_and_their_split() -> None:
    counts = instruction_counts.measure(TINY, TILES, "pte-int8", 2, ["cortex-a53"])
    assert isinstance(counts["x86-64"], int) and counts["x86-64"] > 0, counts
    stages = counts["x86-64 stages"]
    assert stages["checks + preprocess"] > 0 and stages["infer"] > 0
    assert sum(stages.values()) == counts["x86-64"] or abs(sum(stages.values()) - counts["x86-64"]) < 0.05 * counts["x86-64"]
    a53 = counts["cortex-a53 stages"]
    assert isinstance(counts["cortex-a53"], int) and counts["cortex-a53"] > 0
    assert 0 < a53["checks + preprocess"] < counts["cortex-a53"]
    assert a53["checks + preprocess"] + a53["the rest (network, read, decide, encode)"] == counts["cortex-a53"]


def test_the_same_run_gives_the_same_count() -> None:
    """Instruction counts repeat exactly for the same binary and inputs: that is why they are used."""
    first = instruction_counts.measure(TINY, TILES, "pte-int8", 1, ["cortex-a53"])["cortex-a53"]
    assert instruction_counts.measure(TINY, TILES, "pte-int8", 1, ["cortex-a53"])["cortex-a53"] == first


def test_a_same_track_model_counts_its_formation_as_preprocessing() -> None:
    """The same-track fixture on its own tiles: the checks fused with the interferogram's
    formation are the preprocessing stage in both counts."""
    insar = ROOT / "tests" / "vectors" / "tiny_insar_model"
    tiles = ROOT / "tests" / "vectors" / "runner_same_track" / "tiles.jsonl"
    counts = instruction_counts.measure(insar, tiles, "pte-int8", 2, ["cortex-a53"])
    assert isinstance(counts["x86-64"], int) and counts["x86-64 stages"]["checks + preprocess"] > 0, counts
    assert isinstance(counts["cortex-a53"], int) and counts["cortex-a53 stages"]["checks + preprocess"] > 0, counts


def test_a_runner_that_refuses_the_model_gives_no_count(tmp_path: Path) -> None:
    """A runner that cannot read the manifest (a stale build, a tampered model) answers every
    tile with a model fault, in almost no instructions: that is no count at all."""
    broken = tmp_path / "model"
    shutil.copytree(TINY, broken)
    artifact = next(broken.glob("*.int8.pte"))
    artifact.write_bytes(artifact.read_bytes()[:-1] + b"?")  # its hash no longer matches
    counts = instruction_counts.measure(broken, TILES, "pte-int8", 1, ["cortex-a53"])
    assert str(counts["x86-64"]).startswith("unavailable") and "hash_mismatch" in str(counts["x86-64"]), counts
    assert str(counts["cortex-a53"]).startswith("unavailable"), counts
