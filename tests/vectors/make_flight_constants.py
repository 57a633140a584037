"""Write ``tests/vectors/flight_constants.json``: every constant the Python and C++ flight sides share.

    python tests/vectors/make_flight_constants.py

The Python modules are the source (the message layout table, the codec's scales, the input
checks' limits, the change gate's and the locator's constants, the manifest's version and
limits); this file is their data view. pytest checks the committed file equals what this
script writes (``tests/runtime/test_vectors.py``), and ctest checks every C++ constant against
it (``cpp_runner/tests/test_constants.cpp``), so a constant changed on one side alone fails a
test on the other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from quakesat.runtime import change, flight, manifest, message, preprocess, strict_json, tile
from quakesat.runtime.status import Status

OUT = Path(__file__).resolve().parent / "flight_constants.json"


def constants() -> dict[str, Any]:
    return {
        "message": {
            "length": message.MESSAGE_LENGTH,
            "version": message.MESSAGE_VERSION,
            "apid": message.APID,
            "apid_max": message.APID_MAX,
            "seq_count_max": message.SEQ_COUNT_MAX,
            "primary_header_length": message.PRIMARY_HEADER_LENGTH,
            "packet_data_length": message.PACKET_DATA_LENGTH,
            "latlon_scale": message.LATLON_SCALE,
            "magnitude_scale": message.MAGNITUDE_SCALE,
            "magnitude_max": message.MAGNITUDE_MAX,
            "unit_scale": message.UNIT_SCALE,
            "dropped_max": message.DROPPED_MAX,
            "crc": {"init": message.CRC_INIT, "poly": message.CRC_POLY, "check": message.CRC_CHECK},
            "fields": [{"name": f.name, "offset": f.offset, "type": f.type_name, "health_name": f.health_name}
                       for f in message.FIELDS],
            "kinds": {kind.name.lower(): int(kind) for kind in message.Kind},
            "flags": {flag.name.lower(): int(flag) for flag in message.Flag},
        },
        "statuses": {status.code_name: int(status) for status in Status},
        "checks": {
            "max_linear": tile.MAX_LINEAR,
            "min_db": tile.MIN_DB,
            "max_nodata": tile.MAX_NODATA,
            "max_clipped": tile.MAX_CLIPPED,
            "max_repeated": tile.MAX_REPEATED,
            "bands": len(preprocess.BANDS),
        },
        "preprocess": {
            "supported_versions": list(preprocess.SUPPORTED_PREPROCESS_VERSIONS),
            "db_per_log2": preprocess.DB_PER_LOG2,
            "log2_coefficients": list(preprocess.LOG2_COEFFICIENTS),
        },
        "decide": {"max_plausible_magnitude": flight.MAX_PLAUSIBLE_MAGNITUDE},
        "change": {"threshold_db": change.CHANGE_THRESHOLD_DB, "looks": change.CHANGE_LOOKS,
                   "peak_window": change.DEFAULT_WINDOW},
        "location": {"metres_per_degree": tile.METRES_PER_DEGREE},
        "manifest": {"format": manifest.MANIFEST_FORMAT, "version": manifest.MANIFEST_VERSION,
                     "preprocess_version": preprocess.PREPROCESS_VERSION, "max_side": manifest.MAX_SIDE,
                     "max_json_depth": strict_json.MAX_JSON_DEPTH, "output_offset_max": manifest.OUTPUT_OFFSET_MAX},
    }


def render() -> str:
    return json.dumps(constants(), indent=2) + "\n"


def main() -> None:
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
