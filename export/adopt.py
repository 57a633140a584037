"""An existing ``.onnx`` or ``.tflite`` file in: its manifest written and checked, then flown.

A model trained and converted elsewhere needs what every quakesat artifact carries before the
runtimes, the bench or the mission can use it: the input kind and preprocessing it was trained
on, which of its outputs is which head, a threshold chosen for a false-alarm rate, and the
change gate and location calibrated on validation. :func:`adopt_artifact` reads those from a
:class:`~quakesat.models.contract.ModelContract` and the data, and checks the file against
them before anything is written:

- the file opens in its flight backend (onnxruntime, LiteRT);
- its one input is ``N x C x H x W`` float32 for ONNX or ``N x H x W x C`` for TFLite, with the
  contract's channels and side (a batch fixed at 1 is recorded: the runtime then feeds one tile
  at a time);
- it has exactly as many outputs as the contract names, each of one or ``N x 2`` values per
  tile as the head needs (checked on two validation tiles);
- the data's tiles are of the contract's side.

Then, as an export does (:func:`quakesat.export.exporter.export_model`): the event threshold at
the false-alarm rate and the magnitude skill are chosen on the validation split, the change
gate and the location method too, and the artifact is scored on at least 200 held-out tiles.
There is no other artifact to compare it with, so the fidelity gate judges it against itself
(agreement 1 by construction) and says so; the tiles it was scored on are the ones its numbers
in ``fidelity.md`` come from. The confidence calibration's temperature is measured and
reported but cannot be folded into a foreign file: the threshold is moved to the file's own
probability scale instead (the temperature is monotonic), and the messages' confidence is the
file's own. docs/own_model.md, "An existing artifact", is the tutorial. numpy and the flight
backends only: no torch.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.errors import BackendError, ConfigError
from quakesat.export.decision_calibration import ValidationHeads, choose_decision
from quakesat.export.exporter import (
    Exported,
    ExportOptions,
    Tiles,
    _check_side,
    _export,
    _input_spec,
    _ms_per_tile,
    _train_samples,
    fidelity_tiles,
    read_tiles,
)
from quakesat.models.contract import HEAD_SHAPES, ModelContract
from quakesat.runtime.decision import DEFAULT_DECISION
from quakesat.runtime.manifest import GateSpec, LocateSpec, Manifest, ModelInfo, OutputRef, write_manifest
from quakesat.runtime.model import ExportedModel, open_backend
from quakesat.runtime.tile import SAME_TRACK

#: File suffix -> artifact format, its input layout and the name the artifact gets.
ADOPTABLE = {".onnx": ("onnx", "NCHW"), ".tflite": ("tflite", "NHWC")}


def adopt_artifact(path: str | Path, contract: ModelContract, data: str | Path, out: str | Path,
                   options: ExportOptions = ExportOptions()) -> Manifest:
    """Adopt the model file ``path`` (module doc) into the artifacts folder ``out``.

    Args:
        path: an ``.onnx`` or ``.tflite`` file.
        contract: what it takes and gives.
        data: an ``earthquakes.h5`` whose tiles the contract's input fits (validation for the
            threshold, the held-out split for the scores).
        out: the folder to write (the file is copied in, with ``manifest.json``,
            ``fidelity.md`` and ``fidelity.png``).
        options: the export's options (``split``, ``false_alarm_rate``, ``limits``,
            ``fidelity_tiles``, ``threads``; formats and int8 do not apply).

    Returns:
        The manifest, as written.

    Raises:
        ConfigError: the file is not what the contract says, or the data does not fit it.
        FidelityGateError: fewer held-out tiles than the gate asks for (everything written).
    """
    path, data = Path(path), Path(data)
    if path.suffix.lower() not in ADOPTABLE:
        raise ConfigError(f"{path}: adopt takes an .onnx or a .tflite file")
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    _check_side(data, contract)
    return _export(lambda run: _adopted(run, path, contract), None, f"adopted {path.name}", data, Path(out), options)


def _inspect(path: Path, fmt: str, layout: str, contract: ModelContract) -> tuple[list[str], int | None]:
    """The file's output names (as its backend keys them) and its fixed batch (None: dynamic),
    after checking its input against the contract."""
    try:
        backend = open_backend(path, fmt)
    except BackendError as err:
        raise ConfigError(f"{path}: {err}") from None
    if fmt == "onnx":
        inputs = backend.session.get_inputs()
        shape = list(inputs[0].shape)
        dtype_ok = inputs[0].type == "tensor(float)"
        count = len(inputs)
    else:
        details = backend.interpreter.get_input_details()
        shape = [int(v) for v in details[0]["shape"]]
        dtype_ok = np.dtype(details[0]["dtype"]) == np.float32
        count = len(details)
    channels, height, width = contract.input_shape
    wanted = [channels, height, width] if layout == "NCHW" else [height, width, channels]
    if count != 1 or not dtype_ok or len(shape) != 4 or [v if isinstance(v, int) else None for v in shape[1:]] != wanted:
        raise ConfigError(f"{path}: its input is {count} tensor(s), the first {shape}; the contract needs one float32 "
                          f"[N, {', '.join(map(str, wanted))}] ({layout}: {fmt} artifacts take this layout)")
    batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None
    names = list(backend.output_names)
    if len(names) != len(contract.outputs):
        raise ConfigError(f"{path}: it has {len(names)} output(s), the contract declares {len(contract.outputs)} "
                          f"({list(contract.outputs)})")
    return names, batch


def _adopted(run: Any, path: Path, contract: ModelContract) -> Exported:
    """The family exporter of an adopted file (:func:`quakesat.export.exporter._export`'s ``produce``)."""
    opts = run.options
    fmt, layout = ADOPTABLE[path.suffix.lower()]
    names, batch = _inspect(path, fmt, layout, contract)
    filename = f"{fmt}-adopted{path.suffix.lower()}"
    shutil.copyfile(path, run.staging / filename)
    outputs = {head: OutputRef(name, transform="sigmoid" if head == "event" and contract.event == "logit" else "identity")
               for head, name in zip(contract.outputs, names)}
    artifact = run.artifact(f"{fmt}-adopted", filename, fmt, "fp32", layout, outputs, batch=batch)
    model = ModelInfo(contract.name, "cnn", contract.paper_task, tuple(h for h in HEAD_SHAPES if h in contract.outputs))
    preprocess = contract.preprocess()
    config = contract.export_config()
    given_event = bool(config["magnitude_given_event"])
    with run.timed("read_tiles"):
        selection = read_tiles(run.data, contract.paper_task, opts.selection_split, preprocess, allow_empty=True)
        # no int8 calibration set here: every training tile may join the held-out split's
        nothing = Tiles(np.zeros((0, *contract.input_shape), np.float32), np.zeros(0, np.int64), np.zeros(0),
                        np.zeros(0, bool))
        held_out = fidelity_tiles(run.data, contract.paper_task, opts.split, preprocess, nothing,
                                  opts.limits.min_tiles, opts.fidelity_tiles, opts.seed)
    # a provisional manifest, to run the file through the runtime's own output mapping
    spec = _input_spec(model, preprocess, held_out.tiles.shape[1:])
    provisional = Manifest(model=model, preprocess=preprocess, input=spec,
                           decision=replace(DEFAULT_DECISION, magnitude_given_event=given_event),
                           gate=GateSpec("none" if spec.kind == SAME_TRACK else "changed_share", 0.0, None),
                           locate=LocateSpec("centre", None), artifacts=(artifact,), default_artifact=artifact.name,
                           quakesat_version="", created="", report={}, folder=run.staging)
    write_manifest(provisional, run.staging)
    model_run = ExportedModel.open(run.staging, artifact.name, opts.threads)
    probe = held_out.tiles[:2]
    try:
        heads = model_run.heads(probe)
    except BackendError as err:
        raise ConfigError(f"{path}: its outputs do not fit the contract ({err})") from None
    for head, values in heads.items():
        if values.shape != (len(probe), *HEAD_SHAPES[head]):
            raise ConfigError(f"{path}: output {outputs[head].output!r} ({head}) gives {list(values.shape)} for "
                              f"{len(probe)} tiles; the contract needs {[len(probe), *HEAD_SHAPES[head]]}")
    report: dict[str, Any] = {"adopted": {"file": str(path), "contract": contract.to_dict(),
                                          "reference": "the adopted file itself (no other artifact to compare)"}}
    with run.timed("decision_calibration"):
        if len(selection):
            train_samples = _train_samples(run.data, contract.paper_task)
            choice = choose_decision(ValidationHeads(model_run.heads(selection.tiles), selection.labels,
                                                     selection.magnitudes, selection.identical,
                                                     np.array([r.magnitude for r in train_samples if r.label == 1],
                                                              dtype=np.float64)),
                                     given_event, opts.false_alarm_rate)
            decision = _on_own_scale(choice.rule, choice.temperature)
            report["adopted"]["temperature"] = choice.temperature
        else:
            decision = provisional.decision
    started = time.perf_counter()
    reference = model_run.heads(held_out.tiles)
    reference_ms = _ms_per_tile(lambda x: model_run.heads(x), held_out.tiles)
    report["adopted"]["scoring_seconds"] = round(time.perf_counter() - started, 2)
    (run.staging / "manifest.json").unlink()  # the export writes the real one
    return Exported(model, preprocess, decision, [artifact], reference, "the adopted file itself", reference_ms,
                    held_out, report)


def _on_own_scale(rule: Any, temperature: float) -> Any:
    """The rule with its event threshold moved from the temperature-scaled probability to the
    file's own: p_T = sigmoid(logit(p) / T), so the threshold t_T becomes sigmoid(T logit(t_T))."""
    if temperature == 1.0 or rule.operating_point is None:
        return rule
    threshold = min(max(rule.event_threshold, 1e-12), 1 - 1e-12)
    own = 1.0 / (1.0 + math.exp(-temperature * math.log(threshold / (1.0 - threshold))))
    note = dict(rule.calibration or {})
    note["applied"] = "no: the file's confidence is its own; the threshold was moved to its scale"
    return replace(rule, event_threshold=float(own), calibration=note)
