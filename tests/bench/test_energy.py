"""Energy-per-tile estimates against hand calculations; input rejection; board table sources."""

from __future__ import annotations

import json
import math

import pytest

from quakesat.bench.energy import (
    BOARDS,
    Board,
    Citation,
    Estimate,
    board_for_cpu,
    energy_from_instructions,
    energy_from_time,
)

#: A made-up board with round numbers, so the hand calculations stay readable.
TOY = Board("toy", "Toy board", "Cortex-A53", 4, 2.0, 2.0, "board", "test only", 1.0,
            (Citation("test", "https://example.org/toy", "all"),))


# ─── time route ─────────────────────────────────────────────────────────────────────────
def test_time_route_by_hand() -> None:
    # 2.0 W x 0.005 s = 0.01 J; 1 / 0.01 J = 100 tiles per joule.
    est = energy_from_time(0.005, TOY)
    assert est.route == "time"
    assert est.seconds_per_tile == 0.005
    assert est.joules_per_tile == pytest.approx(0.01)
    assert est.tiles_per_joule == pytest.approx(100.0)
    assert est.board == "Toy board" and est.board_id == "toy"
    assert est.basis == "2 W (board) x 5 ms = 0.01 J"


def test_time_route_on_a_real_board_by_hand() -> None:
    # Raspberry Pi 4: 5.0 W x 0.0127 s = 0.0635 J; 1 / 0.0635 = 15.748... tiles per joule.
    est = energy_from_time(0.0127, BOARDS["rpi4-a72"])
    assert est.joules_per_tile == pytest.approx(0.0635)
    assert est.tiles_per_joule == pytest.approx(15.748031496)


# ─── instructions route ─────────────────────────────────────────────────────────────────
def test_instructions_route_by_hand() -> None:
    # 40,000,000 instructions / (1.0 IPC x 2.0 GHz) = 0.02 s; 2.0 W x 0.02 s = 0.04 J; 25 tiles/J.
    est = energy_from_instructions(40_000_000, TOY)
    assert est.route == "instructions"
    assert est.seconds_per_tile == pytest.approx(0.02)
    assert est.joules_per_tile == pytest.approx(0.04)
    assert est.tiles_per_joule == pytest.approx(25.0)
    assert est.basis == "40,000,000 instr / (1 IPC x 2 GHz) = 20 ms; 2 W (board) x 20 ms = 0.04 J"


def test_instructions_route_on_the_a53_by_hand() -> None:
    # docs/benchmarks.md: 100,911,818 instructions per tile under qemu -cpu cortex-a53.
    # 100,911,818 / (0.8 x 1.4e9) = 0.0900998375 s; x 5.6 W = 0.50455909 J.
    est = energy_from_instructions(100_911_818, board_for_cpu("cortex-a53"))
    assert est.seconds_per_tile == pytest.approx(0.0900998375)
    assert est.joules_per_tile == pytest.approx(0.50455909)
    assert est.tiles_per_joule == pytest.approx(1 / 0.50455909)


def test_neoverse_power_is_tdp_per_core_by_hand() -> None:
    # 250 W / 80 cores = 3.125 W per core.
    board = BOARDS["neoverse-n1"]
    assert board.power_w == 3.125 and board.power_scope == "core"


def test_as_dict_is_json_and_labelled_an_estimate() -> None:
    data = energy_from_time(0.005, TOY).as_dict()
    assert data["kind"] == "estimate"
    assert set(data) == {"kind", "board", "board_id", "route", "seconds_per_tile",
                         "joules_per_tile", "tiles_per_joule", "basis"}
    assert json.loads(json.dumps(data)) == data


def test_estimate_is_frozen() -> None:
    est = energy_from_time(0.005, TOY)
    assert isinstance(est, Estimate)
    with pytest.raises(AttributeError):
        est.joules_per_tile = 0.0  # type: ignore[misc]


# ─── bad inputs ─────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("seconds", [-0.005, 0, 0.0, math.nan, math.inf, -math.inf])
def test_time_route_rejects_nonsense(seconds: float) -> None:
    with pytest.raises(ValueError, match="seconds_per_tile"):
        energy_from_time(seconds, TOY)


@pytest.mark.parametrize("instructions", [0, -1, -1e9, math.nan, math.inf])
def test_instructions_route_rejects_nonsense(instructions: float) -> None:
    with pytest.raises(ValueError, match="instructions_per_tile"):
        energy_from_instructions(instructions, TOY)


@pytest.mark.parametrize("value", [True, "5", None])
def test_non_numbers_are_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="must be a number"):
        energy_from_time(value, TOY)  # type: ignore[arg-type]


def test_zero_instructions_message_is_clear() -> None:
    with pytest.raises(ValueError, match=r"instructions_per_tile must be greater than 0, got 0"):
        energy_from_instructions(0, TOY)


def test_board_rejects_bad_figures_and_missing_sources() -> None:
    with pytest.raises(ValueError, match="ipc"):
        Board("x", "x", "x", 1, 1.0, 1.0, "board", "x", 0.0, TOY.sources)
    with pytest.raises(ValueError, match="source"):
        Board("x", "x", "x", 1, 1.0, 1.0, "board", "x", 1.0, ())


# ─── the board table ────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("board_id", sorted(BOARDS))
def test_every_board_is_sourced(board_id: str) -> None:
    board = BOARDS[board_id]
    assert board.id == board_id
    assert board.sources and all(s.title and s.figures for s in board.sources)
    assert all(s.url.startswith("https://") for s in board.sources)
    assert board.power_scope in ("board", "core")


@pytest.mark.parametrize(("cpu", "board_id", "core"), [
    ("cortex-a53", "rpi3b+-a53", "Cortex-A53"),
    ("cortex-a72", "rpi4-a72", "Cortex-A72"),
    ("neoverse-n1", "neoverse-n1", "Neoverse-N1"),
])
def test_board_for_qemu_cpu(cpu: str, board_id: str, core: str) -> None:
    board = board_for_cpu(cpu)
    assert board is BOARDS[board_id] and board.cpu == core
    assert board_for_cpu(cpu.upper()) is board


def test_unknown_cpu_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="cortex-a53"):
        board_for_cpu("max")
