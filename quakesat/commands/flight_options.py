"""What ``quakesat run`` and ``quakesat archive`` share: their options, the runtime they open
from them, what they do with a model they should not fly, and their log lines.

``archive`` is ``run --data`` spread over a Dask cluster, so every option the two have in
common is declared once, here, in the order both list it. Where ``archive`` words an option's
help for a cluster, :data:`ARCHIVE_HELP` holds its wording.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from quakesat.cli_args import NON_NEGATIVE, POSITIVE, existing_file, int_range, output_file
from quakesat.commands.common import SPLITS, U32_MAX

#: The help ``archive`` gives where it differs from ``run``'s (``run``'s is at the option).
ARCHIVE_HELP = {
    "--artifacts": "folder written by quakesat export, at the same path on every worker",
    "--split": "train | validation | test | all (default test)",
    "--limit": "at most this many tiles per file",
    "--assume-time": "acquisition time (Unix s) for tiles whose file records none (the real file)",
    "--gate": "change gate, as for quakesat run (default manifest)",
    "--locate": "location of flagged events, as for quakesat run (default auto)",
    "--threads": "inference threads per worker (default 1)",
    "--deadline-ms": "time budget per tile in ms, as for quakesat run (default 0: no budget)",
    "--trusted-key": "refuse a manifest not signed with this Ed25519 key (checked on the driver and every worker)",
    "--evaluate": "score the messages (overall, hard negatives, gate, location)",
}


class _Options:
    """Adds options to one command's parser, with ``archive``'s help where it has its own."""

    def __init__(self, parser: argparse.ArgumentParser, archive: bool) -> None:
        self.parser, self.archive = parser, archive

    def __call__(self, *flags: str, **kwargs: Any) -> None:
        if self.archive and flags[0] in ARCHIVE_HELP:
            kwargs["help"] = ARCHIVE_HELP[flags[0]]
        self.parser.add_argument(*flags, **kwargs)


def add_model_options(p: argparse.ArgumentParser, archive: bool) -> None:
    """``--artifacts`` and ``--artifact``: the model that flies."""
    add = _Options(p, archive)
    add("--artifacts", type=Path, required=True,
        help="folder written by quakesat export (a missing one flies in fault mode)")
    add("--artifact", default=None, help="which artifact of the manifest (default: its default)")


def add_tile_selection(p: argparse.ArgumentParser, archive: bool) -> None:
    """``--split``, ``--limit`` and ``--assume-time``: which tiles of a QuakeSet file fly."""
    add = _Options(p, archive)
    add("--split", choices=(*SPLITS, "all"), default="test",
        help="with --data: train | validation | test | all (default test)")
    add("--limit", type=POSITIVE, default=None, help="with --data: at most this many tiles")
    add("--assume-time", type=int_range(1, U32_MAX), default=None,
        help="with --data: acquisition time (Unix s) for tiles whose file records none (the real file)")


def add_stream_out(p: argparse.ArgumentParser) -> None:
    """``--out``: the downlink stream to write."""
    p.add_argument("--out", type=output_file, required=True, help="binary message stream to write (e.g. messages.bin)")


def add_flight_options(p: argparse.ArgumentParser, archive: bool) -> None:
    """The runtime's settings (:class:`quakesat.runtime.flight.RuntimeConfig`), the flight policy
    (:func:`flight_policy`), the log's loudness and the printout: ``--gate`` to ``--json``
    (``archive`` adds ``--quiet``, for its progress bar, before ``--profile``)."""
    add = _Options(p, archive)
    add("--gate", choices=("off", "identical", "manifest"), default="manifest",
        help="change gate: off, identical pairs only, or the manifest's calibrated threshold (default)")
    add("--locate", choices=("auto", "head", "change", "centre"), default="auto",
        help="location of flagged events: the manifest's choice (default), head, change peak, centre")
    add("--emit", choices=("all", "alerts"), default="all",
        help="a message per tile (default) or only events, bad input and model faults")
    add("--health-every", type=NON_NEGATIVE, default=100,
        help="tiles between health messages, 0 for only the final one (default 100)")
    add("--queue-capacity", type=int_range(1, 1_000_000), default=1024, help="onboard queue capacity (default 1024)")
    add("--threads", type=int_range(1, 256), default=1, help="inference threads (default 1)")
    add("--deadline-ms", type=int_range(0, 3_600_000), default=0,
        help="time budget per tile in ms, from the start of its read to the end of inference: a tile over it is "
             "deadline_missed, a hung backend never stalls the run (default 0: no budget)")
    add("--trusted-key", type=existing_file, default=None, metavar="PUBLIC_KEY",
        help="refuse a manifest not signed with this Ed25519 key (signing.pub; quakesat sign)")
    add("--fault-mode", action="store_true",
        help="fly whatever is wrong as the satellite would, every message carrying its status: a model that cannot "
             "be used (missing, tampered, unreadable manifest), tiles none of which fit the model, no tiles "
             "(default: exit 2, nothing written)")
    add("--allow-failed-gate", action="store_true",
        help="fly an artifact that failed its fidelity gate, with a warning (default: exit 2)")
    add("--strict", action="store_true", help=argparse.SUPPRESS)  # the default since --fault-mode
    loudness = p.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet-tiles", dest="verbosity", action="store_const", const=-1, default=0,
                          help="no per-tile log lines (the messages and the report still carry every status)")
    loudness.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=1,
                          help="every per-tile log line, none summarised, and the runtime's informational lines")
    add("--evaluate", action="store_true",
        help="with --data: score the messages (overall, hard negatives, gate, location)")
    if archive:
        add("--quiet", action="store_true", help="no progress bar")
    add("--profile", action="store_true", help="print the time per stage and tiles/s")
    add("--json", action="store_true", help="print the report as one JSON object")


def open_runtime(args: argparse.Namespace) -> tuple[Any, Any]:
    """The :class:`RuntimeConfig` the options give, and the flight runtime opened with it on
    the model, refused or warned about by :func:`flight_policy` (on ``archive``'s driver, first)."""
    from quakesat.export import executorch_backend  # noqa: F401 - .pte artifacts run here too (needs torch)
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig

    trusted = None
    if args.trusted_key is not None:
        from quakesat.runtime.signature import read_public_key

        trusted = read_public_key(args.trusted_key)
    config = RuntimeConfig(gate=args.gate, locate=args.locate, emit=args.emit, health_every=args.health_every,
                           queue_capacity=args.queue_capacity, threads=args.threads, trusted_key=trusted,
                           deadline_s=args.deadline_ms / 1000 if args.deadline_ms else None)
    runtime_log = logging.getLogger("quakesat.runtime")
    if not args.fault_mode:  # a refused model is this command's one error line, not a log line too
        runtime_log.setLevel(logging.CRITICAL)
    try:
        runtime = FlightRuntime.open(args.artifacts, args.artifact, config)
    finally:
        runtime_log.setLevel(logging.NOTSET)
    flight_policy(runtime, args)
    return config, runtime


def flight_policy(runtime: Any, args: argparse.Namespace) -> None:
    """Refuse a run whose model cannot be used (unless ``--fault-mode``) or whose artifact failed
    its fidelity gate (unless ``--allow-failed-gate``, then warn): one line, exit 2."""
    from quakesat.errors import RunRefusedError

    if runtime.fault is not None:
        if not args.fault_mode:
            raise RunRefusedError(f"the model cannot be used ({runtime.fault.status.code_name}: {runtime.fault.detail}); "
                                  "nothing was written (--fault-mode flies it, every tile carrying that status)")
        return
    artifact = runtime.model.artifact
    if artifact.passed_gate:
        return
    reasons = "; ".join(artifact.gate_failures) or "never scored by the gate"
    if not args.allow_failed_gate:
        raise RunRefusedError(f"artifact {artifact.name} failed its fidelity gate ({reasons}); nothing was written "
                              "(fly the manifest's default, or pass --allow-failed-gate)")
    print(f"quakesat {args.command}: warning: flying {artifact.name}, which failed its fidelity gate ({reasons})",
          file=sys.stderr)


def summarised_log(hold: frozenset[str] = frozenset(), verbosity: int = 0) -> Any:
    """Log lines on stderr with repeated per-tile lines summarised (:mod:`quakesat.ground.log_summary`);
    ``verbosity`` -1 (``-q``): errors only; 1 (``-v``): informational lines too, nothing summarised."""
    from quakesat.ground.log_summary import SHOWN_PER_KIND, RepeatSummary

    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}[verbosity]
    logging.basicConfig(level=level, format="%(name)s: %(message)s")
    logging.getLogger().setLevel(level)
    summary = RepeatSummary(shown=1 << 62 if verbosity > 0 else SHOWN_PER_KIND, hold=hold)
    for handler in logging.getLogger().handlers:
        handler.addFilter(summary)
    return summary


def detach_summaries() -> None:
    """Take every :func:`summarised_log` filter off the root handlers (a command that raised
    leaves its own on; ``main`` calls this last, so that the next in-process call starts clean)."""
    from quakesat.ground.log_summary import RepeatSummary

    for handler in logging.getLogger().handlers:
        for found in [f for f in handler.filters if isinstance(f, RepeatSummary)]:
            handler.removeFilter(found)


def end_log(summary: Any) -> None:
    """Print what :func:`summarised_log` held back and how many lines it left out."""
    detach_summaries()
    for line in summary.held + [f"quakesat.runtime: {line}" for line in summary.summary()]:
        print(line, file=sys.stderr)


def print_fault_and_profile(report: dict[str, Any], args: argparse.Namespace) -> None:
    """The model fault, if any, and with ``--profile`` the time per stage, of a run's report."""
    from quakesat.ground.run import format_profile

    if report["fault"]:
        print(f"model fault: {report['fault']['status']}: {report['fault']['detail']}")
    if args.profile:
        print(format_profile(report["profile"]))
