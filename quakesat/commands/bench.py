"""``quakesat bench`` and ``quakesat reliability``: measure the artifacts, attack both runtimes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from quakesat.cli_args import (
    EXIT_FAILURE,
    EXIT_OK,
    NON_NEGATIVE,
    POSITIVE,
    csv,
    existing_dir,
    existing_file,
    float_range,
    int_range,
    output_dir,
)
from quakesat.commands.common import DEMO_ARTIFACTS, usage


# ─── bench ──────────────────────────────────────────────────────────────────────────────
def add_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="latency, memory, instructions and energy of every artifact, in both runtimes",
        description=(
            "Benchmark every artifact of an export folder in the Python flight runtime and (for .pte) the "
            "C++ runner, gate off, beside the seed-equivalent (MobileNetV2-1.0, 4 x 512 x 512, PyTorch eager "
            "fp32) timed in the same run: latency per stage (p50/p90/p99), throughput, peak RSS, the C++ "
            "memory plan, the TFLite Micro arena, instructions per tile (callgrind; qemu Cortex-A53/A72, "
            "Neoverse-N1), energy per tile (a labelled estimate), a long run and 1 vs 2 threads. Writes "
            "bench.json, bench.md and plots (docs/benchmarks.md)."
        ),
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--artifacts", type=existing_dir, help="export folder (manifest.json)")
    source.add_argument("--render", type=existing_file, metavar="BENCH_JSON",
                        help="measure nothing: write the table, plots (and --doc) of an earlier bench.json")
    p.add_argument("--tiles", type=existing_file, default=None,
                   help="tile list (tiles.jsonl); default: 8 speckle pairs of the manifest's tile side")
    p.add_argument("--doc", type=existing_file, default=None, metavar="MARKDOWN",
                   help="also replace the 'bench' generated block of this Markdown file ('bench-same-track' for a "
                        "same-track model) and copy the plots beside it")
    p.add_argument("--out", type=output_dir, default=Path("out/bench"), help="output folder (default out/bench)")
    p.add_argument("--artifact", dest="names", type=csv, default=(), help="only these artifacts (comma-separated)")
    p.add_argument("--min-runs", type=POSITIVE, default=50, help="timed runs per row, at least (default 50)")
    p.add_argument("--min-seconds", type=float_range(0.0, 3600.0), default=2.0,
                   help="seconds per row, at least (default 2)")
    p.add_argument("--threads", type=csv, default=("1", "2"), help="thread counts to run (default 1,2)")
    p.add_argument("--long-run", type=NON_NEGATIVE, default=10_000,
                   help="tiles in the long run per artifact at one thread (default 10000; 0 skips)")
    p.add_argument("--cpus", type=csv, default=("cortex-a53", "cortex-a72", "neoverse-n1"),
                   help="qemu cores for instruction counts (default cortex-a53,cortex-a72,neoverse-n1)")
    p.add_argument("--no-instructions", action="store_true", help="skip the instruction counts (minutes)")
    p.add_argument("--no-seed", action="store_true", help="skip the seed-equivalent (no ratios then)")
    p.set_defaults(func=_cmd_bench)


def _cmd_bench(args: argparse.Namespace) -> int:
    from quakesat.bench.latency import RunPolicy
    from quakesat.bench.suite import BenchConfig, run_bench

    if args.render is not None:
        from quakesat.bench.record import read_bench_record
        from quakesat.errors import RecordError

        try:
            record = read_bench_record(args.render)
        except RecordError as err:
            return usage(args, str(err))
        return _bench_outputs(record.to_dict(), args)
    try:
        threads = tuple(int(t) for t in args.threads)
    except ValueError:
        threads = ()
    if not threads or min(threads) < 1:
        return usage(args, f"--threads takes whole numbers >= 1, got {','.join(args.threads)}")
    config = BenchConfig(artifacts=args.artifacts, out=args.out, tiles=args.tiles,
                         policy=RunPolicy(min_runs=args.min_runs, min_seconds=args.min_seconds), threads=threads,
                         long_run=args.long_run, instructions=not args.no_instructions, cpus=tuple(args.cpus),
                         seed=not args.no_seed, artifact_names=tuple(args.names))
    result = run_bench(config, say=lambda line: print(f"bench: {line}", file=sys.stderr, flush=True))
    return _bench_outputs(result, args)


def _bench_outputs(result: dict, args: argparse.Namespace) -> int:
    import shutil

    from quakesat.bench.report import doc_names, markdown, write_report
    from quakesat.doc_blocks import replace_block

    paths = write_report(result, args.out)
    if args.doc is not None:
        block, prefix = doc_names(result)  # one block (and plot names) per tile kind
        for name, path in paths.items():
            if name.startswith("bench_"):
                shutil.copyfile(path, args.doc.parent / (prefix + path.name))
        replace_block(args.doc, block, markdown(result))
        print(f"updated {args.doc}", file=sys.stderr)
    print(json.dumps({name: str(path) for name, path in paths.items()}))
    return EXIT_OK


# ─── reliability ────────────────────────────────────────────────────────────────────────
def add_reliability(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reliability",
        help="the reliability campaign: hostile tiles, fuzzed packets, edited manifests, both runtimes",
        description=(
            "Run seeded hostile inputs through the Python flight runtime and the C++ runner (and decoders): "
            "hostile tiles with a flag-everything copy of the model (an event on a tile that must be refused "
            "is a failed check), fuzzed 32-byte packets, edited manifests. Counts crashes, false events, "
            "bad-CRC accepts, lost messages and Python/C++ disagreements; writes reliability.json and "
            "reliability.md (docs/reliability.md). Exit 1 when any of those counts is not zero."
        ),
    )
    p.add_argument("--out", type=output_dir, default=Path("out/reliability"), help="output folder (default out/reliability)")
    p.add_argument("--tiles", type=int_range(1, 1_000_000), default=2000,
                   help="hostile tiles per flight of a model of at most 64 px (default 2000)")
    p.add_argument("--large-tiles", type=int_range(0, 1_000_000), default=0,
                   help="hostile tiles per flight of a larger model, such as the demo's 512 px QuakeLite "
                        "(default 0: two of each kind)")
    p.add_argument("--packets", type=int_range(1, 100_000_000), default=200_000, help="fuzzed packets (default 200000)")
    p.add_argument("--manifests", type=int_range(0, 100_000), default=100, help="manifest edits (default 100)")
    p.add_argument("--seed", type=NON_NEGATIVE, default=0, help="seed of every draw (default 0)")
    p.add_argument("--artifacts", type=existing_dir, action="append", default=None,
                   help="export folder to attack; repeat it to fly several models, each under every preprocessing "
                        "version (default: tests/vectors/tiny_model of this checkout, and the demo's exported "
                        f"QuakeLite in {DEMO_ARTIFACTS} when it exists). The first also gets the manifest part")
    p.add_argument("--doc", type=existing_file, default=None, metavar="MARKDOWN",
                   help="also replace the 'reliability' generated block of this Markdown file")
    p.set_defaults(func=_cmd_reliability)


def _cmd_reliability(args: argparse.Namespace) -> int:
    from quakesat.bench.reliability import TINY_MODEL, CampaignConfig, findings, markdown, run_campaign, write_report
    from quakesat.doc_blocks import replace_block

    artifacts = args.artifacts or [TINY_MODEL] + ([DEMO_ARTIFACTS] if (DEMO_ARTIFACTS / "manifest.json").is_file() else [])
    for folder in artifacts:
        if not (folder / "manifest.json").is_file():
            return usage(args, f"no manifest.json in {folder}; pass --artifacts EXPORT_FOLDER")
    config = CampaignConfig(out=args.out, tiles=args.tiles, packets=args.packets, manifests=args.manifests,
                            seed=args.seed, artifacts=tuple(artifacts), large_tiles=args.large_tiles)
    result = run_campaign(config, say=lambda line: print(f"reliability: {line}", file=sys.stderr, flush=True))
    paths = write_report(result, args.out)
    if args.doc is not None:
        replace_block(args.doc, "reliability", markdown(result))
    problems = findings(result)
    for problem in problems:
        print(f"quakesat reliability: {problem}", file=sys.stderr)
    print(json.dumps({name: str(path) for name, path in paths.items()} | {"findings": len(problems)}))
    return EXIT_FAILURE if problems else EXIT_OK
