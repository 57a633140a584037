"""The plots of ``quakesat report``, each a PNG data URI the page embeds (nothing is fetched).

Maps are plain latitude/longitude axes with a graticule, no basemap (nothing to download):
the ground map draws the tiles' footprints (from a tile list where there is one, else a
square of the tile's side around the reported position) and the alerts of every stream;
the mission's map draws its alerts and the catalogue's earthquakes. The mission's contact
timeline (with the onboard queue's fill) and its time-to-alert CDF come from mission.json.

Every value comes from untrusted files: only finite numbers are drawn, and labels are
escaped for matplotlib's mathtext. Needs matplotlib (the report extra); without it every
function returns None and the page says why (:func:`missing_reason`).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quakesat.ground.report import Stream

KM_PER_DEGREE = 111.32
DPI = 80
#: Graticule steps in degrees; the one giving 3 to 8 lines across the view is used.
STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0)
COLOURS = ("tab:red", "tab:blue", "tab:orange", "tab:purple", "tab:green", "tab:brown", "tab:pink", "tab:olive")
MAX_FOOTPRINTS = 5_000
#: Points whose cells of this size touch are one area of the ground map; at most MAX_PANELS areas are drawn.
AREA_CELL_DEG = 1.0
MAX_PANELS = 4


def missing_reason() -> str:
    """Why the page has no plots ('' when matplotlib is there)."""
    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError:
        return "the plots need matplotlib: pip install 'quakesat[report]'"
    return ""


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _data_uri(fig: Any) -> str:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _label(text: str) -> str:
    """A legend label matplotlib shows as written: no mathtext, not hidden by a leading underscore."""
    text = text.replace("\\", "\\\\").replace("$", r"\$")[:60]
    return " " + text if text.startswith("_") else text


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _square(lat: float, lon: float, side_km: float) -> list[tuple[float, float]]:
    half_lat = side_km / KM_PER_DEGREE / 2
    half_lon = side_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01)) / 2
    return [(lon - half_lon, lat - half_lat), (lon + half_lon, lat - half_lat), (lon + half_lon, lat + half_lat),
            (lon - half_lon, lat + half_lat)]


def _extent(lats: Sequence[float], lons: Sequence[float]) -> tuple[float, float, float, float]:
    """(lon0, lon1, lat0, lat1) around the points with a margin, the whole globe for wide spreads."""
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    if lon1 - lon0 > 120 or lat1 - lat0 > 60:
        return -180.0, 180.0, -90.0, 90.0
    pad = max(0.15 * max(lat1 - lat0, lon1 - lon0), 0.02)
    return max(lon0 - pad, -180.0), min(lon1 + pad, 180.0), max(lat0 - pad, -90.0), min(lat1 + pad, 90.0)


def _graticule(ax: Any, extent: tuple[float, float, float, float]) -> None:
    import numpy as np

    lon0, lon1, lat0, lat1 = extent
    span = max(lon1 - lon0, lat1 - lat0)
    step = next((s for s in STEPS if span / s <= 8), STEPS[-1])
    digits = max(0, -math.floor(math.log10(step)))
    for axis, low, high in ((ax.xaxis, lon0, lon1), (ax.yaxis, lat0, lat1)):
        ticks = np.arange(math.ceil(low / step) * step, high + step / 2, step)
        axis.set_ticks(ticks, labels=[f"{t:.{digits}f}°" for t in ticks])
    ax.grid(True, color="0.6", lw=0.5, alpha=0.6)
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    middle = math.radians((lat0 + lat1) / 2)
    ax.set_aspect(1.0 / max(math.cos(middle), 0.2) if span < 60 else 1.0)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")


def _areas(lats: Sequence[float], lons: Sequence[float]) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Groups of points whose 1° cells touch, the most populous first: (points, extent)."""
    cells: dict[tuple[int, int], list[int]] = {}
    for index, (lat, lon) in enumerate(zip(lats, lons)):
        cells.setdefault((math.floor(lat / AREA_CELL_DEG), math.floor(lon / AREA_CELL_DEG)), []).append(index)
    parent = {cell: cell for cell in cells}

    def root(cell: tuple[int, int]) -> tuple[int, int]:
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for lat_cell, lon_cell in cells:
        for d_lat in (-1, 0, 1):
            for d_lon in (-1, 0, 1):
                other = (lat_cell + d_lat, lon_cell + d_lon)
                if other in parent:
                    parent[root(other)] = root((lat_cell, lon_cell))
    members: dict[tuple[int, int], list[int]] = {}
    for cell, indices in cells.items():
        members.setdefault(root(cell), []).extend(indices)
    groups = sorted(members.values(), key=len, reverse=True)
    return [(len(g), _extent([lats[i] for i in g], [lons[i] for i in g])) for g in groups]


def _draw(title: str, footprints: list[tuple[float, float, float]], tiles: list[tuple[float, float]],
          layers: list[tuple[str, list[tuple[float, float]]]],
          quakes: Iterable[tuple[float, float, float, bool]] = (), zoom: bool = True) -> str | None:
    """One map (see the module doc), None when nothing has a position. With ``zoom``, one panel
    per area where the points gather (at most :data:`MAX_PANELS`), so footprints stay visible."""
    from matplotlib.collections import PolyCollection

    plt = _pyplot()
    quakes = list(quakes)
    lats = [p[0] for p in tiles] + [f[0] for f in footprints] + [q[0] for q in quakes] \
        + [p[0] for _, points in layers for p in points]
    lons = [p[1] for p in tiles] + [f[1] for f in footprints] + [q[1] for q in quakes] \
        + [p[1] for _, points in layers for p in points]
    if not lats:
        return None
    areas = _areas(lats, lons) if zoom else [(len(lats), _extent(lats, lons))]
    shown = areas[:MAX_PANELS]
    columns = 1 if len(shown) == 1 else 2
    rows = math.ceil(len(shown) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(10, 6) if len(shown) == 1 else (11, 4.6 * rows), squeeze=False)
    for number, ax in enumerate(axes.flat):
        if number >= len(shown):
            ax.set_visible(False)
            continue
        count, extent = shown[number]
        if footprints:
            ax.add_collection(PolyCollection([_square(*f) for f in footprints[:MAX_FOOTPRINTS]], facecolors="none",
                                             edgecolors="0.45", linewidths=0.6, label="tile footprints"))
        if tiles:
            ax.scatter([p[1] for p in tiles], [p[0] for p in tiles], s=4, color="0.55", label="tile reports",
                       zorder=2)
        for index, (label, points) in enumerate(layers):
            if points:
                colour = COLOURS[index % len(COLOURS)]
                ax.scatter([p[1] for p in points], [p[0] for p in points], s=18 + 22 * index, facecolors="none",
                           edgecolors=colour, linewidths=1.2, label=_label(f"alerts: {label}"), zorder=3 + index)
        for alerted in (False, True):
            chosen = [q for q in quakes if q[3] is alerted]
            if chosen:
                ax.scatter([q[1] for q in chosen], [q[0] for q in chosen],
                           s=[30 + 25 * max(q[2] - 6.0, 0.0) for q in chosen], marker="*",
                           color="tab:red" if alerted else "0.15", zorder=10,
                           label="earthquake, alerted" if alerted else "earthquake, not alerted")
        _graticule(ax, extent)
        if len(shown) > 1:
            ax.set_title(f"around {(extent[2] + extent[3]) / 2:.2f}°, {(extent[0] + extent[1]) / 2:.2f}° "
                         f"({count:,} points)", fontsize=9)
        if number == 0:
            ax.legend(loc="best", fontsize=7, framealpha=0.85)
    more = f"; {len(areas) - len(shown)} more area(s) not drawn" if len(areas) > len(shown) else ""
    if len(shown) == 1:
        axes.flat[0].set_title(title + more, fontsize=10)
    else:
        fig.suptitle(title + more, fontsize=10)
    return _data_uri(fig)


def ground_map(streams: Sequence[Stream], tiles: dict[str, tuple[float, float, float | None]]) -> str | None:
    """Footprints and alerts of the ground streams (runs and streams found on their own)."""
    if missing_reason():
        return None
    sides = [side for _, _, side in tiles.values() if side]
    typical = sorted(sides)[len(sides) // 2] if sides else None
    footprints: dict[Any, tuple[float, float, float]] = {}
    points: dict[Any, tuple[float, float]] = {}
    for stream in streams:
        for tile_id, lat, lon, _ in stream.tile_points:
            listed = tiles.get(tile_id)
            if listed is not None:
                key: Any = ("id", tile_id)
                centre = listed[:2]
                side = listed[2] or typical
            else:
                key = ("at", round(lat, 5), round(lon, 5))
                centre, side = (lat, lon), typical
            points.setdefault(key, (lat, lon))
            if side and len(footprints) < MAX_FOOTPRINTS:
                footprints.setdefault(key, (centre[0], centre[1], side))
    layers = [(stream.name, stream.alert_points) for stream in streams]
    note = "footprints from the tile list" if tiles else "no tile list: footprint size unknown"
    return _draw(f"Alerts and tiles ({note})", list(footprints.values()), list(points.values()), layers)


def mission_plots(mission: dict[str, Any], streams: Sequence[tuple[str, Stream]]) -> dict[str, str]:
    """The mission's map, contact timeline and time-to-alert CDF (whichever can be drawn)."""
    if missing_reason():
        return {}
    modes = mission.get("modes") if isinstance(mission.get("modes"), dict) else {}
    alerted: set[Any] = set()
    for figures in modes.values():
        for event in _items(figures.get("per_event")) if isinstance(figures, dict) else []:
            if isinstance(event, dict) and event.get("outcome") == "alerted":
                alerted.add(event.get("index"))
    quakes = []
    for quake in _items(mission.get("catalogue")):
        if isinstance(quake, dict):
            lat, lon, mw = _finite(quake.get("latitude")), _finite(quake.get("longitude")), _finite(quake.get("mw"))
            if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
                quakes.append((lat, lon, mw or 6.0, quake.get("index") in alerted))
    plots: dict[str, str] = {}
    drawn = _draw("Downlinked alerts by mode and the catalogue's earthquakes (stars)", [], [],
                  [(f"{mode} ({stream.name})", stream.alert_points) for mode, stream in streams], quakes, zoom=False)
    if drawn:
        plots["map"] = drawn
    timeline = _timeline(mission, modes)
    if timeline:
        plots["timeline"] = timeline
    cdf = _time_to_alert(modes)
    if cdf:
        plots["time_to_alert"] = cdf
    return plots


def _timeline(mission: dict[str, Any], modes: dict[str, Any]) -> str | None:
    window = mission.get("window") if isinstance(mission.get("window"), dict) else {}
    start = _finite(window.get("start"))
    contacts = [c for c in _items(mission.get("contacts")) if isinstance(c, dict)]
    if start is None or not contacts:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    for contact in contacts:
        begin, end = _finite(contact.get("start")), _finite(contact.get("end"))
        if begin is not None and end is not None and end >= begin:
            ax.axvspan((begin - start) / 3600, (end - start) / 3600, color="tab:green", alpha=0.3, lw=0)
    timeline = mission.get("queue_timeline") if isinstance(mission.get("queue_timeline"), dict) else {}
    for index, (mode, samples) in enumerate(timeline.items()):
        pairs = [(_finite(s[0]), _finite(s[1])) for s in _items(samples) if isinstance(s, list) and len(s) >= 2]
        pairs = [(t, n) for t, n in pairs if t is not None and n is not None]
        if pairs:
            ax.step([(t - start) / 3600 for t, _ in pairs], [n for _, n in pairs], where="post",
                    color=COLOURS[(index + 1) % len(COLOURS)], label=_label(f"{mode} queue"))
    capacities = {_finite((figures.get("queue") or {}).get("capacity")) for figures in modes.values()
                  if isinstance(figures, dict) and isinstance(figures.get("queue"), dict)} - {None}
    for capacity in sorted(capacities):  # type: ignore[type-var]
        ax.axhline(capacity, color="tab:red", ls="--", lw=1, label=f"queue capacity {capacity:,.0f}")
    ax.set_xlabel("hours from the window's start (green: ground contacts)")
    ax.set_ylabel("messages queued")
    ax.set_title("Ground contacts and the onboard downlink queue", fontsize=10)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper right")
    return _data_uri(fig)


def _time_to_alert(modes: dict[str, Any]) -> str | None:
    curves = []
    for mode, figures in modes.items():
        if not isinstance(figures, dict):
            continue
        events = figures.get("events")
        hours = sorted(h for h in map(_finite, _items(figures.get("alert_hours"))) if h is not None)
        if isinstance(events, int) and not isinstance(events, bool) and events > 0:
            curves.append((str(mode), hours, events))
    if not curves:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for index, (mode, hours, events) in enumerate(curves):
        ax.step([0.0, *hours], [i / events for i in range(len(hours) + 1)], where="post",
                color=COLOURS[(index + 1) % len(COLOURS)], label=_label(f"{mode}: {len(hours)} of {events} alerted"))
    ax.set_xlabel("hours from the earthquake's origin to the alert on the ground")
    ax.set_ylabel("share of the events")
    ax.set_ylim(0, 1)
    ax.set_title("Time to alert (CDF)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return _data_uri(fig)
