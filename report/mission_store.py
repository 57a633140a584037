"""The report's view of a same-track mission: its reference store, the survey it affords, and
the deformation thumbnails cued mode sent.

- :func:`store_view`: the store's figures from ``mission.json`` (``store``) in sentences, the
  survey's false alerts per orbit against the goal of at most one, and the coverage figure of
  the store study (which cells are kept, coverage against the budget), drawn from the bundled
  catalogue;
- :func:`thumbnail_views`: each ``MODE_thumbnails.bin`` beside ``mission.json`` decoded by the
  ground decoder and drawn as a 16 x 16 picture of wrapped line-of-sight motion (a cyclic colour
  per step, grey where the cell held no coherent signal), with the alert it followed.

Every value from the file is checked before it is shown; what cannot be read is a warning.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from quakesat.report.values import finite_number

#: The survey goal a mission's false alerts are set against (issue "survey mode").
GOAL_FALSE_PER_ORBIT = 1.0
#: At most this many thumbnails are drawn per stream.
MAX_THUMBNAILS = 12


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def store_view(mission: dict[str, Any]) -> dict[str, Any] | None:
    """The store's sentences and the survey against the goal; None for a mission without one."""
    store = mission.get("store")
    if not isinstance(store, dict):
        return None
    survey = (mission.get("modes") or {}).get("survey") if isinstance(mission.get("modes"), dict) else None
    per_orbit = finite_number(((survey or {}).get("false_alerts") or {}).get("per_orbit")) \
        if isinstance(survey, dict) else None
    inside = store.get("quakes_in_store") if isinstance(store.get("quakes_in_store"), list) else []
    outside = store.get("quakes_outside_store") if isinstance(store.get("quakes_outside_store"), list) else []
    return {
        "tiles": _int(store.get("tiles")), "gigabytes": (finite_number(store.get("bytes")) or 0) / 1e9,
        "budget_gb": finite_number(store.get("budget_gb")), "format": str(store.get("format", ""))[:20],
        "direction": str(store.get("direction", ""))[:20], "cell_deg": finite_number(store.get("cell_deg")),
        "refresh_mb_per_day": (finite_number(store.get("refresh_bytes_per_day")) or 0) / 1e6,
        "checked_per_day": finite_number(store.get("tiles_checked_per_day")),
        "checked_per_orbit": finite_number(store.get("tiles_checked_per_orbit")),
        "joules_per_day": finite_number(store.get("joules_per_day")),
        "inside": len(inside), "events": len(inside) + len(outside),
        "survey_false_per_orbit": per_orbit, "goal_false_per_orbit": GOAL_FALSE_PER_ORBIT,
        "goal_met": per_orbit is not None and per_orbit <= GOAL_FALSE_PER_ORBIT,
    }


def coverage_plot() -> str | None:
    """The store study's figure as a data URI (None without matplotlib or the land mask)."""
    try:
        from quakesat.mission.land import land_fraction
        from quakesat.mission.store_plots import plot_store_coverage
        from quakesat.mission.store_study import run_store_study
    except ImportError:
        return None
    if land_fraction(1.0) is None:
        return None
    buffer = io.BytesIO()
    plot_store_coverage(run_store_study(), buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _picture(codes: tuple[int, ...]) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
        from matplotlib.colors import ListedColormap
    except ImportError:
        return None
    from quakesat.runtime.thumbnail import NO_SIGNAL

    grid = np.array(codes, dtype=float).reshape(16, 16)
    grid[grid == NO_SIGNAL] = np.nan
    cmap = ListedColormap(plt.get_cmap("twilight")(np.linspace(0, 1, 15, endpoint=False))).with_extremes(bad="0.75")
    fig, ax = plt.subplots(figsize=(1.6, 1.6))
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=14.5, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def thumbnail_views(mission_json: Path, modes: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Each mode's thumbnails beside ``mission_json``: (views, problems)."""
    from quakesat.errors import DecodeError
    from quakesat.ground.thumbnail_decode import iter_thumbnails
    from quakesat.runtime.thumbnail import CELLS, NO_SIGNAL

    views, problems = [], []
    for mode in modes:
        path = mission_json.with_name(f"{mode}_thumbnails.bin")
        if not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except OSError as err:
            problems.append(f"{path.name}: unreadable ({err.strerror})")
            continue
        decoded = list(iter_thumbnails(data))
        bad = sum(1 for _, item in decoded if isinstance(item, DecodeError))
        if bad:
            problems.append(f"{path.name}: {bad} thumbnail(s) failed to decode")
        good = [item for _, item in decoded if not isinstance(item, DecodeError)]
        for th in good[:MAX_THUMBNAILS]:
            coherent = sum(1 for code in th.codes if code != NO_SIGNAL)
            views.append({"mode": mode, "tile_id": th.tile_id, "lat": th.lat, "lon": th.lon, "cell_m": th.cell_m,
                          "coherent": coherent, "cells": CELLS, "picture": _picture(th.codes),
                          "of": len(good)})
    return views, problems


def survey_curve() -> tuple[str | None, str]:
    """The survey-aggregation study's measured curve (recall of Mw >= 5.5 against false alerts
    per orbit, test figures) as a data URI, and the sentence that says where it comes from;
    (None, why) when the packaged curve or matplotlib is missing."""
    from quakesat.mission.aggregation_study import read_curve

    data = read_curve()
    if data is None:
        return None, "the survey-aggregation curve is not packaged (scripts/survey_aggregation_study.py --curve)"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None, "matplotlib is not installed"
    goal = data.get("goal") or {}
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for index, curve in enumerate(data.get("curves") or []):
        points = [p for p in curve.get("points") or [] if finite_number(p.get("false_per_orbit")) is not None
                  and finite_number(p.get("recall_goal")) is not None]
        if not points:
            continue
        ax.plot([p["false_per_orbit"] for p in points], [p["recall_goal"] for p in points], "o-", ms=3,
                color=f"C{index % 10}", label=f"{curve.get('statistic')}: {curve.get('rule')}"[:60])
    g_false, g_recall = finite_number(goal.get("false_per_orbit")), finite_number(goal.get("recall"))
    if g_false is not None and g_recall is not None:
        ax.fill_between([0, g_false], g_recall, 1, color="tab:green", alpha=0.12, label="the goal")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_ylim(0, 1)
    ax.set_xlabel("false alerts per orbit (test)")
    ax.set_ylabel(f"recall of Mw >= {goal.get('mw', 5.5)} (test)")
    ax.set_title("Survey on stored tiles: one event decision per acquisition", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc="lower right")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    sizes = (data.get("sizes") or {}).get("test") or {}
    note = (f"Measured {data.get('measured', '?')} by the survey-aggregation study (seed {data.get('seed')}, "
            f"{sizes.get('event_blocks', '?')} event and {sizes.get('event_free_blocks', '?')} event-free test blocks "
            f"of 3 x 3 same-track tiles sharing one atmosphere, {finite_number(data.get('tiles_per_orbit')) or 0:,.0f} "
            "stored tiles an orbit), not by this mission: docs/mission.md has the protocol.")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"), note
