"""Write the bundled global catalogue (``mission/global_m55_1965_2016.csv.gz``) from its source.

The source is the U.S. Geological Survey's "Significant Earthquakes, 1965-2016" list: every
event of magnitude 5.5 or more in the USGS National Earthquake Information Center's
catalogue (ComCat) from 1965 to 2016, 23,412 rows, as the file ``earthquakes-23k.csv``
(columns Date, Latitude, Longitude, Magnitude; published by the USGS on Kaggle, redistributed
in plotly's public ``datasets`` repository). USGS data are in the U.S. public domain.

What this script does to it, and nothing else:

- checks the source's SHA-256 (:data:`SOURCE_SHA256`), so the bundle is reproducible;
- keeps the date (the source has no time of day for most rows) as ``YYYY-MM-DD``, latitude
  and longitude to 3 decimals (about 100 m) and the magnitude as given;
- drops the rows inside the boxes of the five nuclear test sites whose explosions the USGS
  list includes (:data:`TEST_SITES`, up to each site's last test): the original list marks
  175 rows "Nuclear Explosion", and this one has no type column.

Usage: ``python scripts/bundle_catalogue.py earthquakes-23k.csv`` (writes the bundle and
prints what it dropped).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import sys
from datetime import datetime
from pathlib import Path

SOURCE_SHA256 = "f5077622fa9f8a4e74eaf2c45c10c24b8285b6748e330beafb2f89f4d25c2b95"
BUNDLE = Path(__file__).resolve().parent.parent / "mission" / "global_m55_1965_2016.csv.gz"
#: Nuclear test sites as (name, south, north, west, east, last test year): Semipalatinsk
#: (1989), Nevada (1992), Novaya Zemlya (1990), Lop Nur (1996), Mururoa and Fangataufa (1996).
TEST_SITES = (
    ("Semipalatinsk", 49.5, 51.0, 77.0, 80.0, 1989),
    ("Nevada", 36.6, 37.6, -116.6, -115.8, 1992),
    ("Novaya Zemlya", 70.0, 76.0, 50.0, 58.0, 1990),
    ("Lop Nur", 41.0, 42.2, 88.0, 89.5, 1996),
    ("Mururoa and Fangataufa", -22.5, -21.5, -139.5, -138.3, 1996),
)


def _date(text: str) -> str:
    """``MM/DD/YYYY`` or an ISO timestamp, as ``YYYY-MM-DD``."""
    if "/" in text:
        return datetime.strptime(text, "%m/%d/%Y").strftime("%Y-%m-%d")
    return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%d")


def _test_site(lat: float, lon: float, year: int) -> str | None:
    for name, south, north, west, east, last in TEST_SITES:
        if south <= lat <= north and west <= lon <= east and year <= last:
            return name
    return None


def bundle(source: Path, out: Path = BUNDLE, expected_sha256: str = SOURCE_SHA256) -> dict[str, int]:
    """Write the bundle from ``source``; return the rows kept and dropped per test site."""
    raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected_sha256:
        raise SystemExit(f"error: {source} has SHA-256 {digest}, expected {expected_sha256}")
    counts: dict[str, int] = {"kept": 0}
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["date", "latitude", "longitude", "magnitude"])
    for row in csv.DictReader(io.StringIO(raw.decode("ascii"))):
        date = _date(row["Date"])
        lat, lon = float(row["Latitude"]), float(row["Longitude"])
        site = _test_site(lat, lon, int(date[:4]))
        if site:
            counts[site] = counts.get(site, 0) + 1
            continue
        writer.writerow([date, f"{lat:.3f}", f"{lon:.3f}", row["Magnitude"]])
        counts["kept"] += 1
    # mtime=0: the same source gives the same bytes.
    out.write_bytes(gzip.compress(text.getvalue().encode("ascii"), compresslevel=9, mtime=0))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="earthquakes-23k.csv")
    parser.add_argument("--out", type=Path, default=BUNDLE)
    args = parser.parse_args(argv)
    counts = bundle(args.source, args.out)
    print(f"wrote {args.out}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
