"""The per-tile time budget: inference on a watched thread, so a hung backend becomes a status.

With a budget set (``RuntimeConfig.deadline_s``), the flight runtime hands each inference to
one persistent daemon thread (:class:`InferenceWatchdog`) and waits at most the time the
tile has left. When the budget runs out:

- a backend that can be cancelled (onnxruntime: its ``RunOptions.terminate`` flag, checked
  between graph nodes) is told to stop, and the thread is given :data:`CANCEL_GRACE_S` to
  come back;
- the tile is ``DEADLINE_MISSED``: nothing is flagged, its late result (if any) is dropped;
- if the backend still has not returned (a call that cannot be cancelled — LiteRT's
  ``invoke`` has no cancel hook in Python), every following tile is ``DEADLINE_MISSED`` at
  once, without waiting, until it does; then the runtime goes back to normal by itself.

The flight loop therefore never waits longer than the budget (plus the grace once), however
the backend misbehaves. Without a budget, inference runs in the calling thread as before.
Standard library only.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

#: Seconds a cancelled inference is given to return before the backend counts as hung.
CANCEL_GRACE_S = 0.5


class DeadlineMissed(Exception):
    """The inference did not finish within the tile's budget (``detail`` says how)."""


class InferenceWatchdog:
    """One daemon thread that runs inferences while the caller waits with a timeout."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._pending: Future[Any] | None = None  # the call still running after its deadline
        self._thread = threading.Thread(target=self._serve, name="quakesat-inference", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            call, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as err:  # handed to the waiting caller, whatever it is
                future.set_exception(err)

    @property
    def hung(self) -> bool:
        """Whether a call that missed its deadline is still running."""
        if self._pending is not None and self._pending.done():
            self._pending = None
        return self._pending is not None

    def run(self, call: Callable[[], Any], timeout_s: float, cancel: Callable[[], None] | None = None) -> Any:
        """``call()``'s result, or its exception, if it returns within ``timeout_s``.

        Raises:
            DeadlineMissed: it did not (``cancel`` was called, the call given
                :data:`CANCEL_GRACE_S` more), or an earlier call is still running.
        """
        if self.hung:
            raise DeadlineMissed("the backend has not returned from an earlier tile's inference")
        if timeout_s <= 0:
            raise DeadlineMissed("the tile's budget was spent before inference")
        future: Future[Any] = Future()
        started = time.perf_counter()
        self._jobs.put((call, future))
        try:
            return future.result(timeout=timeout_s)
        except FutureTimeout:
            pass
        if cancel is not None:
            cancel()
        try:
            future.exception(timeout=CANCEL_GRACE_S)  # it came back (cancelled, failed or late): dropped
        except FutureTimeout:
            self._pending = future
            raise DeadlineMissed(f"inference still running {time.perf_counter() - started:.3f} s after it "
                                 f"started (budget {timeout_s:.3f} s); later tiles wait for it to return") from None
        raise DeadlineMissed(f"inference stopped after {time.perf_counter() - started:.3f} s "
                             f"(budget {timeout_s:.3f} s)")

    def close(self) -> None:
        """Let the thread end once it is idle (it is a daemon: a hung call never blocks exit)."""
        self._jobs.put(None)
