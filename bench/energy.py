"""Energy per tile: an explicit, labelled *estimate* for target boards (docs/energy.md).

Nothing here is measured on the boards. Two routes give joules per tile:

- ``energy_from_time``: joules = board power x seconds per tile (a time measured elsewhere,
  e.g. on the board itself or scaled from another machine).
- ``energy_from_instructions``: seconds = instructions / (IPC x clock), then joules as above.
  The instruction counts come from ``bench/instruction_counts.py`` (qemu-user, fixed cores).

Assumptions and limits:

- One core runs the tile; the other cores idle. Power is one constant figure per board.
- Raspberry Pi figures are *whole-board* power at the wall with all four cores loaded
  (``stress-ng --matrix 0``). So the idle power of the rest of the board (DRAM, USB,
  Ethernet, regulator losses) **is** counted, and so are three cores that a one-core job
  leaves idle: for a one-core tile the Pi figures are an upper bound.
- The Neoverse-N1 figure is *per core*: chip TDP / core count. The rest of the board is
  **not** counted; TDP is a thermal design limit, not a measurement. Board and core figures
  are therefore not comparable with each other.
- DRAM is not modelled separately (it is inside the Pi wall figures, outside the N1 one).
- IPC is assumed, not measured: qemu-user counts instructions but not cycles. Cache misses,
  memory stalls and frequency throttling are not modelled.
- The x86-64 host has no entry: no published power figure applies to this shared VM.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal


@dataclass(frozen=True)
class Citation:
    """Where a published figure comes from."""

    title: str
    url: str
    figures: str  # which of the board's figures this citation supports


@dataclass(frozen=True)
class Board:
    """A target board; ``power_w`` is whole-board or per-core as ``power_scope`` says."""

    id: str
    name: str
    cpu: str
    cores: int
    clock_ghz: float
    power_w: float
    power_scope: Literal["board", "core"]
    power_load: str  # the load the published power was measured or rated under
    ipc: float  # ASSUMED sustained instructions per cycle on one core; not measured
    sources: tuple[Citation, ...]

    def __post_init__(self) -> None:
        for field in ("clock_ghz", "power_w", "ipc"):
            value = getattr(self, field)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"board {self.id}: {field} must be a positive finite number, got {value!r}")
        if not self.sources:
            raise ValueError(f"board {self.id}: at least one source is required")


@dataclass(frozen=True)
class Estimate:
    """Energy per tile on one board, by one route. An estimate, not a measurement."""

    board: str  # Board.name
    board_id: str
    route: Literal["time", "instructions"]
    seconds_per_tile: float
    joules_per_tile: float
    tiles_per_joule: float
    basis: str  # the arithmetic, in one line

    def as_dict(self) -> dict[str, object]:
        return {"kind": "estimate", **asdict(self)}


_SBC_REVIEWS = "Jeff Geerling, sbc-reviews"
BOARDS: dict[str, Board] = {
    "rpi3b+-a53": Board(
        "rpi3b+-a53", "Raspberry Pi 3 Model B+", "Cortex-A53", 4, 1.4, 5.6, "board",
        "whole board at the wall, stress-ng --matrix 0 on all 4 cores (idle: 3.1 W)", 0.8,
        (Citation(f"{_SBC_REVIEWS} #16: Raspberry Pi 3 model B+ (Rev 1.3)",
                  "https://github.com/geerlingguy/sbc-reviews/issues/16",
                  "power 5.6 W under stress-ng, 3.1 W idle; clock 1.4 GHz"),)),
    "rpi4-a72": Board(
        "rpi4-a72", "Raspberry Pi 4 Model B", "Cortex-A72", 4, 1.8, 5.0, "board",
        "whole board at the wall, stress-ng --matrix 0 on all 4 cores (idle: 1.6 W)", 1.5,
        (Citation(f"{_SBC_REVIEWS} #4: Raspberry Pi 4 model B (Rev 1.4)",
                  "https://github.com/geerlingguy/sbc-reviews/issues/4",
                  "power 5.0 W under stress-ng, 1.6 W idle; clock 1.8 GHz"),)),
    "neoverse-n1": Board(
        "neoverse-n1", "Ampere Altra Q80-33, one Neoverse-N1 core", "Neoverse-N1", 80, 3.3, 250 / 80, "core",
        "chip TDP 250 W / 80 cores (a rating, not a measurement)", 2.0,
        (Citation("heise online: Ampere Altra: ARM-Prozessoren mit bis zu 80 Kernen, 3,3 GHz und PCIe 4.0",
                  "https://www.heise.de/news/"
                  "Ampere-Altra-ARM-Prozessoren-mit-bis-zu-80-Kernen-3-3-GHz-und-PCIe-4-0-4794196.html",
                  "Q80-33: 80 cores, 3.3 GHz, TDP 250 W"),
         Citation("AnandTech: The Ampere Altra Review, page 2",
                  "https://www.anandtech.com/show/16315/the-ampere-altra-review/2",
                  "up to 80 Neoverse-N1 cores, up to 3.3 GHz on the top SKU"))),
}

#: qemu-user ``-cpu`` names (bench/instruction_counts.py) → board id.
QEMU_CPUS: dict[str, str] = {"cortex-a53": "rpi3b+-a53", "cortex-a72": "rpi4-a72", "neoverse-n1": "neoverse-n1"}


def board_for_cpu(cpu: str) -> Board:
    """The board for a qemu ``-cpu`` name (``cortex-a53``, ``cortex-a72``, ``neoverse-n1``)."""
    key = cpu.strip().lower()
    if key not in QEMU_CPUS:
        raise KeyError(f"no board for qemu cpu {cpu!r}; known: {', '.join(sorted(QEMU_CPUS))}")
    return BOARDS[QEMU_CPUS[key]]


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than 0, got {value!r}")
    return float(value)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.4g} ms"


def _estimate(board: Board, route: Literal["time", "instructions"], seconds: float, prefix: str) -> Estimate:
    joules = board.power_w * seconds
    basis = f"{prefix}{board.power_w:.4g} W ({board.power_scope}) x {_ms(seconds)} = {joules:.4g} J"
    return Estimate(board.name, board.id, route, seconds, joules, 1.0 / joules, basis)


def energy_from_time(seconds_per_tile: float, board: Board) -> Estimate:
    """Estimate: joules per tile = board power x measured seconds per tile."""
    return _estimate(board, "time", _positive("seconds_per_tile", seconds_per_tile), "")


def energy_from_instructions(instructions_per_tile: float, board: Board) -> Estimate:
    """Estimate: seconds = instructions / (assumed IPC x clock); joules = power x seconds."""
    instructions = _positive("instructions_per_tile", instructions_per_tile)
    seconds = instructions / (board.ipc * board.clock_ghz * 1e9)
    prefix = f"{instructions:,.0f} instr / ({board.ipc:g} IPC x {board.clock_ghz:g} GHz) = {_ms(seconds)}; "
    return _estimate(board, "instructions", seconds, prefix)
