"""The model manifest (DESIGN §2.4): what an exported model is, read and checked on board.

``manifest.json`` sits beside the artifacts it describes. The runtime needs nothing else to
run a model: the input shape and layout, the preprocessing constants, the decision
thresholds, and for each artifact its path, format, precision, SHA-256 and how its outputs
map to the heads (``event`` probability, ``magnitude`` in mb, ``location`` offset).

Reading is strict: a missing field, another manifest version or a bad hash is an error
here, never a silent default, because a wrong constant on board means wrong messages.
Standard library only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quakesat.errors import ArtifactHashError, ManifestError, ModelNotFoundError
from quakesat.runtime.message import model_id_from_sha256

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "quakesat-manifest"
#: Bumped whenever a field changes meaning; readers refuse other versions.
MANIFEST_VERSION = 1
#: Artifact formats and precisions the runtime knows.
FORMATS = ("onnx", "tflite", "pte")
PRECISIONS = ("fp32", "int8")
#: Heads a model may have, and what each output means.
HEADS = ("event", "magnitude", "location")

_REQUIRED = ("format", "version", "model", "input", "preprocess", "decision", "artifacts")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class OutputRef:
    """Where a head's value sits among an artifact's outputs.

    Attributes:
        output: the artifact's output name (or its index, as text, where outputs have no
            stable names, e.g. TFLite).
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutputRef:
        return cls(str(data["output"]), data.get("column"), data.get("transform", "identity"),
                   float(data.get("offset", 0.0)))


@dataclass(frozen=True)
class Artifact:
    """One exported file and what the runtime needs to run it."""

    name: str
    path: str
    format: str
    precision: str
    sha256: str
    outputs: dict[str, OutputRef]
    layout: str = "NCHW"  # NCHW, NHWC, or "features" (a flat vector per tile)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model_id(self) -> int:
        """The 16-bit id that messages carry: the first two bytes of the SHA-256."""
        return model_id_from_sha256(self.sha256)


@dataclass(frozen=True)
class Manifest:
    """A parsed, validated ``manifest.json``; ``raw`` keeps every field as written."""

    folder: Path
    raw: dict[str, Any]
    artifacts: dict[str, Artifact]

    @property
    def heads(self) -> list[str]:
        return list(self.raw["model"]["heads"])

    @property
    def tile_shape(self) -> list[int]:
        """Shape ``[C, H, W]`` of one preprocessed tile, e.g. ``[4, 256, 256]``."""
        return list(self.raw["input"]["tile_shape"])

    @property
    def preprocess(self) -> dict[str, Any]:
        return dict(self.raw["preprocess"])

    @property
    def decision(self) -> dict[str, Any]:
        return dict(self.raw["decision"])

    @property
    def default_artifact(self) -> str:
        return str(self.raw.get("default_artifact") or next(iter(self.artifacts)))

    def artifact(self, name: str | None = None) -> Artifact:
        """The artifact called ``name`` (None: the manifest's default).

        Raises:
            ManifestError: no artifact of that name.
        """
        key = name or self.default_artifact
        if key not in self.artifacts:
            raise ManifestError(f"{self.folder / MANIFEST_NAME}: no artifact {key!r}; "
                                f"it has {sorted(self.artifacts)}")
        return self.artifacts[key]

    def artifact_path(self, artifact: Artifact) -> Path:
        return self.folder / artifact.path

    def verify(self, artifact: Artifact) -> Path:
        """Check that ``artifact``'s file exists and has the recorded SHA-256.

        Returns:
            Its path.

        Raises:
            ModelNotFoundError: the file is missing.
            ArtifactHashError: the hash differs (tampered, truncated or stale file).
        """
        path = self.artifact_path(artifact)
        if not path.is_file():
            raise ModelNotFoundError(f"{path}: artifact {artifact.name!r} listed in the manifest is missing; "
                                     "re-run `quakesat export`")
        actual = sha256_file(path)
        if actual != artifact.sha256:
            raise ArtifactHashError(f"{path}: SHA-256 {actual[:16]}… differs from the manifest's "
                                    f"{artifact.sha256[:16]}…; refusing to load a tampered or stale artifact")
        return path


def _artifact_from_dict(entry: dict[str, Any], where: str) -> Artifact:
    try:
        name, fmt, precision = str(entry["name"]), str(entry["format"]), str(entry["precision"])
        sha = str(entry["sha256"]).lower()
        outputs = {head: OutputRef.from_dict(ref) for head, ref in entry["outputs"].items()}
        artifact = Artifact(name, str(entry["path"]), fmt, precision, sha, outputs, str(entry.get("layout", "NCHW")),
                            {k: v for k, v in entry.items() if k not in
                             ("name", "path", "format", "precision", "sha256", "outputs", "layout")})
    except (KeyError, TypeError, AttributeError) as err:
        raise ManifestError(f"{where}: an artifact entry lacks or mistypes {err}") from None
    if fmt not in FORMATS or precision not in PRECISIONS:
        raise ManifestError(f"{where}: artifact {name!r} has format {fmt!r} / precision {precision!r}; "
                            f"known: {FORMATS} / {PRECISIONS}")
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ManifestError(f"{where}: artifact {name!r} has no valid SHA-256")
    if Path(artifact.path).is_absolute() or ".." in Path(artifact.path).parts:
        raise ManifestError(f"{where}: artifact {name!r} path {artifact.path!r} must be relative to the manifest")
    unknown = set(outputs) - set(HEADS)
    if unknown:
        raise ManifestError(f"{where}: artifact {name!r} maps unknown heads {sorted(unknown)}")
    return artifact


def parse_manifest(raw: dict[str, Any], folder: str | Path, where: str = MANIFEST_NAME) -> Manifest:
    """Validate a manifest dict (as :func:`load_manifest` does after reading the file).

    Raises:
        ManifestError: not a quakesat manifest, another version, or a missing field.
    """
    if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"{where}: not a quakesat manifest (format field {raw.get('format') if isinstance(raw, dict) else None!r})")
    if raw.get("version") != MANIFEST_VERSION:
        raise ManifestError(f"{where}: manifest version {raw.get('version')!r}; this runtime reads version "
                            f"{MANIFEST_VERSION}: re-export the model")
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise ManifestError(f"{where}: missing fields {missing}")
    for key in ("tile_shape",):
        if key not in raw["input"]:
            raise ManifestError(f"{where}: input lacks {key!r}")
    if not raw["artifacts"]:
        raise ManifestError(f"{where}: lists no artifacts")
    artifacts: dict[str, Artifact] = {}
    for entry in raw["artifacts"]:
        artifact = _artifact_from_dict(entry, where)
        if artifact.name in artifacts:
            raise ManifestError(f"{where}: two artifacts are called {artifact.name!r}")
        artifacts[artifact.name] = artifact
    manifest = Manifest(Path(folder), raw, artifacts)
    if raw.get("default_artifact") and raw["default_artifact"] not in artifacts:
        raise ManifestError(f"{where}: default artifact {raw['default_artifact']!r} is not listed")
    return manifest


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
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ManifestError(f"{path}: unreadable manifest ({err})") from None
    return parse_manifest(raw, path.parent, str(path))
