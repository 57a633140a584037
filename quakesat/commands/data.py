"""``quakesat simulate`` and ``quakesat data``: write a QuakeSet file, inspect one."""

from __future__ import annotations

import argparse
import json
import sys

from quakesat.cli_args import (
    EXIT_OK,
    NON_NEGATIVE,
    SHARE,
    data_file,
    existing_file,
    int_range,
    output_file,
)


# ─── simulate ───────────────────────────────────────────────────────────────────────────
def add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="write a simulated earthquakes.h5 (QuakeSet schema)",
        description=(
            "Simulate Sentinel-1 IW GRD-like bitemporal tiles around synthetic earthquakes "
            "and write them in the published QuakeSet HDF5 schema, plus ground truth the "
            "reader ignores (epicenter pixel, change mask, land cover). See docs/simulator.md."
        ),
    )
    p.add_argument("--events", type=int_range(1, 100_000), default=40, help="number of earthquake events (default 40)")
    p.add_argument("--seed", type=NON_NEGATIVE, default=0, help="random seed; same seed, same file (default 0)")
    p.add_argument("--out", type=output_file, required=True, help="output .h5 path (replaced when complete)")
    p.add_argument("--size", type=int_range(16, 4096), default=512,
                   help="tile side in pixels, 16..4096 (default 512 as in QuakeSet; smaller is faster for tests)")
    p.add_argument("--patches", type=int_range(1, 64), default=None,
                   help="patches per event, 1..64 (default: the published file's layout, a 4 x 4 grid around "
                        "the epicentre with cells missing: about 12 per event)")
    p.add_argument("--identical-negatives", type=SHARE, default=0.0, metavar="SHARE",
                   help=("share of negative pairs written with pixel-identical before/pre images, emulating "
                         "the artifact of the real file (about 0.68 there; docs/simulator.md). Default 0"))
    p.add_argument("--slc", action="store_true",
                   help=("also write each patch's same-track complex images (slc_pre, slc_post, slc_before) "
                         "on a 20.48 km tile of 256 px at 80 m centred on the patch, "
                         "whose phase carries the co-seismic line-of-sight motion of an elastic dislocation, "
                         "atmosphere, non-seismic motion and decorrelation, and the co-seismic LOS field "
                         "(los_coseismic); the amplitude images stay the same bytes (docs/simulator.md, "
                         "'Interferometric pairs')"))
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--workers", type=int_range(1, 64), default=None,
                   help="processes rendering patches (default: the CPUs available, at most 16); "
                        "the file is the same for any count")
    p.set_defaults(func=_cmd_simulate)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from quakesat.simulator.simulate import SimulationConfig, simulate_file

    config = SimulationConfig(events=args.events, seed=args.seed, size=args.size, patches_per_event=args.patches,
                              identical_negative_share=args.identical_negatives, slc=args.slc)
    summary = simulate_file(args.out, config, progress=not args.quiet, workers=args.workers)
    print(json.dumps(summary))
    return EXIT_OK


# ─── data ───────────────────────────────────────────────────────────────────────────────
def add_data(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="inspect an earthquakes.h5 file (real or simulated)",
                       description="Inspect an earthquakes.h5 file: `info` summarizes it, `difficulty` measures "
                                   "how hard its detection task is for two reference baselines.")
    data_sub = p.add_subparsers(dest="data_command", required=True, metavar="{info,difficulty}")
    info = data_sub.add_parser(
        "info",
        help="events, patches, splits, samples per task, magnitudes, NaN share",
        description=(
            "Summarize a QuakeSet file without loading it whole: events, patches, splits, "
            "samples per task (1, 2, 5, 6) and split, magnitude histogram, no-data (NaN) "
            "share and the share of pixel-identical negative pairs."
        ),
    )
    info.add_argument("file", type=data_file, help="path to earthquakes.h5")
    info.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    info.add_argument("--png", type=output_file, default=None, help="also render a sample pre/post/change PNG here")
    info.set_defaults(func=_cmd_data_info)
    difficulty = data_sub.add_parser(
        "difficulty",
        help="how hard is bitemporal detection here: every baseline, the co-seismic signal, the confounds",
        description=(
            "Fit the baselines (identical-pair rule, log-ratio rule, RandomForest and LightGBM on change "
            "features, the constant magnitude) with every choice made on validation, score them on the "
            "test split's hard tiles (ROC AUC, recall at 1 %% false alarms), and summarise the co-seismic "
            "signal and the confounds the simulator wrote (docs/simulator.md, 'Difficulty')."
        ),
    )
    difficulty.add_argument("file", type=data_file, help="path to earthquakes.h5")
    difficulty.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    difficulty.add_argument("--doc", type=existing_file, default=None, metavar="MARKDOWN",
                            help="also replace the 'difficulty' generated block of this Markdown file")
    difficulty.set_defaults(func=_cmd_data_difficulty)


def _cmd_data_info(args: argparse.Namespace) -> int:
    from quakesat.data.inspect import describe_file, format_summary, render_sample_png

    summary = describe_file(args.file)
    print(json.dumps(summary) if args.json else format_summary(summary))
    if args.png is not None:
        render_sample_png(args.file, args.png)
        print(f"wrote {args.png}", file=sys.stderr)
    return EXIT_OK


def _cmd_data_difficulty(args: argparse.Namespace) -> int:
    from quakesat.doc_blocks import replace_block
    from quakesat.evaluation.difficulty import difficulty_report, format_difficulty

    report = difficulty_report(args.file, progress=not args.json)
    print(json.dumps(report) if args.json else format_difficulty(report), end="" if not args.json else "\n")
    if args.doc is not None:
        replace_block(args.doc, "difficulty", format_difficulty(report))
        print(f"updated {args.doc}", file=sys.stderr)
    return EXIT_OK
