"""The interferometric detection ceiling (evaluation/insar_ceiling.py) and its study pairs
(simulator/insar/study.py): the statistics by hand, the oracle on a strong event against its
event-free twin, the oracle at least as good as the fringe rule, a negative-only run, the
table's structure, and thresholds that come from the validation seed alone."""

from __future__ import annotations

import numpy as np
import pytest

from quakesat.evaluation.insar_ceiling import (
    BINNED,
    ORACLE_WINDOW_M,
    STATISTICS,
    ceiling_table,
    coherence_drop_statistic,
    format_ceiling,
    oracle_re_statistic,
    oracle_statistic,
    oracle_window_px,
    phase_gradient_statistic,
    score_pairs,
    template_phasor,
)
from quakesat.simulator.events import event_at
from quakesat.simulator.insar.coherence import multilook
from quakesat.simulator.insar.geometry import WAVELENGTH_M
from quakesat.simulator.insar.pair import TrackGeometry
from quakesat.simulator.insar.study import simulate_patch_pairs, simulate_study_pairs

SIDE, LOOKS, FOOTPRINTS = 64, (1, 4), (5120.0, 10240.0)
EVENTS = 12


@pytest.fixture(scope="module")
def sets() -> dict[str, list]:
    """Scored sets of two seeds and validation sets of two seeds, per footprint (small)."""
    return {name: [simulate_study_pairs(EVENTS if kind == "scored" else 24, seed, footprint, SIDE, LOOKS,
                                        event_pairs=kind == "scored") for footprint in FOOTPRINTS]
            for name, kind, seed in (("scored", "scored", 1), ("scored_other", "scored", 3),
                                     ("validation", "validation", 2), ("validation_other", "validation", 4))}


# ─── the statistics by hand ─────────────────────────────────────────────────────────────
def test_statistics_by_hand() -> None:
    rows, cols = np.meshgrid(np.arange(16), np.arange(16), indexing="ij")
    ramp = 0.3 * cols  # 0.3 rad per pixel along the columns
    ones = np.ones((16, 16))
    template = np.exp(1j * ramp)
    # The interferogram is the template: the matched sum is 1, the flat one |mean exp(i ramp)|.
    expected = 1.0 - abs(np.mean(template))
    assert oracle_statistic(template, ones, template) == pytest.approx(expected)
    assert oracle_re_statistic(template, ones, template) == pytest.approx(1.0)
    # A flat interferogram under a fringe template scores below zero; a flat template scores 0.
    assert oracle_statistic(ones.astype(complex), ones, template) == pytest.approx(abs(np.mean(template)) - 1.0)
    assert oracle_statistic(np.exp(1j * ramp), ones, ones) == pytest.approx(0.0, abs=1e-12)
    # A constant phase offset does not move the oracle (the modulus), it moves the Re form.
    shifted = template * np.exp(1j * 2.0)
    assert oracle_statistic(shifted, ones, template) == pytest.approx(expected)
    assert oracle_re_statistic(shifted, ones, template) == pytest.approx(np.cos(2.0))
    # Two halves with opposite offsets cancel the tile-wide matched sum, not the per-window one.
    halves = template * np.where(cols < 8, 1.0, -1.0)
    assert oracle_statistic(halves, ones, template, window=8) == pytest.approx(
        np.mean([1.0 - abs(np.mean(block)) for block in (template[:8, :8], template[:8, 8:])]))
    assert oracle_statistic(halves, ones, template) < 0.0
    assert oracle_statistic(template, ones, template, window=16) == pytest.approx(expected)
    with pytest.raises(ValueError):
        oracle_statistic(template, ones, template, window=5)
    assert oracle_window_px(32, 80.0) == 32 and oracle_window_px(32, 640.0) == 4 and oracle_window_px(30, 320.0) == 6
    # The fringe rule reads the gradient of a clean ramp and nothing of a constant phase.
    assert phase_gradient_statistic(template, ones) == pytest.approx(0.3)
    assert phase_gradient_statistic(np.exp(1j * (0.2 * rows + 0.1 * cols)), ones) == pytest.approx(np.hypot(0.2, 0.1))
    assert phase_gradient_statistic(np.full((16, 16), np.exp(1.0j)), ones) == pytest.approx(0.0, abs=1e-12)
    assert coherence_drop_statistic(np.full((2, 8, 8), 0.25)) == pytest.approx([0.75, 0.75])
    # The template of a uniform LOS is its phase; of one fringe across a block, about 0.
    assert np.angle(template_phasor(np.full((8, 8), 0.001), 4)) == pytest.approx(4 * np.pi * 0.001 / WAVELENGTH_M)
    one_fringe = np.tile(np.arange(4) * WAVELENGTH_M / 8, (4, 1))  # 0, 1/4, 1/2, 3/4 of a fringe
    assert abs(template_phasor(one_fringe, 4)[0, 0]) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        phase_gradient_statistic(np.ones((4, 4), complex), np.ones((4, 4)))


# ─── the study pairs ────────────────────────────────────────────────────────────────────
def test_the_oracle_separates_a_strong_shallow_event_from_its_event_free_twin() -> None:
    track = TrackGeometry("ascending", -12.0, 35.0)
    for seed in range(3):
        event = event_at(np.random.default_rng(seed), 6.3, 6.3, 5.0, 30.0, 10.0, 1_600_000_000)
        made = simulate_patch_pairs(event, 90.0, (0.0, 0.0), {"pre": 1_599_000_000, "post": 1_600_036_800},
                                    track, 10240.0, SIDE, tuple(np.random.default_rng([seed, k]) for k in range(3)))
        assert np.ptp(made.los_m) > 0.1  # a Mw 6.3 thrust at 5 km moves the ground by decimetres
        template = template_phasor(made.los_m, 4)
        with_event = oracle_statistic(*multilook(*made.event_pair, 4), template)
        without = oracle_statistic(*multilook(*made.free_pair, 4), template)
        assert with_event > without + 0.3


def test_study_pairs_share_events_across_footprints_and_are_reproducible(sets: dict[str, list]) -> None:
    small, large = sets["scored"]
    assert np.array_equal(small.mw, large.mw) and np.array_equal(small.depth_km, large.depth_km)
    assert np.array_equal(small.distance_km, large.distance_km)  # same placement: the QuakeSet grid cell
    assert small.labels.tolist() == [1, 0] * EVENTS and small.event.tolist() == np.repeat(np.arange(EVENTS), 2).tolist()
    assert small.interferograms[4].shape == (2 * EVENTS, SIDE // 4, SIDE // 4)
    again = simulate_study_pairs(2, 1, FOOTPRINTS[0], SIDE, LOOKS)
    assert np.array_equal(again.interferograms[4], small.interferograms[4][:4])
    assert np.all(np.isfinite(small.interferograms[1])) and np.all(np.isfinite(small.coherence[1]))
    # The event-free pairs carry no co-seismic motion, the events do (their truth is kept).
    assert np.all(small.peak_los_m > 0)
    assert small.seconds_per_pair < 0.3
    # Validation sets keep only the negatives.
    assert not sets["validation"][0].labels.any()


def test_oracle_auc_at_least_the_fringe_rule_on_strong_events() -> None:
    strong = simulate_study_pairs(EVENTS, 5, 10240.0, SIDE, (4,), magnitude_range=(6.0, 6.87))
    scores = score_pairs(strong)[4]
    validation = simulate_study_pairs(EVENTS, 6, 10240.0, SIDE, (4,), event_pairs=False)
    row = ceiling_table([strong], [validation])["rows"][0]
    assert row["auc"]["oracle"] >= row["auc"]["fringe"]
    assert row["auc"]["oracle"] >= 0.8
    assert set(scores) == set(STATISTICS) and all(np.all(np.isfinite(s)) for s in scores.values())


# ─── the table ──────────────────────────────────────────────────────────────────────────
def test_a_negative_only_run_has_no_auc_and_no_recall(sets: dict[str, list]) -> None:
    negatives_only = simulate_study_pairs(EVENTS, 7, FOOTPRINTS[0], SIDE, LOOKS, event_pairs=False)
    table = ceiling_table([negatives_only], [sets["validation"][0]])
    for row in table["rows"]:
        assert row["n_events"] == 0 and row["n_negatives"] == EVENTS
        assert all(row["auc"][name] is None for name in STATISTICS)
        assert all(row["recall"][name] is None for name in STATISTICS)
        assert row["bins"] == {}
        assert all(row["scored_false_alarm_rate"][name] is not None for name in STATISTICS)
    assert "| – |" in format_ceiling(table)


def test_table_structure(sets: dict[str, list]) -> None:
    table = ceiling_table(sets["scored"], sets["validation"])
    assert [(row["footprint_m"], row["looks"]) for row in table["rows"]] == \
        [(footprint, looks) for footprint in FOOTPRINTS for looks in LOOKS]
    for row in table["rows"]:
        assert row["n_events"] == EVENTS and row["n_negatives"] == EVENTS and row["n_validation_negatives"] == 24
        assert row["grid_px"] == SIDE // row["looks"]
        assert row["pixel_m"] == pytest.approx(row["footprint_m"] / SIDE * row["looks"])
        assert set(row["auc"]) == set(STATISTICS)
        assert all(0.0 <= row["auc"][name] <= 1.0 for name in STATISTICS)
        # 24 validation negatives: 1 % is not resolvable (recall None), 5 % is (the bins use it).
        assert not row["resolvable"] and all(row["recall"][name] is None for name in STATISTICS)
        assert row["bins_rate"] == 0.05 and set(row["bins"]) == set(BINNED)
        assert row["oracle_window_px"] * row["pixel_m"] <= ORACLE_WINDOW_M
        assert (SIDE // row["looks"]) % row["oracle_window_px"] == 0
        bins = row["bins"]["oracle"]
        assert [b["bin"] for b in bins["mw"]] == ["<5", "5-5.5", "5.5-6", ">=6"]
        assert [b["bin"] for b in bins["depth_km"]] == ["<10", "10-20", ">=20"]
        assert sum(b["n"] for b in bins["mw"]) == sum(b["n"] for b in bins["depth_km"]) == EVENTS
    # At block side 1 the estimated coherence is 1: the coherence-drop rule is a constant.
    assert table["rows"][0]["auc"]["coherence_drop"] == 0.5
    text = format_ceiling(table)
    # One main row per block side, then one binned row per block side and binned rule.
    assert text.count("\n| 5.12 | ") == len(LOOKS) * (1 + len(BINNED))
    assert "Mandali" in text and "AUC oracle" in text and "recall@1 %" in text


def test_recall_is_reported_when_the_validation_set_resolves_one_percent() -> None:
    scored = simulate_study_pairs(EVENTS, 1, FOOTPRINTS[0], SIDE, (4,))
    validation = simulate_study_pairs(100, 2, FOOTPRINTS[0], SIDE, (4,), event_pairs=False)
    row = ceiling_table([scored], [validation])["rows"][0]
    assert row["resolvable"] and row["bins_rate"] == 0.01
    assert all(0.0 <= row["recall"][name] <= 1.0 for name in STATISTICS)


def test_thresholds_come_from_the_validation_seed(sets: dict[str, list]) -> None:
    base = ceiling_table(sets["scored"], sets["validation"])
    other_scored = ceiling_table(sets["scored_other"], sets["validation"])
    other_validation = ceiling_table(sets["scored"], sets["validation_other"])
    for a, b, c in zip(base["rows"], other_scored["rows"], other_validation["rows"]):
        assert a["thresholds"] == b["thresholds"]  # other scored pairs, same thresholds
        assert a["thresholds"]["oracle"] != c["thresholds"]["oracle"]  # other validation seed, other thresholds
    # The scored pairs differ, so the scores that meet those thresholds do.
    assert [r["auc"] for r in base["rows"]] != [r["auc"] for r in other_scored["rows"]]
    with pytest.raises(ValueError, match="another seed"):
        ceiling_table(sets["scored"], sets["scored"])
