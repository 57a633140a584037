"""The report's view of a same-track mission: the store, the survey goal, the thumbnails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quakesat.report.build import build_context, render
from quakesat.runtime.thumbnail import NO_SIGNAL, Thumbnail, encode_thumbnail
from tests.report.conftest import mission_result

pytest.importorskip("jinja2")

STORE = {"budget_gb": 4.0, "format": "p1 b4", "direction": "descending", "cell_deg": 2.0, "tiles": 60545,
         "bytes": 3_999_844_880, "tiles_checked": 5046.0, "tiles_checked_per_orbit": 346.0,
         "tiles_checked_per_day": 5045.4, "refresh_bytes_per_day": 333_320_407, "joules_per_day": 143.0,
         "swath_share_over_store": 0.0575, "quakes_in_store": [0], "quakes_outside_store": [1]}


def _write(folder: Path, per_orbit: float, thumbnails: bytes | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    result = mission_result()
    result["store"] = STORE
    result["modes"]["survey"]["false_alerts"]["per_orbit"] = per_orbit
    (folder / "mission.json").write_text(json.dumps(result), encoding="utf-8")
    if thumbnails is not None:
        (folder / "cued_thumbnails.bin").write_bytes(thumbnails)


def _thumbnail(tile_id: int, codes: tuple[int, ...]) -> bytes:
    return encode_thumbnail(Thumbnail(0, tile_id, 1_767_260_000, 41.5, 19.5, 1280, 0x3070, codes))


def test_a_survey_over_the_goal_is_said_and_warned(tmp_path: Path) -> None:
    _write(tmp_path, 123.4, _thumbnail(3, tuple(range(15)) * 17 + (NO_SIGNAL,)))
    context = build_context(tmp_path)
    mission = context["missions"][0]
    assert mission["store"]["goal_met"] is False and mission["store"]["inside"] == 1
    assert any("123.4 false alerts per orbit" in w["text"] for w in context["warnings"])
    page = render(context)
    assert 'id="survey-goal"' in page and "not met" in page
    assert len(mission["thumbnails"]) == 1 and mission["thumbnails"][0]["coherent"] == 255
    assert "Deformation thumbnails" in page and "tile 3," in page


def test_a_survey_within_the_goal_is_met_and_a_broken_thumbnail_is_an_error(tmp_path: Path) -> None:
    good = _thumbnail(3, (NO_SIGNAL,) * 256)
    broken = bytearray(_thumbnail(4, (0,) * 256))
    broken[-1] ^= 0xFF
    _write(tmp_path, 0.5, good + bytes(broken))
    context = build_context(tmp_path)
    assert context["missions"][0]["store"]["goal_met"] is True
    assert any("failed to decode" in w["text"] and w["level"] == "error" for w in context["warnings"])
    assert [t["tile_id"] for t in context["missions"][0]["thumbnails"]] == [3]


def test_an_amplitude_mission_has_no_store_section(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "mission.json").write_text(json.dumps(mission_result()), encoding="utf-8")
    context = build_context(tmp_path)
    assert context["missions"][0]["store"] is None and context["missions"][0]["thumbnails"] == []
    assert 'id="survey-goal"' not in render(context)


def test_the_survey_curve_is_drawn_with_its_provenance_or_its_absence_said(tmp_path: Path, monkeypatch) -> None:
    from quakesat.mission import aggregation_study
    from quakesat.report import mission_store

    curve = {"format": aggregation_study.CURVE_FORMAT, "version": 1, "measured": "2026-12-06", "seed": 0,
             "tiles_per_orbit": 346.0, "goal": {"false_per_orbit": 1.0, "recall": 0.5, "mw": 5.5},
             "sizes": {"test": {"event_blocks": 50, "event_free_blocks": 130}},
             "curves": [{"statistic": "fringe", "rule": "single tile",
                         "points": [{"false_per_orbit": 0.5, "recall_goal": 0.3}, {"false_per_orbit": 8.0,
                                                                                   "recall_goal": 0.55}]}]}
    path = tmp_path / "curve.json"
    path.write_text(json.dumps(curve), encoding="utf-8")
    monkeypatch.setattr(aggregation_study, "CURVE_FILE", path)
    picture, note = mission_store.survey_curve()
    assert picture and picture.startswith("data:image/png") and "2026-12-06" in note and "not by this mission" in note
    monkeypatch.setattr(aggregation_study, "CURVE_FILE", tmp_path / "absent.json")
    picture, note = mission_store.survey_curve()
    assert picture is None and "not packaged" in note
