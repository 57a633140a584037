"""How hard is a QuakeSet file? Its baselines' scores, and the co-seismic signal it holds.

Two views of one file (``quakesat data difficulty FILE``):

- **the baselines** of :mod:`quakesat.evaluation.baselines` (identical-pair rule, log-ratio
  rule, RandomForest and LightGBM on change features, the constant magnitude), scored with
  the onboard protocol: ROC AUC and recall at 1 % false alarms on the hard tiles;
- **the signal** where the simulator wrote its ground truth: how much of each positive tile
  the co-seismic effects changed, by magnitude and by distance to the epicentre, and what
  changed the negative pairs (the confounds). The published file has no such attributes; its
  block is then empty;
- **the interferometric rows**, for a file simulated with ``--slc``: the same pairs judged on
  their same-track complex pair (:mod:`quakesat.evaluation.insar_rows`: the oracle ceiling,
  the fringe rule, the coherence drop), with the same splits and protocol, and the phase's
  own signal: peak co-seismic motion in fringes by Mw, and the non-seismic motion in the event
  and the event-free pairs.

With ``--doc`` the Markdown tables replace the ``difficulty`` block of a document
(docs/simulator.md), so the numbers there are always a command's output.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.data.quakeset import VISIBLE_DAMAGE_SHARE, QuakeSetFile
from quakesat.evaluation.baselines import DETECTOR_BASELINES, PairTable, fit_baselines, pair_table
from quakesat.evaluation.insar_rows import FRINGE_M, INSAR_BASELINES, insar_table
from quakesat.evaluation.operating_point import hard_mask, operating_points

#: mb bins and distance bins (km, patch centre to epicentre) of the signal tables.
SIGNAL_MAGNITUDE_EDGES = (4.45, 5.0, 5.5, 6.0, 6.5, 6.88)
SIGNAL_DISTANCE_EDGES_KM = (0.0, 5.0, 10.0, 15.0, 30.0)
#: A tile "visibly damaged" above this share of changed pixels (the data layer's definition).
VISIBLE_SHARE = VISIBLE_DAMAGE_SHARE


def _signal(path: str | Path) -> dict[str, Any] | None:
    """Damage per positive tile by magnitude and distance, and confounds of the negatives."""
    patches, confounds, negatives = [], Counter(), 0
    with QuakeSetFile(path) as qs:
        for info in qs.events:
            for patch in info.patches:
                attrs = qs.patch_attrs(info.event_id, patch)
                if "damaged_fraction" not in attrs:
                    return None
                patches.append((info.magnitude, float(attrs.get("distance_km", np.nan)),
                                float(attrs["damaged_fraction"]), float(attrs.get("max_mmi", np.nan))))
                if "changes_before_pre" in attrs:
                    negatives += 1
                    confounds.update(k for k in str(attrs["changes_before_pre"]).split(",") if k)
    table = np.array(patches)

    def rows(column: int, edges: tuple[float, ...]) -> list[dict[str, Any]]:
        out = []
        for low, high in zip(edges, edges[1:]):
            chosen = table[(table[:, column] >= low) & (table[:, column] < high)]
            if not len(chosen):
                continue
            out.append({"low": low, "high": high, "tiles": int(len(chosen)),
                        "median_max_mmi": round(float(np.nanmedian(chosen[:, 3])), 2),
                        "median_damaged_share": round(float(np.median(chosen[:, 2])), 5),
                        "visibly_damaged": round(float(np.mean(chosen[:, 2] > VISIBLE_SHARE)), 3)})
        return out

    return {
        "tiles": int(len(table)),
        "visibly_damaged": round(float(np.mean(table[:, 2] > VISIBLE_SHARE)), 3),
        "damaged_share_quantiles": {f"p{q}": round(float(np.percentile(table[:, 2], q)), 5)
                                    for q in (25, 50, 75, 90, 99)},
        "by_magnitude": rows(0, SIGNAL_MAGNITUDE_EDGES),
        "by_distance_km": rows(1, SIGNAL_DISTANCE_EDGES_KM),
        "negative_pairs": negatives,
        "confounds": {name: round(count / max(negatives, 1), 3) for name, count in sorted(confounds.items())},
    }


def visible_roc_auc(labels: np.ndarray, hard: np.ndarray, damaged: np.ndarray,
                    scores: np.ndarray) -> dict[str, Any] | None:
    """ROC AUC of the visibly damaged events (more than :data:`VISIBLE_SHARE` of the tile
    changed, by the simulator's ground truth) against the hard negatives: whether a model found
    the events that physics made detectable. None without ground truth or such events.

    Args:
        labels, hard, damaged, scores: per sample, the label, the hard-set mask
            (:func:`~quakesat.evaluation.operating_point.hard_mask`), the damaged share (NaN
            when unknown) and the model's score.

    Returns:
        ``roc_auc`` and the ``events`` and ``negatives`` it was measured on, or None.
    """
    from sklearn.metrics import roc_auc_score

    visible = (labels == 1) & (damaged > VISIBLE_SHARE)
    negatives = (labels == 0) & hard
    if visible.sum() < 2 or not negatives.any():
        return None
    chosen = visible | negatives
    return {"roc_auc": round(float(roc_auc_score(labels[chosen], scores[chosen])), 4),
            "events": int(visible.sum()), "negatives": int(negatives.sum())}


def baseline_summaries(table: PairTable, fitted: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The baselines of :func:`~quakesat.evaluation.baselines.fit_baselines` in brief: per
    detector its test ROC AUC, average precision, recall and false-alarm rate at the first rate,
    hard-negative specificity, accuracy, settings and :func:`visible_roc_auc`; per magnitude
    baseline its magnitude skill."""
    test = table.rows("test")
    labels = table.label[test]
    hard = hard_mask(labels, table.identical[test])
    detectors = {}
    for name in DETECTOR_BASELINES:
        block = fitted["detectors"][name]
        points, first = block["operating_points"], block["operating_points"]["points"][0]
        visible = visible_roc_auc(labels, hard, table.damaged_share[test], np.asarray(block["scores"]))
        detectors[name] = {
            "roc_auc": points["roc_auc"], "average_precision": points["average_precision"],
            "recall_at_1pct": first["recall"], "far_at_1pct": first["false_alarm_rate"],
            "hard_negative_specificity": points["hard_negative_specificity"],
            "accuracy": block["test"]["accuracy"], "settings": block["settings"],
            "visible_roc_auc": None if visible is None else visible["roc_auc"],
        }
    magnitude = {name: fitted["magnitude"][name]["magnitude_skill"] for name in fitted["magnitude"]}
    return detectors, magnitude


def _insar_rows(path: str | Path, table: PairTable) -> dict[str, Any] | None:
    """The interferometric rules on the file's same-track pairs (None without them)."""
    insar = insar_table(path, table)
    if insar is None:
        return None
    val, test = table.rows("validation"), table.rows("test")
    val_hard, test_hard = hard_mask(table.label[val], table.identical[val]), hard_mask(table.label[test],
                                                                                        table.identical[test])
    rules = {}
    for name in INSAR_BASELINES:
        scores = insar.scores[name]
        points = operating_points(table.label[val], scores[val], table.label[test], scores[test], (0.01,),
                                  val_hard, test_hard)
        first = points["points"][0]
        rules[name] = {"roc_auc": points["roc_auc"], "average_precision": points["average_precision"],
                       "recall_at_1pct": first["recall"], "far_at_1pct": first["false_alarm_rate"]}
    events = table.label == 1
    fringes = insar.peak_los_m / FRINGE_M  # the largest |LOS| motion in fringes (lambda / 2 of motion is one)
    by_mw = []
    edges = (-np.inf, 5.0, 5.5, 6.0, 6.5, np.inf)
    for low, high in zip(edges[:-1], edges[1:]):
        inside = events & (insar.mw >= low) & (insar.mw < high)
        if inside.any():
            by_mw.append({"low": None if np.isinf(low) else low, "high": None if np.isinf(high) else high,
                          "tiles": int(inside.sum()),
                          "median_peak_los_cm": round(float(np.median(insar.peak_los_m[inside])) * 100, 2),
                          "share_one_fringe": round(float(np.mean(fringes[inside] >= 1.0)), 3)})
    return {"looks": insar.looks, "cell_m": insar.pixel_m * insar.looks, "grid_px": insar.grid_px,
            "rules": rules, "by_mw": by_mw, "nonseismic": _nonseismic_shares(path)}


def _nonseismic_shares(path: str | Path) -> dict[str, Any]:
    """Share of event pairs and of event-free pairs that carry each kind of non-seismic motion
    (the patch attributes ``slc_nonseismic`` and ``slc_nonseismic_before``)."""
    counts = {"event_pairs": Counter(), "event_free_pairs": Counter()}
    totals = {"event_pairs": 0, "event_free_pairs": 0}
    with QuakeSetFile(path) as qs:
        for info in qs.events:
            for patch in info.patches:
                attrs = qs.patch_attrs(info.event_id, patch)
                for key, name in (("slc_nonseismic", "event_pairs"), ("slc_nonseismic_before", "event_free_pairs")):
                    if key in attrs:
                        totals[name] += 1
                        counts[name].update(k for k in str(attrs[key]).split(",") if k)
    return {name: {"pairs": totals[name],
                   "shares": {k: round(v / max(totals[name], 1), 3) for k, v in sorted(counts[name].items())}}
            for name in totals}


def difficulty_report(path: str | Path, progress: bool = False, seed: int = 0) -> dict[str, Any]:
    """The baselines and the signal of ``path``.

    Returns:
        JSON-ready dict: ``file``, ``samples`` and ``hard_negatives`` per split, ``baselines``
        (per detector: ``roc_auc``, ``average_precision``, ``recall_at_1pct``,
        ``far_at_1pct``, ``hard_negative_specificity``, ``accuracy``, ``settings``,
        ``visible_roc_auc``: the visibly damaged test events against the non-identical
        negatives, None without ground truth),
        ``magnitude`` (the constant's and LightGBM's MAE on events and their ratio),
        ``signal`` (see :func:`_signal`; None for a file without ground truth),
        ``interferometric`` (the same-track rules' ROC AUC, average precision, recall and
        false-alarm rate at 1 %, the peak co-seismic motion by Mw and the non-seismic motion
        of both pair kinds; None for a file without same-track pairs), ``seconds``.

    Raises:
        ConfigError: the splits lack what the baselines need.
    """
    started = time.perf_counter()
    table = pair_table(path, progress=progress)
    fitted = fit_baselines(table, seed=seed)
    baselines, magnitude = baseline_summaries(table, fitted)
    hard_negatives = {split: int(((table.label[rows] == 0) & ~table.identical[rows]).sum())
                      for split, rows in ((name, table.rows(name)) for name in ("train", "validation", "test"))}
    return {
        "file": str(path), "samples": fitted["samples"], "hard_negatives": hard_negatives,
        "baselines": baselines, "magnitude": magnitude, "signal": _signal(path),
        "interferometric": _insar_rows(path, table),
        "seconds": round(time.perf_counter() - started, 1),
    }


def format_difficulty(report: dict[str, Any]) -> str:
    """The report as Markdown tables (what ``--doc`` writes)."""
    s = report["samples"]
    lines = [f"`{Path(report['file']).name}`: {s['train']} / {s['validation']} / {s['test']} pairs "
             f"(train / validation / test), {report['hard_negatives']['test']} non-identical negatives in test.", "",
             "| baseline (test, hard tiles) | ROC AUC | ROC AUC, visibly damaged events | recall @ 1 % FAR (test FAR)"
             " | hard-negative specificity | accuracy |", "|---|---|---|---|---|---|"]
    for name, b in report["baselines"].items():
        visible = "—" if b["visible_roc_auc"] is None else b["visible_roc_auc"]
        lines.append(f"| {name} | {b['roc_auc']} | {visible} | {b['recall_at_1pct']} ({b['far_at_1pct']}) | "
                     f"{b['hard_negative_specificity']} | {b['accuracy']} |")
    lines += ["", "| magnitude baseline (test events) | MAE (mb) | ratio to the constant |", "|---|---|---|"]
    for name, m in report["magnitude"].items():
        lines.append(f"| {name} | {m['mae_events']} | {m['ratio']} |")
    signal = report["signal"]
    if signal:
        lines += ["", f"Co-seismic signal: {signal['tiles']} positive tiles, {signal['visibly_damaged'] * 100:.1f} % "
                  f"with more than {VISIBLE_SHARE * 100:g} % of their pixels changed; damaged share quantiles "
                  + ", ".join(f"{k} {v * 100:.2f} %" for k, v in signal["damaged_share_quantiles"].items()) + ".", "",
                  "| mb | tiles | median peak MMI | median damaged share | tiles > 1 % damaged |",
                  "|---|---|---|---|---|"]
        for row in signal["by_magnitude"]:
            lines.append(f"| {row['low']:.2f}–{row['high']:.2f} | {row['tiles']} | {row['median_max_mmi']} | "
                         f"{row['median_damaged_share'] * 100:.2f} % | {row['visibly_damaged'] * 100:.1f} % |")
        lines += ["", "| distance to the epicentre (km) | tiles | median peak MMI | median damaged share |"
                  " tiles > 1 % damaged |", "|---|---|---|---|---|"]
        for row in signal["by_distance_km"]:
            lines.append(f"| {row['low']:g}–{row['high']:g} | {row['tiles']} | {row['median_max_mmi']} | "
                         f"{row['median_damaged_share'] * 100:.2f} % | {row['visibly_damaged'] * 100:.1f} % |")
        confounds = ", ".join(f"{name} {share * 100:.0f} %" for name, share in signal["confounds"].items())
        lines += ["", f"Negative pairs ({signal['negative_pairs']}) changed by: {confounds}."]
    insar = report.get("interferometric")
    if insar:
        lines += ["", f"The same pairs on their same-track complex pair ({insar['looks']} x {insar['looks']} looks, "
                      f"{insar['grid_px']} x {insar['grid_px']} cells of {insar['cell_m']:.0f} m; the oracle knows "
                      "the true displacement: the ceiling):", "",
                  "| interferometric rule (test, hard tiles) | ROC AUC | average precision | "
                  "recall @ 1 % FAR (test FAR) |", "|---|---|---|---|"]
        for name, rule in insar["rules"].items():
            lines.append(f"| {name} | {rule['roc_auc']} | {rule['average_precision']} | "
                         f"{rule['recall_at_1pct']} ({rule['far_at_1pct']}) |")
        lines += ["", "| Mw | event tiles | median peak co-seismic LOS | tiles with at least one fringe |",
                  "|---|---|---|---|"]
        for row in insar["by_mw"]:
            low = "" if row["low"] is None else f"{row['low']:g}"
            high = "" if row["high"] is None else f"{row['high']:g}"
            span = f"< {high}" if not low else (f">= {low}" if not high else f"{low}–{high}")
            lines.append(f"| {span} | {row['tiles']} | {row['median_peak_los_cm']:g} cm | "
                         f"{row['share_one_fringe'] * 100:.1f} % |")
        parts = []
        for name, label in (("event_pairs", "event pairs"), ("event_free_pairs", "event-free pairs")):
            block = insar["nonseismic"][name]
            shares = ", ".join(f"{k} {v * 100:.0f} %" for k, v in block["shares"].items()) or "none"
            parts.append(f"{label} ({block['pairs']}): {shares}")
        lines += ["", "Non-seismic motion in the same-track pairs: " + "; ".join(parts) + "."]
    return "\n".join(lines) + "\n"
