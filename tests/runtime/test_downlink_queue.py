"""The bounded downlink queue: order of release, what is dropped when full, drop counting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quakesat.errors import ConfigError
from quakesat.runtime.downlink_queue import (
    CLASS_EVENT,
    CLASS_HEALTH,
    CLASS_QUIET,
    CLASS_STATUS,
    DownlinkQueue,
    priority_class,
)
from quakesat.runtime.message import HealthReport, TileReport
from quakesat.runtime.status import Status


def tile(tile_id: int, event: bool = False, magnitude: float = 0.0, status: Status = Status.OK) -> TileReport:
    return TileReport(seq=tile_id, tile_id=tile_id, time=0, lat=0.0, lon=0.0, magnitude=magnitude,
                      confidence=0.5, model_id=1, status=status, event=event)


def health(seq: int) -> HealthReport:
    return HealthReport(seq=seq, time=0, lat=0.0, lon=0.0, tiles_processed=seq, dropped=0, queue_fill=0.0, model_id=1)


def ids(messages) -> list:
    return [m.tile_id if isinstance(m, TileReport) else f"h{m.seq}" for m in messages]


def test_classes() -> None:
    assert priority_class(tile(1, event=True, magnitude=5.0)) == CLASS_EVENT
    assert priority_class(health(1)) == CLASS_HEALTH
    assert priority_class(tile(1, status=Status.PARTIAL_NODATA)) == CLASS_STATUS
    assert priority_class(tile(1)) == CLASS_QUIET


def test_release_order_is_class_then_magnitude_then_age() -> None:
    q = DownlinkQueue(capacity=10)
    for m in (tile(1), tile(2, event=True, magnitude=5.1), health(3), tile(4, status=Status.ALL_NODATA),
              tile(5, event=True, magnitude=6.2), tile(6), tile(7, event=True, magnitude=5.1)):
        assert q.push(m)
    assert ids(q.peek()) == [5, 2, 7, "h3", 4, 1, 6]
    assert ids(q.pop(3)) == [5, 2, 7] and ids(q.pop()) == ["h3", 4, 1, 6] and len(q) == 0


def test_at_capacity_nothing_is_dropped() -> None:
    q = DownlinkQueue(capacity=3)
    assert all(q.push(tile(i)) for i in range(3))
    assert len(q) == 3 and q.fill == 1.0 and q.dropped_total == 0 and q.take_dropped() == 0


def test_capacity_plus_one_drops_the_newest_of_the_lowest_class() -> None:
    q = DownlinkQueue(capacity=3)
    for i in range(3):
        q.push(tile(i))
    # A fourth quiet tile ranks below every queued one (same class, newer): it is the drop.
    assert q.push(tile(3)) is False
    assert ids(q.peek()) == [0, 1, 2]
    # An event evicts the newest quiet tile.
    assert q.push(tile(4, event=True, magnitude=5.0)) is True
    assert ids(q.peek()) == [4, 0, 1]
    assert q.dropped_total == 2 and q.take_dropped() == 2 and q.take_dropped() == 0
    assert len(q) == 3


def test_a_bigger_event_evicts_a_smaller_one_when_only_events_are_queued() -> None:
    q = DownlinkQueue(capacity=2)
    q.push(tile(1, event=True, magnitude=5.0))
    q.push(tile(2, event=True, magnitude=6.0))
    assert q.push(tile(3, event=True, magnitude=4.5)) is False
    assert q.push(tile(4, event=True, magnitude=7.0)) is True
    assert ids(q.peek()) == [4, 2]


@pytest.mark.parametrize("capacity", [0, -1, 2.5, None])
def test_capacity_must_be_a_positive_integer(capacity) -> None:
    with pytest.raises(ConfigError):
        DownlinkQueue(capacity=capacity)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), st.lists(st.tuples(st.booleans(), st.integers(40, 80), st.booleans()), max_size=40))
def test_never_over_capacity_and_every_message_is_kept_or_counted(capacity, arrivals) -> None:
    q = DownlinkQueue(capacity=capacity)
    for i, (event, tenth_mb, bad) in enumerate(arrivals):
        q.push(tile(i, event=event, magnitude=tenth_mb / 10 if event else 0.0,
                    status=Status.PARTIAL_NODATA if bad and not event else Status.OK))
        assert len(q) <= capacity
    assert len(q) + q.dropped_total == len(arrivals)
    # What stays is the best `capacity` messages: no dropped event outranks a kept one.
    kept = q.peek()
    events_kept = sum(m.event for m in kept)
    assert events_kept == min(len(q), sum(e for e, _, _ in arrivals))


def test_a_health_report_is_never_dropped_even_by_a_queue_full_of_events() -> None:
    q = DownlinkQueue(capacity=3)
    for i in range(3):
        q.push(tile(i, event=True, magnitude=6.0))
    q.push(tile(9, event=True, magnitude=4.0))  # dropped: the queue is full of bigger events
    report = HealthReport(seq=50, time=0, lat=0.0, lon=0.0, tiles_processed=4, dropped=q.take_dropped(),
                          queue_fill=q.fill, model_id=1, status=Status.QUEUE_OVERFLOW)
    assert q.push(report) and q.last_dropped is None
    assert len(q) == 4 and q.fill == 1.0  # three events and the health report in its own slot
    for i in range(10, 15):
        q.push(tile(i, event=True, magnitude=7.0))  # bigger events displace the smaller ones
    assert any(isinstance(m, HealthReport) for m in q.peek())
    assert ids(q.pop()) == [10, 11, 12, "h50"]


def test_a_newer_health_report_replaces_the_waiting_one_and_carries_its_count() -> None:
    q = DownlinkQueue(capacity=2)
    first = HealthReport(seq=1, time=0, lat=0.0, lon=0.0, tiles_processed=10, dropped=5, queue_fill=1.0,
                         model_id=1, status=Status.QUEUE_OVERFLOW)
    q.push(first)
    q.push(health(2))  # no drops of its own, status OK
    waiting = [m for m in q.peek() if isinstance(m, HealthReport)]
    assert len(waiting) == 1 and waiting[0].seq == 2 and waiting[0].dropped == 5
    assert waiting[0].status == Status.QUEUE_OVERFLOW and q.superseded_health == 1
    assert q.queued_health == waiting[0]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6), st.lists(st.one_of(
    st.tuples(st.just("tile"), st.booleans(), st.integers(40, 80)),
    st.tuples(st.just("health"), st.just(False), st.just(0)),
    st.tuples(st.just("contact"), st.just(False), st.integers(0, 4))), max_size=60))
def test_every_tile_is_delivered_or_counted_in_a_delivered_health_report(capacity, steps) -> None:
    q = DownlinkQueue(capacity=capacity)
    delivered, pushed, seq = [], 0, 1000

    def health_now() -> None:
        nonlocal seq
        seq += 1
        dropped = q.take_dropped()
        q.push(HealthReport(seq=seq, time=0, lat=0.0, lon=0.0, tiles_processed=pushed, dropped=dropped,
                            queue_fill=q.fill, model_id=1,
                            status=Status.QUEUE_OVERFLOW if dropped else Status.OK))

    for kind, event, value in steps:
        if kind == "tile":
            q.push(tile(pushed, event=event, magnitude=value / 10 if event else 0.0))
            pushed += 1
        elif kind == "health":
            health_now()
        else:
            delivered += q.pop(value)
        assert len(q) <= capacity + 1
    health_now()  # the end of a run: the last health report
    delivered += q.pop()
    tiles = [m for m in delivered if isinstance(m, TileReport)]
    counted = sum(m.dropped for m in delivered if isinstance(m, HealthReport))
    assert len(tiles) + counted == pushed == len(tiles) + q.dropped_total
    assert len({m.tile_id for m in tiles}) == len(tiles)
