"""The cost of the interferometric observable in the simulator: the same file written without
and with each patch's complex images (``quakesat simulate`` and ``quakesat simulate --slc``),
in one run, as ratios. The issue's budget: within 2x the time and the disk of the amplitude
file alone (measured on 6 events of 512 x 512 tiles, 2 workers, this 2-core VM, with the
20.48 km / 256 px interferometric tile: 15.5 s / 463 MB against 24.9 s / 573 MB, 1.61x and
1.24x).

Run: ``pytest bench/suites/test_simulator_cost.py --benchmark-only`` (EVENTS below; a larger
file narrows the noise of a shared machine).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("pytest_benchmark")
pytest.importorskip("cutde")

from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

EVENTS, SEED = 6, 2
#: Time and disk of the file with complex images, at most this many times the amplitude file's.
COST_BUDGET = 2.0


def test_complex_images_cost_at_most_twice_the_amplitude_file(benchmark, tmp_path: Path) -> None:
    figures: dict[str, float] = {}

    def both() -> None:
        for slc in (False, True):
            path = tmp_path / f"slc_{slc}.h5"
            started = time.perf_counter()
            simulate_file(path, SimulationConfig(events=EVENTS, seed=SEED, slc=slc), progress=False)
            figures[f"seconds_{slc}"] = time.perf_counter() - started
            figures[f"bytes_{slc}"] = path.stat().st_size
            path.unlink()

    benchmark.pedantic(both, rounds=1)
    time_ratio = figures["seconds_True"] / figures["seconds_False"]
    disk_ratio = figures["bytes_True"] / figures["bytes_False"]
    benchmark.extra_info.update({"seconds_amplitude": round(figures["seconds_False"], 2),
                                 "seconds_with_slc": round(figures["seconds_True"], 2),
                                 "mb_amplitude": round(figures["bytes_False"] / 2**20, 1),
                                 "mb_with_slc": round(figures["bytes_True"] / 2**20, 1),
                                 "time_ratio": round(time_ratio, 3), "disk_ratio": round(disk_ratio, 3)})
    assert disk_ratio <= COST_BUDGET, figures
    assert time_ratio <= COST_BUDGET, figures
