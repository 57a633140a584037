"""quakesat.bench.micro_arena: the TFLite Micro tensor arena of tiny float32 and int8 models.

The models (Conv2d 4->4 3x3 + ReLU + spatial mean on a 1 x 16 x 16 x 4 NHWC input) are
converted with litert-torch, a few seconds for all of them; a third one uses SIGN, an op TFLite
Micro has no kernel for. The bisection checks (a dozen interpreter subprocesses each) are
marked slow: ``pytest -m slow tests/bench/test_micro_arena.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quakesat.bench import micro_arena
from quakesat.bench.micro_arena import BISECTED, KIB, REPORTED, allocate_and_invoke, measure_arena

SIDE, CHANNELS = 16, 4
FLOAT_ACTIVATION = CHANNELS * SIDE * SIDE * 4  # bytes of the largest float32 intermediate (the conv output)
INT8_ACTIVATION = CHANNELS * SIDE * SIDE


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"float32", "int8", "unsupported"}: tiny .tflite files."""
    pytest.importorskip("tflite_micro")
    torch = pytest.importorskip("torch")
    pytest.importorskip("litert_torch")
    import litert_torch
    from litert_torch.quantize import pt2e_quantizer
    from litert_torch.quantize.quant_config import QuantConfig

    from quakesat.export.pt2e import quantize_pt2e
    from quakesat.export.quiet import silenced

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1)

        def forward(self, x: Any) -> Any:
            return torch.relu(self.conv(x)).mean(dim=(2, 3))

    class Sign(torch.nn.Module):
        def forward(self, x: Any) -> Any:
            return torch.sign(x)

    folder = tmp_path_factory.mktemp("micro_arena")
    torch.manual_seed(0)
    net = litert_torch.to_channel_last_io(Tiny().eval(), args=[0]).eval()
    sample = (torch.zeros(1, SIDE, SIDE, CHANNELS),)
    paths = {name: folder / f"{name}.tflite" for name in ("float32", "int8", "unsupported")}
    with silenced():
        litert_torch.convert(net, sample).export(str(paths["float32"]))
        quantizer = pt2e_quantizer.PT2EQuantizer().set_global(
            pt2e_quantizer.get_symmetric_quantization_config(is_per_channel=True))
        calibration = (torch.randn(1, SIDE, SIDE, CHANNELS) for _ in range(4))
        graph = quantize_pt2e(net, sample, quantizer, calibration, fold_quantize=False)
        int8 = litert_torch.convert(graph, sample, quant_config=QuantConfig(pt2e_quantizer=quantizer))
        int8.export(str(paths["int8"]))
        litert_torch.convert(Sign().eval(), (torch.zeros(1, 8),)).export(str(paths["unsupported"]))
    return paths


@pytest.mark.parametrize("precision, activation", [("float32", FLOAT_ACTIVATION), ("int8", INT8_ACTIVATION)])
def test_reported_arena_runs_the_model_and_half_does_not(models: dict[str, Path], precision: str,
                                                         activation: int) -> None:
    arena = measure_arena(models[precision])
    assert arena.available and arena.method == REPORTED, arena
    assert arena.bytes_needed is not None and arena.bytes_needed >= activation
    assert allocate_and_invoke(models[precision], arena.bytes_needed).ok
    half = allocate_and_invoke(models[precision], arena.bytes_needed // 2)
    assert not half.ok and half.arena_too_small, half
    assert arena.as_dict() == {"bytes_needed": arena.bytes_needed, "method": REPORTED, "note": arena.note,
                               "available": True}


@pytest.mark.slow  # ~2 s each: a dozen interpreter subprocesses
@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_bisection_agrees_with_the_reported_figure(models: dict[str, Path], precision: str) -> None:
    reported = measure_arena(models[precision]).bytes_needed
    arena = measure_arena(models[precision], method="bisect")
    assert arena.available and arena.method == BISECTED, arena
    needed = arena.bytes_needed
    assert needed is not None and needed % KIB == 0
    assert allocate_and_invoke(models[precision], needed).ok
    assert not allocate_and_invoke(models[precision], needed - KIB).ok  # 1 KiB resolution
    assert not allocate_and_invoke(models[precision], needed // 2).ok
    assert reported is not None and needed - KIB < reported < needed + KIB


def test_int8_needs_a_smaller_arena_than_float32(models: dict[str, Path]) -> None:
    float_arena, int8_arena = (measure_arena(models[name]).bytes_needed for name in ("float32", "int8"))
    assert int8_arena is not None and float_arena is not None and int8_arena < float_arena


def test_unsupported_op_is_an_explicit_result(models: dict[str, Path]) -> None:
    for method in ("reported", "bisect"):
        arena = measure_arena(models["unsupported"], method=method)
        assert not arena.available and arena.bytes_needed is None
        assert arena.note.startswith("unavailable:") and "SIGN" in arena.note


def test_unreadable_files_are_explicit_results(models: dict[str, Path], tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"not a flatbuffer at all")
    for path in (garbage, tmp_path / "missing.tflite"):
        arena = measure_arena(path)
        assert not arena.available and arena.bytes_needed is None and arena.note.startswith("unavailable:")


def test_time_budget_bounds_the_bisection(models: dict[str, Path]) -> None:
    # The probe runs whatever the budget (at least 1 s); the ~10 trials of the bisection (a
    # fresh subprocess each) do not fit in 0.5 s, so it stops at a size known to work.
    arena = measure_arena(models["float32"], method="bisect", time_budget_s=0.5)
    assert arena.available and arena.method == BISECTED and "stopped at the 0.5 s budget" in arena.note, arena
    assert arena.bytes_needed is not None and allocate_and_invoke(models["float32"], arena.bytes_needed).ok


def test_missing_package_is_an_explicit_result(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(micro_arena, "tflite_micro_version", lambda: None)
    arena = measure_arena(tmp_path / "any.tflite")
    assert arena == micro_arena.MicroArena(None, "unavailable", arena.note, False)
    assert arena.note.startswith("unavailable:") and "tflite-micro" in arena.note
