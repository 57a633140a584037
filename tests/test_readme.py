"""The README's promises that code can check: its Python example runs, its exit statuses are
the CLI's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from quakesat import cli_args

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_python_api_example_runs_as_written() -> None:
    block = README.split("<!-- example:python-api", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    result = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    status, event, magnitude, model = result.stdout.splitlines()[0].split(" ", 3)
    assert status == "ok" and event in ("True", "False") and float(magnitude) >= 0 and model.startswith("model ")
    assert result.stdout.splitlines()[1] == "1 message(s), 32 bytes"


def test_the_exit_status_table_is_the_clis() -> None:
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, flags=re.M))
    assert {int(code) for code in table} == {cli_args.EXIT_OK, cli_args.EXIT_FAILURE, cli_args.EXIT_USAGE,
                                             cli_args.EXIT_GATE, cli_args.EXIT_INTERRUPTED,
                                             cli_args.EXIT_BROKEN_PIPE}
    assert "fidelity gate" in table[str(cli_args.EXIT_GATE)] and "interrupted" in table[str(cli_args.EXIT_INTERRUPTED)]


# ─── figures: every measured number the README quotes is in a generated block ───────────
#: A number with a unit of time, ratio, size or energy ("248 s", "2.46 MB", "199×", "1.7x").
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_UNIT = r"(?:ms|µs|s|min|h|%|×|kB|MB|GB|KiB|MiB|GiB|B|kJ|J|W|bytes?)"
FIGURE = re.compile(rf"(?<![\w.:]){_NUMBER}(?:\s?[–-]\s?{_NUMBER})?[ -]?{_UNIT}(?!\w)"
                    rf"|(?<![\w.:]){_NUMBER}(?:[–-]{_NUMBER})?x(?!\w)")
#: Figures that are not measurements, so they may stand in prose: each is a constant of the
#: code or of the outside world, and why (the test below checks the code's constants).
ALLOWED_FIGURES = {
    "32-byte": "the downlink message's length, a format constant (runtime/message.py MESSAGE_LENGTH)",
    "32 bytes": "the same length",
    "1 %": "the onboard operating point, 1 % false alarms: a setting of the protocol and of the export's "
           "threshold (export/decision_calibration.py DEFAULT_FALSE_ALARM_RATE)",
    "99.5 %": "the fidelity gate's agreement threshold, a setting (export/fidelity.py DEFAULT_MIN_AGREEMENT)",
    "68 %": "the demo simulator's share of pixel-identical negatives (quakesat/demo.py IDENTICAL_NEGATIVES), "
            "measured once on the published file and fixed as a constant (docs/simulator.md)",
    "1–3 h": "Sentinel-1 NRT product timeliness as ESA states it, an input of the mission (mission/run.py NRT_HOURS)",
    "10 min": "the fast test command's budget (≤ 10 min on 2 cores), a target",
}


def _outside_generated_blocks(text: str) -> str:
    return re.sub(r"<!-- generated:([\w-]+) begin -->.*?<!-- generated:\1 end -->", "", text, flags=re.DOTALL)


def test_no_figure_is_typed_by_hand() -> None:
    """A measured number in README.md stands inside a generated block, which the command that
    measured it writes (quakesat/readme_figures.py); outside them only ALLOWED_FIGURES."""
    prose = _outside_generated_blocks(README)
    found = [match.group() for match in FIGURE.finditer(prose)]
    typed = [f"{figure!r} near {prose[max(0, m.start() - 60):m.end() + 20]!r}"
             for m in FIGURE.finditer(prose) if (figure := m.group()) not in ALLOWED_FIGURES]
    assert not typed, "figures outside a generated block (quakesat/readme_figures.py):\n" + "\n".join(typed)
    assert set(ALLOWED_FIGURES) <= set(found), f"stale allow-list entries: {set(ALLOWED_FIGURES) - set(found)}"


def test_the_figure_pattern_finds_what_it_should() -> None:
    text = ("took 248 s, 6 min 31 s; 91–96 ms; 199× and 1.7-2.0x; 2.46 MB, 45 kB, 138 kJ; 37 %; 11.0 h (14.4 h); "
            "a 512 x 512 tile, APID 0x2C1, {id:04x}, Python 3.11, 10,000-tile soaks, 12 events, x86-64")
    assert [m.group() for m in FIGURE.finditer(text)] == [
        "248 s", "6 min", "31 s", "91–96 ms", "199×", "1.7-2.0x", "2.46 MB", "45 kB", "138 kJ", "37 %", "11.0 h",
        "14.4 h"]
    assert not list(FIGURE.finditer(_outside_generated_blocks(
        "<!-- generated:x begin -->\n248 s\n<!-- generated:x end -->")))


def test_the_allowed_figures_are_the_codes_constants() -> None:
    from quakesat.demo import IDENTICAL_NEGATIVES
    from quakesat.export.decision_calibration import DEFAULT_FALSE_ALARM_RATE
    from quakesat.export.fidelity import DEFAULT_MIN_AGREEMENT
    from quakesat.mission.run import NRT_HOURS
    from quakesat.runtime.message import MESSAGE_LENGTH

    assert MESSAGE_LENGTH == 32 and DEFAULT_FALSE_ALARM_RATE == 0.01 and DEFAULT_MIN_AGREEMENT == 0.995
    assert IDENTICAL_NEGATIVES == 0.68 and NRT_HOURS == (1.0, 3.0)


def test_every_generated_block_is_what_its_figures_render() -> None:
    """The blocks were written by quakesat/readme_figures.py from docs/readme_figures.json,
    not edited by hand."""
    from quakesat import readme_figures

    assert readme_figures.check(ROOT / readme_figures.README, ROOT / readme_figures.FIGURES) == []


def test_the_demo_figures_come_from_a_demo_summary(tmp_path: Path) -> None:
    """The demo's summary, as quakesat/demo.py writes it, renders into the two demo blocks;
    one demo duration, the fastest artifact of each runtime per bench."""
    from quakesat.readme_figures import demo_figures, render_demo, render_demo_mission, update

    mode = {"events": 16, "outcomes": {"alerted": 3, "detected, alert dropped or still on board": 1},
            "imaged": 4, "time_to_acquisition_h": {"n": 4, "median_h": 10.6, "p90_h": 12.0},
            "time_to_alert_h": {"n": 3, "median_h": 11.0, "p90_h": 14.4},
            "acquisition_to_alert_h": {"n": 3, "median_h": 0.0, "p90_h": 0.04}, "tiles_processed": 1_424_943,
            "false_alerts_per_day": 534_288.0, "false_alerts_delivered": 76_795, "bytes_downlinked": 2_457_120,
            "queue_dropped": 456_400, "queue_capacity": 1024, "energy_j_per_day": 138_215.0,
            "ground_route_nrt_median_h": 11.6, "usgs_minutes": 20.0, "false_alert_rate": 0.3672}
    cued = {**mode, "outcomes": {"alerted": 4}, "tiles_processed": 3868, "queue_dropped": 0,
            "bytes_downlinked": 45_312, "energy_j_per_day": 375.2}
    bench = {"seed_p50_ms": 96.2, "rows": {"onnx-fp32 (python)": {"p50_ms": 4.6, "speedup_vs_seed": 20.9},
                                           "onnx-int8 (python)": {"p50_ms": 9.0, "speedup_vs_seed": 10.7},
                                           "pte-fp32 (cpp)": {"p50_ms": 2.1, "speedup_vs_seed": 45.3}}}
    summary = {"seconds": 248.3, "cpus": 2, "date": "2026-12-06", "bench": bench,
               "mission": {"model": "onnx-fp32", "modes": {"survey": mode, "cued": cued}}}
    figures = demo_figures(summary)
    demo = render_demo(figures)
    assert demo.startswith("The demo took 248 s on 2 cores (2026-12-06).")
    assert len(re.findall(r"\d+ s\b", demo)) == 1, demo  # one demo duration
    assert "the C++ runner 45.3× on the amplitude pairs (pte-fp32)" in demo
    assert "the Python runtime 20.9× on the amplitude pairs (onnx-fp32)" in demo and "96 ms a tile" in demo
    mission = render_demo_mission(figures)
    assert "| events imaged / alerted (of 16) | 4 / 3 | 4 / 4 |" in mission
    assert "| bytes downlinked | 2.46 MB | 45.3 kB |" in mission and "| 138 kJ | 0.375 kJ |" in mission
    assert "| seismic network (USGS, outside the US) | about 20 min | same |" in mission
    assert "flags about 37 %" in mission and "one detected event's alert never reached the ground" in mission
    assert "Cued mode processes 3,868 tiles and drops nothing." in mission

    readme, kept = tmp_path / "README.md", tmp_path / "figures.json"
    readme.write_text("x\n<!-- generated:demo begin -->\nold\n<!-- generated:demo end -->\n"
                      "<!-- generated:demo-mission begin -->\n<!-- generated:demo-mission end -->\ny\n")
    assert update("demo", figures, readme, kept) == ["demo", "demo-mission"]
    text = readme.read_text()
    assert demo in text and mission in text and "old" not in text and text.startswith("x\n")
