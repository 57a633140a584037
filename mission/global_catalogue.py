"""The bundled global catalogue: every magnitude ≥ 5.5 earthquake of 1965–2016 (USGS).

``global_m55_1965_2016.csv.gz`` beside this module holds 23,243 events (date, latitude,
longitude, magnitude) from the U.S. Geological Survey's "Significant Earthquakes, 1965-2016"
list (the NEIC ComCat catalogue's events of magnitude 5.5 or more; U.S. public domain),
less the nuclear explosions it includes. ``scripts/bundle_catalogue.py`` writes it from the
source file, whose SHA-256 it checks, and says what it dropped. The magnitudes are the
catalogue's preferred ones (mostly Mw, some mb and Ms), as given.

This is the catalogue the reference store's hazard layer is counted from
(:mod:`quakesat.mission.store_study`): a density of past seismicity, not a hazard model. numpy
only.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GLOBAL_FILE = Path(__file__).with_name("global_m55_1965_2016.csv.gz")
#: The source list's citation, for captions and docs.
SOURCE = ("U.S. Geological Survey, NEIC ComCat: earthquakes of magnitude ≥ 5.5, 1965–2016 "
          "(\"Significant Earthquakes, 1965-2016\"), nuclear explosions removed")
FIRST_YEAR, LAST_YEAR = 1965, 2016
MAGNITUDE_MIN = 5.5


@dataclass(frozen=True)
class GlobalCatalogue:
    """Parallel arrays, one entry per event, in time order."""

    year: np.ndarray  # int
    latitude: np.ndarray
    longitude: np.ndarray
    magnitude: np.ndarray

    def __len__(self) -> int:
        return int(self.year.size)

    def select(self, mask: np.ndarray) -> GlobalCatalogue:
        """The events where ``mask`` is true."""
        return GlobalCatalogue(self.year[mask], self.latitude[mask], self.longitude[mask], self.magnitude[mask])

    def years(self, first: int, last: int) -> GlobalCatalogue:
        """The events of the years ``first`` to ``last``, both included."""
        return self.select((self.year >= first) & (self.year <= last))

    def at_least(self, magnitude: float) -> GlobalCatalogue:
        """The events of magnitude ``magnitude`` or more."""
        return self.select(self.magnitude >= magnitude - 1e-9)

    def epicentres(self) -> list[tuple[float, float]]:
        """(latitude, longitude) of every event."""
        return list(zip(self.latitude.tolist(), self.longitude.tolist(), strict=True))


@functools.lru_cache(maxsize=1)
def load_global_catalogue(path: Path = GLOBAL_FILE) -> GlobalCatalogue:
    """Read the bundled catalogue (cached; the arrays are shared, do not modify them)."""
    text = gzip.decompress(path.read_bytes()).decode("ascii")
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise ValueError(f"{path} holds no events")
    return GlobalCatalogue(np.array([int(r["date"][:4]) for r in rows]),
                           np.array([float(r["latitude"]) for r in rows]),
                           np.array([float(r["longitude"]) for r in rows]),
                           np.array([float(r["magnitude"]) for r in rows]))
