"""The interferometric detection ceiling and the tile geometry it needs (docs/simulator.md,
"What the phase can show"): simulate event and event-free same-track pairs per tile footprint
(simulator/insar/study.py), score them with the oracle matched filter, the blind fringe rule
and the coherence-drop rule at several multilooks, thresholds from a separate validation set
of event-free pairs (evaluation/insar_ceiling.py), and write the table as Markdown and JSON.

    python scripts/insar_ceiling.py [--events 400] [--validation-events 400]
        [--footprints-m 5120,10240,20480] [--out out/insar_ceiling]

The docs' figures: the defaults, about 6.5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from quakesat.evaluation.insar_ceiling import ceiling_table, format_ceiling
from quakesat.simulator.insar.study import simulate_study_pairs

#: Seeds of the scored and the validation pairs (different: thresholds are never set on the
#: pairs they are scored on), the tile side in pixels and the multilooks (block sides).
SEED, VALIDATION_SEED, SIDE_PX, LOOKS = 2027, 2028, 256, (1, 4, 8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=400, help="scored events per footprint (default 400)")
    parser.add_argument("--validation-events", type=int, default=400,
                        help="event-free validation pairs per footprint, for the thresholds (default 400)")
    parser.add_argument("--footprints-m", default="5120,10240,20480",
                        help="tile footprints in metres, comma-separated (default 5120,10240,20480)")
    parser.add_argument("--out", type=Path, default=Path("out/insar_ceiling"), help="output prefix (.md, .json)")
    args = parser.parse_args()
    merged: dict | None = None
    timing = {}
    for footprint in (float(value) for value in args.footprints_m.split(",")):
        started = time.perf_counter()
        scored = simulate_study_pairs(args.events, SEED, footprint, SIDE_PX, LOOKS)
        validation = simulate_study_pairs(args.validation_events, VALIDATION_SEED, footprint, SIDE_PX, LOOKS,
                                          event_pairs=False)
        table = ceiling_table([scored], [validation])
        timing[footprint] = round(time.perf_counter() - started, 1)
        print(f"footprint {footprint:.0f} m: {timing[footprint]} s", flush=True)
        if merged is None:
            merged = table
        else:
            merged["rows"] += table["rows"]
            merged["seconds_per_pair"].update(table["seconds_per_pair"])
    assert merged is not None
    merged["seconds_per_footprint"] = timing
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(merged, indent=1, default=str))
    args.out.with_suffix(".md").write_text(format_ceiling(merged))
    print(format_ceiling(merged))


if __name__ == "__main__":
    main()
