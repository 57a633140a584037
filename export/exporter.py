"""``quakesat export``: a trained model folder to verified artifacts, a manifest and a report.

For a network: fp32 ONNX, int8 ONNX (calibration methods and per-channel / per-tensor
compared, the best kept), fp32 and int8 TFLite where litert-torch is installed. For a
shallow pipeline: skl2onnx (fp32; trees and kernel machines have no int8 path here). Every
artifact is then opened the way the flight runtime opens it — from the manifest, hash
checked (:class:`quakesat.runtime.model.ExportedModel`) — and scored against the fp32
reference on held-out tiles (:mod:`quakesat.export.fidelity`). ``manifest.json``,
``fidelity.md`` and ``fidelity.png`` are written in any case; an artifact that fails the
gate makes the export raise :class:`~quakesat.errors.FidelityGateError` (exit status 2).

Calibration uses tiles of the *train* split, through the shared preprocessing, balanced
between events and non-events (default 128: enough for the activation ranges of a small
CNN to settle, measured in docs/export.md, while keeping the Entropy/Percentile histograms
quick). The method is chosen on the *validation* split; the gate runs on the *test* split,
which neither choice saw. The runtime's change-gate threshold and location method are
calibrated on the validation split too (:mod:`quakesat.export.onboard_calibration`) and
written into the manifest's ``gate`` and ``locate`` blocks.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

import numpy as np

from quakesat import __version__
from quakesat.errors import (
    ConfigError,
    ExportError,
    FidelityGateError,
    ModelNotFoundError,
)
from quakesat.export import executorch_backend  # noqa: F401 - registers the .pte backend for scoring
from quakesat.export.fidelity import (
    GateLimits,
    compare,
    gate_failures,
    plot_scatter,
    write_report,
)
from quakesat.export.onboard_calibration import calibrate_onboard
from quakesat.export.onnx_export import CALIBRATION_METHODS
from quakesat.runtime.decision import DEFAULT_DECISION
from quakesat.runtime.gate import DEFAULT_MAX_MISSED
from quakesat.runtime.manifest import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    MANIFEST_VERSION,
    OutputRef,
    sha256_file,
)
from quakesat.runtime.model import ExportedModel
from quakesat.runtime.preprocess import PreprocessConfig

FORMATS = ("onnx", "tflite", "pte")
DEFAULT_CALIBRATION_TILES = 128


@dataclass(frozen=True)
class ExportOptions:
    """What ``quakesat export`` builds and how it checks it."""

    formats: tuple[str, ...] = FORMATS
    int8: bool = True
    calibration_tiles: int = DEFAULT_CALIBRATION_TILES
    calibration_methods: tuple[str, ...] = CALIBRATION_METHODS
    per_channel: tuple[bool, ...] = (True, False)
    split: str = "test"
    selection_split: str = "validation"
    limits: GateLimits = field(default_factory=GateLimits)
    threads: int = 1
    seed: int = 0
    try_float_stem: bool = True
    gate_max_missed: float = DEFAULT_MAX_MISSED

    def __post_init__(self) -> None:
        unknown = set(self.formats) - set(FORMATS)
        if unknown or not self.formats:
            raise ConfigError(f"unknown export formats {sorted(unknown)}; choose from {list(FORMATS)}")
        bad = set(self.calibration_methods) - set(CALIBRATION_METHODS)
        if bad or not self.calibration_methods:
            raise ConfigError(f"unknown calibration methods {sorted(bad)}; choose from {list(CALIBRATION_METHODS)}")
        if self.calibration_tiles < 1 or self.threads < 1 or not self.per_channel:
            raise ConfigError("calibration tiles and threads must be >= 1, and per_channel non-empty")


@dataclass
class _Tiles:
    tiles: np.ndarray  # (N, C, H, W) float32, preprocessed
    labels: np.ndarray
    magnitudes: np.ndarray


def _read_tiles(data: Path, task: int, split: str, config: PreprocessConfig, limit: int | None = None,
                seed: int = 0) -> _Tiles:
    """Preprocessed tiles of ``split`` (at most ``limit``, balanced between labels)."""
    from quakesat.data.quakeset import QuakeSetFile
    from quakesat.models.torch_data import TorchQuakeSet

    with QuakeSetFile(data) as qs:
        dataset = TorchQuakeSet(qs, task, split, config)
        if limit is not None and len(dataset) > limit:
            labels = np.array([r.label for r in dataset.refs])
            rng = np.random.default_rng(seed)
            groups = [rng.permutation(np.flatnonzero(labels == k)).tolist() for k in (1, 0)]
            interleaved = [i for pair in zip_longest(*groups) for i in pair if i is not None]
            dataset = dataset.subset(sorted(interleaved[:limit]))
        dataset.preload()
        tiles = np.stack([dataset[i][0].numpy() for i in range(len(dataset))]) if len(dataset) else None
        labels = np.array([r.label for r in dataset.refs])
        magnitudes = np.array([r.magnitude for r in dataset.refs], dtype=np.float64)
    if tiles is None:
        raise ConfigError(f"{data}: no samples of task {task} in split {split!r} to export with")
    return _Tiles(tiles.astype(np.float32), labels, magnitudes)


def _best(candidates: list[dict[str, Any]]) -> dict[str, Any]:
    def key(c: dict[str, Any]) -> tuple:
        return (-c["flag_agreement"], c.get("event_abs_error", {}).get("mean", 0.0),
                c.get("magnitude_abs_error", {}).get("mean", 0.0))

    return min(candidates, key=key)


def _ms_per_tile(run: Any, tiles: np.ndarray) -> float:
    from quakesat.evaluation.evaluate import median_ms_per_tile

    return median_ms_per_tile(run, [tile[None] for tile in tiles])


class _Exporter:
    """One export run; methods share the tiles, the reference and the artifact list."""

    def __init__(self, model_dir: Path, data: Path, out: Path, options: ExportOptions) -> None:
        self.model_dir, self.data, self.out, self.options = model_dir, data, out, options
        self.artifacts: list[dict[str, Any]] = []
        self.calibration: dict[str, Any] | None = None
        self.graph: dict[str, Any] | None = None
        self.notes: list[str] = []
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the block's wall time to ``seconds[stage]`` (reported in the manifest)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = round(self.seconds.get(stage, 0.0) + time.perf_counter() - started, 2)

    def add_artifact(self, name: str, filename: str, fmt: str, precision: str, outputs: dict[str, dict],
                     layout: str, **extra: Any) -> None:
        path = self.out / filename
        self.artifacts.append({"name": name, "path": filename, "format": fmt, "precision": precision,
                               "sha256": sha256_file(path), "bytes": path.stat().st_size, "layout": layout,
                               "outputs": outputs, **extra})


def _cnn_outputs(heads: list[str], fmt: str) -> dict[str, dict]:
    """Head → output reference: ONNX outputs are named after the heads; TFLite's and
    ExecuTorch's by position."""
    return {head: {"output": head if fmt == "onnx" else str(i)} for i, head in enumerate(heads)}


def _torch_heads(net: Any, tiles: np.ndarray) -> dict[str, np.ndarray]:
    import torch

    from quakesat.models.train import head_outputs

    return head_outputs(net, (torch.from_numpy(tiles[start:start + 16]) for start in range(0, len(tiles), 16)))


def _export_cnn(ex: _Exporter, config: dict[str, Any]) -> tuple[dict[str, np.ndarray], Any, _Tiles]:
    from quakesat.export.graph_facts import graph_facts
    from quakesat.export.onnx_export import export_network_onnx, quantize_onnx_int8
    from quakesat.models.train import load_network
    from quakesat.runtime.backends import OnnxRuntimeBackend
    from quakesat.runtime.model import select_head

    opts = ex.options
    net, _ = load_network(ex.model_dir)
    preprocess = PreprocessConfig.from_dict(config["preprocess"])
    task = int(config["paper_task"])
    tile_shape = list(config["input_shape"])
    with ex.timed("read_tiles"):
        held_out = _read_tiles(ex.data, task, opts.split, preprocess)
    reference = _torch_heads(net, held_out.tiles)
    decision = dict(DEFAULT_DECISION)
    given_event = bool(config.get("magnitude_given_event", False))

    with ex.timed("onnx_fp32"):
        heads = export_network_onnx(net, tile_shape, ex.out / "model.fp32.onnx")
        ex.graph = graph_facts(ex.out / "model.fp32.onnx")
    ex.add_artifact("onnx-fp32", "model.fp32.onnx", "onnx", "fp32", _cnn_outputs(heads, "onnx"), "NCHW")
    calibration = None
    if opts.int8:
        with ex.timed("read_tiles"):
            calibration = _read_tiles(ex.data, task, "train", preprocess, opts.calibration_tiles, opts.seed)
            try:
                selection = _read_tiles(ex.data, task, opts.selection_split, preprocess)
                scored_on = opts.selection_split
            except ConfigError:
                selection, scored_on = calibration, "train"
        selection_reference = _torch_heads(net, selection.tiles)
    if opts.int8 and "onnx" in opts.formats:
        candidates = []
        with tempfile.TemporaryDirectory(prefix="quakesat-calib-") as scratch:

            def try_candidate(method: str, per_channel: bool, float_stem: bool) -> dict[str, Any]:
                candidate = Path(scratch) / f"{method}-{int(per_channel)}-{int(float_stem)}.onnx"
                with ex.timed(f"onnx_int8_{method}"):
                    settings = quantize_onnx_int8(ex.out / "model.fp32.onnx", candidate, calibration.tiles,
                                                  method, per_channel, float_stem)
                outputs = OnnxRuntimeBackend(candidate, opts.threads).run(selection.tiles)
                got = {h: select_head(outputs, OutputRef.from_dict(ref), len(selection.tiles))
                       for h, ref in _cnn_outputs(heads, "onnx").items()}
                scores = compare(selection_reference, got, selection.labels, selection.magnitudes, decision,
                                 given_event)
                result = {"method": method, "per_channel": per_channel, "float_stem": float_stem,
                          "file": str(candidate), "settings": settings, **scores}
                candidates.append(result)
                return result

            for method in opts.calibration_methods:
                for per_channel in opts.per_channel:
                    try_candidate(method, per_channel, False)
            best = _best(candidates)
            if opts.try_float_stem:  # the best setting again, with the input path in float
                best = _best([best, try_candidate(best["method"], best["per_channel"], True)])
            best["chosen"] = True
            shutil.copyfile(best["file"], ex.out / "model.int8.onnx")
        for c in candidates:
            c.pop("file")
        ex.calibration = {"split": "train", "tiles": int(len(calibration.tiles)),
                          "positives": int(calibration.labels.sum()), "scored_on": scored_on,
                          "comparison": [{k: v for k, v in c.items() if k != "settings"} for c in candidates]}
        ex.add_artifact("onnx-int8", "model.int8.onnx", "onnx", "int8", _cnn_outputs(heads, "onnx"), "NCHW",
                        quantization=best["settings"])
    if "tflite" in opts.formats:
        from quakesat.export.tflite_export import (
            export_network_tflite,
            quantize_tflite_int8,
        )

        with ex.timed("tflite_fp32"):
            export_network_tflite(net, tile_shape, ex.out / "model.fp32.tflite")
        ex.add_artifact("tflite-fp32", "model.fp32.tflite", "tflite", "fp32", _cnn_outputs(heads, "tflite"), "NHWC")
        if opts.int8:
            with ex.timed("tflite_int8"):
                settings = quantize_tflite_int8(net, tile_shape, ex.out / "model.int8.tflite", calibration.tiles)
            outputs = _cnn_outputs(heads, "tflite")
            for head, offset in settings["offsets"].items():
                outputs[head]["offset"] = offset
            ex.add_artifact("tflite-int8", "model.int8.tflite", "tflite", "int8", outputs, "NHWC",
                            quantization=settings)
    if "pte" in opts.formats:
        from quakesat.export.pte_export import export_network_pte, quantize_pte_int8

        with ex.timed("pte_fp32"):
            export_network_pte(net, tile_shape, ex.out / "model.fp32.pte")
        ex.add_artifact("pte-fp32", "model.fp32.pte", "pte", "fp32", _cnn_outputs(heads, "pte"), "NCHW",
                        delegate="XnnpackBackend", batch=1)
        if opts.int8:
            with ex.timed("pte_int8"):
                settings = quantize_pte_int8(net, tile_shape, ex.out / "model.int8.pte", calibration.tiles)
            ex.add_artifact("pte-int8", "model.int8.pte", "pte", "int8", _cnn_outputs(heads, "pte"), "NCHW",
                            delegate="XnnpackBackend", batch=1, quantization=settings)
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(opts.threads)
    try:
        reference_ms = _ms_per_tile(lambda x: net(torch.from_numpy(x)), held_out.tiles)
    finally:
        torch.set_num_threads(threads)
    return reference, reference_ms, held_out


def _export_shallow(ex: _Exporter, config: dict[str, Any]) -> tuple[dict[str, np.ndarray], Any, _Tiles]:
    from sklearn.svm import SVC

    from quakesat.export.onnx_export import export_shallow_onnx
    from quakesat.models.shallow import load_shallow_with_info, single_threaded
    from quakesat.runtime.features import flat_features

    if "onnx" not in ex.options.formats:
        raise ExportError("a shallow model exports to ONNX only (skl2onnx); add onnx to --formats")
    pipeline, info = load_shallow_with_info(ex.model_dir / "model.joblib")
    preprocess = PreprocessConfig.from_dict(info["preprocess"])
    held_out = _read_tiles(ex.data, int(info["task"]), ex.options.split, preprocess)
    features = flat_features(held_out.tiles)
    regression = bool(info["regression"])
    outputs = export_shallow_onnx(pipeline, features.shape[1], ex.out / "model.onnx", regression)
    ex.add_artifact("onnx-fp32", "model.onnx", "onnx", "fp32", outputs, "features")
    if ex.options.int8:
        ex.notes.append("int8: not applicable to scikit-learn pipelines here (trees and kernel machines "
                        "run in float in onnxruntime's ML operators); exported fp32 only")
    model = pipeline.steps[-1][1]
    if regression:
        reference = {"magnitude": pipeline.predict(features).astype(np.float32)}
    elif isinstance(model, SVC):
        scores = pipeline.decision_function(features)
        reference = {"event": (1.0 / (1.0 + np.exp(-scores))).astype(np.float32)}
    else:
        reference = {"event": pipeline.predict_proba(features)[:, 1].astype(np.float32)}
    single_threaded(pipeline)
    reference_ms = _ms_per_tile(lambda x: pipeline.predict(flat_features(x)), held_out.tiles)
    return reference, reference_ms, held_out


def export_model(model_dir: str | Path, data: str | Path, out: str | Path,
                 options: ExportOptions = ExportOptions()) -> dict[str, Any]:
    """Export the model in ``model_dir``; write artifacts, ``manifest.json``, ``fidelity.md``
    and ``fidelity.png`` into ``out``.

    Returns:
        The manifest.

    Raises:
        ModelNotFoundError: no trained model in ``model_dir``.
        ExportError: an exporter failed or is not installed.
        FidelityGateError: an artifact failed the gate (everything is still written).
    """
    model_dir, data, out = Path(model_dir), Path(data), Path(out)
    config_path = model_dir / "config.json"
    if not config_path.is_file():
        raise ModelNotFoundError(f"{model_dir}: no config.json; train a model there with `quakesat train --out DIR`")
    config = json.loads(config_path.read_text())
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("model.*"), out / MANIFEST_NAME]:
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    ex = _Exporter(model_dir, data, out, options)
    family = config.get("family")
    if family == "cnn":
        reference, reference_ms, held_out = _export_cnn(ex, config)
        name, task, preprocess = config["train"]["model"], int(config["paper_task"]), config["preprocess"]
        input_kind, given_event = config["train"]["input"], bool(config.get("magnitude_given_event", False))
        validation = config.get("validation")
    elif family == "shallow":
        reference, reference_ms, held_out = _export_shallow(ex, config)
        name, task, preprocess = config["model"], int(config["paper_task"]), config["preprocess"]
        input_kind, given_event, validation = ("bitemporal" if task in (1, 2) else "single"), False, None
    else:
        raise ConfigError(f"{model_dir}: unknown model family {family!r}")

    tile_shape = list(held_out.tiles.shape[1:])
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "quakesat_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"name": name, "family": family, "paper_task": task, "input": input_kind,
                  "heads": sorted(reference, key=["event", "magnitude", "location"].index),
                  "magnitude_given_event": given_event, "source": str(model_dir), "validation": validation},
        "input": {"tile_shape": tile_shape, "dtype": "float32", "images": 2 if input_kind == "bitemporal" else 1,
                  "raw_side": int(tile_shape[-1] * int(PreprocessConfig.from_dict(preprocess).downsample)),
                  "channels": ["first VV", "first VH", "second VV", "second VH"][: tile_shape[0]]},
        "preprocess": preprocess,
        "decision": dict(DEFAULT_DECISION),
        "graph": ex.graph,
        "calibration": ex.calibration,
        "notes": ex.notes,
        "artifacts": ex.artifacts,
    }
    onnx_int8 = [a for a in ex.artifacts if a["format"] == "onnx" and a["precision"] == "int8"]
    manifest["default_artifact"] = (onnx_int8 or ex.artifacts)[0]["name"]
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))

    # Score every artifact through the flight runtime's own loading path.
    outputs: dict[str, dict[str, np.ndarray]] = {}
    scoring_started = time.perf_counter()
    for entry in manifest["artifacts"]:
        model = ExportedModel.open(out, entry["name"], threads=options.threads)
        outputs[entry["name"]] = model.heads(held_out.tiles)
        entry["model_id"] = model.model_id
        entry["fidelity"] = compare(reference, outputs[entry["name"]], held_out.labels, held_out.magnitudes,
                                    manifest["decision"], given_event)
        entry["gate_failures"] = gate_failures(entry["fidelity"], options.limits)
        entry["latency_ms"] = _ms_per_tile(model.heads, held_out.tiles)
    manifest["fidelity"] = {"split": options.split, "tiles": int(len(held_out.tiles)), "data": str(data),
                            "limits": asdict(options.limits)}
    manifest["latency"] = {"threads": options.threads, "reference_ms": reference_ms,
                           "note": "median of single-tile runs after one warm-up; model only (no preprocessing)"}
    ex.seconds["score_artifacts"] = round(time.perf_counter() - scoring_started, 2)
    if input_kind == "bitemporal":
        with ex.timed("onboard_calibration"):
            fp32 = next(e["name"] for e in manifest["artifacts"] if e["precision"] == "fp32")
            manifest.update(calibrate_onboard(data, options.selection_split, options.gate_max_missed,
                                              model=ExportedModel.open(out, fp32, threads=options.threads)))
    manifest["seconds"] = round(time.perf_counter() - started, 1)
    manifest["stage_seconds"] = ex.seconds
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))
    reference_name = "torch" if family == "cnn" else "scikit-learn"
    write_report(out / "fidelity.md", manifest, reference_name)
    plot_scatter(out / "fidelity.png", reference, outputs)
    failed = {e["name"]: e["gate_failures"] for e in manifest["artifacts"] if e["gate_failures"]}
    if failed:
        raise FidelityGateError(f"{out}: fidelity gate failed for " +
                                "; ".join(f"{name}: {', '.join(why)}" for name, why in failed.items()) +
                                f" (details in {out / 'fidelity.md'})")
    return manifest
