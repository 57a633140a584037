"""The interferometric rows of the benchmark and the difficulty report, on a file's own pairs.

A file simulated with ``quakesat simulate --slc`` carries, beside every amplitude pair, the
same-track complex pair of the same patch and dates (``slc_pre``/``slc_post`` for an event
pair, ``slc_before``/``slc_pre`` for its event-free pair) and the co-seismic line-of-sight
field ``los_coseismic``. :func:`insar_table` forms each pair's interferogram on board's way
(:func:`quakesat.runtime.interferogram.form_interferogram`, :data:`INSAR_LOOKS` looks) and
scores it with the statistics of :mod:`quakesat.evaluation.insar_ceiling`, in the
:class:`~quakesat.evaluation.baselines.PairTable`'s row order, so that the amplitude rows and
these rows are judged on the same events, splits and thresholds:

- ``insar-oracle`` — the ceiling: the matched filter that knows the event's true LOS field,
  one unknown phase offset per 2.56 km window (``oracle_local`` of the ceiling study); the
  event-free pair of a patch gets the same template;
- ``insar-fringe`` — the fringe rule: steep, consistent local phase gradients, averaged over
  windows whose side (:data:`FRINGE_WINDOWS`) is chosen on the validation pairs (ROC AUC on
  the non-identical ones), as a network's settings are;
- ``insar-coherence-drop`` — one minus the mean estimated coherence (damage decorrelates).

Each row also carries the event's moment magnitude and hypocentre depth, for the detection
rate by Mw and depth, and the peak co-seismic LOS motion on the tile.

A pixel-identical amplitude negative (the published file's shortcut, simulated with
``--identical-negatives``) has no same-track pair: the rules score it below every pair that
has one (never flagged). The hard-tile metrics leave identical pairs out anyway.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quakesat.evaluation.baselines import PairTable
from quakesat.evaluation.insar_ceiling import (
    WAVELENGTH_M,
    coherence_drop_statistic,
    oracle_statistic,
    oracle_window_px,
    phase_gradient_statistic,
    template_phasor,
)
from quakesat.runtime.interferogram import DEFAULT_LOOKS, form_interferogram

#: Block side of the multilook the rows are scored at: the on-board default.
INSAR_LOOKS = DEFAULT_LOOKS
#: The rules, best first (the oracle is the ceiling, not a rule that can fly).
INSAR_BASELINES = ("insar-oracle", "insar-fringe", "insar-coherence-drop")
#: Pixel spacing assumed where a file does not record ``slc_pixel_spacing_m`` (the first
#: ``--slc`` files lay the pair on the amplitude grid).
_FALLBACK_PIXEL_M = 10.0
#: One fringe of line-of-sight motion (m), half the wavelength: an event tile with at least
#: this peak co-seismic motion counts as visibly deformed.
FRINGE_M = WAVELENGTH_M / 2.0
#: Window sides (multilooked cells) the fringe rule may average its phase steps over; the
#: one with the best validation ROC AUC scores every split (:func:`choose_fringe_window`).
FRINGE_WINDOWS = (2, 4, 8, 16)
#: Moment-magnitude and depth cut points of the detection-rate bins.
MW_EDGES = (5.0, 5.5, 6.0, 6.5)
DEPTH_EDGES_KM = (5.0, 10.0, 20.0)
#: Published Sentinel-1 co-seismic signals, for the detection by Mw beside them: (event, Mw,
#: peak LOS motion in cm, source), as compiled in "Advancing the limits of InSAR to detect
#: crustal displacement from low-magnitude earthquakes through deep learning", Remote Sensing
#: 16(11):2019 (2024), appendix F.
PUBLISHED_SIGNALS = (
    ("Mandali, Iran, 2018", 5.25, 3.0, "Barnhart et al. 2018"),
    ("Napa, California, 2014", 6.1, 6.0, "Yang et al. 2017"),
    ("Hualien, Taiwan, 2018", 6.4, 30.0, "Yang et al. 2018"),
    ("Nyingchi, China, 2017", 6.5, 9.0, "Yu et al. 2018"),
    ("Darbandikhan, Iran, 2017", 7.3, 80.0, "Barnhart et al. 2018"),
)


@dataclass(frozen=True)
class InsarTable:
    """Interferometric scores of every pair of a :class:`PairTable`, in its row order.

    Attributes:
        scores: rule name (:data:`INSAR_BASELINES`) -> ``(N,)`` float64.
        mw: ``(N,)`` moment magnitude of the pair's event (NaN where the file records none).
        depth_km: ``(N,)`` hypocentre depth.
        peak_los_m: ``(N,)`` largest |co-seismic LOS| on the tile (0 for event-free pairs'
            own motion: they carry none; the value is the patch's event's).
        centroid_px: ``(N, 2)`` (row, col) on the full-resolution grid of the surface projection
            of the rupture's centroid, for event pairs whose tile holds it; NaN elsewhere.
        looks: block side used.
        fringe_window: the fringe rule's window side, chosen on validation.
        pixel_m: full-resolution spacing of the complex images.
        grid_px: side of the multilooked grid.
        seconds: time of the pass.
    """

    scores: dict[str, np.ndarray]
    mw: np.ndarray
    depth_km: np.ndarray
    peak_los_m: np.ndarray
    centroid_px: np.ndarray
    looks: int
    fringe_window: int
    pixel_m: float
    grid_px: int
    seconds: float

    @property
    def side_px(self) -> int:
        """Side of the full-resolution same-track images."""
        return self.grid_px * self.looks


def insar_table(data: str | Path, table: PairTable, looks: int = INSAR_LOOKS) -> InsarTable | None:
    """Score every pair of ``table`` on its same-track pair (module doc).

    Args:
        data: the file ``table`` was built from.
        table: its pair table.
        looks: multilook block side.

    Returns:
        The scores, or None when any pair of the table lacks its same-track images or the
        ``los_coseismic`` truth (the published file, a file simulated without ``--slc``).
    """
    from quakesat.data.quakeset import QuakeSetFile, SampleRef, same_track_location_truth

    started = time.perf_counter()
    n = table.label.size
    scores = {name: np.empty(n) for name in INSAR_BASELINES}
    fringe = {window: np.empty(n) for window in FRINGE_WINDOWS}
    mw, depth, peak = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n)
    centroid = np.full((n, 2), np.nan)
    pixel_m, grid = _FALLBACK_PIXEL_M, 0
    truth_cache: dict[tuple[str, str], np.ndarray] = {}
    unpaired: list[int] = []  # identical amplitude negatives: no same-track pair (module doc)
    with QuakeSetFile(data) as qs:
        for i in range(n):
            event_id, patch, label = str(table.event_id[i]), str(table.patch[i]), int(table.label[i])
            images = ("pre", "post") if label == 1 else ("before", "pre")
            pair = qs.read_same_track(SampleRef(event_id, patch, images, label, 0.0, str(table.split[i])))
            key = (event_id, patch)
            if key not in truth_cache:
                los = qs.read_ground_truth(event_id, patch, "los_coseismic")
                if los is None:
                    return None
                truth_cache.clear()  # pairs of one patch are adjacent in the table; keep one
                truth_cache[key] = np.asarray(los, dtype=np.float64)
            if pair is None and bool(table.identical[i]) and label == 0:
                unpaired.append(i)
                continue
            if pair is None:
                return None
            los = truth_cache[key]
            if los.shape != pair[0].shape or pair[0].shape[0] % looks or pair[0].shape[1] % looks:
                return None
            attrs = qs.patch_attrs(event_id, patch)
            pixel_m = float(attrs.get("slc_pixel_spacing_m", _FALLBACK_PIXEL_M))
            ifg, coherence = form_interferogram(pair[0], pair[1], looks)
            grid = ifg.shape[0]
            template = template_phasor(los, looks)
            window = oracle_window_px(grid, pixel_m * looks)
            scores["insar-oracle"][i] = float(oracle_statistic(ifg, coherence, template, window))
            for side, values in fringe.items():
                values[i] = float(phase_gradient_statistic(ifg, coherence, side)) if side < grid else np.nan
            scores["insar-coherence-drop"][i] = float(coherence_drop_statistic(coherence))
            event_attrs = qs.event(event_id).attrs
            mw[i] = float(event_attrs.get("mw", np.nan))
            depth[i] = float(event_attrs.get("depth", np.nan))
            peak[i] = float(np.max(np.abs(los))) if los.size else 0.0
            where = same_track_location_truth(attrs) if label == 1 else None
            if where is not None:
                centroid[i] = where
    if len(unpaired) == n:
        return None
    window = choose_fringe_window(fringe, table, unpaired)
    scores["insar-fringe"] = fringe[window]
    if unpaired:
        paired = np.setdiff1d(np.arange(n), unpaired)
        for name, values in scores.items():
            values[unpaired] = float(np.min(values[paired])) - 1.0
    return InsarTable(scores, mw, depth, peak, centroid, int(looks), window, pixel_m, int(grid),
                      time.perf_counter() - started)


def choose_fringe_window(fringe: dict[int, np.ndarray], table: PairTable, unpaired: list[int]) -> int:
    """The fringe rule's window: the best ROC AUC on the validation pairs that are neither
    identical nor unpaired, among the windows the grid holds (the smallest on a tie;
    :data:`FRINGE_WINDOWS`' second, the rule's first setting, when validation holds one class
    only).

    Args:
        fringe: window side -> the rule's ``(N,)`` scores in the table's row order.
        table: the pair table (splits, labels, identical flags).
        unpaired: rows with no same-track pair.

    Returns:
        The chosen window side.
    """
    from sklearn.metrics import roc_auc_score

    rows = np.setdiff1d(table.rows("validation"), unpaired)
    rows = rows[~np.asarray(table.identical)[rows]]
    labels = np.asarray(table.label)[rows]
    if labels.size == 0 or labels.all() or not labels.any():
        return FRINGE_WINDOWS[1]
    aucs = {side: float(roc_auc_score(labels, values[rows])) for side, values in fringe.items()
            if not np.isnan(values[rows]).any()}  # a window wider than the grid has no score
    return max(aucs, key=lambda side: (aucs[side], -side)) if aucs else FRINGE_WINDOWS[0]
