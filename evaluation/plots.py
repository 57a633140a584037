"""Figures of the onboard protocol: ROC and precision-recall curves, detection by magnitude and distance.

Each function draws on its own :class:`matplotlib.figure.Figure` (no pyplot state, so it is
safe in a library and in threads) and writes one PNG through
:func:`quakesat.files.atomic_output`: the file is whole or absent. Inputs are the JSON-ready
blocks of :mod:`quakesat.evaluation.operating_point` (``curves``, ``detection_by_bins``), so a
figure can be redrawn from a saved report without the models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator

from quakesat.errors import ConfigError
from quakesat.files import atomic_output

#: Lowest false-alarm rate the ROC axis shows; the protocol's smallest rate is 0.1 %.
MIN_FPR = 1e-3
#: False-alarm rates marked on the ROC axis, with their labels.
FPR_GUIDES: tuple[tuple[float, str], ...] = ((0.01, "1 %"), (0.001, "0.1 %"))
DPI = 120


def _save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise ConfigError(f"cannot write {path}: folder {path.parent} does not exist; create it first")
    with atomic_output(path) as temporary:
        figure.savefig(temporary, format="png", dpi=DPI)
    return path


def _check_rows(rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        raise ConfigError("plot_roc_pr: no rows; expected one {'name', 'curves'} per model")
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping) or "name" not in row or "curves" not in row:
            raise ConfigError(f"plot_roc_pr: row {index} is not a mapping with 'name' and 'curves' "
                              "(curves as evaluation.operating_point.curves returns them)")


def _style(index: int, name: str) -> dict[str, Any]:
    """One colour per row (20 before any repeats) and dashed lines for the rows judged on
    same-track pairs (``insar-`` names), so that no two rows of a plot look alike."""
    from matplotlib import colormaps

    return {"color": colormaps["tab20"](index % 20), "linestyle": "--" if name.startswith("insar-") else "-"}


def _roc_axis(axis: Axes, rows: Sequence[Mapping[str, Any]]) -> None:
    for index, row in enumerate(rows):
        roc = row["curves"].get("roc")
        if roc is None:
            continue
        # A log axis cannot show 0: points left of the axis are drawn on its edge, where the
        # curve's start (no false alarm at all) belongs visually.
        fpr = np.maximum(np.asarray(roc["fpr"], dtype=np.float64), MIN_FPR)
        axis.plot(fpr, roc["tpr"], label=str(row["name"]), drawstyle="steps-post", **_style(index, str(row["name"])))
    for rate, label in FPR_GUIDES:
        axis.axvline(rate, color="0.5", linestyle="--", linewidth=0.8)
        axis.text(rate, 1.01, label, ha="center", va="bottom", fontsize=8, color="0.35")
    axis.set_xscale("log")
    axis.set_xlim(MIN_FPR, 1.0)
    axis.set_ylim(0.0, 1.0)
    axis.set_xlabel("false-alarm rate on hard negatives")
    axis.set_ylabel("recall (events flagged)")
    axis.set_title("ROC, hard set", pad=14)


def _pr_axis(axis: Axes, rows: Sequence[Mapping[str, Any]]) -> None:
    for index, row in enumerate(rows):
        pr = row["curves"].get("pr")
        if pr is not None:
            axis.plot(pr["recall"], pr["precision"], label=str(row["name"]), drawstyle="steps-post",
                      **_style(index, str(row["name"])))
    axis.set_xlim(0.0, 1.0)
    axis.set_ylim(0.0, 1.02)
    axis.set_xlabel("recall")
    axis.set_ylabel("precision")
    axis.set_title("precision-recall, hard set", pad=14)


def plot_roc_pr(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write ROC (log false-alarm axis from 0.1 %) and precision-recall curves, one line per model.

    Args:
        rows: one mapping per model or baseline, with ``name`` and ``curves`` (the dict of
            :func:`quakesat.evaluation.operating_point.curves`); a model whose curves are
            None (one class only) is left out of the axes.
        path: the PNG to write; its folder must exist.

    Returns:
        ``path``.

    Raises:
        ConfigError: no rows, a row without ``name`` and ``curves``, or a missing folder.
    """
    _check_rows(rows)
    figure = Figure(figsize=(11.0, 4.6), layout="constrained")
    roc, pr = figure.subplots(1, 2)
    _roc_axis(roc, rows)
    _pr_axis(pr, rows)
    if roc.lines:
        roc.legend(loc="lower right", fontsize=8)
    return _save(figure, path)


def _shared_counts(bins_by_model: Mapping[str, Mapping[str, Any]], key: str) -> list[int] | None:
    """The per-bin event counts when every model saw the same events, else None."""
    counts = {tuple(row["n"] for row in report[key]) for report in bins_by_model.values()}
    return list(next(iter(counts))) if len(counts) == 1 else None


def _rate_axis(axis: Axes, bins_by_model: Mapping[str, Mapping[str, Any]], key: str, title: str) -> None:
    """Detection rate per bin of ``key`` (``magnitude`` or ``distance_km``), one line per model."""
    first = next(iter(bins_by_model.values()))[key]
    positions = np.arange(len(first))
    shared = _shared_counts(bins_by_model, key)
    for name, report in bins_by_model.items():
        rows = report[key]
        rates = np.array([np.nan if row["rate"] is None else row["rate"] for row in rows], dtype=np.float64)
        axis.plot(positions, rates, marker="o", label=name)
        if shared is None:  # different test sets: each point carries its own count
            for x, rate, row in zip(positions, rates, rows):
                if np.isfinite(rate):
                    axis.annotate(f"n={row['n']}", (x, rate), textcoords="offset points", xytext=(0, 5),
                                  ha="center", fontsize=7)
    labels = [row["bin"] for row in first]
    if shared is not None:
        labels = [f"{label}\nn={n}" for label, n in zip(labels, shared)]
    axis.set_xticks(positions, labels, fontsize=8)
    axis.set_ylim(-0.02, 1.05)
    axis.set_ylabel("detection rate (events flagged)")
    axis.set_title(title)
    axis.grid(axis="y", linewidth=0.4, alpha=0.6)


def plot_detection_vs_magnitude_distance(bins_by_model: Mapping[str, Mapping[str, Any]], path: str | Path) -> Path:
    """Write the detection rate per magnitude bin and per distance bin, one line per model.

    Args:
        bins_by_model: model name → the dict of
            :func:`quakesat.evaluation.operating_point.detection_by_bins`, every one with the
            same bins; event counts are printed under the bins (or beside each point when
            the models were scored on different events). Empty bins leave a gap.
        path: the PNG to write; its folder must exist.

    Returns:
        ``path``.

    Raises:
        ConfigError: no model, models binned differently, or a missing folder.
    """
    if not bins_by_model:
        raise ConfigError("plot_detection_vs_magnitude_distance: no model; expected name -> detection_by_bins dict")
    for key in ("magnitude", "distance_km"):
        layouts = {tuple(row["bin"] for row in report[key]) for report in bins_by_model.values()}
        if len(layouts) != 1:
            raise ConfigError(f"plot_detection_vs_magnitude_distance: the models use different {key} bins "
                              f"({sorted(layouts)}); bin them with the same edges")
    figure = Figure(figsize=(11.0, 4.4), layout="constrained")
    by_magnitude, by_distance = figure.subplots(1, 2, sharey=True)
    _rate_axis(by_magnitude, bins_by_model, "magnitude", "by magnitude (mb)")
    _rate_axis(by_distance, bins_by_model, "distance_km", "by distance, patch centre to epicentre (km)")
    by_magnitude.legend(loc="lower right", fontsize=8)
    return _save(figure, path)


def plot_reliability(calibration_by_model: Mapping[str, Mapping[str, Any]], path: str | Path) -> Path:
    """Reliability diagram: observed event share against mean predicted probability per bin,
    for each model's calibration block (:func:`quakesat.evaluation.calibration.calibration_report`)
    on its test split, before (dashed, where recorded) and after temperature scaling; marker
    area follows the tile count."""
    if not calibration_by_model:
        raise ConfigError("plot_reliability needs at least one model's calibration block")
    figure = Figure(figsize=(5.5, 5))
    axis = figure.add_subplot(1, 1, 1)
    axis.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":", label="perfectly calibrated")
    for name, block in calibration_by_model.items():
        split = block.get("test") or block.get("validation") or {}
        for key, style, label in (("reliability_before", "--", "before"), ("reliability_after", "-", "after")):
            rows = [r for r in split.get(key) or () if r["tiles"]]
            if not rows:
                continue
            x = [r["mean_probability"] for r in rows]
            y = [r["event_share"] for r in rows]
            line = axis.plot(x, y, ls=style, marker="o", markersize=3,
                             label=f"{name} {label} (ECE {split.get('ece_' + label, float('nan')):.3f})")[0]
            axis.scatter(x, y, s=[4 + 2 * r["tiles"] for r in rows], color=line.get_color(), alpha=0.3)
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel("mean predicted event probability (bin)")
    axis.set_ylabel("observed event share")
    axis.set_title("Reliability on the test hard tiles (temperature from validation)", fontsize=9)
    axis.legend(fontsize=6, loc="upper left")
    figure.tight_layout()
    return _save(figure, path)


#: Marker per runtime in the accuracy trade-off plot (the C++ runner and the Python runtime).
RUNTIME_MARKERS = {"python": "o", "cpp": "s"}


def _accuracy_limits(accuracies: Sequence[float]) -> tuple[float, float]:
    """The accuracy axis, in percent: at least 20 points wide, on 5-point steps, within 0..100,
    so that a difference of one or two points is not drawn as the axis' full height."""
    low = 5.0 * np.floor((100.0 * min(accuracies) - 2.0) / 5.0)
    high = 5.0 * np.ceil((100.0 * max(accuracies) + 2.0) / 5.0)
    while high - low < 20.0:
        low, high = low - 2.5, high + 2.5
    if low < 0.0:
        low, high = 0.0, min(100.0, high - low)
    if high > 100.0:
        low, high = max(0.0, low - (high - 100.0)), 100.0
    return float(low), float(high)


def plot_bench_accuracy(points: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Accuracy at the onboard threshold against p50 latency (left) and against the estimated
    energy per tile on a Cortex-A53 board (right), one marker per benchmarked artifact.

    Each artifact has its own colour and each runtime its own marker shape, named in one legend
    under the axes (no labels on the points, which would overlap where two artifacts tie). The
    latency and energy axes start at 0, so that ratios read right; the accuracy axis is in
    percent and at least 20 points wide. A panel with no point says why instead of drawing
    empty axes.

    Args:
        points: one mapping per artifact row with ``artifact``, ``runtime``, ``accuracy``
            (0..1), ``latency_ms`` and optionally ``energy_mj``.
        path: the PNG to write; its folder must exist.

    Returns:
        ``path``.

    Raises:
        ConfigError: a point without those keys, or a missing folder.
    """
    for index, point in enumerate(points):
        missing = [key for key in ("artifact", "runtime", "accuracy", "latency_ms") if key not in point]
        if missing:
            raise ConfigError(f"plot_bench_accuracy: point {index} lacks {', '.join(missing)}")
    figure = Figure(figsize=(11.0, 4.8), layout="constrained")
    by_latency, by_energy = figure.subplots(1, 2, sharey=True)
    panels = ((by_latency, "latency_ms", "p50 latency per tile, ms (this machine, 1 thread)",
               "no artifact with an accuracy was timed"),
              (by_energy, "energy_mj", "estimated energy per tile on a Cortex-A53 board, mJ",
               "no energy estimate: it needs the C++ runner's\ninstruction counts (valgrind, pte artifacts)"))
    for axis, key, label, empty in panels:
        drawn = [(index, point) for index, point in enumerate(points) if point.get(key) is not None]
        for index, point in drawn:
            axis.scatter(float(point[key]), 100.0 * float(point["accuracy"]), s=70, zorder=3,
                         color=_style(index, str(point["artifact"]))["color"],
                         marker=RUNTIME_MARKERS.get(str(point["runtime"]), "D"), edgecolors="black", linewidths=0.6,
                         label=f"{point['artifact']} ({point['runtime']})")
        if drawn:
            axis.set_xlim(0.0, 1.15 * max(float(point[key]) for _, point in drawn))
        else:
            axis.text(0.5, 0.5, empty, transform=axis.transAxes, ha="center", va="center", fontsize=10, color="0.35")
            axis.set_xticks([])
        axis.set_xlabel(label, fontsize=10)
        axis.grid(linewidth=0.4, alpha=0.6)
    if points:
        by_latency.set_ylim(*_accuracy_limits([float(point["accuracy"]) for point in points]))
        by_latency.yaxis.set_major_locator(MultipleLocator(5.0))
    by_latency.set_ylabel("accuracy at the onboard threshold, %", fontsize=10)
    figure.suptitle("Accuracy against speed and energy, per exported artifact", fontsize=11)
    handles, labels = by_latency.get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), fontsize=9,
                      title="artifact (runtime): circle = Python runtime, square = C++ runner", title_fontsize=9)
    return _save(figure, path)
