"""The per-tile time budget (runtime/deadline.py): a slow or hung backend becomes
``DEADLINE_MISSED`` on that tile, the loop never stalls, later tiles are reported at once while
the backend is still out, and the runtime recovers by itself when it comes back; onnxruntime's
runs are really stopped (its terminate flag), not just abandoned.

The time bounds below are functional (a hung call must not hold the loop for ever), set many
times wider than the budgets, not speed targets."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from quakesat.errors import BackendError, ConfigError  # noqa: E402
from quakesat.ground.decode import decode  # noqa: E402
from quakesat.runtime.deadline import CANCEL_GRACE_S, DeadlineMissed, InferenceWatchdog  # noqa: E402
from quakesat.runtime.flight import FlightRuntime, RuntimeConfig  # noqa: E402
from quakesat.runtime.message import HealthReport  # noqa: E402
from quakesat.runtime.model import OnnxRuntimeBackend  # noqa: E402
from quakesat.runtime.status import Status  # noqa: E402
from quakesat.runtime.tile import Georef, Tile  # noqa: E402

TINY = Path(__file__).resolve().parents[1] / "vectors" / "tiny_model"
#: Generous: these say "it did not hang", not "it was fast".
NEVER_HUNG_S = 10.0


# ─── the watchdog alone ─────────────────────────────────────────────────────────────────
def test_a_call_within_its_budget_returns_its_result_or_its_error() -> None:
    watchdog = InferenceWatchdog()
    assert watchdog.run(lambda: 41 + 1, 5.0) == 42
    with pytest.raises(BackendError, match="broken"):
        watchdog.run(lambda: (_ for _ in ()).throw(BackendError("broken")), 5.0)
    assert not watchdog.hung


def test_a_cancelled_call_is_a_missed_deadline_and_leaves_the_watchdog_free() -> None:
    watchdog, release = InferenceWatchdog(), threading.Event()
    with pytest.raises(DeadlineMissed, match="stopped"):
        watchdog.run(lambda: release.wait(NEVER_HUNG_S), 0.05, cancel=release.set)
    assert not watchdog.hung and watchdog.run(lambda: "next", 5.0) == "next"


def test_a_call_that_cannot_be_cancelled_holds_nobody_and_later_calls_fail_at_once() -> None:
    watchdog, release = InferenceWatchdog(), threading.Event()
    started = time.perf_counter()
    with pytest.raises(DeadlineMissed, match="still running"):
        watchdog.run(lambda: release.wait(NEVER_HUNG_S), 0.05)
    assert time.perf_counter() - started < NEVER_HUNG_S / 2 and watchdog.hung
    ran = []
    with pytest.raises(DeadlineMissed, match="earlier tile"):
        watchdog.run(lambda: ran.append(1), 5.0)
    assert not ran  # nothing queued behind the hung call
    release.set()
    deadline = time.perf_counter() + NEVER_HUNG_S
    while watchdog.hung and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert watchdog.run(lambda: "recovered", 5.0) == "recovered"


def test_a_budget_already_spent_does_not_start_the_call() -> None:
    ran = []
    with pytest.raises(DeadlineMissed, match="spent"):
        InferenceWatchdog().run(lambda: ran.append(1), 0.0)
    assert not ran


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "1"])
def test_the_budget_must_be_a_positive_number_of_seconds(bad) -> None:
    with pytest.raises(ConfigError, match="deadline_s"):
        RuntimeConfig(deadline_s=bad)


# ─── the flight runtime with a hung backend ─────────────────────────────────────────────
class HangingBackend:
    """Wraps a real backend; while ``hang`` is set, a run blocks until ``release`` is."""

    def __init__(self, inner) -> None:  # noqa: ANN001 - any Backend
        self.inner, self.output_names = inner, inner.output_names
        self.hang, self.release = threading.Event(), threading.Event()

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        if self.hang.is_set():
            self.release.wait(NEVER_HUNG_S)
        return self.inner.run(x)


def _tile(k: int) -> Tile:
    rng = np.random.default_rng(k)
    first = rng.gamma(4.4, 0.05 / 4.4, (64, 64, 2)).astype(np.float32)
    second = first * np.float32(1.5)
    return Tile(k, 1_700_000_000 + k, first, second, Georef(38.1, 13.4, 10.0))


def test_a_hung_backend_becomes_deadline_missed_and_the_runtime_recovers() -> None:
    runtime = FlightRuntime.open(TINY, config=RuntimeConfig(gate="off", health_every=0, deadline_s=0.2))
    backend = HangingBackend(runtime.model.backend)
    runtime.model.backend = backend
    assert decode(runtime.process(_tile(0)).message).status != Status.DEADLINE_MISSED

    backend.hang.set()
    started = time.perf_counter()
    hung = decode(runtime.process(_tile(1)).message)
    assert hung.status == Status.DEADLINE_MISSED and not hung.event
    assert time.perf_counter() - started < NEVER_HUNG_S / 2  # the loop went on
    started = time.perf_counter()
    later = [decode(runtime.process(_tile(k)).message) for k in range(2, 5)]
    assert all(m.status == Status.DEADLINE_MISSED and not m.event for m in later)
    assert time.perf_counter() - started < 0.2 + CANCEL_GRACE_S  # reported at once, no wait each
    runtime.health()
    [health] = [m for m in map(decode, runtime.drain()) if isinstance(m, HealthReport)]
    assert health.status == Status.DEADLINE_MISSED

    backend.hang.clear()
    backend.release.set()
    deadline = time.perf_counter() + NEVER_HUNG_S
    while runtime._watchdog.hung and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert decode(runtime.process(_tile(5)).message).status != Status.DEADLINE_MISSED
    assert runtime.deadlines_missed == 4


def test_without_a_budget_inference_runs_in_the_calling_thread() -> None:
    runtime = FlightRuntime.open(TINY, config=RuntimeConfig(health_every=0))
    seen = []
    inner = runtime.model.backend

    class Recording:
        output_names = inner.output_names

        def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
            seen.append(threading.current_thread())
            return inner.run(x)

    runtime.model.backend = Recording()
    runtime.process(_tile(0))
    assert seen == [threading.current_thread()] and runtime._watchdog is None


# ─── onnxruntime: the run is stopped, not abandoned ─────────────────────────────────────
def _slow_onnx(path: Path) -> Path:
    """A graph that runs for many seconds: a Loop of 20 million additions."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    body = helper.make_graph(
        [helper.make_node("Add", ["acc_in", "one"], ["acc_out"]), helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [1])],
        [helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["trips", "keep_going", "x"], ["y"], body=body)], "slow",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
        [helper.make_tensor("trips", TensorProto.INT64, [], [20_000_000]),
         helper.make_tensor("keep_going", TensorProto.BOOL, [], [True])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def test_an_onnxruntime_run_over_its_budget_is_terminated(tmp_path) -> None:
    backend = OnnxRuntimeBackend(_slow_onnx(tmp_path / "slow.onnx"))
    watchdog = InferenceWatchdog()
    started = time.perf_counter()
    with pytest.raises(DeadlineMissed, match="stopped"):  # came back within the grace: really stopped
        watchdog.run(lambda: backend.run(np.zeros(1, np.float32)), 0.1, cancel=backend.cancel)
    assert time.perf_counter() - started < 0.1 + CANCEL_GRACE_S + 0.5 and not watchdog.hung
    # The flag is reset for the next run: it runs (and is stopped again), it does not fail at once.
    with pytest.raises(DeadlineMissed, match="stopped"):
        watchdog.run(lambda: backend.run(np.zeros(1, np.float32)), 0.1, cancel=backend.cancel)


def test_a_budget_spent_before_inference_refuses_what_reaches_the_model_and_nothing_else() -> None:
    """The twin of cpp_runner/tests/test_runner.cpp's budget check: the same rule in both runtimes."""
    plain = FlightRuntime.open(TINY, config=RuntimeConfig(gate="off", health_every=0))
    spent = FlightRuntime.open(TINY, config=RuntimeConfig(gate="off", health_every=0, deadline_s=1e-9))
    bad = _tile(2)
    bad = Tile(bad.tile_id, bad.time, bad.first, np.zeros_like(bad.second), bad.georef)
    for tile in (_tile(1), bad):
        before, after = plain.process(tile).report, spent.process(tile).report
        if before.status.category.value in ("ok", "degraded"):
            assert after.status == Status.DEADLINE_MISSED and not after.event
        else:
            assert after.status == before.status == Status.ALL_ZERO
    assert spent.deadlines_missed == 1
