"""The ``quakesat`` command line: one console script, one subcommand per pipeline stage.

Each subcommand parses and checks its options (:mod:`quakesat.cli_args`: ranges, paths),
then calls the stage's public function. Heavy imports (h5py, torch, onnx) happen inside the
subcommand that needs them, so ``quakesat decode`` runs on the flight-side dependencies
alone and a missing optional dependency is reported as one line with the extra to install.
Errors are one line on stderr with a documented exit status (:mod:`quakesat.cli_args`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quakesat import __version__
from quakesat.cli_args import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILURE,
    EXIT_GATE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    NON_NEGATIVE,
    POSITIVE,
    SHARE,
    Parser,
    csv,
    data_file,
    existing_dir,
    existing_file,
    float_range,
    int_range,
    missing_dependency,
    output_dir,
    output_file,
)
from quakesat.errors import (
    BackendError,
    ExportError,
    FidelityGateError,
    QuakesatError,
)
from quakesat.files import clear_interrupt, interrupt_handler

SPLITS = ("train", "validation", "test")
#: Every name ``quakesat train --model`` knows (a test checks it against the model tables).
NETWORK_NAMES = ("mobilenetv2", "quakelite", "quakelite-wide")
SHALLOW_NAMES = ("svc-rbf", "svc-cubic", "random-forest", "random-forest-nopca", "svr-rbf", "svr-cubic")
RULE_NAMES = ("log-ratio",)
MODEL_NAMES = NETWORK_NAMES + SHALLOW_NAMES + RULE_NAMES
#: Errors that mean "the command ran and failed" (exit 1) rather than "bad input" (exit 2).
RUNTIME_FAILURES = (ExportError, BackendError)
U32_MAX = 0xFFFF_FFFF


# ─── simulate ───────────────────────────────────────────────────────────────────────────
def _add_simulate(sub: argparse._SubParsersAction) -> None:
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
def _add_data(sub: argparse._SubParsersAction) -> None:
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


# ─── train / evaluate / results ─────────────────────────────────────────────────────────
def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a detector / magnitude regressor on a QuakeSet file",
        description=(
            "Train a model on the train split and report validation metrics. Networks follow the "
            "QuakeSet paper's defaults: AdamW, lr 1e-4, batch 16, 6 epochs, cosine schedule with 10 % "
            "linear warm-up; they write DIR/model.pt and DIR/config.json. Shallow models write "
            "DIR/model.joblib; the log-ratio rule writes DIR/rule.json."
        ),
    )
    p.add_argument("--data", type=data_file, required=True, help="earthquakes.h5 (real or simulated)")
    p.add_argument("--model", choices=MODEL_NAMES, default="quakelite", metavar="MODEL",
                   help=("network: mobilenetv2 | quakelite (default) | quakelite-wide; shallow scikit-learn model: "
                         "svc-rbf | svc-cubic | svr-rbf | svr-cubic | random-forest | random-forest-nopca; "
                         "or the log-ratio rule: log-ratio"))
    p.add_argument("--task", choices=("detect", "magnitude", "multi"), default="detect",
                   help="detect (paper task 1/5), magnitude (2/6), or multi (event + magnitude + location)")
    p.add_argument("--input", choices=("bitemporal", "single", "interferometric"), default="bitemporal",
                   help="bitemporal pre/post pair (default), the single post/pre image, or the same-track complex "
                        "pair formed into an interferogram (files from `quakesat simulate --slc`; networks only)")
    p.add_argument("--epochs", type=int_range(1, 10_000), default=6, help="epochs (default 6)")
    p.add_argument("--batch-size", type=int_range(2, 4096), default=16, help="batch size, >= 2 (default 16)")
    p.add_argument("--lr", type=float_range(0.0, 10.0, low_open=True), default=1e-4,
                   help="peak learning rate, > 0 (default 1e-4)")
    p.add_argument("--seed", type=NON_NEGATIVE, default=0, help="seed of weights and shuffling (default 0)")
    p.add_argument("--hard-negative-weight", type=float_range(0.0, 100.0), default=0.0,
                   help="weight of the hardest-negative ranking term added to the event loss, aimed at the "
                        "low false-alarm end (docs/results.md; default 0: cross-entropy only)")
    p.add_argument("--downsample", type=int_range(1, 64), default=None,
                   help="multilook factor of the input (default: mobilenetv2 1, quakelite 2, log-ratio 4)")
    p.add_argument("--augment", action="store_true",
                   help="interferometric input: train with the interferogram's symmetries (a random phase turn, "
                        "flips and quarter turns)")
    p.add_argument("--inject", type=int_range(0, 10_000_000), default=0, metavar="PAIRS",
                   help="interferometric input: compose this many training pairs per epoch from the training "
                        "split's event fields laid over its event-free pairs (docs/results.md; default 0: none)")
    p.add_argument("--threads", type=int_range(1, 256), default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu",
                   help="where a network trains (default cpu; auto: cuda when torch sees one)")
    p.add_argument("--out", type=output_dir, required=True, help="model folder to write")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_train)


def _cmd_train(args: argparse.Namespace) -> int:
    if args.input == "interferometric" and (args.model in RULE_NAMES or args.model in SHALLOW_NAMES):
        return _usage(args, f"--input interferometric trains networks only, not {args.model!r}")
    if args.model in RULE_NAMES:
        from quakesat.models.log_ratio import LOG_RATIO_DOWNSAMPLE, train_log_ratio_folder

        config = train_log_ratio_folder(args.data, args.out, args.downsample or LOG_RATIO_DOWNSAMPLE)
        print(json.dumps({"out": str(args.out), "model": args.model, "rule": config["rule"],
                          "validation": config["validation"]}))
        return EXIT_OK
    if args.model in SHALLOW_NAMES:
        from quakesat.models.shallow import train_shallow_folder
        from quakesat.models.train import paper_task_of

        config = train_shallow_folder(args.data, args.out, args.model, paper_task_of(args.task, args.input),
                                      seed=args.seed, progress=not args.quiet)
        print(json.dumps({"out": str(args.out), "model": args.model, "samples": config["info"]["n_samples"],
                          "seconds": config["info"]["seconds"]}))
        return EXIT_OK
    from quakesat.models.train import TrainConfig, train

    config = TrainConfig(model=args.model, task=args.task, input=args.input, epochs=args.epochs,
                         batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                         downsample=args.downsample, threads=args.threads, device=args.device,
                         hard_negative_weight=args.hard_negative_weight, augment=args.augment,
                         inject=args.inject)
    summary = train(args.data, args.out, config, progress=not args.quiet)
    print(json.dumps({"out": str(args.out), "validation": summary["validation"], "seconds": summary["seconds"]}))
    return EXIT_OK


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score a trained model folder or an exported artifact with the paper's metrics",
        description=(
            "With --model-dir: accuracy for detection; MAE (negatives count with target 0) and the accuracy "
            "of 'predicted magnitude >= 1 means an event' for magnitude; the onboard operating points "
            "(recall at 1 %% and 0.1 %% false alarms on the non-identical tiles, thresholds chosen on "
            "validation), magnitude MAE on events against the constant; plus parameters, MACs at the "
            "model's input size and the median time per tile at batch 1. With --artifacts: the exported "
            "artifact through the flight runtime, tile by tile, gate off, scored from its messages, with "
            "accuracy on the hard (non-identical) negatives. Beside either: every baseline on the test split."
        ),
    )
    p.add_argument("--data", type=data_file, required=True, help="earthquakes.h5")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model-dir", type=existing_dir, help="folder written by quakesat train")
    which.add_argument("--artifacts", type=existing_dir, help="folder written by quakesat export")
    p.add_argument("--artifact", default=None, help="with --artifacts: which artifact (default: the manifest's)")
    p.add_argument("--split", choices=SPLITS, default="test", help="train | validation | test (default test)")
    p.add_argument("--no-baselines", action="store_true",
                   help="skip the baselines printed beside the model (they need a pass over the whole file)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_evaluate)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from quakesat.evaluation.evaluate import evaluate, evaluate_artifacts

    if args.artifacts is not None:
        from quakesat.export import executorch_backend  # noqa: F401 - .pte artifacts score here too (needs torch)

        report = evaluate_artifacts(args.data, args.artifacts, args.split, args.artifact,
                                    baselines=not args.no_baselines)
        if not args.json:
            report.pop("per_tile")
    else:
        report = evaluate(args.data, args.model_dir, args.split, baselines=not args.no_baselines)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:14s} {value}")
    return EXIT_OK


def _add_results(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "results",
        help="the benchmark: baselines and networks, three seeds, onboard metrics, tables and plots",
        description=(
            "Run the benchmark protocol on one file (docs/results.md): every baseline, the networks of a "
            "preset trained on train with every choice made on validation (multilook, epoch, thresholds), "
            "three seeds, scored on the test split's hard tiles: ROC AUC, average precision, recall at 1 %% "
            "and 0.1 %% false alarms, hard-negative specificity, detection by magnitude and distance, magnitude "
            "MAE against the constant. Writes results.json, results.md, roc_pr.png and "
            "detection_vs_magnitude_distance.png into --out."
        ),
    )
    p.add_argument("--data", type=data_file, required=True, help="earthquakes.h5")
    p.add_argument("--out", type=output_dir, required=True, help="folder for the results and the trained models")
    p.add_argument("--preset", choices=("default", "ci", "full-resolution"), default="default",
                   help="network rows: the 2-core benchmark (default), a smoke run for tiny files (ci), or "
                        "MobileNetV2 at 512 x 512 beside QuakeLite (full-resolution, for a GPU)")
    p.add_argument("--seeds", type=int_range(1, 10), default=3, help="seeds per seeded model (default 3)")
    p.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu",
                   help="where networks train (default cpu)")
    p.add_argument("--doc", type=existing_file, default=None, metavar="MARKDOWN",
                   help="also replace the 'results' generated block of this Markdown file and copy the plots "
                        "beside it (results_*.png)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_results)


def _cmd_results(args: argparse.Namespace) -> int:
    import shutil

    from quakesat.doc_blocks import replace_block
    from quakesat.evaluation.benchmark import PRESETS, markdown, run_benchmark

    result = run_benchmark(args.data, args.out, PRESETS[args.preset], seeds=tuple(range(args.seeds)),
                           progress=not args.quiet, device=args.device)
    if args.doc is not None:
        for plot in result["plots"]:
            shutil.copyfile(plot, args.doc.parent / f"results_{Path(plot).name}")
        replace_block(args.doc, "results", markdown(result))
        print(f"updated {args.doc}", file=sys.stderr)
    print(json.dumps({"rows": len(result["rows"]), "out": str(args.out), "seconds": result["seconds"]}))
    return EXIT_OK


# ─── run ────────────────────────────────────────────────────────────────────────────────
def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="tiles -> flight runtime -> downlink messages (binary stream + JSON lines)",
        description=(
            "Run the flight runtime (quakesat.runtime, no torch) of an exported model over tiles: "
            "input checks, change gate, preprocessing, inference, decision, location, 32-byte "
            "messages through the bounded onboard queue, drained at the end as one ground contact. "
            "Writes OUT, OUT's decode as .jsonl and a .report.json (profile, evaluation). "
            "A missing or tampered model is not an error: every tile then carries its status "
            "(unless --strict)."
        ),
    )
    p.add_argument("--artifacts", type=Path, required=True,
                   help="folder written by quakesat export (a missing one flies in fault mode)")
    p.add_argument("--artifact", default=None, help="which artifact of the manifest (default: its default)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=data_file,
                     help="earthquakes.h5: its bitemporal pairs (task 1) are the tiles (for a model taking "
                          "same-track pairs, those pairs' same-track images)")
    src.add_argument("--pre", type=Path, help="pre-event image, H x W x 2 float32 .npy, or H x W complex64 for a "
                                              "model taking same-track pairs (with --post, --lat, --lon)")
    src.add_argument("--tiles", type=existing_file,
                     help="a tile list (JSON lines: tile_id, time, lat, lon, pre, post; the C++ runner reads "
                          "the same, see docs/runtime.md)")
    p.add_argument("--split", choices=(*SPLITS, "all"), default="test",
                   help="with --data: train | validation | test | all (default test)")
    p.add_argument("--limit", type=POSITIVE, default=None, help="with --data: at most this many tiles")
    p.add_argument("--assume-time", type=int_range(1, U32_MAX), default=None,
                   help="with --data: acquisition time (Unix s) for tiles whose file records none (the real file)")
    p.add_argument("--post", type=Path, help="post-event image .npy")
    p.add_argument("--lat", type=float_range(-90.0, 90.0), help="latitude of the tile centre, degrees")
    p.add_argument("--lon", type=float_range(-180.0, 180.0), help="longitude of the tile centre, degrees")
    p.add_argument("--time", type=int_range(1, U32_MAX), default=None,
                   help="acquisition time of --post, Unix s (default: now)")
    p.add_argument("--tile-id", type=int_range(0, U32_MAX), default=0,
                   help="tile id carried in the message (default 0)")
    p.add_argument("--pixel-spacing", type=float_range(0.0, 10_000.0, low_open=True), default=None,
                   help="metres per pixel (default 10 for an amplitude pair, 80 for a same-track pair: the tile "
                        "geometry the models are trained on)")
    p.add_argument("--out", type=output_file, required=True, help="binary message stream to write (e.g. messages.bin)")
    p.add_argument("--gate", choices=("off", "identical", "manifest"), default="manifest",
                   help="change gate: off, identical pairs only, or the manifest's calibrated threshold (default)")
    p.add_argument("--locate", choices=("auto", "head", "change", "centre"), default="auto",
                   help="location of flagged events: the manifest's choice (default), head, change peak, centre")
    p.add_argument("--emit", choices=("all", "alerts"), default="all",
                   help="a message per tile (default) or only events, bad input and model faults")
    p.add_argument("--health-every", type=NON_NEGATIVE, default=100,
                   help="tiles between health messages, 0 for only the final one (default 100)")
    p.add_argument("--queue-capacity", type=int_range(1, 1_000_000), default=1024,
                   help="onboard queue capacity (default 1024)")
    p.add_argument("--threads", type=int_range(1, 256), default=1, help="inference threads (default 1)")
    p.add_argument("--deadline-ms", type=int_range(0, 3_600_000), default=0,
                   help="time budget per tile in ms, from the start of its read to the end of inference: a tile "
                        "over it is deadline_missed, a hung backend never stalls the run (default 0: no budget)")
    p.add_argument("--trusted-key", type=existing_file, default=None, metavar="PUBLIC_KEY",
                   help="refuse a manifest not signed with this Ed25519 key (signing.pub; quakesat sign)")
    _add_flight_policy(p)
    p.add_argument("--evaluate", action="store_true",
                   help="with --data: score the messages (overall, hard negatives, gate, location)")
    p.add_argument("--profile", action="store_true", help="print the time per stage and tiles/s")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=_cmd_run)


def _add_flight_policy(p: argparse.ArgumentParser) -> None:
    """What ``run`` and ``archive`` do with a model they should not fly (:func:`_flight_policy`)."""
    p.add_argument("--fault-mode", action="store_true",
                   help="fly whatever is wrong as the satellite would, every message carrying its status: a model "
                        "that cannot be used (missing, tampered, unreadable manifest), tiles none of which fit the "
                        "model, no tiles (default: exit 2, nothing written)")
    p.add_argument("--allow-failed-gate", action="store_true",
                   help="fly an artifact that failed its fidelity gate, with a warning (default: exit 2)")
    p.add_argument("--strict", action="store_true", help=argparse.SUPPRESS)  # the default since --fault-mode
    loudness = p.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet-tiles", dest="verbosity", action="store_const", const=-1, default=0,
                          help="no per-tile log lines (the messages and the report still carry every status)")
    loudness.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=1,
                          help="every per-tile log line, none summarised, and the runtime's informational lines")


def _flight_policy(runtime: Any, args: argparse.Namespace) -> None:
    """Refuse a run whose model cannot be used (unless ``--fault-mode``) or whose artifact failed
    its fidelity gate (unless ``--allow-failed-gate``, then warn): one line, exit 2."""
    from quakesat.errors import RunRefusedError

    if runtime.fault is not None:
        if not args.fault_mode:
            raise RunRefusedError(f"the model cannot be used ({runtime.fault.status.code_name}: {runtime.fault.detail}); "
                                  "nothing was written (--fault-mode flies it, every tile carrying that status)")
        return
    artifact = runtime.model.artifact
    if artifact.passed_gate:
        return
    reasons = "; ".join(artifact.gate_failures) or "never scored by the gate"
    if not args.allow_failed_gate:
        raise RunRefusedError(f"artifact {artifact.name} failed its fidelity gate ({reasons}); nothing was written "
                              "(fly the manifest's default, or pass --allow-failed-gate)")
    print(f"quakesat {args.command}: warning: flying {artifact.name}, which failed its fidelity gate ({reasons})",
          file=sys.stderr)


def _summarised_log(hold: frozenset[str] = frozenset(), verbosity: int = 0) -> Any:
    """Log lines on stderr with repeated per-tile lines summarised (:mod:`quakesat.ground.log_summary`);
    ``verbosity`` -1 (``-q``): errors only; 1 (``-v``): informational lines too, nothing summarised."""
    import logging

    from quakesat.ground.log_summary import SHOWN_PER_KIND, RepeatSummary

    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}[verbosity]
    logging.basicConfig(level=level, format="%(name)s: %(message)s")
    logging.getLogger().setLevel(level)
    summary = RepeatSummary(shown=1 << 62 if verbosity > 0 else SHOWN_PER_KIND, hold=hold)
    for handler in logging.getLogger().handlers:
        handler.addFilter(summary)
    return summary


def _detach_summaries() -> None:
    """Take every :func:`_summarised_log` filter off the root handlers (a command that raised
    leaves its own on; ``main`` calls this last, so that the next in-process call starts clean)."""
    import logging

    from quakesat.ground.log_summary import RepeatSummary

    for handler in logging.getLogger().handlers:
        for found in [f for f in handler.filters if isinstance(f, RepeatSummary)]:
            handler.removeFilter(found)


def _end_log(summary: Any) -> None:
    """Print what :func:`_summarised_log` held back and how many lines it left out."""
    _detach_summaries()
    for line in summary.held + [f"quakesat.runtime: {line}" for line in summary.summary()]:
        print(line, file=sys.stderr)


def _cmd_run(args: argparse.Namespace) -> int:
    import logging
    import time as _time

    from quakesat.export import executorch_backend  # noqa: F401 - .pte artifacts run here too (needs torch)
    from quakesat.ground.run import format_profile, npy_tile, run_tiles
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig
    from quakesat.runtime.tile import DEFAULT_PIXEL_SPACING_M, SAME_TRACK, SAME_TRACK_PIXEL_SPACING_M

    if args.pre is not None and (args.post is None or args.lat is None or args.lon is None):
        return _usage(args, "--pre needs --post, --lat and --lon")
    from quakesat.ground.run import MISMATCH_STATUSES

    summary = _summarised_log(hold=MISMATCH_STATUSES, verbosity=args.verbosity)
    trusted = None
    if args.trusted_key is not None:
        from quakesat.runtime.signature import read_public_key

        trusted = read_public_key(args.trusted_key)
    config = RuntimeConfig(gate=args.gate, locate=args.locate, emit=args.emit, health_every=args.health_every,
                           queue_capacity=args.queue_capacity, threads=args.threads, trusted_key=trusted,
                           deadline_s=args.deadline_ms / 1000 if args.deadline_ms else None)
    runtime_log = logging.getLogger("quakesat.runtime")
    if not args.fault_mode:  # a refused model is this command's one error line, not a log line too
        runtime_log.setLevel(logging.CRITICAL)
    try:
        runtime = FlightRuntime.open(args.artifacts, args.artifact, config)
    finally:
        runtime_log.setLevel(logging.NOTSET)
    _flight_policy(runtime, args)
    if args.data is not None:
        from quakesat.data.tiles import file_tiles

        items = file_tiles(args.data, None if args.split == "all" else args.split, args.limit, args.assume_time,
                           kind=runtime.input_kind)
    elif args.tiles is not None:
        from quakesat.runtime.tile_file import read_tile_list

        # run_tiles is done with a tile before it reads the next: one pair of image buffers serves all
        tiles = read_tile_list(args.tiles, reuse_buffers=True, side=runtime.side, model_kind=runtime.input_kind)
        items = ((tile, None, seconds) for tile, seconds in tiles)
    else:
        when = int(_time.time()) if args.time is None else args.time
        spacing = args.pixel_spacing or (SAME_TRACK_PIXEL_SPACING_M if runtime.input_kind == SAME_TRACK
                                         else DEFAULT_PIXEL_SPACING_M)
        tile, read_seconds = npy_tile(args.pre, args.post, args.lat, args.lon, when, args.tile_id, spacing,
                                      runtime.side, runtime.input_kind)
        items = iter([(tile, None, read_seconds)])
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    # a bar on a terminal (none when stderr is a file or a pipe); log lines print above it
    items = tqdm(items, desc="run", unit="tile", disable=None, leave=False)
    with logging_redirect_tqdm():
        report = run_tiles(runtime, items, args.out, evaluate=args.evaluate and args.data is not None,
                           refuse_mismatch=not args.fault_mode)
    _end_log(summary)
    if args.json:
        print(json.dumps(report))
        return EXIT_OK
    print(f"{report['tiles']} tiles -> {report['messages']} messages, {report['bytes']} bytes, "
          f"{report['events_flagged']} events -> {report['stream']} (decoded: {report['decoded']})")
    if report["fault"]:
        print(f"model fault: {report['fault']['status']}: {report['fault']['detail']}")
    if args.profile:
        print(format_profile(report["profile"]))
    if "evaluation" in report:
        ev = report["evaluation"]
        hard = ev["shortcut"]["hard"] or {}
        print(f"accuracy {ev['detection']['accuracy']} (F1 {ev['detection']['f1']}); without identical negatives "
              f"{hard.get('accuracy')}; hard negatives {ev['shortcut']['hard_negatives']}")
        if "magnitude" in ev:
            print(f"magnitude MAE {ev['magnitude']['mae']} mb (events only {ev['magnitude']['mae_events']})")
        from quakesat.evaluation.messages import gate_sentence, location_sentence

        print(gate_sentence(ev["gate"]))
        print(location_sentence(ev["location"]))
    print(f"report: {report['report']}")
    return EXIT_OK


# ─── archive ────────────────────────────────────────────────────────────────────────────
def _scheduler(text: str) -> str:
    from quakesat.ground.archive import scheduler_address

    try:
        return scheduler_address(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_archive(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "archive",
        help="quakesat run over whole QuakeSet files on a Dask cluster (the same stream, byte for byte)",
        description=(
            "Run the flight runtime over every tile of one or more QuakeSet files on Dask distributed: a local "
            "cluster of --workers processes, or the scheduler at --scheduler. Shards of whole patches are judged "
            "on the workers; the driver records them in tile order, so OUT, its .jsonl and its .report.json are "
            "what quakesat run --data writes, except the timing fields (docs/archive.md). Several files are one "
            "pass, tile ids following on from file to file."
        ),
    )
    p.add_argument("--artifacts", type=Path, required=True,
                   help="folder written by quakesat export, at the same path on every worker")
    p.add_argument("--artifact", default=None, help="which artifact of the manifest (default: its default)")
    p.add_argument("--data", type=data_file, nargs="+", required=True, metavar="FILE",
                   help="earthquakes.h5 file(s), at the same paths on every worker: their bitemporal pairs "
                        "are the tiles")
    p.add_argument("--out", type=output_file, required=True, help="binary message stream to write (e.g. messages.bin)")
    p.add_argument("--split", choices=(*SPLITS, "all"), default="test",
                   help="train | validation | test | all (default test)")
    p.add_argument("--limit", type=POSITIVE, default=None, help="at most this many tiles per file")
    p.add_argument("--assume-time", type=int_range(1, U32_MAX), default=None,
                   help="acquisition time (Unix s) for tiles whose file records none (the real file)")
    p.add_argument("--scheduler", type=_scheduler, default=None, metavar="ADDRESS",
                   help="a running Dask scheduler, tcp://host:8786 (default: a local cluster)")
    p.add_argument("--workers", type=int_range(1, 1024), default=None,
                   help="worker processes of the local cluster, one thread each (default: the CPUs, at most 16)")
    p.add_argument("--shard-tiles", type=int_range(1, 1_000_000), default=None,
                   help="tiles per shard, in whole patches (default: 4 shards per worker, at most 64 tiles)")
    p.add_argument("--connect-timeout", type=float_range(0.0, 3600.0, low_open=True), default=10.0,
                   help="seconds to reach --scheduler and for its first worker (default 10)")
    p.add_argument("--gate", choices=("off", "identical", "manifest"), default="manifest",
                   help="change gate, as for quakesat run (default manifest)")
    p.add_argument("--locate", choices=("auto", "head", "change", "centre"), default="auto",
                   help="location of flagged events, as for quakesat run (default auto)")
    p.add_argument("--emit", choices=("all", "alerts"), default="all",
                   help="a message per tile (default) or only events, bad input and model faults")
    p.add_argument("--health-every", type=NON_NEGATIVE, default=100,
                   help="tiles between health messages, 0 for only the final one (default 100)")
    p.add_argument("--queue-capacity", type=int_range(1, 1_000_000), default=1024,
                   help="onboard queue capacity (default 1024)")
    p.add_argument("--threads", type=int_range(1, 256), default=1, help="inference threads per worker (default 1)")
    p.add_argument("--deadline-ms", type=int_range(0, 3_600_000), default=0,
                   help="time budget per tile in ms, as for quakesat run (default 0: no budget)")
    p.add_argument("--trusted-key", type=existing_file, default=None, metavar="PUBLIC_KEY",
                   help="refuse a manifest not signed with this Ed25519 key (checked on the driver and every worker)")
    _add_flight_policy(p)
    p.add_argument("--evaluate", action="store_true",
                   help="score the messages (overall, hard negatives, gate, location)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--profile", action="store_true", help="print the time per stage and tiles/s")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=_cmd_archive)


def _cmd_archive(args: argparse.Namespace) -> int:
    import logging

    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig

    if args.scheduler is not None and args.workers is not None:
        return _usage(args, "--workers sizes the local cluster; with --scheduler the workers are the scheduler's")
    try:
        import distributed  # noqa: F401
    except ModuleNotFoundError:
        return _fail(args.command, "this command needs dask.distributed (pip install 'quakesat[archive]')", EXIT_USAGE)
    from quakesat.data.parallel import default_workers
    from quakesat.ground.archive import ArchiveFailure, run_archive
    from quakesat.ground.run import format_profile

    # .pte artifacts run on the driver and the workers as in quakesat run (the backend needs torch to open one)
    backends = ("quakesat.export.executorch_backend",)

    summary = _summarised_log(verbosity=args.verbosity)
    trusted = None
    if args.trusted_key is not None:
        from quakesat.runtime.signature import read_public_key

        trusted = read_public_key(args.trusted_key)
    config = RuntimeConfig(gate=args.gate, locate=args.locate, emit=args.emit, health_every=args.health_every,
                           queue_capacity=args.queue_capacity, threads=args.threads, trusted_key=trusted,
                           deadline_s=args.deadline_ms / 1000 if args.deadline_ms else None)
    runtime_log = logging.getLogger("quakesat.runtime")
    if not args.fault_mode:  # a refused model is this command's one error line, not a log line too
        runtime_log.setLevel(logging.CRITICAL)
    from quakesat.export import executorch_backend  # noqa: F401 - the driver opens .pte artifacts too

    try:
        _flight_policy(FlightRuntime.open(args.artifacts, args.artifact, config), args)  # on the driver, first
    finally:
        runtime_log.setLevel(logging.NOTSET)
    try:
        report = run_archive(args.data, args.artifacts, args.out, artifact=args.artifact, config=config,
                             split=None if args.split == "all" else args.split, limit=args.limit,
                             assume_time=args.assume_time, evaluate=args.evaluate, scheduler=args.scheduler,
                             workers=args.workers or default_workers(), shard_tiles=args.shard_tiles,
                             connect_timeout=args.connect_timeout, progress=not args.quiet,
                             backends=backends)
    except ArchiveFailure as err:
        return _fail(args.command, str(err), EXIT_FAILURE)
    _end_log(summary)
    if args.json:
        print(json.dumps(report))
        return EXIT_OK
    scale = report["archive"]
    print(f"{report['tiles']} tiles from {len(scale['files'])} file(s) in {scale['shards']} shards on "
          f"{scale['workers']} worker(s) ({scale['scheduler']}) -> {report['messages']} messages, "
          f"{report['bytes']} bytes, {report['events_flagged']} events -> {report['stream']} "
          f"(decoded: {report['decoded']})")
    if report["fault"]:
        print(f"model fault: {report['fault']['status']}: {report['fault']['detail']}")
    if args.profile:
        print(format_profile(report["profile"]))
    if "evaluation" in report:
        ev = report["evaluation"]
        print(f"accuracy {ev['detection']['accuracy']} (F1 {ev['detection']['f1']}); "
              f"hard negatives {ev['shortcut']['hard_negatives']}")
    print(f"report: {report['report']}")
    return EXIT_OK


# ─── export ─────────────────────────────────────────────────────────────────────────────
def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a trained model to ONNX / TFLite / ExecuTorch (fp32 and int8) behind a fidelity gate",
        description=(
            "Export a trained model folder: fp32 and int8 ONNX (onnxruntime static QDQ, calibration "
            "methods and per-channel/per-tensor compared on the validation split, the best kept), "
            "fp32 and int8 TFLite (litert-torch, where installed), ExecuTorch .pte (where installed), "
            "skl2onnx for a shallow model, the rule file for the log-ratio rule. Writes manifest.json "
            "(hashes, preprocessing, thresholds, gate and location calibrated on validation), "
            "fidelity.md and fidelity.png. Exits with status 3 if an artifact fails the fidelity gate "
            "on the held-out split (docs/export.md)."
        ),
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--model-dir", type=existing_dir, help="folder written by quakesat train")
    source.add_argument("--torch-module", metavar="FILE.py:FUNCTION",
                        help="your own torch module: FUNCTION() in FILE.py returns it, trained (with --contract; "
                             "docs/own_model.md)")
    p.add_argument("--contract", type=existing_file, metavar="CONTRACT.json",
                   help="with --torch-module: what the module takes and gives (name, input, side, multilook, "
                        "outputs; docs/own_model.md)")
    p.add_argument("--data", type=data_file, required=True, help="earthquakes.h5 (calibration and held-out tiles)")
    p.add_argument("--out", type=output_dir, required=True, help="folder for the artifacts and manifest.json")
    p.add_argument("--formats", type=csv, default=("onnx", "tflite", "pte"),
                   help="comma-separated: onnx, tflite, pte (default all three; tflite needs quakesat[tflite], "
                        "pte (ExecuTorch + XNNPACK, the C++ runner's format) needs quakesat[pte])")
    p.add_argument("--no-int8", dest="int8", action="store_false", help="fp32 artifacts only")
    p.add_argument("--calibration-tiles", type=int_range(1, 100_000), default=128,
                   help="train-split tiles for int8 calibration, balanced by label (default 128)")
    p.add_argument("--calibration-methods", type=csv, default=("minmax", "entropy", "percentile"),
                   help="onnxruntime calibration methods to compare (default minmax,entropy,percentile)")
    p.add_argument("--per-channel", choices=("both", "yes", "no"), default="both",
                   help="int8 ONNX weight scales per output channel, per tensor, or compare both (default)")
    p.add_argument("--split", choices=SPLITS, default="test",
                   help="held-out split for the fidelity gate (default test)")
    p.add_argument("--min-agreement", type=SHARE, default=0.995,
                   help="gate: least share of tiles whose event flag matches fp32, 0..1 (default 0.995)")
    p.add_argument("--max-magnitude-drift", type=float_range(0.0), default=0.05,
                   help="gate: largest mean |mb - mb_fp32| over the tiles both flag, mb, >= 0 (default 0.05)")
    p.add_argument("--min-fidelity-tiles", type=int_range(1, 1_000_000), default=200,
                   help="gate: least held-out tiles an artifact is judged on (default 200)")
    p.add_argument("--fidelity-tiles", type=int_range(1, 1_000_000), default=400,
                   help="most held-out tiles the gate scores, balanced by label (default 400)")
    p.add_argument("--false-alarm-rate", type=float_range(0.0, 1.0, low_open=True), default=0.01,
                   help="target false-alarm rate on changed negatives; the event threshold is chosen for it "
                        "on the validation split (default 0.01)")
    p.add_argument("--threads", type=int_range(1, 256), default=1,
                   help="inference threads for scoring and latency (default 1)")
    p.add_argument("--quiet", action="store_true", help="no stage lines on stderr")
    p.set_defaults(func=_cmd_export)


def _torch_module(spec: str) -> Any:
    """The module ``FUNCTION()`` of ``FILE.py:FUNCTION`` returns (the file run as a script's module)."""
    import runpy

    from quakesat.errors import ConfigError

    path, _, function = spec.rpartition(":")
    if not path or not function.isidentifier():
        raise ConfigError(f"--torch-module {spec!r}: give FILE.py:FUNCTION")
    if not Path(path).is_file():
        raise ConfigError(f"--torch-module: {path}: no such file")
    namespace = runpy.run_path(path, run_name="quakesat_module")
    factory = namespace.get(function)
    if not callable(factory):
        raise ConfigError(f"--torch-module: {path} defines no function {function!r}")
    module = factory()
    if not hasattr(module, "forward") or not hasattr(module, "eval"):
        raise ConfigError(f"--torch-module: {function}() in {path} returned {type(module).__name__}, not a torch module")
    return module


def _cmd_export(args: argparse.Namespace) -> int:
    from quakesat.export.exporter import ExportOptions, export_model, export_module
    from quakesat.export.fidelity import GateLimits, fidelity_summary

    if (args.torch_module is None) != (args.contract is None):
        return _usage(args, "--torch-module and --contract go together")

    per_channel = {"both": (True, False), "yes": (True,), "no": (False,)}[args.per_channel]
    options = ExportOptions(formats=args.formats, int8=args.int8, calibration_tiles=args.calibration_tiles,
                            calibration_methods=args.calibration_methods, per_channel=per_channel,
                            split=args.split,
                            limits=GateLimits(args.min_agreement, args.max_magnitude_drift, args.min_fidelity_tiles),
                            threads=args.threads, false_alarm_rate=args.false_alarm_rate,
                            fidelity_tiles=max(args.fidelity_tiles, args.min_fidelity_tiles), progress=not args.quiet)
    if args.torch_module is not None:
        from quakesat.models.contract import ModelContract

        manifest = export_module(_torch_module(args.torch_module), ModelContract.read(args.contract), args.data,
                                 args.out, options)
    else:
        manifest = export_model(args.model_dir, args.data, args.out, options)
    print(json.dumps({
        "out": str(args.out), "seconds": manifest.report["seconds"],
        "default_artifacts": {"python": manifest.default_artifact, "cpp": manifest.cpp_default_artifact},
        "event_threshold": manifest.decision.event_threshold,
        "magnitude_informative": manifest.decision.magnitude_informative,
        "artifacts": {a.name: fidelity_summary(a) for a in manifest.artifacts},
    }))
    return EXIT_OK


# ─── adopt ──────────────────────────────────────────────────────────────────────────────
def _add_adopt(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "adopt",
        help="an existing .onnx or .tflite file in: its manifest written, checked and calibrated",
        description=(
            "Adopt a model converted elsewhere: check FILE against --contract (its input shape and layout, its "
            "outputs), copy it into --out with a manifest whose event threshold (at --false-alarm-rate), magnitude "
            "skill, change gate and location are chosen on the validation split of --data, and score it on the "
            "held-out tiles. run, archive, bench and mission then fly it (docs/own_model.md)."
        ),
    )
    p.add_argument("file", type=existing_file, metavar="FILE", help="the .onnx (NCHW input) or .tflite (NHWC) file")
    p.add_argument("--contract", type=existing_file, required=True, metavar="CONTRACT.json",
                   help="what the file takes and gives: name, input, side, multilook, outputs in order, event "
                        "(logit or probability)")
    p.add_argument("--data", type=data_file, required=True, help="earthquakes.h5 (validation and held-out tiles)")
    p.add_argument("--out", type=output_dir, required=True, help="folder for the artifact and its manifest")
    p.add_argument("--split", choices=SPLITS, default="test", help="held-out split it is scored on (default test)")
    p.add_argument("--min-fidelity-tiles", type=int_range(1, 1_000_000), default=200,
                   help="least held-out tiles it is scored on (default 200)")
    p.add_argument("--false-alarm-rate", type=float_range(0.0, 1.0, low_open=True), default=0.01,
                   help="target false-alarm rate on changed negatives, for the event threshold (default 0.01)")
    p.add_argument("--threads", type=int_range(1, 256), default=1, help="inference threads (default 1)")
    p.set_defaults(func=_cmd_adopt)


def _cmd_adopt(args: argparse.Namespace) -> int:
    from quakesat.export.adopt import adopt_artifact
    from quakesat.export.exporter import ExportOptions
    from quakesat.export.fidelity import GateLimits, fidelity_summary
    from quakesat.models.contract import ModelContract

    options = ExportOptions(split=args.split, limits=GateLimits(min_tiles=args.min_fidelity_tiles),
                            threads=args.threads, false_alarm_rate=args.false_alarm_rate,
                            fidelity_tiles=max(400, args.min_fidelity_tiles))
    manifest = adopt_artifact(args.file, ModelContract.read(args.contract), args.data, args.out, options)
    print(json.dumps({"out": str(args.out), "seconds": manifest.report["seconds"],
                      "default_artifacts": {"python": manifest.default_artifact, "cpp": manifest.cpp_default_artifact},
                      "event_threshold": manifest.decision.event_threshold,
                      "magnitude_informative": manifest.decision.magnitude_informative,
                      "artifacts": {a.name: fidelity_summary(a) for a in manifest.artifacts}}))
    return EXIT_OK


# ─── bench ──────────────────────────────────────────────────────────────────────────────
def _add_bench(sub: argparse._SubParsersAction) -> None:
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
        try:
            result = json.loads(args.render.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            return _usage(args, f"{args.render} is not a bench.json: {err}")
        if not isinstance(result, dict) or result.get("format") != "quakesat-bench":
            return _usage(args, f"{args.render} is not a bench.json (no \"format\": \"quakesat-bench\")")
        return _bench_outputs(result, args)
    try:
        threads = tuple(int(t) for t in args.threads)
    except ValueError:
        threads = ()
    if not threads or min(threads) < 1:
        return _usage(args, f"--threads takes whole numbers >= 1, got {','.join(args.threads)}")
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


# ─── decode ─────────────────────────────────────────────────────────────────────────────
def _add_decode(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "decode",
        help="downlink messages -> JSON lines (the ground side)",
        description=(
            "Decode downlink messages (docs/downlink.md) into one JSON object per message. "
            "Malformed messages are reported on stderr with the failed check, and the exit "
            "status is 1 if any message was malformed."
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--hex", nargs="+", metavar="HEX", help="one or more messages as hex strings")
    src.add_argument("file", nargs="?", type=existing_file, help="a binary stream of concatenated messages")
    p.set_defaults(func=_cmd_decode)


def _cmd_decode(args: argparse.Namespace) -> int:
    from quakesat.errors import DecodeError
    from quakesat.ground.decode import decode, iter_stream, to_json_dict
    from quakesat.runtime.message import MESSAGE_LENGTH

    results: list[tuple[int, object]] = []
    if args.hex is not None:
        for index, text in enumerate(args.hex):
            try:
                data = bytes.fromhex(text)
            except ValueError:
                results.append((index, DecodeError("not_hex", f"{text!r} is not a hex string")))
                continue
            try:
                results.append((index, decode(data)))
            except DecodeError as err:
                results.append((index, err))
    else:
        data = args.file.read_bytes()
        results = [(offset // MESSAGE_LENGTH, item) for offset, item in iter_stream(data)]
    bad = 0
    for index, item in results:
        if isinstance(item, DecodeError):
            bad += 1
            print(json.dumps({"index": index, "error": item.reason, "detail": str(item)}), file=sys.stderr)
        else:
            print(json.dumps(to_json_dict(item)))
    return EXIT_FAILURE if bad else EXIT_OK


# ─── keygen, sign ───────────────────────────────────────────────────────────────────────
def _add_keys(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keygen", help="a new Ed25519 key pair for signing model updates",
                       description="Write signing.key (the private seed, mode 0600: keep it on the ground) and "
                                   "signing.pub (what the payload trusts) into DIR (docs/runtime.md, 'Signed updates').")
    p.add_argument("--out", type=output_dir, required=True, metavar="DIR", help="folder for the two key files")
    p.set_defaults(func=_cmd_keygen)
    p = sub.add_parser("sign", help="sign an export folder's manifest (it pins every artifact's hash)",
                       description="Write ARTIFACTS/manifest.json.sig: the Ed25519 signature of the manifest's exact "
                                   "bytes. A runtime given the public key (quakesat run --trusted-key, "
                                   "quakesat-runner --trusted-key) runs nothing else.")
    p.add_argument("artifacts", type=existing_dir, help="export folder (manifest.json)")
    p.add_argument("--key", type=existing_file, required=True, help="the private key file (signing.key)")
    p.set_defaults(func=_cmd_sign)


def _cmd_keygen(args: argparse.Namespace) -> int:
    from quakesat.runtime.signature import generate_keys

    key, pub = generate_keys(args.out)
    print(json.dumps({"private_key": str(key), "public_key": str(pub)}))
    return EXIT_OK


def _cmd_sign(args: argparse.Namespace) -> int:
    from quakesat.runtime.signature import sign_manifest

    print(json.dumps({"signature": str(sign_manifest(args.artifacts, args.key))}))
    return EXIT_OK


# ─── reliability ────────────────────────────────────────────────────────────────────────
def _add_reliability(sub: argparse._SubParsersAction) -> None:
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
            return _usage(args, f"no manifest.json in {folder}; pass --artifacts EXPORT_FOLDER")
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


# ─── mission ────────────────────────────────────────────────────────────────────────────
#: The model ``quakesat mission`` flies when neither the scenario nor --artifacts names one.
DEMO_ARTIFACTS = Path("out/demo/artifacts/quakelite")


def _add_mission(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mission",
        help="simulate a mission: orbit, swath, contacts, tiles through the runtime, time to alert",
        description=(
            "Fly a scenario (TOML; default: one day of a Sentinel-1-like satellite, Svalbard and Matera, "
            "the built-in sample of historical earthquakes): ground track, swath and ground-station "
            "contacts with skyfield; the tiles around every imaged earthquake and a sample of event-free "
            "tiles simulated and run through the flight runtime (Python or the C++ runner); the onboard "
            "queue released under the link budget; the ground decodes the stream. Both operating modes "
            "(survey, cued). Writes mission.json, mission.md, the downlinked streams and three plots "
            "(README \"Mission simulation\")."
        ),
    )
    p.add_argument("--scenario", type=existing_file, default=None, help="scenario file (TOML); default built in")
    p.add_argument("--write-scenario", type=output_file, default=None, metavar="FILE",
                   help="write the scenario (with the options below applied) as TOML and stop")
    p.add_argument("--artifacts", type=existing_dir, default=None,
                   help="export folder of the model that flies (default: the scenario's, else the demo's "
                        "out/demo/artifacts/quakelite)")
    p.add_argument("--artifact", default=None, help="artifact name (default: the manifest's default)")
    p.add_argument("--runtime", choices=("python", "cpp"), default=None, help="flight runtime (default python)")
    p.add_argument("--modes", type=csv, default=None, help="operating modes, comma-separated (default survey,cued)")
    p.add_argument("--hours", type=float_range(0.5, 1440.0), default=None, help="window length in hours")
    p.add_argument("--seed", type=NON_NEGATIVE, default=None, help="random seed")
    p.add_argument("--bench-json", type=existing_file, default=None,
                   help="a quakesat bench result for the same artifacts (instructions per tile on the board)")
    p.add_argument("--out", type=output_dir, default=Path("out/mission"), help="output folder (default out/mission)")
    p.set_defaults(func=_cmd_mission)


def mission_scenario(args: argparse.Namespace):
    """The scenario of ``quakesat mission``: the file or the default, with the options applied."""
    import dataclasses

    from quakesat.mission.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    onboard = {key: value for key, value in (("artifacts", args.artifacts and str(args.artifacts)),
                                             ("artifact", args.artifact), ("runtime", args.runtime),
                                             ("bench_json", args.bench_json and str(args.bench_json)))
               if value is not None}
    top = {key: value for key, value in (("modes", args.modes), ("duration_hours", args.hours), ("seed", args.seed))
           if value is not None}
    if onboard:
        top["onboard"] = dataclasses.replace(scenario.onboard, **onboard)
    return dataclasses.replace(scenario, **top) if top else scenario


def _cmd_mission(args: argparse.Namespace) -> int:
    from quakesat.mission.scenario import scenario_to_toml

    scenario = mission_scenario(args)
    if args.write_scenario is not None:
        from quakesat.files import write_text_atomic

        write_text_atomic(args.write_scenario, scenario_to_toml(scenario))
        print(f"wrote {args.write_scenario}", file=sys.stderr)
        return EXIT_OK
    from quakesat.mission.run import run_mission

    if not scenario.onboard.artifacts and DEMO_ARTIFACTS.joinpath("manifest.json").is_file():
        import dataclasses

        print(f"mission: flying the demo's model, {DEMO_ARTIFACTS} (--artifacts to choose)", file=sys.stderr)
        scenario = dataclasses.replace(scenario, onboard=dataclasses.replace(scenario.onboard,
                                                                             artifacts=str(DEMO_ARTIFACTS)))
    result = run_mission(scenario, args.out, say=lambda line: print(f"mission: {line}", file=sys.stderr, flush=True))
    print(json.dumps(result["files"]))
    return EXIT_OK


# ─── report ─────────────────────────────────────────────────────────────────────────────
def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="one self-contained HTML page from what run, mission, bench, export or demo wrote",
        description=(
            "Find the files quakesat run (OUT.report.json, the stream and its decode), quakesat mission "
            "(mission.json, the downlinked streams), quakesat bench (bench.json), quakesat export "
            "(manifest.json) and quakesat demo wrote under DIR, by their content, and render one HTML page: "
            "the decoded alerts, a map of alerts and tile footprints, the contact timeline and time to alert, "
            "the bench table, the fidelity results and the warnings. The page needs no network to open "
            "(plots embedded). See docs/report.md."
        ),
    )
    p.add_argument("dir", type=existing_dir, metavar="DIR", help="folder to report on (e.g. out/demo)")
    p.add_argument("--out", type=output_file, default=None, metavar="FILE.html",
                   help="page to write (default DIR/report.html)")
    p.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    try:
        from quakesat.ground.report import write_report

        summary = write_report(args.dir, args.out)
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] in ("jinja2", "markupsafe"):
            return _fail("report", "this command needs jinja2 (pip install 'quakesat[report]')", EXIT_USAGE)
        raise
    print(json.dumps(summary))
    return EXIT_OK


# ─── demo ───────────────────────────────────────────────────────────────────────────────
def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="the main job end to end on built-in defaults",
        description=(
            "Run every stage end to end on built-in defaults: simulate a small QuakeSet file, inspect it "
            "(JSON + PNG) and measure its difficulty, train QuakeLite, a RandomForest and the log-ratio "
            "rule, export them (ONNX, TFLite, ExecuTorch; fp32 and int8; fidelity gate), fly the test "
            "split through the Python flight runtime (network and baseline messages, scored and "
            "profiled), run the same tiles through the C++ runner and compare its messages byte for "
            "byte, benchmark every artifact in both runtimes beside the seed-equivalent (short run), fly "
            "the default one-day mission with the exported network (quakesat mission: time to alert, "
            "false alerts, bytes; survey and cued), and write demo_report.json. About four minutes on 2 cores."
        ),
    )
    p.add_argument("--out", type=output_dir, default=Path("out/demo"), help="output folder (default out/demo)")
    p.add_argument("--events", type=int_range(4, 10_000), default=12, help="simulated events, >= 4 (default 12)")
    p.add_argument("--seed", type=NON_NEGATIVE, default=0, help="random seed (default 0)")
    p.add_argument("--size", type=int_range(32, 4096), default=512, help="tile side in pixels (default 512)")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from quakesat.demo import run_demo

    return run_demo(args.out, events=args.events, seed=args.seed, size=args.size)


# ─── entry point ────────────────────────────────────────────────────────────────────────
def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = Parser(prog="quakesat", description="On-board earthquake detection for SAR satellites (QuakeSet).",
                    epilog="Exit status: 0 ok, 1 failure, 2 usage or input error, 3 fidelity gate failed, "
                           "130 interrupted.")
    parser.add_argument("--version", action="version", version=f"quakesat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_simulate, _add_data, _add_train, _add_evaluate, _add_results, _add_export, _add_adopt, _add_run,
                _add_archive, _add_bench, _add_reliability, _add_decode, _add_keys, _add_mission, _add_report,
                _add_demo):
        add(sub)
    return parser


def _usage(args: argparse.Namespace, message: str) -> int:
    print(f"quakesat {args.command}: error: {message} (see quakesat {args.command} --help)", file=sys.stderr)
    return EXIT_USAGE


def _fail(command: str, message: str, code: int) -> int:
    print(f"quakesat{' ' + command if command else ''}: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit status (see :mod:`quakesat.cli_args`).

    Every error a user can cause becomes one line on stderr, never a traceback. Set
    ``QUAKESAT_TRACEBACK=1`` to see the traceback of an unexpected error.
    """
    parser = build_parser()
    command = ""
    clear_interrupt()
    # Remember a Ctrl-C as well as raising it: some places swallow the KeyboardInterrupt
    # (quakesat.files explains which), and the long loops and output files check the flag.
    previous = signal.signal(signal.SIGINT, interrupt_handler) \
        if threading.current_thread() is threading.main_thread() else None
    try:
        args = parser.parse_args(argv)
        command = args.command
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except SystemExit as exit_:  # argparse: --help, --version, a usage error
        return int(exit_.code or 0) if isinstance(exit_.code, int) or exit_.code is None else EXIT_USAGE
    except KeyboardInterrupt:
        print(f"quakesat{' ' + command if command else ''}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`quakesat decode ... | head`): stop quietly; silence the final flush.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except FidelityGateError as err:
        return _fail(command, str(err), EXIT_GATE)
    except RUNTIME_FAILURES as err:
        return _fail(command, str(err), EXIT_FAILURE)
    except QuakesatError as err:
        return _fail(command, str(err), EXIT_USAGE)
    except ModuleNotFoundError as err:
        return _fail(command, missing_dependency(err), EXIT_USAGE)
    except OSError as err:  # a path that became unreadable or unwritable while running, a full disk
        where = f"{err.filename}: " if err.filename else ""
        return _fail(command, f"{where}{err.strerror or err}", EXIT_USAGE)
    except Exception as err:
        if os.environ.get("QUAKESAT_TRACEBACK"):
            raise
        return _fail(command, f"unexpected {type(err).__name__}: {err} (set QUAKESAT_TRACEBACK=1 for the traceback; "
                              "please report it)", EXIT_FAILURE)
    finally:
        if "quakesat.ground.log_summary" in sys.modules:
            _detach_summaries()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    raise SystemExit(main())
