"""The earthquakes of a scenario: a built-in sample of real events, random draws, or a list.

The historical sample is plain facts from the USGS ComCat catalogue (origin time, epicentre,
depth, moment magnitude; ``historical_quakes.json`` beside this module, with each event's
USGS id). In a ``historical`` scenario the events keep their places, depths and magnitudes
and are re-timed at random into the scenario's window (a day of orbit sees only the events of
that day; the real origin time stays in the report). ``random`` draws ``count`` events near
the sample's epicentres (the seismic belts they lie on, within ±3°) with Gutenberg–Richter
magnitudes (b = 1) in ``mw_range``. The simulator works in body-wave magnitude, as QuakeSet
does; Mw is turned into mb by inverting the Scordilis (2006) relation the simulator uses
(fitted for mb 3.5–6.2: above that the mb is an extrapolation, real mb saturates near 6.5;
the shaking is computed from Mw itself, so only the magnitude the model should estimate
carries it).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quakesat.mission.scenario import CatalogueSpec, EventSpec, parse_time
from quakesat.simulator.shaking import MB_TO_MW

HISTORICAL_FILE = Path(__file__).with_name("historical_quakes.json")
#: Gutenberg–Richter b-value of the random catalogue (the global average, b ≈ 1).
B_VALUE = 1.0
#: Spread of random epicentres around the sample's, degrees.
RANDOM_SPREAD_DEG = 3.0


@dataclass(frozen=True)
class Quake:
    """One earthquake of a mission."""

    index: int
    name: str
    origin: int  # Unix seconds, UTC
    latitude: float
    longitude: float
    depth_km: float
    mw: float
    historical_time: str = ""  # the real origin time of a re-timed historical event
    usgs_id: str = ""

    @property
    def mb(self) -> float:
        """Body-wave magnitude for the simulator (Scordilis 2006, inverted)."""
        return (self.mw - MB_TO_MW[1]) / MB_TO_MW[0]

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "name": self.name, "origin": self.origin, "latitude": self.latitude,
                "longitude": self.longitude, "depth_km": self.depth_km, "mw": self.mw, "mb": round(self.mb, 2),
                "historical_time": self.historical_time, "usgs_id": self.usgs_id}


@functools.cache
def _historical_rows() -> tuple[dict, ...]:
    return tuple(json.loads(HISTORICAL_FILE.read_text(encoding="utf-8")))


def historical_sample() -> list[EventSpec]:
    """The built-in sample of real earthquakes (see the module doc), oldest first."""
    events = [EventSpec(row["name"], row["time_utc"], float(row["latitude"]), float(row["longitude"]),
                        float(row["depth_km"]), float(row["mw"])) for row in _historical_rows()]
    return sorted(events, key=lambda e: parse_time(e.time, e.name))


def _usgs_ids() -> dict[str, str]:
    return {row["name"]: row.get("usgs_id") or "" for row in _historical_rows()}


def gutenberg_richter(rng: np.random.Generator, n: int, low: float, high: float, b: float = B_VALUE) -> np.ndarray:
    """``n`` magnitudes from the truncated Gutenberg–Richter law on ``low..high``."""
    if high <= low:
        return np.full(n, low)
    u = rng.random(n)
    return low - np.log10(1.0 - u * (1.0 - 10.0 ** (-b * (high - low)))) / b


def build_catalogue(spec: CatalogueSpec, start: int, end: int, seed: int) -> list[Quake]:
    """The scenario's earthquakes, ordered by origin time and numbered from 0."""
    rng = np.random.default_rng([seed, 1])
    if spec.source == "list":
        rows = [(e, parse_time(e.time, e.name), "") for e in spec.events]
    elif spec.source == "historical":
        sample = historical_sample()
        times = rng.integers(start, end, size=len(sample))
        rows = [(e, int(t), e.time) for e, t in zip(sample, times)]
    else:
        sample = historical_sample()
        anchors = rng.integers(0, len(sample), size=spec.count)
        magnitudes = gutenberg_richter(rng, spec.count, *spec.mw_range)
        depths = np.clip(rng.lognormal(math.log(12.0), 0.6, size=spec.count), 2.0, 70.0)
        rows = []
        for k in range(spec.count):
            anchor = sample[int(anchors[k])]
            lat = float(np.clip(anchor.latitude + rng.uniform(-RANDOM_SPREAD_DEG, RANDOM_SPREAD_DEG), -85.0, 85.0))
            lon = float((anchor.longitude + rng.uniform(-RANDOM_SPREAD_DEG, RANDOM_SPREAD_DEG) + 180.0) % 360.0 - 180.0)
            event = EventSpec(f"random {k} near {anchor.name}", "2000-01-01T00:00:00Z", round(lat, 3), round(lon, 3),
                              round(float(depths[k]), 1), round(float(magnitudes[k]), 2))
            rows.append((event, int(rng.integers(start, end)), ""))
    ids = _usgs_ids() if spec.source == "historical" else {}
    rows.sort(key=lambda row: (row[1], row[0].name))
    return [Quake(i, e.name, t, e.latitude, e.longitude, e.depth_km, e.mw, real, ids.get(e.name, ""))
            for i, (e, t, real) in enumerate(rows)]
