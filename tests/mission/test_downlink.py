"""Contacts releasing the onboard queue under the link budget: exact delivery times, a contact
too short for the queue, a full queue, health reports carrying the drops, nothing silent."""

from __future__ import annotations

import numpy as np
import pytest

from quakesat.ground.decode import iter_stream
from quakesat.mission.contacts import Contact
from quakesat.mission.downlink import run_downlink
from quakesat.mission.onboard import Arrival, ProcessedTile, TileClock, arrivals, drawn_tiles
from quakesat.mission.scenario import DownlinkSpec
from quakesat.runtime.message import MESSAGE_LENGTH, HealthReport, TileReport

MODEL_ID = 0x1234


def report(tile_id: int, when: int, event: bool, magnitude: float = 5.0) -> TileReport:
    return TileReport(seq=0, tile_id=tile_id, time=when, lat=10.0, lon=20.0, magnitude=magnitude,
                      confidence=0.9 if event else 0.1, model_id=MODEL_ID, event=event)


def tile_arrivals(n: int, start: float, event: bool = True) -> list[Arrival]:
    return [Arrival(start + k, report(k + 1, int(start + k), event, 4.0 + k / n), k + 1) for k in range(n)]


def decoded(delivery) -> list:
    return [m for _, m in iter_stream(bytes(delivery.stream))]


def test_messages_leave_one_slot_apart_after_the_overhead() -> None:
    link = DownlinkSpec(rate_bps=2560.0, overhead_s=30.0)  # one 32-byte message per 0.1 s
    delivery = run_downlink(tile_arrivals(5, 0.0), [Contact(1000.0, 1600.0, ("S",), 40.0)], link, 100, MODEL_ID,
                            2000.0)
    assert len(delivery.stream) == 5 * MESSAGE_LENGTH
    assert delivery.delivered_at == pytest.approx([1030.1, 1030.2, 1030.3, 1030.4, 1030.5])
    messages = decoded(delivery)
    # Events leave largest magnitude first; sequence counts follow the order they queued.
    assert [m.magnitude for m in messages] == sorted((m.magnitude for m in messages), reverse=True)
    assert sorted(m.seq for m in messages) == [0, 1, 2, 3, 4]
    assert delivery.dropped == delivery.left_on_board == 0


def test_a_contact_too_short_for_the_queue_leaves_the_rest_on_board() -> None:
    link = DownlinkSpec(rate_bps=256.0, overhead_s=30.0)  # one message per second
    delivery = run_downlink(tile_arrivals(50, 0.0), [Contact(100.0, 140.0, ("S",), 10.0)], link, 100, MODEL_ID, 500.0)
    assert len(decoded(delivery)) == 10  # 40 s window - 30 s overhead = 10 slots
    assert delivery.left_on_board == delivery.left_events_on_board == 40
    assert delivery.dropped == 0
    assert delivery.per_contact[0]["messages"] == 10 and delivery.per_contact[0]["left_queued"] == 40


def test_a_contact_shorter_than_its_overhead_sends_nothing() -> None:
    delivery = run_downlink(tile_arrivals(3, 0.0), [Contact(100.0, 120.0, ("S",), 6.0)], DownlinkSpec(overhead_s=30.0),
                            10, MODEL_ID, 500.0)
    assert not delivery.stream and delivery.left_on_board == 3


def test_the_byte_cap_of_a_contact_holds() -> None:
    link = DownlinkSpec(rate_bps=64_000.0, overhead_s=0.0, max_bytes_per_contact=5 * MESSAGE_LENGTH + 7)
    delivery = run_downlink(tile_arrivals(20, 0.0), [Contact(100.0, 700.0, ("S",), 40.0),
                                                     Contact(900.0, 1500.0, ("S",), 40.0)], link, 100, MODEL_ID, 2000.0)
    assert [c["messages"] for c in delivery.per_contact] == [5, 5]
    assert delivery.left_on_board == 10


def test_a_full_queue_drops_the_lowest_and_the_next_health_report_says_so() -> None:
    # 30 quiet reports fill a 10-message queue; then 3 events displace quiet ones; the health
    # tick after them takes its own slot (never dropped) and carries every drop.
    quiet = [Arrival(float(k), report(k + 1, k, False), k + 1) for k in range(30)]
    events = [Arrival(40.0 + k, report(100 + k, 40 + k, True, 6.0), 31 + k) for k in range(3)]
    tick = [Arrival(50.0, None, 33)]
    link = DownlinkSpec(rate_bps=256.0, overhead_s=0.0)
    delivery = run_downlink(quiet + events + tick, [Contact(60.0, 80.0, ("S",), 30.0)], link, 10, MODEL_ID, 100.0)
    messages = decoded(delivery)
    assert delivery.dropped == 30 + 3 - 10 and delivery.dropped_events == 0
    assert [m.event for m in messages[:3]] == [True, True, True]  # events leave first
    health = [m for m in messages if isinstance(m, HealthReport)]
    assert len(health) == 1 and health[0].dropped == delivery.dropped
    assert health[0].status.name == "QUEUE_OVERFLOW"
    # the most tile reports ever waiting is the capacity, never above it (the health report has its own slot)
    assert delivery.health_reports == 1 and delivery.max_queue == 10
    assert len(messages) == 11  # 20 s at one message a second: everything, health included


def test_a_health_report_still_waiting_is_replaced_and_its_count_carried_on() -> None:
    quiet = [Arrival(float(k), report(k + 1, k, False), k + 1) for k in range(8)]
    ticks = [Arrival(10.0, None, 8), Arrival(20.0, None, 8)]
    delivery = run_downlink(quiet + ticks, [Contact(60.0, 80.0, ("S",), 30.0)], DownlinkSpec(overhead_s=0.0), 5,
                            MODEL_ID, 100.0)
    health = [m for m in decoded(delivery) if isinstance(m, HealthReport)]
    assert delivery.superseded_health == 1 and len(health) == 1 and health[0].dropped == 3


def test_events_dropped_from_a_full_queue_are_counted_as_events() -> None:
    events = [Arrival(float(k), report(k + 1, k, True, 4.0 + 0.1 * k), k + 1) for k in range(8)]
    delivery = run_downlink(events, [Contact(100.0, 200.0, ("S",), 30.0)], DownlinkSpec(overhead_s=0.0), 3,
                            MODEL_ID, 300.0)
    assert delivery.dropped == delivery.dropped_events == 5
    # The three largest magnitudes survive.
    assert sorted(m.magnitude for m in decoded(delivery)) == pytest.approx([4.5, 4.6, 4.7])


def test_messages_ready_during_a_contact_leave_in_it() -> None:
    link = DownlinkSpec(rate_bps=256.0, overhead_s=10.0)
    delivery = run_downlink(tile_arrivals(3, 150.0), [Contact(100.0, 300.0, ("S",), 30.0)], link, 10, MODEL_ID, 400.0)
    assert len(decoded(delivery)) == 3
    assert delivery.delivered_at[0] == pytest.approx(151.0)


def test_what_is_queued_at_the_end_is_on_board_not_delivered() -> None:
    delivery = run_downlink(tile_arrivals(4, 500.0), [Contact(100.0, 300.0, ("S",), 30.0)], DownlinkSpec(), 10,
                            MODEL_ID, 1000.0)
    assert not delivery.stream and delivery.left_on_board == 4 and delivery.arrivals_after_end == 0


def test_health_ticks_count_every_tile_processed_not_only_the_queued_ones() -> None:
    clock = TileClock(np.array([0.0, 100.0]), np.array([0.0, 1000.0]))  # 10 tiles a second
    processed = [ProcessedTile(55.0, report(1, 55, True), False)]
    out = arrivals(processed, clock, "alerts", 250)
    assert [(a.time, a.tiles_processed, a.report is None) for a in out] == [
        (25.0, 250, True), (50.0, 500, True), (55.0, 550, False), (75.0, 750, True), (100.0, 1000, True)]


def test_bootstrapped_tiles_take_the_sample_outcomes_and_their_own_place() -> None:
    pool = [report(k, 0, event=k < 25) for k in range(100)]  # a quarter flagged
    rng = np.random.default_rng(0)

    def place(k: int):
        return np.linspace(0.0, 1000.0, k), np.tile([[45.0, 7.0]], (k, 1))

    made = drawn_tiles(pool, 40_000, place, 1_000_000, "alerts", rng)
    assert len(made) == pytest.approx(10_000, rel=0.05)  # binomial around 25 %
    assert all(p.report.event and p.drawn and p.report.lat == 45.0 for p in made)
    assert len({p.report.tile_id for p in made}) == len(made)
    assert drawn_tiles(pool, 1000, place, 1, "all", np.random.default_rng(0))[0].report.tile_id == 1
    assert len(drawn_tiles(pool, 1000, place, 1, "all", np.random.default_rng(0))) == 1000
