"""Write the Python/C++ parity vectors in ``tests/vectors/runner/`` from fixed seeds.

    python tests/vectors/make_runner_vectors.py      # needs the pte extra (ExecuTorch, h5py)
    python tests/vectors/make_runner_vectors.py --streams-only   # expected_streams.jsonl alone

What it writes, all checked by pytest (``tests/runtime/test_runner_vectors.py``,
``tests/cpp/``) and by the C++ tests (``cpp_runner/tests/``):

- ``tiles/*.npy`` and ``tiles.jsonl``: 64 x 64 tile pairs under the tile file contract
  (:mod:`quakesat.runtime.tile_file`). Real simulated pairs (events, hard negatives, a
  pixel-identical negative), degraded ones, every bad-input case, malformed files
  (float64, three bands, truncated, missing, a broken list line), and a same-track complex
  pair (``"kind": "same_track"``, two 64 x 64 ``<c8`` files), ``WRONG_KIND`` from the tiny
  model, which takes amplitude pairs.
- ``preprocessed/*.npy``: the shared preprocessing of every pair the input checks pass, with
  the tiny model's constants (``tests/vectors/tiny_model``).
- ``expected_<config>.jsonl``: the message each tile gives through the Python flight runtime
  running the tiny model's ``pte-int8`` program (ExecuTorch, the C++ runner's format), one
  line per tile in order, ``seq`` = index. Two configurations: ``manifest`` (the gate and
  location of the manifest) and ``nogate_head`` (gate off, location head).
- ``expected_streams.jsonl``: the downlink stream ``quakesat run --tiles tiles.jsonl`` writes
  (every tile through the bounded queue, health reports, one contact at the end) for each of
  :data:`STREAMS` (gate, location, emit mode, health cadence, queue capacity), as hex, with
  its message and drop counts; ``quakesat-runner`` with the same options must write the same
  bytes. ``--streams-only`` rewrites this file alone from the committed tiles.
- ``decisions.jsonl``: decision inputs (head values, thresholds, status, tile metadata) and the
  message bytes the Python decision rule, location and codec give for them, for the C++
  decision path without a model.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "runner"
TINY = HERE / "tiny_model"
SIDE = 64
ARTIFACT = "pte-int8"
CONFIGS = {"manifest": {"gate": "manifest", "locate": "auto"}, "nogate_head": {"gate": "off", "locate": "head"}}
#: Settings of the whole-stream expectations: the CLI defaults, then small queues that drop.
STREAMS = {
    "defaults": {"gate": "manifest", "locate": "auto", "emit": "all", "health_every": 100, "queue_capacity": 1024},
    "nogate_head_queue_4": {"gate": "off", "locate": "head", "emit": "all", "health_every": 5, "queue_capacity": 4},
    "alerts_queue_2": {"gate": "manifest", "locate": "auto", "emit": "alerts", "health_every": 3, "queue_capacity": 2},
    "queue_1_health_every_tile": {"gate": "identical", "locate": "change", "emit": "all", "health_every": 1,
                                  "queue_capacity": 1},
    "final_health_only": {"gate": "manifest", "locate": "centre", "emit": "all", "health_every": 0,
                          "queue_capacity": 64},
}


def _simulated_pairs() -> list[tuple[str, np.ndarray, np.ndarray, dict]]:
    from quakesat.data.quakeset import QuakeSetFile
    from quakesat.simulator.simulate import SimulationConfig, simulate_file

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "vectors.h5"
        simulate_file(path, SimulationConfig(events=6, seed=99, size=SIDE, identical_negative_share=0.6),
                      progress=False, workers=1)
        picked: list[tuple[str, np.ndarray, np.ndarray, dict]] = []
        wanted = {"event": 3, "hard_negative": 2, "identical_negative": 1}
        with QuakeSetFile(path) as qs:
            for ref in qs.samples(1):
                first, second = qs.read(ref)
                kind = "event" if ref.label else (
                    "identical_negative" if np.array_equal(first, second, equal_nan=True) else "hard_negative")
                if wanted[kind]:
                    wanted[kind] -= 1
                    attrs = qs.patch_attrs(ref.event_id, ref.patch)
                    meta = {"time": int(attrs[f"time_{ref.images[1]}"]), "lat": float(attrs["center_lat"]),
                            "lon": float(attrs["center_lon"])}
                    picked.append((f"{kind}_{sum(1 for p in picked if p[0].startswith(kind))}", first, second, meta))
    return picked


def _cases(pairs: list[tuple[str, np.ndarray, np.ndarray, dict]]) -> list[dict]:
    """Every tile: name, pre/post arrays (or raw file bytes), metadata overrides."""
    base_pre, base_post, base_meta = pairs[0][1], pairs[0][2], pairs[0][3]
    cases = [{"name": name, "pre": pre, "post": post, **meta} for name, pre, post, meta in pairs]

    def variant(name: str, pre=None, post=None, **meta) -> dict:
        return {"name": name, "pre": base_pre if pre is None else pre, "post": base_post if post is None else post,
                **base_meta, **meta}

    partial = base_post.copy()
    partial[:6] = np.nan
    clipped = base_post.copy()
    clipped[:4] = 50.0  # +17 dB: plausible, beyond the clip range
    mostly = base_pre.copy()
    mostly[: SIDE * 3 // 4] = np.nan
    inf = base_post.copy()
    inf[5, 7, 1] = np.inf
    # A same-track complex pair: the runtimes must answer it WRONG_KIND without reading it.
    rng = np.random.default_rng(2028)
    slc = (rng.normal(size=(SIDE, SIDE)) + 1j * rng.normal(size=(SIDE, SIDE))).astype("<c8")
    cases += [
        variant("partial_nodata", post=partial),
        variant("values_clipped", post=clipped),
        variant("all_nodata", post=np.full_like(base_post, np.nan)),
        variant("mostly_nodata", pre=mostly),
        variant("non_finite", post=inf),
        variant("all_zero", pre=np.zeros_like(base_pre)),
        variant("constant", post=np.full_like(base_post, 0.05)),
        variant("out_of_range", pre=base_pre * 1e6),
        variant("wrong_side", post=base_post[:32, :32].copy()),
        variant("bad_time", time=-5),
        variant("bad_latitude", lat=91.0),
        variant("float64_file", post=base_post.astype(np.float64)),
        variant("three_bands", pre=np.concatenate([base_pre, base_pre[..., :1]], axis=2)),
        variant("truncated_file", post=b"truncated"),
        variant("missing_file", post=None, missing=True),
        variant("same_track", pre=slc, post=(slc * np.complex64(np.exp(0.3j))).astype("<c8"), kind="same_track"),
    ]
    return cases


def _write_tiles(cases: list[dict]) -> Path:
    tiles = OUT / "tiles"
    tiles.mkdir(parents=True)
    lines = []
    written: dict[bytes, str] = {}  # file content -> path: variants share their unchanged image
    for tile_id, case in enumerate(cases):
        entry = {"tile_id": tile_id, "time": case["time"], "lat": case["lat"], "lon": case["lon"],
                 "pixel_spacing_m": 10.0}
        if "kind" in case:
            entry["kind"] = case["kind"]
        for side in ("pre", "post"):
            rel = f"tiles/{case['name']}_{side}.npy"
            entry[side] = rel
            value = case[side]
            if case.get("missing") and side == "post":
                continue
            if isinstance(value, bytes):
                np.save(OUT / rel, case["pre"])
                (OUT / rel).write_bytes((OUT / rel).read_bytes()[:128 + 100])  # header + a few data bytes
                continue
            key = np.ascontiguousarray(value).tobytes() + str(value.dtype).encode() + str(value.shape).encode()
            if key in written:
                entry[side] = written[key]
                continue
            np.save(OUT / rel, np.ascontiguousarray(value))
            written[key] = rel
        lines.append(json.dumps(entry))
    lines.append('{"tile_id": "not a number", "time": 1, "lat": 0, "lon": 0, "pre": "x", "post": "y"}')
    path = OUT / "tiles.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _write_expected(tiles: Path, names: list[str]) -> None:
    from quakesat.export import executorch_backend  # noqa: F401 - registers the .pte backend
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig
    from quakesat.runtime.preprocess import preprocess_pair
    from quakesat.runtime.tile import check_pair
    from quakesat.runtime.tile_file import read_tile_list

    (OUT / "preprocessed").mkdir()
    for config_name, settings in CONFIGS.items():
        runtime = FlightRuntime.open(TINY, ARTIFACT, RuntimeConfig(health_every=0, **settings))
        assert runtime.model is not None, runtime.fault
        lines = []
        for index, (tile, _) in enumerate(read_tile_list(tiles)):
            outcome = runtime.process(tile)
            name = names[index] if index < len(names) else "broken_list_line"
            line = {"name": name, "tile_id": outcome.report.tile_id, "status": outcome.report.status.code_name,
                    "event": outcome.report.event, "message": outcome.message.hex()}
            if config_name == "manifest" and tile.read_check is None and tile.kind == "amplitude" and check_pair(
                    tile.first, tile.second, runtime.side, runtime.preprocess).processable:
                rel = f"preprocessed/{name}.npy"
                np.save(OUT / rel, preprocess_pair(tile.first, tile.second, runtime.preprocess))
                line["preprocessed"] = rel
            lines.append(json.dumps(line))
        (OUT / f"expected_{config_name}.jsonl").write_text("\n".join(lines) + "\n")


def _write_streams(tiles: Path) -> None:
    """The stream ``quakesat run`` writes for each of :data:`STREAMS` (ground/run.py run_tiles:
    every tile processed, a final health report, one contact)."""
    from quakesat.export import executorch_backend  # noqa: F401 - registers the .pte backend
    from quakesat.ground.run import one_contact
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig
    from quakesat.runtime.tile_file import read_tile_list

    lines = []
    for name, settings in STREAMS.items():
        runtime = FlightRuntime.open(TINY, ARTIFACT, RuntimeConfig(**settings))
        assert runtime.model is not None, runtime.fault
        count, stream = one_contact(runtime, (tile for tile, _ in read_tile_list(tiles)))
        lines.append(json.dumps({"name": name, "artifact": ARTIFACT, **settings, "tiles": count,
                                 "messages": len(stream) // 32, "dropped": runtime.queue.dropped_total,
                                 "stream": stream.hex()}))
    (OUT / "expected_streams.jsonl").write_text("\n".join(lines) + "\n")


def _json_float(value: float) -> float | str:
    """Strict JSON has no NaN or infinity: those travel as the strings "nan", "inf", "-inf"."""
    value = float(value)
    return value if math.isfinite(value) else str(value)


def _write_decisions(count: int = 64, seed: int = 2024) -> None:
    """Golden decision inputs: the Python rule, location and codec applied to chosen heads."""
    from quakesat.runtime.change import locate_pixel
    from quakesat.runtime.decision import DecisionRule
    from quakesat.runtime.flight import judge_heads
    from quakesat.runtime.message import TileReport, encode
    from quakesat.runtime.status import Status
    from quakesat.runtime.tile import Georef, pixel_to_latlon

    rng = random.Random(seed)
    edge_probabilities = [0.5, np.nextafter(np.float32(0.5), np.float32(0)), 0.0, 1.0, float("nan"), 1.5]
    edge_magnitudes = [1.0, np.nextafter(np.float32(1.0), np.float32(0)), -0.3, 0.0, 10.0, 10.5, float("inf")]
    lines = []
    for index in range(count):
        probability = np.float32(edge_probabilities[index] if index < len(edge_probabilities) else rng.random())
        magnitude = np.float32(edge_magnitudes[index] if index < len(edge_magnitudes) else rng.uniform(-1, 8))
        location = np.float32([rng.uniform(-1.3, 1.3), rng.uniform(-1.3, 1.3)])
        heads = {"event": np.array([probability], np.float32), "magnitude": np.array([magnitude], np.float32),
                 "location": location[None]}
        decision = {"event_threshold": rng.choice([0.5, 0.3, 0.8]), "magnitude_min": rng.choice([1.0, 0.0, 2.5])}
        given_event = rng.random() < 0.5
        informative = index % 4 != 3  # every fourth: a head export marked uninformative (magnitude 0)
        check_status = rng.choice([Status.OK, Status.OK, Status.PARTIAL_NODATA, Status.VALUES_CLIPPED])
        method = rng.choice(["head", "centre"])
        georef = Georef(rng.uniform(-89, 89), rng.uniform(-179.9, 179.9), rng.choice([10.0, 20.0]))
        side = rng.choice([64, 512])
        tile_id, time, seq, model_id = rng.randrange(2**32), rng.randrange(1, 2**32), index, rng.randrange(2**16)
        event, mag, confidence, problem = judge_heads(heads, DecisionRule(**decision, magnitude_given_event=given_event,
                                                                         magnitude_informative=informative))
        status = Status.OUTPUT_INVALID if problem else check_status
        pixel, _ = locate_pixel(method, heads, None, None, side) if event else (None, "centre")
        lat, lon = pixel_to_latlon(georef, *pixel, side) if pixel else (georef.center_lat, georef.center_lon)
        report = TileReport(seq=seq, tile_id=tile_id, time=time, lat=lat, lon=lon, magnitude=mag,
                            confidence=confidence, model_id=model_id, status=status, event=event,
                            located=pixel is not None)
        lines.append(json.dumps({
            "heads": {"event": _json_float(probability), "magnitude": _json_float(magnitude),
                      "location": [float(v) for v in location]},
            "decision": decision, "magnitude_given_event": given_event,
            "magnitude_informative": informative, "status": int(check_status),
            "locate": method,
            "tile": {"tile_id": tile_id, "time": time, "lat": georef.center_lat, "lon": georef.center_lon,
                     "pixel_spacing_m": georef.pixel_spacing_m, "side": side},
            "seq": seq, "model_id": model_id, "message": encode(report).hex(),
        }, allow_nan=False))
    (OUT / "decisions.jsonl").write_text("\n".join(lines) + "\n")


def main() -> None:
    if "--streams-only" in sys.argv[1:]:
        _write_streams(OUT / "tiles.jsonl")
        print(f"wrote {OUT / 'expected_streams.jsonl'}")
        return
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    cases = _cases(_simulated_pairs())
    tiles = _write_tiles(cases)
    _write_expected(tiles, [c["name"] for c in cases])
    _write_streams(tiles)
    _write_decisions()
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT}: {len(cases) + 1} tiles, {size // 1024} KiB")


if __name__ == "__main__":
    main()
