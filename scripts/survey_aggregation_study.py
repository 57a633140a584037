"""Run the survey-aggregation study (mission/aggregation_study.py) at its default size and
write its block ``survey-aggregation`` and its plot.

    python scripts/survey_aggregation_study.py [--seed 0] [--doc docs/mission.md] [--plot docs/survey_aggregation.png]
                                               [--curve mission/survey_aggregation_curve.json]

A few minutes on 2 cores; prints the block.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from quakesat.doc_blocks import replace_block
from quakesat.mission.aggregation_study import (
    aggregation_markdown,
    curve_dict,
    plot_recall_curve,
    run_aggregation_study,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--doc", type=Path, help="a Markdown file holding the block survey-aggregation")
    parser.add_argument("--plot", type=Path, help="where to write the recall curve (PNG)")
    parser.add_argument("--curve", type=Path, help="where to write the curve as JSON (the report draws "
                        "mission/survey_aggregation_curve.json)")
    args = parser.parse_args(argv)
    study = run_aggregation_study(args.seed)
    text = aggregation_markdown(study)
    print(text)
    if args.doc:
        replace_block(args.doc, "survey-aggregation", text)
    if args.plot:
        plot_recall_curve(study, args.plot)
    if args.curve:
        data = curve_dict(study, time.strftime("%Y-%m-%d", time.gmtime()))
        args.curve.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
