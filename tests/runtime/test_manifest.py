"""The manifest reader is strict: every field it needs, one version, hashes that match."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from quakesat.errors import ArtifactHashError, ManifestError, ModelNotFoundError
from quakesat.runtime.manifest import (
    MANIFEST_FORMAT,
    MANIFEST_VERSION,
    OutputRef,
    load_manifest,
    parse_manifest,
)

PAYLOAD = b"not really a model, but bytes with a hash"


def _manifest(folder: Path) -> dict:
    (folder / "model.onnx").write_bytes(PAYLOAD)
    return {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "model": {"name": "toy", "heads": ["event"], "magnitude_given_event": False},
        "input": {"tile_shape": [4, 8, 8]},
        "preprocess": {"version": 1},
        "decision": {"event_threshold": 0.5, "magnitude_min": 1.0},
        "default_artifact": "onnx-fp32",
        "artifacts": [{"name": "onnx-fp32", "path": "model.onnx", "format": "onnx", "precision": "fp32",
                       "sha256": hashlib.sha256(PAYLOAD).hexdigest(), "outputs": {"event": {"output": "event"}},
                       "bytes": len(PAYLOAD)}],
    }


def _write(folder: Path, raw: dict) -> Path:
    (folder / "manifest.json").write_text(json.dumps(raw))
    return folder


def test_a_valid_manifest_loads_and_verifies(tmp_path: Path) -> None:
    raw = _manifest(tmp_path)
    manifest = load_manifest(_write(tmp_path, raw))
    artifact = manifest.artifact()
    assert artifact.name == "onnx-fp32" and artifact.outputs["event"] == OutputRef("event")
    assert artifact.model_id == int(raw["artifacts"][0]["sha256"][:4], 16)
    assert artifact.extra == {"bytes": len(PAYLOAD)}
    assert manifest.verify(artifact) == tmp_path / "model.onnx"
    assert manifest.tile_shape == [4, 8, 8] and manifest.heads == ["event"]


def test_one_changed_byte_fails_the_hash_check(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, _manifest(tmp_path)))
    (tmp_path / "model.onnx").write_bytes(PAYLOAD[:-1] + b"?")
    with pytest.raises(ArtifactHashError, match="tampered or stale"):
        manifest.verify(manifest.artifact())


def test_a_missing_artifact_or_manifest_is_reported_with_the_command_that_makes_it(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="quakesat export"):
        load_manifest(tmp_path)
    manifest = load_manifest(_write(tmp_path, _manifest(tmp_path)))
    (tmp_path / "model.onnx").unlink()
    with pytest.raises(ModelNotFoundError, match="missing"):
        manifest.verify(manifest.artifact())


@pytest.mark.parametrize("mutation, message", [
    (lambda m: m.update(format="something-else"), "not a quakesat manifest"),
    (lambda m: m.update(version=MANIFEST_VERSION + 1), "manifest version"),
    (lambda m: m.pop("decision"), "missing fields"),
    (lambda m: m["input"].pop("tile_shape"), "tile_shape"),
    (lambda m: m.update(artifacts=[]), "no artifacts"),
    (lambda m: m["artifacts"][0].pop("sha256"), "lacks or mistypes"),
    (lambda m: m["artifacts"][0].update(sha256="abc"), "valid SHA-256"),
    (lambda m: m["artifacts"][0].update(format="caffe"), "format"),
    (lambda m: m["artifacts"][0].update(path="../../etc/passwd"), "relative"),
    (lambda m: m["artifacts"][0].update(outputs={"colour": {"output": "x"}}), "unknown heads"),
    (lambda m: m.update(default_artifact="tflite-int8"), "not listed"),
    (lambda m: m["artifacts"].append(dict(m["artifacts"][0])), "two artifacts"),
])
def test_invalid_manifests_are_refused_with_the_reason(tmp_path: Path, mutation, message) -> None:
    raw = _manifest(tmp_path)
    mutation(raw)
    with pytest.raises(ManifestError, match=message):
        parse_manifest(raw, tmp_path)


def test_unreadable_json_is_a_manifest_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{ not json")
    with pytest.raises(ManifestError, match="unreadable"):
        load_manifest(tmp_path)


def test_unknown_artifact_names_list_the_known_ones(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, _manifest(tmp_path)))
    with pytest.raises(ManifestError, match="onnx-fp32"):
        manifest.artifact("tflite-int8")
