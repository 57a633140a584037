"""The mission report: ``mission.json`` for machines (the typed record of
:mod:`quakesat.mission.record`), ``mission.md`` and three PNG plots for people (a map of the
ground track, swath, stations and events; the contact timeline with the queue's fill; the
time-to-alert CDF per mode).

Every file is written whole or not at all (an interrupted run leaves the previous report).
"""

from __future__ import annotations

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
             "## Per mode", "", *_mode_rows(result["modes"]), "",
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
              "", "## Per event", ""]
    for name, mode in result["modes"].items():
        lines += [f"### {name}", "", "| event | Mw | looks | tiles | damaged tiles | → acquisition | → detection | → alert | outcome |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for e in mode["per_event"]:
            lines.append(f"| {e['name']} | {e['mw']} | {e['looks']} | {e['tiles_processed']} | {e['tiles_with_damage']} | "
                         f"{_h(e.get('to_acquisition_h'))} | {_h(e.get('to_detection_h'))} | {_h(e.get('to_alert_h'))} | "
                         f"{e['outcome']} |")
        lines.append("")
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


def plots(result: dict[str, Any], track: GroundTrack, scenario: Scenario, folder: Path) -> list[Path]:
    """The three plots (see the module doc); needs matplotlib."""
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
    ax.scatter(track.lon[::step], track.lat[::step], s=0.3, color="0.6", label="ground track")
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
    fig, ax = plt.subplots(figsize=(7, 4.2))
    events = next(iter(result["modes"].values()))["events"] or 1
    for mode, figures in result["modes"].items():
        hours = figures["alert_hours"]
        if hours:
            ax.step([0.0, *hours], np.arange(len(hours) + 1) / events, where="post", label=f"{mode} (onboard alert)")
    usgs = next(iter(result["modes"].values()))["ground_route"]["usgs_minutes"] / 60.0
    ax.axvline(usgs, color="0.3", ls=":", label="USGS posting (~20 min)")
    ax.set_xlabel("hours from origin")
    ax.set_ylabel(f"share of the {events} events alerted")
    ax.set_ylim(0, 1)
    ax.set_title("Time from earthquake to alert on the ground")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, "mission_time_to_alert.png")
    return written


def write_mission_report(result: dict[str, Any], track: GroundTrack, scenario: Scenario,
                         folder: Path) -> dict[str, Path]:
    """Write mission.json, mission.md and the plots into ``folder``; return their paths."""
    from quakesat.files import write_text_atomic

    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "mission.json", "markdown": folder / "mission.md"}
    try:
        for path in plots(result, track, scenario, folder):
            paths[path.stem] = path
    except ImportError:  # matplotlib is in the data extra
        pass
    result = result | {"files": {k: str(v) for k, v in paths.items()}}
    # Through the typed record (mission/record.py): a result of the wrong shape fails here, not in a reader.
    write_mission_record(parse_mission_record(result, str(paths["json"])), paths["json"])
    write_text_atomic(paths["markdown"], markdown(result))
    return paths
