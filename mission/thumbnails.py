"""Cued mode's follow-up: a deformation thumbnail after each event alert of a same-track tile.

When a cued same-track tile raises an event, the satellite also keeps a 16 x 16 thumbnail of
its on-board interferogram (:mod:`quakesat.runtime.thumbnail`: wrapped line-of-sight motion in
15 steps, 160 bytes on APID 0x2C2), made from the same 8-look interferogram the network saw.
It follows the alert down: in the same contact when the contact has time left after the
alert, else at the start of the next one (after its acquisition of signal). The 32-byte
stream is not touched; the thumbnails are their own stream, as the ground routes by APID.

:func:`send_thumbnails` schedules them against the contacts and says what they cost: bytes a
day against what the smallest contact can carry (the issue's bound: every cued event of a day
within one contact). numpy and the runtime's codec only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from quakesat.mission.contacts import Contact
from quakesat.runtime.interferogram import form_interferogram
from quakesat.runtime.message import SEQ_COUNT_MAX, TileReport
from quakesat.runtime.thumbnail import (
    GRID_SIDE,
    THUMBNAIL_LENGTH,
    Thumbnail,
    encode_thumbnail,
    thumbnail_from_interferogram,
)

#: The multilook of the on-board interferogram (runtime/interferogram.py's default), at which a
#: 256 px tile's thumbnail cell holds 2 x 2 of its blocks.
LOOKS = 8


def thumbnail_looks(side: int) -> int | None:
    """The multilook the thumbnail of a ``side``-pixel tile is made at: the on-board
    interferogram's :data:`LOOKS` when its grid divides into the thumbnail's 16 x 16 cells, else
    one block per cell (a small tile); None when the side is not a multiple of 16."""
    if side % (LOOKS * GRID_SIDE) == 0:
        return LOOKS
    if side % GRID_SIDE == 0:
        return side // GRID_SIDE
    return None


def make_thumbnail(pre: np.ndarray, post: np.ndarray, report: TileReport, pixel_m: float) -> Thumbnail | None:
    """The thumbnail of one same-track pair, stamped with its alert's tile, time, place and model
    (``seq`` 0: :func:`send_thumbnails` numbers them in sending order); None for a tile whose
    side is not a multiple of the thumbnail's 16 cells."""
    looks = thumbnail_looks(pre.shape[0]) if pre.shape[0] == pre.shape[1] else None
    if looks is None:
        return None
    interferogram, coherence = form_interferogram(pre, post, looks)
    cell_m = int(round(pre.shape[0] / GRID_SIDE * pixel_m))
    return Thumbnail(0, report.tile_id, report.time, report.lat, report.lon, cell_m, report.model_id,
                     thumbnail_from_interferogram(interferogram, coherence))


@dataclass
class ThumbnailDelivery:
    """The thumbnails that reached the ground, in order, and what they cost."""

    stream: bytearray = field(default_factory=bytearray)
    delivered_at: list[float] = field(default_factory=list)
    after_alert_s: list[float] = field(default_factory=list)
    left_on_board: int = 0


def _contact_at(windows: list[Contact], when: float) -> int | None:
    return next((i for i, c in enumerate(windows) if c.start <= when <= c.end), None)


def send_thumbnails(alerts: list[tuple[float, TileReport]], thumbnails: dict[int, Thumbnail],
                    windows: list[Contact], rate_bps: float, overhead_s: float) -> ThumbnailDelivery:
    """Send the thumbnail of each delivered event alert (``alerts``: (ground time, report)),
    right after it in its contact when there is time, else in the next contact."""
    out = ThumbnailDelivery()
    seconds = THUMBNAIL_LENGTH * 8 / rate_bps
    busy_until = -np.inf
    seq = 0
    for alerted, report in sorted(alerts, key=lambda pair: pair[0]):
        thumbnail = thumbnails.get(report.tile_id)
        if thumbnail is None or not report.event:
            continue
        ready = max(alerted, busy_until)
        index = _contact_at(windows, ready)
        sent = ready + seconds if index is not None and ready + seconds <= windows[index].end else None
        if sent is None:
            later = [c for c in windows if c.start > ready and c.end - c.start > overhead_s + seconds]
            sent = later[0].start + overhead_s + seconds if later else None
        if sent is None:
            out.left_on_board += 1
            continue
        out.stream += encode_thumbnail(replace(thumbnail, seq=seq))
        seq = (seq + 1) & SEQ_COUNT_MAX
        out.delivered_at.append(sent)
        out.after_alert_s.append(sent - alerted)
        busy_until = sent
    return out


def thumbnail_figures(delivery: ThumbnailDelivery, windows: list[Contact], rate_bps: float, overhead_s: float,
                      days: float) -> dict[str, Any]:
    """The thumbnails' figures for mission.json."""
    capacities = [max(0.0, (c.end - c.start - overhead_s)) * rate_bps / 8 for c in windows]
    smallest = min(capacities) if capacities else 0.0
    per_day = len(delivery.stream) / days if days > 0 else 0.0
    after = sorted(delivery.after_alert_s)
    return {
        "sent": len(delivery.delivered_at), "bytes": len(delivery.stream), "bytes_per_thumbnail": THUMBNAIL_LENGTH,
        "left_on_board": delivery.left_on_board, "bytes_per_day": round(per_day, 1),
        "smallest_contact_bytes": round(smallest), "fits_one_contact": per_day <= smallest,
        "after_alert_s": {"median": round(float(np.median(after)), 2) if after else None,
                          "max": round(float(after[-1]), 2) if after else None},
    }
