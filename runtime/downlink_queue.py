"""The bounded onboard downlink queue: messages wait here for a ground-station contact.

Fixed capacity, no growth. Order of release at a contact, and of loss when full:

1. priority class — event tile reports, then health reports (they carry the drop count),
   then tile reports with a non-OK status (operators must learn about bad input or a
   failing model), then quiet tile reports;
2. within the event class, larger magnitude first;
3. then oldest first (arrival order).

When a tile report arrives at a full queue, the lowest-ranked tile report — the newest of
the lowest class, so that each class stays first-in first-out — is dropped: the queued one
if it ranks below the arrival, else the arrival itself. Every drop is counted; :meth:`take_dropped`
hands the count since the previous health report to the next one (the codec saturates it
at 65535).

Health reports are never dropped, so that no drop goes unreported: the queue holds
``capacity`` tile reports plus one slot for a health report, outside the capacity. A newer
health report takes the waiting one's place and adds its drop count to its own, so the
ground learns every drop from the report that reaches it. Every tile report pushed is
therefore either released or counted in a health report released after it, provided one
more health report follows its drop (the flight runtime ends every run with one).
Standard library only; O(capacity) per operation, for capacities of hundreds.
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field

from quakesat.errors import ConfigError
from quakesat.runtime.message import HealthReport, Message, TileReport
from quakesat.runtime.status import Status

#: Priority classes, highest first.
CLASS_EVENT, CLASS_HEALTH, CLASS_STATUS, CLASS_QUIET = 0, 1, 2, 3


def priority_class(message: Message) -> int:
    """The message's class (lower ranks first)."""
    if isinstance(message, HealthReport):
        return CLASS_HEALTH
    if message.event:
        return CLASS_EVENT
    return CLASS_STATUS if message.status != Status.OK else CLASS_QUIET


@dataclass(order=True, frozen=True)
class _Entry:
    key: tuple[int, float, int]
    message: Message = field(compare=False)


@dataclass
class DownlinkQueue:
    """Messages waiting for a contact: at most ``capacity`` tile reports and one health
    report (see module doc)."""

    capacity: int
    dropped_total: int = 0
    _entries: list[_Entry] = field(default_factory=list, repr=False)
    _arrivals: int = field(default=0, repr=False)
    _dropped_since_health: int = field(default=0, repr=False)
    last_dropped: Message | None = field(default=None, repr=False, compare=False)
    superseded_health: int = 0  # health reports replaced by a newer one before release
    queued_health: HealthReport | None = field(default=None, repr=False, compare=False)  # the waiting one

    def __post_init__(self) -> None:
        if not isinstance(self.capacity, int) or self.capacity < 1:
            raise ConfigError(f"queue capacity must be a positive integer, got {self.capacity!r}")

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def tile_reports(self) -> int:
        """Tile reports waiting (at most ``capacity``; the health report has its own slot)."""
        return len(self._entries) - self._health_waiting()

    @property
    def fill(self) -> float:
        """Occupied share of the tile capacity, 0..1 (the health report's ``queue_fill``)."""
        return (len(self._entries) - self._health_waiting()) / self.capacity

    def _key(self, message: Message) -> tuple[int, float, int]:
        magnitude = message.magnitude if isinstance(message, TileReport) and message.event else 0.0
        self._arrivals += 1
        return (priority_class(message), -float(magnitude), self._arrivals)

    def push(self, message: Message) -> bool:
        """Queue ``message``; returns False if it was the one dropped (queue full of better).
        :attr:`last_dropped` is the message this push dropped, if any."""
        self.last_dropped = None
        if isinstance(message, HealthReport):
            self._push_health(message)
            return True
        entry = _Entry(self._key(message), message)
        if len(self._entries) - self._health_waiting() >= self.capacity:
            self._count_drop()
            lowest = self._lowest_tile_index()
            if lowest is None or entry > self._entries[lowest]:
                self.last_dropped = message
                return False
            self.last_dropped = self._entries.pop(lowest).message
        bisect.insort(self._entries, entry)
        return True

    def _lowest_tile_index(self) -> int | None:
        for index in range(len(self._entries) - 1, -1, -1):
            if not isinstance(self._entries[index].message, HealthReport):
                return index
        return None

    def _health_waiting(self) -> int:
        return 0 if self.queued_health is None else 1

    def _push_health(self, report: HealthReport) -> None:
        dropped = report.dropped
        if self.queued_health is not None:
            waiting = next(i for i, e in enumerate(self._entries) if e.message is self.queued_health)
            dropped += self._entries.pop(waiting).message.dropped  # superseded: its count travels on
            self.superseded_health += 1
        if dropped != report.dropped:
            status = Status.QUEUE_OVERFLOW if report.status == Status.OK else report.status
            report = dataclasses.replace(report, dropped=dropped, status=status)
        bisect.insort(self._entries, _Entry(self._key(report), report))
        self.queued_health = report

    def _count_drop(self) -> None:
        self.dropped_total += 1
        self._dropped_since_health += 1

    def pop(self, count: int | None = None) -> list[Message]:
        """Release up to ``count`` messages (None: all) in downlink order, for a contact."""
        count = len(self._entries) if count is None else max(0, int(count))
        released, self._entries = self._entries[:count], self._entries[count:]
        if self.queued_health is not None and any(e.message is self.queued_health for e in released):
            self.queued_health = None
        return [entry.message for entry in released]

    def peek(self) -> list[Message]:
        """Every queued message in downlink order, without releasing them."""
        return [entry.message for entry in self._entries]

    def take_dropped(self) -> int:
        """Drops since the previous call (the next health report's ``dropped``); resets it."""
        dropped, self._dropped_since_health = self._dropped_since_health, 0
        return dropped
