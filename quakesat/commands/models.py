"""``quakesat train``, ``evaluate`` and ``results``: fit a model, score it, run the benchmark."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from quakesat.cli_args import (
    EXIT_OK,
    NON_NEGATIVE,
    data_file,
    existing_dir,
    existing_file,
    float_range,
    int_range,
    output_dir,
)
from quakesat.commands.common import SPLITS, usage

#: Every name ``quakesat train --model`` knows (a test checks it against the model tables).
NETWORK_NAMES = ("mobilenetv2", "quakelite", "quakelite-wide")
SHALLOW_NAMES = ("svc-rbf", "svc-cubic", "random-forest", "random-forest-nopca", "svr-rbf", "svr-cubic")
RULE_NAMES = ("log-ratio",)
MODEL_NAMES = NETWORK_NAMES + SHALLOW_NAMES + RULE_NAMES


# ─── train / evaluate / results ─────────────────────────────────────────────────────────
def add_train(sub: argparse._SubParsersAction) -> None:
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
        return usage(args, f"--input interferometric trains networks only, not {args.model!r}")
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


def add_evaluate(sub: argparse._SubParsersAction) -> None:
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


def add_results(sub: argparse._SubParsersAction) -> None:
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
