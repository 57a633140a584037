"""``quakesat export`` and ``quakesat adopt``: a trained model or an existing file to a checked
export folder (artifacts and manifest)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from quakesat.cli_args import (
    EXIT_OK,
    SHARE,
    csv,
    data_file,
    existing_dir,
    existing_file,
    float_range,
    int_range,
    output_dir,
)
from quakesat.commands.common import SPLITS, usage


# ─── export ─────────────────────────────────────────────────────────────────────────────
def add_export(sub: argparse._SubParsersAction) -> None:
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
    from quakesat.export.fidelity import GateLimits
    from quakesat.export.record import export_record

    if (args.torch_module is None) != (args.contract is None):
        return usage(args, "--torch-module and --contract go together")

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
    print(export_record(manifest, args.out).to_json(), end="")
    return EXIT_OK


# ─── adopt ──────────────────────────────────────────────────────────────────────────────
def add_adopt(sub: argparse._SubParsersAction) -> None:
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
    from quakesat.export.fidelity import GateLimits
    from quakesat.export.record import export_record
    from quakesat.models.contract import ModelContract

    options = ExportOptions(split=args.split, limits=GateLimits(min_tiles=args.min_fidelity_tiles),
                            threads=args.threads, false_alarm_rate=args.false_alarm_rate,
                            fidelity_tiles=max(400, args.min_fidelity_tiles))
    manifest = adopt_artifact(args.file, ModelContract.read(args.contract), args.data, args.out, options)
    print(export_record(manifest, args.out).to_json(), end="")
    return EXIT_OK
