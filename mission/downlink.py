"""Contacts release the onboard queue under the link budget; the ground receives the bytes.

The queue is the flight runtime's :class:`~quakesat.runtime.downlink_queue.DownlinkQueue`
(fixed capacity; events first, largest magnitude first; drops counted and reported in the
next health report, which is never dropped: a newer one replaces a waiting one and carries
its count). A contact sends nothing during its first ``overhead_s`` (acquisition
of signal), then one 32-byte message every ``256 / rate_bps`` seconds, in queue order,
until the window closes or ``max_bytes_per_contact`` is spent; messages that become ready
during the contact join the queue and may leave in the same contact. What is still queued
when the scenario ends is reported as on board, never as delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quakesat.mission.contacts import Contact
from quakesat.mission.onboard import Arrival, restamp
from quakesat.mission.scenario import DownlinkSpec
from quakesat.runtime.downlink_queue import DownlinkQueue
from quakesat.runtime.flight import health_report
from quakesat.runtime.message import MESSAGE_LENGTH, SEQ_COUNT_MAX, HealthReport, TileReport, encode

#: The queue's fill is sampled at most this often between contacts (and at every contact's
#: start and end), for the timeline plot.
QUEUE_SAMPLE_S = 60.0


@dataclass
class Delivery:
    """What reached the ground, and what the onboard queue went through."""

    stream: bytearray = field(default_factory=bytearray)
    delivered_at: list[float] = field(default_factory=list)  # per message of ``stream``
    contact_of: list[int] = field(default_factory=list)  # index of the contact per message
    per_contact: list[dict[str, float]] = field(default_factory=list)
    queue_samples: list[tuple[float, int]] = field(default_factory=list)  # (time, messages queued)
    dropped: int = 0
    dropped_events: int = 0
    health_reports: int = 0
    superseded_health: int = 0  # health reports replaced, count and all, by a newer one on board
    queued_messages: int = 0
    left_on_board: int = 0
    left_events_on_board: int = 0
    max_queue: int = 0
    arrivals_after_end: int = 0


class OnboardQueue:
    """The queue plus the bookkeeping of one mode's run: sequence counts, health ticks,
    which messages were dropped."""

    def __init__(self, capacity: int, model_id: int, result: Delivery) -> None:
        self.queue = DownlinkQueue(capacity)
        self.model_id = model_id
        self.result = result
        self.seq = 0
        self.place: tuple[int, float, float] = (1, 0.0, 0.0)

    def arrive(self, arrival: Arrival) -> None:
        if arrival.report is None:
            message: TileReport | HealthReport = health_report(self.queue, self.seq % (SEQ_COUNT_MAX + 1), arrival.tiles_processed,
                                                               self.place, self.model_id)
            self.result.health_reports += 1
        else:
            message = restamp(arrival.report, self.seq)
            self.place = (message.time, message.lat, message.lon)
        self.seq += 1
        self.queue.push(message)
        self.result.queued_messages += 1
        lost = self.queue.last_dropped
        if lost is not None:
            self.result.dropped += 1
            if isinstance(lost, TileReport) and lost.event:
                self.result.dropped_events += 1
        # tile reports, the figure set against the capacity (the health report has its own slot)
        self.result.max_queue = max(self.result.max_queue, self.queue.tile_reports)


def run_downlink(arrivals: list[Arrival], contacts: list[Contact], link: DownlinkSpec, capacity: int,
                 model_id: int, end_unix: float) -> Delivery:
    """Play ``arrivals`` (time-ordered) against the ``contacts`` (see the module doc)."""
    result = Delivery()
    onboard = OnboardQueue(capacity, model_id, result)
    slot = MESSAGE_LENGTH * 8.0 / link.rate_bps
    index = 0

    last_sample = -float("inf")

    def admit(until: float) -> None:
        nonlocal index, last_sample
        while index < len(arrivals) and arrivals[index].time <= until:
            onboard.arrive(arrivals[index])
            if arrivals[index].time - last_sample >= QUEUE_SAMPLE_S:
                last_sample = arrivals[index].time
                result.queue_samples.append((last_sample, len(onboard.queue)))
            index += 1

    for number, contact in enumerate(contacts):
        admit(contact.start)
        result.queue_samples.append((contact.start, len(onboard.queue)))
        cursor = contact.start + link.overhead_s
        budget = link.max_bytes_per_contact or float("inf")
        sent = 0
        while cursor + slot <= contact.end and budget >= MESSAGE_LENGTH:
            admit(cursor)
            if not len(onboard.queue):
                if index < len(arrivals) and arrivals[index].time < contact.end - slot:
                    cursor = max(cursor, arrivals[index].time)
                    continue
                break
            message = onboard.queue.pop(1)[0]
            cursor += slot
            budget -= MESSAGE_LENGTH
            result.stream += encode(message)
            result.delivered_at.append(cursor)
            result.contact_of.append(number)
            sent += 1
        admit(contact.end)
        result.queue_samples.append((contact.end, len(onboard.queue)))
        usable = max(0.0, contact.seconds - link.overhead_s)
        capacity_bytes = min(usable * link.rate_bps / 8.0, link.max_bytes_per_contact or float("inf"))
        result.per_contact.append({"start": contact.start, "end": contact.end, "messages": sent,
                                   "bytes": sent * MESSAGE_LENGTH, "capacity_bytes": capacity_bytes,
                                   "left_queued": len(onboard.queue)})
    admit(end_unix)
    result.queue_samples.append((end_unix, len(onboard.queue)))
    result.superseded_health = onboard.queue.superseded_health
    left = onboard.queue.peek()
    result.left_on_board = len(left)
    result.left_events_on_board = sum(1 for m in left if isinstance(m, TileReport) and m.event)
    result.arrivals_after_end = len(arrivals) - index
    return result
