"""The mission report: ``mission.json`` for machines (the typed record of
:mod:`quakesat.mission.record`), ``mission.md`` and three PNG plots for people (a map of the
ground track, swath, stations and events; the contact timeline with the queue's fill; the
time-to-alert CDF per mode beside the ground routes' spans, and with two satellites the first
satellite's own curve beside the pair's).

Every file is written whole or not at all (an interrupted run leaves the previous report).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.mission.orbit import GroundTrack
from quakesat.mission.record import parse_mission_record, write_mission_record
from quakesat.mission.scenario import Scenario


def _h(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} h"


def _utc(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M")


def _mode_rows(modes: dict[str, Any]) -> list[str]:
    names = list(modes)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    m = [modes[n] for n in names]
    row("events alerted", [f"{x['outcomes'].get('alerted', 0)} of {x['events']}" for x in m])
    for key, label in (("time_to_acquisition", "origin → acquisition"), ("time_to_detection", "origin → onboard detection"),
                       ("time_to_alert", "origin → alert on the ground"),
                       ("acquisition_to_alert", "acquisition → alert (the onboard route's own latency)")):
        row(f"{label}, median / p90", [f"{_h(x[key]['median_h'])} / {_h(x[key]['p90_h'])}" for x in m])
    row("tiles processed (run / drawn)", [f"{x['tiles']['processed']:,} ({x['tiles']['run_through_runtime']:,} / "
                                          f"{x['tiles']['drawn_from_sample']:,})" for x in m])
    row("false alerts on board: per orbit / per day", [f"{x['false_alerts']['per_orbit']:,.1f} / "
                                                       f"{x['false_alerts']['per_day']:,.0f}" for x in m])
    row("false alerts delivered", [f"{x['false_alerts']['delivered']:,}" for x in m])
    row("bytes downlinked (messages)", [f"{x['downlink']['bytes']:,} ({x['downlink']['messages']:,})" for x in m])
    row("raw image bytes of the same tiles", [f"{x['downlink']['raw_image_bytes_same_tiles']:,}" for x in m])
    row("raw / downlinked", [f"{x['downlink']['ratio_raw_to_downlinked']}x" for x in m])
    row("queue: max fill / capacity", [f"{x['queue']['max_fill']:,} / {x['queue']['capacity']:,}" for x in m])
    row("queue: dropped (events)", [f"{x['queue']['dropped']:,} ({x['queue']['dropped_events']:,})" for x in m])
    row("left on board at the end (events)", [f"{x['queue']['left_on_board']:,} ({x['queue']['left_events_on_board']:,})"
                                             for x in m])
    row("energy per day (mean power)", [f"{x['energy']['joules_per_day']:,.0f} J ({x['energy']['mean_watts']} W)"
                                        for x in m])
    return lines


def _verdict(median_h: float | None) -> str:
    """Where the onboard route stands against the ground route's 1–3 h product latency."""
    if median_h is None:
        return "no alert reached the ground: no comparison"
    if median_h < 1.0:
        return f"ahead of the ground route: its product alone takes 1–3 h, the alert {median_h:.2f} h"
    if median_h < 3.0:
        return f"level with the ground route's product (1–3 h): the alert takes {median_h:.2f} h"
    return f"behind the ground route: the alert takes {median_h:.2f} h after acquisition, the product 1–3 h"


def _since(value: float | None, origin: float) -> str:
    return "–" if value is None else f"{(value - origin) / 3600.0:.2f} h"


def _goal_lines(result: dict[str, Any]) -> list[str]:
    goal = result.get("goal")
    if not goal:
        return []
    limit = goal["acquisition_to_alert_median_at_most_min"]
    lines = [f"**Goal: acquisition → alert median at most {limit:g} min** (with the default stations; this run's: "
             + ", ".join(result["stations"]) + "):", ""]
    for mode, verdict in goal["modes"].items():
        if verdict["met"] is None:
            lines.append(f"- {mode}: no alert reached the ground, nothing to measure")
        else:
            lines.append(f"- {mode}: **{'met' if verdict['met'] else 'not met'}**, median {verdict['median_min']:g} min "
                         f"(p90 {verdict['p90_min']:g} min) over {verdict['events']} alerted event(s)")
    return lines + [""]


def _route_lines(result: dict[str, Any]) -> list[str]:
    """The ground routes (NRT product, LiCSAR, IREA-CNR) beside the onboard alert, per mode and per event."""
    first = next(iter(result["modes"].values()))["ground_route"]
    routes = first.get("routes")
    if not routes:
        return []
    lines = ["The ground routes take each event's first acquisition after its origin (they need no cue); "
             "acquisition → product is the route's own latency, as [earliest, latest]:", ""]
    for route in routes.values():
        low, high = route["acquisition_to_product_h"]
        early, late = route["origin_to_product_earliest"], route["origin_to_product_latest"]
        lines.append(f"- {route['label']} ({route['source']}): acquisition → product {low:g}–{high:g} h; origin → "
                     f"product median {_h(early['median_h'])}–{_h(late['median_h'])}, p90 {_h(early['p90_h'])}–"
                     f"{_h(late['p90_h'])} ({early['n']} events)")
    lines.append("")
    names = list(routes)
    for mode, figures in result["modes"].items():
        lines += [f"### {mode}: each event, on board and on the ground (hours from origin)", "",
                  "| event | first look | on board: acquisition → alert | on board: origin → alert | "
                  + " | ".join(f"{routes[n]['label']}: origin → product" for n in names) + " |",
                  "|---|---|---|---|" + "---|" * len(names)]
        for e in figures["per_event"]:
            ground = e.get("ground_routes") or {}
            if not ground:
                continue
            cells = [f"{ground[n]['origin_to_product_h'][0]:.2f}–{ground[n]['origin_to_product_h'][1]:.2f} h"
                     for n in names]
            lines.append(f"| {e['name']} | {_h(ground['first_look_h'])} | {_h(e.get('acquisition_to_alert_h'))} | "
                         f"{_h(e.get('to_alert_h'))} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _chain_lines(result: dict[str, Any]) -> list[str]:
    """Cued mode's chain per event: notice, uplink, acquisition, message ready, alert."""
    cued = result["modes"].get("cued")
    if not cued:
        return []
    lines = ["### cued: the chain (hours from origin)", "",
             "notice: the agency posts the event; uplink: the next contact sends the cue; acquisition: the first "
             "look at the tile while the cue is on board; ready: the interferogram's message is ready on board; "
             "alert: it reaches the ground at a contact.", "",
             "| event | notice | uplink | acquisition | ready | alert | acquisition → alert |" +
             (" by |" if len(result.get("satellites") or {}) > 1 else ""),
             "|---|---|---|---|---|---|---|" + ("---|" if len(result.get("satellites") or {}) > 1 else "")]
    for e in cued["per_event"]:
        chain = e.get("chain")
        if not chain:
            continue
        origin = chain["origin"]
        row = (f"| {e['name']} | {_since(chain['notice'], origin)} | {_since(chain['uplink'], origin)} | "
               f"{_since(chain['acquisition'], origin)} | {_since(chain['detection_ready'], origin)} | "
               f"{_since(chain['alert'], origin)} | {_h(e.get('acquisition_to_alert_h'))} |")
        if len(result.get("satellites") or {}) > 1:
            row += f" {e.get('alerted_by') or '–'} |"
        lines.append(row)
    return lines + [""]


def _constellation_lines(result: dict[str, Any]) -> list[str]:
    """With two satellites: each one's own figures, and what the second buys."""
    satellites = result.get("satellites") or {}
    if len(satellites) < 2:
        return []
    constellation = result["constellation"]
    lines = ["## Two satellites", "", f"{constellation['arrangement']}. Each flies its own mission (ground track, "
             "contacts, tiles, queue, downlink); the ground takes the first alert of either.", "",
             "| satellite, mode | phase | contacts | events alerted | origin → acquisition, median / p90 | "
             "origin → alert, median / p90 | acquisition → alert, median | false alerts per day | bytes |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, sat in satellites.items():
        for mode, m in sat["modes"].items():
            lines.append(f"| {name}, {mode} | {sat['phase_deg']:g}° | {sat['contacts']} | "
                         f"{m['outcomes'].get('alerted', 0)} of {m['events']} | "
                         f"{_h(m['time_to_acquisition']['median_h'])} / {_h(m['time_to_acquisition']['p90_h'])} | "
                         f"{_h(m['time_to_alert']['median_h'])} / {_h(m['time_to_alert']['p90_h'])} | "
                         f"{_h(m['acquisition_to_alert']['median_h'])} | {m['false_alerts']['per_day']:,.0f} | "
                         f"{m['downlink']['bytes']:,} |")
    lines += ["", "What the second satellite buys (the pair against satellite A alone; a change below zero is "
              "sooner):", "", "| mode | events acquired | events alerted | origin → acquisition, median / p90 | "
              "origin → alert, median / p90 | alerts sooner (events, median) | false alerts per day | bytes |",
              "|---|---|---|---|---|---|---|---|"]

    def change(value: float | None) -> str:
        return "–" if value is None else f"{value:+.2f} h"

    for mode, buys in constellation["what_it_buys"].items():
        acq, alert, earlier = buys["time_to_acquisition"], buys["time_to_alert"], buys["alert_earlier"]
        lines.append(
            f"| {mode} | {buys['events_acquired']['one_satellite']} → {buys['events_acquired']['two_satellites']} | "
            f"{buys['events_alerted']['one_satellite']} → {buys['events_alerted']['two_satellites']} | "
            f"{_h(acq['one_satellite']['median_h'])} → {_h(acq['two_satellites']['median_h'])} "
            f"({change(acq['median_change_h'])}) / {_h(acq['one_satellite']['p90_h'])} → "
            f"{_h(acq['two_satellites']['p90_h'])} ({change(acq['p90_change_h'])}) | "
            f"{_h(alert['one_satellite']['median_h'])} → {_h(alert['two_satellites']['median_h'])} "
            f"({change(alert['median_change_h'])}) / {_h(alert['one_satellite']['p90_h'])} → "
            f"{_h(alert['two_satellites']['p90_h'])} ({change(alert['p90_change_h'])}) | "
            f"{earlier['events']}, {_h(earlier['median_h'])} | "
            f"{buys['false_alerts_per_day']['one_satellite']:,.0f} → {buys['false_alerts_per_day']['two_satellites']:,.0f} | "
            f"{buys['bytes_downlinked']['one_satellite']:,} → {buys['bytes_downlinked']['two_satellites']:,} |")
    return lines + [""]


def _store_lines(result: dict[str, Any]) -> list[str]:
    """The reference store a same-track model flies with, and the cued thumbnails."""
    store = result.get("store")
    if not store:
        return []
    lines = ["## Reference store (same-track tiles)", "",
             f"- {store['tiles']:,} tiles of {result['swath']['tile_km']} km kept ({store['format']}, "
             f"{store['bytes'] / 1e9:.2f} GB of the {store['budget_gb']:g} GB budget; {store['cell_deg']:g}° cells of "
             f"the seismicity layer, {store['direction']} passes), each rewritten once per cycle: "
             f"{store['refresh_bytes_per_day'] / 1e6:,.0f} MB a day",
             f"- survey checks {store['tiles_checked_per_day']:,.0f} stored tiles a day ({store['tiles_checked_per_orbit']:,.0f} "
             f"an orbit; {store['joules_per_day']:,.0f} J a day); {100 * store['swath_share_over_store']:.1f} % of the "
             "swath's passes of that direction lie over stored cells",
             f"- earthquakes inside the store: {len(store['quakes_in_store'])} of "
             f"{len(store['quakes_in_store']) + len(store['quakes_outside_store'])}; an event outside it has no "
             "reference on board and no tile of it is formed (docs/mission.md: which tiles, and why)", ""]
    for name, mode in result["modes"].items():
        thumbs = mode.get("thumbnails")
        if thumbs:
            lines.append(f"- {name}: {thumbs['sent']} deformation thumbnails followed their alerts "
                         f"({thumbs['bytes']:,} bytes, {thumbs['bytes_per_thumbnail']} each; median "
                         f"{thumbs['after_alert_s']['median']} s after the alert; {thumbs['left_on_board']} left on board); "
                         f"{thumbs['bytes_per_day']:,.0f} bytes a day against {thumbs['smallest_contact_bytes']:,} "
                         f"in the smallest contact: {'fits' if thumbs['fits_one_contact'] else 'does NOT fit'} one contact")
    return lines + [""]


def markdown(result: dict[str, Any]) -> str:
    """The human-readable report."""
    window, orbit, swath, proc = result["window"], result["orbit"], result["swath"], result["processing"]
    lines = [f"# Mission simulation: {result['scenario']}", "",
             f"{_utc(window['start'])} → {_utc(window['end'])} UTC ({window['hours']} h, {window['orbits']} orbits); "
             f"model `{result['model']['artifact']}` on the {result['model']['runtime']} runtime; "
             f"{result['simulated_tiles']} tiles simulated and run; {result['seconds']} s.", "",
             "## Orbit, swath and contacts", "",
             f"- orbit: {orbit['source']}; nodal period {orbit['period_min']:.2f} min, inclination "
             f"{orbit['inclination_deg']:.3f}°, "
             + (f"semi-major axis {orbit['mean_altitude_km']:.1f} km above the equatorial radius, "
                if "mean_altitude_km" in orbit else "")
             + f"mean height over the ellipsoid {orbit['mean_altitude_km_over_ellipsoid']} km",
             f"- swath: {swath['near_km']}–{swath['far_km']} km from nadir ({swath['width_km']} km), tiles of "
             f"{swath['tile_km']} km, {swath['tiles_per_s_recording']} tiles/s while recording, "
             f"{swath['recording_hours']} h of recording",
             "- contacts: " + ", ".join(f"{name} {s['contacts']} ({s['minutes']} min)"
                                        for name, s in result["stations"].items())
             + f"; {len(result['contacts'])} merged windows",
             f"- processing: {proc['seconds_per_tile']:.3g} s and {proc['joules_per_tile']:.3g} J per tile on the "
             f"{proc['board']} ({proc['cores']} cores; {proc['instructions_basis']}); load "
             f"{proc['load']:.2f} of the cores at the survey's tile rate, so a tile's message is ready "
             f"{proc['delay_s']:.3g} s after acquisition", "",
             *_constellation_lines(result), *_store_lines(result),
             "## Per mode", "", *(["The satellites together, as the ground sees them (each event's alert is the first "
                                  "of either; tiles, false alerts and bytes add up).", ""]
                                 if len(result.get("satellites") or {}) > 1 else []),
             *_mode_rows(result["modes"]), "", *_goal_lines(result),
             "## Against the other routes to the same news", ""]
    for name, mode in result["modes"].items():
        route = mode["ground_route"]
        lines.append(f"- {name}: from acquisition, the onboard alert reaches the ground in a median "
                     f"{_h(mode['acquisition_to_alert']['median_h'])} (origin → alert {_h(mode['time_to_alert']['median_h'])}); "
                     "the ground route delivers the same acquisitions' Sentinel-1 NRT product 1–3 h after sensing, "
                     f"origin → product median {_h(route['nrt_product_h']['median_h'])}–"
                     f"{_h(route['nrt_product_h']['upper_median_h'])}, before any processing; damage-proxy maps "
                     f"{route['damage_proxy_map_days'][0]:.0f}–{route['damage_proxy_map_days'][1]:.0f} days")
        lines.append(f"  - {_verdict(mode['acquisition_to_alert']['median_h'])}")
    usgs = next(iter(result["modes"].values()))["ground_route"]["usgs_minutes"]
    lines += [f"- seismic networks: USGS posts events outside the US in about {usgs:.0f} minutes. The onboard alert "
              "is not the first word that a quake happened: what it adds is a radar-confirmed damage footprint.",
              "", *_route_lines(result), "## Per event", ""]
    for name, mode in result["modes"].items():
        lines += [f"### {name}", "", "| event | Mw | looks | tiles | damaged tiles | → acquisition | → detection | → alert | outcome |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for e in mode["per_event"]:
            lines.append(f"| {e['name']} | {e['mw']} | {e['looks']} | {e['tiles_processed']} | {e['tiles_with_damage']} | "
                         f"{_h(e.get('to_acquisition_h'))} | {_h(e.get('to_detection_h'))} | {_h(e.get('to_alert_h'))} | "
                         f"{e['outcome']} |")
        lines.append("")
    lines += _chain_lines(result)
    fa = next(iter(result["modes"].values()))["false_alerts"]
    lines += ["## How the figures are made", "",
              f"- Event tiles are simulated with the simulator's physics (magnitude, depth, distance) and run through "
              f"the flight runtime. Event-free tiles: {fa['sample_tiles']} are simulated and run "
              f"({fa['sampled_kinds']['changed']} changed, {fa['sampled_kinds']['unchanged']} unchanged); the rest of "
              f"the recording takes their outcomes at random (flag rate {fa['sample_rate']}, 95 % interval "
              f"{fa['sample_rate_95ci']}), so the false-alert figures carry the sample's uncertainty.",
              "- Time to alert counts from the origin time to the end of the first downlinked message that flags a tile "
              "of the event; the ground decodes the stream it receives (decode errors are counted).",
              "- Energy counts every tile at the full per-tile figure of the bench's energy model (an upper bound: a "
              "gated tile skips the network).", ""]
    return "\n".join(lines)


def plots(result: dict[str, Any], track: GroundTrack, scenario: Scenario, folder: Path,
          others: Sequence[GroundTrack] = ()) -> list[Path]:
    """The three plots (see the module doc; ``others``: the other satellites' tracks); needs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from quakesat.files import atomic_output
    from quakesat.mission.swath import swath_points

    written: list[Path] = []

    def save(fig, name: str) -> None:
        path = folder / name
        with atomic_output(path) as temporary:
            fig.savefig(temporary, dpi=110, format="png")
        plt.close(fig)
        written.append(path)

    # Map: ground track, swath edges, stations, events.
    fig, ax = plt.subplots(figsize=(10, 5.2))
    lat, lon, inside = swath_points(track, scenario.instrument, samples=2)
    step = max(1, len(track.times) // 4000)
    ax.scatter(track.lon[::step], track.lat[::step], s=0.3, color="0.6",
               label="ground track" + (" (satellite A)" if others else ""))
    for other in others:
        ax.scatter(other.lon[::step], other.lat[::step], s=0.3, color="tab:orange", label="ground track (satellite B)")
    for j, label in ((0, "swath near edge"), (1, "swath far edge")):
        ax.scatter(lon[inside, j][::step], lat[inside, j][::step], s=0.3, color=("tab:blue", "tab:cyan")[j], label=label)
    for station in scenario.stations:
        ax.plot(station.longitude, station.latitude, "^", color="tab:green", markersize=9)
        ax.annotate(station.name, (station.longitude, station.latitude), textcoords="offset points", xytext=(5, 5))
    first = next(iter(result["modes"].values()))["per_event"]
    outcome = {e["index"]: e["outcome"] for e in first}
    for quake in result["catalogue"]:
        alerted = outcome.get(quake["index"]) == "alerted"
        ax.plot(quake["longitude"], quake["latitude"], "*", markersize=6 + 2 * (quake["mw"] - 6),
                color="tab:red" if alerted else "0.2")
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_title(f"Ground track and swath over {result['window']['hours']:g} h; stations (triangles); "
                 "earthquakes (stars; red: alerted)", fontsize=10)
    ax.legend(loc="lower left", markerscale=12, fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, "mission_map.png")

    # Contact timeline with queue fill.
    fig, ax = plt.subplots(figsize=(10, 3.8))
    start = result["window"]["start"]
    for c in result["contacts"]:
        ax.axvspan((c["start"] - start) / 3600, (c["end"] - start) / 3600, color="tab:green", alpha=0.25, lw=0)
    for mode, samples in result["queue_timeline"].items():
        if samples:
            t = np.array([s[0] for s in samples])
            ax.step((t - start) / 3600, [s[1] for s in samples], where="post", label=f"{mode} queue")
    capacity = next(iter(result["modes"].values()))["queue"]["capacity"]
    ax.axhline(capacity, color="tab:red", ls="--", lw=1, label=f"capacity {capacity}")
    ax.set_xlabel("hours from the window's start (green: contacts)")
    ax.set_ylabel("messages queued")
    ax.set_title("Onboard downlink queue (messages waiting) and ground contacts", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, "mission_timeline.png")

    # Time-to-alert CDF per mode, against the routes on the ground.
    fig, ax = plt.subplots(figsize=(8, 4.6))
    first_mode = next(iter(result["modes"].values()))
    events = first_mode["events"] or 1

    right = max(200.0, result["window"]["hours"] + 80.0)

    def cdf(hours: list[float]) -> tuple[list[float], np.ndarray]:
        """A post-step CDF over the events, drawn out to the plot's right edge."""
        shares = np.arange(len(hours) + 1) / events
        return [0.01, *hours, max([right, *hours])], np.append(shares, shares[-1])

    # The ground routes: each a span between its earliest and its latest CDF (same events, the
    # first look at each); routes of the same span share one band.
    spans: dict[tuple[float, float], list[dict[str, Any]]] = {}
    for route in (first_mode["ground_route"].get("routes") or {}).values():
        spans.setdefault(tuple(route["acquisition_to_product_h"]), []).append(route)
    for colour, ((low, high), routes) in zip(("tab:gray", "tab:purple", "tab:brown"), spans.items()):
        early, late = cdf(routes[0]["earliest_hours"]), cdf(routes[0]["latest_hours"])
        label = " / ".join(r["label"] for r in routes) + f" (acquisition + {low:g}–{high:g} h)"
        ax.step(*early, where="post", color=colour, lw=1, alpha=0.8)
        ax.step(*late, where="post", color=colour, lw=1, alpha=0.8, ls="--")
        grid = np.unique(np.concatenate([early[0], late[0]]))
        ax.fill_between(grid, _step_at(late, grid), _step_at(early, grid), step="post", color=colour, alpha=0.15,
                        label=label)
    for mode, figures in result["modes"].items():
        hours = figures["alert_hours"]
        if hours:
            several = len(figures.get("satellites") or []) > 1
            ax.step(*cdf(hours), where="post", lw=2,
                    label=f"{mode}: onboard alert" + (", both satellites" if several else ""))
    for mode, figures in ((result.get("satellites") or {}).get("A", {}).get("modes") or {}).items():
        if len(result.get("satellites") or {}) > 1 and figures["alert_hours"]:
            ax.step(*cdf(figures["alert_hours"]), where="post", lw=1.2, ls=":",
                    label=f"{mode}: onboard alert, satellite A alone")
    usgs = first_mode["ground_route"]["usgs_minutes"] / 60.0
    ax.axvline(usgs, color="0.3", ls=":", label="USGS posting (~20 min)")
    ax.set_xscale("log")
    ax.set_xlim(0.1, right)
    ax.set_xlabel("hours from origin (log)")
    ax.set_ylabel(f"share of the {events} events")
    ax.set_ylim(0, 1)
    ax.set_title("Time from earthquake to alert on the ground, beside the ground routes' products", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    save(fig, "mission_time_to_alert.png")
    return written


def _step_at(curve: tuple[list[float], np.ndarray], grid: np.ndarray) -> np.ndarray:
    """A post-step CDF (``curve``: its x and y) sampled at ``grid``."""
    x, y = np.asarray(curve[0]), curve[1]
    return y[np.clip(np.searchsorted(x, grid, side="right") - 1, 0, len(y) - 1)]


def write_mission_report(result: dict[str, Any], track: GroundTrack, scenario: Scenario,
                         folder: Path, others: Sequence[GroundTrack] = ()) -> dict[str, Path]:
    """Write mission.json, mission.md and the plots into ``folder`` (``others``: the other
    satellites' tracks, drawn on the map); return their paths."""
    from quakesat.files import write_text_atomic

    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "mission.json", "markdown": folder / "mission.md"}
    try:
        for path in plots(result, track, scenario, folder, others):
            paths[path.stem] = path
    except ImportError:  # matplotlib is in the data extra
        pass
    result = result | {"files": {k: str(v) for k, v in paths.items()}}
    # Through the typed record (mission/record.py): a result of the wrong shape fails here, not in a reader.
    write_mission_record(parse_mission_record(result, str(paths["json"])), paths["json"])
    write_text_atomic(paths["markdown"], markdown(result))
    return paths
