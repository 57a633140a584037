"""``quakesat export``: a trained model folder to verified artifacts, a manifest and a report.

For a network, the rows of :data:`quakesat.export.formats.NETWORK_FORMATS` that were asked
for (fp32 and int8 ONNX, TFLite, ExecuTorch ``.pte``). For a shallow pipeline: skl2onnx
(fp32; trees and kernel machines have no int8 path here). For the log-ratio rule: its rule
file. Every artifact is then opened the way the flight runtime opens it — from the manifest,
hash checked (:class:`quakesat.runtime.model.ExportedModel`) — and scored against the fp32
reference on held-out tiles (:mod:`quakesat.export.fidelity`). The manifest is built as a
:class:`~quakesat.runtime.manifest.Manifest` and written through
:func:`~quakesat.runtime.manifest.write_manifest`, which refuses to write one that breaks the
contract.

Everything is built in a staging folder inside ``out`` and moved into place at the end, the
manifest last: an interrupted export leaves the previous export (or nothing) in ``out``,
never a manifest that promises files that are not there. ``manifest.json``, ``fidelity.md``
and ``fidelity.png`` are written in any case; an artifact that fails the gate makes the
export raise :class:`~quakesat.errors.FidelityGateError` after writing (exit status 3).

Calibration uses tiles of the *train* split, through the shared preprocessing, balanced
between events and non-events (default 128, at most half the split so that the other half
can join the fidelity set: enough for the activation ranges of a small
CNN to settle, measured in docs/export.md, while keeping the Entropy/Percentile histograms
quick). The int8 method is chosen on the *validation* split; the gate runs on held-out tiles
neither choice saw (:func:`fidelity_tiles`: the test split and the unused training tiles, at
least 200). The decision block (threshold at a false-alarm rate, temperature, magnitude skill:
:mod:`quakesat.export.decision_calibration`), the runtime's change-gate threshold and the
location method are chosen on the validation split too
(:mod:`quakesat.export.onboard_calibration`). Each runtime's default artifact is the fastest
that passed the gate (:func:`choose_defaults`).
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from itertools import zip_longest
from pathlib import Path
from typing import Any

import numpy as np

from quakesat import __version__
from quakesat.errors import ConfigError, ExportError, FidelityGateError, ModelNotFoundError
from quakesat.evaluation.timing import TIMED_TILES, median_ms_per_tile
from quakesat.export import executorch_backend  # noqa: F401 - registers the .pte backend for scoring
from quakesat.export.decision_calibration import (
    DEFAULT_FALSE_ALARM_RATE,
    ValidationHeads,
    choose_decision,
    fold_temperature,
)
from quakesat.export.fidelity import GateLimits, compare, gate_failures, plot_scatter, write_report
from quakesat.export.formats import NETWORK_FORMATS, NetworkContext
from quakesat.export.onboard_calibration import calibrate_onboard, calibrate_same_track
from quakesat.export.onnx_export import CALIBRATION_METHODS
from quakesat.models.model_config import read_model_config
from quakesat.runtime.change import DEFAULT_MAX_MISSED
from quakesat.runtime.decision import DEFAULT_DECISION, DecisionRule
from quakesat.runtime.interferogram import CHANNELS as INTERFEROGRAM_CHANNELS
from quakesat.runtime.interferogram import InterferogramConfig
from quakesat.runtime.manifest import (
    BITEMPORAL_TASKS,
    HEADS,
    MANIFEST_NAME,
    Artifact,
    GateSpec,
    InputSpec,
    LocateSpec,
    Manifest,
    ModelInfo,
    OutputRef,
    sha256_file,
    write_manifest,
)
from quakesat.runtime.model import ExportedModel
from quakesat.runtime.preprocess import BANDS, PreprocessConfig
from quakesat.runtime.tile import AMPLITUDE, SAME_TRACK

FORMATS = ("onnx", "tflite", "pte")
DEFAULT_CALIBRATION_TILES = 128
#: Most held-out tiles the fidelity gate scores (balanced between labels).
DEFAULT_FIDELITY_TILES = 400
#: What export writes besides the artifacts (moved into ``out`` with them).
REPORT_FILES = ("fidelity.md", "fidelity.png")


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
    false_alarm_rate: float = DEFAULT_FALSE_ALARM_RATE
    fidelity_tiles: int = DEFAULT_FIDELITY_TILES
    progress: bool = False  # a line on stderr as each stage starts and ends

    def __post_init__(self) -> None:
        unknown = set(self.formats) - set(FORMATS)
        if unknown or not self.formats:
            raise ConfigError(f"unknown export formats {sorted(unknown)}; choose from {list(FORMATS)}")
        bad = set(self.calibration_methods) - set(CALIBRATION_METHODS)
        if bad or not self.calibration_methods:
            raise ConfigError(f"unknown calibration methods {sorted(bad)}; choose from {list(CALIBRATION_METHODS)}")
        if self.calibration_tiles < 1 or self.threads < 1 or not self.per_channel:
            raise ConfigError("calibration tiles and threads must be >= 1, and per_channel non-empty")
        if not 0.0 <= self.gate_max_missed <= 1.0:
            raise ConfigError(f"gate_max_missed is a share in 0..1, got {self.gate_max_missed}")
        if not 0.0 < self.false_alarm_rate < 1.0:
            raise ConfigError(f"false_alarm_rate is a rate in (0, 1), got {self.false_alarm_rate}")
        if self.fidelity_tiles < self.limits.min_tiles:
            raise ConfigError(f"fidelity_tiles ({self.fidelity_tiles}) is below the gate's minimum "
                              f"({self.limits.min_tiles})")


@dataclass
class Tiles:
    """Preprocessed tiles of one split with their truth."""

    tiles: np.ndarray  # (N, C, H, W) float32
    labels: np.ndarray
    magnitudes: np.ndarray
    identical: np.ndarray  # bool: a pixel-identical pair (the runtime's gate skips it)
    keys: tuple[tuple[str, str, int], ...] = ()  # (event id, patch, label) per tile
    note: str = ""  # how the set was made, for the report

    def __len__(self) -> int:
        return len(self.tiles)

    def take(self, keep: list[int]) -> Tiles:
        """The tiles at positions ``keep``."""
        return Tiles(self.tiles[keep], self.labels[keep], self.magnitudes[keep], self.identical[keep],
                     tuple(self.keys[i] for i in keep))

    def concat(self, other: Tiles) -> Tiles:
        """This set followed by ``other``."""
        return Tiles(np.concatenate([self.tiles, other.tiles]), np.concatenate([self.labels, other.labels]),
                     np.concatenate([self.magnitudes, other.magnitudes]),
                     np.concatenate([self.identical, other.identical]), self.keys + other.keys)


def _balanced(labels: np.ndarray, limit: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    groups = [rng.permutation(np.flatnonzero(labels == k)).tolist() for k in (1, 0)]
    interleaved = [i for pair in zip_longest(*groups) for i in pair if i is not None]
    return sorted(interleaved[:limit])


def read_tiles(data: Path, task: int, split: str, config: PreprocessConfig | InterferogramConfig,
               limit: int | None = None,
               seed: int = 0, exclude: frozenset[tuple[str, str, int]] = frozenset(),
               allow_empty: bool = False) -> Tiles:
    """Preprocessed tiles of ``split`` (at most ``limit``, balanced between labels), leaving
    out the samples whose (event id, patch, label) is in ``exclude``.

    Raises:
        ConfigError: no samples of ``task`` in ``split`` (unless ``allow_empty``).
    """
    from quakesat.data.quakeset import QuakeSetFile
    from quakesat.models.torch_data import TorchQuakeSet

    with QuakeSetFile(data) as qs:
        dataset = TorchQuakeSet(qs, task, split, config)
        if exclude:
            dataset = dataset.subset([i for i, r in enumerate(dataset.refs)
                                      if (r.event_id, r.patch, int(r.label)) not in exclude])
        if limit is not None and len(dataset) > limit:
            dataset = dataset.subset(_balanced(np.array([r.label for r in dataset.refs]), limit, seed))
        dataset.preload()
        tiles = np.stack([dataset[i][0].numpy() for i in range(len(dataset))]) if len(dataset) else None
        labels = np.array([r.label for r in dataset.refs], dtype=np.int64)
        magnitudes = np.array([r.magnitude for r in dataset.refs], dtype=np.float64)
        identical = dataset.identical() if len(dataset) else np.zeros(0, dtype=bool)
        keys = tuple((r.event_id, r.patch, int(r.label)) for r in dataset.refs)
    if tiles is None:
        if allow_empty:
            return Tiles(np.zeros((0, 1, 1, 1), dtype=np.float32), labels, magnitudes, identical, keys)
        if isinstance(config, InterferogramConfig):
            raise ConfigError(f"{data}: no same-track pairs of task {task} in split {split!r} to export an "
                              "interferometric model with (it needs a file from `quakesat simulate --slc`)")
        raise ConfigError(f"{data}: no samples of task {task} in split {split!r} to export with")
    return Tiles(tiles.astype(np.float32), labels, magnitudes, identical, keys)


def _dihedral(tiles: np.ndarray, k: int) -> np.ndarray:
    """The ``k``-th of the seven non-trivial flips and quarter turns of (N, C, H, W) tiles."""
    turned = np.rot90(tiles, k % 4, axes=(2, 3))
    return np.ascontiguousarray(turned[..., ::-1] if k >= 4 else turned)


def fidelity_tiles(data: Path, task: int, split: str, config: PreprocessConfig | InterferogramConfig,
                   calibration: Tiles | None,
                   minimum: int, limit: int, seed: int = 0) -> Tiles:
    """The tiles the fidelity gate judges on: never the int8 calibration tiles, never the
    split the int8 settings are chosen on.

    ``split`` (the test split), then the training tiles int8 calibration did not draw, at most
    ``limit`` (balanced). A small file holds fewer than ``minimum``: then the set is extended
    by flips and quarter turns of its tiles (the same scenes seen from a mirrored or rotated
    pass: new inputs to the network, of the same distribution), and the note says so.
    """
    held = read_tiles(data, task, split, config, allow_empty=True)
    if calibration is not None and len(held) < limit:
        extra = read_tiles(data, task, "train", config, limit - len(held), seed, frozenset(calibration.keys),
                           allow_empty=True)
        if len(extra):
            held = extra if not len(held) else held.concat(extra)
    if not len(held):
        raise ConfigError(f"{data}: no held-out samples of task {task} to judge the exports on")
    if len(held) > limit:
        held = held.take(_balanced(held.labels, limit, seed))
    distinct = len(held)
    base = held
    k = 1
    while len(held) < minimum and k < 8:
        turned = Tiles(_dihedral(base.tiles, k), base.labels, base.magnitudes, base.identical, base.keys)
        held = held.concat(turned)
        k += 1
    where = f"split {split!r}" + (" and the training tiles int8 calibration did not use" if calibration else "")
    note = f"{distinct} held-out tiles ({where})"
    if len(held) > distinct:
        note += f", with {k - 1} flip/rotation cop{'y' if k == 2 else 'ies'} each: {len(held)} tiles"
    held.note = note
    return held


def _ms_per_tile(run: Any, tiles: np.ndarray) -> float:
    return median_ms_per_tile(run, [tile[None] for tile in tiles[:TIMED_TILES]])


@dataclass
class Exported:
    """What a family's exporter hands back: the model, its artifacts, the fp32 reference."""

    model: ModelInfo
    preprocess: PreprocessConfig | InterferogramConfig
    decision: DecisionRule
    artifacts: list[Artifact]
    reference: dict[str, np.ndarray]  # the fp32 model's heads on the held-out tiles
    reference_name: str
    reference_ms: float
    held_out: Tiles
    report: dict[str, Any] = field(default_factory=dict)


class _Run:
    """One export run: the staging folder, options, and the time spent per stage."""

    def __init__(self, model_dir: Path | None, data: Path, staging: Path, options: ExportOptions) -> None:
        self.model_dir, self.data, self.staging, self.options = model_dir, data, staging, options
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the block's wall time to ``seconds[stage]`` (reported in the manifest); with
        ``options.progress``, say on stderr when the stage starts and how long it took."""
        started = time.perf_counter()
        if self.options.progress:
            print(f"export: {stage.replace('_', ' ')} ...", file=sys.stderr, flush=True)
        try:
            yield
        finally:
            took = time.perf_counter() - started
            self.seconds[stage] = round(self.seconds.get(stage, 0.0) + took, 2)
            if self.options.progress:
                print(f"export: {stage.replace('_', ' ')} done in {took:.1f} s", file=sys.stderr, flush=True)

    def artifact(self, name: str, filename: str, fmt: str, precision: str, layout: str,
                 outputs: dict[str, OutputRef], **extra: Any) -> Artifact:
        path = self.staging / filename
        return Artifact(name, filename, fmt, precision, sha256_file(path), path.stat().st_size, layout, outputs,
                        **extra)


def _torch_heads(net: Any, tiles: np.ndarray) -> dict[str, np.ndarray]:
    import torch

    from quakesat.models.train import head_outputs

    return head_outputs(net, (torch.from_numpy(tiles[start:start + 16]) for start in range(0, len(tiles), 16)))


def _train_samples(data: Path, task: int) -> list[Any]:
    """The training split's samples (their count sizes the int8 calibration; their event
    magnitudes are the constant baseline of magnitude skill)."""
    from quakesat.data.quakeset import QuakeSetFile, Task

    with QuakeSetFile(data) as qs:
        return qs.samples(Task(task), "train")


def _export_network(run: _Run, config: dict[str, Any], net: Any = None) -> Exported:
    """A quakesat network's folder, or ``net`` (a declared module, :func:`export_module`) with
    the ``config`` its contract gives."""
    import torch

    from quakesat.export.onnx_export import network_heads
    from quakesat.models.torch_data import input_preprocessing
    from quakesat.models.train import load_network

    opts = run.options
    if net is None:
        net, _ = load_network(run.model_dir)
    preprocess = input_preprocessing(config["preprocess"])
    task = int(config["paper_task"])
    calibration = None
    scored_on = opts.selection_split
    train_samples = _train_samples(run.data, task)
    with run.timed("read_tiles"):
        if opts.int8:
            # at most half the training tiles: the other half stays for the fidelity set
            limit = min(opts.calibration_tiles, max(1, len(train_samples) // 2))
            calibration = read_tiles(run.data, task, "train", preprocess, limit, opts.seed)
        selection = read_tiles(run.data, task, opts.selection_split, preprocess, allow_empty=True)
        held_out = fidelity_tiles(run.data, task, opts.split, preprocess, calibration, opts.limits.min_tiles,
                                  opts.fidelity_tiles, opts.seed)
    given_event = bool(config.get("magnitude_given_event", False))
    with run.timed("decision_calibration"):
        if len(selection):
            choice = choose_decision(ValidationHeads(_torch_heads(net, selection.tiles), selection.labels,
                                                     selection.magnitudes, selection.identical,
                                                     np.array([r.magnitude for r in train_samples if r.label == 1],
                                                              dtype=np.float64)),
                                     given_event, opts.false_alarm_rate)
            decision = choice.rule
            if choice.temperature != 1.0 and "event" in network_heads(net):
                net = fold_temperature(net, choice.temperature)
        else:
            decision = replace(DEFAULT_DECISION, magnitude_given_event=given_event)
    if not len(selection):
        selection, scored_on = calibration, "train"
    reference = _torch_heads(net, held_out.tiles)
    heads = network_heads(net)
    ctx = NetworkContext(
        net=net, heads=heads, tile_shape=tuple(config["input_shape"]), out=run.staging,
        calibration_tiles=None if calibration is None else calibration.tiles,
        selection_tiles=None if selection is None else selection.tiles,
        selection_labels=None if selection is None else selection.labels,
        selection_magnitudes=None if selection is None else selection.magnitudes,
        selection_reference=None if selection is None else _torch_heads(net, selection.tiles),
        decision=decision, calibration_methods=opts.calibration_methods, per_channel=opts.per_channel,
        try_float_stem=opts.try_float_stem, threads=opts.threads, timed=run.timed)
    artifacts = []
    for spec in NETWORK_FORMATS:
        if spec.format not in opts.formats or (spec.precision == "int8" and not opts.int8):
            continue
        with run.timed(spec.name.replace("-", "_")):
            built = spec.build(ctx, run.staging / spec.filename)
        artifacts.append(run.artifact(spec.name, spec.filename, spec.format, spec.precision, spec.layout,
                                      spec.outputs(heads, built.offsets), quantization=built.quantization,
                                      delegate=spec.delegate, batch=spec.batch))
    threads = torch.get_num_threads()
    torch.set_num_threads(opts.threads)
    try:
        reference_ms = _ms_per_tile(lambda x: net(torch.from_numpy(x)), held_out.tiles)
    finally:
        torch.set_num_threads(threads)
    report: dict[str, Any] = {"graph": ctx.graph, "validation": config.get("validation")}
    if ctx.calibration_report is not None and calibration is not None:
        report["calibration"] = {"split": "train", "tiles": int(len(calibration.tiles)),
                                 "positives": int(calibration.labels.sum()), "scored_on": scored_on,
                                 **ctx.calibration_report}
    model = ModelInfo(str(config["train"]["model"]), "cnn", task, tuple(heads))
    return Exported(model, preprocess, decision, artifacts, reference, "torch", reference_ms, held_out, report)


def _export_shallow(run: _Run, config: dict[str, Any]) -> Exported:
    from sklearn.svm import SVC

    from quakesat.export.onnx_export import export_shallow_onnx
    from quakesat.models.shallow import load_shallow_with_info, single_threaded
    from quakesat.runtime.features import flat_features

    if "onnx" not in run.options.formats:
        raise ExportError("a shallow model exports to ONNX only (skl2onnx); add onnx to --formats")
    pipeline, info = load_shallow_with_info(run.model_dir / "model.joblib")
    preprocess = PreprocessConfig.from_dict(info["preprocess"])
    held_out = fidelity_tiles(run.data, int(info["task"]), run.options.split, preprocess, None,
                              run.options.limits.min_tiles, run.options.fidelity_tiles, run.options.seed)
    features = flat_features(held_out.tiles)
    regression = bool(info["regression"])
    with run.timed("onnx_fp32"):
        outputs = export_shallow_onnx(pipeline, features.shape[1], run.staging / "model.onnx", regression)
    artifact = run.artifact("onnx-fp32", "model.onnx", "onnx", "fp32", "features",
                            {head: OutputRef(**ref) for head, ref in outputs.items()})
    notes = []
    if run.options.int8:
        notes.append("int8: not applicable to scikit-learn pipelines here (trees and kernel machines "
                     "run in float in onnxruntime's ML operators); exported fp32 only")
    estimator = pipeline.steps[-1][1]
    if regression:
        reference = {"magnitude": pipeline.predict(features).astype(np.float32)}
    elif isinstance(estimator, SVC):
        scores = pipeline.decision_function(features)
        reference = {"event": (1.0 / (1.0 + np.exp(-scores))).astype(np.float32)}
    else:
        reference = {"event": pipeline.predict_proba(features)[:, 1].astype(np.float32)}
    single_threaded(pipeline)
    reference_ms = _ms_per_tile(lambda x: pipeline.predict(flat_features(x)), held_out.tiles)
    model = ModelInfo(str(config["model"]), "shallow", int(config["paper_task"]),
                      tuple(h for h in HEADS if h in reference))
    return Exported(model, preprocess, DEFAULT_DECISION, [artifact], reference, "scikit-learn", reference_ms, held_out,
                    {"notes": notes})


def _export_rule(run: _Run, config: dict[str, Any]) -> Exported:
    from quakesat.models.log_ratio import RULE_FILE
    from quakesat.runtime.rules import RuleBackend

    preprocess = PreprocessConfig.from_dict(config["preprocess"])
    held_out = fidelity_tiles(run.data, int(config["paper_task"]), run.options.split, preprocess, None,
                              run.options.limits.min_tiles, run.options.fidelity_tiles, run.options.seed)
    source = run.model_dir / RULE_FILE
    if not source.is_file():
        raise ModelNotFoundError(f"{source}: the rule file is missing; "
                                 "train it with `quakesat train --model log-ratio`")
    shutil.copyfile(source, run.staging / "model.rule.json")
    artifact = run.artifact("rule", "model.rule.json", "rule", "fp32", "NCHW", {"event": OutputRef("event")})
    backend = RuleBackend(source)
    reference = backend.run(held_out.tiles)
    reference_ms = _ms_per_tile(backend.run, held_out.tiles)
    model = ModelInfo(str(config["model"]), "rule", int(config["paper_task"]), ("event",))
    return Exported(model, preprocess, DEFAULT_DECISION, [artifact], reference, "numpy rule", reference_ms, held_out,
                    {"rule": config.get("rule"), "validation": config.get("validation")})


FAMILIES = {"cnn": _export_network, "shallow": _export_shallow, "rule": _export_rule}


def _input_spec(model: ModelInfo, preprocess: PreprocessConfig | InterferogramConfig,
                tile_shape: tuple[int, ...]) -> InputSpec:
    shape = (int(tile_shape[0]), int(tile_shape[1]), int(tile_shape[2]))
    if isinstance(preprocess, InterferogramConfig):  # a same-track pair, formed on board
        return InputSpec(shape[-1] * preprocess.looks, 2, shape, "float32", INTERFEROGRAM_CHANNELS, SAME_TRACK)
    images = 2 if model.paper_task in BITEMPORAL_TASKS else 1
    which = ("first", "second") if images == 2 else ("image",)
    channels = [f"{image} {band}" for image in which for band in BANDS]
    return InputSpec(shape[-1] * preprocess.downsample, images, shape, "float32", tuple(channels), AMPLITUDE)


def _score(manifest: Manifest, staging: Path, exported: Exported, options: ExportOptions) -> tuple[
        Manifest, dict[str, dict[str, np.ndarray]]]:
    """Open every artifact from the staged manifest and score it against the reference."""
    outputs: dict[str, dict[str, np.ndarray]] = {}
    held_out = exported.held_out
    for artifact in manifest.artifacts:
        model = ExportedModel.open(staging, artifact.name, threads=options.threads)
        outputs[artifact.name] = model.heads(held_out.tiles)
        fidelity = compare(exported.reference, outputs[artifact.name], held_out.labels, manifest.decision)
        manifest = manifest.with_artifact(replace(
            artifact, fidelity=fidelity, gate_failures=tuple(gate_failures(fidelity, options.limits)),
            latency_ms=_ms_per_tile(model.heads, held_out.tiles)))
    return manifest, outputs


#: An int8 artifact is the default only where it takes at most this share of the fastest fp32
#: one's time: single-tile latencies on a shared machine move by several per cent between runs.
INT8_SPEEDUP = 0.9
#: Formats the Python flight runtime opens without torch (ExecuTorch's Python bindings need it).
PYTHON_FLIGHT_FORMATS = ("onnx", "tflite", "rule")


def choose_defaults(artifacts: tuple[Artifact, ...]) -> tuple[str, str | None, dict[str, Any]]:
    """Each runtime's default: the fastest artifact (measured ``latency_ms``) that passed the
    fidelity gate; for the Python runtime among :data:`PYTHON_FLIGHT_FORMATS`, for the C++
    runner among the ``.pte`` programs. Where none passed, the
    first fp32 artifact (the reference's twin) so that a runtime never defaults to a failed
    int8 model. Returns (python, cpp, report)."""

    def fastest(candidates: list[Artifact]) -> Artifact | None:
        passed = [a for a in candidates if a.passed_gate and a.latency_ms is not None]
        if passed:  # int8 must win by more than the timing noise to be preferred over fp32
            return min(passed, key=lambda a: (a.latency_ms / (INT8_SPEEDUP if a.precision == "int8" else 1.0),
                                              a.bytes))
        return next((a for a in candidates if a.precision == "fp32"), candidates[0] if candidates else None)

    python = fastest([a for a in artifacts if a.format in PYTHON_FLIGHT_FORMATS]) or fastest(list(artifacts))
    cpp = fastest([a for a in artifacts if a.format == "pte"])
    report = {
        "rule": "per runtime, the fastest artifact that passed the fidelity gate (median ms per tile, model "
                f"only, measured here at export; an int8 one must take at most {INT8_SPEEDUP:.0%} of the time to "
                "count as faster); the Python flight runtime runs ONNX, TFLite and rule files "
                "without torch (ExecuTorch's Python runtime needs torch), the C++ runner .pte programs only",
        "measured_ms": {a.name: a.latency_ms for a in artifacts},
        "passed": [a.name for a in artifacts if a.passed_gate],
        "python": python.name if python else None, "cpp": cpp.name if cpp else None,
    }
    return (python.name if python else artifacts[0].name), (cpp.name if cpp else None), report


def _publish(staging: Path, out: Path, manifest: Manifest) -> None:
    """Move the staged files into ``out``: stale artifacts out, new ones in, manifest last."""
    for stale in [*out.glob("model.*"), out / MANIFEST_NAME, *(out / name for name in REPORT_FILES)]:
        stale.unlink(missing_ok=True)
    for artifact in manifest.artifacts:
        (staging / artifact.path).replace(out / artifact.path)
    for name in REPORT_FILES:
        if (staging / name).exists():
            (staging / name).replace(out / name)
    (staging / MANIFEST_NAME).replace(out / MANIFEST_NAME)


def export_model(model_dir: str | Path, data: str | Path, out: str | Path,
                 options: ExportOptions = ExportOptions()) -> Manifest:
    """Export the model in ``model_dir``; write artifacts, ``manifest.json``, ``fidelity.md``
    and ``fidelity.png`` into ``out``.

    Returns:
        The manifest, as written (its ``folder`` is ``out``).

    Raises:
        ModelNotFoundError: no trained model in ``model_dir``.
        ConfigError: an unknown model family, or a split without samples.
        ExportError: an exporter failed or is not installed.
        FidelityGateError: an artifact failed the gate (everything is still written).
    """
    model_dir, data, out = Path(model_dir), Path(data), Path(out)
    config = read_model_config(model_dir)  # ModelNotFoundError / ConfigError, one line each
    if config.family not in FAMILIES:
        raise ConfigError(f"{model_dir}: unknown model family {config.family!r}; expected one of {sorted(FAMILIES)}")
    return _export(lambda run: FAMILIES[config.family](run, config.values), model_dir, str(model_dir), data, out,
                   options)


def export_module(module: Any, contract: Any, data: str | Path, out: str | Path,
                  options: ExportOptions = ExportOptions()) -> Manifest:
    """Export any torch module whose contract is declared (:mod:`quakesat.models.declared`):
    the same artifacts, calibration, gate and manifest as a quakesat network's
    (:func:`export_model`), judged on ``data``'s splits. docs/own_model.md is the tutorial.

    Args:
        module: a ``torch.nn.Module`` with its trained weights.
        contract: its :class:`~quakesat.models.declared.ModelContract`.
        data: an ``earthquakes.h5`` whose tiles the contract's input fits.
        out: the artifacts folder to write.
        options: as for :func:`export_model`.

    Returns:
        The manifest, as written.

    Raises:
        ConfigError: the module does not give what the contract declares, or the data's tiles
            are not of the contract's side.
        ExportError, FidelityGateError: as for :func:`export_model`.
    """
    from quakesat.models.declared import DeclaredNetwork

    net = DeclaredNetwork(module, contract).eval()
    config = contract.export_config()
    data = Path(data)
    _check_side(data, contract)
    return _export(lambda run: _export_network(run, config, net), None, f"torch module {contract.name}",
                   data, Path(out), options)


def _check_side(data: Path, contract: Any) -> None:
    """A contract for ``side`` px tiles against the file's first tile of the contract's kind."""
    from quakesat.data.quakeset import QuakeSetFile, Task

    with QuakeSetFile(data) as qs:
        refs = qs.samples(Task(contract.paper_task), None)
        if contract.input == "interferometric":
            shapes = (qs.same_track_shape(ref) for ref in refs)
            shape = next((s for s in shapes if s is not None), None)
        else:
            shape = qs.image_shape(refs[0].event_id, refs[0].patch)[:2] if refs else None
    if shape is None:
        raise ConfigError(f"{data}: no {contract.input} tiles to export {contract.name} with")
    if tuple(shape) != (contract.side, contract.side):
        raise ConfigError(f"{data}: its tiles are {shape[0]} x {shape[1]} px; the contract of {contract.name} "
                          f"says {contract.side} x {contract.side}")


def _export(produce: Any, model_dir: Path | None, source: str, data: Path, out: Path, options: ExportOptions) -> Manifest:
    """The export of one model (``produce``: a family's exporter on the run) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out) as staging_name:
        staging = Path(staging_name)
        run = _Run(model_dir, data, staging, options)
        exported = produce(run)
        spec = _input_spec(exported.model, exported.preprocess, exported.held_out.tiles.shape[1:])
        manifest = Manifest(
            model=exported.model, preprocess=exported.preprocess, input=spec, decision=exported.decision,
            gate=GateSpec("none" if spec.kind == SAME_TRACK else "changed_share", 0.0, None),
            locate=LocateSpec("centre", None),
            artifacts=tuple(exported.artifacts),
            default_artifact=next((a.name for a in exported.artifacts if a.format == "onnx" and a.precision == "int8"),
                                  exported.artifacts[0].name),
            quakesat_version=__version__, created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            report={}, folder=staging)
        write_manifest(manifest, staging)
        with run.timed("score_artifacts"):
            manifest, outputs = _score(manifest, staging, exported, options)
        if manifest.input.kind == SAME_TRACK:
            with run.timed("onboard_calibration"):
                fp32 = next(a.name for a in manifest.artifacts if a.precision == "fp32")
                calibrated = calibrate_same_track(data, options.selection_split,
                                                  model=ExportedModel.open(staging, fp32, threads=options.threads))
            manifest = replace(manifest, gate=calibrated.gate, locate=calibrated.locate)
        elif manifest.input.bitemporal:
            with run.timed("onboard_calibration"):
                fp32 = next(a.name for a in manifest.artifacts if a.precision == "fp32")
                calibrated = calibrate_onboard(data, options.selection_split, options.gate_max_missed,
                                               model=ExportedModel.open(staging, fp32, threads=options.threads))
            manifest = replace(manifest, gate=calibrated.gate, locate=calibrated.locate)
        report = {
            "source": source, **exported.report,
            "fidelity": {"split": options.split, "tiles": int(len(exported.held_out.tiles)), "data": str(data),
                         "tiles_note": exported.held_out.note,
                         "limits": asdict(options.limits), "reference": exported.reference_name},
            "latency": {"threads": options.threads, "reference_ms": exported.reference_ms,
                        "note": "median of single-tile runs after one warm-up; model only (no preprocessing)"},
            "seconds": round(time.perf_counter() - started, 1), "stage_seconds": run.seconds,
        }
        python_default, cpp_default, report["defaults"] = choose_defaults(manifest.artifacts)
        manifest = replace(manifest, report=report, default_artifact=python_default,
                           cpp_default_artifact=cpp_default)
        write_manifest(manifest, staging)
        write_report(staging / "fidelity.md", manifest)
        plot_scatter(staging / "fidelity.png", exported.reference, outputs)
        _publish(staging, out, manifest)
    manifest = replace(manifest, folder=out)
    failed = {a.name: a.gate_failures for a in manifest.artifacts if a.gate_failures}
    if failed:
        raise FidelityGateError(f"{out}: fidelity gate failed for " +
                                "; ".join(f"{name}: {', '.join(why)}" for name, why in failed.items()) +
                                f" (details in {out / 'fidelity.md'})", manifest=manifest)
    return manifest
