"""``quakesat mission``: a scenario flown end to end (orbit, swath, contacts, runtime, downlink)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from quakesat.cli_args import (
    EXIT_OK,
    NON_NEGATIVE,
    csv,
    existing_dir,
    existing_file,
    float_range,
    output_dir,
    output_file,
)
from quakesat.commands.common import DEMO_ARTIFACTS

if TYPE_CHECKING:
    from quakesat.mission.scenario import Scenario


# ─── mission ────────────────────────────────────────────────────────────────────────────
def add_mission(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mission",
        help="simulate a mission: orbit, swath, contacts, tiles through the runtime, time to alert",
        description=(
            "Fly a scenario (TOML; default: one day of a Sentinel-1-like satellite, Svalbard and Matera, "
            "the built-in sample of historical earthquakes): ground track, swath and ground-station "
            "contacts with skyfield; the tiles around every imaged earthquake and a sample of event-free "
            "tiles simulated and run through the flight runtime (Python or the C++ runner); the onboard "
            "queue released under the link budget; the ground decodes the stream. Both operating modes "
            "(survey, cued). Writes mission.json, mission.md, the downlinked streams and three plots "
            "(README \"Mission simulation\")."
        ),
    )
    p.add_argument("--scenario", type=existing_file, default=None, help="scenario file (TOML); default built in")
    p.add_argument("--write-scenario", type=output_file, default=None, metavar="FILE",
                   help="write the scenario (with the options below applied) as TOML and stop")
    p.add_argument("--artifacts", type=existing_dir, default=None,
                   help="export folder of the model that flies (default: the scenario's, else the demo's "
                        "out/demo/artifacts/quakelite)")
    p.add_argument("--artifact", default=None, help="artifact name (default: the manifest's default)")
    p.add_argument("--runtime", choices=("python", "cpp"), default=None, help="flight runtime (default python)")
    p.add_argument("--modes", type=csv, default=None, help="operating modes, comma-separated (default survey,cued)")
    p.add_argument("--hours", type=float_range(0.5, 1440.0), default=None, help="window length in hours")
    p.add_argument("--seed", type=NON_NEGATIVE, default=None, help="random seed")
    p.add_argument("--satellites", type=int, choices=(1, 2), default=None,
                   help="satellites flying (default 1; 2: a second one in the same plane, half a repeat cycle "
                        "behind, as Sentinel-1A and B)")
    p.add_argument("--bench-json", type=existing_file, default=None,
                   help="a quakesat bench result for the same artifacts (instructions per tile on the board)")
    p.add_argument("--out", type=output_dir, default=Path("out/mission"), help="output folder (default out/mission)")
    p.set_defaults(func=_cmd_mission)


def mission_scenario(args: argparse.Namespace) -> Scenario:
    """The scenario of ``quakesat mission``: the file or the default, with the options applied."""
    import dataclasses

    from quakesat.mission.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    onboard = {key: value for key, value in (("artifacts", args.artifacts and str(args.artifacts)),
                                             ("artifact", args.artifact), ("runtime", args.runtime),
                                             ("bench_json", args.bench_json and str(args.bench_json)))
               if value is not None}
    top = {key: value for key, value in (("modes", args.modes), ("duration_hours", args.hours), ("seed", args.seed))
           if value is not None}
    if onboard:
        top["onboard"] = dataclasses.replace(scenario.onboard, **onboard)
    if args.satellites is not None:
        top["satellite"] = dataclasses.replace(scenario.satellite, count=args.satellites)
    return dataclasses.replace(scenario, **top) if top else scenario


def _cmd_mission(args: argparse.Namespace) -> int:
    from quakesat.mission.scenario import scenario_to_toml

    scenario = mission_scenario(args)
    if args.write_scenario is not None:
        from quakesat.files import write_text_atomic

        write_text_atomic(args.write_scenario, scenario_to_toml(scenario))
        print(f"wrote {args.write_scenario}", file=sys.stderr)
        return EXIT_OK
    from quakesat.mission.run import run_mission

    if not scenario.onboard.artifacts and DEMO_ARTIFACTS.joinpath("manifest.json").is_file():
        import dataclasses

        print(f"mission: flying the demo's model, {DEMO_ARTIFACTS} (--artifacts to choose)", file=sys.stderr)
        scenario = dataclasses.replace(scenario, onboard=dataclasses.replace(scenario.onboard,
                                                                             artifacts=str(DEMO_ARTIFACTS)))
    result = run_mission(scenario, args.out, say=lambda line: print(f"mission: {line}", file=sys.stderr, flush=True))
    print(json.dumps(result["files"]))
    return EXIT_OK
