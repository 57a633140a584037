"""``quakesat run``, ``archive`` and ``decode``: tiles through the flight runtime into the downlink
stream, on one machine or a Dask cluster, and the ground's decode of it. What ``run`` and
``archive`` share lives in :mod:`quakesat.commands.flight_options`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from quakesat.cli_args import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    data_file,
    existing_file,
    float_range,
    int_range,
)
from quakesat.commands.common import U32_MAX, fail, usage
from quakesat.commands.flight_options import (
    add_flight_options,
    add_model_options,
    add_stream_out,
    add_tile_selection,
    end_log,
    open_runtime,
    print_fault_and_profile,
    summarised_log,
)


# ─── run ────────────────────────────────────────────────────────────────────────────────
def add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="tiles -> flight runtime -> downlink messages (binary stream + JSON lines)",
        description=(
            "Run the flight runtime (quakesat.runtime, no torch) of an exported model over tiles: "
            "input checks, change gate, preprocessing, inference, decision, location, 32-byte "
            "messages through the bounded onboard queue, drained at the end as one ground contact. "
            "Writes OUT, OUT's decode as .jsonl and a .report.json (profile, evaluation). "
            "A missing or tampered model is not an error: every tile then carries its status "
            "(unless --strict)."
        ),
    )
    add_model_options(p, archive=False)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=data_file,
                     help="earthquakes.h5: its bitemporal pairs (task 1) are the tiles (for a model taking "
                          "same-track pairs, those pairs' same-track images)")
    src.add_argument("--pre", type=Path, help="pre-event image, H x W x 2 float32 .npy, or H x W complex64 for a "
                                              "model taking same-track pairs (with --post, --lat, --lon)")
    src.add_argument("--tiles", type=existing_file,
                     help="a tile list (JSON lines: tile_id, time, lat, lon, pre, post; the C++ runner reads "
                          "the same, see docs/runtime.md)")
    add_tile_selection(p, archive=False)
    p.add_argument("--post", type=Path, help="post-event image .npy")
    p.add_argument("--lat", type=float_range(-90.0, 90.0), help="latitude of the tile centre, degrees")
    p.add_argument("--lon", type=float_range(-180.0, 180.0), help="longitude of the tile centre, degrees")
    p.add_argument("--time", type=int_range(1, U32_MAX), default=None,
                   help="acquisition time of --post, Unix s (default: now)")
    p.add_argument("--tile-id", type=int_range(0, U32_MAX), default=0,
                   help="tile id carried in the message (default 0)")
    p.add_argument("--pixel-spacing", type=float_range(0.0, 10_000.0, low_open=True), default=None,
                   help="metres per pixel (default 10 for an amplitude pair, 80 for a same-track pair: the tile "
                        "geometry the models are trained on)")
    add_stream_out(p)
    add_flight_options(p, archive=False)
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    import time as _time

    from quakesat.ground.run import MISMATCH_STATUSES, npy_tile, run_tiles
    from quakesat.runtime.tile import DEFAULT_PIXEL_SPACING_M, SAME_TRACK, SAME_TRACK_PIXEL_SPACING_M

    if args.pre is not None and (args.post is None or args.lat is None or args.lon is None):
        return usage(args, "--pre needs --post, --lat and --lon")
    summary = summarised_log(hold=MISMATCH_STATUSES, verbosity=args.verbosity)
    _, runtime = open_runtime(args)
    if args.data is not None:
        from quakesat.data.tiles import file_tiles

        items = file_tiles(args.data, None if args.split == "all" else args.split, args.limit, args.assume_time,
                           kind=runtime.input_kind)
    elif args.tiles is not None:
        from quakesat.runtime.tile_file import read_tile_list

        # run_tiles is done with a tile before it reads the next: one pair of image buffers serves all
        tiles = read_tile_list(args.tiles, reuse_buffers=True, side=runtime.side, model_kind=runtime.input_kind)
        items = ((tile, None, seconds) for tile, seconds in tiles)
    else:
        when = int(_time.time()) if args.time is None else args.time
        spacing = args.pixel_spacing or (SAME_TRACK_PIXEL_SPACING_M if runtime.input_kind == SAME_TRACK
                                         else DEFAULT_PIXEL_SPACING_M)
        tile, read_seconds = npy_tile(args.pre, args.post, args.lat, args.lon, when, args.tile_id, spacing,
                                      runtime.side, runtime.input_kind)
        items = iter([(tile, None, read_seconds)])
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    # a bar on a terminal (none when stderr is a file or a pipe); log lines print above it
    items = tqdm(items, desc="run", unit="tile", disable=None, leave=False)
    with logging_redirect_tqdm():
        report = run_tiles(runtime, items, args.out, evaluate=args.evaluate and args.data is not None,
                           refuse_mismatch=not args.fault_mode)
    end_log(summary)
    if args.json:
        print(json.dumps(report))
        return EXIT_OK
    print(f"{report['tiles']} tiles -> {report['messages']} messages, {report['bytes']} bytes, "
          f"{report['events_flagged']} events -> {report['stream']} (decoded: {report['decoded']})")
    print_fault_and_profile(report, args)
    if "evaluation" in report:
        ev = report["evaluation"]
        hard = ev["shortcut"]["hard"] or {}
        print(f"accuracy {ev['detection']['accuracy']} (F1 {ev['detection']['f1']}); without identical negatives "
              f"{hard.get('accuracy')}; hard negatives {ev['shortcut']['hard_negatives']}")
        if "magnitude" in ev:
            print(f"magnitude MAE {ev['magnitude']['mae']} mb (events only {ev['magnitude']['mae_events']})")
        from quakesat.evaluation.messages import gate_sentence, location_sentence

        print(gate_sentence(ev["gate"]))
        print(location_sentence(ev["location"]))
    print(f"report: {report['report']}")
    return EXIT_OK


# ─── archive ────────────────────────────────────────────────────────────────────────────
def _scheduler(text: str) -> str:
    from quakesat.ground.archive import scheduler_address

    try:
        return scheduler_address(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_archive(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "archive",
        help="quakesat run over whole QuakeSet files on a Dask cluster (the same stream, byte for byte)",
        description=(
            "Run the flight runtime over every tile of one or more QuakeSet files on Dask distributed: a local "
            "cluster of --workers processes, or the scheduler at --scheduler. Shards of whole patches are judged "
            "on the workers; the driver records them in tile order, so OUT, its .jsonl and its .report.json are "
            "what quakesat run --data writes, except the timing fields (docs/archive.md). Several files are one "
            "pass, tile ids following on from file to file."
        ),
    )
    add_model_options(p, archive=True)
    p.add_argument("--data", type=data_file, nargs="+", required=True, metavar="FILE",
                   help="earthquakes.h5 file(s), at the same paths on every worker: their bitemporal pairs "
                        "are the tiles")
    add_stream_out(p)
    add_tile_selection(p, archive=True)
    p.add_argument("--scheduler", type=_scheduler, default=None, metavar="ADDRESS",
                   help="a running Dask scheduler, tcp://host:8786 (default: a local cluster)")
    p.add_argument("--workers", type=int_range(1, 1024), default=None,
                   help="worker processes of the local cluster, one thread each (default: the CPUs, at most 16)")
    p.add_argument("--shard-tiles", type=int_range(1, 1_000_000), default=None,
                   help="tiles per shard, in whole patches (default: 4 shards per worker, at most 64 tiles)")
    p.add_argument("--connect-timeout", type=float_range(0.0, 3600.0, low_open=True), default=10.0,
                   help="seconds to reach --scheduler and for its first worker (default 10)")
    add_flight_options(p, archive=True)
    p.set_defaults(func=_cmd_archive)


def _cmd_archive(args: argparse.Namespace) -> int:
    if args.scheduler is not None and args.workers is not None:
        return usage(args, "--workers sizes the local cluster; with --scheduler the workers are the scheduler's")
    try:
        import distributed  # noqa: F401
    except ModuleNotFoundError:
        return fail(args.command, "this command needs dask.distributed (pip install 'quakesat[archive]')", EXIT_USAGE)
    from quakesat.data.parallel import default_workers
    from quakesat.ground.archive import ArchiveFailure, run_archive

    # .pte artifacts run on the driver and the workers as in quakesat run (the backend needs torch to open one)
    backends = ("quakesat.export.executorch_backend",)

    summary = summarised_log(verbosity=args.verbosity)
    config, _ = open_runtime(args)
    try:
        report = run_archive(args.data, args.artifacts, args.out, artifact=args.artifact, config=config,
                             split=None if args.split == "all" else args.split, limit=args.limit,
                             assume_time=args.assume_time, evaluate=args.evaluate, scheduler=args.scheduler,
                             workers=args.workers or default_workers(), shard_tiles=args.shard_tiles,
                             connect_timeout=args.connect_timeout, progress=not args.quiet,
                             backends=backends)
    except ArchiveFailure as err:
        return fail(args.command, str(err), EXIT_FAILURE)
    end_log(summary)
    if args.json:
        print(json.dumps(report))
        return EXIT_OK
    scale = report["archive"]
    print(f"{report['tiles']} tiles from {len(scale['files'])} file(s) in {scale['shards']} shards on "
          f"{scale['workers']} worker(s) ({scale['scheduler']}) -> {report['messages']} messages, "
          f"{report['bytes']} bytes, {report['events_flagged']} events -> {report['stream']} "
          f"(decoded: {report['decoded']})")
    print_fault_and_profile(report, args)
    if "evaluation" in report:
        ev = report["evaluation"]
        print(f"accuracy {ev['detection']['accuracy']} (F1 {ev['detection']['f1']}); "
              f"hard negatives {ev['shortcut']['hard_negatives']}")
    print(f"report: {report['report']}")
    return EXIT_OK


# ─── decode ─────────────────────────────────────────────────────────────────────────────
def add_decode(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "decode",
        help="downlink messages -> JSON lines (the ground side)",
        description=(
            "Decode downlink messages (docs/downlink.md) into one JSON object per message. "
            "Malformed messages are reported on stderr with the failed check, and the exit "
            "status is 1 if any message was malformed."
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--hex", nargs="+", metavar="HEX", help="one or more messages as hex strings")
    src.add_argument("file", nargs="?", type=existing_file, help="a binary stream of concatenated messages")
    p.add_argument("--thumbnails", action="store_true",
                   help="the input is deformation thumbnails (160-byte packets, APID 0x2C2), not 32-byte messages")
    p.set_defaults(func=_cmd_decode)


def _cmd_decode(args: argparse.Namespace) -> int:
    from quakesat.errors import DecodeError
    from quakesat.ground.decode import decode, iter_stream, to_json_dict
    from quakesat.ground.thumbnail_decode import decode_thumbnail, iter_thumbnails, thumbnail_to_json_dict
    from quakesat.runtime.message import MESSAGE_LENGTH
    from quakesat.runtime.thumbnail import THUMBNAIL_LENGTH

    # One packet kind per stream (the ground routes on the APID before this).
    decode_one, split, as_json, length = (
        (decode_thumbnail, iter_thumbnails, thumbnail_to_json_dict, THUMBNAIL_LENGTH) if args.thumbnails
        else (decode, iter_stream, to_json_dict, MESSAGE_LENGTH))
    results: list[tuple[int, object]] = []
    if args.hex is not None:
        for index, text in enumerate(args.hex):
            try:
                data = bytes.fromhex(text)
            except ValueError:
                results.append((index, DecodeError("not_hex", f"{text!r} is not a hex string")))
                continue
            try:
                results.append((index, decode_one(data)))
            except DecodeError as err:
                results.append((index, err))
    else:
        data = args.file.read_bytes()
        results = [(offset // length, item) for offset, item in split(data)]
    bad = 0
    for index, item in results:
        if isinstance(item, DecodeError):
            bad += 1
            print(json.dumps({"index": index, "error": item.reason, "detail": str(item)}), file=sys.stderr)
        else:
            print(json.dumps(as_json(item)))
    return EXIT_FAILURE if bad else EXIT_OK
