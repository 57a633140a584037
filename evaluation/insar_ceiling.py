"""The interferometric detection ceiling and the tile geometry it needs (issue 27, items 2 and 3).

Job: say how well an earthquake *can* be seen in the phase of a same-track Sentinel-1 pair,
per ground footprint and multilook, before any model is trained on it. The pairs come from
:func:`quakesat.simulator.insar.study.simulate_study_pairs` (that module's doc gives the
simulation protocol; it lives on the simulator side because ``evaluation`` does not import
``simulator``, docs/architecture.md). Three statistics of one multilooked interferogram are
scored here:

- :func:`oracle_statistic`, the ceiling: a matched filter that knows the event's true
  co-seismic LOS field (the event-free pair of the same patch gets the same template), once
  over the whole tile (``oracle``: one unknown phase offset) and once per window of
  :data:`ORACLE_WINDOW_M` (``oracle_local``: one offset per window, so that the atmosphere's
  long wavelengths between the near and the far field do not cancel the sum); the textbook
  real-part form (``oracle_re``) is scored beside them;
- :func:`phase_gradient_statistic`, the fringe rule: how steep and how consistent the local
  phase gradient is, knowing nothing of the event;
- :func:`coherence_drop_statistic`: one minus the mean estimated coherence. No damage is
  simulated in the study pairs, so this rule only sees what the fringes do to the coherence
  *estimator* (a phase gradient inside a multilook block lowers the estimate); at block side
  1 the estimate is identically 1 and the rule is a constant.

The amplitude **log-ratio rule** needs the amplitude images, which the study pairs do not
have: it is scored in :mod:`quakesat.evaluation.baselines` (``log-ratio``) on simulated
files, the column to put beside this table.

Protocol (:func:`ceiling_table`): per footprint, a *scored* set (events with their event pair
and event-free pair, seed ``s``) and a *validation* set of event-free pairs only (a second
seed: other events, other patches, other draws). For every statistic and block side:
ROC AUC over the scored event vs event-free pairs (None when one class is missing); the
threshold at :data:`FALSE_ALARM_RATE` set on the validation negatives
(:func:`~quakesat.evaluation.operating_point.threshold_for_false_alarm_rate`) and applied
unchanged to the scored pairs: recall on the scored events, and the false-alarm rate it
actually gives on the scored negatives; the recall is None unless the validation set holds
at least ``1 / rate`` negatives (:func:`~quakesat.evaluation.operating_point.resolvable`).
Detection by Mw, depth and peak LOS bins for both oracles and the fringe rule, at 1 % when
resolvable, else at :data:`FALLBACK_RATE` (5 %) when that is, else not reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from sklearn.metrics import roc_auc_score

from quakesat.data.fringe import FRINGE_WINDOW, block_sums, phase_gradient, unit_phasor
from quakesat.data.los import WAVELENGTH_M, los_phasor
from quakesat.evaluation.operating_point import detection_by_bins, resolvable, threshold_for_false_alarm_rate

#: The false-alarm rate of the onboard protocol (docs/results.md) and the fallback for the
#: binned detection rates when 1 % is not resolvable.
FALSE_ALARM_RATE = 0.01
FALLBACK_RATE = 0.05
#: Statistics scored, in table order; those binned by Mw, depth and peak LOS.
STATISTICS: tuple[str, ...] = ("oracle", "oracle_local", "oracle_re", "fringe", "coherence_drop")
BINNED: tuple[str, ...] = ("oracle", "oracle_local", "fringe")
#: Ground side (m) of the windows of the local oracle, each with its own unknown phase offset:
#: half a QuakeSet tile (modelling choice). The turbulent delay's RMS grows about as the square
#: root of the distance (Emardson et al. 2003): ~4 mm across 2.56 km against ~11 mm across
#: 20.48 km, a fifth and a half of a fringe; a window that small still holds the near field's
#: fringes but sees a deep event's broad signal only as a ramp.
ORACLE_WINDOW_M = 2560.0
#: Bin cut points: Mw 4.5-5, 5-5.5, 5.5-6, 6+ (the brief's bins; the simulator's Mw starts at
#: 4.81), hypocentre depth 0-10, 10-20, 20+ km, and peak |LOS| 1, 3 and 10 cm (the published
#: detections below are centimetre signals).
MW_EDGES: tuple[float, ...] = (5.0, 5.5, 6.0)
DEPTH_EDGES_KM: tuple[float, ...] = (10.0, 20.0)
PEAK_LOS_EDGES_CM: tuple[float, ...] = (1.0, 3.0, 10.0)
#: Side of the windows the fringe rule averages over (quakesat.data.fringe: the reason for 4).
GRADIENT_WINDOW = FRINGE_WINDOW
#: Events per chunk when scoring (bounds the template memory at block side 1). Modelling choice.
_CHUNK_EVENTS = 32
#: Published Sentinel-1 co-seismic observations, as quoted by issue 27 (name, Mw, peak LOS in
#: m): centimetre signals from about Mw 5.2; depth matters as much as magnitude.
PUBLISHED_DETECTIONS: tuple[tuple[str, float, float], ...] = (
    ("Mandali 2018 (Iran-Iraq border)", 5.25, 0.03),
    ("South Napa 2014 (California)", 6.1, 0.06),
    ("Hualien 2018 (Taiwan)", 6.4, 0.30),
)


class PairSet(Protocol):
    """What the scoring reads of a study set (:class:`quakesat.simulator.insar.study.StudyPairs`)."""

    footprint_m: float
    side_px: int
    looks: tuple[int, ...]
    labels: np.ndarray
    event: np.ndarray
    interferograms: dict[int, np.ndarray]
    coherence: dict[int, np.ndarray]
    los_m: np.ndarray
    mw: np.ndarray
    depth_km: np.ndarray
    peak_los_m: np.ndarray
    seconds_per_pair: float
    seed: int


# ─── statistics of one multilooked interferogram ────────────────────────────────────────
def template_phasor(los_m: np.ndarray, looks: int, wavelength_m: float = WAVELENGTH_M) -> np.ndarray:
    """The oracle's template on a multilooked grid: the block mean of exp(i 4π d_LOS / λ).

    Its phase is the expected phase of the multilooked interferogram of the motion alone:
    4π/λ times the block's mean LOS where a block holds less than a fringe, and the right
    value where it holds more, where averaging d_LOS first would not be.

    Args:
        los_m: ``... x H x W`` co-seismic LOS field (m, positive toward the satellite).
        looks: block side, dividing H and W.
        wavelength_m: radar wavelength.

    Returns:
        complex128 ``... x H/looks x W/looks``.
    """
    return los_phasor(los_m, looks, wavelength_m)


def _check(interferogram: np.ndarray, coherence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ifg, gamma = np.asarray(interferogram), np.asarray(coherence, dtype=np.float64)
    if ifg.shape != gamma.shape or ifg.ndim < 2:
        raise ValueError(f"interferogram {ifg.shape} and coherence {gamma.shape} must be images of one shape")
    return ifg, gamma


def oracle_statistic(interferogram: np.ndarray, coherence: np.ndarray, template: np.ndarray,
                     window: int | None = None) -> np.ndarray:
    """The matched filter that knows the event's LOS field: the detection ceiling.

    With ``u`` the unit interferogram, ``w`` the estimated coherence and ``t`` the unit
    template (:func:`template_phasor`), both coherent sums normalised by Σw::

        T = |Σ w·u·conj(t)| / Σw  −  |Σ w·u| / Σw

    The modulus, not the real part, of the matched sum: an interferogram's phase is only
    known up to a constant (a reference point, the mean of the delay), and the modulus is the
    generalised likelihood-ratio statistic for a known phase pattern under an unknown
    constant offset. The second term is the same sum with a flat template: it removes what
    any template gets from a coherent, fringe-free interferogram, so that without an event T
    sits at or below 0 whatever the template, and with one above 0 by what the fringes the
    template explains add. A template with less than a fringe makes both terms equal: T ~ 0
    for the event and its event-free twin alike, as it should when there is nothing to see.
    :func:`oracle_re_statistic` is the real-part form, for comparison.

    With ``window``, both moduli are taken per ``window x window`` window and their
    differences summed (still over the tile's Σw): one unknown offset per window. A window
    where the template is flat then adds exactly 0, however its phase drifts.

    At block side 1 the estimated coherence is identically 1, so the sums are unweighted.

    Args:
        interferogram: ``... x H x W`` multilooked interferograms (complex).
        coherence: ``... x H x W`` estimated coherence, the weights.
        template: ``... x H x W`` complex template (broadcast against the interferograms).
        window: side (pixels) of the windows, dividing H and W; None: the whole tile.

    Returns:
        float64 ``...``: T per interferogram (0 where every weight is 0).
    """
    ifg, weights = _check(interferogram, coherence)
    unit, shape_template = unit_phasor(ifg), unit_phasor(template)
    total = weights.sum(axis=(-2, -1))
    matched, flat = weights * unit * np.conj(shape_template), weights * unit
    if window is None:
        gain = np.abs(matched.sum(axis=(-2, -1))) - np.abs(flat.sum(axis=(-2, -1)))
    else:
        if window < 1 or ifg.shape[-1] % window or ifg.shape[-2] % window:
            raise ValueError(f"window {window} must divide the image sides {ifg.shape[-2:]}")
        gain = (np.abs(block_sums(matched, window)) - np.abs(block_sums(flat, window))).sum(axis=(-2, -1))
    return np.divide(gain, total, out=np.zeros_like(total), where=total > 0)


def oracle_window_px(grid_px: int, pixel_m: float, window_m: float = ORACLE_WINDOW_M) -> int:
    """The local oracle's window on a multilooked grid: the largest divisor of ``grid_px`` not
    above ``window_m / pixel_m`` (at least 1).

    Args:
        grid_px: side of the multilooked grid.
        pixel_m: its pixel spacing (m).
        window_m: the wanted window side on the ground (m).

    Returns:
        The window side in pixels.
    """
    wanted = max(1, int(round(window_m / pixel_m)))
    return max(d for d in range(1, min(wanted, grid_px) + 1) if grid_px % d == 0)


def oracle_re_statistic(interferogram: np.ndarray, coherence: np.ndarray, template: np.ndarray) -> np.ndarray:
    """The matched filter in its textbook form: Re Σ w·u·exp(−i φ_template) / Σw.

    It uses the interferogram's absolute phase, which the simulated pairs have (no reference
    offset) but real interferograms do not; without an event its level depends on the
    template (the mean of cos φ_template), so one threshold serves events of every size
    badly. Kept beside :func:`oracle_statistic` to show what that costs.

    Args:
        interferogram: ``... x H x W`` multilooked interferograms.
        coherence: ``... x H x W`` estimated coherence, the weights.
        template: ``... x H x W`` complex template.

    Returns:
        float64 ``...``.
    """
    ifg, weights = _check(interferogram, coherence)
    total = weights.sum(axis=(-2, -1))
    matched = (weights * unit_phasor(ifg) * np.conj(unit_phasor(template))).sum(axis=(-2, -1)).real
    return np.divide(matched, total, out=np.zeros_like(total), where=total > 0)


def phase_gradient_statistic(interferogram: np.ndarray, coherence: np.ndarray,
                             window: int = GRADIENT_WINDOW) -> np.ndarray:
    """The fringe rule: coherence-weighted mean magnitude of the local phase gradient
    (:func:`quakesat.data.fringe.phase_gradient` has the definition), after this module's
    input checks. Knows nothing of the event: atmosphere, subsidence and landslides raise it
    as fringes do.

    Args:
        interferogram: ``... x H x W`` multilooked interferograms.
        coherence: ``... x H x W`` estimated coherence.
        window: window side (>= 1); H - 1 and W - 1 must be at least ``window``.

    Returns:
        float64 ``...`` in radians per multilooked pixel.
    """
    ifg, weights = _check(interferogram, coherence)
    return phase_gradient(ifg, weights, window)


def coherence_drop_statistic(coherence: np.ndarray) -> np.ndarray:
    """1 − mean estimated coherence (module doc: without damage it only sees fringes inside
    multilook blocks; constant 0 at block side 1).

    Args:
        coherence: ``... x H x W`` estimated coherence.

    Returns:
        float64 ``...``.
    """
    return 1.0 - np.asarray(coherence, dtype=np.float64).mean(axis=(-2, -1))


def score_pairs(pairs: PairSet) -> dict[int, dict[str, np.ndarray]]:
    """Every statistic of every pair at every block side of a study set.

    Args:
        pairs: the study set (the oracle's template of a pair is its event's LOS field).

    Returns:
        block side -> statistic name (:data:`STATISTICS`) -> ``(P,)`` float64 scores.
    """
    wavelength = float(getattr(pairs, "wavelength_m", WAVELENGTH_M))
    event = np.asarray(pairs.event)
    scores: dict[int, dict[str, np.ndarray]] = {}
    for looks in pairs.looks:
        ifg, coh = pairs.interferograms[looks], pairs.coherence[looks]
        out = {name: np.empty(event.size) for name in STATISTICS}
        window = oracle_window_px(ifg.shape[-1], pairs.footprint_m / pairs.side_px * looks)
        for first in range(0, pairs.los_m.shape[0], _CHUNK_EVENTS):
            chunk = np.arange(first, min(first + _CHUNK_EVENTS, pairs.los_m.shape[0]))
            template = template_phasor(pairs.los_m[chunk], looks, wavelength)
            where = np.flatnonzero((event >= chunk[0]) & (event <= chunk[-1]))
            if where.size == 0:
                continue
            t = template[event[where] - chunk[0]]
            out["oracle"][where] = oracle_statistic(ifg[where], coh[where], t)
            out["oracle_local"][where] = oracle_statistic(ifg[where], coh[where], t, window)
            out["oracle_re"][where] = oracle_re_statistic(ifg[where], coh[where], t)
            out["fringe"][where] = phase_gradient_statistic(ifg[where], coh[where])
            out["coherence_drop"][where] = coherence_drop_statistic(coh[where])
        scores[looks] = out
    return scores


# ─── the table ──────────────────────────────────────────────────────────────────────────
def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC AUC, None unless both classes are present."""
    if labels.size == 0 or labels.all() or not labels.any():
        return None
    return round(float(roc_auc_score(labels, scores)), 4)


def _bins(flagged: np.ndarray, values: np.ndarray, edges: Sequence[float]) -> list[dict[str, Any]]:
    """Detection rate of the events per bin of ``values`` (rows of detection_by_bins)."""
    ones = np.ones(flagged.size, dtype=np.int8)
    rows = detection_by_bins(flagged.astype(np.int8), ones, values, values, edges, edges)["magnitude"]
    return [{key: row[key] for key in ("bin", "n", "detected", "rate")} for row in rows]


def _row(looks: int, scored: PairSet, validation: PairSet, scored_scores: dict[str, np.ndarray],
         validation_scores: dict[str, np.ndarray], rate: float, fallback_rate: float) -> dict[str, Any]:
    """One (footprint, block side) row of :func:`ceiling_table`."""
    labels = np.asarray(scored.labels) == 1
    val_negative = np.asarray(validation.labels) == 0
    n_val = int(val_negative.sum())
    events = np.asarray(scored.event)[labels]
    row: dict[str, Any] = {
        "footprint_m": float(scored.footprint_m), "side_px": int(scored.side_px), "looks": int(looks),
        "grid_px": int(scored.side_px // looks), "pixel_m": round(scored.footprint_m / scored.side_px * looks, 3),
        "oracle_window_px": oracle_window_px(scored.side_px // looks, scored.footprint_m / scored.side_px * looks),
        "n_events": int(labels.sum()), "n_negatives": int((~labels).sum()), "n_validation_negatives": n_val,
        "rate": rate, "resolvable": bool(n_val and resolvable(n_val, rate)),
        "auc": {}, "thresholds": {}, "recall": {}, "scored_false_alarm_rate": {},
    }
    bins_rate = next((r for r in (rate, fallback_rate) if n_val and resolvable(n_val, r)), None)
    row["bins_rate"], row["bins"] = bins_rate, {}
    for name in STATISTICS:
        scores = scored_scores[name]
        row["auc"][name] = _auc(labels, scores)
        threshold = threshold_for_false_alarm_rate(validation_scores[name][val_negative], rate) if n_val else None
        row["thresholds"][name] = threshold
        row["recall"][name] = (round(float(np.mean(scores[labels] >= threshold)), 4)
                               if row["resolvable"] and labels.any() else None)
        row["scored_false_alarm_rate"][name] = (round(float(np.mean(scores[~labels] >= threshold)), 4)
                                                if threshold is not None and (~labels).any() else None)
        if name in BINNED and bins_rate is not None and labels.any():
            at = threshold_for_false_alarm_rate(validation_scores[name][val_negative], bins_rate)
            flagged = scores[labels] >= at
            row["bins"][name] = {"mw": _bins(flagged, np.asarray(scored.mw)[events], MW_EDGES),
                                 "depth_km": _bins(flagged, np.asarray(scored.depth_km)[events], DEPTH_EDGES_KM),
                                 "peak_los_cm": _bins(flagged, 100.0 * np.asarray(scored.peak_los_m)[events],
                                                      PEAK_LOS_EDGES_CM)}
    return row


def ceiling_table(scored: Sequence[PairSet], validation: Sequence[PairSet], rate: float = FALSE_ALARM_RATE,
                  fallback_rate: float = FALLBACK_RATE) -> dict[str, Any]:
    """The ceiling table over footprints and block sides (module doc: the protocol).

    Args:
        scored: one study set per footprint (events with event and event-free pairs).
        validation: one set per footprint, same footprint, grid and block sides, drawn from
            another seed; only its event-free pairs are used (they set every threshold).
        rate: the false-alarm rate of the recall column.
        fallback_rate: the rate of the binned detection when ``rate`` is not resolvable.

    Returns:
        ``rows`` (one per footprint and block side: ``footprint_m``, ``looks``, ``grid_px``,
        ``pixel_m`` of the multilooked grid, counts, ``auc``, ``thresholds``, ``recall`` and
        ``scored_false_alarm_rate`` per statistic, ``resolvable``, ``bins_rate`` and ``bins``
        per binned statistic: ``mw``, ``depth_km``, ``peak_los_cm`` lists of ``{"bin", "n",
        "detected", "rate"}``); ``rate``, ``fallback_rate``, ``statistics``, ``seeds``,
        ``seconds_per_pair`` per footprint, ``oracle_window_m``, ``published``
        (:data:`PUBLISHED_DETECTIONS`) and
        ``notes``.

    Raises:
        ValueError: sets that do not match one to one, or a validation set drawn from the
            scored set's seed.
    """
    if len(scored) != len(validation) or not scored:
        raise ValueError(f"need one validation set per scored set, got {len(scored)} and {len(validation)}")
    rows: list[dict[str, Any]] = []
    for test_set, val_set in zip(scored, validation):
        if (test_set.footprint_m, test_set.side_px, tuple(test_set.looks)) != \
                (val_set.footprint_m, val_set.side_px, tuple(val_set.looks)):
            raise ValueError("a validation set must have its scored set's footprint, grid and block sides")
        if test_set.seed == val_set.seed:
            raise ValueError(f"the validation set must come from another seed than the scored one ({test_set.seed})")
        test_scores, val_scores = score_pairs(test_set), score_pairs(val_set)
        rows += [_row(looks, test_set, val_set, test_scores[looks], val_scores[looks], rate, fallback_rate)
                 for looks in test_set.looks]
    notes = ["thresholds are set on the validation set's event-free pairs (another seed) and applied unchanged",
             "recall is None where the validation set holds fewer than 1/rate event-free pairs",
             "coherence_drop: no damage is simulated; at block side 1 the estimated coherence is 1 (AUC 0.5)",
             "the amplitude log-ratio rule needs amplitude images: see quakesat.evaluation.baselines"]
    if any(row["bins_rate"] is None for row in rows):
        notes.append(f"bins are not reported where neither {rate:g} nor {fallback_rate:g} is resolvable")
    return {"rate": rate, "fallback_rate": fallback_rate, "statistics": list(STATISTICS), "rows": rows,
            "oracle_window_m": ORACLE_WINDOW_M,
            "seeds": {"scored": sorted({int(s.seed) for s in scored}),
                      "validation": sorted({int(s.seed) for s in validation})},
            "seconds_per_pair": {f"{s.footprint_m:g}": round(float(s.seconds_per_pair), 4) for s in scored},
            "published": [{"event": name, "mw": mw, "peak_los_cm": round(100.0 * los, 1)}
                          for name, mw, los in PUBLISHED_DETECTIONS],
            "notes": notes}


# ─── Markdown ───────────────────────────────────────────────────────────────────────────
def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _bin_cell(entry: dict[str, Any]) -> str:
    return "–" if entry["rate"] is None else f"{entry['rate']:.2f} ({entry['n']})"


def format_ceiling(table: dict[str, Any]) -> str:
    """The ceiling table as Markdown: AUC and recall per footprint and block side, then the
    detection rate by Mw, depth and peak LOS of the oracle and the fringe rule, then the
    published detections and the notes.

    Args:
        table: :func:`ceiling_table`'s result.

    Returns:
        Markdown text.
    """
    percent = f"{100 * table['rate']:g} %"
    names = {"oracle": "oracle", "oracle_local": "oracle (local)", "oracle_re": "oracle (Re)", "fringe": "fringe",
             "coherence_drop": "coh. drop"}
    stats = table["statistics"]
    lines = [
        "| footprint (km) | looks | grid (px) | pixel (m) | events / negatives / val. neg. | "
        + " | ".join(f"AUC {names[s]}" for s in stats) + " | "
        + " | ".join(f"recall@{percent} {names[s]}" for s in stats) + " |",
        "|" + "---|" * (5 + 2 * len(stats)),
    ]
    for row in table["rows"]:
        lines.append(f"| {row['footprint_m'] / 1000:g} | {row['looks']} | {row['grid_px']} | {row['pixel_m']:g} | "
                     f"{row['n_events']} / {row['n_negatives']} / {row['n_validation_negatives']} | "
                     + " | ".join(_cell(row["auc"][s]) for s in stats) + " | "
                     + " | ".join(_cell(row["recall"][s]) for s in stats) + " |")
    binned = [row for row in table["rows"] if row["bins"]]
    if binned:
        first = next(iter(binned[0]["bins"].values()))
        header = ([f"Mw {b['bin']}" for b in first["mw"]] + [f"depth {b['bin']} km" for b in first["depth_km"]]
                  + [f"LOS {b['bin']} cm" for b in first["peak_los_cm"]])
        lines += ["", "Detection rate (n events) at the validation threshold:", "",
                  "| footprint (km) | looks | rule | false alarms | " + " | ".join(header) + " |",
                  "|" + "---|" * (4 + len(header))]
        for row in binned:
            for name, bins in row["bins"].items():
                cells = [_bin_cell(b) for key in ("mw", "depth_km", "peak_los_cm") for b in bins[key]]
                lines.append(f"| {row['footprint_m'] / 1000:g} | {row['looks']} | {names[name]} | "
                             f"{100 * row['bins_rate']:g} % | " + " | ".join(cells) + " |")
    lines += ["", "Published Sentinel-1 detections: " + "; ".join(
        f"{p['event']} Mw {p['mw']:g}, ~{p['peak_los_cm']:g} cm LOS" for p in table["published"]) + "."]
    lines += [f"- {note}" for note in table["notes"]]
    per_pair = ", ".join(f"{float(k) / 1000:g} km {v:.3f} s" for k, v in table["seconds_per_pair"].items())
    lines.append(f"- simulation cost per pair: {per_pair}")
    lines.append(f"- oracle (local): one phase offset per window of about {table['oracle_window_m'] / 1000:g} km")
    return "\n".join(lines) + "\n"

