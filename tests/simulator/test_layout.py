"""The patch layout and acquisition dates match the published file's, as docs/simulator.md states.

Targets (the published QuakeSet): about 12 patches per event (1,906 positive pairs from 155
events), spread over a ~20 km view around the epicentre so that most of them do not hold
it; about three negatives for every four positives (1,421 / 1,906); splits by event; pre and
post on either side of the event at Sentinel-1 revisit gaps.
"""

from __future__ import annotations

import numpy as np
import pytest

from quakesat.data.quakeset import QuakeSetFile, Task
from quakesat.simulator.events import (
    GRID_SIDE,
    PATCH_KEEP_PROBABILITY,
    SECONDS_PER_DAY,
    acquisition_times,
    draw_event,
    patch_grid,
)
from quakesat.simulator.simulate import BEFORE_SHARE, SimulationConfig, simulate_file


def test_the_grid_holds_about_twelve_patches_per_event():
    rng = np.random.default_rng(0)
    counts = [len(patch_grid(rng, 512, None)) for _ in range(4000)]
    assert np.mean(counts) == pytest.approx(GRID_SIDE**2 * PATCH_KEEP_PROBABILITY, abs=0.1)
    assert np.mean(counts) == pytest.approx(1906 / 155, abs=0.3)  # the published file
    assert min(counts) >= 1 and max(counts) <= GRID_SIDE**2


def test_grid_cells_tile_a_square_around_the_catalogued_epicentre():
    cells = patch_grid(np.random.default_rng(1), 512, GRID_SIDE**2)
    assert len(cells) == 16
    offsets = np.array([offset for _, _, offset in cells])
    assert offsets.mean(axis=0) == pytest.approx([0.0, 0.0])  # centred
    spacing = 512 * 10.0
    assert sorted(set(np.round(offsets[:, 0], 6))) == pytest.approx([-1.5 * spacing, -0.5 * spacing,
                                                                     0.5 * spacing, 1.5 * spacing])
    # The view spans about 20 km, like the published file's 20 km x 20 km around each epicentre.
    assert offsets[:, 1].max() - offsets[:, 1].min() + spacing == pytest.approx(20_480.0)
    north_first = [offset[0] for row, _, offset in sorted(cells)]
    assert north_first == sorted(north_first, reverse=True)  # row 0 northmost


def test_a_fixed_patch_count_uses_a_grid_big_enough():
    rng = np.random.default_rng(2)
    assert len(patch_grid(rng, 64, 1)) == 1
    many = patch_grid(rng, 64, 64)
    assert len(many) == 64 and len({(r, c) for r, c, _ in many}) == 64


def test_acquisitions_bracket_the_event_at_revisit_gaps():
    rng = np.random.default_rng(3)
    for _ in range(300):
        event = draw_event(rng, 5.5)
        times = acquisition_times(rng, event)
        repeat = event.repeat_days * SECONDS_PER_DAY
        assert times["before"] < times["pre"] < event.time < times["post"]
        assert times["post"] - event.time <= repeat  # the first pass after the event
        assert (times["post"] - times["pre"]) % repeat == 0 and (times["pre"] - times["before"]) % repeat == 0
        assert event.repeat_days in (6, 12)


@pytest.fixture(scope="module")
def layout_file(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("layout") / "layout.h5"
    simulate_file(path, SimulationConfig(events=30, seed=4, size=32), progress=False, workers=1)
    return path


def test_a_file_has_the_published_layout(layout_file):
    with QuakeSetFile(layout_file) as qs:
        patches = sum(len(e.patches) for e in qs.events)
        negatives = sum(len(e.patches_with_before) for e in qs.events)
        assert patches / len(qs.events) == pytest.approx(12.3, abs=1.5)
        assert negatives / patches == pytest.approx(BEFORE_SHARE, abs=0.06)
        holding = [qs.patch_attrs(e.event_id, p)["epicenter_in_patch"] for e in qs.events for p in e.patches]
        assert np.mean(holding) < 0.2  # most patches do not contain the epicentre
        distances = [qs.patch_attrs(e.event_id, p)["distance_km"] for e in qs.events for p in e.patches]
        assert max(distances) > 3 * min(distances)  # spread over the epicentral area
        # Splits are by event: every sample of an event carries the event's split.
        for ref in qs.samples(Task.BITEMPORAL_DETECTION):
            assert ref.split == qs.event(ref.event_id).split
