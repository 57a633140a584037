"""The flight runtime on a real exported model (tests/vectors/tiny_model), without torch:
every status path, the gate, location, health cadence, queue bounds and the message bytes."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from quakesat.errors import BackendError, ConfigError  # noqa: E402
from quakesat.ground.decode import decode
from quakesat.runtime.flight import FlightRuntime, RuntimeConfig  # noqa: E402
from quakesat.runtime.message import HealthReport, TileReport  # noqa: E402
from quakesat.runtime.status import Status  # noqa: E402
from quakesat.runtime.tile import (  # noqa: E402
    Georef,
    Tile,
    TileCheck,  # noqa: E402
    ground_distance_m,
    pixel_to_latlon,
)

TINY = Path(__file__).resolve().parents[1] / "vectors" / "tiny_model"
SIDE = 64
PLACE = Georef(38.1, 13.4, 10.0)
WHEN = 1_700_000_000


def speckled(seed: int, level_db: float = -12.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    levels = np.array([10 ** (level_db / 10), 10 ** ((level_db - 7) / 10)], dtype=np.float32)
    return (levels * rng.gamma(4.4, 1 / 4.4, size=(SIDE, SIDE, 2))).astype(np.float32)


def changed(seed: int = 2) -> np.ndarray:
    """A post image whose centre quarter brightened by 10 dB: well above the fixture's gate."""
    image = speckled(seed)
    image[16:48, 16:48] *= 10.0
    return image


def tile(first=None, second=None, **changes) -> Tile:
    first = speckled(1) if first is None else first
    second = changed() if second is None else second
    return replace(Tile(7, WHEN, first, second, PLACE), **changes)


@pytest.fixture
def runtime() -> FlightRuntime:
    return FlightRuntime.open(TINY, config=RuntimeConfig(health_every=0))


def always_event(rt: FlightRuntime) -> FlightRuntime:
    """Make every processed tile an event (thresholds at zero), to exercise location."""
    manifest = rt.model.manifest
    rt.model.manifest = replace(manifest, decision=replace(manifest.decision, event_threshold=0.0, magnitude_min=0.0))
    return rt


# ─── the good path ──────────────────────────────────────────────────────────────────────
def test_a_good_tile_runs_every_stage_and_its_message_decodes_to_what_the_runtime_decided(runtime) -> None:
    outcome = runtime.process(tile())
    assert set(outcome.seconds) == {"check", "gate", "preprocess", "infer", "decide", "encode"}
    message = decode(outcome.message)
    assert isinstance(message, TileReport) and len(outcome.message) == 32
    assert message.status == Status.OK and message.tile_id == 7 and message.time == WHEN
    assert message.model_id == runtime.model.model_id == int(runtime.model.artifact.sha256[:4], 16)
    assert (message.lat, message.lon) == pytest.approx((PLACE.center_lat, PLACE.center_lon), abs=1e-7)
    assert message.event == outcome.report.event and not message.gated
    assert runtime.queue.peek() == [outcome.report]


def test_the_runtime_reuses_one_input_buffer_and_one_session(runtime) -> None:
    buffer, session = runtime._input, runtime.model.backend.session
    for seed in range(3):
        runtime.process(tile(second=changed(10 + seed)))
    assert runtime._input is buffer and runtime.model.backend.session is session
    assert runtime.times.count["infer"] == 3


def test_sequence_counts_increase_across_tile_and_health_reports(runtime) -> None:
    seqs = [runtime.process(tile()).report.seq, runtime.health().seq, runtime.process(tile()).report.seq]
    assert seqs == [0, 1, 2]


# ─── bad input: a status, no event, no exception, no model run ───────────────────────────
def mostly_nan() -> np.ndarray:
    image = speckled(3)
    image[: SIDE * 3 // 4] = np.nan
    return image


BAD = [
    ("all NaN", {"second": np.full((SIDE, SIDE, 2), np.nan, np.float32)}, Status.ALL_NODATA),
    ("mostly NaN", {"first": mostly_nan()}, Status.MOSTLY_NODATA),
    ("Inf", {"second": np.where(np.eye(SIDE, dtype=bool)[..., None], np.inf, speckled(4)).astype(np.float32)},
     Status.NON_FINITE),
    ("zeros", {"first": np.zeros((SIDE, SIDE, 2), np.float32)}, Status.ALL_ZERO),
    ("constant", {"second": np.full((SIDE, SIDE, 2), 0.05, np.float32)}, Status.CONSTANT),
    ("wrong shape", {"second": speckled(5)[:32]}, Status.BAD_SHAPE),
    ("wrong dtype", {"first": speckled(5).astype(np.int16)}, Status.BAD_DTYPE),
    ("not an array", {"first": [[0.1, 0.2]]}, Status.BAD_DTYPE),
    ("out of range", {"first": speckled(6) * 1e6}, Status.OUT_OF_RANGE),
    ("latitude off the globe", {"georef": Georef(95.0, 0.0)}, Status.BAD_GEOREFERENCE),
    ("zero pixel spacing", {"georef": Georef(1.0, 2.0, 0.0)}, Status.BAD_GEOREFERENCE),
    ("no time", {"time": -1}, Status.BAD_TIME),
    ("time past u32", {"time": 2**32}, Status.BAD_TIME),
    ("unreadable", {"first": None, "second": None, "read_check": TileCheck(Status.UNREADABLE, "truncated")},
     Status.UNREADABLE),
    # A same-track pair to a model that takes amplitude pairs (every manifest today): refused before
    # any pixel is looked at, even good amplitude images.
    ("same-track pair", {"kind": "same_track"}, Status.WRONG_KIND),
    ("same-track pair unread", {"first": None, "second": None, "kind": "same_track"}, Status.WRONG_KIND),
]


@pytest.mark.parametrize("name,changes,status", BAD, ids=[case[0] for case in BAD])
def test_every_bad_input_becomes_its_status_with_no_event_and_no_model_run(runtime, name, changes, status,
                                                                          caplog) -> None:
    always_event(runtime)  # even a model that fires on everything must not fire here
    outcome = runtime.process(tile(**changes))
    message = decode(outcome.message)
    assert message.status == status and not message.event and not message.located
    assert "infer" not in outcome.seconds
    assert status.code_name in caplog.text


def test_a_degraded_tile_is_processed_and_keeps_its_degraded_status(runtime) -> None:
    first = speckled(1)
    first[:4] = np.nan
    outcome = runtime.process(tile(first=first))
    assert decode(outcome.message).status == Status.PARTIAL_NODATA and "infer" in outcome.seconds


def test_a_tile_without_georeference_is_still_judged_and_says_it_has_no_position(runtime) -> None:
    always_event(runtime)  # the model's verdict stands; only the position is missing
    outcome = runtime.process(tile(georef=None))
    message = decode(outcome.message)
    assert message.status == Status.NO_GEOREFERENCE and message.event and "infer" in outcome.seconds
    assert (message.lat, message.lon) == (0.0, 0.0) and not message.located and "locate" not in outcome.seconds
    first = speckled(1)
    first[:4] = np.nan  # degraded too: the missing position is what the ground must learn
    assert decode(runtime.process(tile(first=first, georef=None)).message).status == Status.NO_GEOREFERENCE
    assert decode(runtime.process(tile(georef=None, time=-1)).message).status == Status.BAD_TIME


# ─── model faults ───────────────────────────────────────────────────────────────────────
def copy_model(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(TINY, folder)
    return folder


def test_a_missing_model_leaves_the_runtime_up_reporting_model_missing(tmp_path) -> None:
    rt = FlightRuntime.open(tmp_path / "nowhere", config=RuntimeConfig(health_every=2))
    reports = [decode(rt.process(tile()).message) for _ in range(2)]
    assert all(r.status == Status.MODEL_MISSING and not r.event for r in reports)
    health = [decode(m) for m in rt.drain() if isinstance(decode(m), HealthReport)]
    assert [h.status for h in health] == [Status.MODEL_MISSING]
    # The fault comes first, as for an unreadable tile (and in C++): a same-track pair says it too.
    assert decode(rt.process(tile(kind="same_track")).message).status == Status.MODEL_MISSING


def test_a_tampered_artifact_is_refused_and_every_tile_says_hash_mismatch(tmp_path) -> None:
    folder = copy_model(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    default = next(a for a in manifest["artifacts"] if a["name"] == manifest["default_artifacts"]["python"])
    path = folder / default["path"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    rt = FlightRuntime.open(folder)
    report = decode(rt.process(tile()).message)
    assert rt.model is None and report.status == Status.HASH_MISMATCH and not report.event
    assert report.model_id == int(default["sha256"][:4], 16)  # the id the manifest promised, for the operators


def test_an_invalid_manifest_becomes_manifest_invalid(tmp_path) -> None:
    folder = copy_model(tmp_path)
    (folder / "manifest.json").write_text("{not json")
    assert decode(FlightRuntime.open(folder).process(tile()).message).status == Status.MANIFEST_INVALID
    manifest = json.loads((TINY / "manifest.json").read_text())
    manifest["gate"]["threshold"] = 7.0  # not a share
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert decode(FlightRuntime.open(folder).process(tile()).message).status == Status.MANIFEST_INVALID


def test_a_backend_failure_on_one_tile_is_that_tiles_status_and_the_next_tile_runs(runtime, monkeypatch) -> None:
    always_event(runtime)
    real_run = runtime.model.backend.run
    calls = {"n": 0}

    def flaky(x):
        calls["n"] += 1
        if calls["n"] == 1:
            raise BackendError("simulated single-event upset in the accelerator")
        return real_run(x)

    monkeypatch.setattr(runtime.model.backend, "run", flaky)
    first, second = (decode(runtime.process(tile()).message) for _ in range(2))
    assert first.status == Status.BACKEND_ERROR and not first.event
    assert second.status == Status.OK and second.event


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1.5, -0.2])
def test_impossible_model_outputs_become_output_invalid_not_an_alarm(runtime, monkeypatch, bad) -> None:
    always_event(runtime)
    real_run = runtime.model.backend.run

    def corrupt(x):
        outputs = real_run(x)
        ref = runtime.model.artifact.outputs["event"]
        if ref.transform == "sigmoid":
            pytest.skip("the fixture's event head is a logit")
        outputs[ref.output] = np.full_like(outputs[ref.output], bad)
        return outputs

    monkeypatch.setattr(runtime.model.backend, "run", corrupt)
    report = decode(runtime.process(tile()).message)
    assert report.status == Status.OUTPUT_INVALID and not report.event


def test_an_impossible_magnitude_is_output_invalid(runtime, monkeypatch) -> None:
    real_run = runtime.model.backend.run
    ref = runtime.model.artifact.outputs["magnitude"]

    def huge(x):
        outputs = real_run(x)
        outputs[ref.output] = np.full_like(outputs[ref.output], 42.0)
        return outputs

    monkeypatch.setattr(runtime.model.backend, "run", huge)
    assert decode(runtime.process(tile()).message).status == Status.OUTPUT_INVALID


# ─── gate ───────────────────────────────────────────────────────────────────────────────
def test_an_identical_pair_is_gated_without_preprocessing_or_inference(runtime) -> None:
    always_event(runtime)
    image = speckled(9)
    outcome = runtime.process(tile(first=image, second=image.copy()))
    report = decode(outcome.message)
    assert report.gated and not report.event and report.confidence == 1.0
    assert "preprocess" not in outcome.seconds and "infer" not in outcome.seconds
    assert runtime.gated == 1


def test_with_the_gate_off_the_model_judges_identical_pairs_too() -> None:
    rt = always_event(FlightRuntime.open(TINY, config=RuntimeConfig(gate="off", health_every=0)))
    image = speckled(9)
    outcome = rt.process(tile(first=image, second=image.copy()))
    assert outcome.gate is None and decode(outcome.message).event


def test_the_manifest_threshold_skips_quiet_pairs_below_it(tmp_path) -> None:
    folder = copy_model(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["gate"]["threshold"] = 0.5  # at most half of the pixels changed: skip
    (folder / "manifest.json").write_text(json.dumps(manifest))
    rt = FlightRuntime.open(folder)
    quiet = rt.process(tile(second=speckled(2)))
    loud = rt.process(tile(second=speckled(2) * 30.0))
    assert quiet.report.gated and 0.5 <= quiet.report.confidence < 1.0
    assert not loud.report.gated and "infer" in loud.seconds


# ─── location ───────────────────────────────────────────────────────────────────────────
def test_a_flagged_tile_is_located_by_the_head_when_asked() -> None:
    rt = always_event(FlightRuntime.open(TINY, config=RuntimeConfig(locate="head", health_every=0)))
    outcome = rt.process(tile())
    report = decode(outcome.message)
    assert report.event and report.located and outcome.location_method == "head"
    expected = pixel_to_latlon(PLACE, *outcome.pixel, SIDE)
    assert (report.lat, report.lon) == pytest.approx(expected, abs=1e-7)


def test_the_change_peak_finds_a_localized_change_at_its_known_place() -> None:
    config = RuntimeConfig(locate="change", gate="identical", health_every=0)
    rt = always_event(FlightRuntime.open(TINY, config=config))
    before, after = speckled(1), speckled(1) * 1.0  # same speckle: only the damage changes
    after[40:52, 8:20] *= 10.0  # +10 dB over a 12 x 12 block centred at (45.5, 13.5)
    report = decode(rt.process(tile(first=before, second=after)).message)
    truth = pixel_to_latlon(PLACE, 45.5, 13.5, SIDE)
    assert report.located and ground_distance_m(report.lat, report.lon, *truth) < 3 * PLACE.pixel_spacing_m
    centre_error = ground_distance_m(PLACE.center_lat, PLACE.center_lon, *truth)
    assert centre_error > 10 * ground_distance_m(report.lat, report.lon, *truth)


def test_without_change_evidence_the_tile_centre_is_reported_unlocated() -> None:
    rt = always_event(FlightRuntime.open(TINY, config=RuntimeConfig(locate="change", gate="off", health_every=0)))
    image = speckled(1)
    report = decode(rt.process(tile(first=image, second=image.copy())).message)
    assert report.event and not report.located
    assert (report.lat, report.lon) == pytest.approx((PLACE.center_lat, PLACE.center_lon), abs=1e-7)


# ─── health cadence and the queue ───────────────────────────────────────────────────────
def test_health_reports_come_every_n_tiles_with_the_tile_count() -> None:
    rt = FlightRuntime.open(TINY, config=RuntimeConfig(health_every=3))
    for _ in range(7):
        rt.process(tile())
    health = [m for m in rt.queue.peek() if isinstance(m, HealthReport)]
    # One health report waits at a time: the one after 6 tiles replaced the one after 3.
    assert [h.tiles_processed for h in health] == [6] and rt.queue.superseded_health == 1
    assert all(h.status == Status.OK and h.dropped == 0 for h in health)
    first = rt.queue.pop(1)[0]  # a contact releases it (health ranks above quiet tiles)
    assert isinstance(first, HealthReport) and first.tiles_processed == 6
    for _ in range(2):
        rt.process(tile())
    assert [m.tiles_processed for m in rt.queue.peek() if isinstance(m, HealthReport)] == [9]
    assert rt.queue.superseded_health == 1  # the released one was not replaced


def test_the_queue_stays_bounded_and_the_next_health_report_carries_the_drops() -> None:
    rt = FlightRuntime.open(TINY, config=RuntimeConfig(health_every=0, queue_capacity=4))
    for _ in range(10):
        rt.process(tile())
        assert len(rt.queue) <= 4
    health = rt.health()
    assert health.dropped == 6 and health.status == Status.QUEUE_OVERFLOW  # 10 tiles, 4 kept
    # The health report has its own slot: it displaces no tile, and it is never dropped.
    assert len(rt.queue) == 5 and isinstance(rt.queue.peek()[0], HealthReport)
    rt.process(tile())  # one more drop
    again = rt.health()  # replaces the waiting report and carries its count on
    assert again.dropped == 7 and rt.queue.dropped_total == 7
    assert [m.dropped for m in rt.queue.peek() if isinstance(m, HealthReport)] == [7]


def test_alerts_mode_queues_bad_tiles_but_not_quiet_ones(runtime) -> None:
    rt = FlightRuntime.open(TINY, config=RuntimeConfig(emit="alerts", health_every=0))
    image = speckled(3)
    quiet = rt.process(tile(first=image, second=image.copy()))
    bad = rt.process(tile(time=0))
    assert not quiet.queued and bad.queued and rt.queue.peek() == [bad.report]


def test_drain_releases_encoded_messages_in_priority_order() -> None:
    rt = always_event(FlightRuntime.open(TINY, config=RuntimeConfig(health_every=0, gate="identical")))
    image = speckled(3)
    rt.process(tile(first=image, second=image.copy()))  # quiet (gated)
    rt.process(tile(time=0))  # bad status
    rt.process(tile())  # event
    kinds = [(r.event, r.status) for r in map(decode, rt.drain())]
    assert kinds == [(True, Status.OK), (False, Status.BAD_TIME), (False, Status.OK)]
    assert len(rt.queue) == 0


def test_config_values_are_checked() -> None:
    for bad in ({"gate": "sometimes"}, {"locate": "psychic"}, {"emit": "everything"}, {"health_every": -1}):
        with pytest.raises(ConfigError):
            RuntimeConfig(**bad)


def test_a_report_the_codec_refuses_is_sent_as_output_invalid_not_raised(monkeypatch) -> None:
    import quakesat.runtime.flight as flight

    rt = FlightRuntime.open(TINY, config=RuntimeConfig(health_every=0, gate="off"))
    real = flight.judge_heads
    # A decision that slips a value past its own checks (here: a NaN confidence).
    monkeypatch.setattr(flight, "judge_heads", lambda heads, rule: (True, 5.0, float("nan"), ""))
    outcome = rt.process(tile())
    monkeypatch.setattr(flight, "judge_heads", real)
    assert outcome.report.status == Status.OUTPUT_INVALID and not outcome.report.event
    assert outcome.report.confidence == 0.0 and outcome.report.magnitude == 0.0 and not outcome.report.located
    assert decode(outcome.message) == outcome.report
    assert rt.process(tile()).report.status != Status.OUTPUT_INVALID  # the next tile is itself again
