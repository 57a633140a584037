"""Fuzz the model manifest reader (:mod:`quakesat.runtime.manifest`) with atheris.

    python tests/fuzz/fuzz_manifest.py tests/fuzz/corpus/manifest -max_total_time=20

An input is read two ways. As a whole ``manifest.json``, read with
:func:`~quakesat.runtime.manifest.load_manifest` as the runtime reads it. And as a list of
edits to a valid manifest (the tiny model's or the shared vectors' base case): each edit
replaces a value by one of the awkward values the rules draw lines at, or by a copy of
another part of the manifest, deletes it, or adds an unknown key; the edited manifest is
read from its JSON text. Random bytes seldom stay JSON, the edits always do, so the checks
behind the JSON (ranges, consistency, their order) are reached too. The contract checked
on both (a violation raises, which is a crash):

- a bad manifest raises ``ManifestError`` with the dotted path of its field, never another
  exception; ``read_manifest_text`` on the decoded text names the same field;
- a manifest that reads has its numbers in range: the event threshold and the gate
  threshold in [0, 1], the least magnitude in [0, the message's largest], a positive
  floor and band spreads, a clip window low < high, all finite; a tile shape that fits the
  raw side, the multilook and the image count; artifacts with distinct names, every head
  mapped, the defaults among them (the C++ one a ``.pte``), a 16-bit model id each;
- it writes back: its ``to_dict`` as strict JSON reads as an equal manifest (what
  ``write_manifest`` relies on).

Importable without atheris (``tests/fuzz/test_fuzz_regressions.py`` replays the corpus
through :func:`TestOneInput`); only a run as a script instruments and fuzzes.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

FUZZING = __name__ == "__main__"
if FUZZING:
    import atheris

with atheris.instrument_imports(include=["quakesat"]) if FUZZING else contextlib.nullcontext():
    from quakesat.errors import ManifestError
    from quakesat.runtime.interferogram import InterferogramConfig
    from quakesat.runtime.manifest import MANIFEST_NAME, Manifest, load_manifest, read_manifest_text
    from quakesat.runtime.message import MAGNITUDE_MAX

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors"
_folder: Path | None = None
#: The valid manifests the edits start from.
BASES: tuple[dict[str, Any], ...] = (
    json.loads((VECTORS / "tiny_model" / MANIFEST_NAME).read_text(encoding="utf-8")),
    next(case["manifest"] for case in map(json.loads, (VECTORS / "manifests.jsonl").read_text(encoding="utf-8")
                                                   .splitlines()) if case["case"] == "base"),
    json.loads((VECTORS / "tiny_insar_model" / MANIFEST_NAME).read_text(encoding="utf-8")),
)
#: At most this many edits, while the manifest has at most this many values (a copy may double it).
MAX_EDITS = 16
MAX_NODES = 5000
#: Values an edit may put anywhere: the edges of the reader's ranges, the names it knows,
#: the wrong types.
AWKWARD: tuple[Any, ...] = (
    None, True, False, 0, 1, 2, 3, 4, 5, 6, -1, 4096, 4097, 2 ** 63, 2 ** 64 - 1, -2 ** 63,
    0.0, -0.0, 0.5, 1.0, 1.0000001, -1e-300, 5e-324, 655.35, 655.36, 1e308, "", "x", "0", "00", "1", "2",
    "onnx", "tflite", "pte", "rule", "fp32", "int8", "NCHW", "NHWC", "features", "identity", "label", "sigmoid",
    "cnn", "shallow", "db", "linear", "float32", "changed_share", "centre", "change", "head", "../x", "a\\b",
    "C:x", "/x", "0" * 64, "f" * 64, "A" * 64, [], {}, [0], [1.0, 0.0], [4, 32, 32], [2, 32, 32], ["event"],
    ["magnitude", "event"], ["event", "magnitude", "location"], {"x": 1},
)


def _scratch() -> Path:
    """The manifest file every input is written to (a folder made once per process)."""
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="quakesat-fuzz-manifest-"))
        atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    return _folder / MANIFEST_NAME


def _within(value: object, low: float, high: float, what: str, low_open: bool = False) -> None:
    assert type(value) is float and math.isfinite(value), f"{what} = {value!r}, not a finite float"
    assert (low < value if low_open else low <= value) and value <= high, f"{what} = {value} outside [{low}, {high}]"


def _check(manifest: Manifest) -> None:
    """The ranges and consistency of a manifest that was read."""
    decision, pre, spec = manifest.decision, manifest.preprocess, manifest.input
    _within(decision.event_threshold, 0.0, 1.0, "decision.event_threshold")
    _within(decision.magnitude_min, 0.0, MAGNITUDE_MAX, "decision.magnitude_min")
    _within(manifest.gate.threshold, 0.0, 1.0, "gate.threshold")
    channels, side, width = spec.tile_shape
    if isinstance(pre, InterferogramConfig):  # a same-track model: the interferogram's block
        assert spec.kind == "same_track" and manifest.gate.statistic == "none" and manifest.gate.threshold == 0.0
        assert pre.looks >= 1 and channels == 3 and spec.images == 2 and side == width, f"tile shape {spec.tile_shape}"
        assert spec.raw_side == side * pre.looks, f"raw side {spec.raw_side}, {side} px x {pre.looks} looks"
        assert manifest.locate.method in ("centre", "head"), f"locate {manifest.locate.method}"
    else:
        assert spec.kind == "amplitude" and manifest.gate.statistic == "changed_share", f"kind {spec.kind}"
        _within(pre.floor_linear, 0.0, math.inf, "preprocess.floor_linear", low_open=True)
        for band, (spread, mean) in enumerate(zip(pre.std_db, pre.mean_db)):
            _within(spread, 0.0, math.inf, f"preprocess.std_db[{band}]", low_open=True)
            _within(mean, -math.inf, math.inf, f"preprocess.mean_db[{band}]")
        low, high = pre.clip_db
        _within(low, -math.inf, high, "preprocess.clip_db[0]")
        _within(high, low, math.inf, "preprocess.clip_db[1]")
        assert low < high, f"clip window {pre.clip_db}"
        assert channels == 2 * spec.images and side == width, f"tile shape {spec.tile_shape}, {spec.images} image(s)"
        assert spec.raw_side == side * pre.downsample, f"raw side {spec.raw_side}, {side} px x {pre.downsample}"
    names = manifest.artifact_names
    assert names and len(set(names)) == len(names), f"artifact names {names}"
    assert manifest.default_artifact in names, f"default {manifest.default_artifact!r} not in {names}"
    if manifest.cpp_default_artifact is not None:
        assert manifest.artifact(manifest.cpp_default_artifact).format == "pte", "the C++ default is no .pte"
    for artifact in manifest.artifacts:
        assert set(artifact.outputs) == set(manifest.heads), f"{artifact.name}: outputs {sorted(artifact.outputs)}"
        assert 0 <= artifact.model_id <= 0xFFFF, f"{artifact.name}: model id {artifact.model_id}"
        assert artifact.bytes >= 1, f"{artifact.name}: {artifact.bytes} bytes"


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside ``value`` (itself first), objects and lists included."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _nodes(child, (*path, index))
    return found


def _awkward(pick: int) -> Any:
    """A fresh copy of one of the awkward values (the lists and objects are edited in place later)."""
    return json.loads(json.dumps(AWKWARD[pick % len(AWKWARD)]))


def _edited(data: bytes) -> dict[str, Any]:
    """A base manifest with the edits ``data`` spells, four bytes each: the base (first
    byte), then per edit what to do, where, and with what (see :data:`MAX_EDITS`)."""
    manifest = json.loads(json.dumps(BASES[data[0] % len(BASES)] if data else BASES[0]))
    for at in range(1, min(len(data) - 3, 1 + 4 * MAX_EDITS), 4):
        op, where, what, extra = data[at:at + 4]
        nodes = _nodes(manifest)[1:]
        if not nodes or len(nodes) > MAX_NODES:  # everything deleted, or copies on copies
            break
        path = nodes[(where | extra << 8) % len(nodes)]
        parent = manifest
        for step in path[:-1]:
            parent = parent[step]
        if op % 4 == 0:
            parent[path[-1]] = _awkward(what)
        elif op % 4 == 1:
            source = manifest
            for step in nodes[(what | extra << 8) % len(nodes)]:
                source = source[step]
            parent[path[-1]] = json.loads(json.dumps(source))
        elif op % 4 == 2:
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[f"x{what}"] = _awkward(extra)
        else:
            parent.append(_awkward(what))
    return manifest


def _read(read: Callable[[], Manifest], refused_as: str | None = None) -> Manifest | None:
    """What ``read`` gives under the contract: a manifest in range, or None for a
    ``ManifestError`` with a field (``refused_as``: the one it must name, when known)."""
    try:
        manifest = read()
    except ManifestError as err:
        assert isinstance(err.field, str) and err.field, f"ManifestError without a field: {err}"
        assert refused_as is None or err.field == refused_as, f"refused at {err.field!r}, expected {refused_as!r}"
        return None
    _check(manifest)
    again = read_manifest_text(json.dumps(manifest.to_dict(), allow_nan=False))
    assert again == manifest, "the manifest written back reads differently"
    return manifest


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name libFuzzer and atheris use)
    """Check the manifest reader's contract on one input, as a file and as edits (see the module doc)."""
    path = _scratch()
    path.write_bytes(data)
    manifest = None
    try:
        manifest = load_manifest(path)
    except ManifestError as err:
        assert isinstance(err.field, str) and err.field, f"ManifestError without a field: {err}"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            assert err.field == "json", f"undecodable bytes refused at {err.field!r}"
        else:
            assert _read(lambda: read_manifest_text(text), err.field) is None, "the text reads, the file does not"
    if manifest is not None:
        _read(lambda: manifest)
    edited = json.dumps(_edited(data), allow_nan=False)
    _read(lambda: read_manifest_text(edited))


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if FUZZING:
    main()
