"""The README's figures: every measured number it quotes, rendered into its generated blocks.

Four blocks (:mod:`quakesat.doc_blocks`), each written from what the command that measures it
leaves behind:

- ``demo`` and ``demo-mission``: ``quakesat demo``'s ``demo_report.json`` (the demo's one
  duration, its short bench against the seed-equivalent, its one-day mission);
- ``footprint``: the JSON of ``python scripts/flight_env_check.py footprint OUT.json`` (the
  runtime-only install's size, measured in CI's runtime-only venv);
- ``test-times``: the timings ``bash scripts/test.sh`` records in ``build/test_times/``
  (``fast.json``; ``all.json`` with ``--all``).

What each block quotes is kept in ``docs/readme_figures.json`` (its *figures*: the values the
README shows, nothing more), so that ``check`` can tell a block edited by hand from one its
figures render; ``tests/test_readme.py`` runs it. From the repository root::

    python -m quakesat.readme_figures demo [out/demo]             # after `quakesat demo`
    python -m quakesat.readme_figures footprint footprint.json    # after flight_env_check.py footprint
    python -m quakesat.readme_figures tests [build/test_times]    # after `bash scripts/test.sh [--all]`
    python -m quakesat.readme_figures check                       # every block is its figures' rendering

Standard library only; the demo's record is read through :mod:`quakesat.demo_record`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from quakesat.doc_blocks import markers, replace_block
from quakesat.errors import ConfigError, QuakesatError
from quakesat.files import write_text_atomic
from quakesat.records import load_json

README = Path("README.md")
#: The figures each block was rendered from (the README's numbers, kept beside it).
FIGURES = Path("docs/readme_figures.json")
#: The bench runs of the demo, by the pairs they fly: (summary key, words).
DEMO_BENCHES = (("insar_bench", "same-track"), ("bench", "amplitude"))
#: Distributions listed one by one in the footprint (smaller ones are counted together).
FOOTPRINT_LISTED_BYTES = 2 * 2**20
#: What a listed distribution is for, where it is optional on board.
FOOTPRINT_NOTES = {"ai-edge-litert": "only for `.tflite` artifacts", "cryptography": "signed updates"}
#: scripts/test.sh's phases, in words.
TEST_PHASES = {"native": "C++ build and ctest", "aarch64": "aarch64 build and ctest under qemu",
               "sanitizers": "ASan/UBSan build and ctest", "fuzz-cpp": "libFuzzer", "fuzz-python": "atheris",
               "pytest": "pytest", "soak": "soaks"}


# ─── formatting ──────────────────────────────────────────────────────────────────────────
def _ratio(value: float) -> str:
    """A speed-up: three significant figures, whole numbers from 100 on."""
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} h"


def _bytes(value: float) -> str:
    """Decimal units, three significant figures."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.0f} B"


def _mib(value: float) -> str:
    return f"{value / 2**20:.1f} MB"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"


def _count(value: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[value] if 0 <= value < len(words) else f"{value:,}"


# ─── the demo ────────────────────────────────────────────────────────────────────────────
def demo_figures(summary: Mapping[str, Any]) -> dict[str, Any]:
    """What the README quotes of a demo summary (``demo_report.json`` as a dict): its duration,
    cores and date; per bench the seed-equivalent's p50 and the fastest artifact of each
    runtime; per mission mode the table's and the false-alert paragraph's figures."""
    figures: dict[str, Any] = {"seconds": summary.get("seconds"), "cpus": summary.get("cpus"),
                               "date": summary.get("date"), "bench": {}, "mission": None}
    for key, pairs in DEMO_BENCHES:
        bench = summary.get(key) or {}
        if not bench.get("rows"):
            continue
        entry: dict[str, Any] = {"seed_p50_ms": bench.get("seed_p50_ms")}
        for runtime in ("cpp", "python"):
            rows = [(name.rsplit(" (", 1)[0], row["speedup_vs_seed"]) for name, row in bench["rows"].items()
                    if name.endswith(f" ({runtime})") and row.get("speedup_vs_seed")]
            if rows:
                artifact, speedup = max(rows, key=lambda item: item[1])
                entry[runtime] = {"artifact": artifact, "speedup": speedup}
        figures["bench"][pairs] = entry
    figures["mission"] = _mission_figures(summary.get("mission") or {})
    figures["mission_same_track"] = _mission_figures(summary.get("mission_same_track") or {})
    return figures


def _mission_figures(mission: Mapping[str, Any]) -> dict[str, Any] | None:
    """One demo mission's figures per mode (None when it did not run)."""
    if mission.get("modes"):
        modes = {}
        for name, mode in mission["modes"].items():
            acquisition, alert = mode["time_to_acquisition_h"], mode["time_to_alert_h"]
            after = mode["acquisition_to_alert_h"]
            modes[name] = {
                "events": mode["events"], "imaged": mode["imaged"], "alerted": mode["outcomes"].get("alerted", 0),
                "alerts_lost": mode["outcomes"].get("detected, alert dropped or still on board", 0),
                "acquisition_median_h": acquisition["median_h"], "alert_median_h": alert["median_h"],
                "alert_p90_h": alert["p90_h"], "after_acquisition_median_h": after["median_h"],
                "after_acquisition_p90_h": after["p90_h"], "tiles": mode["tiles_processed"],
                "false_alerts_per_day": mode["false_alerts_per_day"],
                "false_alerts_delivered": mode["false_alerts_delivered"], "bytes": mode["bytes_downlinked"],
                "dropped": mode["queue_dropped"], "queue_capacity": mode["queue_capacity"],
                "joules_per_day": mode["energy_j_per_day"], "nrt_median_h": mode["ground_route_nrt_median_h"],
                "usgs_minutes": mode["usgs_minutes"], "false_alert_rate": mode["false_alert_rate"]}
        return {"artifact": mission.get("model"), "modes": modes, "store": mission.get("store"),
                "thumbnails": mission.get("thumbnails")}
    return None


def render_demo(figures: Mapping[str, Any]) -> str:
    """Block ``demo``: the demo's one duration and its short bench."""
    where = f" on {figures['cpus']} cores" if figures.get("cpus") else ""
    when = f" ({figures['date']})" if figures.get("date") else ""
    lines = [f"The demo took {figures['seconds']:.0f} s{where}{when}."]
    bench = figures.get("bench") or {}
    seeds = [entry["seed_p50_ms"] for entry in bench.values() if entry.get("seed_p50_ms")]
    said = []
    for runtime, words in (("cpp", "the C++ runner"), ("python", "the Python runtime")):
        parts = [f"{_ratio(entry[runtime]['speedup'])}× on the {pairs} pairs ({entry[runtime]['artifact']})"
                 for pairs, entry in bench.items() if runtime in entry]
        if parts:
            said.append(f"{words} " + " and ".join(parts))
    if said:
        low, high = (f"{min(seeds):.0f}", f"{max(seeds):.0f}") if seeds else ("", "")
        seed = "" if not seeds else f" ({low} ms a tile)" if low == high else f" ({low}–{high} ms a tile)"
        lines.append(f"Its short bench's speed-ups against the seed-equivalent{seed}: " + "; ".join(said) + ".")
    return "\n".join(lines)


def render_demo_mission(figures: Mapping[str, Any]) -> str:
    """Block ``demo-mission``: the demo's one-day missions (the same-track flagship with its
    reference store, then the amplitude model), their tables and their false alerts."""
    parts = []
    flagship = figures.get("mission_same_track")
    if flagship:
        store = flagship.get("store") or {}
        thumbs = flagship.get("thumbnails") or {}
        title = (f"The flagship, the demo's same-track QuakeLite ({flagship['artifact']}), with the reference store "
                 f"({store.get('budget_gb', 0):g} GB, {store.get('tiles', 0):,} tiles; "
                 f"{len(store.get('quakes_in_store', []))} of the day's earthquakes inside it) on the default day"
                 + (f"; cued mode sent {thumbs['sent']} deformation thumbnails ({_bytes(thumbs['bytes'])})"
                    if thumbs.get("sent") else "") + ":")
        parts.append(_mission_table(flagship, title))
    amplitude = figures.get("mission")
    if amplitude:
        parts.append(_mission_table(amplitude, f"The amplitude model, the seed's kind (its barely trained QuakeLite, "
                                               f"{amplitude['artifact']}), on the same day:"))
    return "\n\n".join(parts) if parts else "The demo ran no mission."


def _mission_table(mission: Mapping[str, Any], title: str) -> str:
    """One mission's table and its false-alert paragraph."""
    modes = mission["modes"]
    names = list(modes)
    events = next(iter(modes.values()))["events"]
    lines = [title, "", "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def row(label: str, cell: Callable[[dict[str, Any]], str], same: bool = False) -> None:
        cells = [cell(modes[name]) for name in names]
        if same and len(set(cells)) == 1:
            cells = cells[:1] + ["same"] * (len(cells) - 1)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row(f"events imaged / alerted (of {events})", lambda m: f"{m['imaged']} / {m['alerted']}")
    row("origin → first acquisition, median", lambda m: _hours(m["acquisition_median_h"]))
    row("origin → alert on the ground, median (p90)",
        lambda m: f"{_hours(m['alert_median_h'])} ({_hours(m['alert_p90_h'])})")
    row("acquisition → alert, median (p90)",
        lambda m: f"{_hours(m['after_acquisition_median_h'])} ({_hours(m['after_acquisition_p90_h'])})")
    row("tiles processed", lambda m: f"{m['tiles']:,}")
    row("false alerts on board per day (delivered)",
        lambda m: f"{m['false_alerts_per_day']:,.0f} ({m['false_alerts_delivered']:,})")
    row("bytes downlinked", lambda m: _bytes(m["bytes"]))
    row("queue drops", lambda m: f"{m['dropped']:,}")
    row("energy per day (upper bound)", lambda m: f"{m['joules_per_day'] / 1e3:.3g} kJ")
    row("ground route: the same acquisitions as NRT products (1–3 h after sensing), origin → product median",
        lambda m: f"{_hours(m['nrt_median_h'])}, then processing", same=True)
    row("seismic network (USGS, outside the US)", lambda m: f"about {m['usgs_minutes']:.0f} min", same=True)

    rate = next((m["false_alert_rate"] for m in modes.values() if m.get("false_alert_rate") is not None), None)
    said = [] if rate is None else [f"The demo's model flags about {rate * 100:.0f} % of the simulated event-free tiles."]
    for name in names:
        m = modes[name]
        if m["dropped"]:
            lost = m["alerts_lost"]
            lost_words = ("" if not lost else f", and {_count(lost)} detected event's alert never reached the ground"
                          if lost == 1 else f", and {_count(lost)} detected events' alerts never reached the ground")
            said.append(f"In {name} mode that floods the {m['queue_capacity']}-message queue: "
                        f"{m['dropped']:,} drops a day{lost_words}.")
        else:
            said.append(f"{name.capitalize()} mode processes {m['tiles']:,} tiles and drops nothing.")
    return "\n".join(lines + ["", " ".join(said)])


# ─── the runtime-only footprint ─────────────────────────────────────────────────────────
def footprint_figures(footprint: Mapping[str, Any]) -> dict[str, Any]:
    """What the README quotes of ``flight_env_check.py footprint``'s JSON: the total, the
    distributions of at least :data:`FOOTPRINT_LISTED_BYTES` one by one, the rest together."""
    packages = sorted(footprint["packages"], key=lambda row: -row["bytes"])
    listed = [{"name": row["name"], "bytes": row["bytes"]} for row in packages
              if row["bytes"] >= FOOTPRINT_LISTED_BYTES]
    small = [row for row in packages if row["bytes"] < FOOTPRINT_LISTED_BYTES]
    python = ".".join(str(footprint["python"]).split(".")[:2])
    return {"python": python, "machine": footprint.get("machine"), "total_bytes": footprint["total_bytes"],
            "distributions": len(packages), "listed": listed,
            "small": {"names": [row["name"] for row in small], "bytes": sum(row["bytes"] for row in small)}}


def render_footprint(figures: Mapping[str, Any]) -> str:
    """Block ``footprint``: the runtime-only install's size, by distribution."""
    machine = f" {figures['machine'].replace('_', '-')}" if figures.get("machine") else ""
    parts = [f"{row['name']} {_mib(row['bytes'])}" + (f" ({FOOTPRINT_NOTES[row['name']]})"
                                                       if row["name"] in FOOTPRINT_NOTES else "")
             for row in figures["listed"]]
    small = figures["small"]
    if small["names"]:
        parts.append(f"and {len(small['names'])} small ones ({', '.join(small['names'])}) of "
                     f"{_mib(small['bytes'])} together")
    text = (f"{_mib(figures['total_bytes'])} in {figures['distributions']} distributions on{machine} CPython "
            f"{figures['python']}: " + ", ".join(parts) + ".")
    litert = next((row["bytes"] for row in figures["listed"] if row["name"] == "ai-edge-litert"), None)
    if litert is not None:
        text += f" An ONNX-only payload leaves out ai-edge-litert ({_mib(figures['total_bytes'] - litert)})."
    return text


# ─── the test command ───────────────────────────────────────────────────────────────────
def timing_figures(runs: Mapping[str, Any]) -> dict[str, Any]:
    """What the README quotes of scripts/test.sh's timings (``fast`` and ``all``, as recorded).

    Raises:
        ConfigError: a timing file without its date, cores, seconds or phases.
    """
    keep = ("date", "cpus", "load", "seconds", "phases")
    for mode, run in runs.items():
        if not isinstance(run, dict) or any(key not in run for key in keep if key != "load"):
            raise ConfigError(f"the {mode} timings lack one of {', '.join(keep)}; rerun bash scripts/test.sh")
        if run.get("pytest_args"):
            raise ConfigError(f"the {mode} timings are of a run given pytest arguments ({' '.join(run['pytest_args'])}); "
                              "time the whole command")
    return {mode: {key: run[key] for key in keep if key in run} for mode, run in runs.items()}


def render_test_times(figures: Mapping[str, Any]) -> str:
    """Block ``test-times``: how long the test command takes, fast and with ``--all``."""
    lines = []
    for mode, command in (("fast", "`bash scripts/test.sh`"), ("all", "`bash scripts/test.sh --all`")):
        run = figures.get(mode)
        if not run:
            continue
        phases = ", ".join(f"{TEST_PHASES.get(name, name)} {_duration(seconds)}" for name, seconds in run["phases"])
        load = f", load average {run['load']:.1f} over its last 5 min" if run.get("load") is not None else ""
        lines.append(f"- {command}: {_duration(run['seconds'])} on {run['cpus']} cores ({run['date']}{load}): "
                     f"{phases}.")
    return "\n".join(lines) if lines else "Not measured yet."


# ─── the blocks ─────────────────────────────────────────────────────────────────────────
#: Figures section → the blocks it renders.
RENDERERS: dict[str, dict[str, Callable[[Mapping[str, Any]], str]]] = {
    "demo": {"demo": render_demo, "demo-mission": render_demo_mission},
    "footprint": {"footprint": render_footprint},
    "tests": {"test-times": render_test_times},
}


def _read_figures(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    figures = load_json(path, "README figures file")
    if not isinstance(figures, dict):
        raise ConfigError(f"{path}: not a README figures file (not a JSON object)")
    return figures


def update(section: str, figures: Mapping[str, Any], readme: Path = README, record: Path = FIGURES) -> list[str]:
    """Render ``section``'s blocks from ``figures`` into ``readme`` and keep ``figures`` in
    ``record``; return the blocks written."""
    for name, render in RENDERERS[section].items():
        replace_block(readme, name, render(figures))
    about = ("The figures README.md's generated blocks quote, as python -m quakesat.readme_figures rendered them; "
             "written by it, never by hand (tests/test_readme.py checks the blocks against them).")
    kept = {"about": about, **{key: value for key, value in _read_figures(record).items() if key != "about"}}
    kept[section] = figures
    write_text_atomic(record, json.dumps(kept, indent=2, ensure_ascii=False) + "\n")
    return list(RENDERERS[section])


def block_text(document: str, name: str) -> str | None:
    """The content of block ``name`` in ``document`` (None where it is absent)."""
    begin, end = markers(name)
    found = re.search(re.escape(begin) + r"\n(.*?)\n?" + re.escape(end), document, flags=re.DOTALL)
    return None if found is None else found.group(1).rstrip()


def check(readme: Path = README, record: Path = FIGURES) -> list[str]:
    """Every block whose content is not what its kept figures render (empty: all agree)."""
    document, figures = readme.read_text(encoding="utf-8"), _read_figures(record)
    problems = []
    for section, blocks in RENDERERS.items():
        for name, render in blocks.items():
            found = block_text(document, name)
            if found is None:
                problems.append(f"{readme}: no block '{name}'")
            elif section not in figures:
                problems.append(f"{record}: no figures '{section}' for block '{name}'")
            elif found != render(figures[section]).rstrip():
                problems.append(f"{readme}: block '{name}' is not what {record} renders (edited by hand? rerun "
                                f"`python -m quakesat.readme_figures {section} ...`)")
    return problems


def _demo(source: Path) -> dict[str, Any]:
    from quakesat.demo_record import read_demo_record

    path = source / "demo_report.json" if source.is_dir() else source
    try:
        return demo_figures(read_demo_record(path).to_dict())
    except (KeyError, TypeError, AttributeError) as err:
        raise ConfigError(f"{path}: lacks the README's figures ({err}); written by an older quakesat demo? "
                          "Run the demo again") from None


def update_demo(out: Path, readme: Path = README, figures: Path = FIGURES) -> list[str]:
    """Blocks ``demo`` and ``demo-mission`` of ``readme`` from the demo run in ``out`` (its
    ``demo_report.json``); the figures kept in ``figures``. Returns the blocks written.

    Raises:
        RecordError: no demo summary in ``out``.
        ConfigError: ``readme`` lacks one of the blocks.
    """
    return update("demo", _demo(Path(out)), Path(readme), Path(figures))


def _footprint(source: Path) -> dict[str, Any]:
    footprint = load_json(source, "footprint JSON (python scripts/flight_env_check.py footprint OUT.json)")
    if not isinstance(footprint, dict) or not isinstance(footprint.get("packages"), list):
        raise ConfigError(f"{source}: not the JSON of `python scripts/flight_env_check.py footprint OUT.json`")
    return footprint_figures(footprint)


def _tests(source: Path) -> dict[str, Any]:
    runs = {mode: load_json(source / f"{mode}.json", "test timing file")
            for mode in ("fast", "all") if (source / f"{mode}.json").is_file()}
    if not runs:
        raise ConfigError(f"{source}: no fast.json or all.json; `bash scripts/test.sh [--all]` records them there")
    return timing_figures(runs)


def main(argv: list[str] | None = None) -> int:
    """``python -m quakesat.readme_figures demo|footprint|tests [SOURCE] | check``."""
    parser = argparse.ArgumentParser(prog="python -m quakesat.readme_figures",
                                     description="Render the README's generated figure blocks (run from the "
                                                 "repository root).")
    parser.add_argument("what", choices=("demo", "footprint", "tests", "check"))
    parser.add_argument("source", nargs="?", type=Path, default=None,
                        help="demo: the demo's folder (default out/demo); footprint: the footprint JSON; "
                             "tests: scripts/test.sh's timings (default build/test_times)")
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--figures", type=Path, default=FIGURES, help="where the rendered figures are kept")
    args = parser.parse_args(argv)
    try:
        if args.what == "check":
            problems = check(args.readme, args.figures)
            for line in problems:
                print(line, file=sys.stderr)
            return 1 if problems else 0
        readers = {"demo": (_demo, Path("out/demo")), "footprint": (_footprint, None),
                   "tests": (_tests, Path("build/test_times"))}
        read, default = readers[args.what]
        source = args.source or default
        if source is None:
            parser.error("footprint needs the footprint JSON")
        written = update(args.what, read(source), args.readme, args.figures)
    except QuakesatError as err:
        print(f"readme_figures: {err}", file=sys.stderr)
        return 2
    print(f"updated {args.readme}: {', '.join(written)}; figures in {args.figures}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
