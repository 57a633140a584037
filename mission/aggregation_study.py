"""Measured: what event-level aggregation of neighbouring stored tiles buys on simulated acquisitions.

Question (the survey issue): can an on-board decision over neighbouring tiles of one
acquisition keep false alerts at or below **1 per orbit** (about :data:`TILES_PER_ORBIT`
stored tiles checked per orbit) while finding at least **50 % of the Mw >= 5.5 events** whose
epicentre lies inside the stored tiles? If not, the recall against false alerts per orbit,
and where the goal falls on it.

Protocol (one run of :func:`run_aggregation_study`):

- **blocks**: an acquisition is a ``grid x grid`` block of same-track tiles (default 3 x 3
  tiles of 256 px at 80 m: 768 px, 61.4 km) simulated **as one image**: one scene, one
  turbulent screen, one stratified delay, one orbital and one ionospheric ramp, one set of
  non-seismic motion over the whole block (:func:`quakesat.simulator.insar.pair.simulate_slc_images`,
  the simulator's physics unchanged), then cut into tiles. Neighbouring tiles therefore share
  the atmosphere's long wavelengths, as real neighbouring tiles do: the aggregation's gain on
  false alarms is only honest with that correlation (the run reports the correlation of
  neighbouring tiles' scores on event-free blocks). Because the block draws the non-seismic
  kinds once for all its tiles, ``grid² - 1`` further draws of the local kinds (subsidence
  bowls and slow landslides at the simulator's per-patch probabilities,
  :mod:`quakesat.simulator.insar.nonseismic`; the seasonal kind is block-wide already) are placed over the block and added to the later image's
  phase, so that a tile holds them about as often as the single-tile study's tiles do;
- **events**: a *site* is one event and one scene: Mw uniform over ``mw_range`` (default
  5.0-7.0; Mw >= 5.5 reported apart), depth, fault orientation, region, revisit and dates as
  the simulator draws them (:func:`~quakesat.simulator.events.event_at`,
  :func:`~quakesat.simulator.events.acquisition_times`), rake by
  :func:`~quakesat.simulator.insar.dislocation.draw_rake`, one track; the epicentre uniform
  over the block. Each site gives an **event block** (the fault as source) and an
  **event-free block** of the same scene and track with independent speckle, atmosphere and
  motion (the paired design of :mod:`quakesat.simulator.insar.study`); further
  **event-free-only blocks** add negatives (false alarms need far more negatives than recall
  needs events);
- **per-tile scores**: each tile's on-board input (:func:`quakesat.runtime.interferogram.interferogram_features`,
  8 x 8 looks to 32 x 32 cells of 640 m); a tile whose interferogram the flight runtime would
  refuse (:func:`quakesat.runtime.same_track.check_coherence`: ``NO_COHERENCE``, e.g. open
  water) is NaN, as on board. Statistics: ``fringe``, the best non-oracle rule of the
  detection-ceiling study (:func:`fringe_statistic`, the coherence-weighted local phase
  gradient: ``quakesat.evaluation.insar_ceiling.phase_gradient_statistic``, restated here
  because ``mission`` may not import ``evaluation``; a test holds the two equal), and
  ``model``, the demo's exported interferometric QuakeLite (``onnx-fp32`` of
  :data:`MODEL_DIR`, its event logit through :class:`quakesat.runtime.model.ExportedModel`)
  when that artifact exists;
- **splits by seed**: validation and test blocks come from disjoint random streams
  (``[seed, split, kind, index]``); every threshold is set on the validation split's
  event-free blocks only (:func:`quakesat.mission.survey_aggregation.choose_rule`), for
  1 false alert per orbit and for each target of :data:`TARGETS` (the curve), and applied
  unchanged to the test split;
- **what is counted on test**: false alerts per orbit = alerts on the event-free blocks /
  their stored tiles x :data:`TILES_PER_ORBIT`, with the exact Poisson 95 % interval; an event
  is **found** when an alert lies within :data:`MATCH_TILES` tile (Chebyshev) of its
  epicentre's tile (recall with Wilson 95 % intervals, all events and Mw >= 5.5); the same
  match applied to the site's event-free block gives the **chance** rate (an alert near the
  epicentre by accident); a Gutenberg-Richter (b = 1) reweighting of the Mw >= 5.5 recall is
  given beside the uniform-Mw one, since real events are mostly small.

Resolution: with ``V`` validation event-free tiles the smallest resolvable rate is one alert
in ``V`` tiles, i.e. :data:`TILES_PER_ORBIT` / ``V`` alerts per orbit; targets below it are
marked unresolvable and not claimed. The markdown states ``V`` and that floor.

Edges: a block's edge windows are clipped (fewer tiles), as at the edge of a stored area; in
a wide contiguous stored area every window is full and an aggregated rule fires more often.
The run therefore also reports, per rule, the firing rate of the *full* (interior) windows
scaled per orbit: a bound for an unbounded mosaic that ignores the merging of neighbouring
firing windows into one alert.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.data.fringe import FRINGE_WINDOW, phase_gradient
from quakesat.data.parallel import default_workers, ordered_map
from quakesat.mission.survey_aggregation import (
    TILES_PER_ORBIT,
    AggregationRule,
    RatePerOrbit,
    ValidationGrids,
    aggregate,
    choose_rule,
    false_alerts_per_orbit,
    instructions_per_tile,
    wilson_interval,
    window_statistic,
)
from quakesat.runtime.interferogram import DEFAULT_LOOKS, InterferogramConfig, interferogram_features
from quakesat.runtime.same_track import check_coherence
from quakesat.simulator.events import (
    DEPTH_LOG_SD,
    DEPTH_MEDIAN_KM,
    DEPTH_RANGE_KM,
    REPEAT_DAYS,
    SIX_DAY_SHARE,
    TIME_RANGE,
    acquisition_times,
    event_at,
)
from quakesat.simulator.insar.dislocation import FaultSource, draw_rake
from quakesat.simulator.insar.geometry import WAVELENGTH_M, los_displacement
from quakesat.simulator.insar.nonseismic import NONSEISMIC_PROBABILITY, slow_landslide, subsidence_bowl
from quakesat.simulator.insar.pair import draw_track, simulate_slc_images
from quakesat.simulator.insar.study import patch_positions
from quakesat.simulator.sar_scene import make_scene
from quakesat.simulator.shaking import MB_TO_MW

#: Same-track tile (docs/simulator.md): 256 px of 80 m, multilooked on board at 8 x 8.
TILE_PX = 256
PIXEL_M = 80.0
#: Tiles per block side: 3 x 3 tiles, 61.4 km.
GRID = 3
#: Mw range of the simulated events and the goal's magnitude.
MW_RANGE = (5.0, 7.0)
GOAL_MW = 5.5
#: The goal: at most this many false alerts per orbit, at least this recall of Mw >= 5.5.
GOAL_FALSE_PER_ORBIT = 1.0
GOAL_RECALL = 0.5
#: False alerts per orbit the curve is drawn at (thresholds set on validation for each). Merged
#: alerts saturate near one per block (TILES_PER_ORBIT / grid² per orbit, 19 for 3 x 3 blocks):
#: targets above half of that are left off the curve (:func:`saturation_per_orbit`).
TARGETS: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0)
#: An alert finds an event when it lies within this many tiles (Chebyshev) of the epicentre's tile.
MATCH_TILES = 1
#: Default size: sites (an event block and its event-free block) and event-free-only blocks,
#: per split (validation, test): 2 x (50 + 80) blocks, about 90 s of two free cores
#: (module doc: what it resolves).
DEFAULT_SITES = 50
DEFAULT_FREE_BLOCKS = 80
#: The rules compared: the single-tile baseline, aggregations over 3 x 3 windows, and both with
#: the regional median (5 x 5 tiles: the whole block) subtracted first.
RULES: tuple[AggregationRule, ...] = (
    AggregationRule(window=1, k=1),
    AggregationRule(window=3, k=2),
    AggregationRule(window=3, k=2, combine="mean"),
    AggregationRule(window=3, k=3, combine="mean"),
    AggregationRule(window=1, k=1, background=5),
    AggregationRule(window=3, k=2, combine="mean", background=5),
)
#: Side (multilooked cells) of the fringe statistic's windows (evaluation/insar_ceiling.py's
#: GRADIENT_WINDOW).
GRADIENT_WINDOW = FRINGE_WINDOW
#: The demo's exported interferometric model and the artifact scored.
MODEL_DIR = Path("out/demo/artifacts/quakelite-insar")
MODEL_ARTIFACT = "onnx-fp32"
#: Stream tags (module doc: splits by seed).
_SPLITS = {"validation": 1, "test": 2}
_SITE, _FREE_ONLY = 0, 1
_EVENT_TAG, _SCENE_TAG, _EVENT_PAIR_TAG, _FREE_PAIR_TAG, _EVENT_LOCAL_TAG, _FREE_LOCAL_TAG = range(6)
#: The local non-seismic kinds added per block (module doc), in the simulator's order.
_LOCAL_KINDS = {"subsidence": subsidence_bowl, "landslide": slow_landslide}
#: Gutenberg-Richter b-value of the reweighted recall.
GR_B = 1.0


# ─── the per-tile statistic ─────────────────────────────────────────────────────────────
def fringe_statistic(interferogram: np.ndarray, coherence: np.ndarray, window: int = GRADIENT_WINDOW) -> np.ndarray:
    """The fringe rule: coherence-weighted mean magnitude of the local phase gradient.

    The ceiling study's rule (:func:`quakesat.data.fringe.phase_gradient`, shared with
    ``quakesat.evaluation.insar_ceiling.phase_gradient_statistic``): neighbour products of
    the unit interferogram along and down, weighted by the geometric mean of the two coherences, averaged over ``window x window``
    windows to a mean phasor ``m``; the statistic is the weighted mean over windows of
    ``|(|m_x| arg m_x, |m_y| arg m_y)|``, radians per multilooked cell. It reads only the
    phase's changes, never its level.

    Args:
        interferogram: ``... x H x W`` multilooked interferograms (only their phase is used).
        coherence: ``... x H x W`` estimated coherence.
        window: window side (cells).

    Returns:
        float64 ``...``.
    """
    ifg, weights = np.asarray(interferogram), np.asarray(coherence, dtype=np.float64)
    if ifg.shape != weights.shape or ifg.ndim < 2:
        raise ValueError(f"interferogram {ifg.shape} and coherence {weights.shape} must be images of one shape")
    return phase_gradient(ifg, weights, window)


# ─── simulation of one block ────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class StudyConfig:
    """The geometry and draws of the study (module doc)."""

    grid: int = GRID
    tile_px: int = TILE_PX
    pixel_m: float = PIXEL_M
    looks: int = DEFAULT_LOOKS
    mw_range: tuple[float, float] = MW_RANGE
    local_motion: bool = True

    def __post_init__(self) -> None:
        if self.grid < 1 or self.tile_px % self.looks or self.pixel_m <= 0:
            raise ValueError(f"bad study geometry: grid {self.grid}, tile {self.tile_px} px, looks {self.looks}")
        if not self.mw_range[0] < self.mw_range[1]:
            raise ValueError(f"mw_range must be increasing, got {self.mw_range}")

    @property
    def tile_m(self) -> float:
        return self.tile_px * self.pixel_m


@dataclass(frozen=True)
class _Task:
    seed: int
    split: str
    index: int
    site: bool
    config: StudyConfig
    keep_features: bool


@dataclass
class Block:
    """One simulated acquisition (block of tiles) and its per-tile scores.

    Attributes:
        split: ``validation`` or ``test``.
        site: index of its site (event-free-only blocks: their own index).
        event: whether the block holds the event.
        paired: an event-free block of a site (shares the site's scene, track and epicentre tile).
        scores: statistic -> ``grid x grid`` float64 (NaN: tile refused as on board).
        mw, depth_km: the site's event (NaN for event-free-only blocks).
        epicentre: (row, col) of the tile holding the epicentre (sites), else None.
        peak_los_m: ``grid x grid`` largest |co-seismic LOS| per tile (0 without the event).
        features: ``grid² x 3 x H x W`` on-board inputs (dropped once the model scored them).
    """

    split: str
    site: int
    event: bool
    paired: bool
    scores: dict[str, np.ndarray]
    mw: float
    depth_km: float
    epicentre: tuple[int, int] | None
    peak_los_m: np.ndarray
    features: np.ndarray | None = None


def _local_motion_los(rng: np.random.Generator, size: int, pixel_m: float, gap_days: float, los: np.ndarray,
                      draws: int) -> np.ndarray | None:
    """LOS (m) of ``draws`` further draws of the local non-seismic kinds over the block, or None.

    Each draw holds a subsidence bowl and a slow landslide with the simulator's per-patch
    probabilities (:data:`~quakesat.simulator.insar.nonseismic.NONSEISMIC_PROBABILITY`), each
    drawn by the simulator's own function; the seasonal kind is block-wide and already in the
    block's one draw."""
    total = None
    for _ in range(draws):
        present = [kind for kind in _LOCAL_KINDS if rng.random() < NONSEISMIC_PROBABILITY[kind]]
        for kind in present:
            motion = _LOCAL_KINDS[kind](rng, size, pixel_m, gap_days)
            total = motion if total is None else total + motion
    return None if total is None else los_displacement(total, los)


def _score_block(pre: np.ndarray, post: np.ndarray, config: StudyConfig, keep_features: bool
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """(fringe score grid, on-board inputs or None) of one block's pair, tile by tile."""
    grid, side = config.grid, config.tile_px
    preprocess = InterferogramConfig(config.looks)
    scores = np.full((grid, grid), np.nan)
    cells = side // config.looks
    features = np.zeros((grid * grid, 3, cells, cells), np.float32) if keep_features else None
    for r in range(grid):
        for c in range(grid):
            window = (slice(r * side, (r + 1) * side), slice(c * side, (c + 1) * side))
            tile = interferogram_features(pre[window], post[window], preprocess)
            if features is not None:
                features[r * grid + c] = tile
            if check_coherence(tile[2], config.looks).processable:
                scores[r, c] = float(fringe_statistic(tile[0] + 1j * tile[1], tile[2]))
    return scores, features


def _simulate(task: _Task) -> list[Block]:
    """The block(s) of one task: a site's event block and event-free block, or one
    event-free-only block (module doc)."""
    config = task.config
    side, extent = config.grid * config.tile_px, config.grid * config.tile_m
    base = [task.seed, _SPLITS[task.split], _SITE if task.site else _FREE_ONLY, task.index]
    rng = np.random.default_rng(base + [_EVENT_TAG])
    mw = float(rng.uniform(*config.mw_range))
    depth = float(np.clip(rng.lognormal(math.log(DEPTH_MEDIAN_KM), DEPTH_LOG_SD), *DEPTH_RANGE_KM))
    latitude, longitude = float(rng.uniform(-55.0, 65.0)), float(rng.uniform(-180.0, 180.0))
    origin = int(rng.integers(*TIME_RANGE))
    repeat = int(REPEAT_DAYS[0] if rng.random() < SIX_DAY_SHARE else REPEAT_DAYS[1])
    event = event_at(rng, (mw - MB_TO_MW[1]) / MB_TO_MW[0], mw, depth, latitude, longitude, origin, repeat)
    rake = draw_rake(rng)
    times = acquisition_times(rng, event)
    track = draw_track(rng)
    north_off, east_off = (float(v) for v in rng.uniform(-extent / 2.0, extent / 2.0, size=2))
    epicentre = (min(config.grid - 1, int((extent / 2.0 - north_off) // config.tile_m)),
                 min(config.grid - 1, int((east_off + extent / 2.0) // config.tile_m)))
    scene = make_scene(np.random.default_rng(base + [_SCENE_TAG]), side, event.region)
    sigma0 = 10.0 ** (scene.base_db[..., 0] / 10.0)
    north_m, east_m = patch_positions(side, config.pixel_m, (-north_off, -east_off))
    gap = (times["post"] - times["pre"]) / 86_400.0
    day = datetime.fromtimestamp(times["post"], tz=UTC).timetuple().tm_yday
    common = dict(land_cover=scene.land_cover, elevation_m=scene.elevation,
                  damage=np.zeros(scene.land_cover.shape, dtype=np.uint8), sigma0={"pre": sigma0, "post": sigma0},
                  north_m=north_m, east_m=east_m, pixel_m=config.pixel_m, gaps_days={"event": gap},
                  day_of_year=day, track=track)
    kinds = [(True, _EVENT_PAIR_TAG, _EVENT_LOCAL_TAG)] if task.site else []
    kinds.append((False, _FREE_PAIR_TAG, _FREE_LOCAL_TAG))
    blocks = []
    for with_event, pair_tag, local_tag in kinds:
        source = FaultSource.from_rupture(event.rupture, rake) if with_event else None
        made = simulate_slc_images(np.random.default_rng(base + [pair_tag]), source=source, **common)
        pre, post = made.images["pre"], made.images["post"]
        if config.local_motion:
            extra = _local_motion_los(np.random.default_rng(base + [local_tag]), side, config.pixel_m, gap,
                                      track.los, config.grid * config.grid - 1)
            if extra is not None:  # a phase on the later image is a phase of the interferogram
                post = (post * np.exp(1j * 4.0 * np.pi / WAVELENGTH_M * extra)).astype(np.complex64)
        scores, features = _score_block(pre, post, config, task.keep_features)
        los = np.abs(made.pairs["event"].coseismic_los_m)
        peak = los.reshape(config.grid, config.tile_px, config.grid, config.tile_px).max(axis=(1, 3))
        blocks.append(Block(task.split, task.index, with_event, task.site and not with_event, {"fringe": scores},
                            mw if task.site else math.nan, depth if task.site else math.nan,
                            epicentre if task.site else None, peak.astype(np.float64), features))
    return blocks


def _score_with_model(blocks: Sequence[Block], model_dir: Path, artifact: str) -> str | None:
    """Add ``model`` scores (event logit) to every block; a note when the model is missing."""
    from quakesat.runtime.model import ExportedModel

    try:
        model = ExportedModel.open(model_dir, artifact)
    except Exception as err:  # optional part of the study: say why and go on
        return f"model not scored ({type(err).__name__}: {err})"
    tiles = np.concatenate([block.features for block in blocks if block.features is not None])
    probabilities = np.concatenate([model.heads(tiles[i:i + 512])["event"] for i in range(0, len(tiles), 512)])
    p = np.clip(probabilities.astype(np.float64), 1e-7, 1.0 - 1e-7)
    logits = np.log(p) - np.log1p(-p)
    at = 0
    for block in blocks:
        grid = block.scores["fringe"].shape
        values = logits[at:at + grid[0] * grid[1]].reshape(grid)
        at += grid[0] * grid[1]
        block.scores["model"] = np.where(np.isfinite(block.scores["fringe"]), values, np.nan)  # same refusals
    return None


# ─── evaluation ─────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Recall:
    """Events found out of events, with the Wilson interval."""

    found: int
    events: int
    value: float
    low: float
    high: float

    @classmethod
    def of(cls, flags: Sequence[bool]) -> Recall:
        found, n = int(sum(flags)), len(flags)
        return cls(found, n, *wilson_interval(found, n))


@dataclass(frozen=True)
class RuleResult:
    """One (statistic, rule) at one target, thresholded on validation and measured on test.

    Attributes:
        statistic, rule: the per-tile score and the rule at its validation threshold.
        operations_per_tile: :func:`~quakesat.mission.survey_aggregation.instructions_per_tile`.
        target_per_orbit, resolvable: the target and whether validation can measure it.
        validation: false alerts per orbit on validation (where the threshold was set).
        validation_recall_goal: recall of Mw >= 5.5 on validation (used only to pick a rule).
        test: false alerts per orbit on the test event-free blocks.
        full_window_bound: test firing rate of the interior (full) windows, per orbit.
        recall, recall_goal: test recall, all events and Mw >= :data:`GOAL_MW`.
        recall_goal_gr: Mw >= 5.5 recall reweighted to a Gutenberg-Richter b = 1 magnitude law.
        chance: share of the sites' event-free blocks with an alert near the epicentre tile.
        recall_by_mw: (Mw bin label, Recall) on test.
    """

    statistic: str
    rule: AggregationRule
    operations_per_tile: int
    target_per_orbit: float
    resolvable: bool
    validation: RatePerOrbit
    validation_recall_goal: float
    test: RatePerOrbit
    full_window_bound: RatePerOrbit
    recall: Recall
    recall_goal: Recall
    recall_goal_gr: float
    chance: Recall
    recall_by_mw: tuple[tuple[str, Recall], ...]


@dataclass(frozen=True)
class AggregationStudy:
    """What :func:`run_aggregation_study` measured.

    Attributes:
        seed: the run's seed.
        config: geometry and draws.
        tiles_per_orbit: the survey volume.
        sizes: split -> counts (``sites``, ``free_blocks``, ``event_free_blocks``,
            ``event_free_tiles``, ``event_blocks``, ``events_goal``).
        statistics: the per-tile statistics scored.
        at_goal: one :class:`RuleResult` per (statistic, rule) at the 1-per-orbit target.
        chosen: statistic -> label of the aggregated rule with the best validation recall of
            Mw >= 5.5 at that target.
        curves: (statistic, rule label) -> one result per target of :data:`TARGETS`.
        neighbour_correlation: statistic -> rank correlation of adjacent tiles' scores on
            event-free blocks (the shared atmosphere's footprint).
        seconds: wall time (``simulate``, ``evaluate``, ``total``); ``workers``: processes used.
        notes: what was skipped and why.
        blocks: the scored blocks (for :func:`evaluate_blocks` under other rules).
    """

    seed: int
    config: StudyConfig
    tiles_per_orbit: float
    sizes: dict[str, dict[str, int]]
    statistics: tuple[str, ...]
    at_goal: tuple[RuleResult, ...]
    chosen: dict[str, str]
    curves: dict[tuple[str, str], tuple[RuleResult, ...]]
    neighbour_correlation: dict[str, float]
    seconds: dict[str, float]
    workers: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    blocks: tuple[Block, ...] = field(default=(), repr=False, compare=False)


def _found(alerts: Sequence, epicentre: tuple[int, int], match: int) -> bool:
    return any(max(abs(a.row - epicentre[0]), abs(a.col - epicentre[1])) <= match for a in alerts)


def _full_window_rate(grids: Sequence[np.ndarray], rule: AggregationRule, tiles_per_orbit: float) -> RatePerOrbit:
    """Firing rate of the windows that lie wholly inside their block, per orbit (module doc: edges)."""
    half = rule.window // 2
    fired = windows = 0
    for grid in grids:
        statistic = window_statistic(grid, rule)
        inner = statistic[half:grid.shape[0] - half, half:grid.shape[1] - half]
        stored = np.isfinite(grid[half:grid.shape[0] - half, half:grid.shape[1] - half])
        windows += int(stored.sum())
        with np.errstate(invalid="ignore"):
            fired += int((np.isfinite(inner) & (inner >= rule.threshold)).sum())
    return false_alerts_per_orbit(fired, max(windows, 1), 1.0, tiles_per_orbit)


_MW_BINS = ((5.0, 5.5), (5.5, 6.0), (6.0, 6.5), (6.5, 7.0))


def _evaluate(statistic: str, rule: AggregationRule, target: float, validation: ValidationGrids,
              blocks: dict[str, list[Block]], tiles_per_orbit: float) -> RuleResult:
    chosen = choose_rule(validation, rule, target)
    at = chosen.rule
    test_free = [b.scores[statistic] for b in blocks["test"] if not b.event]
    false = sum(len(aggregate(grid, at)) for grid in test_free)
    tiles = sum(int(np.isfinite(grid).sum()) for grid in test_free)
    test_rate = false_alerts_per_orbit(false, len(test_free), tiles / len(test_free), tiles_per_orbit)

    def found(split: str, event: bool) -> tuple[list[bool], list[float]]:
        flags, mws = [], []
        for b in blocks[split]:
            if b.event == event and (event or b.paired):
                flags.append(_found(aggregate(b.scores[statistic], at), b.epicentre, MATCH_TILES))
                mws.append(b.mw)
        return flags, mws

    val_flags, val_mw = found("validation", True)
    goal_val = [f for f, m in zip(val_flags, val_mw) if m >= GOAL_MW]
    flags, mws = found("test", True)
    mws_arr, flags_arr = np.array(mws), np.array(flags, dtype=bool)
    goal = mws_arr >= GOAL_MW
    weights = 10.0 ** (-GR_B * (mws_arr[goal] - GOAL_MW))  # uniform Mw draws -> G-R b = 1
    gr = float(np.sum(weights * flags_arr[goal]) / np.sum(weights)) if goal.any() else math.nan
    chance_flags, _ = found("test", False)
    by_mw = tuple((f"{lo:g}-{hi:g}", Recall.of(list(flags_arr[(mws_arr >= lo) & (mws_arr < hi)])))
                  for lo, hi in _MW_BINS)
    return RuleResult(statistic, at, instructions_per_tile(rule), target, chosen.resolvable, chosen.validation,
                      float(np.mean(goal_val)) if goal_val else math.nan, test_rate,
                      _full_window_rate(test_free, at, tiles_per_orbit), Recall.of(list(flags_arr)),
                      Recall.of(list(flags_arr[goal])), gr, Recall.of(chance_flags), by_mw)


def _neighbour_correlation(grids: Sequence[np.ndarray]) -> float:
    """Rank correlation of horizontally and vertically adjacent tiles' scores (both stored)."""
    values = np.concatenate([g.ravel() for g in grids])
    finite = np.isfinite(values)
    ranks = np.full(values.shape, np.nan)
    ranks[finite] = np.argsort(np.argsort(values[finite]))
    at, pairs = 0, []
    for g in grids:
        r = ranks[at:at + g.size].reshape(g.shape)
        at += g.size
        pairs += [(r[:, :-1].ravel(), r[:, 1:].ravel()), (r[:-1, :].ravel(), r[1:, :].ravel())]
    a = np.concatenate([p[0] for p in pairs])
    b = np.concatenate([p[1] for p in pairs])
    both = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[both], b[both])[0, 1]) if both.sum() > 2 else math.nan


def saturation_per_orbit(config: StudyConfig, tiles_per_orbit: float = TILES_PER_ORBIT) -> float:
    """False alerts per orbit at one alert per block: near it merged alerts saturate (an
    aggregated rule rarely shows two clusters in one block), so the curve stops at half of it."""
    return tiles_per_orbit / (config.grid * config.grid)


@dataclass(frozen=True)
class SimulatedBlocks:
    """The scored blocks of one run, before any threshold (:func:`simulate_blocks`)."""

    seed: int
    config: StudyConfig
    blocks: tuple[Block, ...]
    statistics: tuple[str, ...]
    seconds: float
    workers: int
    notes: tuple[str, ...]


def simulate_blocks(seed: int = 0, blocks: int = DEFAULT_SITES, free_blocks: int = DEFAULT_FREE_BLOCKS, *,
                    config: StudyConfig = StudyConfig(), model_dir: str | Path | None = MODEL_DIR,
                    model_artifact: str = MODEL_ARTIFACT, workers: int | None = None) -> SimulatedBlocks:
    """Simulate and score the blocks of both splits (module doc: the protocol).

    Args:
        seed: the run's seed (validation and test streams derive from it).
        blocks: sites per split (each an event block and its event-free block).
        free_blocks: event-free-only blocks per split.
        config: block geometry and draws.
        model_dir: the interferometric model's artifacts (None: fringe statistic only).
        model_artifact: the artifact scored.
        workers: simulation processes (None: every CPU this process may use).

    Returns:
        The :class:`SimulatedBlocks`.
    """
    if blocks < 1 or free_blocks < 0:
        raise ValueError(f"need at least one site per split and no negative block count, got {blocks}, {free_blocks}")
    started = time.perf_counter()
    keep = model_dir is not None
    tasks = [_Task(seed, split, i, True, config, keep) for split in _SPLITS for i in range(blocks)]
    tasks += [_Task(seed, split, i, False, config, keep) for split in _SPLITS for i in range(free_blocks)]
    used = default_workers() if workers is None else max(1, int(workers))
    made = [block for result in ordered_map(_simulate, tasks, used) for block in result]
    notes = []
    statistics = ["fringe"]
    if keep:
        problem = _score_with_model(made, Path(model_dir), model_artifact)
        if problem:
            notes.append(problem)
        else:
            statistics.append("model")
    for block in made:
        block.features = None
    return SimulatedBlocks(int(seed), config, tuple(made), tuple(statistics), time.perf_counter() - started, used,
                           tuple(notes))


def evaluate_blocks(simulated: SimulatedBlocks, rules: Sequence[AggregationRule] = RULES,
                    targets: Sequence[float] = TARGETS,
                    tiles_per_orbit: float = TILES_PER_ORBIT) -> AggregationStudy:
    """Set every rule's threshold on validation and measure it on test (module doc).

    Args:
        simulated: :func:`simulate_blocks`'s blocks.
        rules: the rules compared (their thresholds are set here).
        targets: false alerts per orbit of the curve (1 per orbit is always included; those
            above half of :func:`saturation_per_orbit` are left out).
        tiles_per_orbit: stored tiles checked per orbit.

    Returns:
        The :class:`AggregationStudy`.
    """
    started = time.perf_counter()
    made = list(simulated.blocks)
    by_split = {split: [b for b in made if b.split == split] for split in _SPLITS}
    sizes = {}
    for split, items in by_split.items():
        free = [b for b in items if not b.event]
        events = [b for b in items if b.event]
        sizes[split] = {"sites": len(events), "free_blocks": sum(not b.paired for b in free),
                        "event_free_blocks": len(free),
                        "event_free_tiles": int(sum(np.isfinite(b.scores["fringe"]).sum() for b in free)),
                        "event_blocks": len(events), "events_goal": sum(b.mw >= GOAL_MW for b in events)}
    ceiling = 0.5 * saturation_per_orbit(simulated.config, tiles_per_orbit)
    notes = list(simulated.notes)
    wanted = sorted(set(float(t) for t in targets) | {GOAL_FALSE_PER_ORBIT})
    dropped = [t for t in wanted if t > ceiling]
    if dropped:
        notes.append(f"targets {', '.join(f'{t:g}' for t in dropped)} per orbit left out: above half the "
                     f"saturation of about one alert per block ({2 * ceiling:.1f} per orbit)")
    kept = tuple(t for t in wanted if t <= ceiling or t == GOAL_FALSE_PER_ORBIT)
    at_goal, curves, chosen, correlation = [], {}, {}, {}
    for statistic in simulated.statistics:
        validation = ValidationGrids(tuple(b.scores[statistic] for b in by_split["validation"] if not b.event),
                                     tiles_per_orbit)
        correlation[statistic] = _neighbour_correlation([b.scores[statistic] for b in made if not b.event])
        for rule in rules:
            curve = tuple(_evaluate(statistic, rule, t, validation, by_split, tiles_per_orbit) for t in kept)
            curves[(statistic, rule.label)] = curve
            at_goal.append(next(r for r in curve if r.target_per_orbit == GOAL_FALSE_PER_ORBIT))
        aggregated = [r for r in at_goal if r.statistic == statistic and not r.rule.single_tile]
        if aggregated:  # picked on validation: recall of Mw >= 5.5, then the cheaper rule
            best = max(aggregated, key=lambda r: (np.nan_to_num(r.validation_recall_goal, nan=-1.0),
                                                  -r.operations_per_tile))
            chosen[statistic] = best.rule.label
    seconds = {"simulate": round(simulated.seconds, 1), "evaluate": round(time.perf_counter() - started, 1)}
    seconds["total"] = round(seconds["simulate"] + seconds["evaluate"], 1)
    return AggregationStudy(simulated.seed, simulated.config, float(tiles_per_orbit), sizes, simulated.statistics,
                            tuple(at_goal), chosen, curves, correlation, seconds, simulated.workers, tuple(notes),
                            simulated.blocks)


def run_aggregation_study(seed: int = 0, blocks: int = DEFAULT_SITES, free_blocks: int = DEFAULT_FREE_BLOCKS, *,
                          config: StudyConfig = StudyConfig(), rules: Sequence[AggregationRule] = RULES,
                          targets: Sequence[float] = TARGETS, tiles_per_orbit: float = TILES_PER_ORBIT,
                          model_dir: str | Path | None = MODEL_DIR, model_artifact: str = MODEL_ARTIFACT,
                          workers: int | None = None) -> AggregationStudy:
    """Simulate, score and aggregate: :func:`simulate_blocks` then :func:`evaluate_blocks`
    (their arguments; module doc: the protocol).

    Returns:
        The :class:`AggregationStudy` (its ``blocks`` can be evaluated again under other rules).
    """
    simulated = simulate_blocks(seed, blocks, free_blocks, config=config, model_dir=model_dir,
                                model_artifact=model_artifact, workers=workers)
    return evaluate_blocks(simulated, rules, targets, tiles_per_orbit)


# ─── Markdown and plot ──────────────────────────────────────────────────────────────────
def _rate(rate: RatePerOrbit) -> str:
    return f"{rate.value:.2f} [{rate.low:.2f}, {rate.high:.2f}] ({rate.false_events})"


def _recall(recall: Recall) -> str:
    if recall.events == 0:
        return "–"
    return f"{recall.value:.2f} [{recall.low:.2f}, {recall.high:.2f}] ({recall.found}/{recall.events})"


def goal_verdict(result: RuleResult) -> str:
    """``met``, ``met (point estimates only)`` or ``not met``: the goal against one test result.

    Met when the test's false alerts per orbit are at most :data:`GOAL_FALSE_PER_ORBIT` and
    its Mw >= 5.5 recall at least :data:`GOAL_RECALL`; "point estimates only" unless the
    false-alert interval's top and the recall interval's bottom also satisfy them."""
    if not (result.test.value <= GOAL_FALSE_PER_ORBIT and result.recall_goal.value >= GOAL_RECALL):
        return "not met"
    if result.test.high <= GOAL_FALSE_PER_ORBIT and result.recall_goal.low >= GOAL_RECALL:
        return "met"
    return "met (point estimates only)"


def _first_reaching(curve: Sequence[RuleResult]) -> RuleResult | None:
    """The lowest target whose test Mw >= 5.5 recall reaches the goal's."""
    return next((r for r in curve if r.resolvable and r.recall_goal.value >= GOAL_RECALL), None)


def aggregation_markdown(study: AggregationStudy) -> str:
    """The study as Markdown: sizes and resolution, the table at 1 false alert per orbit, the
    recall curve of the baseline and the chosen rule per statistic, and the answer against the
    goal (every number from the run).

    Args:
        study: :func:`run_aggregation_study`'s result.

    Returns:
        Markdown text.
    """
    val, test = study.sizes["validation"], study.sizes["test"]
    floor = study.tiles_per_orbit / max(val["event_free_tiles"], 1)
    cfg = study.config
    lines = [
        f"Blocks of {cfg.grid} x {cfg.grid} same-track tiles ({cfg.tile_px} px of {cfg.pixel_m:g} m, "
        f"{cfg.grid * cfg.tile_m / 1000:.1f} km, one atmosphere per block), seed {study.seed}, "
        f"{study.tiles_per_orbit:.0f} stored tiles per orbit. Validation: {val['event_blocks']} event blocks "
        f"({val['events_goal']} Mw >= {GOAL_MW:g}), {val['event_free_blocks']} event-free blocks "
        f"({val['event_free_tiles']} stored tiles); test: {test['event_blocks']} event blocks "
        f"({test['events_goal']} Mw >= {GOAL_MW:g}), {test['event_free_blocks']} event-free blocks "
        f"({test['event_free_tiles']} stored tiles). One false alert in the validation tiles is "
        f"{floor:.2f} per orbit: targets below that are not resolvable; at 1 per orbit validation expects "
        f"{val['event_free_tiles'] / study.tiles_per_orbit:.1f} false alerts, so the threshold itself is uncertain "
        f"by about ±{100 / math.sqrt(max(val['event_free_tiles'] / study.tiles_per_orbit, 1)):.0f} %.",
        "",
        f"At a target of {GOAL_FALSE_PER_ORBIT:g} false alert per orbit (threshold set on validation, "
        "measured on test; 95 % intervals, counts in parentheses):",
        "",
        "| statistic | rule | ops / tile | val. false / orbit | test false / orbit | full-window bound / orbit "
        f"| recall, all | recall, Mw >= {GOAL_MW:g} | G-R weighted Mw >= {GOAL_MW:g} | chance hits |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in study.at_goal:
        mark = " (chosen)" if study.chosen.get(r.statistic) == r.rule.label else ""
        lines.append(f"| {r.statistic} | {r.rule.label}{mark} | {r.operations_per_tile} | {_rate(r.validation)} | "
                     f"{_rate(r.test)} | {_rate(r.full_window_bound)} | {_recall(r.recall)} | "
                     f"{_recall(r.recall_goal)} | {r.recall_goal_gr:.2f} | {_recall(r.chance)} |")
    lines += ["", "Recall of Mw >= 5.5 against false alerts per orbit on test (threshold set on validation "
                  "for each target; unresolvable targets omitted):", "",
              "| statistic | rule | target / orbit | test false / orbit | recall, all | recall, Mw >= 5.5 |",
              "|---|---|---|---|---|---|"]
    for statistic in study.statistics:
        for label in ("single tile", study.chosen.get(statistic)):
            for r in study.curves.get((statistic, label), ()):
                if r.resolvable:
                    lines.append(f"| {statistic} | {label} | {r.target_per_orbit:g} | {_rate(r.test)} | "
                                 f"{_recall(r.recall)} | {_recall(r.recall_goal)} |")
    lines += ["", "Recall by Mw at 1 false alert per orbit (test):", "",
              "| statistic | rule | " + " | ".join(f"Mw {b}" for b, _ in study.at_goal[0].recall_by_mw) + " |",
              "|---|---|" + "---|" * len(study.at_goal[0].recall_by_mw)]
    for r in study.at_goal:
        if r.rule.single_tile or study.chosen.get(r.statistic) == r.rule.label:
            lines.append(f"| {r.statistic} | {r.rule.label} | " + " | ".join(_recall(x) for _, x in r.recall_by_mw)
                         + " |")
    # The answer.
    lines.append("")
    lines.append(f"**Goal: ≤ {GOAL_FALSE_PER_ORBIT:g} false alert per orbit and ≥ {GOAL_RECALL:.0%} of Mw ≥ "
                 f"{GOAL_MW:g} found, at the threshold set on validation for {GOAL_FALSE_PER_ORBIT:g} per orbit "
                 "(test):**")
    for r in study.at_goal:
        if r.rule.single_tile or study.chosen.get(r.statistic) == r.rule.label:
            lines.append(f"- {r.statistic} / {r.rule.label}: {goal_verdict(r)}: {r.test.value:.2f} "
                         f"[{r.test.low:.2f}, {r.test.high:.2f}] false alerts per orbit, Mw ≥ {GOAL_MW:g} recall "
                         f"{r.recall_goal.value:.2f} [{r.recall_goal.low:.2f}, {r.recall_goal.high:.2f}].")
    lines += ["", "Where the goal falls on the curve (test):"]
    for statistic in study.statistics:
        for label in ("single tile", study.chosen.get(statistic)):
            curve = study.curves.get((statistic, label))
            if not curve:
                continue
            reach = _first_reaching(curve)
            if reach is None:
                top = max((r for r in curve if r.resolvable), key=lambda r: r.target_per_orbit, default=None)
                tail = (f"up to {top.target_per_orbit:g} per orbit (measured {top.test.value:.1f}) it reaches "
                        f"{top.recall_goal.value:.2f}" if top else "no resolvable target")
                lines.append(f"- {statistic} / {label}: {GOAL_RECALL:.0%} of Mw ≥ {GOAL_MW:g} is not reached on "
                             f"the curve: {tail}.")
            else:
                lines.append(f"- {statistic} / {label}: {GOAL_RECALL:.0%} of Mw ≥ {GOAL_MW:g} is first reached at "
                             f"target {reach.target_per_orbit:g} per orbit (test {_rate(reach.test)}, recall "
                             f"{_recall(reach.recall_goal)}).")
    lines.append("- Neighbouring tiles' scores on event-free blocks (rank correlation, shared atmosphere): "
                 + ", ".join(f"{s} {c:.2f}" for s, c in study.neighbour_correlation.items()) + ".")
    lines.append("- Full-window bound: the firing rate of the windows wholly inside a block (for the single tile: "
                 "every tile at or above the threshold, unmerged), per orbit: the rate to expect over a wide "
                 "contiguous stored area, where every window is full, before neighbouring firing windows merge.")
    lines.append(f"- An event counts as found when an alert lies within {MATCH_TILES} tile of its epicentre's "
                 "tile; 'chance hits' applies the same match to the site's event-free block. Mw is uniform over "
                 f"{cfg.mw_range[0]:g}-{cfg.mw_range[1]:g}; the G-R column reweights it to b = {GR_B:g}.")
    lines.append(f"- ops / tile: worst-case operation count of the aggregation (adds, compares, tests), not a "
                 f"measurement. Wall time {study.seconds['total']:.0f} s ({study.seconds['simulate']:.0f} s "
                 f"simulating and scoring with {study.workers} processes, {study.seconds['evaluate']:.0f} s "
                 "thresholds and counts).")
    lines += [f"- {note}" for note in study.notes]
    return "\n".join(lines) + "\n"


def plot_recall_curve(study: AggregationStudy, path: str | Path) -> Path:
    """Write recall of Mw >= 5.5 (test) against false alerts per orbit (test) to ``path`` (PNG),
    one line per (statistic, rule), the goal marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for (statistic, label), curve in study.curves.items():
        points = [r for r in curve if r.resolvable]
        if not points:
            continue
        x = [max(r.test.value, 1e-2) for r in points]
        y = [r.recall_goal.value for r in points]
        axis.plot(x, y, marker="o", linestyle="-" if statistic == "fringe" else "--", label=f"{statistic}: {label}")
    axis.axvline(GOAL_FALSE_PER_ORBIT, color="grey", linewidth=0.8)
    axis.axhline(GOAL_RECALL, color="grey", linewidth=0.8)
    axis.plot([GOAL_FALSE_PER_ORBIT], [GOAL_RECALL], marker="*", markersize=14, color="black", label="goal")
    axis.set_xscale("log")
    axis.set_xlabel("false alerts per orbit (test; 0 drawn at 0.01)")
    axis.set_ylabel(f"recall, Mw ≥ {GOAL_MW:g} (test)")
    axis.set_ylim(0, 1)
    axis.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


# ─── the curve the mission's report draws ───────────────────────────────────────────────
#: Where :func:`write_curve` keeps the measured curve inside the package, for the report.
CURVE_FILE = Path(__file__).with_name("survey_aggregation_curve.json")
CURVE_FORMAT = "quakesat-survey-aggregation-curve"


def curve_dict(study: AggregationStudy, when: str) -> dict[str, Any]:
    """The study's recall-against-false-alerts curves (test figures, threshold set on
    validation per target) and the goal, as plain JSON for the report."""

    def point(result: RuleResult) -> dict[str, Any]:
        return {"target_per_orbit": result.target_per_orbit, "false_per_orbit": result.test.value,
                "false_per_orbit_95": [result.test.low, result.test.high],
                "recall_goal": result.recall_goal.value, "recall_goal_95": [result.recall_goal.low,
                                                                            result.recall_goal.high],
                "found": result.recall_goal.found, "events": result.recall_goal.events}

    return {"format": CURVE_FORMAT, "version": 1, "measured": when, "seed": study.seed,
            "tiles_per_orbit": study.tiles_per_orbit, "goal": {"false_per_orbit": GOAL_FALSE_PER_ORBIT,
                                                                "recall": GOAL_RECALL, "mw": GOAL_MW},
            "sizes": study.sizes, "neighbour_correlation": study.neighbour_correlation,
            "curves": [{"statistic": statistic, "rule": label, "points": [point(r) for r in results]}
                       for (statistic, label), results in study.curves.items()],
            "made_by": "python scripts/survey_aggregation_study.py --curve mission/survey_aggregation_curve.json"}


def read_curve(path: Path | None = None) -> dict[str, Any] | None:
    """The packaged curve (:data:`CURVE_FILE`, or ``path``), None when absent or not one (the
    report then says so)."""
    import json

    try:
        data = json.loads((path or CURVE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == CURVE_FORMAT else None
