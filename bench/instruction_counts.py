"""Instructions per tile of the C++ runner: x86-64 under valgrind's callgrind, aarch64 under
qemu-user with a counting plugin on fixed cores (docs/benchmarks.md).

    python bench/instruction_counts.py --artifacts out/demo/artifacts/quakelite \
        --tiles out/demo/tile_list/tiles.jsonl [--count 4] [--cpus cortex-a53,cortex-a72]

Instruction counts, unlike wall time under emulation or on a shared VM, repeat exactly for the
same binary, inputs and CPU model. The runner runs once on the first tile and once on the first
``count + 1`` tiles (gate off: every tile runs the whole pipeline); the difference divided by
``count`` is the cost of one tile, without start-up and model loading. Needs build/native and
build/aarch64 (``bash scripts/test.sh`` builds both), valgrind, qemu-user and gcc.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NATIVE = ROOT / "build" / "native" / "quakesat-runner"
AARCH64 = ROOT / "build" / "aarch64" / "quakesat-runner"
PLUGIN_SOURCE = ROOT / "bench" / "native" / "qemu_insn_count.c"


def _lists(tiles: Path, count: int, scratch: Path) -> tuple[Path, Path]:
    """Tile lists of the first tile and of the first count + 1 tiles, with absolute paths."""
    lines = []
    for line in tiles.read_text().splitlines():
        entry = json.loads(line)
        for key in ("pre", "post"):
            entry[key] = str((tiles.parent / entry[key]).resolve())
        lines.append(json.dumps(entry))
    if len(lines) < count + 1:
        raise SystemExit(f"{tiles} has {len(lines)} tiles; --count {count} needs {count + 1}")
    one, many = scratch / "one.jsonl", scratch / "many.jsonl"
    one.write_text(lines[0] + "\n")
    many.write_text("\n".join(lines[: count + 1]) + "\n")
    return one, many


def _runner_args(artifacts: Path, tiles: Path, artifact: str, scratch: Path) -> list[str]:
    return [str(artifacts), str(tiles), "-o", str(scratch / "out.bin"), "--artifact", artifact, "--gate", "off"]


#: The runner's stages as callgrind sees them: (stage, functions whose inclusive counts add up to it).
STAGE_FUNCTIONS = (
    ("read", ("quakesat::read_npy_image(", "quakesat::read_npy_complex(")),
    # a same-track model: the checks' scan fused with the interferogram's formation, then the verdict
    ("checks + preprocess", ("quakesat::preprocess_image(", "quakesat::interferogram_features(",
                             "quakesat::judge_same_track_pair(")),
    ("checks (version 1)", ("quakesat::scan_image(",)),
    ("infer", ("quakesat::Model::run(", "quakesat::Model::run_in_place(")),
    ("tile", ("quakesat::Runner::run_files(",)),
)


def _callgrind_file(artifacts: Path, tiles: Path, artifact: str, scratch: Path) -> Path:
    out = scratch / f"callgrind.{tiles.stem}.out"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(NATIVE),
                    *_runner_args(artifacts, tiles, artifact, scratch)], check=True, capture_output=True)
    return out


def refused(scratch: Path) -> str | None:
    """Why the runner's last run in ``scratch`` did not judge its tiles, or None: a model fault
    (a stale binary that cannot read the manifest, say) makes every tile a cheap refusal, and
    its instruction count would be a number about nothing."""
    from quakesat.ground.decode import iter_stream
    from quakesat.runtime.message import TileReport
    from quakesat.runtime.status import StatusCategory

    stream = scratch / "out.bin"
    if not stream.is_file():
        return "the runner wrote no messages"
    for _, item in iter_stream(stream.read_bytes()):
        if isinstance(item, TileReport) and item.status.category == StatusCategory.MODEL:
            return f"the runner refused the model ({item.status.code_name}): rebuild it (bash scripts/test.sh)"
    return None


def callgrind(artifacts: Path, tiles: Path, artifact: str, scratch: Path) -> int:
    out = _callgrind_file(artifacts, tiles, artifact, scratch)
    return int(re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE).group(1))


def _inclusive(out: Path) -> dict[str, int]:
    """Inclusive instruction counts of the stage functions in a callgrind file."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out)], check=True,
                          capture_output=True, text=True).stdout
    found: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"^\s*([\d,]+)\s.*?:(quakesat::\S.*)$", line)
        if not match:
            continue
        for _, functions in STAGE_FUNCTIONS:
            for function in functions:
                if match.group(2).startswith(function):
                    found[function] = max(found.get(function, 0), int(match.group(1).replace(",", "")))
    return {stage: sum(found.get(f, 0) for f in functions) for stage, functions in STAGE_FUNCTIONS}


def callgrind_stages(artifacts: Path, one: Path, many: Path, count: int, artifact: str,
                     scratch: Path) -> dict[str, int]:
    """x86-64 instructions per tile split by stage (differences of inclusive counts)."""
    low = _inclusive(_callgrind_file(artifacts, one, artifact, scratch))
    high = _inclusive(_callgrind_file(artifacts, many, artifact, scratch))
    per_tile = {stage: (high[stage] - low[stage]) // count for stage in high}
    named = sum(per_tile[s] for s in ("read", "checks + preprocess", "checks (version 1)", "infer"))
    per_tile["decide, locate, encode and the rest"] = per_tile.pop("tile") - named
    return per_tile


def qemu_counts(artifacts: Path, tiles: Path, artifact: str, scratch: Path, cpu: str, plugin: Path) -> tuple[int, int]:
    """(all instructions, those in the runner's checks and preprocessing) of one run under qemu."""
    log = scratch / "qemu.log"
    subprocess.run(["qemu-aarch64", "-cpu", cpu, "-plugin", str(plugin), "-d", "plugin", "-D", str(log),
                    "-L", "/usr/aarch64-linux-gnu", str(AARCH64), *_runner_args(artifacts, tiles, artifact, scratch)],
                   check=True, capture_output=True)
    text = log.read_text()
    preprocess = re.search(r"preprocess: (\d+)", text)
    return int(re.search(r"instructions: (\d+)", text).group(1)), int(preprocess.group(1)) if preprocess else 0


def qemu(artifacts: Path, tiles: Path, artifact: str, scratch: Path, cpu: str, plugin: Path) -> int:
    return qemu_counts(artifacts, tiles, artifact, scratch, cpu, plugin)[0]


def build_plugin(scratch: Path) -> Path:
    """Compile the counting plugin into ``scratch``."""
    plugin = scratch / "libinsncount.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(plugin), str(PLUGIN_SOURCE)], check=True,
                   capture_output=True)
    return plugin


def measure(artifacts: Path, tiles: Path, artifact: str, count: int, cpus: list[str]) -> dict[str, object]:
    """Instructions per tile on ``x86-64`` and on each qemu core of ``cpus``; a target that
    cannot be measured here (not built, no valgrind or qemu) maps to the reason instead."""
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        one, many = _lists(tiles, count, scratch)
        try:
            if not NATIVE.is_file():
                raise FileNotFoundError(f"{NATIVE} is not built (bash scripts/build_native.sh)")
            low, high = (callgrind(artifacts, t, artifact, scratch) for t in (one, many))
            out["x86-64"] = (high - low) // count
            out["x86-64 stages"] = callgrind_stages(artifacts, one, many, count, artifact, scratch)  # type: ignore[assignment]
            why = refused(scratch)  # the last run was the many tiles'
            if why:
                out.pop("x86-64 stages")
                out["x86-64"] = f"unavailable: {why}"
        except (OSError, subprocess.CalledProcessError, AttributeError) as err:
            out["x86-64"] = f"unavailable: {err}"[:300]
        try:
            if not AARCH64.is_file():
                raise FileNotFoundError(f"{AARCH64} is not built (bash scripts/build_aarch64.sh)")
            plugin = build_plugin(scratch)
        except (OSError, subprocess.CalledProcessError) as err:
            for cpu in cpus:
                out[cpu] = f"unavailable: {err}"[:300]
            return out
        for cpu in cpus:
            try:
                low, high = (qemu_counts(artifacts, t, artifact, scratch, cpu, plugin) for t in (one, many))
                why = refused(scratch)
                if why:
                    out[cpu] = f"unavailable: {why}"
                    continue
                out[cpu] = (high[0] - low[0]) // count
                checks = (high[1] - low[1]) // count
                out[f"{cpu} stages"] = {"checks + preprocess": checks,
                                        "the rest (network, read, decide, encode)": out[cpu] - checks}
            except (OSError, subprocess.CalledProcessError, AttributeError) as err:
                out[cpu] = f"unavailable: {err}"[:300]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, required=True, help="folder with manifest.json and the .pte")
    parser.add_argument("--artifact", default="pte-int8")
    parser.add_argument("--tiles", type=Path, required=True, help="a tile list (tiles.jsonl)")
    parser.add_argument("--count", type=int, default=4, help="tiles in the difference (default 4)")
    parser.add_argument("--cpus", default="cortex-a53,cortex-a72", help="qemu cores (default cortex-a53,cortex-a72)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    results: dict[str, object] = {"artifacts": str(args.artifacts), "artifact": args.artifact,
                                  "tiles": str(args.tiles), "count": args.count, "per_tile": {}}
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        one, many = _lists(args.tiles, args.count, scratch)
        per_tile = results["per_tile"]
        if NATIVE.is_file():
            low, high = (callgrind(args.artifacts, t, args.artifact, scratch) for t in (one, many))
            per_tile["x86-64 (callgrind)"] = (high - low) // args.count
        if AARCH64.is_file():
            plugin = scratch / "libinsncount.so"
            subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(plugin), str(PLUGIN_SOURCE)], check=True)
            for cpu in args.cpus.split(","):
                low, high = (qemu(args.artifacts, t, args.artifact, scratch, cpu, plugin) for t in (one, many))
                per_tile[f"aarch64 {cpu} (qemu)"] = (high - low) // args.count
    print("| target | instructions per tile |\n|---|---|")
    for target, count in results["per_tile"].items():
        print(f"| {target} | {count:,} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
