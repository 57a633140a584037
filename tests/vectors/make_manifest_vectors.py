"""Write ``tests/vectors/manifests.jsonl``: manifests both runtimes must accept or refuse alike.

    python tests/vectors/make_manifest_vectors.py

Each line is one case: ``case`` (a name), ``valid`` (the verdict), ``field`` (the dotted path
of the field a refusal must name; empty for a valid case) and the manifest as ``manifest``
(a JSON value), as ``text`` (raw text, for what is not JSON) or as ``file`` (a path relative
to this folder). pytest (``tests/runtime/test_manifest.py``) checks that the committed file is
what this script writes and that :func:`quakesat.runtime.manifest.read_manifest_text` gives
every verdict and field; ctest (``cpp_runner/tests/test_manifest.cpp``) checks the C++ reader
against the same file. Every invalid case breaks exactly one rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "manifests.jsonl"
SHA = "3f" * 32


def _output(name: str, column: int | None = None, transform: str = "identity", offset: float = 0.0) -> dict:
    return {"output": name, "column": column, "transform": transform, "offset": offset}


def _artifact(name: str, fmt: str, precision: str, layout: str, outputs: dict, **extra: Any) -> dict:
    entry = {"name": name, "path": f"model.{name}.{fmt}", "format": fmt, "precision": precision, "sha256": SHA,
             "bytes": 1234, "layout": layout, "outputs": outputs, "quantization": None, "delegate": None,
             "batch": None, "fidelity": None, "gate_failures": [], "latency_ms": None}
    entry.update(extra)
    return entry


def base() -> dict[str, Any]:
    """A valid multi-head bitemporal manifest with an ONNX and an ExecuTorch artifact."""
    heads = ["event", "magnitude", "location"]
    return {
        "format": "quakesat-manifest", "version": 4, "quakesat_version": "0.2.0", "created": "2026-11-29T00:00:00Z",
        "model": {"name": "quakelite", "family": "cnn", "paper_task": 1, "heads": heads},
        "preprocess": {"version": 2, "units": "linear", "floor_linear": 0.0001, "clip_db": [-35.0, 10.0],
                       "mean_db": [-12.0, -19.0], "std_db": [5.0, 5.0], "downsample": 2},
        "input": {"kind": "amplitude", "raw_side": 64, "images": 2, "tile_shape": [4, 32, 32], "dtype": "float32",
                  "channels": ["first VV", "first VH", "second VV", "second VH"]},
        "decision": {"event_threshold": 0.5, "magnitude_min": 1.0, "magnitude_given_event": True,
                     "magnitude_informative": True, "operating_point": {"target_false_alarm_rate": 0.01},
                     "calibration": None, "magnitude_skill": None},
        "gate": {"statistic": "changed_share", "threshold": 0.05, "calibration": {"split": "validation"}},
        "locate": {"method": "head", "calibration": None},
        "artifacts": [
            _artifact("onnx-int8", "onnx", "int8", "NCHW", {h: _output(h) for h in heads},
                      quantization={"method": "minmax"}, fidelity={"flag_agreement": 1.0}, latency_ms=0.5),
            _artifact("pte-int8", "pte", "int8", "NCHW", {h: _output(str(i)) for i, h in enumerate(heads)},
                      delegate="XnnpackBackend", batch=1),
        ],
        "default_artifacts": {"python": "onnx-int8", "cpp": "pte-int8"},
        "report": {"note": "reports are free-form"},
    }


Mutation = Callable[[dict[str, Any]], Any]


def _set(path: str, value: Any) -> Mutation:
    """Set the value at a dotted path (``a.b[1].c``) of the base manifest."""
    def apply(m: dict[str, Any]) -> None:
        *parents, last = _steps(path)
        target = m
        for step in parents:
            target = target[step]
        target[last] = value
    return apply


def _drop(path: str) -> Mutation:
    def apply(m: dict[str, Any]) -> None:
        *parents, last = _steps(path)
        target = m
        for step in parents:
            target = target[step]
        del target[last]
    return apply


def _steps(path: str) -> list[Any]:
    steps: list[Any] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            steps.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            steps.append(int(index))
            rest = rest.lstrip("[")
    return steps


def _all(*mutations: Mutation) -> Mutation:
    def apply(m: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(m)
    return apply


def _single_image(m: dict[str, Any]) -> None:
    m["model"].update(paper_task=5)
    m["input"].update(images=1, tile_shape=[2, 32, 32], channels=["image VV", "image VH"])


def _shallow(m: dict[str, Any]) -> None:
    m["model"].update(name="random-forest", family="shallow", heads=["event"])
    m["decision"]["magnitude_given_event"] = False
    m["locate"]["method"] = "centre"
    m["artifacts"] = [_artifact("onnx-fp32", "onnx", "fp32", "features", {"event": _output("probabilities", 1)})]
    m["default_artifacts"] = {"python": "onnx-fp32", "cpp": None}


def _same_track(m: dict[str, Any]) -> None:
    """The base model taking same-track pairs: 256 px complex images formed at 8 looks."""
    m["preprocess"] = {"version": 3, "looks": 8}
    m["input"].update(kind="same_track", raw_side=256, tile_shape=[3, 32, 32],
                      channels=["cos_phase", "sin_phase", "coherence"])
    m["gate"] = {"statistic": "none", "threshold": 0.0, "calibration": None}


def _rule(m: dict[str, Any]) -> None:
    _shallow(m)
    m["model"].update(name="log-ratio", family="rule")
    m["artifacts"] = [_artifact("rule", "rule", "fp32", "NCHW", {"event": _output("event")})]
    m["default_artifacts"] = {"python": "rule", "cpp": None}


VALID: list[tuple[str, Mutation | None]] = [
    ("base", None),
    ("single_image_task_5", _single_image),
    ("shallow_features_layout_with_a_column", _shallow),
    ("rule_artifact", _rule),
    ("thresholds_at_their_bounds", _all(_set("decision.event_threshold", 1), _set("decision.magnitude_min", 0),
                                        _set("gate.threshold", 1.0))),
    ("integers_where_numbers_are_asked", _all(_set("preprocess.floor_linear", 1), _set("decision.event_threshold", 0))),
    ("calibration_null_and_report_empty", _all(_set("gate.calibration", None), _set("report", {}))),
    ("sigmoid_offset_and_tflite_nhwc", _all(
        _set("artifacts[1]", _artifact("tflite-int8", "tflite", "int8", "NHWC",
                                       {"event": _output("0", None, "sigmoid"), "magnitude": _output("1", offset=5.6),
                                        "location": _output("2")})),
        _set("default_artifacts.cpp", None))),
    ("units_db_and_downsample_one", _all(_set("preprocess.units", "db"), _set("preprocess.downsample", 1),
                                         _set("input.raw_side", 32))),
    ("path_in_a_subfolder", _set("artifacts[0].path", "int8/model.onnx")),
    ("preprocess_version_1_still_runs", _set("preprocess.version", 1)),
    ("preprocess_version_1_multilooks_db", _all(_set("preprocess.version", 1), _set("preprocess.units", "db"))),
    ("same_track_interferogram", _same_track),
    ("same_track_located_at_the_centre", _all(_same_track, _set("locate.method", "centre"))),
    ("same_track_one_look", _all(_same_track, _set("preprocess.looks", 1), _set("input.raw_side", 32))),
    ("same_track_magnitude_task_2", _all(_same_track, _set("model.paper_task", 2))),
]

INVALID: list[tuple[str, str, Mutation]] = [
    # the file as a whole
    ("not_an_object", "manifest", lambda m: ["a", "list"]),
    ("another_format", "format", _set("format", "onnx-manifest")),
    ("format_missing", "format", _drop("format")),
    ("version_1_is_refused_with_the_reexport_hint", "version", _set("version", 1)),
    ("version_2_is_refused_with_the_reexport_hint", "version", _set("version", 2)),
    ("version_3_is_refused_with_the_reexport_hint", "version", _set("version", 3)),
    ("version_from_the_future", "version", _set("version", 5)),
    ("version_as_text", "version", _set("version", "4")),
    ("version_as_float", "version", _set("version", 4.0)),
    ("a_block_missing", "model", _drop("model")),
    ("report_missing", "report", _drop("report")),
    ("an_unknown_top_level_field", "extra", _set("extra", 1)),
    ("created_not_text", "created", _set("created", 20261129)),
    # model
    ("model_not_an_object", "model", _set("model", "quakelite")),
    ("empty_model_name", "model.name", _set("model.name", "")),
    ("unknown_family", "model.family", _set("model.family", "xgboost")),
    ("paper_task_3", "model.paper_task", _set("model.paper_task", 3)),
    ("paper_task_as_bool", "model.paper_task", _set("model.paper_task", True)),
    ("no_heads", "model.heads", _set("model.heads", [])),
    ("a_head_twice", "model.heads", _set("model.heads", ["event", "event", "location"])),
    ("heads_out_of_order", "model.heads", _set("model.heads", ["magnitude", "event", "location"])),
    ("an_unknown_head", "model.heads", _set("model.heads", ["event", "colour", "location"])),
    ("version_1_field_left_in_model", "model.magnitude_given_event", _set("model.magnitude_given_event", True)),
    # preprocess
    ("preprocess_constant_missing", "preprocess.mean_db", _drop("preprocess.mean_db")),
    ("preprocess_version_4", "preprocess.version", _set("preprocess.version", 4)),
    ("preprocess_version_3_with_amplitude_constants", "preprocess.looks", _set("preprocess.version", 3)),
    ("preprocess_not_an_object", "preprocess", _set("preprocess", [2])),
    ("preprocess_version_missing", "preprocess.version", _drop("preprocess.version")),
    ("preprocess_version_0", "preprocess.version", _set("preprocess.version", 0)),
    ("preprocess_version_2_does_not_multilook_db", "preprocess.downsample", _set("preprocess.units", "db")),
    ("units_in_capitals", "preprocess.units", _set("preprocess.units", "dB")),
    ("floor_zero", "preprocess.floor_linear", _set("preprocess.floor_linear", 0)),
    ("floor_negative", "preprocess.floor_linear", _set("preprocess.floor_linear", -1e-4)),
    ("clip_reversed", "preprocess.clip_db", _set("preprocess.clip_db", [10.0, -35.0])),
    ("clip_one_value", "preprocess.clip_db", _set("preprocess.clip_db", [10.0])),
    ("clip_not_a_number", "preprocess.clip_db[0]", _set("preprocess.clip_db", ["low", 10.0])),
    ("std_zero", "preprocess.std_db[1]", _set("preprocess.std_db", [5.0, 0.0])),
    ("downsample_zero", "preprocess.downsample", _set("preprocess.downsample", 0)),
    ("downsample_as_float", "preprocess.downsample", _set("preprocess.downsample", 2.0)),
    # input
    ("raw_side_zero", "input.raw_side", _set("input.raw_side", 0)),
    ("raw_side_huge", "input.raw_side", _set("input.raw_side", 100000)),
    ("three_images", "input.images", _set("input.images", 3)),
    ("tile_shape_of_two", "input.tile_shape", _set("input.tile_shape", [4, 32])),
    ("negative_tile_side", "input.tile_shape[1]", _set("input.tile_shape", [4, -32, 32])),
    ("channels_disagree_with_images", "input.tile_shape", _set("input.tile_shape", [2, 32, 32])),
    ("tile_not_square", "input.tile_shape", _set("input.tile_shape", [4, 32, 16])),
    ("raw_side_not_tile_times_multilook", "input.raw_side", _set("input.raw_side", 66)),
    ("raw_side_not_a_multiple_of_the_multilook", "input.raw_side", _set("input.raw_side", 63)),
    ("three_channel_names", "input.channels", _set("input.channels", ["a", "b", "c"])),
    ("half_precision_input", "input.dtype", _set("input.dtype", "float16")),
    ("input_kind_missing", "input.kind", _drop("input.kind")),
    ("unknown_input_kind", "input.kind", _set("input.kind", "optical")),
    ("input_kind_not_a_string", "input.kind", _set("input.kind", 1)),
    ("same_track_kind_with_amplitude_preprocessing", "input.kind", _set("input.kind", "same_track")),
    ("amplitude_kind_with_the_interferogram", "input.kind", _all(_same_track, _set("input.kind", "amplitude"))),
    ("same_track_looks_zero", "preprocess.looks", _all(_same_track, _set("preprocess.looks", 0))),
    ("same_track_looks_as_float", "preprocess.looks", _all(_same_track, _set("preprocess.looks", 8.0))),
    ("same_track_amplitude_constant_left_in", "preprocess.units", _all(_same_track, _set("preprocess.units", "db"))),
    ("same_track_four_channels", "input.tile_shape", _all(_same_track, _set("input.tile_shape", [4, 32, 32]))),
    ("same_track_raw_side_not_tile_times_looks", "input.raw_side", _all(_same_track, _set("input.raw_side", 128))),
    ("same_track_channels_renamed", "input.channels", _all(
        _same_track, _set("input.channels", ["phase_cos", "phase_sin", "coherence"]))),
    ("same_track_single_image", "input.images", _all(_same_track, _set("input.images", 1))),
    ("same_track_with_the_change_gate", "gate.statistic", _all(
        _same_track, _set("gate", {"statistic": "changed_share", "threshold": 0.0, "calibration": None}))),
    ("same_track_gate_with_a_threshold", "gate.threshold", _all(_same_track, _set("gate.threshold", 0.1))),
    ("amplitude_without_a_gate", "gate.statistic", _set("gate.statistic", "none")),
    ("same_track_located_by_amplitude_change", "locate.method", _all(_same_track, _set("locate.method", "change"))),
    ("one_image_for_a_bitemporal_task", "input.images", _all(
        _set("input.images", 1), _set("input.tile_shape", [2, 32, 32]), _set("input.channels", ["VV", "VH"]))),
    # decision
    ("event_threshold_above_one", "decision.event_threshold", _set("decision.event_threshold", 1.5)),
    ("event_threshold_negative", "decision.event_threshold", _set("decision.event_threshold", -0.1)),
    ("event_threshold_as_text", "decision.event_threshold", _set("decision.event_threshold", "0.5")),
    ("event_threshold_null", "decision.event_threshold", _set("decision.event_threshold", None)),
    ("magnitude_min_negative", "decision.magnitude_min", _set("decision.magnitude_min", -1.0)),
    ("magnitude_min_beyond_the_codec", "decision.magnitude_min", _set("decision.magnitude_min", 1000.0)),
    ("given_event_as_integer", "decision.magnitude_given_event", _set("decision.magnitude_given_event", 1)),
    ("informative_as_text", "decision.magnitude_informative", _set("decision.magnitude_informative", "yes")),
    ("informative_missing", "decision.magnitude_informative", _drop("decision.magnitude_informative")),
    ("operating_point_a_number", "decision.operating_point", _set("decision.operating_point", 0.01)),
    ("calibration_a_list", "decision.calibration", _set("decision.calibration", [1.0])),
    ("magnitude_skill_missing", "decision.magnitude_skill", _drop("decision.magnitude_skill")),
    ("unknown_decision_field", "decision.temperature", _set("decision.temperature", 1.5)),
    ("given_event_without_an_event_head", "decision.magnitude_given_event", _all(
        _set("model.heads", ["magnitude", "location"]), _set("locate.method", "change"))),
    # gate, locate
    ("gate_threshold_above_one", "gate.threshold", _set("gate.threshold", 1.2)),
    ("gate_threshold_missing", "gate.threshold", _drop("gate.threshold")),
    ("unknown_gate_statistic", "gate.statistic", _set("gate.statistic", "mean")),
    ("gate_calibration_a_list", "gate.calibration", _set("gate.calibration", [])),
    ("unknown_locate_method", "locate.method", _set("locate.method", "gps")),
    ("head_location_without_a_location_head", "locate.method", _all(
        _set("model.heads", ["event", "magnitude"]),
        _set("artifacts[0].outputs", {"event": _output("event"), "magnitude": _output("magnitude")}),
        _set("artifacts[1].outputs", {"event": _output("0"), "magnitude": _output("1")}))),
    # artifacts
    ("no_artifacts", "artifacts", _set("artifacts", [])),
    ("artifacts_an_object", "artifacts", _set("artifacts", {})),
    ("artifact_without_sha256", "artifacts[0].sha256", _drop("artifacts[0].sha256")),
    ("sha256_in_capitals", "artifacts[0].sha256", _set("artifacts[0].sha256", "3F" * 32)),
    ("sha256_too_short", "artifacts[0].sha256", _set("artifacts[0].sha256", "abc")),
    ("absolute_path", "artifacts[0].path", _set("artifacts[0].path", "/etc/passwd")),
    ("path_climbing_out", "artifacts[0].path", _set("artifacts[0].path", "../model.onnx")),
    ("path_climbing_out_midway", "artifacts[0].path", _set("artifacts[0].path", "int8/../../model.onnx")),
    ("path_with_a_drive", "artifacts[0].path", _set("artifacts[0].path", "C:model.onnx")),
    ("unknown_format", "artifacts[0].format", _set("artifacts[0].format", "caffe")),
    ("int4", "artifacts[0].precision", _set("artifacts[0].precision", "int4")),
    ("onnx_declared_nhwc", "artifacts[0].layout", _set("artifacts[0].layout", "NHWC")),
    ("empty_file", "artifacts[0].bytes", _set("artifacts[0].bytes", 0)),
    ("a_head_without_an_output", "artifacts[0].outputs.magnitude", _drop("artifacts[0].outputs.magnitude")),
    ("an_output_for_an_unknown_head", "artifacts[0].outputs.colour",
     _set("artifacts[0].outputs.colour", _output("colour"))),
    ("positional_output_past_the_heads", "artifacts[1].outputs.location.output",
     _set("artifacts[1].outputs.location.output", "3")),
    ("positional_output_negative", "artifacts[1].outputs.event.output",
     _set("artifacts[1].outputs.event.output", "-1")),
    ("positional_output_by_name", "artifacts[1].outputs.event.output",
     _set("artifacts[1].outputs.event.output", "event")),
    ("positional_output_huge", "artifacts[1].outputs.event.output",
     _set("artifacts[1].outputs.event.output", "99999999999999999999")),
    ("negative_column", "artifacts[0].outputs.event.column", _set("artifacts[0].outputs.event.column", -1)),
    ("unknown_transform", "artifacts[0].outputs.event.transform", _set("artifacts[0].outputs.event.transform", "relu")),
    ("offset_as_text", "artifacts[0].outputs.magnitude.offset", _set("artifacts[0].outputs.magnitude.offset", "5.6")),
    ("offset_beyond_a_float", "artifacts[0].outputs.magnitude.offset",
     _set("artifacts[0].outputs.magnitude.offset", 1e300)),
    ("output_reference_missing_a_field", "artifacts[0].outputs.event.offset",
     _drop("artifacts[0].outputs.event.offset")),
    ("two_artifacts_of_one_name", "artifacts[1].name", _set("artifacts[1].name", "onnx-int8")),
    ("batch_zero", "artifacts[1].batch", _set("artifacts[1].batch", 0)),
    ("gate_failures_not_a_list", "artifacts[0].gate_failures", _set("artifacts[0].gate_failures", "none")),
    ("negative_latency", "artifacts[0].latency_ms", _set("artifacts[0].latency_ms", -1.0)),
    ("fidelity_a_string", "artifacts[0].fidelity", _set("artifacts[0].fidelity", "good")),
    ("unknown_artifact_field", "artifacts[0].model_id", _set("artifacts[0].model_id", 38902)),
    ("default_artifact_not_listed", "default_artifacts.python", _set("default_artifacts.python", "tflite-int8")),
    ("default_artifacts_a_string", "default_artifacts", _set("default_artifacts", "onnx-int8")),
    ("default_artifacts_without_cpp", "default_artifacts.cpp", _drop("default_artifacts.cpp")),
    ("cpp_default_not_a_pte", "default_artifacts.cpp", _set("default_artifacts.cpp", "onnx-int8")),
    ("cpp_default_empty", "default_artifacts.cpp", _set("default_artifacts.cpp", "")),
    ("version_2_default_artifact_left", "default_artifact", _set("default_artifact", "onnx-int8")),
    ("report_a_list", "report", _set("report", [])),
]

def _text(*replacements: tuple[str, str]) -> str:
    """The base manifest as compact JSON text with sorted keys, with textual replacements
    (``artifacts[0]`` is the ONNX artifact; its first output is the event's)."""
    text = json.dumps(base(), separators=(",", ":"), sort_keys=True)
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _nested(levels: int) -> str:
    """The base text with ``report`` holding arrays so that the document nests ``levels`` deep
    (the root object is level 1, ``report`` level 2)."""
    arrays = levels - 2
    return _text(('"report":{', '"report":{"deep":' + "[" * arrays + "]" * arrays + ","))


#: Text the JSON-value cases cannot express: what both readers refuse as not a manifest
#: (field ``json``), and numbers and strings at the edges of what they hold.
TEXT: list[tuple[str, bool, str, str]] = [
    ("not_json", False, "json", "{ not json"),
    ("empty_text", False, "json", ""),
    ("nan_token", False, "json", _text(('"event_threshold":0.5', '"event_threshold":NaN'))),
    ("infinity_token", False, "json", _text(('"threshold":0.05', '"threshold":Infinity'))),
    ("trailing_garbage", False, "json", _text() + " }"),
    ("byte_order_mark", False, "json", "\ufeff" + _text()),
    ("a_lone_surrogate_escape", False, "json", _text(('"report":{', '"report":{"\\ud800":1,'))),
    ("float_beyond_a_double", False, "json", _text(('"mean_db":[-12.0', '"mean_db":[1e999'))),
    ("negative_float_beyond_a_double", False, "json", _text(('"offset":0.0', '"offset":-1e999'))),
    ("integer_beyond_64_bits", False, "json", _text(('"bytes":1234', '"bytes":123456789012345678901234567890'))),
    ("negative_integer_beyond_64_bits", False, "json",
     _text(('"bytes":1234', '"bytes":-123456789012345678901234567890'))),
    ("integer_two_to_the_64", False, "json", _text(('"column":null', '"column":18446744073709551616'))),
    ("integer_of_4301_digits", False, "json", _text(('"report":{', '"report":{"n":' + "7" * 4301 + ","))),
    ("unsigned_64_bit_maximum", True, "", _text(('"column":null', '"column":18446744073709551615'))),
    ("signed_64_bit_minimum_is_negative", False, "artifacts[0].bytes",
     _text(('"bytes":1234', '"bytes":-9223372036854775808'))),
    ("threshold_a_huge_integer", False, "decision.event_threshold",
     _text(('"event_threshold":0.5', '"event_threshold":10000000000000000000'))),
    ("minus_zero", True, "", _text(('"event_threshold":0.5', '"event_threshold":-0'))),
    ("nesting_at_the_limit", True, "", _nested(64)),
    ("nesting_beyond_the_limit", False, "json", _nested(65)),
    ("nesting_far_beyond_the_limit", False, "json", _nested(5000)),
    ("position_with_leading_zeros", True, "", _text(('"output":"0"', '"output":"' + "0" * 40 + '"'))),
    ("position_of_4000_digits", False, "artifacts[1].outputs.event.output",
     _text(('"output":"0"', '"output":"' + "9" * 4000 + '"'))),
    ("position_of_5000_digits", False, "artifacts[1].outputs.event.output",
     _text(('"output":"0"', '"output":"' + "9" * 5000 + '"'))),
    ("position_in_arabic_digits", False, "artifacts[1].outputs.event.output",
     _text(('"output":"0"', '"output":"\\u0660"'))),
    ("backslash_path_climbing_out", False, "artifacts[0].path",
     _text(('"path":"model.onnx-int8.onnx"', '"path":"int8\\\\..\\\\m.onnx"'))),
    # A key twice in one object is refused (with "the last one wins", a threshold written twice
    # would silently be the second: every tile flagged at 0.0).
    ("a_key_twice", False, "json", '{"format":"onnx",' + _text()[1:]),
    ("event_threshold_twice", False, "json", _text(('"event_threshold":', '"event_threshold":0.0,"event_threshold":'))),
    ("the_same_key_in_two_objects", True, "", _text(('"report":{', '"report":{"name":"r",'))),
]


def cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"case": "tiny_model", "valid": True, "field": "",
                                  "file": "tiny_model/manifest.json"}]
    for name, mutation in VALID:
        manifest = base()
        if mutation is not None:
            mutation(manifest)
        out.append({"case": name, "valid": True, "field": "", "manifest": manifest})
    for name, field, mutation in INVALID:
        manifest = base()
        replaced = mutation(manifest)
        out.append({"case": name, "valid": False, "field": field,
                    "manifest": replaced if replaced is not None else manifest})
    for name, valid, field, text in TEXT:
        out.append({"case": name, "valid": valid, "field": field, "text": text})
    return out


def render() -> str:
    return "".join(json.dumps(case, sort_keys=True) + "\n" for case in cases())


def main() -> None:
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT} ({len(cases())} cases)")


if __name__ == "__main__":
    main()
