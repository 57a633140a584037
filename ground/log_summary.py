"""Repeated per-tile log lines, summarised: the first few of each kind shown, the rest counted.

The flight runtime logs one line per refused or degraded tile (``tile 17: bad_shape (...)``),
which is right on board, where each line is a telemetry event, and wrong on a terminal, where
a file of 10,000 tiles of the wrong size would print 10,000 lines. :class:`RepeatSummary` is a
:class:`logging.Filter` for the command line: it lets the first :data:`SHOWN_PER_KIND` lines of
each kind through (the kind of a tile line is its status name; any other line is its own
kind) and counts the rest; :meth:`RepeatSummary.summary` gives one line per kind that had
lines held back. Lines of the kinds in ``hold`` are kept instead of shown (:attr:`held`), for
the command to print once the run is done, or to drop when it refuses the whole run and says
why in one line (``quakesat run`` holds the statuses that mean "wrong model for this data").
The messages and the report still carry every tile's status.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

#: Lines of one kind shown before the rest are only counted.
SHOWN_PER_KIND = 3
_TILE_LINE = re.compile(r"^tile \d+: ([a-z_]+)")


def line_kind(message: str) -> str:
    """The kind of a log line: the status name of a per-tile line, else the line itself."""
    match = _TILE_LINE.match(message)
    return match.group(1) if match else message


class RepeatSummary(logging.Filter):
    """Shows the first ``shown`` lines of each kind and counts the others (module doc)."""

    def __init__(self, shown: int = SHOWN_PER_KIND, hold: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.shown = shown
        self.hold = hold
        self.seen: Counter[str] = Counter()
        self.held: list[str] = []  # "logger: message" of the held lines, in order

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        kind = line_kind(message)
        self.seen[kind] += 1
        if self.seen[kind] > self.shown:
            return False
        if kind in self.hold:
            self.held.append(f"{record.name}: {message}")
            return False
        return True

    def held_back(self) -> dict[str, int]:
        """Kind -> lines not shown."""
        return {kind: count - self.shown for kind, count in self.seen.items() if count > self.shown}

    def summary(self) -> list[str]:
        """One line per kind with lines held back, most frequent first."""
        held = sorted(self.held_back().items(), key=lambda item: (-item[1], item[0]))
        return [f"... and {count} more tile{'s' if count != 1 else ''} with {kind} (every message carries its status)"
                if _is_status(kind) else f"... and {count} more of: {kind}" for kind, count in held]


def _is_status(kind: str) -> bool:
    return re.fullmatch(r"[a-z_]+", kind) is not None
