"""How fast the ground reads a downlink: decoding, the JSON view ``quakesat decode`` prints,
and the report's reading of a whole stream, on a day's worth of messages (100,000, about
what the demo's one-day survey sends down).

The target is a ratio measured in the same run, not a time: decoding one message (all its
checks included) costs no more than encoding it on the payload, so a ground station keeps
up with any stream a payload can make. Run:
``pytest bench/suites/test_ground_decode.py --benchmark-only --benchmark-group-by=group``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")

from quakesat.ground.decode import decode, iter_stream, to_json_dict  # noqa: E402
from quakesat.report.build import read_stream  # noqa: E402
from quakesat.runtime.message import HealthReport, TileReport, encode  # noqa: E402
from quakesat.runtime.status import Status  # noqa: E402

MESSAGES = 100_000
HEALTH_EVERY = 100


def _messages() -> list[TileReport | HealthReport]:
    """A day's mix: mostly quiet tile reports, some events, degraded and refused tiles, a
    health report every 100 messages."""
    rng = np.random.default_rng(0)
    statuses = [Status.OK, Status.OK, Status.OK, Status.NO_GEOREFERENCE, Status.ALL_NODATA]
    out: list[TileReport | HealthReport] = []
    for k in range(MESSAGES):
        seq = k % 16384
        if k % HEALTH_EVERY == HEALTH_EVERY - 1:
            out.append(HealthReport(seq=seq, time=1_700_000_000 + k, lat=10.0, lon=20.0, tiles_processed=k,
                                    dropped=int(rng.integers(0, 50)), queue_fill=0.5, model_id=0xBEEF))
            continue
        status = statuses[int(rng.integers(0, len(statuses)))]
        event = status == Status.OK and rng.random() < 0.3
        out.append(TileReport(seq=seq, tile_id=k, time=1_700_000_000 + k, lat=float(rng.uniform(-80, 80)),
                              lon=float(rng.uniform(-179, 179)), magnitude=float(rng.uniform(4, 7)) if event else 0.0,
                              confidence=float(rng.random()), model_id=0xBEEF, status=status, event=bool(event),
                              located=bool(event)))
    return out


@pytest.fixture(scope="module")
def day() -> tuple[list[TileReport | HealthReport], bytes]:
    messages = _messages()
    return messages, b"".join(encode(m) for m in messages)


def _per_message(function: Callable[[Any], object], items: Sequence[Any]) -> float:
    """Seconds per item of one pass of ``function`` over ``items``."""
    started = time.perf_counter()
    for item in items:
        function(item)
    return (time.perf_counter() - started) / len(items)


def _decode_all(stream: bytes) -> int:
    return sum(1 for _, item in iter_stream(stream) if not isinstance(item, Exception))


@pytest.mark.benchmark(group="ground decode")
def test_decode_a_day(benchmark: Any, day: tuple[list[Any], bytes]) -> None:
    messages, stream = day
    assert benchmark.pedantic(_decode_all, args=(stream,), rounds=3, iterations=1) == len(messages)


@pytest.mark.benchmark(group="ground decode")
def test_decode_and_json_view_of_a_day(benchmark: Any, day: tuple[list[Any], bytes]) -> None:
    messages, stream = day
    views = benchmark.pedantic(lambda: [to_json_dict(m) for _, m in iter_stream(stream)], rounds=3, iterations=1)
    assert len(views) == len(messages) and views[0]["kind"] == "tile_report"


@pytest.mark.benchmark(group="ground decode")
def test_the_report_reads_a_day(benchmark: Any, day: tuple[list[Any], bytes], tmp_path: Path) -> None:
    messages, stream = day
    path = tmp_path / "day.bin"
    path.write_bytes(stream)
    result = benchmark.pedantic(read_stream, args=(path, "day"), rounds=3, iterations=1)
    assert result.messages == len(messages) and not result.errors


@pytest.mark.benchmark(group="ground decode, per message")
def test_decoding_a_message_costs_no_more_than_encoding_it(benchmark: Any, day: tuple[list[Any], bytes]) -> None:
    """The ratio target: the best of three passes over the same 100,000 messages, both ways."""
    messages, stream = day
    chunks = [stream[o:o + 32] for o in range(0, len(stream), 32)]
    encode_s = min(_per_message(encode, messages) for _ in range(3))
    benchmark.pedantic(_per_message, args=(decode, chunks), rounds=3, iterations=1)
    decode_s = benchmark.stats.stats.min / len(chunks)
    benchmark.extra_info.update(encode_us=round(encode_s * 1e6, 2), decode_us=round(decode_s * 1e6, 2))
    print(f"\nper message: encode {encode_s * 1e6:.1f} us, decode {decode_s * 1e6:.1f} us "
          f"(ratio {decode_s / encode_s:.2f})")
    assert decode_s <= encode_s, f"decode {decode_s * 1e6:.1f} us > encode {encode_s * 1e6:.1f} us per message"
