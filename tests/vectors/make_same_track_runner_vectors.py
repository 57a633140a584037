"""Write the Python/C++ parity vectors of a same-track model in ``tests/vectors/runner_same_track/``.

    python tests/vectors/make_same_track_runner_vectors.py   # needs the pte extra (ExecuTorch, h5py)
    python tests/vectors/make_same_track_runner_vectors.py --expected-only   # the expectations alone

The same-track twin of ``make_runner_vectors.py``: tiles for the tiny same-track model
(``tests/vectors/tiny_insar_model``: 64 x 64 complex pairs, looks 4, no change gate, located at
the centre by its manifest), and the messages the Python flight runtime gives for them, which
the C++ runner must give byte for byte. What it writes, all checked by pytest
(``tests/runtime/test_same_track_runner_vectors.py``, ``tests/cpp/test_runner_cli.py``) and by
the C++ tests (``cpp_runner/tests/test_runner.cpp``, ``test_no_alloc.cpp``):

- ``tiles/*.npy`` and ``tiles.jsonl``: same-track pairs under the tile file contract
  (:mod:`quakesat.runtime.tile_file`; ``"kind": "same_track"``, two 64 x 64 ``<c8`` files).
  Real simulated pairs first (``--slc`` at 80 m pixels, the tiny model's geometry; written by
  :func:`~quakesat.runtime.tile_file.write_tile_list`): events, negatives and pairs the
  simulator decorrelated everywhere (``NO_COHERENCE``). Then the hostile cases, variants of
  the first event: the same-track checks' table (partial, mostly, lost-in-either and all
  no-data, an infinity, all zero, a fill, out of range), two independent images
  (``NO_COHERENCE``, and behind a bad latitude or time, which come first), a bad georeference
  and time, the file contract (float32, complex128 and big-endian files ``BAD_DTYPE``, a 3-D
  file and a wrong side ``BAD_SHAPE``, a truncated and a missing file ``UNREADABLE``), two
  amplitude lines (``WRONG_KIND``, their files unread, one of them missing), a line of an
  unknown kind and a broken line (``UNREADABLE``).
- ``expected_<config>.jsonl``: the message each tile gives through the Python flight runtime
  running the tiny model's ``pte-int8`` program (ExecuTorch, the C++ runner's format), one
  line per tile in order, ``seq`` = index, for each of :data:`CONFIGS`.
- ``expected_streams.jsonl``: the downlink stream ``quakesat run --tiles tiles.jsonl`` writes
  for each of :data:`STREAMS` (every tile through the bounded queue, health reports, one
  contact), as hex; ``quakesat-runner`` with the same options must write the same bytes.

``--expected-only`` rewrites the expectations from the committed tiles (the simulation is not
run again).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "runner_same_track"
TINY = HERE / "tiny_insar_model"
SIDE = 64
LOOKS = 4
ARTIFACT = "pte-int8"
#: The simulation the real pairs come from: the tiny same-track model's geometry (64 px of 80 m).
SIMULATION = {"events": 6, "seed": 99, "size": SIDE, "slc": True, "slc_side": SIDE, "slc_footprint_m": SIDE * 80.0}
#: Real pairs taken, in the file's order: events, negatives, pairs with no coherence anywhere.
WANTED = {"event": 5, "negative": 3, "incoherent": 2}
#: Per-tile expectations: the manifest's settings, and location by the head. (A same-track model
#: has no change gate whatever the gate setting.)
CONFIGS = {"manifest": {"gate": "manifest", "locate": "auto"}, "head": {"gate": "off", "locate": "head"}}
#: Settings of the whole-stream expectations: the CLI defaults, then small queues that drop; the
#: last asks for the change gate and change location, which a same-track model does not have
#: (no gate, the tile centre).
STREAMS = {
    "defaults": {"gate": "manifest", "locate": "auto", "emit": "all", "health_every": 100, "queue_capacity": 1024},
    "head_queue_4": {"gate": "off", "locate": "head", "emit": "all", "health_every": 5, "queue_capacity": 4},
    "alerts_queue_2": {"gate": "manifest", "locate": "head", "emit": "alerts", "health_every": 3,
                       "queue_capacity": 2},
    "change_identical_queue_1": {"gate": "identical", "locate": "change", "emit": "all", "health_every": 1,
                                 "queue_capacity": 1},
}


def _simulated_tiles() -> list[tuple[str, object]]:
    """(name, tile) of the real pairs, ids 0.. in order (:data:`WANTED`, in the file's order)."""
    from dataclasses import replace

    from quakesat.data.tiles import file_tiles
    from quakesat.runtime.interferogram import InterferogramConfig, interferogram_features
    from quakesat.runtime.same_track import check_coherence, check_same_track_pair
    from quakesat.simulator.simulate import SimulationConfig, simulate_file

    wanted = dict(WANTED)
    picked: list[tuple[str, object]] = []
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "vectors.h5"
        simulate_file(path, SimulationConfig(**SIMULATION), progress=False, workers=1)
        for tile, truth, _ in file_tiles(path, None, kind="same_track"):
            if tile.read_check is not None or tile.first is None:
                continue
            if not check_same_track_pair(tile.first, tile.second, SIDE).processable:
                continue
            formed = interferogram_features(tile.first, tile.second, InterferogramConfig(looks=LOOKS))
            kind = ("incoherent" if not check_coherence(formed[2], LOOKS).processable
                    else "event" if truth.label else "negative")
            if wanted[kind]:
                wanted[kind] -= 1
                name = f"{kind}_{sum(1 for n, _ in picked if n.startswith(kind))}"
                picked.append((name, replace(tile, tile_id=len(picked))))
            if not any(wanted.values()):
                break
    assert not any(wanted.values()), f"the simulation lacks {wanted}"
    return picked


def _speckle(rng: np.random.Generator) -> np.ndarray:
    return ((rng.normal(size=(SIDE, SIDE)) + 1j * rng.normal(size=(SIDE, SIDE))) * np.sqrt(0.05)).astype("<c8")


def _hostile_cases(base) -> list[dict]:
    """Variants of the tile ``base``: name, pre/post (arrays, b"truncated" or None: missing),
    metadata overrides, and the line's kind (None: no "kind" key, an amplitude line)."""
    pre, post = base.first, base.second
    rng = np.random.default_rng(2029)

    def variant(name: str, first=None, second=None, kind: str | None = "same_track", **meta) -> dict:
        return {"name": name, "pre": pre if first is None else first, "post": post if second is None else second,
                "kind": kind, **meta}

    def edited(image: np.ndarray, change) -> np.ndarray:
        copy = image.copy()
        change(copy)
        return copy

    def nan_rows(start: int, stop: int):
        return lambda image: image.__setitem__(slice(start, stop), complex(np.nan, 0.0))

    independent = _speckle(rng)
    amplitude = np.abs(np.stack([pre, post], axis=-1)).astype("<f4") ** 2  # H x W x 2 float32, sigma0-like
    return [
        variant("partial_nodata", second=edited(post, nan_rows(0, 6))),
        variant("mostly_nodata", first=edited(pre, nan_rows(0, 40))),
        variant("lost_in_either", first=edited(pre, nan_rows(0, 24)), second=edited(post, nan_rows(24, 48))),
        variant("all_nodata", second=np.full_like(post, complex(np.nan, np.nan))),
        variant("non_finite", second=edited(post, lambda image: image.__setitem__((5, 7), complex(np.inf, 0.0)))),
        variant("all_zero", first=np.zeros_like(pre)),
        variant("constant", second=np.full_like(post, complex(0.3, -0.1))),
        variant("out_of_range", first=edited(pre, lambda image: image.__setitem__((3, 3), complex(100.0, 1.0)))),
        variant("independent", second=independent),
        variant("independent_bad_latitude", second=independent, lat=91.0),
        variant("independent_bad_time", second=independent, time=-5),
        variant("bad_latitude", lat=91.0),
        variant("bad_time", time=0),
        variant("float32_file", second=amplitude),
        variant("complex128_file", first=pre.astype("<c16")),
        variant("big_endian_file", second=post.astype(">c8")),
        variant("three_dimensional_file", first=pre.reshape(SIDE, SIDE, 1)),
        variant("wrong_side", second=post[:32, :32].copy()),
        variant("truncated_file", second=b"truncated"),
        variant("missing_file", second=None, missing=True),
        variant("amplitude_line", first=amplitude, second=amplitude, kind=None),
        variant("amplitude_line_missing_files", first=amplitude, second=None, kind=None, missing=True,
                missing_pre=True),
        variant("unknown_kind", kind="interferogram"),
    ]


def _write_tiles(real: list[tuple[str, object]]) -> tuple[Path, list[str]]:
    """Write every tile; return the list's path and the name of each of its lines."""
    from quakesat.runtime.tile_file import write_tile_list

    path = write_tile_list([tile for _, tile in real], OUT)
    names = [name for name, _ in real]
    lines = path.read_text().splitlines()
    base = real[0][1]
    written: dict[bytes, str] = {}  # file content -> path: variants share their unchanged images
    for tile in (tile for _, tile in real):
        for side, image in (("pre", tile.first), ("post", tile.second)):
            written[_key(np.ascontiguousarray(image, dtype="<c8"))] = f"tiles/{tile.tile_id}_{side}.npy"
    for case in _hostile_cases(base):
        tile_id = len(lines)
        entry = {"tile_id": tile_id, "time": case.get("time", base.time), "lat": case.get("lat", base.georef.center_lat),
                 "lon": base.georef.center_lon, "pixel_spacing_m": base.georef.pixel_spacing_m}
        if case["kind"] is not None:
            entry["kind"] = case["kind"]
        for side in ("pre", "post"):
            rel = f"tiles/{case['name']}_{side}.npy"
            entry[side] = rel
            value = case[side]
            if case.get(f"missing_{side}") or (side == "post" and case.get("missing")):
                continue  # the file is not there
            if isinstance(value, bytes):
                np.save(OUT / rel, np.ascontiguousarray(base.second))
                (OUT / rel).write_bytes((OUT / rel).read_bytes()[:128 + 100])  # header + a few data bytes
                continue
            key = _key(value)
            if key in written:
                entry[side] = written[key]
                continue
            np.save(OUT / rel, value)
            written[key] = rel
        lines.append(json.dumps(entry))
        names.append(case["name"])
    lines.append('{"tile_id": "not a number", "time": 1, "lat": 0, "lon": 0, "pre": "x", "post": "y", '
                 '"kind": "same_track"}')
    names.append("broken_list_line")
    path.write_text("\n".join(lines) + "\n")
    return path, names


def _key(value: np.ndarray) -> bytes:
    return np.ascontiguousarray(value).tobytes() + value.dtype.str.encode() + str(value.shape).encode()


def _tiles(runtime) -> list:
    """The list's tiles as ``quakesat run --tiles`` reads them for ``runtime``."""
    from quakesat.runtime.tile_file import read_tile_list

    return [tile for tile, _ in read_tile_list(OUT / "tiles.jsonl", side=runtime.side,
                                                model_kind=runtime.input_kind)]


def _write_expected(names: list[str]) -> None:
    from quakesat.export import executorch_backend  # noqa: F401 - registers the .pte backend
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig

    for config_name, settings in CONFIGS.items():
        runtime = FlightRuntime.open(TINY, ARTIFACT, RuntimeConfig(health_every=0, **settings))
        assert runtime.model is not None, runtime.fault
        lines = []
        for name, tile in zip(names, _tiles(runtime), strict=True):
            outcome = runtime.process(tile)
            r = outcome.report
            lines.append(json.dumps({"name": name, "tile_id": r.tile_id, "status": r.status.code_name,
                                     "event": r.event, "located": r.located, "message": outcome.message.hex()}))
        (OUT / f"expected_{config_name}.jsonl").write_text("\n".join(lines) + "\n")


def _write_streams() -> None:
    """The stream ``quakesat run`` writes for each of :data:`STREAMS` (ground/run.py)."""
    from quakesat.export import executorch_backend  # noqa: F401 - registers the .pte backend
    from quakesat.ground.run import one_contact
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig

    lines = []
    for name, settings in STREAMS.items():
        runtime = FlightRuntime.open(TINY, ARTIFACT, RuntimeConfig(**settings))
        assert runtime.model is not None, runtime.fault
        count, stream = one_contact(runtime, _tiles(runtime))
        lines.append(json.dumps({"name": name, "artifact": ARTIFACT, **settings, "tiles": count,
                                 "messages": len(stream) // 32, "dropped": runtime.queue.dropped_total,
                                 "stream": stream.hex()}))
    (OUT / "expected_streams.jsonl").write_text("\n".join(lines) + "\n")


def main() -> None:
    if "--expected-only" in sys.argv[1:]:
        names = [json.loads(line)["name"] for line in (OUT / "expected_manifest.jsonl").read_text().splitlines()]
    else:
        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
        _, names = _write_tiles(_simulated_tiles())
    _write_expected(names)
    _write_streams()
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT}: {len(names)} tiles, {size // 1024} KiB")


if __name__ == "__main__":
    main()
