"""``quakesat report``: the page from a run, a mission, a bench, an export, each alone and all
together; an empty folder is one error line (exit 2); hostile strings are escaped; the page
references nothing outside itself.

The browser check (the page opened in Chromium) is tests/report/test_report_browser.py.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("jinja2")
# jinja2 escapes with markupsafe: the page must hold exactly what it makes of a hostile string.
from markupsafe import escape

from quakesat.cli import main
from quakesat.report.build import NothingToReportError, build_context, read_tile_list, write_report
from quakesat.runtime.message import TileReport, encode

TINY = Path(__file__).resolve().parents[1] / "vectors" / "tiny_model"
#: Attributes that load or link something.
LOADING = {"src", "href", "action", "srcset", "poster", "data", "formaction", "xlink:href", "background"}
#: Elements a self-contained, script-free page has no use for.
FORBIDDEN = {"script", "link", "iframe", "object", "embed", "base", "frame", "audio", "video", "source", "form"}


class Elements(HTMLParser):
    """The page's real elements and their attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(text)
    parser.close()
    return parser.tags


def escaped(raw: str) -> str:
    return str(escape(raw))


def page(folder: Path, *args: str) -> str:
    assert main(["report", str(folder), *args]) == 0
    return (folder / "report.html").read_text(encoding="utf-8") if not args else Path(args[-1]).read_text("utf-8")


def assert_self_contained(text: str) -> None:
    """No network resource, no script, no stylesheet link; images are data: URIs, links in-page."""
    tags = elements(text)
    assert not {tag for tag, _ in tags} & FORBIDDEN
    for tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name, value in attrs.items():
            if name in LOADING:
                assert (value or "").startswith(("data:image/png;base64,", "#")), (tag, name, (value or "")[:80])
    styles = re.findall(r"<style>(.*?)</style>", text, re.DOTALL)
    assert len(styles) == 1 and "url(" not in styles[0] and "@import" not in styles[0]
    policy = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert policy.startswith("default-src 'none'; img-src data:")


def test_run_folder(run_dir: Path) -> None:
    text = page(run_dir)
    assert_self_contained(text)
    context = build_context(run_dir)
    assert [kind for _, kind in context["found"]].count("run report") == 1
    stream = context["streams"][0]
    stream_file = (run_dir / "messages.bin").read_bytes()
    assert stream["name"] == "messages.bin" and stream["messages"] == len(stream_file) // 32
    assert stream["tile_reports"] == 23 and stream["health"] >= 1
    assert stream["events"] == len(stream["alerts"]) > 0  # the tiny model flags some of the runner's tiles
    assert 'class="alerts"' in text and 'id="ground-map"' in text
    # The runner's list holds bad tiles on purpose: their statuses are warnings, named.
    bad = [w for w in context["warnings"] if "bad input" in w["text"]]
    assert bad and bad[0]["where"] == "messages.bin"
    assert "wrong_kind 1" in bad[0]["text"]  # the same-track pair, refused by the amplitude model
    # Footprints come from the tile list: 64 px at 10 m; a line off the globe or not JSON is skipped.
    tiles = read_tile_list(run_dir / "tile_list" / "tiles.jsonl")
    assert tiles["0"] == (pytest.approx(-14.0616245), pytest.approx(78.2589658), pytest.approx(0.64))
    assert "16" not in tiles and len(tiles) == 22
    for absent in ("mission.json", "bench.json", "manifest.json"):
        assert absent in text  # said plainly: not in this folder


def test_the_decode_beside_a_stream_is_not_read_twice(run_dir: Path) -> None:
    context = build_context(run_dir)
    assert [s["name"] for s in context["streams"]] == ["messages.bin"]


def test_a_fault_mode_run_warns_of_the_model(tmp_path: Path, make: SimpleNamespace) -> None:
    make.run(tmp_path, artifacts=tmp_path / "no_such_model")  # flies in fault mode, numpy only
    context = build_context(tmp_path)
    faults = [w for w in context["warnings"] if "model fault" in w["text"]]
    assert len(faults) == 1 and faults[0]["level"] == "error" and "model_missing" in faults[0]["text"]
    assert context["runs"][0]["fault"].startswith("model_missing")


def test_mission_folder(tmp_path: Path, make: SimpleNamespace) -> None:
    make.mission(tmp_path)
    text = page(tmp_path)
    assert_self_contained(text)
    for element in ('id="mission-timeline"', 'id="mission-time-to-alert"', 'id="mission-map"', 'class="modes"'):
        assert element in text
    context = build_context(tmp_path)
    mission = context["missions"][0]
    assert [row["mode"] for row in mission["modes"]] == ["survey", "cued"]
    assert mission["modes"][0]["alerted"] == 1 and mission["contacts"] == 2
    assert mission["streams"][0]["events"] == 2 and mission["streams"][0]["name"] == "survey_downlink.bin"
    drops = [w for w in context["warnings"] if "dropped" in w["text"]]
    # Once per mode from mission.json; the health report's own count is not repeated.
    assert sorted(w["where"] for w in drops) == ["mission.json (cued)", "mission.json (survey)"]
    assert context["streams"] == []  # the downlinked streams belong to the mission section
    assert "no `quakesat run` report" in " ".join(context["absent"])


def test_bench_json(tmp_path: Path, make: SimpleNamespace) -> None:
    make.bench(tmp_path)
    text = page(tmp_path)
    assert_self_contained(text)
    bench = build_context(tmp_path)["benches"][0]
    assert [row["artifact"] for row in bench["rows"]] == ["onnx-fp32", "pte-int8"]
    assert bench["rows"][0]["p50"] == 0.65 and bench["rows"][0]["a53_minstr"] is None
    assert bench["rows"][1]["error"] == "the runner is not built"
    assert 'class="bench"' in text and "the runner is not built" in text


def test_manifest(tmp_path: Path, make: SimpleNamespace) -> None:
    make.export(tmp_path / "artifacts" / "tiny")
    text = page(tmp_path)
    assert_self_contained(text)
    context = build_context(tmp_path)
    export = context["manifests"][0]
    assert export["name"] == "artifacts/tiny/manifest.json"
    assert {a["name"]: a["passed"] for a in export["artifacts"]} == {
        "onnx-fp32": True, "onnx-int8": False, "pte-fp32": True, "pte-int8": False}
    gate = [w["text"] for w in context["warnings"] if "fidelity gate" in w["text"]]
    assert len(gate) == 2 and gate[0].startswith("onnx-int8 failed the fidelity gate: flag agreement 0.9053")
    assert 'class="fidelity"' in text and escaped("0.9053 < 0.995") in text


def test_a_broken_manifest_is_a_warning(tmp_path: Path) -> None:
    broken = json.loads((TINY / "manifest.json").read_text())
    broken["decision"]["event_threshold"] = 7
    (tmp_path / "manifest.json").write_text(json.dumps(broken))
    context = build_context(tmp_path)
    assert context["manifests"][0]["error"]
    assert any("not a usable manifest" in w["text"] and "event_threshold" in w["text"] for w in context["warnings"])


def test_empty_folder_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("nothing quakesat wrote")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("quakesat report: error: ") and "holds nothing" in err
    assert not (tmp_path / "report.html").exists()
    with pytest.raises(NothingToReportError):
        build_context(tmp_path)


def test_missing_folder_and_bad_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "absent")]) == 2
    assert main(["report", str(tmp_path), "--out", str(tmp_path)]) == 2  # a directory, not a file
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("quakesat report: error: ") for line in lines)


def test_out_option_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str], make: SimpleNamespace) -> None:
    make.bench(tmp_path / "in")
    out = tmp_path / "pages" / "bench.html"
    assert main(["report", str(tmp_path / "in"), "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["report"] == str(out) and summary["found"] == ["bench"] and out.is_file()
    assert not (tmp_path / "in" / "report.html").exists()
    # A second report of the same folder does not read the first page as an input.
    assert main(["report", str(tmp_path / "in"), "--out", str(tmp_path / "in" / "report.html")]) == 0
    assert main(["report", str(tmp_path / "in")]) == 0
    assert "report.html" not in build_context(tmp_path / "in", skip=(tmp_path / "in" / "report.html").resolve())[
        "other_files"]


def test_hostile_strings_are_escaped(tmp_path: Path, make: SimpleNamespace) -> None:
    HOSTILE, HOSTILE_STATUS, HOSTILE_NAME = make.HOSTILE, make.HOSTILE_STATUS, make.HOSTILE_NAME
    make.hostile_stream(tmp_path)
    make.mission(tmp_path / "mission", name=HOSTILE_NAME, scenario=HOSTILE)
    make.bench(tmp_path / "bench", artifact=HOSTILE)
    (tmp_path / "x.report.json").write_text(json.dumps({
        "format": "quakesat-run", "version": 1, "stream": HOSTILE, "decoded": HOSTILE_NAME, "messages": 1,
        "bytes": 32, "tiles": 1, "events_flagged": 0, "tile_statuses": {HOSTILE_STATUS: 1}, "dropped": 0,
        "deadlines_missed": 0, "model": None, "profile": {"stages": {HOSTILE: {"ms_per_tile": HOSTILE}}},
        "fault": {"status": HOSTILE_STATUS, "detail": HOSTILE}, "config": {HOSTILE: HOSTILE}}))
    text = page(tmp_path)
    assert_self_contained(text)
    for raw in (HOSTILE, HOSTILE_STATUS, HOSTILE_NAME, "</td></table>"):
        assert raw not in text
        assert escaped(raw) in text
    assert 'id="injected"' not in text
    context = build_context(tmp_path)
    hostile = next(s for s in context["streams"] if s["name"] == "hostile.jsonl")
    assert hostile["alerts"][0]["tile_id"] == HOSTILE and hostile["alerts"][0]["category"] == "unknown"
    assert hostile["errors"] == 2  # the line that is not JSON and the one that is not an object
    said = " | ".join(w["text"] for w in context["warnings"] if w["where"] == "hostile.jsonl")
    for expected in ("failed to decode", "bad input: all_nodata 1", "model fault: backend_error 1",
                     "status no decoder knows", "without a usable position"):
        assert expected in said


def test_a_hostile_file_name_is_escaped(tmp_path: Path, make: SimpleNamespace) -> None:
    (tmp_path / '<b onclick="x">.jsonl').write_text(make.decoded_line() + "\n")
    text = page(tmp_path)
    assert '<b onclick="x">' not in text and escaped('<b onclick="x">.jsonl') in text


def test_shapes_that_break_the_contract_are_warnings(tmp_path: Path, make: SimpleNamespace) -> None:
    """Each record's reader refuses a file of the wrong shape: a warning naming the field, never a crash."""
    tag = {"version": 1}
    (tmp_path / "mission.json").write_text(json.dumps({"format": "quakesat-mission", **tag, "window": "x",
                                                        "contacts": 3, "modes": {"survey": "bad"},
                                                        "queue_timeline": {"survey": [[None, "x"], 5]}}))
    (tmp_path / "bench.json").write_text(json.dumps({"format": "quakesat-bench", **tag, "artifacts": "a",
                                                      "tiles": "t", "rows": [5, {"latency": []}]}))
    (tmp_path / "r.report.json").write_text(json.dumps({"format": "quakesat-run", **tag, "stream": 1,
                                                         "messages": "many", "profile": [], "fault": "yes",
                                                         "evaluation": {"detection": 3}}))
    (tmp_path / "demo_report.json").write_text(json.dumps({"format": "quakesat-demo", "version": 7}))
    (tmp_path / "broken.json").write_text("{not json")
    make.hostile_stream(tmp_path)  # something the page can show
    text = page(tmp_path)
    assert_self_contained(text)
    context = build_context(tmp_path)
    said = {w["where"]: w["text"] for w in context["warnings"]}
    assert "not JSON" in said["broken.json"]
    assert "'window' must be an object" in said["mission.json"]
    assert "'rows[0]' must be an object" in said["bench.json"]
    assert "quakesat run report field 'fault' must be an object" in said["r.report.json"]
    assert "version 7 was written by a newer quakesat" in said["demo_report.json"]
    assert not (context["runs"] or context["missions"] or context["benches"] or context["demos"])


def test_json_files_are_taken_by_their_format_tag_not_their_keys(tmp_path: Path, make: SimpleNamespace) -> None:
    """A record under any name is found by its tag; the old key sets without a tag are just other files."""
    make.mission(tmp_path / "a")
    (tmp_path / "a" / "mission.json").rename(tmp_path / "a" / "renamed.json")
    untagged = {k: v for k, v in make.mission_result().items() if k not in ("format", "version")}
    (tmp_path / "old_mission.json").write_text(json.dumps(untagged))
    (tmp_path / "run_lookalike.json").write_text(json.dumps({"stream": "s", "messages": 1, "profile": {}}))
    (tmp_path / "foreign.json").write_text(json.dumps({"format": "someone-else", "window": {}, "contacts": [],
                                                       "modes": {}}))
    from quakesat.export.record import export_record
    from quakesat.runtime.manifest import load_manifest

    (tmp_path / "export.json").write_text(export_record(load_manifest(make.TINY), "artifacts").to_json())
    context = build_context(tmp_path)
    assert [name for name, kind in context["found"] if kind == "mission"] == ["a/renamed.json"]
    assert [name for name, kind in context["found"] if kind == "export summary"] == ["export.json"]
    assert not context["runs"]
    assert {"old_mission.json", "run_lookalike.json", "foreign.json"} <= set(context["other_files"])


def test_an_untagged_result_of_an_older_quakesat_is_a_warning_not_a_quiet_file(tmp_path: Path,
                                                                             make: SimpleNamespace) -> None:
    untagged = {k: v for k, v in make.mission_result().items() if k not in ("format", "version")}
    (tmp_path / "mission.json").write_text(json.dumps(untagged))
    (tmp_path / "old.report.json").write_text(json.dumps({"stream": "s", "messages": 1, "profile": {}}))
    context = build_context(tmp_path)
    said = {w["where"]: w["text"] for w in context["warnings"]}
    assert "older than its typed records" in said["mission.json"]
    assert "older than its typed records" in said["old.report.json"]
    assert not context["missions"] and "mission.json" not in context["other_files"]


def test_a_corrupted_stream_counts_decode_errors(tmp_path: Path) -> None:
    good = encode(TileReport(0, 1, 1_700_000_000, 38.1, 13.4, 5.0, 0.8, 0x1234, event=True))
    bad = bytearray(encode(TileReport(1, 2, 1_700_000_000, 38.1, 13.4, 0.0, 0.1, 0x1234)))
    bad[-1] ^= 0xFF
    (tmp_path / "downlink.bin").write_bytes(good + bytes(bad))
    context = build_context(tmp_path)
    assert context["streams"][0]["messages"] == 1 and context["streams"][0]["errors"] == 1
    assert any("crc_mismatch 1" in w["text"] and w["level"] == "error" for w in context["warnings"])


def test_a_magnitude_that_was_not_estimated_reads_so(tmp_path: Path) -> None:
    estimated = encode(TileReport(0, 1, 1_700_000_000, 38.1, 13.4, 5.7, 0.9, 0x1234, event=True))
    unestimated = encode(TileReport(1, 2, 1_700_000_000, 38.2, 13.5, 0.0, 0.8, 0x1234, event=True))
    (tmp_path / "downlink.bin").write_bytes(estimated + unestimated)
    text = page(tmp_path)
    assert text.count("not estimated") == 1 and ">5.70<" in text
    assert ">0.00<" not in text


def test_without_matplotlib_the_page_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             make: SimpleNamespace) -> None:
    from quakesat.report import plots as report_plots

    monkeypatch.setattr(report_plots, "missing_reason", lambda: "the plots need matplotlib")
    make.mission(tmp_path)
    text = page(tmp_path)
    assert "No plots: the plots need matplotlib" in text and "data:image/png" not in text


def test_everything_together(full_dir: Path) -> None:
    summary = write_report(full_dir)
    assert summary["found"] == ["bench", "decoded messages", "downlink stream", "export manifest", "mission",
                                "run report", "tile list"]
    text = Path(summary["report"]).read_text(encoding="utf-8")
    assert_self_contained(text)
    assert summary["bytes"] < 1_000_000
    assert "Not in this folder" not in text
