"""Folders for the ``quakesat report`` tests: what run, mission, bench and export write, small.

A run is real (``quakesat run`` with the tiny model on the runner's tile list; it needs
onnxruntime). The mission, bench and decoded files are written here in the shapes of their
records (mission/record.py, bench/record.py) and of ``quakesat decode``, small enough to read
and with hostile strings where a test asks for them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from quakesat.runtime.message import HealthReport, TileReport, encode
from quakesat.runtime.status import Status

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
TINY = VECTORS / "tiny_model"
TILE_LIST = VECTORS / "runner" / "tiles.jsonl"
#: Strings that would run or restructure the page if they were not escaped.
HOSTILE = '<script>alert("tile")</script>'
HOSTILE_STATUS = '<img src=x onerror=alert(1)>'
HOSTILE_NAME = '"><b id="injected">Quake</b>'


def tile_list(folder: Path) -> Path:
    """The runner's tile list beside ``folder``'s run, its images named by absolute path."""
    lines = []
    for line in TILE_LIST.read_text(encoding="utf-8").splitlines():
        obj = json.loads(line)
        for key in ("pre", "post"):
            obj[key] = str(TILE_LIST.parent / obj[key])
        lines.append(json.dumps(obj))
    path = folder / "tile_list" / "tiles.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_run(folder: Path, artifacts: Path = TINY, stream: str = "messages.bin") -> Path:
    """``quakesat run`` over the runner's tile list into ``folder``; returns the stream's path.
    In fault mode: a model that cannot be used flies as on board (the report shows it)."""
    from quakesat.cli import main

    folder.mkdir(parents=True, exist_ok=True)
    tiles = tile_list(folder)
    assert main(["run", "--artifacts", str(artifacts), "--tiles", str(tiles), "--out", str(folder / stream),
                 "--fault-mode"]) == 0
    return folder / stream


def mission_result(name: str = "Durres, Albania", scenario: str = "default") -> dict[str, Any]:
    """A mission.json in the shape mission/run.py writes, one day, two modes, two earthquakes."""
    start = 1_767_225_600

    def mode(alerted: bool) -> dict[str, Any]:
        hours = [9.5] if alerted else []
        return {
            "mode": "survey", "events": 2, "outcomes": {"alerted": len(hours), "not imaged in the window": 1},
            "time_to_acquisition": {"n": 1, "median_h": 9.4, "p90_h": 9.4},
            "time_to_detection": {"n": 1, "median_h": 9.4, "p90_h": 9.4},
            "time_to_alert": {"n": len(hours), "median_h": hours[0] if hours else None, "p90_h": hours[0] if hours else None},
            "acquisition_to_alert": {"n": len(hours), "median_h": 0.1 if hours else None, "p90_h": 0.1 if hours else None},
            "alert_hours": hours,
            "tiles": {"processed": 1200, "run_through_runtime": 40, "drawn_from_sample": 1160},
            "false_alerts": {"per_day": 3.0, "delivered": 2, "per_orbit": 0.2},
            "downlink": {"messages": 5, "bytes": 160, "decode_errors": 0},
            "queue": {"capacity": 1024, "max_fill": 30, "dropped": 7, "dropped_events": 2, "left_on_board": 0,
                      "left_events_on_board": 0},
            "energy": {"joules_per_day": 2155.0},
            "per_event": [
                {"index": 0, "name": name, "mw": 6.4, "looks": 1, "tiles_processed": 9, "tiles_with_damage": 5,
                 "to_acquisition_h": 9.4, **({"to_alert_h": 9.5} if alerted else {}),
                 "outcome": "alerted" if alerted else "detected, alert dropped or still on board"},
                {"index": 1, "name": "Gorkha, Nepal", "mw": 7.8, "looks": 0, "tiles_processed": 0,
                 "tiles_with_damage": 0, "outcome": "not imaged in the window"}],
        }

    return {
        "format": "quakesat-mission", "version": 1, "scenario": scenario, "window": {"start": start, "end": start + 86_400, "hours": 24.0, "orbits": 14.58},
        "orbit": {"source": "sun-synchronous repeat-track design", "period_min": 98.74},
        "swath": {"tile_km": 5.12},
        "stations": {"Svalbard": {"contacts": 2, "minutes": 18.0}, "Matera": {"contacts": 1, "minutes": 8.5}},
        "contacts": [{"start": start + 3_600, "end": start + 4_200, "stations": ["Svalbard"], "max_elevation_deg": 12.0},
                     {"start": start + 40_000, "end": start + 40_600, "stations": ["Matera"], "max_elevation_deg": 40.0}],
        "model": {"artifact": "onnx-fp32", "runtime": "python", "model_id": 12400, "raw_side": 64},
        "catalogue": [{"index": 0, "name": name, "latitude": 41.51, "longitude": 19.52, "mw": 6.4},
                      {"index": 1, "name": "Gorkha, Nepal", "latitude": 28.23, "longitude": 84.73, "mw": 7.8}],
        "modes": {"survey": mode(True), "cued": mode(False) | {"mode": "cued"}},
        "queue_timeline": {"survey": [[start, 0], [start + 3_000, 30], [start + 4_200, 0]], "cued": [[start, 0]]},
        "simulated_tiles": 40, "seconds": 1.5,
    }


def write_mission(folder: Path, **kwargs: Any) -> Path:
    """mission.json and a survey_downlink.bin (an alert at the epicentre, a false alert, health)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mission.json").write_text(json.dumps(mission_result(**kwargs)), encoding="utf-8")
    start = 1_767_225_600
    messages = [TileReport(0, 3, start + 34_000, 41.5, 19.5, 5.1, 0.9, 0x3070, event=True),
                TileReport(1, 1_000_004, start + 34_010, -10.0, 120.0, 0.0, 0.6, 0x3070, event=True),
                TileReport(2, 1_000_005, start + 34_020, -10.1, 120.1, 0.0, 0.1, 0x3070),
                HealthReport(3, start + 40_000, 70.0, 15.0, 1200, 7, 0.03, 0x3070, status=Status.QUEUE_OVERFLOW)]
    (folder / "survey_downlink.bin").write_bytes(b"".join(encode(m) for m in messages))
    return folder / "mission.json"


def bench_result(artifact: str = "onnx-fp32") -> dict[str, Any]:
    """A bench.json in the shape bench/suite.py writes: one measured row, one failed row."""
    return {
        "format": "quakesat-bench", "version": 1, "artifacts": "artifacts/quakelite", "tiles": "tiles.jsonl",
        "tile_side": 64, "preprocess_version": 2, "policy": {"min_runs": 50, "min_seconds": 2.0},
        "default_artifacts": {"python": "onnx-fp32", "cpp": "pte-fp32"},
        "seed_equivalent": {"model": "MobileNetV2-1.0, PyTorch eager fp32", "latency": {"p50_ms": 113.9}},
        "machine": {"processor": "x86_64", "cpu_count": 2},
        "rows": [{"artifact": artifact, "runtime": "python", "threads": 1, "format": "onnx", "precision": "fp32",
                  "latency": {"p50_ms": 0.65, "p90_ms": 0.81, "p99_ms": 4.0, "tiles_per_s": 1351.0},
                  "speedup_vs_seed": 168.5, "rss_peak_bytes": 67_792_896, "model_bytes": 161_829,
                  "accuracy_at_operating_point": 0.461, "flag_agreement": 1.0, "gate_passed": True,
                  "instructions_per_tile": {"cortex-a53": "unavailable: not built"}},
                 {"artifact": "pte-int8", "runtime": "cpp", "threads": 1, "error": "the runner is not built"}],
    }


def write_bench(folder: Path, **kwargs: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.json"
    path.write_text(json.dumps(bench_result(**kwargs)), encoding="utf-8")
    return path


def write_export(folder: Path) -> Path:
    """The tiny model's manifest (two int8 artifacts fail its fidelity gate)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TINY / "manifest.json", folder / "manifest.json")
    return folder / "manifest.json"


def decoded_line(**fields: Any) -> str:
    """One line as ``quakesat decode`` prints it, fields overridden."""
    obj = {"apid": 705, "seq": 0, "version": 1, "kind": "tile_report", "status": [], "reason": "ok", "event": True,
           "gated": False, "located": True, "tile_id": 7, "time": "2026-01-01T00:00:00Z", "lat": 38.1, "lon": 13.4,
           "magnitude": 5.2, "confidence": 0.91, "model_id": "3070"}
    return json.dumps(obj | fields)


def write_hostile_stream(folder: Path) -> Path:
    """Decoded messages whose strings are markup, plus lines that are not messages at all."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile.jsonl"
    path.write_text("\n".join([
        decoded_line(tile_id=HOSTILE, reason=HOSTILE_STATUS, time=HOSTILE_NAME, model_id="</td></table>"),
        decoded_line(seq=1, tile_id=8, reason="all_nodata", event=False, located=False),
        decoded_line(seq=2, tile_id=9, reason="no_georeference", event=False, lat=0.0, lon=0.0),
        decoded_line(seq=3, tile_id=10, reason="backend_error", event=False),
        "not json {",
        "[1, 2]",
    ]) + "\n", encoding="utf-8")
    return path


#: Three tiles on the Albanian coast: one earthquake tile, two without.
COAST_TILES = ((7, 41.31, 19.45, 1), (8, 41.36, 19.49, 0), (9, 41.33, 19.40, 0))


def write_labelled_tiles(folder: Path, labels: bool = True) -> Path:
    """A tile list of :data:`COAST_TILES` (64 px .npy pairs at 10 m), labelled when ``labels``."""
    import numpy as np

    (folder / "tiles").mkdir(parents=True, exist_ok=True)
    image = np.zeros((64, 64, 2), dtype=np.float32)
    np.save(folder / "tiles" / "a.npy", image)
    lines = []
    for tile_id, lat, lon, label in COAST_TILES:
        line = {"tile_id": tile_id, "time": 1_767_225_600, "lat": lat, "lon": lon, "pixel_spacing_m": 10.0,
                "pre": "tiles/a.npy", "post": "tiles/a.npy"}
        lines.append(json.dumps(line | ({"label": label} if labels else {})))
    path = folder / "tiles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_small_folder(folder: Path) -> Path:
    """The folder the page tests read: a mission with a full queue (its downlink: an alert at
    Durres, caught, and a false one in the Banda Sea with no magnitude), the flown model's
    decoded stream over a labelled tile list (a caught alert with no magnitude estimate, a false
    alert, a tile without alert), a baseline's stream, the demo summary naming both, a bench
    with its accuracy plot."""
    from quakesat.evaluation.plots import plot_bench_accuracy

    write_mission(folder / "mission")
    mission = mission_result()
    for figures in mission["modes"].values():  # a full queue: as many waiting as it holds
        figures["queue"] |= {"capacity": 64, "max_fill": 64, "dropped": 7, "dropped_events": 2}
    (folder / "mission" / "mission.json").write_text(json.dumps(mission), encoding="utf-8")
    write_labelled_tiles(folder / "tile_list")
    (folder / "insar_messages.jsonl").write_text("\n".join([
        decoded_line(seq=0, tile_id=7, lat=41.3102, lon=19.4507, magnitude=None, confidence=0.93),
        decoded_line(seq=1, tile_id=8, lat=41.3598, lon=19.4903, magnitude=4.4, confidence=0.71),
        decoded_line(seq=2, tile_id=9, lat=41.33, lon=19.40, event=False, magnitude=None, confidence=0.05),
    ]) + "\n", encoding="utf-8")
    (folder / "baseline_messages.jsonl").write_text(
        decoded_line(seq=0, tile_id=9, lat=41.33, lon=19.40, magnitude=None, confidence=1.0) + "\n",
        encoding="utf-8")
    demo = {"format": "quakesat-demo", "version": 1, "out": ".", "simulate": {}, "verdict": {"says": "a verdict"},
            "insar_messages": {"file": "out/insar_messages.bin"}, "baseline_messages": {"file": "baseline_messages.bin"}}
    (folder / "demo_report.json").write_text(json.dumps(demo), encoding="utf-8")
    write_bench(folder / "bench")
    plot_bench_accuracy([{"artifact": "onnx-fp32", "runtime": "python", "accuracy": 0.56, "latency_ms": 0.65}],
                        folder / "bench" / "bench_accuracy.png")
    return folder


@pytest.fixture(scope="session")
def make() -> SimpleNamespace:
    """The writers above and the hostile strings, for the tests (conftest is not importable)."""
    return SimpleNamespace(run=write_run, mission=write_mission, mission_result=mission_result, bench=write_bench,
                           export=write_export,
                           hostile_stream=write_hostile_stream, decoded_line=decoded_line, HOSTILE=HOSTILE,
                           HOSTILE_STATUS=HOSTILE_STATUS, HOSTILE_NAME=HOSTILE_NAME, TINY=TINY,
                           labelled_tiles=write_labelled_tiles, small_folder=write_small_folder)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ``quakesat run`` with the tiny model (onnxruntime) into its own folder."""
    pytest.importorskip("onnxruntime")
    folder = tmp_path_factory.mktemp("report_run")
    write_run(folder)
    return folder


@pytest.fixture(scope="module")
def full_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Everything at once, as ``quakesat demo`` lays it out: a run, a mission, a bench, an export,
    and one hostile decoded stream."""
    pytest.importorskip("onnxruntime")
    folder = tmp_path_factory.mktemp("report_full")
    write_run(folder)
    write_mission(folder / "mission", name=HOSTILE_NAME)
    write_bench(folder / "bench", artifact=HOSTILE)
    write_export(folder / "artifacts" / "quakelite")
    write_hostile_stream(folder)
    return folder


#: Chromium's headless flags: no sandbox (root in CI), no GPU, nothing on the network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _keep_screenshot(screenshot: Path) -> None:
    """Copy a page's screenshot to ``QUAKESAT_TEST_ARTIFACTS`` where that names a folder."""
    folder = os.environ.get("QUAKESAT_TEST_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, Path(folder) / screenshot.name)


@pytest.fixture(scope="session")
def chromium() -> SimpleNamespace:
    """The system chromium (``QUAKESAT_CHROMIUM``, else ``chromium`` on the PATH), its headless
    flags and the screenshot keeper; the test skips, saying why, where there is none."""
    for candidate in (os.environ.get("QUAKESAT_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return SimpleNamespace(path=candidate, args=list(CHROMIUM_ARGS), keep=_keep_screenshot)
    pytest.skip("chromium is not installed (apt-get install -y chromium; bash scripts/system_packages.sh)")
