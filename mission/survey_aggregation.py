"""Event-level decisions from the per-tile scores of one acquisition: the on-board aggregator.

The satellite checks its stored same-track tiles (:mod:`quakesat.mission.reference_store`) in
survey mode and scores each one (a per-tile detector: a network's logit, a fringe statistic).
A per-tile threshold low enough to find moderate events flags too many event-free tiles. But
co-seismic deformation is coherent over kilometres to tens of kilometres, so a real event
tends to raise *neighbouring* tiles of one acquisition together, while decorrelation noise
raises tiles one at a time. This module turns one acquisition's grid of per-tile scores into
**event alerts**.

Input: a 2-D float grid (rows and columns of same-track tiles of one acquisition, row 0
northmost), NaN where a tile is not stored or was not processed. A NaN tile never fires,
never counts toward a window, and never locates an alert.

The rule (:class:`AggregationRule`): around every stored tile, a ``window x window`` window of
tiles (clipped at the grid's edges) gets one statistic of the finite scores it holds:

- ``combine="kth"``: the ``k``-th largest score. The window fires when it reaches the
  threshold, i.e. exactly when **at least k tiles of the window score at or above the
  threshold** ("k of w x w"). ``window=1, k=1`` is the single-tile rule, the baseline;
- ``combine="mean"``: the mean of the ``k`` largest scores (a soft "k of w x w": one very high
  tile can carry a moderate one).

Optionally (``background=b``, odd, 0: off) each tile's score is first replaced by its
**contrast**: the score minus the median of the finite scores of the ``b x b`` window around
it (clipped at the edges). The atmosphere's strength is regional (a humid, turbulent day
raises every tile of an acquisition), while a moderate event's fringes sit in one or two
tiles; the contrast removes the shared level. A stored tile with no stored neighbour has
contrast 0. A window with fewer than ``k`` finite scores, or centred on a NaN tile, has no
statistic and never fires. Firing windows whose centres are 8-neighbours are merged (connected components of
the firing centres), so one cluster is **one alert**, located at the highest-scoring tile among
the tiles of its firing windows (:class:`Alert`).

Operating point: :func:`choose_rule` sets the threshold for a target number of **false alerts
per orbit** on event-free acquisitions of a *validation* split only (:class:`ValidationGrids`
cannot hold anything else), and :func:`false_alerts_per_orbit` turns a count of false alerts
into a rate per orbit with its exact (Garwood) Poisson 95 % interval:
``rate = false alerts / tiles scored x tiles checked per orbit``. :func:`wilson_interval` gives
a recall's interval. :func:`instructions_per_tile` is an **operation count** of the on-board
form of the rule (adds, compares and tests per tile; module doc of that function), not a
measurement.

The survey volume (:data:`TILES_PER_ORBIT`): the store study checks about 2,522 stored tiles a
day at the default 2 GB budget (docs/mission.md), over 14.6 orbits a day, about 173 tiles an
orbit; every function takes it as an argument. numpy, and scipy.stats for the intervals.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

#: Stored tiles checked per day at the store study's default budget (4 GB: each of its 60,545
#: tiles once per 12-day cycle; the block ``store-coverage`` of docs/mission.md, checked by a test).
TILES_CHECKED_PER_DAY = 5045.0
#: Orbits per day of Sentinel-1's reference orbit (175 orbits per 12 days).
ORBITS_PER_DAY = 175 / 12
#: Stored tiles checked per orbit: the survey volume a false-alert rate per orbit refers to.
TILES_PER_ORBIT = TILES_CHECKED_PER_DAY / ORBITS_PER_DAY
#: How a window's scores are combined (module doc).
COMBINES = ("kth", "mean")
#: The confidence of every interval.
CONFIDENCE = 0.95


# ─── the rule ───────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class AggregationRule:
    """An event-level rule (module doc).

    Attributes:
        window: side of the square window of tiles, odd (1: the tile alone).
        k: number of the window's highest scores the statistic uses (1 ..= window²).
        combine: ``"kth"`` (the k-th largest: at least k tiles >= threshold) or ``"mean"``
            (mean of the k largest).
        threshold: a window fires when its statistic is >= this (inf: never; set by
            :func:`choose_rule`).
        background: side of the window whose median is subtracted from each score first
            (odd; 0: none).
    """

    window: int = 3
    k: int = 1
    combine: str = "kth"
    threshold: float = math.inf
    background: int = 0

    def __post_init__(self) -> None:
        for name in ("window", "k"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.window % 2 == 0:
            raise ValueError(f"window must be odd (a window centred on a tile), got {self.window}")
        if isinstance(self.background, bool) or not isinstance(self.background, (int, np.integer)) \
                or self.background < 0 or (self.background and self.background % 2 == 0):
            raise ValueError(f"background must be 0 (none) or an odd window side, got {self.background!r}")
        if self.k > self.window * self.window:
            raise ValueError(f"k={self.k} exceeds the {self.window * self.window} tiles of a {self.window} x "
                             f"{self.window} window")
        if self.combine not in COMBINES:
            raise ValueError(f"combine must be one of {COMBINES}, got {self.combine!r}")
        if not isinstance(self.threshold, (int, float, np.floating, np.integer)) or math.isnan(self.threshold):
            raise ValueError(f"threshold must be a number (inf: never fire), got {self.threshold!r}")

    def at(self, threshold: float) -> AggregationRule:
        """This rule with another threshold."""
        return replace(self, threshold=float(threshold))

    @property
    def single_tile(self) -> bool:
        """Whether this is the single-tile rule (one tile decides, no neighbour read)."""
        return self.window == 1 and not self.background

    @property
    def label(self) -> str:
        """A short name: ``single tile``, ``2 of 3x3``, ``mean top-2 of 3x3``."""
        size = f"{self.window}x{self.window}"
        if self.window == 1:
            name = "single tile"
        else:
            name = f"{self.k} of {size}" if self.combine == "kth" else f"mean top-{self.k} of {size}"
        return name + (f" - median {self.background}x{self.background}" if self.background else "")


@dataclass(frozen=True)
class Alert:
    """One event alert: a cluster of firing windows.

    Attributes:
        row, col: the alert's tile, the highest-scoring tile of the cluster's windows.
        score: that tile's score (its contrast when the rule subtracts a background).
        statistic: the cluster's largest window statistic.
        windows: how many firing windows (centres) the cluster merged.
    """

    row: int
    col: int
    score: float
    statistic: float
    windows: int


def check_scores(scores: object) -> np.ndarray:
    """One acquisition's score grid as float64, or a ValueError that says what is wrong.

    Args:
        scores: a 2-D array of real floating-point scores, NaN for tiles not stored or not
            processed.

    Returns:
        float64 copy of the grid.

    Raises:
        ValueError: not a numpy array, not 2-D, empty, not real floating point (integers,
            booleans, complex and objects are refused: a score grid is floats with NaN holes),
            or holding an infinity (use NaN for a missing tile).
    """
    if not isinstance(scores, np.ndarray):
        raise ValueError(f"scores must be a numpy array of floats, got {type(scores).__name__}")
    if scores.ndim != 2:
        raise ValueError(f"scores must be a 2-D grid of tiles (rows x columns), got {scores.ndim}-D shape "
                         f"{scores.shape}")
    if scores.size == 0:
        raise ValueError(f"scores must hold at least one tile, got shape {scores.shape}")
    if not np.issubdtype(scores.dtype, np.floating):
        raise ValueError(f"scores must be real floating point (NaN for tiles not stored), got dtype {scores.dtype}")
    values = scores.astype(np.float64)
    if np.isinf(values).any():
        raise ValueError(f"scores hold {int(np.isinf(values).sum())} infinite value(s); a tile without a score is NaN")
    return values


def _windows(values: np.ndarray, window: int) -> np.ndarray:
    """``window² x H x W``: each tile's window (clipped at the edges: NaN outside the grid)."""
    half = window // 2
    padded = np.pad(values, half, constant_values=np.nan)
    rows, cols = values.shape
    return np.stack([padded[dr:dr + rows, dc:dc + cols] for dr in range(window) for dc in range(window)])


def contrast(scores: np.ndarray, background: int) -> np.ndarray:
    """Each score minus the median of the finite scores of the ``background`` window around
    it (module doc); the scores unchanged for ``background`` 0. NaN stays NaN."""
    values = check_scores(scores)
    if not background:
        return values
    stack = _windows(values, background)
    with warnings.catch_warnings():  # windows of NaN tiles only: their median is NaN, as wanted
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = np.nanmedian(stack, axis=0)
    return values - reference


def window_statistic(scores: np.ndarray, rule: AggregationRule) -> np.ndarray:
    """Each stored tile's window statistic (module doc); NaN where none.

    Args:
        scores: one acquisition's grid (:func:`check_scores`).
        rule: window, k and combine (the threshold is not used).

    Returns:
        float64 grid of ``scores``' shape: the k-th largest (``kth``) or the mean of the k
        largest (``mean``) finite scores of each tile's window; NaN where the tile is NaN or
        its window holds fewer than k finite scores.
    """
    values = contrast(check_scores(scores), rule.background)
    stack = _windows(values, rule.window)
    finite = np.isfinite(stack)
    ranked = -np.sort(np.where(finite, -stack, np.inf), axis=0)  # descending, NaN last as -inf
    if rule.combine == "kth":
        statistic = ranked[rule.k - 1]
    else:
        statistic = ranked[:rule.k].mean(axis=0)
    valid = (finite.sum(axis=0) >= rule.k) & np.isfinite(values)
    return np.where(valid, statistic, np.nan)


def _components(mask: np.ndarray) -> list[list[tuple[int, int]]]:
    """8-connected components of a boolean grid, each a list of (row, col), in raster order."""
    seen = np.zeros(mask.shape, dtype=bool)
    rows, cols = mask.shape
    found = []
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        seen[start] = True
        stack, members = [start], []
        while stack:
            r, c = stack.pop()
            members.append((int(r), int(c)))
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    nr, nc = r + dr, c + dc
                    if 0 <= nr < rows and 0 <= nc < cols and mask[nr, nc] and not seen[nr, nc]:
                        seen[nr, nc] = True
                        stack.append((nr, nc))
        found.append(sorted(members))
    return found


def _alerts_from(values: np.ndarray, statistic: np.ndarray, firing: np.ndarray, window: int) -> list[Alert]:
    """The alerts of a firing map (module doc: merge, locate)."""
    half = window // 2
    rows, cols = values.shape
    alerts = []
    for members in _components(firing):
        best: tuple[float, int, int] | None = None
        for r, c in members:
            for nr in range(max(0, r - half), min(rows, r + half + 1)):
                for nc in range(max(0, c - half), min(cols, c + half + 1)):
                    score = values[nr, nc]
                    if np.isfinite(score) and (best is None or score > best[0]):
                        best = (float(score), nr, nc)
        if best is None:  # cannot happen: a firing centre is a finite tile of its own window
            continue
        top = max(float(statistic[r, c]) for r, c in members)
        alerts.append(Alert(best[1], best[2], best[0], top, len(members)))
    return sorted(alerts, key=lambda alert: (-alert.statistic, alert.row, alert.col))


def aggregate(scores: np.ndarray, rule: AggregationRule) -> list[Alert]:
    """The event alerts of one acquisition (module doc).

    Args:
        scores: 2-D float grid of per-tile scores, NaN for tiles not stored or not processed.
        rule: the rule, with its threshold.

    Returns:
        The alerts, highest statistic first (empty when nothing fires).

    Raises:
        ValueError: a grid :func:`check_scores` refuses.
    """
    values = check_scores(scores)
    statistic = window_statistic(values, rule)
    with np.errstate(invalid="ignore"):
        firing = np.isfinite(statistic) & (statistic >= rule.threshold)
    return _alerts_from(contrast(values, rule.background), statistic, firing, rule.window)


# ─── what it costs on board ─────────────────────────────────────────────────────────────
def operation_counts(rule: AggregationRule) -> dict[str, int]:
    """Worst-case operations per tile of the on-board form of ``rule``, by stage.

    An **operation count**, not a measurement: each add, subtract, compare or test of a flag
    counts one; loads, stores and loop control are not counted. The on-board form:

    - ``kth`` (at least k tiles >= t): ``flag``: one compare per tile (``score >= t``; a NaN
      tile compares false); ``window``: the window's flag count by a separable sliding sum,
      one add and one subtract per tile along the rows and again along the columns (4; none
      for a 1 x 1 window); ``decide``: ``count >= k`` and "centre stored" (2);
    - ``mean``: ``window``: per tile, a finite test of each of the w² window scores, and an
      insertion of each into a sorted top-k list, at most k compares each (w² + w²k);
      ``decide``: k - 1 adds for the top-k sum, one compare with k·t (precomputed), the centre
      test (k + 1);
    - ``background`` b (when set): per tile, a finite test of each of the b² scores of its
      background window, their median by insertion into a sorted list kept to b²//2 + 1
      entries (at most that many compares per value) and one subtract
      (b² + b²·(b²//2 + 1) + 1);
    - both: ``label``: two-pass connected-component labelling of the firing map with
      union-find, worst case (every tile firing): a test of the tile, four tests of its
      already-visited neighbours and up to four unions (9), and the second pass's relabel (1);
      ``locate``: the running maximum over each firing window's w² tiles (w² compares).

    Args:
        rule: the rule.

    Returns:
        stage -> operations per tile (``background``, ``flag``, ``window``, ``decide``,
        ``label``, ``locate``).
    """
    cells = rule.window * rule.window
    if rule.combine == "kth":
        flag, window, decide = 1, (4 if rule.window > 1 else 0), 2
    else:
        flag, window, decide = 0, cells + cells * rule.k, rule.k + 1
    around = rule.background * rule.background
    background = around + around * (around // 2 + 1) + 1 if rule.background else 0
    return {"background": background, "flag": flag, "window": window, "decide": decide, "label": 10,
            "locate": cells}


def instructions_per_tile(rule: AggregationRule) -> int:
    """Worst-case operations per tile of the aggregation (:func:`operation_counts`, summed):
    an operation count of the documented on-board form, not a measured instruction count.
    Compare with the per-tile detector itself (millions of instructions per tile)."""
    return int(sum(operation_counts(rule).values()))


# ─── rates and intervals ────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class RatePerOrbit:
    """False alerts per orbit and its exact Poisson interval.

    Attributes:
        value: the point estimate (alerts per orbit).
        low, high: the interval at ``confidence``.
        false_events: the count it was measured from.
        tiles_scored: the event-free tiles it was measured on.
        tiles_per_orbit: the survey volume it is scaled to.
        confidence: of the interval.
    """

    value: float
    low: float
    high: float
    false_events: int
    tiles_scored: float
    tiles_per_orbit: float
    confidence: float = CONFIDENCE


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _positive(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)) or float(value) <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def poisson_interval(count: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact (Garwood 1936) interval of a Poisson mean from one count: ``[0, x]`` for 0.

    Args:
        count: the observed count.
        confidence: two-sided coverage.

    Returns:
        (low, high) of the mean.
    """
    from scipy.stats import chi2

    count = _count(count, "count")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    alpha = 1.0 - confidence
    low = 0.0 if count == 0 else float(chi2.ppf(alpha / 2.0, 2 * count)) / 2.0
    return low, float(chi2.ppf(1.0 - alpha / 2.0, 2 * count + 2)) / 2.0


def false_alerts_per_orbit(false_events: int, acquisitions_scored: int, tiles_per_acquisition: float,
                           tiles_per_orbit: float = TILES_PER_ORBIT,
                           confidence: float = CONFIDENCE) -> RatePerOrbit:
    """False alerts per orbit from a count on event-free acquisitions, with its interval.

    The false alerts are taken as a Poisson count over the tiles scored (acquisitions x
    tiles per acquisition); the rate per tile, times the tiles checked per orbit, is the
    rate per orbit, and the exact Poisson interval of the count is scaled the same way.
    (False alerts of one acquisition share its atmosphere; at about one alert per
    acquisition or fewer the Poisson count is a fair model, at many it is over-dispersed and
    the interval too narrow.)

    Args:
        false_events: alerts counted on the event-free acquisitions.
        acquisitions_scored: how many acquisitions (grids) were scored.
        tiles_per_acquisition: stored tiles per acquisition (a mean where they differ).
        tiles_per_orbit: stored tiles checked per orbit (:data:`TILES_PER_ORBIT`).
        confidence: of the interval.

    Returns:
        The :class:`RatePerOrbit`.

    Raises:
        ValueError: a negative or non-integer count, no acquisition, non-positive sizes.
    """
    events = _count(false_events, "false_events")
    acquisitions = _count(acquisitions_scored, "acquisitions_scored")
    if acquisitions == 0:
        raise ValueError("acquisitions_scored must be at least 1")
    tiles = acquisitions * _positive(tiles_per_acquisition, "tiles_per_acquisition")
    per_orbit = _positive(tiles_per_orbit, "tiles_per_orbit")
    low, high = poisson_interval(events, confidence)
    scale = per_orbit / tiles
    return RatePerOrbit(events * scale, low * scale, high * scale, events, tiles, per_orbit, confidence)


def wilson_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """A proportion and its Wilson score interval.

    Args:
        successes: e.g. events found.
        trials: e.g. events.
        confidence: of the interval.

    Returns:
        (proportion, low, high); (nan, 0, 1) when there are no trials.
    """
    from scipy.stats import norm

    hits, n = _count(successes, "successes"), _count(trials, "trials")
    if hits > n:
        raise ValueError(f"successes ({hits}) exceed trials ({n})")
    if n == 0:
        return math.nan, 0.0, 1.0
    z = float(norm.ppf(0.5 + confidence / 2.0))
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if hits == 0 else max(0.0, centre - half)  # exact at the ends (rounding aside)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return p, low, high


# ─── the operating point, on validation only ────────────────────────────────────────────
@dataclass(frozen=True)
class ValidationGrids:
    """The event-free acquisitions of a **validation** split: all :func:`choose_rule` reads.

    Built from validation grids only; ``split`` must say so (anything else is refused), and
    the grids are copied and made read-only, so the operating point cannot see, or be changed
    by, another split's arrays.

    Attributes:
        grids: one score grid per event-free acquisition (:func:`check_scores`).
        tiles_per_orbit: the survey volume the target refers to.
        split: ``"validation"``.
    """

    grids: tuple[np.ndarray, ...]
    tiles_per_orbit: float = TILES_PER_ORBIT
    split: str = "validation"

    def __post_init__(self) -> None:
        if self.split != "validation":
            raise ValueError(f"an operating point is chosen on the validation split only, got split {self.split!r}")
        if isinstance(self.grids, np.ndarray) or not isinstance(self.grids, Iterable):
            raise ValueError("grids must be a sequence of 2-D score grids (one per acquisition)")
        grids = []
        for grid in self.grids:
            values = check_scores(grid)
            values.flags.writeable = False
            grids.append(values)
        if not grids:
            raise ValueError("the validation split holds no event-free acquisition")
        object.__setattr__(self, "grids", tuple(grids))
        object.__setattr__(self, "tiles_per_orbit", _positive(self.tiles_per_orbit, "tiles_per_orbit"))

    @property
    def tiles(self) -> int:
        """Stored (finite) tiles over all grids: the exposure a rate is measured on."""
        return int(sum(np.isfinite(grid).sum() for grid in self.grids))


@dataclass(frozen=True)
class ChosenRule:
    """A rule with its threshold set on validation, and what validation says of it.

    Attributes:
        rule: the rule at the chosen threshold.
        target_per_orbit: the false alerts per orbit asked for.
        validation: false alerts per orbit the threshold gives on validation.
        resolvable: whether validation holds enough tiles to measure the target (at least one
            false alert expected at the target rate: ``tiles x target / tiles_per_orbit >= 1``).
    """

    rule: AggregationRule
    target_per_orbit: float
    validation: RatePerOrbit
    resolvable: bool


def _breakpoints(values: np.ndarray, rule: AggregationRule) -> tuple[np.ndarray, np.ndarray]:
    """(distinct finite window statistics ascending, alerts at threshold = each) of one grid.

    The alerts at a threshold t are those at the smallest distinct statistic >= t (none
    above the largest), so these pairs give the grid's whole count-against-threshold step
    function."""
    statistic = window_statistic(values, rule)
    levels = np.unique(statistic[np.isfinite(statistic)])
    counts = np.array([len(_components(np.isfinite(statistic) & (statistic >= level))) for level in levels],
                      dtype=np.int64)
    return levels, counts


def false_alert_curve(validation: ValidationGrids, rule: AggregationRule) -> tuple[np.ndarray, np.ndarray]:
    """Alerts on the validation grids at every threshold that changes them.

    Args:
        validation: the validation split's event-free grids.
        rule: window, k and combine (its threshold is not used).

    Returns:
        (thresholds ascending, total alerts at each): every distinct window statistic of the
        grids; a threshold above the last gives no alert.
    """
    parts = [_breakpoints(grid, rule) for grid in validation.grids]
    levels = np.unique(np.concatenate([part[0] for part in parts]))
    totals = np.zeros(levels.size, dtype=np.int64)
    for grid_levels, grid_counts in parts:
        if grid_levels.size == 0:
            continue
        at = np.searchsorted(grid_levels, levels, side="left")
        inside = at < grid_levels.size
        totals[inside] += grid_counts[at[inside]]
    return levels, totals


def choose_rule(validation: ValidationGrids, rule: AggregationRule, target_per_orbit: float = 1.0) -> ChosenRule:
    """The lowest threshold whose false alerts on validation stay within the target.

    The threshold is the lowest at which this and every higher threshold gives at most
    ``floor(target x tiles / tiles_per_orbit)`` alerts on the validation grids (alert counts
    are not strictly monotone in the threshold: a cluster can split in two as it rises, hence
    "every higher"). Only ``validation`` is read: the signature has no room for a test split.

    Args:
        validation: the event-free grids of the validation split.
        rule: window, k and combine (its threshold is replaced).
        target_per_orbit: false alerts per orbit (> 0).

    Returns:
        The :class:`ChosenRule`.

    Raises:
        ValueError: ``validation`` is not a :class:`ValidationGrids`, or a non-positive target.
    """
    if not isinstance(validation, ValidationGrids):
        raise ValueError(f"validation must be a ValidationGrids (the validation split's event-free grids), "
                         f"got {type(validation).__name__}")
    if not isinstance(rule, AggregationRule):
        raise ValueError(f"rule must be an AggregationRule, got {type(rule).__name__}")
    target = _positive(target_per_orbit, "target_per_orbit")
    tiles = validation.tiles
    if tiles == 0:
        raise ValueError("the validation grids hold no stored (finite) tile")
    allowed = math.floor(target * tiles / validation.tiles_per_orbit + 1e-9)
    levels, totals = false_alert_curve(validation, rule)
    # Highest count at this or any higher threshold, per level.
    envelope = np.maximum.accumulate(totals[::-1])[::-1] if totals.size else totals
    ok = np.flatnonzero(envelope <= allowed)
    if ok.size:
        threshold, count = float(levels[ok[0]]), int(totals[ok[0]])
    else:  # even the highest statistic alone is too many: fire on nothing seen in validation
        threshold, count = float(np.nextafter(levels[-1], np.inf)) if levels.size else math.inf, 0
    rate = false_alerts_per_orbit(count, len(validation.grids), tiles / len(validation.grids),
                                  validation.tiles_per_orbit)
    return ChosenRule(rule.at(threshold), target, rate, tiles * target / validation.tiles_per_orbit >= 1.0)


def count_alerts(grids: Sequence[np.ndarray], rule: AggregationRule) -> int:
    """Total alerts of ``rule`` over several acquisitions (e.g. a test split's event-free grids)."""
    return int(sum(len(aggregate(grid, rule)) for grid in grids))
