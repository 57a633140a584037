"""The ``quakesat`` command line: one console script, one subcommand per pipeline stage.

Each subcommand parses and checks its options (:mod:`quakesat.cli_args`: ranges, paths),
then calls the stage's public function. The subcommands live in :mod:`quakesat.commands`,
one module per family; this module builds the parser from them and turns every error into
one line on stderr with a documented exit status (:mod:`quakesat.cli_args`). Heavy imports
(h5py, torch, onnx) happen inside the subcommand that needs them, so ``quakesat decode``
runs on the flight-side dependencies alone and a missing optional dependency is reported as
one line with the extra to install.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence

from quakesat import __version__
from quakesat.cli_args import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILURE,
    EXIT_GATE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Parser,
    missing_dependency,
)
from quakesat.commands.bench import add_bench, add_reliability
from quakesat.commands.common import fail
from quakesat.commands.data import add_data, add_simulate
from quakesat.commands.export import add_adopt, add_export
from quakesat.commands.flight import add_archive, add_decode, add_run
from quakesat.commands.flight_options import detach_summaries
from quakesat.commands.keys import add_keys
from quakesat.commands.mission import add_mission
from quakesat.commands.models import add_evaluate, add_results, add_train
from quakesat.commands.report import add_demo, add_report
from quakesat.errors import (
    BackendError,
    ExportError,
    FidelityGateError,
    QuakesatError,
)
from quakesat.files import clear_interrupt, interrupt_handler

#: Errors that mean "the command ran and failed" (exit 1) rather than "bad input" (exit 2).
RUNTIME_FAILURES = (ExportError, BackendError)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = Parser(prog="quakesat", description="On-board earthquake detection for SAR satellites (QuakeSet).",
                    epilog="Exit status: 0 ok, 1 failure, 2 usage or input error, 3 fidelity gate failed, "
                           "130 interrupted.")
    parser.add_argument("--version", action="version", version=f"quakesat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_simulate, add_data, add_train, add_evaluate, add_results, add_export, add_adopt, add_run,
                add_archive, add_bench, add_reliability, add_decode, add_keys, add_mission, add_report, add_demo):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit status (see :mod:`quakesat.cli_args`).

    Every error a user can cause becomes one line on stderr, never a traceback. Set
    ``QUAKESAT_TRACEBACK=1`` to see the traceback of an unexpected error.
    """
    parser = build_parser()
    command = ""
    clear_interrupt()
    # Remember a Ctrl-C as well as raising it: some places swallow the KeyboardInterrupt
    # (quakesat.files explains which), and the long loops and output files check the flag.
    previous = signal.signal(signal.SIGINT, interrupt_handler) \
        if threading.current_thread() is threading.main_thread() else None
    try:
        args = parser.parse_args(argv)
        command = args.command
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except SystemExit as exit_:  # argparse: --help, --version, a usage error
        return int(exit_.code or 0) if isinstance(exit_.code, int) or exit_.code is None else EXIT_USAGE
    except KeyboardInterrupt:
        print(f"quakesat{' ' + command if command else ''}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`quakesat decode ... | head`): stop quietly; silence the final flush.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except FidelityGateError as err:
        return fail(command, str(err), EXIT_GATE)
    except RUNTIME_FAILURES as err:
        return fail(command, str(err), EXIT_FAILURE)
    except QuakesatError as err:
        return fail(command, str(err), EXIT_USAGE)
    except ModuleNotFoundError as err:
        return fail(command, missing_dependency(err), EXIT_USAGE)
    except OSError as err:  # a path that became unreadable or unwritable while running, a full disk
        where = f"{err.filename}: " if err.filename else ""
        return fail(command, f"{where}{err.strerror or err}", EXIT_USAGE)
    except Exception as err:
        if os.environ.get("QUAKESAT_TRACEBACK"):
            raise
        return fail(command, f"unexpected {type(err).__name__}: {err} (set QUAKESAT_TRACEBACK=1 for the traceback; "
                              "please report it)", EXIT_FAILURE)
    finally:
        if "quakesat.ground.log_summary" in sys.modules:
            detach_summaries()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    raise SystemExit(main())
