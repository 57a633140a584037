"""The model manifest: the typed contract between export and both flight runtimes.

``manifest.json`` sits beside the artifacts it describes. A runtime needs nothing else to run
a model: what the model is (:class:`ModelInfo`), the raw tile it takes and the tensor it
reads (:class:`InputSpec`), the preprocessing constants
(:class:`~quakesat.runtime.preprocess.PreprocessConfig`), the decision rule
(:class:`~quakesat.runtime.decision.DecisionRule`), the change gate (:class:`GateSpec`), the
location method (:class:`LocateSpec`) and, per artifact, its file, format, precision, SHA-256
and how its outputs map to the heads (:class:`Artifact`, :class:`OutputRef`). What export
measured on the way (fidelity, latency, calibration reports) is carried for people in
``report`` and in the artifacts' report fields; no runtime decision reads them.

This module is the only code that reads or writes the JSON. Reading is strict and runs the
same rules as the C++ runner (``cpp_runner/src/manifest.cpp``; the shared cases are
``tests/vectors/manifests.jsonl``): every field is required (``null`` where a field may be
empty, never a silent default), no unknown field is accepted, types and ranges are checked
(probabilities finite and inside [0, 1], shapes positive and consistent with the raw side,
the multilook and the image count, positional output indices inside the heads, artifact
names unique), and the first violation is raised as a
:class:`~quakesat.errors.ManifestError` whose ``field`` names it by its dotted path
(``decision.event_threshold``, ``artifacts[1].outputs.event.output``). The order of the
checks is part of the contract: the C++ reader names the same field for the same file.

Standard library and numpy only.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from quakesat.errors import ArtifactHashError, ManifestError, ModelNotFoundError
from quakesat.files import write_text_atomic
from quakesat.runtime.decision import DecisionRule
from quakesat.runtime.interferogram import CHANNELS as INTERFEROGRAM_CHANNELS
from quakesat.runtime.interferogram import INTERFEROMETRIC_VERSION, InterferogramConfig
from quakesat.runtime.message import MAGNITUDE_MAX, model_id_from_sha256
from quakesat.runtime.preprocess import BANDS, SUPPORTED_PREPROCESS_VERSIONS, PreprocessConfig
from quakesat.runtime.regular_file import open_regular, read_regular
from quakesat.runtime.strict_json import parse_strict_json
from quakesat.runtime.tile import AMPLITUDE, SAME_TRACK, TILE_KINDS

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "quakesat-manifest"
#: Bumped whenever a field changes meaning; readers refuse every other version.
#: 2: typed blocks, every field required, gate/locate required, ``magnitude_given_event``
#: moved into ``decision``, reports moved under ``report``.
#: 3: ``decision`` gains ``magnitude_informative`` and the ``operating_point``, ``calibration``
#: and ``magnitude_skill`` reports; ``default_artifact`` became ``default_artifacts`` (one per runtime).
#: 4: ``input`` gains ``kind`` (the tile kind the model takes); a same-track model's
#: ``preprocess`` is the interferogram's block (``version`` 3, ``looks``) and its gate statistic
#: is ``none``.
MANIFEST_VERSION = 4
#: Model families: a torch network, a scikit-learn pipeline, a fixed rule (the log-ratio baseline).
FAMILIES = ("cnn", "shallow", "rule")
#: The QuakeSet paper's tasks: 1 / 2 bitemporal detection / magnitude, 5 / 6 single image.
PAPER_TASKS = (1, 2, 5, 6)
BITEMPORAL_TASKS = (1, 2)
#: Heads a model may have, in the order every list of them follows.
HEADS = ("event", "magnitude", "location")
#: Artifact formats and precisions the runtimes know.
FORMATS = ("onnx", "tflite", "pte", "rule")
PRECISIONS = ("fp32", "int8")
#: Formats whose outputs have no stable names: an output is its position, "0", "1", ...
POSITIONAL_FORMATS = ("tflite", "pte")
#: Input layouts each format may declare.
LAYOUTS = {"onnx": ("NCHW", "features"), "tflite": ("NHWC",), "pte": ("NCHW",), "rule": ("NCHW",)}
TRANSFORMS = ("identity", "label", "sigmoid")
#: ``changed_share``: the amplitude change gate; ``none``: no gate (a same-track model's: the
#: amplitude change statistic means nothing on a complex pair).
GATE_STATISTICS = ("changed_share", "none")
LOCATE_METHODS = ("centre", "change", "head")
#: Location methods a same-track model may declare (``change`` reads amplitude images).
SAME_TRACK_LOCATE_METHODS = ("centre", "head")
#: Largest tile side (raw or preprocessed) a manifest may declare: 4096 px, 128 MiB for a
#: float32 pair; QuakeSet's tiles are 512. Keeps a hostile manifest from sizing huge buffers.
MAX_SIDE = 4096
#: Largest manifest file either runtime reads (export writes a few kB; the C++ reader's
#: kMaxManifestBytes): a larger file, or anything but a regular file, is not read at all.
MAX_MANIFEST_BYTES = 16 << 20
#: Largest head bias an output reference may carry (its ``offset``): beyond it the sum is no
#: longer a float32 head value (1e300 rounds to infinity), so a manifest saying so is refused.
OUTPUT_OFFSET_MAX = 1e6

# Declared keys of every block, in the order they are checked (shared with the C++ reader).
TOP_KEYS = ("format", "version", "quakesat_version", "created", "model", "preprocess", "input", "decision",
            "gate", "locate", "artifacts", "default_artifacts", "report")
MODEL_KEYS = ("name", "family", "paper_task", "heads")
PREPROCESS_KEYS = ("version", "units", "floor_linear", "clip_db", "mean_db", "std_db", "downsample")
#: A same-track model's ``preprocess`` block (preprocessing version 3: the interferogram).
INTERFEROGRAM_KEYS = ("version", "looks")
INPUT_KEYS = ("kind", "raw_side", "images", "tile_shape", "dtype", "channels")
DECISION_KEYS = ("event_threshold", "magnitude_min", "magnitude_given_event", "magnitude_informative",
                 "operating_point", "calibration", "magnitude_skill")
#: The runtimes a manifest names a default artifact for: the Python runtime (any format) and
#: the C++ runner (ExecuTorch ``.pte`` only; null when the export has none).
DEFAULT_ARTIFACT_KEYS = ("python", "cpp")
GATE_KEYS = ("statistic", "threshold", "calibration")
LOCATE_KEYS = ("method", "calibration")
ARTIFACT_KEYS = ("name", "path", "format", "precision", "sha256", "bytes", "layout", "outputs", "quantization",
                 "delegate", "batch", "fidelity", "gate_failures", "latency_ms")
OUTPUT_KEYS = ("output", "column", "transform", "offset")

REEXPORT_HINT = "re-export the model: quakesat export --model-dir MODEL --data FILE --out DIR"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open_regular(path) as handle:  # a FIFO or device is refused, never read
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


# ─── the typed blocks ───────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class ModelInfo:
    """What the model is: its name, family, the paper task it solves and its heads."""

    name: str
    family: str
    paper_task: int
    heads: tuple[str, ...]


@dataclass(frozen=True)
class InputSpec:
    """The raw tile a model takes and the tensor it reads.

    Attributes:
        raw_side: side of the square raw images, pixels (``tile_shape[1] * downsample``, or
            ``* looks`` for a same-track pair).
        images: 2 for a bitemporal pair (first, second), 1 for the post-event image alone.
        tile_shape: ``[C, H, W]`` of one preprocessed tile: ``C = 2 * images`` for amplitude
            images, 3 for a same-track pair (:data:`~quakesat.runtime.interferogram.CHANNELS`).
        dtype: element type of the tensor (float32).
        channels: what each of the ``C`` channels holds.
        kind: the tile kind the model takes (:data:`~quakesat.runtime.tile.TILE_KINDS`):
            ``amplitude`` (``side x side x 2`` float32 sigma0 per image) or ``same_track`` (two
            ``side x side`` complex64 images, formed into an interferogram on board). A tile of
            another kind is ``WRONG_KIND``, its files unread.
    """

    raw_side: int
    images: int
    tile_shape: tuple[int, int, int]
    dtype: str
    channels: tuple[str, ...]
    kind: str = AMPLITUDE

    @property
    def bitemporal(self) -> bool:
        return self.images == 2


@dataclass(frozen=True)
class GateSpec:
    """The change gate: skip tiles whose ``statistic`` is below ``threshold`` (0: only
    pixel-identical pairs are skipped); ``calibration`` reports how export chose it."""

    statistic: str
    threshold: float
    calibration: dict[str, Any] | None = None


@dataclass(frozen=True)
class LocateSpec:
    """How a flagged tile's epicentre is placed (``centre``, ``change`` peak or location
    ``head``); ``calibration`` reports how export chose it."""

    method: str
    calibration: dict[str, Any] | None = None


@dataclass(frozen=True)
class OutputRef:
    """Where a head's value sits among an artifact's outputs.

    Attributes:
        output: the artifact's output name, or its position as text (``"0"``) where outputs
            have no stable names (TFLite, ExecuTorch).
        column: for a 2-D output, the column holding the value (None: the whole row).
        transform: ``identity``, ``label`` (a 0/1 class label used as probability) or
            ``sigmoid`` (a logit).
        offset: added to the value before the transform: a head bias that the exporter
            moved out of an int8 graph (y = Wz + b computed as (Wz) + b).
    """

    output: str
    column: int | None = None
    transform: str = "identity"
    offset: float = 0.0


@dataclass(frozen=True)
class Artifact:
    """One exported file, what a runtime needs to run it, and what export measured of it.

    Attributes:
        name, path, format, precision, sha256, bytes, layout, outputs: what a runtime reads.
        quantization: the int8 settings (None for fp32).
        delegate: the backend delegate inside the program (ExecuTorch: XNNPACK), if any.
        batch: the batch size the program is fixed to (None: any).
        fidelity, gate_failures, latency_ms: the fidelity gate's numbers and verdict and the
            measured latency (None / empty until export has scored the artifact).
    """

    name: str
    path: str
    format: str
    precision: str
    sha256: str
    bytes: int
    layout: str
    outputs: dict[str, OutputRef]
    quantization: dict[str, Any] | None = None
    delegate: str | None = None
    batch: int | None = None
    fidelity: dict[str, Any] | None = None
    gate_failures: tuple[str, ...] = ()
    latency_ms: float | None = None

    @property
    def model_id(self) -> int:
        """The 16-bit id that messages carry: the first two bytes of the SHA-256."""
        return model_id_from_sha256(self.sha256)

    @property
    def passed_gate(self) -> bool:
        """Scored by the fidelity gate and within its limits."""
        return self.fidelity is not None and not self.gate_failures


@dataclass(frozen=True)
class Manifest:
    """A validated ``manifest.json``; ``folder`` is where it was read from (None: in memory).
    ``preprocess`` is the amplitude preprocessing (versions 1 and 2) or, for a model taking
    same-track pairs, the interferogram's (version 3)."""

    model: ModelInfo
    preprocess: PreprocessConfig | InterferogramConfig
    input: InputSpec
    decision: DecisionRule
    gate: GateSpec
    locate: LocateSpec
    artifacts: tuple[Artifact, ...]
    default_artifact: str  # the Python runtime's default
    quakesat_version: str
    created: str
    report: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = field(default=None, compare=False)
    cpp_default_artifact: str | None = None  # the C++ runner's default (a .pte), None: the runner's own choice

    @property
    def heads(self) -> tuple[str, ...]:
        return self.model.heads

    @property
    def artifact_names(self) -> list[str]:
        return [a.name for a in self.artifacts]

    def artifact(self, name: str | None = None) -> Artifact:
        """The artifact called ``name`` (None: the manifest's default).

        Raises:
            ManifestError: no artifact of that name.
        """
        key = name or self.default_artifact
        for artifact in self.artifacts:
            if artifact.name == key:
                return artifact
        raise ManifestError(f"{self._where()}: no artifact {key!r}; it has {sorted(self.artifact_names)}",
                            field="artifacts")

    def artifact_path(self, artifact: Artifact) -> Path:
        return (self.folder or Path(".")) / artifact.path

    def verify(self, artifact: Artifact) -> Path:
        """Check that ``artifact``'s file exists and has the recorded SHA-256.

        Returns:
            Its path.

        Raises:
            ModelNotFoundError: the file is missing.
            ArtifactHashError: the hash differs (tampered, truncated or stale file).
        """
        path = self.artifact_path(artifact)
        try:
            actual = sha256_file(path)
        except OSError as err:  # missing, or not a regular file (a FIFO would hang the hash)
            raise ModelNotFoundError(f"{path}: artifact {artifact.name!r} listed in the manifest is missing or "
                                     f"unreadable ({err.strerror or err}); re-run `quakesat export`") from None
        if actual != artifact.sha256:
            raise ArtifactHashError(f"{path}: SHA-256 {actual[:16]}… differs from the manifest's "
                                    f"{artifact.sha256[:16]}…; refusing to load a tampered or stale artifact")
        return path

    def with_artifact(self, artifact: Artifact) -> Manifest:
        """A copy with the artifact of the same name replaced by ``artifact``."""
        return replace(self, artifacts=tuple(artifact if a.name == artifact.name else a for a in self.artifacts))

    def to_dict(self) -> dict[str, Any]:
        """The manifest as JSON types, every declared field present (see :func:`parse_manifest`)."""
        return {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "quakesat_version": self.quakesat_version,
            "created": self.created,
            "model": {"name": self.model.name, "family": self.model.family, "paper_task": self.model.paper_task,
                      "heads": list(self.model.heads)},
            "preprocess": _preprocess_to_dict(self.preprocess),
            "input": {"kind": self.input.kind, "raw_side": self.input.raw_side, "images": self.input.images,
                      "tile_shape": list(self.input.tile_shape), "dtype": self.input.dtype,
                      "channels": list(self.input.channels)},
            "decision": {"event_threshold": float(self.decision.event_threshold),
                         "magnitude_min": float(self.decision.magnitude_min),
                         "magnitude_given_event": bool(self.decision.magnitude_given_event),
                         "magnitude_informative": bool(self.decision.magnitude_informative),
                         "operating_point": self.decision.operating_point,
                         "calibration": self.decision.calibration,
                         "magnitude_skill": self.decision.magnitude_skill},
            "gate": {"statistic": self.gate.statistic, "threshold": float(self.gate.threshold),
                     "calibration": self.gate.calibration},
            "locate": {"method": self.locate.method, "calibration": self.locate.calibration},
            "artifacts": [_artifact_to_dict(a) for a in self.artifacts],
            "default_artifacts": {"python": self.default_artifact, "cpp": self.cpp_default_artifact},
            "report": self.report,
        }

    def _where(self) -> str:
        return str(self.folder / MANIFEST_NAME) if self.folder is not None else MANIFEST_NAME


def _preprocess_to_dict(config: PreprocessConfig | InterferogramConfig) -> dict[str, Any]:
    if isinstance(config, InterferogramConfig):
        return {"version": INTERFEROMETRIC_VERSION, "looks": int(config.looks)}
    return {key: config.to_dict()[key] for key in PREPROCESS_KEYS}


def _artifact_to_dict(a: Artifact) -> dict[str, Any]:
    return {
        "name": a.name, "path": a.path, "format": a.format, "precision": a.precision, "sha256": a.sha256,
        "bytes": a.bytes, "layout": a.layout,
        "outputs": {head: {"output": ref.output, "column": ref.column, "transform": ref.transform,
                           "offset": float(ref.offset)} for head, ref in a.outputs.items()},
        "quantization": a.quantization, "delegate": a.delegate, "batch": a.batch, "fidelity": a.fidelity,
        "gate_failures": list(a.gate_failures), "latency_ms": a.latency_ms,
    }


# ─── reading: one check at a time, each naming its field ────────────────────────────────
def _fail(path: str, detail: str) -> ManifestError:
    return ManifestError(f"{path}: {detail}", field=path)


def _block(value: Any, path: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """An object with exactly ``keys``: the first missing key in declared order, then the
    first unknown key in sorted order, is the error."""
    if not isinstance(value, dict):
        raise _fail(path or "manifest", "must be a JSON object")
    prefix = f"{path}." if path else ""
    for key in keys:
        if key not in value:
            raise _fail(prefix + key, "is missing")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise _fail(prefix + unknown[0], "is not a field of this manifest version")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _string(value: Any, path: str, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(path, f"must be a non-empty string, got {value!r}")
    if choices is not None and value not in choices:
        raise _fail(path, f"must be one of {list(choices)}, got {value!r}")
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, f"must be a string, got {value!r}")
    return value


def _integer(value: Any, path: str, low: int, high: int | None = None) -> int:
    if not _is_int(value):
        raise _fail(path, f"must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        raise _fail(path, f"must be in {low}..{'' if high is None else high}, got {value}")
    return int(value)


def _number(value: Any, path: str, low: float | None = None, high: float | None = None,
            low_open: bool = False) -> float:
    if not _is_number(value) or not math.isfinite(value):
        raise _fail(path, f"must be a finite number, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise _fail(path, f"must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and value > high:
        raise _fail(path, f"must be <= {high}, got {value}")
    return float(value)


def _numbers(value: Any, path: str, count: int) -> list[Any]:
    if not isinstance(value, list) or len(value) != count:
        raise _fail(path, f"must be a list of {count} numbers, got {value!r}")
    return value


def _optional_object(value: Any, path: str) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise _fail(path, f"must be a JSON object or null, got {type(value).__name__}")
    return value


def _read_model(value: Any) -> ModelInfo:
    raw = _block(value, "model", MODEL_KEYS)
    name = _string(raw["name"], "model.name")
    family = _string(raw["family"], "model.family", FAMILIES)
    task = _integer(raw["paper_task"], "model.paper_task", 1, 6)
    if task not in PAPER_TASKS:
        raise _fail("model.paper_task", f"must be one of {list(PAPER_TASKS)}, got {task}")
    heads = raw["heads"]
    if not isinstance(heads, list) or not heads or any(not isinstance(h, str) for h in heads):
        raise _fail("model.heads", f"must be a non-empty list of head names, got {heads!r}")
    if any(h not in HEADS for h in heads) or len(set(heads)) != len(heads) or \
            heads != sorted(heads, key=HEADS.index):
        raise _fail("model.heads", f"must be distinct heads of {list(HEADS)} in that order, got {heads!r}")
    return ModelInfo(name, family, task, tuple(heads))


#: Every preprocessing version a manifest may declare: the amplitude pair's and the interferogram's.
MANIFEST_PREPROCESS_VERSIONS = (*SUPPORTED_PREPROCESS_VERSIONS, INTERFEROMETRIC_VERSION)


def _read_preprocess(value: Any) -> PreprocessConfig | InterferogramConfig:
    """The ``preprocess`` block: ``version`` first (it says which block this is), then the
    block's keys (:data:`PREPROCESS_KEYS`, or :data:`INTERFEROGRAM_KEYS` for version 3)."""
    if not isinstance(value, dict):
        raise _fail("preprocess", "must be a JSON object")
    if "version" not in value:
        raise _fail("preprocess.version", "is missing")
    version = _integer(value["version"], "preprocess.version", 0)
    if version not in MANIFEST_PREPROCESS_VERSIONS:
        raise _fail("preprocess.version", f"preprocessing version {version}; this runtime implements versions "
                                          f"{', '.join(map(str, MANIFEST_PREPROCESS_VERSIONS))}: {REEXPORT_HINT}")
    if version == INTERFEROMETRIC_VERSION:
        raw = _block(value, "preprocess", INTERFEROGRAM_KEYS)
        return InterferogramConfig(looks=_integer(raw["looks"], "preprocess.looks", 1, MAX_SIDE))
    raw = _block(value, "preprocess", PREPROCESS_KEYS)
    units = _string(raw["units"], "preprocess.units", ("linear", "db"))
    floor = _number(raw["floor_linear"], "preprocess.floor_linear", 0.0, low_open=True)
    clip = [_number(v, f"preprocess.clip_db[{i}]") for i, v in enumerate(_numbers(raw["clip_db"],
                                                                                  "preprocess.clip_db", 2))]
    if not clip[0] < clip[1]:
        raise _fail("preprocess.clip_db", f"must be [low, high] with low < high, got {clip}")
    mean = [_number(v, f"preprocess.mean_db[{i}]") for i, v in enumerate(_numbers(raw["mean_db"],
                                                                                  "preprocess.mean_db", len(BANDS)))]
    std = [_number(v, f"preprocess.std_db[{i}]", 0.0, low_open=True)
           for i, v in enumerate(_numbers(raw["std_db"], "preprocess.std_db", len(BANDS)))]
    downsample = _integer(raw["downsample"], "preprocess.downsample", 1, MAX_SIDE)
    if version == 2 and units == "db" and downsample > 1:
        raise _fail("preprocess.downsample", "preprocessing version 2 does not multilook dB inputs: "
                                             f"{REEXPORT_HINT}")
    return PreprocessConfig(units=units, floor_linear=floor, clip_db=(clip[0], clip[1]), mean_db=(mean[0], mean[1]),
                            std_db=(std[0], std[1]), downsample=downsample, version=version)


def _read_input(value: Any, model: ModelInfo, preprocess: PreprocessConfig | InterferogramConfig) -> InputSpec:
    raw = _block(value, "input", INPUT_KEYS)
    kind = _string(raw["kind"], "input.kind", TILE_KINDS)
    same_track = isinstance(preprocess, InterferogramConfig)
    if (kind == SAME_TRACK) != same_track:
        raise _fail("input.kind", f"{kind!r} does not fit preprocessing version "
                                  f"{INTERFEROMETRIC_VERSION if same_track else preprocess.version} (version "
                                  f"{INTERFEROMETRIC_VERSION} forms same-track pairs; 1 and 2 read amplitude images)")
    raw_side = _integer(raw["raw_side"], "input.raw_side", 1, MAX_SIDE)
    images = _integer(raw["images"], "input.images", 1, 2)
    shape = raw["tile_shape"]
    if not isinstance(shape, list) or len(shape) != 3:
        raise _fail("input.tile_shape", f"must be [C, H, W], got {shape!r}")
    dims = [_integer(v, f"input.tile_shape[{i}]", 1, MAX_SIDE) for i, v in enumerate(shape)]
    _string(raw["dtype"], "input.dtype", ("float32",))
    channels = raw["channels"]
    if not isinstance(channels, list) or any(not isinstance(c, str) for c in channels):
        raise _fail("input.channels", f"must be a list of channel names, got {channels!r}")
    if same_track and images != 2:
        raise _fail("input.images", f"a same-track pair is 2 images, got {images}")
    wanted = len(INTERFEROGRAM_CHANNELS) if same_track else len(BANDS) * images
    if dims[0] != wanted:
        raise _fail("input.tile_shape", f"{dims[0]} channels, but " + (
            f"an interferogram has {wanted}" if same_track else f"{images} image(s) of {len(BANDS)} bands make {wanted}"))
    if dims[1] != dims[2]:
        raise _fail("input.tile_shape", f"tiles are square, got {dims[1]} x {dims[2]}")
    factor = preprocess.looks if isinstance(preprocess, InterferogramConfig) else preprocess.downsample
    if raw_side % factor or raw_side // factor != dims[1]:
        raise _fail("input.raw_side", f"{raw_side} px multilooked by {factor} does not give the "
                                      f"tile's {dims[1]} px")
    if len(channels) != dims[0]:
        raise _fail("input.channels", f"names {len(channels)} channels, the tile has {dims[0]}")
    if same_track and list(channels) != list(INTERFEROGRAM_CHANNELS):
        raise _fail("input.channels", f"an interferogram's channels are {list(INTERFEROGRAM_CHANNELS)}, "
                                      f"got {channels!r}")
    if (images == 2) != (model.paper_task in BITEMPORAL_TASKS):
        raise _fail("input.images", f"{images} image(s) does not fit paper task {model.paper_task} "
                                    f"(tasks {list(BITEMPORAL_TASKS)} are bitemporal)")
    return InputSpec(raw_side, images, (dims[0], dims[1], dims[2]), "float32", tuple(channels), kind)


def _read_decision(value: Any, model: ModelInfo) -> DecisionRule:
    raw = _block(value, "decision", DECISION_KEYS)
    threshold = _number(raw["event_threshold"], "decision.event_threshold", 0.0, 1.0)
    magnitude_min = _number(raw["magnitude_min"], "decision.magnitude_min", 0.0, MAGNITUDE_MAX)
    given = raw["magnitude_given_event"]
    if not isinstance(given, bool):
        raise _fail("decision.magnitude_given_event", f"must be true or false, got {given!r}")
    if given and not {"event", "magnitude"} <= set(model.heads):
        raise _fail("decision.magnitude_given_event", "needs both an event and a magnitude head")
    informative = raw["magnitude_informative"]
    if not isinstance(informative, bool):
        raise _fail("decision.magnitude_informative", f"must be true or false, got {informative!r}")
    reports = [_optional_object(raw[key], f"decision.{key}")
               for key in ("operating_point", "calibration", "magnitude_skill")]
    return DecisionRule(threshold, magnitude_min, given, informative, *reports)


def _read_gate(value: Any, spec: InputSpec) -> GateSpec:
    raw = _block(value, "gate", GATE_KEYS)
    statistic = _string(raw["statistic"], "gate.statistic", GATE_STATISTICS)
    if (statistic == "none") != (spec.kind == SAME_TRACK):
        raise _fail("gate.statistic", f"a {spec.kind} model's gate is "
                                      f"{'none' if spec.kind == SAME_TRACK else 'changed_share'}, got {statistic!r}")
    threshold = _number(raw["threshold"], "gate.threshold", 0.0, 1.0)
    if statistic == "none" and threshold != 0.0:
        raise _fail("gate.threshold", f"no gate (statistic none) has threshold 0, got {threshold}")
    return GateSpec(statistic, threshold, _optional_object(raw["calibration"], "gate.calibration"))


def _read_locate(value: Any, model: ModelInfo, spec: InputSpec) -> LocateSpec:
    raw = _block(value, "locate", LOCATE_KEYS)
    method = _string(raw["method"], "locate.method", LOCATE_METHODS)
    if spec.kind == SAME_TRACK and method not in SAME_TRACK_LOCATE_METHODS:
        raise _fail("locate.method", f"a same_track model locates by {list(SAME_TRACK_LOCATE_METHODS)} "
                                     f"(change reads amplitude images), got {method!r}")
    if method == "head" and "location" not in model.heads:
        raise _fail("locate.method", "is 'head' but the model has no location head")
    return LocateSpec(method, _optional_object(raw["calibration"], "locate.calibration"))


def _read_output(value: Any, path: str, fmt: str, heads: tuple[str, ...]) -> OutputRef:
    raw = _block(value, path, OUTPUT_KEYS)
    output = _string(raw["output"], f"{path}.output")
    if fmt in POSITIONAL_FORMATS and _position(output) >= len(heads):
        raise _fail(f"{path}.output", f"a {fmt} output is a position 0..{len(heads) - 1}, got {output[:40]!r}")
    column = raw["column"]
    if column is not None:
        column = _integer(column, f"{path}.column", 0)
    transform = _string(raw["transform"], f"{path}.transform", TRANSFORMS)
    offset = _number(raw["offset"], f"{path}.offset", -OUTPUT_OFFSET_MAX, OUTPUT_OFFSET_MAX)
    return OutputRef(output, column, transform, offset)


def _position(output: str) -> int:
    """The value of a positional output (ASCII digits, leading zeros allowed); a huge number
    for anything else, so that it fails the range check."""
    if not output.isascii() or not output.isdigit():
        return 1 << 62
    digits = output.lstrip("0") or "0"
    return int(digits) if len(digits) <= 9 else 1 << 62


def _read_artifact(value: Any, index: int, heads: tuple[str, ...], names: set[str]) -> Artifact:
    path = f"artifacts[{index}]"
    raw = _block(value, path, ARTIFACT_KEYS)
    name = _string(raw["name"], f"{path}.name")
    if name in names:
        raise _fail(f"{path}.name", f"two artifacts are called {name!r}")
    file = _string(raw["path"], f"{path}.path")
    parts = file.replace("\\", "/").split("/")
    if file.startswith(("/", "\\")) or ".." in parts or ":" in file:
        raise _fail(f"{path}.path", f"must be a path relative to the manifest's folder, got {file!r}")
    fmt = _string(raw["format"], f"{path}.format", FORMATS)
    precision = _string(raw["precision"], f"{path}.precision", PRECISIONS)
    sha = raw["sha256"]
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise _fail(f"{path}.sha256", "must be 64 lowercase hex digits")
    size = _integer(raw["bytes"], f"{path}.bytes", 1)
    layout = _string(raw["layout"], f"{path}.layout", LAYOUTS[fmt])
    outputs_raw = _block(raw["outputs"], f"{path}.outputs", heads)
    outputs = {head: _read_output(outputs_raw[head], f"{path}.outputs.{head}", fmt, heads) for head in heads}
    quantization = _optional_object(raw["quantization"], f"{path}.quantization")
    delegate = raw["delegate"]
    if delegate is not None:
        delegate = _string(delegate, f"{path}.delegate")
    batch = raw["batch"]
    if batch is not None:
        batch = _integer(batch, f"{path}.batch", 1)
    fidelity = _optional_object(raw["fidelity"], f"{path}.fidelity")
    failures = raw["gate_failures"]
    if not isinstance(failures, list) or any(not isinstance(f, str) for f in failures):
        raise _fail(f"{path}.gate_failures", f"must be a list of strings, got {failures!r}")
    latency = raw["latency_ms"]
    if latency is not None:
        latency = _number(latency, f"{path}.latency_ms", 0.0)
    return Artifact(name, file, fmt, precision, sha, size, layout, outputs, quantization, delegate, batch, fidelity,
                    tuple(failures), latency)


def parse_manifest(raw: Any, folder: str | Path | None = None) -> Manifest:
    """Validate a manifest as read from JSON (see the module doc for the rules and their order).

    Raises:
        ManifestError: the first rule broken; ``field`` is its dotted path.
    """
    if not isinstance(raw, dict):
        raise _fail("manifest", "must be a JSON object")
    if raw.get("format") != MANIFEST_FORMAT:
        raise _fail("format", f"not a quakesat manifest (format {raw.get('format')!r})")
    version = raw.get("version")
    if not _is_int(version) or version != MANIFEST_VERSION:
        older = _is_int(version) and version < MANIFEST_VERSION
        raise _fail("version", f"manifest version {version!r}; this runtime reads version {MANIFEST_VERSION}"
                               + (f": {REEXPORT_HINT}" if older else ""))
    _block(raw, "", TOP_KEYS)
    quakesat_version = _text(raw["quakesat_version"], "quakesat_version")
    created = _text(raw["created"], "created")
    model = _read_model(raw["model"])
    preprocess = _read_preprocess(raw["preprocess"])
    spec = _read_input(raw["input"], model, preprocess)
    decision = _read_decision(raw["decision"], model)
    gate = _read_gate(raw["gate"], spec)
    locate = _read_locate(raw["locate"], model, spec)
    listed = raw["artifacts"]
    if not isinstance(listed, list) or not listed:
        raise _fail("artifacts", "must be a non-empty list")
    artifacts: list[Artifact] = []
    for index, entry in enumerate(listed):
        artifacts.append(_read_artifact(entry, index, model.heads, {a.name for a in artifacts}))
    defaults = _block(raw["default_artifacts"], "default_artifacts", DEFAULT_ARTIFACT_KEYS)
    default = _string(defaults["python"], "default_artifacts.python")
    if default not in {a.name for a in artifacts}:
        raise _fail("default_artifacts.python", f"{default!r} is not listed in artifacts")
    cpp_default = defaults["cpp"]
    if cpp_default is not None:
        cpp_default = _string(cpp_default, "default_artifacts.cpp")
        if cpp_default not in {a.name for a in artifacts if a.format == "pte"}:
            raise _fail("default_artifacts.cpp", f"{cpp_default!r} is not a .pte artifact of this manifest")
    report = raw["report"]
    if not isinstance(report, dict):
        raise _fail("report", "must be a JSON object")
    return Manifest(model, preprocess, spec, decision, gate, locate, tuple(artifacts), default, quakesat_version,
                    created, report, None if folder is None else Path(folder), cpp_default)


def read_manifest_text(text: str, folder: str | Path | None = None, where: str = MANIFEST_NAME) -> Manifest:
    """Parse and validate the text of a manifest.

    The text must be strict JSON (:mod:`quakesat.runtime.strict_json`: no NaN or Infinity,
    no byte-order mark, no duplicate key, no lone surrogate escape, integers within 64 bits,
    floats within a double, at most 64 levels of nesting); anything else is refused with
    field ``json``.

    Raises:
        ManifestError: not such JSON (field ``json``) or an invalid manifest.
    """
    try:
        raw = parse_strict_json(text)
    except ValueError as err:  # UnicodeError is a ValueError
        raise ManifestError(f"{where}: unreadable manifest ({err})", field="json") from None
    try:
        return parse_manifest(raw, folder)
    except ManifestError as err:
        raise ManifestError(f"{where}: {err}", field=err.field) from None


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate ``manifest.json`` (or the folder holding it).

    Raises:
        ModelNotFoundError: no manifest there.
        ManifestError: unreadable JSON or an invalid manifest.
    """
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_NAME
    if not path.is_file():
        raise ModelNotFoundError(f"{path}: no manifest; make one with `quakesat export --out DIR`")
    try:
        text = read_regular(path, MAX_MANIFEST_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ManifestError(f"{path}: unreadable manifest ({err})", field="json") from None
    return read_manifest_text(text, path.parent, str(path))


def write_manifest(manifest: Manifest, folder: str | Path) -> Path:
    """Validate ``manifest`` (by reading back what would be written) and write it whole into
    ``folder`` (a temporary file renamed into place). Returns the file's path.

    Raises:
        ManifestError: the manifest breaks a rule; nothing is written.
    """
    try:
        text = json.dumps(manifest.to_dict(), indent=2, allow_nan=False)
    except ValueError as err:  # a NaN or infinity somewhere in a report
        raise ManifestError(f"manifest cannot be written as strict JSON ({err})", field="json") from None
    read_manifest_text(text, folder)
    path = Path(folder) / MANIFEST_NAME
    write_text_atomic(path, text + "\n")
    return path
