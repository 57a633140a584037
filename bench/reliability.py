"""The reliability campaign: hostile tiles, fuzzed packets and edited manifests through both
runtimes, counting crashes, false events, lost messages and Python/C++ disagreements.

``quakesat reliability`` (docs/reliability.md) runs three seeded, reproducible parts:

``tiles``      ``--tiles`` hostile tiles drawn from :data:`TILE_KINDS` (broken pixels, wrong
               dtypes and shapes, broken files, broken tile-list lines) plus controls, as one
               tile list, through the Python flight runtime and ``quakesat-runner``, both with
               a *flag-everything* copy of the model (event threshold 0): every tile that gets
               past the input checks is flagged, so an event on a tile that must be refused
               is a check that failed, not a model that happened to say no. Counted: crashes
               (a Python exception, a runner that dies), false events, tiles with no message
               (lost), and tiles whose status or flag differ between the runtimes.
``packets``    ``--packets`` 32-byte packets (random bytes, bit flips of valid messages,
               valid CRCs over random fields) through the Python decoder and, when built,
               the C++ one (``quakesat-decode``): anything but a ``DecodeError`` is a crash, an
               accepted packet whose CRC does not match is a false accept, and the two
               decoders must give the same verdict (the same reject reason) on every packet.
``manifests``  ``--manifests`` edits of the model's manifest (a leaf set to a hostile value, a
               key deleted, the text truncated or a byte flipped) through both runtimes on
               three good tiles, the same ``.pte`` program on both sides: no crash, no event
               under a refused manifest, the same statuses and flags.

Each part reports how many inputs it tried and what it found; nothing is sampled from the
results. The soak (10,000+ tiles, memory) is ``bench/suites/test_soak.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.ground.decode import decode, iter_stream
from quakesat.runtime.manifest import MANIFEST_NAME
from quakesat.runtime.message import MESSAGE_LENGTH, TileReport, crc16
from quakesat.runtime.status import Status, StatusCategory

ROOT = Path(__file__).resolve().parents[1]
TINY_MODEL = ROOT / "tests" / "vectors" / "tiny_model"
RUNNER = ROOT / "build" / "native" / "quakesat-runner"
DECODER = ROOT / "build" / "native" / "quakesat-decode"
SIDE = 64  # the tiny model's tile side
WHEN = 1_700_000_000


@dataclass(frozen=True)
class CampaignConfig:
    """What the campaign runs (defaults: the figures docs/reliability.md reports)."""

    out: Path
    tiles: int = 2000
    packets: int = 200_000
    manifests: int = 100
    seed: int = 0
    #: The models the tiles part flies, each under every preprocessing version the runtimes
    #: support (the first also gets the manifest part).
    artifacts: tuple[Path, ...] = (TINY_MODEL,)
    #: Tiles per flight of a model larger than the tiny one's 64 px (0: two of each kind).
    large_tiles: int = 0
    runner: Path | None = RUNNER
    decoder: Path | None = DECODER


# ─── hostile tiles ──────────────────────────────────────────────────────────────────────
def _speckle(rng: np.random.Generator, side: int = SIDE) -> np.ndarray:
    levels = np.array([10 ** -1.2, 10 ** -1.9], dtype=np.float32)
    return (levels * rng.gamma(4.4, 1 / 4.4, size=(side, side, 2))).astype(np.float32)


def _pair(rng: np.random.Generator, side: int = SIDE) -> tuple[np.ndarray, np.ndarray]:
    first = _speckle(rng, side)
    second = _speckle(rng, side)
    second[side // 4: 3 * side // 4, side // 4: 3 * side // 4] *= np.float32(10.0)
    return first, second


def _pixels(edit: Callable[[np.ndarray, np.random.Generator], Any]) -> Callable[..., dict[str, Any]]:
    """A kind that edits one image (pre or post, at random) of a good pair."""
    def make(rng: np.random.Generator, side: int = SIDE) -> dict[str, Any]:
        images = list(_pair(rng, side))
        which = int(rng.integers(2))
        edited = edit(images[which].copy(), rng)
        images[which] = edited
        return {"pre": images[0], "post": images[1]}
    return make


def _nan_band(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    image[..., int(rng.integers(2))] = np.nan
    return image


def _share_nan(share: float) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    def edit(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        image[rng.random(image.shape) < share] = np.nan
        return image
    return edit


def _set(value: float, count: int | None = 1) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    def edit(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        flat = image.reshape(-1)
        if count is None:
            flat[:] = value
        else:
            flat[rng.integers(flat.size, size=count)] = value
        return image
    return edit


def _band_constant(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    image[..., int(rng.integers(2))] = np.float32(rng.uniform(0.001, 0.1))
    return image


def _band_value(value: float) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """One polarisation dead: every pixel of a random band ``value`` (0, NaN...)."""
    def edit(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        image[..., int(rng.integers(2))] = value
        return image
    return edit


def _one_stray(fill: float, band_only: bool = False) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """An image (or one band) of ``fill`` everywhere but one pixel left as it was: a single
    stray pixel must not make a stuck or empty product an image."""
    def edit(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        band = int(rng.integers(2))
        row, col = (int(v) for v in rng.integers(image.shape[0], size=2))
        keep = image[row, col].copy()
        if band_only:
            image[..., band] = fill
        else:
            image[...] = fill
        image[row, col] = keep
        return image
    return edit


def _mostly(value: float, share: float) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """``share`` of one band's pixels set to ``value`` (a fill over most of the band)."""
    def edit(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        band = image[..., int(rng.integers(2))]
        band[rng.random(band.shape) < share] = value
        return image
    return edit


def _signalling_nan(share: float, negative: bool) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """No-data written as a signalling NaN (bits 0xFF800001) on ``share`` of the values, plus
    (``negative``) one negative, out-of-range pixel."""
    def edit(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        bits = image.view(np.uint32)
        bits[rng.random(image.shape) < share] = 0xFF800001
        if negative:
            image.reshape(-1)[int(rng.integers(image.size))] = np.float32(-0.01)
        return image
    return edit


def _as(dtype: str) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    return lambda image, rng: image.astype(dtype)


def _shape(maker: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    return lambda image, rng: np.ascontiguousarray(maker(image))


def _file_bytes(edit: Callable[[bytes, np.random.Generator], bytes]) -> Callable[..., dict[str, Any]]:
    """A kind that writes one image as raw bytes derived from a good .npy file."""
    def make(rng: np.random.Generator, side: int = SIDE) -> dict[str, Any]:
        first, second = _pair(rng, side)
        import io

        buffer = io.BytesIO()
        np.save(buffer, second)
        return {"pre": first, "post_bytes": edit(buffer.getvalue(), rng)}
    return make


def _flip(region: str) -> Callable[[bytes, np.random.Generator], bytes]:
    def edit(data: bytes, rng: np.random.Generator) -> bytes:
        raw = bytearray(data)
        header_end = 10 + int.from_bytes(raw[8:10], "little")
        low, high = (0, header_end) if region == "header" else (header_end, len(raw))
        for _ in range(int(rng.integers(1, 4))):
            raw[int(rng.integers(low, high))] ^= 1 << int(rng.integers(8))
        return bytes(raw)
    return edit


def _line(**changes: Any) -> Callable[..., dict[str, Any]]:
    """A kind whose images are good and whose list line is edited (``None``: key removed; in a
    string, ``{post}`` is the post image's own path, to spell it another way)."""
    def make(rng: np.random.Generator, side: int = SIDE) -> dict[str, Any]:
        first, second = _pair(rng, side)
        return {"pre": first, "post": second, "line": changes}
    return make


def _special(kind: str) -> Callable[..., dict[str, Any]]:
    """A kind whose post image is no regular file: a FIFO (nobody ever writes to it), a link
    to ``/dev/zero``, a link to a good image (allowed: the target is judged), or a sparse file
    whose header claims a 12000 x 12000 image (the bytes exist, on paper)."""
    def make(rng: np.random.Generator, side: int = SIDE) -> dict[str, Any]:
        first, second = _pair(rng, side)
        return {"pre": first, "post": second, "post_special": kind}
    return make


def _raw_line(text: bytes) -> Callable[..., dict[str, Any]]:
    """A kind whose list line is ``text`` as bytes (``ID`` replaced by the tile's id)."""
    return lambda rng, side=SIDE: {"raw_line": text}


def _good_line(extra: bytes) -> bytes:
    """A well-formed line (images that need not exist: it must be refused before) with ``extra``."""
    return b'{"tile_id": ID, "time": 1700000000, "lat": 38.1, "lon": 13.4, "pre": "a.npy", "post": "b.npy"' + extra + b"}"


#: name → (must be refused, maker). A refused tile may never carry an event; the others may
#: reach the model (degraded, or still a valid file after a random flip).
TILE_KINDS: dict[str, tuple[bool, Callable[[np.random.Generator], dict[str, Any]]]] = {
    "control": (False, lambda rng, side=SIDE: dict(zip(("pre", "post"), _pair(rng, side)))),
    "partial_nodata": (False, _pixels(_share_nan(0.1))),
    "band_all_nan": (True, _pixels(_nan_band)),
    "all_nan": (True, _pixels(_set(np.nan, None))),
    "mostly_nan": (True, _pixels(_share_nan(0.97))),
    "one_inf": (True, _pixels(_set(np.inf))),
    "one_minus_inf": (True, _pixels(_set(-np.inf))),
    "all_zero": (True, _pixels(_set(0.0, None))),
    "constant": (True, _pixels(_set(0.05, None))),
    "band_constant": (True, _pixels(_band_constant)),
    "negative_value": (True, _pixels(_set(-0.01))),
    "huge_value": (True, _pixels(_set(1e12))),
    "all_subnormal": (True, _pixels(lambda image, rng: (image * np.float32(1e-38)).astype(np.float32))),
    "all_below_clip": (True, _pixels(lambda image, rng: (image * np.float32(1e-4)).astype(np.float32))),
    "bands_first": (True, _pixels(_shape(lambda image: image.transpose(2, 0, 1)))),
    "wrong_side": (True, _pixels(_shape(lambda image: image[:32, :32]))),
    "one_band": (True, _pixels(_shape(lambda image: image[..., :1]))),
    "three_bands": (True, _pixels(_shape(lambda image: np.concatenate([image, image[..., :1]], axis=2)))),
    "flat": (True, _pixels(_shape(lambda image: image.reshape(-1)))),
    "empty": (True, _pixels(_shape(lambda image: image[:0]))),
    "float64": (True, _pixels(_as("<f8"))),
    "float16": (True, _pixels(_as("<f2"))),
    "int16": (True, _pixels(_as("<i2"))),
    "bool": (True, _pixels(_as("?"))),
    "complex64": (True, _pixels(_as("<c8"))),
    "big_endian": (True, _pixels(_as(">f4"))),
    "fortran_order": (True, _pixels(lambda image, rng: np.asfortranarray(image))),
    "truncated_file": (True, _file_bytes(lambda data, rng: data[: int(rng.integers(0, len(data) - 1))])),
    "empty_file": (True, _file_bytes(lambda data, rng: b"")),
    "random_bytes": (True, _file_bytes(lambda data, rng: rng.bytes(int(rng.integers(1, 40_000))))),
    "header_bit_flips": (False, _file_bytes(_flip("header"))),
    "data_bit_flips": (False, _file_bytes(_flip("data"))),
    "missing_file": (True, _line(post="tiles/does_not_exist.npy")),
    "directory": (True, _line(post="tiles")),
    "escaping_path": (True, _line(post="../../../../../../etc/passwd")),
    "lat_as_text": (True, _line(lat="38.1")),
    "lon_missing": (True, _line(lon=None)),
    "lat_off_the_globe": (True, _line(lat=95.0)),
    "zero_spacing": (True, _line(pixel_spacing_m=0.0)),
    "negative_tile_id": (True, _line(tile_id=-1)),
    "fractional_tile_id": (True, _line(tile_id=1.5)),
    "huge_tile_id": (True, _line(tile_id=2**40)),
    "time_as_text": (True, _line(time="yesterday")),
    "negative_time": (True, _line(time=-5)),
    "time_beyond_u32": (True, _line(time=2**33)),
    "path_as_number": (True, _line(pre=7)),
    "nan_literal": (True, _raw_line(b'{"tile_id": ID, "time": 1, "lat": NaN, "lon": 0, "pre": "a", "post": "b"}')),
    "not_json": (True, _raw_line(b"this is not json")),
    "json_array": (True, _raw_line(b"[1, 2, 3]")),
    "invalid_utf8": (True, _raw_line(b'{"tile_id": ID, "pre": "\xff\xfe", "post": "b"}')),
    "nul_in_path": (True, _raw_line(b'{"tile_id": ID, "time": 1, "lat": 0, "lon": 0, "pre": "a\\u0000b", "post": "b"}')),
    "deep_nesting": (True, _raw_line(b"[" * 50_000 + b"]" * 50_000)),
    # Round two (docs/reliability.md): what the first campaign could not see.
    "band_zero": (True, _pixels(_band_value(0.0))),
    "zero_one_stray": (True, _pixels(_one_stray(0.0))),
    "constant_one_stray": (True, _pixels(_one_stray(0.05))),
    "band_constant_one_stray": (True, _pixels(_one_stray(0.05, band_only=True))),
    "band_nan_one_stray": (True, _pixels(_one_stray(np.nan, band_only=True))),
    "subnormal_one_stray": (True, _pixels(_one_stray(1e-40))),
    "band_mostly_one_value": (True, _pixels(_mostly(0.05, 0.7))),
    "band_mostly_below_clip": (True, _pixels(_mostly(1e-6, 0.7))),
    "signalling_nan_nodata": (False, _pixels(_signalling_nan(0.1, negative=False))),
    "signalling_nan_out_of_range": (True, _pixels(_signalling_nan(0.1, negative=True))),
    "fifo_image": (True, _special("fifo")),
    "dev_zero_image": (True, _special("/dev/zero")),
    "link_to_good_image": (False, _special("link")),
    "overclaiming_header": (True, _special("sparse")),
    "path_trailing_slash": (True, _line(post="{post}/")),
    "path_trailing_dot": (True, _line(post="{post}/.")),
    "path_dot_slash": (False, _line(post="./{post}")),
    "duplicate_key": (True, _raw_line(_good_line(b', "tile_id": 7'))),
    "key_nested_1100": (True, _raw_line(_good_line(b', "x": ' + b'{"x": ' * 1100 + b"1" + b"}" * 1100))),
    "long_line": (True, _raw_line(_good_line(b', "note": "' + b"x" * 70_000 + b'"'))),
}


def _write_special(path: Path, kind: str, good: np.ndarray) -> None:
    """The post image of a :func:`_special` kind at ``path``."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link":
        np.save(path.with_name(path.name + ".target.npy"), good, allow_pickle=False)
        path.symlink_to(path.name + ".target.npy")
    elif kind == "sparse":
        header = {"descr": "<f4", "fortran_order": False, "shape": (12000, 12000, 2)}
        with open(path, "wb") as handle:
            np.lib.format.write_array_header_1_0(handle, header)
            handle.truncate(handle.tell() + 12000 * 12000 * 2 * 4)  # a hole: no disk, no memory
    else:
        path.symlink_to(kind)



def write_hostile_tiles(folder: Path, count: int, seed: int, side: int = SIDE) -> list[dict[str, Any]]:
    """Write ``count`` tiles of ``side`` pixels (kinds drawn at random, every kind at least once
    when ``count`` allows) as ``folder/tiles.jsonl``; return one record per list line: id,
    kind, refuse."""
    rng = np.random.default_rng(seed)
    names = list(TILE_KINDS)
    order = names[:count] + [names[int(k)] for k in rng.integers(len(names), size=max(0, count - len(names)))]
    (folder / "tiles").mkdir(parents=True, exist_ok=True)
    records, lines = [], []
    for tile_id, kind in enumerate(order):
        refuse, make = TILE_KINDS[kind]
        made = make(rng, side)
        records.append({"tile_id": tile_id, "kind": kind, "refuse": refuse})
        if "raw_line" in made:
            lines.append(made["raw_line"].replace(b"ID", str(tile_id).encode()))
            continue
        entry: dict[str, Any] = {"tile_id": tile_id, "time": WHEN + tile_id, "lat": 38.1, "lon": 13.4,
                                 "pixel_spacing_m": 10.0, "pre": f"tiles/{tile_id}_pre.npy",
                                 "post": f"tiles/{tile_id}_post.npy"}
        np.save(folder / entry["pre"], made["pre"], allow_pickle=False)
        if "post_special" in made:
            _write_special(folder / entry["post"], made["post_special"], made["post"])
        elif "post_bytes" in made:
            (folder / entry["post"]).write_bytes(made["post_bytes"])
        else:
            np.save(folder / entry["post"], made["post"], allow_pickle=False)
        for key, value in made.get("line", {}).items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value.format(post=entry["post"]) if isinstance(value, str) else value
        lines.append(json.dumps(entry).encode())
    (folder / "tiles.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return records


def flag_everything(artifacts: Path, folder: Path, version: int | None = None) -> Path:
    """A copy of ``artifacts`` whose decision flags every tile that reaches it, under
    preprocessing ``version`` (None: the model's own)."""
    from dataclasses import replace

    from quakesat.runtime.manifest import load_manifest, write_manifest

    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(artifacts, folder)
    (folder / f"{MANIFEST_NAME}.sig").unlink(missing_ok=True)
    manifest = load_manifest(folder)
    preprocess = manifest.preprocess if version is None else replace(manifest.preprocess, version=version)
    write_manifest(replace(manifest, preprocess=preprocess,
                           decision=replace(manifest.decision, event_threshold=0.0, magnitude_min=0.0)), folder)
    return folder


def _python_tiles(artifacts: Path, tile_list: Path, artifact: str | None) -> tuple[dict[int, tuple[str, bool]], int]:
    """(tile id → (status, event)) from the Python runtime, and the crash count."""
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig
    from quakesat.runtime.tile_file import read_tile_list

    runtime = FlightRuntime.open(artifacts, artifact, RuntimeConfig(gate="off", health_every=0,
                                                                   queue_capacity=1_000_000))
    found: dict[int, tuple[str, bool]] = {}
    crashes = 0
    try:
        for tile, _ in read_tile_list(tile_list, side=runtime.side):
            try:
                report = runtime.process(tile).report
            except Exception:  # the runtime promises never to raise on a tile
                crashes += 1
                continue
            found[report.tile_id] = (report.status.code_name, report.event)
    except Exception:  # the reader promises never to raise on a line
        crashes += 1
    return found, crashes


def _runner_tiles(runner: Path, artifacts: Path, tile_list: Path, out: Path,
                  extra: tuple[str, ...] = ()) -> tuple[dict[int, tuple[str, bool]] | None, int, str]:
    """(tile id → (status, event)) from quakesat-runner (None if it died), crashes, stderr tail."""
    try:
        result = subprocess.run([str(runner), str(artifacts), str(tile_list), "-o", str(out), "--gate", "off",
                                 "--health-every", "0", "--queue-capacity", "1000000", *extra],
                                capture_output=True, encoding="utf-8", errors="replace", timeout=600, check=False)
    except subprocess.TimeoutExpired:
        return None, 1, "timed out"
    if result.returncode != 0:
        return None, 1, f"exit {result.returncode}: {result.stderr[-300:]}"
    found = {m.tile_id: (m.status.code_name, m.event) for _, m in iter_stream(out.read_bytes())
             if isinstance(m, TileReport)}
    return found, 0, ""


def tile_campaign(config: CampaignConfig, say: Callable[[str], None]) -> dict[str, Any]:
    """The ``tiles`` part (module doc): one flight per model and preprocessing version."""
    from quakesat.runtime.preprocess import SUPPORTED_PREPROCESS_VERSIONS

    flights = [tile_flight(config, artifacts, version, say)
               for artifacts in config.artifacts for version in sorted(SUPPORTED_PREPROCESS_VERSIONS)]
    return {"flights": flights, "tried": sum(flight["tried"] for flight in flights)}


def tile_flight(config: CampaignConfig, artifacts: Path, version: int, say: Callable[[str], None]) -> dict[str, Any]:
    """Hostile tiles through both runtimes flying ``artifacts`` under preprocessing ``version``."""
    from quakesat.runtime.manifest import load_manifest

    folder = config.out / "tiles"
    shutil.rmtree(folder, ignore_errors=True)
    side = load_manifest(artifacts).input.raw_side
    count = config.tiles if side <= SIDE else (config.large_tiles or 2 * len(TILE_KINDS))
    records = write_hostile_tiles(folder, count, config.seed, side)
    model = flag_everything(artifacts, config.out / "flag_everything", version)
    tile_list = folder / "tiles.jsonl"
    label = f"{artifacts.name}, {side} px, preprocessing v{version}"
    started = time.perf_counter()
    python, python_crashes = _python_tiles(model, tile_list, None)
    say(f"tiles ({label}): python {len(python)} messages in {time.perf_counter() - started:.1f} s")
    runner_ok = config.runner is not None and Path(config.runner).is_file()
    cpp, cpp_crashes, cpp_note = (_runner_tiles(Path(config.runner), model, tile_list, config.out / "tiles_cpp.bin")
                                  if runner_ok else (None, 0, "quakesat-runner not built"))
    shutil.rmtree(folder, ignore_errors=True)  # a 512 px flight writes hundreds of MB
    result: dict[str, Any] = {"model": str(artifacts), "label": label, "side": side, "preprocess_version": version,
                              "tried": len(records), "kinds": len(set(r["kind"] for r in records)),
                              "must_refuse": sum(r["refuse"] for r in records)}
    for side, found, crashes in (("python", python, python_crashes), ("cpp", cpp, cpp_crashes)):
        if found is None and side == "cpp" and not runner_ok:
            result[side] = {"ran": False, "note": cpp_note}
            continue
        found = found or {}
        statuses = Counter(found[r["tile_id"]][0] for r in records if r["tile_id"] in found)
        false_events = [r["kind"] for r in records if r["refuse"] and found.get(r["tile_id"], ("", False))[1]]
        refused_ok = [r for r in records if r["refuse"] and r["tile_id"] in found
                      and Status[found[r["tile_id"]][0].upper()].category == StatusCategory.BAD_INPUT]
        result[side] = {"ran": True, "crashes": crashes, "note": cpp_note if side == "cpp" else "",
                        "messages": len(found), "lost": sum(1 for r in records if r["tile_id"] not in found),
                        "false_events": len(false_events), "false_event_kinds": sorted(set(false_events)),
                        "refused_as_bad_input": len(refused_ok),
                        "controls_flagged": sum(1 for r in records if r["kind"] == "control"
                                                and found.get(r["tile_id"], ("", False))[1]),
                        "controls": sum(1 for r in records if r["kind"] == "control"),
                        "statuses": dict(sorted(statuses.items()))}
    if cpp is not None:
        differ = [r for r in records if python.get(r["tile_id"]) != cpp.get(r["tile_id"])]
        result["disagreements"] = len(differ)
        result["disagreement_examples"] = [{"kind": r["kind"], "python": python.get(r["tile_id"]),
                                            "cpp": cpp.get(r["tile_id"])} for r in differ[:10]]
    return result


# ─── packets ────────────────────────────────────────────────────────────────────────────
def valid_messages(artifacts: Path = TINY_MODEL) -> list[bytes]:
    """Real messages to mutate: what the flight runtime sends for a few tiles (events, quiet,
    bad input, no georeference, health reports) and the golden vectors of a checkout."""
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig
    from quakesat.runtime.tile import Georef, Tile

    with tempfile.TemporaryDirectory() as scratch:  # the session holds the model once opened
        runtime = FlightRuntime.open(flag_everything(artifacts, Path(scratch) / "model"),
                                     config=RuntimeConfig(gate="off", health_every=2))
    rng = np.random.default_rng(7)
    for k in range(4):
        first, second = _pair(rng)
        place = None if k == 3 else Georef(38.1 - 60 * k, 13.4 + 90 * k, 10.0)
        runtime.process(Tile(k, WHEN + k, first, second if k != 2 else second * np.float32(0.0), place))
    runtime.health()
    messages = runtime.drain()
    vectors = ROOT / "tests" / "vectors" / "downlink.jsonl"
    if vectors.is_file():
        messages += [bytes.fromhex(json.loads(line)["hex"]) for line in vectors.read_text().splitlines() if line.strip()]
    return messages


def fuzzed_packets(count: int, seed: int, artifacts: Path = TINY_MODEL) -> list[bytes]:
    """``count`` packets: a third random bytes, a third valid messages with 1-8 bit flips, a
    third valid messages with random payload bytes and a CRC recomputed over them."""
    rng = np.random.default_rng(seed)
    valid = valid_messages(artifacts)
    packets = []
    for k in range(count):
        kind = k % 3
        if kind == 0:
            packets.append(rng.bytes(MESSAGE_LENGTH))
            continue
        raw = bytearray(valid[int(rng.integers(len(valid)))])
        if kind == 1:
            for _ in range(int(rng.integers(1, 9))):
                raw[int(rng.integers(MESSAGE_LENGTH))] ^= 1 << int(rng.integers(8))
        else:
            for _ in range(int(rng.integers(1, 6))):
                raw[int(rng.integers(6, MESSAGE_LENGTH - 2))] = int(rng.integers(256))
            raw[-2:] = crc16(bytes(raw[:-2])).to_bytes(2, "big")
        packets.append(bytes(raw))
    return packets


def _python_verdicts(packets: list[bytes]) -> tuple[list[str], int, int]:
    """Per packet "ok" or the reject reason; crashes; accepted packets whose CRC is wrong."""
    from quakesat.errors import DecodeError

    verdicts, crashes, false_accepts = [], 0, 0
    for packet in packets:
        try:
            decode(packet)
        except DecodeError as err:
            verdicts.append(err.reason)
            continue
        except Exception:
            crashes += 1
            verdicts.append("crash")
            continue
        verdicts.append("ok")
        false_accepts += int.from_bytes(packet[-2:], "big") != crc16(packet[:-2])
    return verdicts, crashes, false_accepts


def packet_campaign(config: CampaignConfig, say: Callable[[str], None]) -> dict[str, Any]:
    """The ``packets`` part (module doc)."""
    packets = fuzzed_packets(config.packets, config.seed, config.artifacts[0])
    started = time.perf_counter()
    verdicts, crashes, false_accepts = _python_verdicts(packets)
    say(f"packets: python decoded {len(packets)} in {time.perf_counter() - started:.1f} s")
    result: dict[str, Any] = {"tried": len(packets), "python": {"crashes": crashes, "false_accepts": false_accepts,
                                                                "verdicts": dict(Counter(verdicts).most_common())}}
    decoder = config.decoder
    if decoder is None or not Path(decoder).is_file():
        result["cpp"] = {"ran": False, "note": "quakesat-decode not built"}
        return result
    stream = config.out / "packets.bin"
    stream.write_bytes(b"".join(packets))
    try:
        ran = subprocess.run([str(decoder), str(stream)], capture_output=True, encoding="utf-8", errors="replace",
                             timeout=600, check=False)
    except subprocess.TimeoutExpired:
        result["cpp"] = {"ran": True, "crashes": 1, "note": "timed out"}
        return result
    cpp = [line.split()[0] for line in ran.stdout.splitlines() if line.strip()]
    result["cpp"] = {"ran": True, "crashes": int(ran.returncode != 0), "note": ran.stderr[-200:] if ran.returncode else "",
                     "verdicts": dict(Counter(cpp).most_common())}
    result["disagreements"] = sum(1 for a, b in zip(verdicts, cpp) if a != b) + abs(len(verdicts) - len(cpp))
    return result


# ─── manifests ──────────────────────────────────────────────────────────────────────────
HOSTILE_VALUES: tuple[Any, ...] = (None, True, False, 0, -1, 1, 2, 0.5, -0.5, 1.5, 1e308, -1e308, 2**63, -(2**63),
                                   2**64, "", "x", "NaN", "Infinity", "é" * 3, "x" * 5000, [], [1], [[1]], {}, {"a": 1})


def _leaves(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        found = [path] if path else []
        for key, item in value.items():
            found += _leaves(item, (*path, key))
        return found
    if isinstance(value, list):
        found = [path]
        for index, item in enumerate(value):
            found += _leaves(item, (*path, index))
        return found
    return [path]


def _get_path(document: Any, path: tuple) -> Any:
    for key in path:
        document = document[key]
    return document


def _set_path(document: Any, path: tuple, value: Any, delete: bool) -> None:
    target = document
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value


def manifest_edits(text: str, count: int, seed: int) -> list[tuple[str, bytes]]:
    """``count`` edited manifests: (what was done, the bytes)."""
    rng = np.random.default_rng(seed)
    base = json.loads(text)
    paths = _leaves(base)
    edits: list[tuple[str, bytes]] = []
    objects = [path for path in [(), *paths] if isinstance(_get_path(base, path), dict) and _get_path(base, path)]
    for _ in range(count):
        choice = int(rng.integers(11))
        if choice == 10:  # a key of one object written twice, the second time with a hostile value
            document = json.loads(text)
            path = objects[int(rng.integers(len(objects)))]
            target = _get_path(document, path)
            key = list(target)[int(rng.integers(len(target)))]
            value = HOSTILE_VALUES[int(rng.integers(len(HOSTILE_VALUES)))]
            target["\u0000twice\u0000"] = value
            data = json.dumps(document, allow_nan=False).replace('"\\u0000twice\\u0000"', json.dumps(key))
            edits.append((f"{'.'.join(map(str, (*path, key)))} twice, then {value!r:.40}", data.encode()))
        elif choice < 6:
            document = json.loads(text)
            path = paths[int(rng.integers(len(paths)))]
            value = HOSTILE_VALUES[int(rng.integers(len(HOSTILE_VALUES)))]
            delete = choice == 5
            _set_path(document, path, value, delete)
            label = f"{'delete' if delete else 'set'} {'.'.join(map(str, path))}" + ("" if delete else f" = {value!r:.40}")
            edits.append((label, json.dumps(document, allow_nan=False).encode()))
        elif choice < 8:
            cut = int(rng.integers(len(text)))
            edits.append((f"truncate at byte {cut}", text.encode()[:cut]))
        else:
            raw = bytearray(text.encode())
            at = int(rng.integers(len(raw)))
            raw[at] ^= 1 << int(rng.integers(8))
            edits.append((f"flip a bit of byte {at}", bytes(raw)))
    return edits


def manifest_campaign(config: CampaignConfig, say: Callable[[str], None]) -> dict[str, Any]:
    """The ``manifests`` part (module doc): the same .pte program on both sides."""
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig
    from quakesat.runtime.tile import Georef, Tile

    try:
        import quakesat.export.executorch_backend  # noqa: F401  (registers the .pte backend)
    except ImportError as err:
        return {"tried": 0, "note": f"the .pte backend needs torch and executorch ({err})"}
    rng = np.random.default_rng(config.seed + 1)
    tiles_dir = config.out / "manifest_tiles"
    shutil.rmtree(tiles_dir, ignore_errors=True)
    (tiles_dir / "tiles").mkdir(parents=True)
    pairs = [_pair(rng) for _ in range(3)]
    lines = []
    for k, (first, second) in enumerate(pairs):
        np.save(tiles_dir / "tiles" / f"{k}_pre.npy", first)
        np.save(tiles_dir / "tiles" / f"{k}_post.npy", second)
        lines.append(json.dumps({"tile_id": k, "time": WHEN + k, "lat": 38.1, "lon": 13.4, "pixel_spacing_m": 10.0,
                                 "pre": f"tiles/{k}_pre.npy", "post": f"tiles/{k}_post.npy"}))
    (tiles_dir / "tiles.jsonl").write_text("\n".join(lines) + "\n")
    from quakesat.runtime.manifest import load_manifest

    original = (config.artifacts[0] / MANIFEST_NAME).read_text(encoding="utf-8")  # the bytes to corrupt
    default_cpp = load_manifest(config.artifacts[0]).cpp_default_artifact
    runner_ok = config.runner is not None and Path(config.runner).is_file()
    counts = Counter()
    differ: list[dict[str, Any]] = []
    verdicts: Counter[str] = Counter()
    edits = manifest_edits(original, config.manifests, config.seed)
    started = time.perf_counter()
    for index, (label, data) in enumerate(edits):
        folder = config.out / "manifest_edit"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(config.artifacts[0], folder)
        (folder / f"{MANIFEST_NAME}.sig").unlink(missing_ok=True)
        (folder / MANIFEST_NAME).write_bytes(data)
        python: list[tuple[str, bool]] = []
        try:
            runtime = FlightRuntime.open(folder, default_cpp, RuntimeConfig(gate="off", health_every=0))
            for k, (first, second) in enumerate(pairs):
                report = runtime.process(Tile(k, WHEN + k, first, second, Georef(38.1, 13.4, 10.0))).report
                python.append((report.status.code_name, report.event))
        except Exception:
            counts["python_crashes"] += 1
        verdicts[python[0][0] if python else "crash"] += 1
        counts["events_under_refused_python"] += sum(1 for status, event in python
                                                     if event and Status[status.upper()].category == StatusCategory.MODEL)
        if runner_ok:
            cpp, crashed, note = _runner_tiles(Path(config.runner), folder, tiles_dir / "tiles.jsonl",
                                               config.out / "manifest_cpp.bin")
            counts["cpp_crashes"] += crashed
            cpp_list = [cpp[k] for k in sorted(cpp)] if cpp is not None else []
            counts["events_under_refused_cpp"] += sum(1 for status, event in cpp_list
                                                      if event and Status[status.upper()].category == StatusCategory.MODEL)
            if cpp_list != python:
                differ.append({"edit": label, "python": python, "cpp": cpp_list or note})
    say(f"manifests: {len(edits)} edits in {time.perf_counter() - started:.1f} s")
    result: dict[str, Any] = {"tried": len(edits), "python_crashes": counts["python_crashes"],
                              "events_under_refused_python": counts["events_under_refused_python"],
                              "first_tile_status": dict(verdicts.most_common())}
    if runner_ok:
        result.update({"cpp_crashes": counts["cpp_crashes"], "events_under_refused_cpp": counts["events_under_refused_cpp"],
                       "disagreements": len(differ), "disagreement_examples": differ[:10]})
    else:
        result["cpp"] = {"ran": False, "note": "quakesat-runner not built"}
    result["signatures"] = signature_campaign(config, tiles_dir, pairs, default_cpp, runner_ok)
    say(f"manifests: {result['signatures']['tried']} signature files")
    return result


#: Signature files offered with a trusted key: (name, must be refused, how the file is made).
#: The grammar is one in both runtimes: the hex digits, then at most one line ending.
SIGNATURE_CASES: tuple[tuple[str, bool, str], ...] = (
    ("valid", False, "hex+\n"), ("valid, CRLF", False, "hex+\r\n"), ("valid, no line ending", False, "hex"),
    ("a directory", True, "directory"), ("a link to /dev/zero", True, "/dev/zero"), ("a FIFO", True, "fifo"),
    ("a space inside", True, "space"), ("a leading space", True, " +hex"), ("a form feed after", True, "hex+\f"),
    ("a vertical tab after", True, "hex+\v"), ("\\x1c after", True, "hex+\x1c"),
    ("two line endings", True, "hex+\n\n"), ("missing", True, "missing"), ("uppercase hex", False, "HEX+\n"),
)


def _write_signature(path: Path, how: str, signature: bytes) -> None:
    text = signature.hex()
    if how == "directory":
        path.mkdir()
    elif how == "fifo":
        os.mkfifo(path)
    elif how == "/dev/zero":
        path.symlink_to("/dev/zero")
    elif how == "space":
        path.write_bytes((text[:64] + " " + text[64:] + "\n").encode())
    elif how != "missing":
        prefix, _, suffix = how.partition("hex") if "hex" in how else how.partition("HEX")
        body = text.upper() if "HEX" in how else text
        path.write_bytes((prefix.removesuffix("+") + body + suffix.removeprefix("+")).encode())


def signature_campaign(config: CampaignConfig, tiles_dir: Path, pairs: list[tuple[np.ndarray, np.ndarray]],
                       default_cpp: str | None, runner_ok: bool) -> dict[str, Any]:
    """Signature files a careless or hostile operator may leave (:data:`SIGNATURE_CASES`),
    with a trusted key, through both runtimes on three good tiles: a refused one is
    ``manifest_invalid`` on every tile and never runs the model; both runtimes agree."""
    from quakesat.runtime.flight import FlightRuntime, RuntimeConfig
    from quakesat.runtime.signature import generate_keys, read_public_key, sign_manifest
    from quakesat.runtime.tile import Georef, Tile

    keys = config.out / "signature_keys"
    shutil.rmtree(keys, ignore_errors=True)
    _, public = generate_keys(keys)
    trusted = read_public_key(public)
    counts: Counter[str] = Counter()
    differ: list[dict[str, Any]] = []
    for name, refuse, how in SIGNATURE_CASES:
        folder = config.out / "signature_case"
        shutil.rmtree(folder, ignore_errors=True)
        flag_everything(config.artifacts[0], folder)
        signature_path = sign_manifest(folder, keys / "signing.key")
        signature = bytes.fromhex(signature_path.read_text().strip())
        signature_path.unlink()
        _write_signature(signature_path, how, signature)
        python: list[tuple[str, bool]] = []
        try:
            runtime = FlightRuntime.open(folder, default_cpp, RuntimeConfig(gate="off", health_every=0,
                                                                           trusted_key=trusted))
            for k, (first, second) in enumerate(pairs):
                report = runtime.process(Tile(k, WHEN + k, first, second, Georef(38.1, 13.4, 10.0))).report
                python.append((report.status.code_name, report.event))
        except Exception:
            counts["python_crashes"] += 1
        runs = [python]
        if runner_ok:
            cpp, crashed, note = _runner_tiles(Path(config.runner), folder, tiles_dir / "tiles.jsonl",
                                               config.out / "signature_cpp.bin", ("--trusted-key", str(public)))
            counts["cpp_crashes"] += crashed
            cpp_list = [cpp[k] for k in sorted(cpp)] if cpp is not None else []
            runs.append(cpp_list)
            if cpp_list != python:
                differ.append({"signature": name, "python": python, "cpp": cpp_list or note})
        for run in runs:
            refused = bool(run) and all(status == "manifest_invalid" and not event for status, event in run)
            counts["wrong_verdicts"] += int(refused != refuse)
    result: dict[str, Any] = {"tried": len(SIGNATURE_CASES), "python_crashes": counts["python_crashes"],
                              "wrong_verdicts": counts["wrong_verdicts"]}
    if runner_ok:
        result.update({"cpp_crashes": counts["cpp_crashes"], "disagreements": len(differ),
                       "disagreement_examples": differ[:5]})
    return result


# ─── the campaign ───────────────────────────────────────────────────────────────────────
def run_campaign(config: CampaignConfig, say: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """All three parts; the result is what ``reliability.json`` holds."""
    import logging

    config.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    quiet = logging.getLogger("quakesat.runtime")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # a warning per hostile tile (and edited manifest) is the point, not news
    try:
        result = run_parts(config, say)
    finally:
        quiet.setLevel(level)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def run_parts(config: CampaignConfig, say: Callable[[str], None]) -> dict[str, Any]:
    """The three parts, in order."""
    return {"format": "quakesat-reliability", "seed": config.seed, "machine": f"{os.cpu_count()} CPUs",
            "tiles": tile_campaign(config, say), "packets": packet_campaign(config, say),
            "manifests": manifest_campaign(config, say)}


def findings(result: dict[str, Any]) -> list[str]:
    """Every count that should be zero and is not, as a sentence (empty: a clean campaign)."""
    problems = []
    for tiles in result["tiles"]["flights"]:
        where = f"tiles ({tiles['label']})"
        for side in ("python", "cpp"):
            part = tiles.get(side, {})
            if part.get("ran"):
                for key in ("crashes", "false_events", "lost"):
                    if part[key]:
                        problems.append(f"{where}: {side} {key} {part[key]}")
                if part["controls_flagged"] != part["controls"]:
                    problems.append(f"{where}: {side} flagged {part['controls_flagged']} of {part['controls']} "
                                    "controls (the flag-everything model must flag every good tile)")
        if tiles.get("disagreements"):
            problems.append(f"{where}: {tiles['disagreements']} Python/C++ disagreements")
    packets = result["packets"]
    for key in ("crashes", "false_accepts"):
        if packets["python"][key]:
            problems.append(f"packets: python {key} {packets['python'][key]}")
    if packets.get("cpp", {}).get("crashes"):
        problems.append("packets: the C++ decoder crashed")
    if packets.get("disagreements"):
        problems.append(f"packets: {packets['disagreements']} Python/C++ disagreements")
    manifests = result["manifests"]
    for key in ("python_crashes", "cpp_crashes", "events_under_refused_python", "events_under_refused_cpp",
                "disagreements"):
        if manifests.get(key):
            problems.append(f"manifests: {key} {manifests[key]}")
    for key in ("python_crashes", "cpp_crashes", "wrong_verdicts", "disagreements"):
        if manifests.get("signatures", {}).get(key):
            problems.append(f"signature files: {key} {manifests['signatures'][key]}")
    return problems


def markdown(result: dict[str, Any]) -> str:
    """The campaign as a Markdown table (docs/reliability.md's generated block)."""
    packets, manifests = result["packets"], result["manifests"]

    def side(part: dict[str, Any], key: str) -> str:
        return str(part[key]) if part.get("ran") else "not run"

    rows = [
        "| part | tried | crashes (Python / C++) | false events or accepts | lost | Python/C++ disagreements |",
        "|---|---|---|---|---|---|",
    ]
    controls = []
    for tiles in result["tiles"]["flights"]:
        py, cpp = tiles["python"], tiles.get("cpp", {})
        rows.append(f"| hostile tiles: {tiles['label']} ({tiles['kinds']} kinds, {tiles['must_refuse']} must be "
                    f"refused) | {tiles['tried']} | {py['crashes']} / {side(cpp, 'crashes')} | {py['false_events']} / "
                    f"{side(cpp, 'false_events')} | {py['lost']} / {side(cpp, 'lost')} | "
                    f"{tiles.get('disagreements', 'not run')} |")
        controls.append(f"{py['controls_flagged']} of {py['controls']} / {side(cpp, 'controls_flagged')} "
                        f"({tiles['label']})")
    rows += [
        f"| fuzzed packets | {packets['tried']} | {packets['python']['crashes']} / "
        f"{packets['cpp'].get('crashes', 'not run') if packets['cpp'].get('ran') else 'not run'} | "
        f"{packets['python']['false_accepts']} bad-CRC accepted | — | {packets.get('disagreements', 'not run')} |",
        f"| edited manifests | {manifests['tried']} | {manifests.get('python_crashes', 0)} / "
        f"{manifests.get('cpp_crashes', 'not run')} | {manifests.get('events_under_refused_python', 0)} / "
        f"{manifests.get('events_under_refused_cpp', 'not run')} events under a refused model | — | "
        f"{manifests.get('disagreements', 'not run')} |",
    ]
    if "signatures" in manifests:
        signatures = manifests["signatures"]
        rows.append(f"| signature files with a trusted key | {signatures['tried']} | {signatures['python_crashes']} / "
                    f"{signatures.get('cpp_crashes', 'not run')} | {signatures['wrong_verdicts']} wrong verdicts "
                    f"(a refused file run, or a valid one refused) | — | {signatures.get('disagreements', 'not run')} |")
    lines = rows + [
        "",
        f"Seed {result['seed']}, {result['seconds']} s on {result['machine']}. Controls flagged by the "
        f"flag-everything model (Python / C++): {'; '.join(controls)}, so a false-event count of 0 means the "
        "checks stopped every refused tile, not that the model stayed quiet.",
    ]
    return "\n".join(lines)


def write_report(result: dict[str, Any], out: Path) -> dict[str, Path]:
    """``reliability.json`` and ``reliability.md`` under ``out``."""
    from quakesat.files import write_text_atomic

    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "reliability.json", "markdown": out / "reliability.md"}
    write_text_atomic(paths["json"], json.dumps(result, indent=2, default=str))
    write_text_atomic(paths["markdown"], "# Reliability campaign\n\n" + markdown(result) + "\n")
    return paths
