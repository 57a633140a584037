"""``quakesat report`` and ``quakesat demo``: the HTML page, and every stage end to end."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from quakesat.cli_args import (
    EXIT_OK,
    EXIT_USAGE,
    NON_NEGATIVE,
    existing_dir,
    int_range,
    output_dir,
    output_file,
)
from quakesat.commands.common import fail, usage


# ─── report ─────────────────────────────────────────────────────────────────────────────
def add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="one self-contained HTML page from what run, mission, bench, export or demo wrote",
        description=(
            "Find the files quakesat run (OUT.report.json, the stream and its decode), quakesat mission "
            "(mission.json, the downlinked streams), quakesat bench (bench.json), quakesat export "
            "(manifest.json) and quakesat demo wrote under DIR, by their content, and render one HTML page: "
            "the decoded alerts, a map of alerts and tile footprints, the contact timeline and time to alert, "
            "the bench table, the fidelity results and the warnings. The page needs no network to open "
            "(plots embedded). See docs/report.md."
        ),
    )
    p.add_argument("dir", type=existing_dir, metavar="DIR", help="folder to report on (e.g. out/demo)")
    p.add_argument("--out", type=output_file, default=None, metavar="FILE.html",
                   help="page to write (default DIR/report.html)")
    p.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    try:
        from quakesat.report.build import write_report

        summary = write_report(args.dir, args.out)
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] in ("jinja2", "markupsafe"):
            return fail("report", "this command needs jinja2 (pip install 'quakesat[report]')", EXIT_USAGE)
        raise
    print(json.dumps(summary))
    return EXIT_OK


# ─── demo ───────────────────────────────────────────────────────────────────────────────
def add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="the main job end to end on built-in defaults",
        description=(
            "Run every stage end to end on built-in defaults: simulate a small QuakeSet file, inspect it "
            "(JSON + PNG) and measure its difficulty, train QuakeLite, a RandomForest and the log-ratio "
            "rule, export them (ONNX, TFLite, ExecuTorch; fp32 and int8; fidelity gate), fly the test "
            "split through the Python flight runtime (network and baseline messages, scored and "
            "profiled), run the same tiles through the C++ runner and compare its messages byte for "
            "byte, benchmark every artifact in both runtimes beside the seed-equivalent (short run), fly "
            "the default one-day mission with the exported network (quakesat mission: time to alert, "
            "false alerts, bytes; survey and cued), and write demo_report.json. About four minutes on 2 cores."
        ),
    )
    p.add_argument("--out", type=output_dir, default=Path("out/demo"), help="output folder (default out/demo)")
    p.add_argument("--events", type=int_range(4, 10_000), default=12, help="simulated events, >= 4 (default 12)")
    p.add_argument("--seed", type=NON_NEGATIVE, default=0, help="random seed (default 0)")
    p.add_argument("--size", type=int_range(32, 4096), default=512, help="tile side in pixels (default 512)")
    p.add_argument("--doc", type=Path, default=None, metavar="README.md",
                   help="after a passing run, rewrite this README's demo blocks from the run (its figures kept in "
                        "docs/readme_figures.json beside it); maintainers only")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from quakesat.demo import run_demo

    if args.doc is not None and not args.doc.is_file():
        return usage(args, f"--doc {args.doc}: no such file; it names the README whose demo blocks are rewritten")
    status = run_demo(args.out, events=args.events, seed=args.seed, size=args.size)
    if status == EXIT_OK and args.doc is not None:
        from quakesat.readme_figures import update_demo

        update_demo(args.out, args.doc, args.doc.parent / "docs" / "readme_figures.json")
    return status
