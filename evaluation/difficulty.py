"""How hard is a QuakeSet file? Its baselines' scores, and the co-seismic signal it holds.

Two views of one file (``quakesat data difficulty FILE``):

- **the baselines** of :mod:`quakesat.evaluation.baselines` (identical-pair rule, log-ratio
  rule, RandomForest and LightGBM on change features, the constant magnitude), scored with
  the onboard protocol: ROC AUC and recall at 1 % false alarms on the hard tiles;
- **the signal** where the simulator wrote its ground truth: how much of each positive tile
  the co-seismic effects changed, by magnitude and by distance to the epicentre, and what
  changed the negative pairs (the confounds). The published file has no such attributes; its
  block is then empty.

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
from quakesat.evaluation.operating_point import hard_mask

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


def difficulty_report(path: str | Path, progress: bool = False, seed: int = 0) -> dict[str, Any]:
    """The baselines and the signal of ``path``.

    Returns:
        JSON-ready dict: ``file``, ``samples`` and ``hard_negatives`` per split, ``baselines``
        (per detector: ``roc_auc``, ``average_precision``, ``recall_at_1pct``,
        ``far_at_1pct``, ``hard_negative_specificity``, ``accuracy``, ``settings``,
        ``visible_roc_auc``: the visibly damaged test events against the non-identical
        negatives, None without ground truth),
        ``magnitude`` (the constant's and LightGBM's MAE on events and their ratio),
        ``signal`` (see :func:`_signal`; None for a file without ground truth), ``seconds``.

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
    return "\n".join(lines) + "\n"
