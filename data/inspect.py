"""``quakesat data info``: summarize a QuakeSet file and render one of its patches as a PNG."""

from __future__ import annotations

import math
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.data.quakeset import SPLITS, TASKS, QuakeSetFile
from quakesat.errors import QuakeSetFormatError
from quakesat.files import atomic_output

MAGNITUDE_BIN = 0.25  # mb per histogram bin
BINS_PER_MB = 4  # 1 / MAGNITUDE_BIN, as an int so bin edges are exact
IGNORED_PATHS_SHOWN = 20  # how many ignored member paths the summary lists
NODATA_COLOUR = "#e000e0"  # magenta: no data (NaN or sigma0 <= 0) in every panel
STRETCH_PERCENTILES = (2.0, 98.0)


# ─── describe ───────────────────────────────────────────────────────────────────────────
def _histogram(values: np.ndarray) -> dict[str, list[Any]]:
    """0.25-mb bins from the bin edge at or below the minimum to the one at or above the maximum."""
    low = math.floor(float(values.min()) * BINS_PER_MB)
    high = max(low + 1, math.ceil(float(values.max()) * BINS_PER_MB))
    edges = [k / BINS_PER_MB for k in range(low, high + 1)]  # exact in binary floating point
    counts, _ = np.histogram(values, bins=np.asarray(edges))
    return {"edges": edges, "counts": [int(c) for c in counts]}


def _scan_indices(total: int, limit: int) -> list[int]:
    """At most ``limit`` indices spread evenly over ``range(total)``, first and last included."""
    if limit >= total:
        return list(range(total))
    if limit <= 0:
        return []
    if limit == 1:
        return [0]
    # Spacing (total - 1) / (limit - 1) >= 1, so the rounded positions are distinct.
    return [int(round(i * (total - 1) / (limit - 1))) for i in range(limit)]


def _scan_pixels(qs: QuakeSetFile, limit: int, progress: bool) -> dict[str, Any]:
    from tqdm import tqdm

    patches = list(qs.iter_patches())
    chosen = _scan_indices(len(patches), limit)
    nan_shares: list[float] = []
    pairs = identical = 0
    for i in tqdm(chosen, desc="scanning patches", unit="patch", file=sys.stderr, disable=not progress):
        info, patch = patches[i]
        # One patch in memory at a time: its before/pre/post, dropped before the next.
        images = {name: qs.read_image(info.event_id, patch, name) for name in ("pre", "post")}
        if patch in info.patches_with_before:
            images["before"] = qs.read_image(info.event_id, patch, "before")
            pairs += 1
            identical += bool(np.array_equal(images["before"], images["pre"], equal_nan=True))
        for array in images.values():
            # A pixel is no-data when any of its channels is NaN.
            nan_shares.append(float(np.isnan(array).any(axis=-1).mean()))
    return {
        "patches_scanned": len(chosen),
        "images_scanned": len(nan_shares),
        "nan_fraction": float(np.mean(nan_shares)) if nan_shares else None,
        "negative_pairs_scanned": pairs,
        "identical_negative_pairs": identical,
        "identical_negative_share": identical / pairs if pairs else None,
    }


def describe_file(
    path: str | os.PathLike[str],
    max_patches_scanned: int = 200,
    *,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Summarize a QuakeSet file, reading pixels of a bounded, evenly spread set of patches.

    Counts come from the metadata index. ``nan_fraction`` (mean over scanned images of the
    share of pixels with any NaN channel) and ``identical_negative_share`` (share of
    scanned (before, pre) pairs that are pixel-identical, NaN in the same places counting
    as equal: the real file's shortcut, docs/simulator.md) come from at most
    ``max_patches_scanned`` patches chosen evenly over the sample order, one patch in
    memory at a time; they are None when nothing was scanned. Magnitude statistics are
    per event (population std).

    Args:
        path: the ``earthquakes.h5``.
        max_patches_scanned: the most patches whose pixels are read; 0 reads none.
        progress: show a tqdm bar on stderr; None shows it only when stderr is a terminal.

    Returns:
        A JSON-serializable dict (counts are ints): ``file``, ``events``, ``patches``,
        ``patches_with_before``, ``image_shape`` (None if patches differ), ``image_shapes``
        ({"HxWxC": patches}), ``splits``, ``samples`` ({"task1": {split: n}, ...}),
        ``magnitude`` (min/mean/std/max and ``histogram`` edges/counts), ``patches_scanned``,
        ``images_scanned``, ``nan_fraction``, ``negative_pairs_scanned``,
        ``identical_negative_pairs``, ``identical_negative_share``, ``ignored_members``
        and the first ``ignored_member_paths``.

    Raises:
        DatasetNotFoundError: the file is missing or not HDF5.
        QuakeSetFormatError: the file does not follow the schema.
        ValueError: ``max_patches_scanned`` is negative.
    """
    if max_patches_scanned < 0:
        raise ValueError(f"max_patches_scanned is {max_patches_scanned}; expected 0 or more")
    if progress is None:
        progress = sys.stderr.isatty()
    with QuakeSetFile(path) as qs:
        events = qs.events
        splits = {split: {"events": 0, "patches": 0} for split in SPLITS}
        for info in events:
            splits[info.split]["events"] += 1
            splits[info.split]["patches"] += len(info.patches)
        shapes = Counter(qs.image_shape(info.event_id, patch) for info, patch in qs.iter_patches())
        magnitudes = np.array([info.magnitude for info in events], dtype=np.float64)
        summary: dict[str, Any] = {
            "file": str(qs.path),
            "events": len(events),
            "patches": sum(len(info.patches) for info in events),
            "patches_with_before": sum(len(info.patches_with_before) for info in events),
            "image_shape": list(next(iter(shapes))) if len(shapes) == 1 else None,
            "image_shapes": {"x".join(map(str, s)): int(n) for s, n in shapes.most_common()},
            "splits": splits,
            "samples": {
                f"task{task.value}": {split: len(qs.samples(task, split)) for split in SPLITS}
                for task in TASKS
            },
            "magnitude": {
                "min": float(magnitudes.min()),
                "mean": float(magnitudes.mean()),
                "std": float(magnitudes.std()),
                "max": float(magnitudes.max()),
                "histogram": _histogram(magnitudes),
            },
        }
        summary.update(_scan_pixels(qs, max_patches_scanned, progress))
        summary["ignored_members"] = len(qs.ignored_members)
        summary["ignored_member_paths"] = list(qs.ignored_members[:IGNORED_PATHS_SHOWN])
    return summary


# ─── format ─────────────────────────────────────────────────────────────────────────────
def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100.0 * value:.1f} %"


def format_summary(summary: dict[str, Any]) -> str:
    """Render :func:`describe_file`'s dict as readable, table-like text.

    Args:
        summary: what :func:`describe_file` returned.

    Returns:
        Multi-line text (no trailing newline).
    """
    lines: list[str] = [f"QuakeSet file  {summary['file']}"]
    shape = summary.get("image_shape")
    shape_text = " x ".join(map(str, shape)) if shape else ", ".join(summary.get("image_shapes", {}))
    lines.append(
        f"events {summary['events']}   patches {summary['patches']} "
        f"({summary['patches_with_before']} with 'before')   image {shape_text}"
    )
    lines.append("")

    tasks = list(summary["samples"])
    header = f"{'split':<12}{'events':>8}{'patches':>9}" + "".join(f"{t:>8}" for t in tasks)
    lines += ["samples per task (task1/2: pairs, task5/6: single images)", header, "-" * len(header)]
    totals = [0, 0] + [0] * len(tasks)
    for split, counts in summary["splits"].items():
        row = [counts["events"], counts["patches"]]
        row += [summary["samples"][t].get(split, 0) for t in tasks]
        totals = [a + b for a, b in zip(totals, row)]
        lines.append(f"{split:<12}{row[0]:>8}{row[1]:>9}" + "".join(f"{n:>8}" for n in row[2:]))
    lines.append("-" * len(header))
    lines.append(f"{'total':<12}{totals[0]:>8}{totals[1]:>9}" + "".join(f"{n:>8}" for n in totals[2:]))
    lines.append("")

    mag = summary["magnitude"]
    lines.append(
        f"magnitude (mb, per event)  min {mag['min']:.2f}  mean {mag['mean']:.2f}  "
        f"std {mag['std']:.2f}  max {mag['max']:.2f}"
    )
    edges, counts = mag["histogram"]["edges"], mag["histogram"]["counts"]
    widest = max(counts) if counts else 0
    for lo, hi, n in zip(edges[:-1], edges[1:], counts):
        bar = "#" * (round(30 * n / widest) if widest else 0)
        lines.append(f"  {lo:5.2f}-{hi:5.2f} {n:>6} {bar}".rstrip())
    lines.append("")

    lines.append(
        f"pixels scanned: {summary['patches_scanned']} patches, {summary['images_scanned']} images"
    )
    lines.append(f"  no-data (NaN) pixels     {_percent(summary['nan_fraction'])}")
    lines.append(
        f"  identical negative pairs {summary['identical_negative_pairs']} of "
        f"{summary['negative_pairs_scanned']} ({_percent(summary['identical_negative_share'])}; "
        f"'identical means no event' shortcut, docs/simulator.md)"
    )
    ignored = summary.get("ignored_members", 0)
    lines.append(f"ignored members (outside the schema): {ignored}")
    for path in summary.get("ignored_member_paths", []):
        lines.append(f"  {path}")
    if ignored > len(summary.get("ignored_member_paths", [])):
        lines.append("  ...")
    return "\n".join(lines)


# ─── render ─────────────────────────────────────────────────────────────────────────────
def _to_db(vv: np.ndarray) -> np.ndarray:
    """10·log10 of linear sigma0; no-data (NaN or <= 0, which has no dB value) becomes NaN."""
    out = np.full(vv.shape, np.nan, dtype=np.float64)
    valid = np.isfinite(vv) & (vv > 0)
    out[valid] = 10.0 * np.log10(vv[valid])
    return out


def _pick_patch(qs: QuakeSetFile, event_id: str | None, patch: str | None) -> tuple[str, str]:
    if event_id is not None:
        info = qs.event(str(event_id))
        if patch is None:
            if not info.patches:
                raise QuakeSetFormatError(f"/{info.event_id}: has no patches to render")
            patch = (info.patches_with_before or info.patches)[0]
        qs.image_shape(info.event_id, patch)  # KeyError when the patch is absent
        return info.event_id, patch
    candidates = [(e, p) for e, p in qs.iter_patches() if patch is None or p == patch]
    if not candidates:
        wanted = f"a patch named {patch!r}" if patch is not None else "any patch"
        raise KeyError(f"{qs.path} has no event with {wanted}")
    for info, name in candidates:
        if name in info.patches_with_before:
            return info.event_id, name
    return candidates[0][0].event_id, candidates[0][1]


def render_sample_png(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    event_id: str | None = None,
    patch: str | None = None,
) -> Path:
    """Draw one patch: VV in dB for before (if any), pre and post, and the post/pre change.

    Intensity panels share one robust stretch (2nd-98th percentile of their valid dB
    values); the change panel is post dB minus pre dB on a diverging map with symmetric
    limits. No-data pixels are magenta throughout.

    Args:
        path: the ``earthquakes.h5``.
        out: the PNG to write; parent folders are created.
        event_id: the event; default the first event with a ``before`` patch, else the first.
        patch: the patch; default the event's first patch with ``before``, else its first.

    Returns:
        ``out`` as a Path.

    Raises:
        DatasetNotFoundError: the file is missing or not HDF5.
        QuakeSetFormatError: the file does not follow the schema, or the event has no patch.
        KeyError: ``event_id`` or ``patch`` is not in the file.
    """
    # Agg through the object API: no pyplot, no global backend switch, no display needed.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = Path(out)
    with QuakeSetFile(path) as qs:
        event, name = _pick_patch(qs, event_id, patch)
        info = qs.event(event)
        present = (("before",) if name in info.patches_with_before else ()) + ("pre", "post")
        db = {n: _to_db(qs.read_image(event, name, n)[..., 0]) for n in present}

    valid = np.concatenate([v[np.isfinite(v)] for v in db.values()])
    if valid.size:
        vmin, vmax = (float(x) for x in np.percentile(valid, STRETCH_PERCENTILES))
    else:
        vmin, vmax = -25.0, 0.0  # all no-data: any range, the panels are all magenta
    if vmax <= vmin:
        vmax = vmin + 1.0
    change = db["post"] - db["pre"]
    finite_change = np.abs(change[np.isfinite(change)])
    limit = float(np.percentile(finite_change, STRETCH_PERCENTILES[1])) if finite_change.size else 1.0
    limit = limit if limit > 0 else 1.0

    grey = matplotlib.colormaps["gray"].with_extremes(bad=NODATA_COLOUR)
    diverging = matplotlib.colormaps["RdBu_r"].with_extremes(bad=NODATA_COLOUR)
    panels = len(db) + 1
    fig = Figure(figsize=(3.6 * panels, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, panels)
    for ax, (label, image) in zip(axes, db.items()):
        shown = ax.imshow(
            np.ma.masked_invalid(image), cmap=grey, vmin=vmin, vmax=vmax, interpolation="nearest"
        )
        ax.set_title(f"{label} VV (dB)")
    fig.colorbar(shown, ax=axes[: len(db)].tolist(), shrink=0.8, label="sigma0 VV (dB)")
    shown = axes[-1].imshow(
        np.ma.masked_invalid(change), cmap=diverging, vmin=-limit, vmax=limit, interpolation="nearest"
    )
    axes[-1].set_title("change post - pre (dB)")
    fig.colorbar(shown, ax=axes[-1], shrink=0.8, label="dB")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(
        f"event {event} / {name}   magnitude {info.magnitude:.2f} mb   split {info.split}"
        f"   (magenta: no data)"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(out) as partial:
        fig.savefig(partial, format="png", dpi=100)
    return out
