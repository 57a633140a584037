"""The on-board event aggregator on scenarios whose answer is known, its intervals, its
operating point (validation only), and a tiny run of the measured study."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from scipy.stats import binom, norm

from quakesat.mission.survey_aggregation import (
    TILES_PER_ORBIT,
    AggregationRule,
    ValidationGrids,
    aggregate,
    choose_rule,
    count_alerts,
    false_alert_curve,
    false_alerts_per_orbit,
    instructions_per_tile,
    operation_counts,
    poisson_interval,
    wilson_interval,
    window_statistic,
)

RULES = [AggregationRule(1, 1), AggregationRule(3, 2), AggregationRule(3, 3), AggregationRule(3, 2, "mean"),
         AggregationRule(5, 4), AggregationRule(3, 1)]


def _background(shape: tuple[int, int] = (8, 8), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.1, shape)


# ─── (a), (b): planted clusters ─────────────────────────────────────────────────────────
@pytest.mark.parametrize("rule", [AggregationRule(1, 1, threshold=3.0), AggregationRule(3, 2, threshold=3.0),
                                  AggregationRule(3, 4, threshold=3.0),
                                  AggregationRule(3, 2, "mean", threshold=3.0)])
def test_a_planted_two_by_two_cluster_gives_one_alert_at_its_peak(rule: AggregationRule) -> None:
    scores = _background()
    scores[3:5, 5:7] = [[5.0, 6.0], [5.5, 7.0]]
    alerts = aggregate(scores, rule)
    assert len(alerts) == 1
    assert (alerts[0].row, alerts[0].col, alerts[0].score) == (4, 6, 7.0)


def test_a_cluster_smaller_than_k_does_not_fire() -> None:
    scores = _background()
    scores[3:5, 5:7] = [[5.0, 6.0], [5.5, 7.0]]
    assert aggregate(scores, AggregationRule(3, 5, threshold=3.0)) == []  # 4 high tiles, 5 needed
    assert aggregate(_background(), AggregationRule(3, 2, threshold=3.0)) == []


@pytest.mark.parametrize("rule", [AggregationRule(1, 1, threshold=3.0), AggregationRule(3, 2, threshold=3.0),
                                  AggregationRule(3, 3, "mean", threshold=3.0)])
def test_b_two_separate_clusters_give_two_alerts(rule: AggregationRule) -> None:
    scores = _background((12, 12), seed=1)
    scores[1:3, 1:3] = [[4.0, 4.5], [9.0, 4.2]]
    scores[8:10, 8:10] = [[6.0, 8.0], [4.4, 4.1]]
    alerts = aggregate(scores, rule)
    assert sorted((a.row, a.col) for a in alerts) == [(2, 1), (8, 9)]


def test_a_lone_hot_tile_fires_alone_but_not_for_an_aggregated_rule() -> None:
    scores = _background()
    scores[2, 2] = 10.0
    assert [(a.row, a.col) for a in aggregate(scores, AggregationRule(1, 1, threshold=3.0))] == [(2, 2)]
    assert aggregate(scores, AggregationRule(3, 2, threshold=3.0)) == []
    # the mean of the top 2 carries one very high tile with a background one
    assert [(a.row, a.col) for a in aggregate(scores, AggregationRule(3, 2, "mean", threshold=3.0))] == [(2, 2)]


# ─── (c): NaN tiles ─────────────────────────────────────────────────────────────────────
def test_c_nan_tiles_never_fire_never_locate_and_never_crash() -> None:
    scores = _background()
    scores[3:5, 5:7] = [[5.0, np.nan], [5.5, 7.0]]
    scores[0, :] = np.nan
    for rule in RULES:
        for alert in aggregate(scores, rule.at(3.0)):
            assert np.isfinite(scores[alert.row, alert.col])
    assert [(a.row, a.col) for a in aggregate(scores, AggregationRule(3, 3, threshold=3.0))] == [(4, 6)]
    assert aggregate(scores, AggregationRule(3, 4, threshold=3.0)) == []  # the NaN tile does not count
    nothing = np.full((4, 5), np.nan)
    for rule in RULES:
        assert aggregate(nothing, rule.at(-1e9)) == []
        assert np.isnan(window_statistic(nothing, rule)).all()
    statistic = window_statistic(scores, AggregationRule(3, 2))
    assert np.isnan(statistic[np.isnan(scores)]).all()  # a NaN centre has no window


def test_c_a_grid_too_small_for_the_window_is_clipped() -> None:
    single = np.array([[5.0]])
    assert len(aggregate(single, AggregationRule(3, 1, threshold=1.0))) == 1
    assert aggregate(single, AggregationRule(3, 2, threshold=1.0)) == []  # never k finite tiles


# ─── (d): false windows on i.i.d. noise match the binomial law ──────────────────────────
@pytest.mark.parametrize(("m", "t"), [(2, 1.5), (3, 1.0)])
def test_d_m_of_nine_false_window_rate_matches_the_binomial(m: int, t: float) -> None:
    rng = np.random.default_rng(12345)
    rule = AggregationRule(3, m, threshold=t)
    fired = windows = 0
    for _ in range(200):
        grid = rng.standard_normal((12, 12))
        inner = window_statistic(grid, rule)[1:-1, 1:-1]  # full 3 x 3 windows only
        fired += int((inner >= t).sum())
        windows += inner.size
    expected = float(binom.sf(m - 1, 9, norm.sf(t)))
    assert abs(fired / windows - expected) < 0.15 * expected + 0.003, (fired / windows, expected)


def test_d_the_kth_statistic_is_the_count_rule() -> None:
    rng = np.random.default_rng(3)
    grid = rng.standard_normal((9, 9))
    grid[rng.random((9, 9)) < 0.1] = np.nan
    for k in (1, 2, 3, 5):
        statistic = window_statistic(grid, AggregationRule(3, k))
        padded = np.pad(grid, 1, constant_values=np.nan)
        for r in range(9):
            for c in range(9):
                if np.isnan(grid[r, c]):
                    continue
                window = padded[r:r + 3, c:c + 3]
                count = int(np.sum(window >= 0.5))  # NaN compares False
                assert (statistic[r, c] >= 0.5) == (count >= k)


# ─── (e): intervals ─────────────────────────────────────────────────────────────────────
def test_e_the_interval_holds_the_estimate_and_is_zero_based_for_no_events() -> None:
    rate = false_alerts_per_orbit(5, 100, 9, TILES_PER_ORBIT)
    assert rate.value == pytest.approx(5 / 900 * TILES_PER_ORBIT)
    assert rate.low < rate.value < rate.high
    # Garwood's exact limits for 5 events: 1.6235 and 11.6683
    assert rate.low == pytest.approx(1.6235 / 900 * TILES_PER_ORBIT, rel=1e-3)
    assert rate.high == pytest.approx(11.6683 / 900 * TILES_PER_ORBIT, rel=1e-3)
    zero = false_alerts_per_orbit(0, 50, 9, 173.0)
    assert zero.value == 0.0 and zero.low == 0.0
    assert zero.high == pytest.approx(-math.log(0.025) / 450 * 173.0, rel=1e-6)  # 3.689 events
    assert poisson_interval(0)[0] == 0.0
    p, low, high = wilson_interval(7, 20)
    assert low < p == 0.35 < high
    assert wilson_interval(0, 10)[1] == 0.0 and wilson_interval(10, 10)[2] == 1.0
    assert math.isnan(wilson_interval(0, 0)[0])
    for bad in ((-1, 10, 9), (1, 0, 9), (1.5, 10, 9), (1, 10, 0)):
        with pytest.raises(ValueError):
            false_alerts_per_orbit(*bad)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


# ─── (f): the operating point reads validation only ─────────────────────────────────────
def _grids(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((3, 3)) for _ in range(n)]


def test_f_choose_rule_takes_validation_only_and_meets_the_target_there() -> None:
    assert list(inspect.signature(choose_rule).parameters) == ["validation", "rule", "target_per_orbit"]
    with pytest.raises(ValueError, match="validation split only"):
        ValidationGrids(tuple(_grids(5, 0)), split="test")
    with pytest.raises(ValueError, match="ValidationGrids"):
        choose_rule(_grids(5, 0), AggregationRule(3, 2), 1.0)  # type: ignore[arg-type]
    grids = _grids(200, 7)
    validation = ValidationGrids(tuple(grids), tiles_per_orbit=173.0)
    for rule in RULES[:4]:
        for target in (1.0, 5.0, 20.0):
            chosen = choose_rule(validation, rule, target)
            allowed = math.floor(target * 1800 / 173.0)
            assert count_alerts(grids, chosen.rule) == chosen.validation.false_events <= allowed
            assert chosen.validation.value <= target
            levels, counts = false_alert_curve(validation, rule)
            assert counts[levels >= chosen.rule.threshold].max(initial=0) <= allowed
            lower = levels[levels < chosen.rule.threshold]
            if lower.size:  # the lowest such threshold: one level lower, some count exceeds the target
                assert counts[levels >= lower[-1]].max() > allowed
            for level in levels[::499] if target == 1.0 else ():  # the curve is what aggregate counts
                assert counts[levels == level][0] == count_alerts(grids, rule.at(level))
    chosen = choose_rule(validation, AggregationRule(3, 2), 1.0)
    # copies: changing the arrays it was built from (or any other array) changes nothing
    for grid in grids:
        grid += 100.0
    assert choose_rule(validation, AggregationRule(3, 2), 1.0) == chosen
    with pytest.raises(ValueError):
        validation.grids[0][0, 0] = 1.0  # read-only
    assert chosen.resolvable  # 1,800 tiles at 1 per 173 tiles: about 10 false alerts expected
    assert choose_rule(ValidationGrids(tuple(_grids(2, 1)), 173.0), AggregationRule(1, 1), 1.0).resolvable is False


def test_choose_rule_on_noise_gives_the_per_tile_quantile_for_the_single_tile_rule() -> None:
    rng = np.random.default_rng(11)
    grids = [rng.standard_normal((1, 1)) for _ in range(5000)]  # one tile per acquisition: no merging
    chosen = choose_rule(ValidationGrids(tuple(grids), tiles_per_orbit=100.0), AggregationRule(1, 1), 2.0)
    # 2 per 100 tiles: the upper 2 % quantile of N(0, 1), 2.054 (estimated from 5,000: sd about 0.04)
    assert chosen.rule.threshold == pytest.approx(norm.isf(0.02), abs=0.12)


# ─── bad inputs ─────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("scores", "message"), [
    (np.zeros(9), "2-D"), (np.zeros((2, 3, 3)), "2-D"), (np.zeros((3, 3), dtype=np.int64), "floating"),
    (np.zeros((3, 3), dtype=bool), "floating"), (np.zeros((3, 3), dtype=np.complex64), "floating"),
    (np.array([[np.inf, 0.0]]), "infinite"), ([[0.0, 1.0]], "numpy array"), (np.zeros((0, 3)), "at least one"),
])
def test_bad_grids_are_refused_with_a_clear_message(scores: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        aggregate(scores, AggregationRule(3, 2, threshold=0.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        ValidationGrids((scores,))  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [dict(window=2), dict(window=0), dict(k=0), dict(window=3, k=10),
                                    dict(combine="max"), dict(threshold=math.nan), dict(k=1.5), dict(window=True)])
def test_bad_rules_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        AggregationRule(**kwargs)


def test_float32_grids_are_taken() -> None:
    scores = _background().astype(np.float32)
    scores[4, 4] = 9.0
    assert len(aggregate(scores, AggregationRule(1, 1, threshold=3.0))) == 1


# ─── cost ───────────────────────────────────────────────────────────────────────────────
def test_the_operation_count_is_documented_and_small() -> None:
    assert operation_counts(AggregationRule(3, 2)) == {"background": 0, "flag": 1, "window": 4, "decide": 2,
                                                       "label": 10, "locate": 9}
    assert instructions_per_tile(AggregationRule(3, 2)) == 26
    assert instructions_per_tile(AggregationRule(1, 1)) == 14
    assert instructions_per_tile(AggregationRule(3, 2, "mean")) == 9 + 18 + 3 + 10 + 9
    assert operation_counts(AggregationRule(1, 1, background=5))["background"] == 25 + 25 * 13 + 1
    assert all(instructions_per_tile(rule) < 1000 for rule in RULES)  # against millions for the detector


# ─── the study's statistic and a tiny run ───────────────────────────────────────────────
def test_the_fringe_statistic_is_the_ceiling_study_s() -> None:
    from quakesat.evaluation.insar_ceiling import phase_gradient_statistic
    from quakesat.mission.aggregation_study import fringe_statistic

    rng = np.random.default_rng(5)
    ifg = rng.standard_normal((4, 32, 32)) + 1j * rng.standard_normal((4, 32, 32))
    ifg[1] *= np.exp(1j * np.linspace(0, 20, 32))[None, :]
    coherence = rng.uniform(0, 1, (4, 32, 32))
    np.testing.assert_allclose(fringe_statistic(ifg, coherence), phase_gradient_statistic(ifg, coherence),
                               rtol=1e-12)


def test_a_tiny_study_run_is_consistent() -> None:
    from quakesat.mission.aggregation_study import aggregation_markdown, run_aggregation_study

    study = run_aggregation_study(3, blocks=1, free_blocks=1, model_dir=None, workers=1, targets=(5.0,))
    assert study.statistics == ("fringe",)
    for split in ("validation", "test"):
        assert study.sizes[split]["event_blocks"] == 1 and study.sizes[split]["event_free_blocks"] == 2
        assert 0 < study.sizes[split]["event_free_tiles"] <= 18
    assert len(study.at_goal) == 6
    for result in study.at_goal:
        assert result.target_per_orbit == 1.0
        assert result.test.low <= result.test.value <= result.test.high
        assert result.recall.events == 1
    text = aggregation_markdown(study)
    assert "single tile" in text and "Goal" in text


# ─── the regional background ────────────────────────────────────────────────────────────
def test_the_background_removes_a_level_shared_by_the_acquisition() -> None:
    calm = _background((5, 5), seed=4)
    stormy = calm + 10.0  # a turbulent day raises every tile alike
    baseline, regional = AggregationRule(1, 1, threshold=3.0), AggregationRule(1, 1, threshold=3.0, background=5)
    assert aggregate(calm, baseline) == [] and len(aggregate(stormy, baseline)) == 1  # one merged alert
    assert aggregate(stormy, regional) == []
    stormy[2, 3] += 6.0  # an event's tile stands out of its day
    alerts = aggregate(stormy, regional)
    assert [(a.row, a.col) for a in alerts] == [(2, 3)] and alerts[0].score == pytest.approx(6.0, abs=0.5)
    lonely = np.full((3, 3), np.nan)
    lonely[1, 1] = 50.0  # no stored neighbour: no background to stand out of
    assert aggregate(lonely, regional) == []
    assert "median 5x5" in regional.label and not regional.single_tile
    with pytest.raises(ValueError):
        AggregationRule(background=4)
