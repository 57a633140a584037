"""Cued mode's chain on hand-built cases whose answer is known exactly (origin → notice →
uplink → acquisition → message ready → alert), the ground routes beside it, the second
satellite (the scenario key, its interleaved ground track) and the ground's merge of two
satellites (the first alert of either; false alerts and bytes add up)."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest

from quakesat.errors import ConfigError
from quakesat.mission import run as mission_run
from quakesat.mission.catalogue import Quake
from quakesat.mission.contacts import Contact
from quakesat.mission.downlink import run_downlink
from quakesat.mission.onboard import ProcessedTile, TileClock, arrivals
from quakesat.mission.scenario import CueSpec, OnboardSpec, SatelliteSpec, Scenario, load_scenario, scenario_to_toml
from quakesat.mission.tiles import CHANGED, EVENT, PlannedTile
from quakesat.runtime.message import MESSAGE_LENGTH, TileReport

START = "2027-01-15T00:00:00Z"
ORIGIN = Scenario(start=START).start_unix + 3600  # 01:00 UTC
LATENCY = 1200.0  # the agency posts the event 20 min after the origin
DELAY = 2.5  # seconds from acquisition to the tile's message on board
MODEL_ID = 0xBEEF
HOUR = 3600.0


def _scenario() -> Scenario:
    return Scenario(start=START, duration_hours=24.0, cue=CueSpec(agency_latency_s=LATENCY, active_hours=48.0),
                    onboard=OnboardSpec(artifacts="hand-built", health_every=0))


SCENARIO = _scenario()
OVERHEAD = SCENARIO.downlink.overhead_s  # 30 s of acquisition of signal per contact
SLOT = MESSAGE_LENGTH * 8 / SCENARIO.downlink.rate_bps  # 4 ms per 32-byte message at 64 kbit/s
QUAKE = Quake(0, "hand-built", ORIGIN, 40.0, 20.0, 10.0, 6.8)


def _result(tile_id: int, when: float, kind: str = EVENT, flagged: bool = True) -> mission_run.TileResult:
    plan = PlannedTile(tile_id, int(when), int(when) - 12 * 86_400, 40.0, 20.0, kind, 0 if kind == EVENT else -1)
    report = TileReport(seq=0, tile_id=tile_id, time=int(when), lat=40.0, lon=20.0, magnitude=6.5 if flagged else 0.0,
                        confidence=1.0 if flagged else 0.0, model_id=MODEL_ID, event=flagged)
    return mission_run.TileResult(plan, report, 0.5 if kind == EVENT else 0.0, 8.0, "")


def _fly_by_hand(mode: str, results: list[mission_run.TileResult], windows: list[Contact],
                 looks: list[float]) -> tuple[dict, dict]:
    """One satellite's mode through the mission's own functions: the cue's uplink, the tiles
    the mode processes, the onboard queue, the downlink, the figures."""
    uplinks = mission_run.cue_uplinks([QUAKE], windows, SCENARIO)
    if mode == "cued":
        processed = mission_run.cued_event_tiles(results, uplinks, SCENARIO.cue.active_hours * HOUR, DELAY)
    else:
        processed = [ProcessedTile(r.plan.time + DELAY, r.report, False) for r in results]
    queue_in = arrivals(processed, TileClock(np.zeros(0), np.zeros(0)), "alerts", 0)
    delivery = run_downlink(queue_in, windows, SCENARIO.downlink, 1024, MODEL_ID, SCENARIO.end_unix)
    processing = {"delay_s": DELAY, "joules_per_tile": 0.1, "energy_basis": "hand-built"}
    figures = mission_run.mode_metrics(mode, [QUAKE], results, processed, len(processed), delivery, SCENARIO,
                                       {0: looks}, uplinks, processing, 512, 14.58, [])
    return figures, {"uplinks": uplinks, "delivery": delivery}


# Satellite A: a contact before the agency posts (too early to carry the cue), one after it
# (the uplink), a look at the epicentre before the cue arrives and one 5 h after the origin,
# and a contact 1000 s after that look.
LOOK_EARLY, LOOK_A = ORIGIN + 1800.0, ORIGIN + 5 * HOUR
WINDOWS_A = [Contact(ORIGIN + 600, ORIGIN + 900, ("S",), 30.0), Contact(ORIGIN + 3000, ORIGIN + 3400, ("S",), 40.0),
             Contact(LOOK_A + 1000, LOOK_A + 1600, ("S",), 50.0)]
RESULTS_A = [_result(1, LOOK_EARLY), _result(2, LOOK_A), _result(3, ORIGIN + 2 * HOUR, CHANGED)]
# Satellite B: its own contacts and a look 4 h after the origin, 300 s before one of them.
LOOK_B = ORIGIN + 4 * HOUR
WINDOWS_B = [Contact(ORIGIN + 2000, ORIGIN + 2400, ("M",), 20.0), Contact(LOOK_B + 300, LOOK_B + 900, ("M",), 25.0)]
RESULTS_B = [_result(SATELLITE_B := mission_run.SATELLITE_ID_STRIDE + 1, LOOK_B),
             _result(SATELLITE_B + 1, ORIGIN + 3 * HOUR, CHANGED), _result(SATELLITE_B + 2, ORIGIN + 6 * HOUR, CHANGED)]


def test_the_cued_chain_is_what_the_hand_built_case_says() -> None:
    figures, flown = _fly_by_hand("cued", RESULTS_A, WINDOWS_A, [LOOK_EARLY, LOOK_A])
    notice = ORIGIN + LATENCY  # 01:20
    uplink = WINDOWS_A[1].start + OVERHEAD  # the first contact still open after the notice, past its overhead
    ready = LOOK_A + DELAY  # the look at 05:00 is the first after the uplink; 01:30's came before it
    alert = WINDOWS_A[2].start + OVERHEAD + SLOT  # the next contact: its first message slot
    assert flown["uplinks"] == {0: uplink}
    entry = figures["per_event"][0]
    assert entry["outcome"] == "alerted" and entry["tiles_processed"] == 1
    assert entry["chain"] == pytest.approx({"origin": ORIGIN, "notice": notice, "uplink": uplink,
                                            "acquisition": LOOK_A, "detection_ready": ready, "alert": alert},
                                           abs=1e-3)
    assert entry["cue_uplinked"] == pytest.approx(uplink)
    assert entry["to_acquisition_h"] == round(5.0, 3)
    assert entry["to_alert_h"] == round((alert - ORIGIN) / HOUR, 3)
    assert entry["acquisition_to_alert_h"] == round((alert - LOOK_A) / HOUR, 3)
    assert figures["acquisition_to_alert"]["median_h"] == round((1000 + OVERHEAD + SLOT) / HOUR, 3)
    # The ground's stream holds exactly that alert.
    assert flown["delivery"].delivered_at == [pytest.approx(alert)]
    goal = mission_run.goal_figures({"cued": figures})["modes"]["cued"]
    minutes = round((1000 + OVERHEAD + SLOT) / 60.0, 2)  # 17.17 min: within the 30-minute goal
    assert goal == {"events": 1, "median_min": minutes, "p90_min": minutes, "met": True}


def test_survey_mode_takes_the_look_before_the_cue() -> None:
    figures, _ = _fly_by_hand("survey", RESULTS_A, WINDOWS_A, [LOOK_EARLY, LOOK_A])
    entry = figures["per_event"][0]
    assert entry["chain"]["notice"] is None and entry["chain"]["uplink"] is None
    assert entry["chain"]["acquisition"] == LOOK_EARLY
    assert entry["chain"]["alert"] == pytest.approx(WINDOWS_A[1].start + OVERHEAD + SLOT, abs=1e-3)
    # The event-free tile it flagged is a false alert, delivered at the same contact.
    assert figures["false_alerts"]["flagged_on_board"] == figures["false_alerts"]["delivered"] == 1


def test_the_ground_routes_start_from_the_first_look_whatever_the_cue() -> None:
    figures, _ = _fly_by_hand("cued", RESULTS_A, WINDOWS_A, [LOOK_EARLY, LOOK_A])
    routes = figures["per_event"][0]["ground_routes"]
    after = (LOOK_EARLY - ORIGIN) / HOUR  # 0.5 h: the ground routes need no cue
    assert routes["first_look_h"] == after
    nrt, licsar, irea = (mission_run.NRT_HOURS, mission_run.LICSAR_HOURS, mission_run.IREA_HOURS)
    assert routes["nrt"] == {"acquisition_to_product_h": list(nrt),
                             "origin_to_product_h": [after + nrt[0], after + nrt[1]]}
    # The interferogram routes start when the data is on the ground, after the NRT product.
    assert routes["licsar"]["acquisition_to_product_h"] == [nrt[0] + licsar[0], nrt[1] + licsar[1]]
    assert routes["irea"]["origin_to_product_h"] == [after + nrt[0] + irea[0], after + nrt[1] + irea[1]]
    mode_routes = figures["ground_route"]["routes"]
    assert set(mode_routes) == {"nrt", "licsar", "irea"}
    assert mode_routes["licsar"]["origin_to_product_earliest"]["median_h"] == after + nrt[0] + licsar[0]
    assert "Lazecky et al. 2020" in mode_routes["licsar"]["source"]
    assert "Monterroso et al. 2020" in mode_routes["irea"]["source"]


def test_a_notice_after_the_last_contact_is_never_uplinked() -> None:
    late = dataclasses.replace(QUAKE, origin=int(WINDOWS_A[-1].end))
    assert mission_run.cue_uplinks([late], WINDOWS_A, SCENARIO) == {0: None}
    # Posted during a contact: the overhead after the posting.
    during = dataclasses.replace(QUAKE, origin=int(WINDOWS_A[1].start + 100 - LATENCY))
    assert mission_run.cue_uplinks([during], WINDOWS_A, SCENARIO) == {0: WINDOWS_A[1].start + 100 + OVERHEAD}


# ─── two satellites ─────────────────────────────────────────────────────────────────────
def _pair(mode: str) -> tuple[list[SimpleNamespace], dict]:
    flights = []
    for name, results, windows, looks in (("A", RESULTS_A, WINDOWS_A, [LOOK_EARLY, LOOK_A]),
                                          ("B", RESULTS_B, WINDOWS_B, [LOOK_B])):
        figures, _ = _fly_by_hand(mode, results, windows, looks)
        flights.append(SimpleNamespace(name=name, modes={mode: figures}, orbits=14.58,
                                       pool=[r.report for r in results if r.plan.kind != EVENT]))
    return flights, mission_run.constellation_metrics(mode, [QUAKE], flights, SCENARIO)


def test_the_ground_takes_the_first_alert_of_either_satellite() -> None:
    flights, pair = _pair("cued")
    entry = pair["per_event"][0]
    alert_a = flights[0].modes["cued"]["per_event"][0]["chain"]["alert"]
    alert_b = WINDOWS_B[1].start + OVERHEAD + SLOT  # B's look at 04:00, its contact 300 s later
    assert alert_b < alert_a
    assert entry["chain"]["alert"] == pytest.approx(alert_b, abs=1e-3) and entry["alerted_by"] == "B"
    assert entry["chain"]["acquisition"] == LOOK_B and entry["acquired_by"] == "B"
    assert entry["chain"]["uplink"] == pytest.approx(WINDOWS_B[0].start + OVERHEAD)  # B's came first
    assert entry["to_alert_h"] == round((alert_b - ORIGIN) / HOUR, 3)
    assert entry["by_satellite"]["A"]["to_alert_h"] == round((alert_a - ORIGIN) / HOUR, 3)
    assert pair["satellites"] == ["A", "B"] and pair["outcomes"] == {"alerted": 1}
    # The ground routes take the first look of either: A's, before any cue.
    assert entry["ground_routes"]["first_look_h"] == (LOOK_EARLY - ORIGIN) / HOUR
    buys = mission_run.what_it_buys(flights[0].modes["cued"], pair)
    assert buys["time_to_alert"]["median_change_h"] == pytest.approx((alert_b - alert_a) / HOUR, abs=2e-3)
    assert buys["alert_earlier"]["events"] == 1
    assert buys["alert_earlier"]["median_h"] == pytest.approx((alert_a - alert_b) / HOUR, abs=2e-3)


def test_false_alerts_and_bytes_add_up_across_the_satellites() -> None:
    flights, pair = _pair("survey")
    a, b = (f.modes["survey"] for f in flights)
    assert a["false_alerts"]["flagged_on_board"] == 1 and b["false_alerts"]["flagged_on_board"] == 2
    assert pair["false_alerts"]["flagged_on_board"] == 3
    # B's flag at 06:00 comes after its last contact: on board at the end, not delivered.
    assert pair["false_alerts"]["delivered"] == 2 and pair["queue"]["left_on_board"] == 1
    assert pair["false_alerts"]["sample_tiles"] == 3 and pair["false_alerts"]["sample_rate"] == 1.0
    assert pair["downlink"]["bytes"] == a["downlink"]["bytes"] + b["downlink"]["bytes"] > 0
    assert pair["downlink"]["messages"] == a["downlink"]["messages"] + b["downlink"]["messages"]
    assert pair["tiles"]["processed"] == a["tiles"]["processed"] + b["tiles"]["processed"]
    assert pair["queue"]["max_fill"] == max(a["queue"]["max_fill"], b["queue"]["max_fill"])
    # Survey: A's look 30 min after the origin, B's at 4 h; A's alert comes first.
    assert pair["per_event"][0]["alerted_by"] == "A"


def test_the_ground_stream_interleaves_the_satellites_by_arrival() -> None:
    _, flown_a = _fly_by_hand("survey", RESULTS_A, WINDOWS_A, [LOOK_EARLY, LOOK_A])
    _, flown_b = _fly_by_hand("survey", RESULTS_B, WINDOWS_B, [LOOK_B])
    a, b = flown_a["delivery"], flown_b["delivery"]
    stream = mission_run.merged_stream([a, b])
    from quakesat.ground.decode import iter_stream

    def arrived(delivery) -> list[tuple[float, int]]:
        return [(when, message.tile_id) for when, (_, message) in zip(delivery.delivered_at,
                                                                       iter_stream(bytes(delivery.stream)))]

    expected = [tile for _, tile in sorted(arrived(a) + arrived(b))]
    got = [message.tile_id for _, message in iter_stream(stream)]
    assert got == expected and len(stream) == len(a.stream) + len(b.stream)
    assert {tile >= mission_run.SATELLITE_ID_STRIDE for tile in got} == {False, True}  # both satellites in it


# ─── the scenario key and the second satellite's orbit ──────────────────────────────────
@pytest.mark.parametrize("text, message", [
    ("[satellite]\ncount = 3\n", "satellite.count must be 1 or 2, got 3"),
    ("[satellite]\ncount = 0\n", "satellite.count must be 1 or 2"),
    ("[satellite]\ncount = true\n", "satellite.count must be an integer"),
    ("[satellite]\ncount = 2\norbits_per_repeat = 176\n", "needs an odd orbits_per_repeat"),
])
def test_the_satellite_count_is_checked(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_scenario(path)


def test_the_count_defaults_to_one_and_round_trips(tmp_path) -> None:
    from quakesat.cli import main

    assert Scenario().satellite.count == 1
    two = dataclasses.replace(Scenario(), satellite=SatelliteSpec(count=2))
    path = tmp_path / "two.toml"
    path.write_text(scenario_to_toml(two), encoding="utf-8")
    assert load_scenario(path) == two
    written = tmp_path / "cli.toml"
    assert main(["mission", "--satellites", "2", "--write-scenario", str(written)]) == 0
    assert load_scenario(written).satellite.count == 2


def test_the_second_satellite_flies_the_first_ones_track_half_a_repeat_later() -> None:
    pytest.importorskip("skyfield")
    from skyfield.api import load

    from quakesat.mission.orbit import design_sun_synchronous, ground_track, interleave_phase_deg, satellite_from_design

    timescale = load.timescale(builtin=True)
    start = Scenario().start_unix
    design = design_sun_synchronous(start, 12, 175, 18.0, 0.0001, 90.0, timescale)
    phase = mission_run.satellite_phase_deg(dataclasses.replace(Scenario(), satellite=SatelliteSpec(count=2)), 1)
    assert phase == interleave_phase_deg(175) == 180.0  # 87.5 revolutions in 6 days: half a revolution over
    a = satellite_from_design(design, start, timescale)
    b = satellite_from_design(design, start, timescale, phase)

    def gap_km(x, y) -> np.ndarray:
        return np.degrees(np.arccos(np.clip(np.sum(x.up * y.up, axis=1), -1.0, 1.0))) * 111.2

    for offset in (0.0, 2.5 * 86_400):
        track_b = ground_track(b, timescale, start + offset, 3 * HOUR, 60.0)
        a_later = ground_track(a, timescale, start + offset + 6 * 86_400, 3 * HOUR, 60.0)
        a_now = ground_track(a, timescale, start + offset, 3 * HOUR, 60.0)
        assert gap_km(track_b, a_later).max() < 3.0  # B now is A six days on
        assert gap_km(track_b, a_now).min() > math.pi * 6371 * 0.9  # and half a world from A now
    with pytest.raises(ConfigError, match="odd number of orbits"):
        interleave_phase_deg(176)
    # A TLE's second satellite is the same set 180° further along: B's orbit again.
    from sgp4.exporter import export_tle

    from quakesat.mission.orbit import satellite_from_tle

    from_tle = satellite_from_tle(*export_tle(a.model), timescale, 180.0)
    track_b = ground_track(b, timescale, start, 3 * HOUR, 60.0)
    assert gap_km(ground_track(from_tle, timescale, start, 3 * HOUR, 60.0), track_b).max() < 3.0


def test_the_record_refuses_a_satellite_that_is_not_an_object() -> None:
    from quakesat.errors import RecordError
    from quakesat.mission.record import FORMAT, VERSION, parse_mission_record

    base = {"format": FORMAT, "version": VERSION, "scenario": "s", "window": {"start": 0, "end": 1, "hours": 1,
            "orbits": 1}, "contacts": [], "modes": {}, "model": {}}
    assert parse_mission_record(base | {"satellites": {"B": {"modes": {}}}}).satellites == {"B": {"modes": {}}}
    with pytest.raises(RecordError, match="satellites.B"):
        parse_mission_record(base | {"satellites": {"B": 3}})
