"""The manifest is a typed contract: every field checked at load, one version, hashes that match,
and the same verdict as the C++ reader on every shared case (tests/vectors/manifests.jsonl)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import pytest

from quakesat.errors import ArtifactHashError, ManifestError, ModelNotFoundError
from quakesat.runtime.manifest import (
    MANIFEST_VERSION,
    OutputRef,
    load_manifest,
    parse_manifest,
    read_manifest_text,
    write_manifest,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
CASES = [json.loads(line) for line in (VECTORS / "manifests.jsonl").read_text().splitlines()]
PAYLOAD = b"not really a model, but bytes with a hash"


def _generator():
    spec = importlib.util.spec_from_file_location("make_manifest_vectors", VECTORS / "make_manifest_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text(case: dict) -> str:
    if "text" in case:
        return case["text"]
    if "file" in case:
        return (VECTORS / case["file"]).read_text()
    return json.dumps(case["manifest"])


def _folder_with_model(folder: Path) -> Path:
    """A valid manifest whose first artifact is a real file with the recorded hash."""
    raw = _generator().base()
    raw["artifacts"] = raw["artifacts"][:1]
    raw["default_artifacts"]["cpp"] = None  # the .pte is gone
    raw["artifacts"][0].update(path="model.onnx", sha256=hashlib.sha256(PAYLOAD).hexdigest(), bytes=len(PAYLOAD))
    (folder / "model.onnx").write_bytes(PAYLOAD)
    (folder / "manifest.json").write_text(json.dumps(raw))
    return folder


# ─── the shared cases ───────────────────────────────────────────────────────────────────
def test_the_committed_cases_are_what_the_generator_writes() -> None:
    assert (VECTORS / "manifests.jsonl").read_text() == _generator().render()


def test_the_cases_cover_acceptance_and_every_block() -> None:
    valid = [c for c in CASES if c["valid"]]
    refused_blocks = {c["field"].split(".")[0].split("[")[0] for c in CASES if not c["valid"]}
    assert len(valid) >= 8 and len(CASES) - len(valid) >= 80
    assert {"json", "manifest", "format", "version", "model", "preprocess", "input", "decision", "gate", "locate",
            "artifacts", "default_artifacts", "report"} <= refused_blocks


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_each_case_gets_its_verdict_and_names_its_field(case: dict) -> None:
    if case["valid"]:
        read_manifest_text(_text(case))
        return
    with pytest.raises(ManifestError) as caught:
        read_manifest_text(_text(case))
    assert caught.value.field == case["field"]
    assert caught.value.field in str(caught.value) or case["field"] == "json"


def test_an_older_manifest_is_refused_with_the_command_that_re_exports_it() -> None:
    case = next(c for c in CASES if c["case"] == "version_1_is_refused_with_the_reexport_hint")
    with pytest.raises(ManifestError, match=r"version 1; this runtime reads version 4: re-export the model: "
                                            r"quakesat export --model-dir"):
        read_manifest_text(_text(case))


# ─── typed round trip and the writer ────────────────────────────────────────────────────
def test_to_dict_gives_back_the_manifest_it_was_read_from() -> None:
    for case in (c for c in CASES if c["valid"]):
        manifest = read_manifest_text(_text(case))
        assert parse_manifest(json.loads(json.dumps(manifest.to_dict()))) == manifest, case["case"]


def test_the_writer_refuses_a_manifest_that_breaks_a_rule_and_writes_nothing(tmp_path: Path) -> None:
    manifest = read_manifest_text(json.dumps(_generator().base()))
    broken = replace(manifest, decision=replace(manifest.decision, event_threshold=1.5))
    with pytest.raises(ManifestError) as caught:
        write_manifest(broken, tmp_path)
    assert caught.value.field == "decision.event_threshold" and not list(tmp_path.iterdir())
    nan_report = replace(manifest, report={"latency": float("nan")})
    with pytest.raises(ManifestError, match="strict JSON"):
        write_manifest(nan_report, tmp_path)
    path = write_manifest(manifest, tmp_path)
    assert load_manifest(path) == manifest and [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_typed_fields_are_what_the_file_says() -> None:
    manifest = load_manifest(VECTORS / "tiny_model")
    assert manifest.input.tile_shape == (4, 32, 32) and manifest.input.raw_side == 64 and manifest.input.bitemporal
    assert manifest.heads == ("event", "magnitude", "location") and manifest.decision.magnitude_given_event
    assert manifest.preprocess.downsample == 2 and manifest.gate.statistic == "changed_share"
    assert manifest.artifact("pte-int8").outputs["location"] == OutputRef("2")
    assert MANIFEST_VERSION == 4 and manifest.input.kind == "amplitude" and manifest.decision.operating_point["target_false_alarm_rate"] == 0.3
    passed = [a for a in manifest.artifacts if a.passed_gate]
    # each runtime's default is the fastest artifact that passed the gate (the C++ runner's: a .pte)
    assert manifest.default_artifact == min((a for a in passed if a.format != "pte"), key=lambda a: a.latency_ms).name
    assert manifest.cpp_default_artifact == min((a for a in passed if a.format == "pte"),
                                                key=lambda a: a.latency_ms).name


def test_a_same_track_manifest_reads_as_the_interferogram_it_takes() -> None:
    from quakesat.runtime.interferogram import InterferogramConfig

    case = next(c for c in CASES if c["case"] == "same_track_interferogram")
    manifest = read_manifest_text(_text(case))
    assert manifest.input.kind == "same_track" and manifest.preprocess == InterferogramConfig(looks=8)
    assert manifest.preprocess.version == 3 and manifest.input.tile_shape == (3, 32, 32)
    assert manifest.gate.statistic == "none" and manifest.to_dict()["preprocess"] == {"version": 3, "looks": 8}


# ─── hashes and files ───────────────────────────────────────────────────────────────────
def test_a_valid_manifest_loads_and_verifies(tmp_path: Path) -> None:
    manifest = load_manifest(_folder_with_model(tmp_path))
    artifact = manifest.artifact()
    assert artifact.model_id == int(hashlib.sha256(PAYLOAD).hexdigest()[:4], 16)
    assert manifest.verify(artifact) == tmp_path / "model.onnx"


def test_one_changed_byte_fails_the_hash_check(tmp_path: Path) -> None:
    manifest = load_manifest(_folder_with_model(tmp_path))
    (tmp_path / "model.onnx").write_bytes(PAYLOAD[:-1] + b"?")
    with pytest.raises(ArtifactHashError, match="tampered or stale"):
        manifest.verify(manifest.artifact())


def test_a_missing_artifact_or_manifest_is_reported_with_the_command_that_makes_it(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="quakesat export"):
        load_manifest(tmp_path)
    manifest = load_manifest(_folder_with_model(tmp_path))
    (tmp_path / "model.onnx").unlink()
    with pytest.raises(ModelNotFoundError, match="missing"):
        manifest.verify(manifest.artifact())


def test_unreadable_bytes_are_a_manifest_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(ManifestError, match="unreadable") as caught:
        load_manifest(tmp_path)
    assert caught.value.field == "json"


def test_unknown_artifact_names_list_the_known_ones(tmp_path: Path) -> None:
    manifest = load_manifest(_folder_with_model(tmp_path))
    with pytest.raises(ManifestError, match="onnx-int8"):
        manifest.artifact("tflite-int8")
