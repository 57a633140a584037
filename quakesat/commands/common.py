"""What every subcommand family uses: the split names, the largest 32-bit field, the demo's
model folder and the one-line errors (:mod:`quakesat.cli_args` has the exit statuses)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from quakesat.cli_args import EXIT_USAGE

SPLITS = ("train", "validation", "test")
U32_MAX = 0xFFFF_FFFF
#: The model ``quakesat mission`` flies when neither the scenario nor --artifacts names one.
DEMO_ARTIFACTS = Path("out/demo/artifacts/quakelite")


def usage(args: argparse.Namespace, message: str) -> int:
    """Print a usage error of ``args.command`` (one line, pointing at its --help); exit 2."""
    print(f"quakesat {args.command}: error: {message} (see quakesat {args.command} --help)", file=sys.stderr)
    return EXIT_USAGE


def fail(command: str, message: str, code: int) -> int:
    """Print ``quakesat COMMAND: error: MESSAGE``; return ``code``."""
    print(f"quakesat{' ' + command if command else ''}: error: {message}", file=sys.stderr)
    return code
