"""The flight runtime: one bitemporal tile in, one downlink message out.

:class:`FlightRuntime` is what runs on board. It is opened once from an artifacts folder
(manifest, hash check, one backend session, a preallocated input buffer) and then turns
every :class:`~quakesat.runtime.tile.Tile` into a :class:`~quakesat.runtime.message.TileReport`
through these stages, each timed:

``check``       input checks (:func:`~quakesat.runtime.validate.check_pair`), georeference
                and acquisition time; a bad tile stops here with its status
``gate``        the change gate (:class:`~quakesat.runtime.gate.ChangeGate`): an unchanged
                tile skips the network and is reported quiet, ``gated``
``preprocess``  the shared preprocessing, into the preallocated model input
``infer``       the exported model's heads
``decide``      the manifest's decision rule; non-finite or impossible outputs become
                ``OUTPUT_INVALID``
``locate``      for a flagged tile, the epicentre inside it: the location head or the change
                peak, whichever the manifest chose on validation, else the tile centre
``encode``      the 32-byte message

It never raises on a tile and never flags an event it cannot stand behind: a model that is
missing, tampered with, or whose manifest is invalid leaves the runtime up, reporting that
status on every tile and in health reports; a backend failure on one tile is that tile's
``BACKEND_ERROR``. Messages go to the bounded :class:`~quakesat.runtime.downlink_queue.DownlinkQueue`
(``emit="all"``: every tile; ``"alerts"``: events, bad input and model faults only), with a
health report every ``health_every`` tiles. numpy, the standard library and an inference
backend only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from quakesat.errors import (
    ArtifactHashError,
    BackendError,
    ConfigError,
    ManifestError,
    ModelNotFoundError,
    PreprocessError,
    QuakesatError,
)
from quakesat.runtime.decision import decide
from quakesat.runtime.downlink_queue import DownlinkQueue
from quakesat.runtime.gate import ChangeGate, GateVerdict
from quakesat.runtime.locate import METHODS, change_peak, head_to_pixel
from quakesat.runtime.message import (
    APID,
    MAGNITUDE_MAX,
    SEQ_COUNT_MAX,
    HealthReport,
    TileReport,
    encode,
)
from quakesat.runtime.model import ExportedModel
from quakesat.runtime.preprocess import (
    PreprocessConfig,
    preprocess_image,
    preprocess_pair,
)
from quakesat.runtime.status import Status, StatusCategory
from quakesat.runtime.tile import Tile, check_georef, check_time, pixel_to_latlon
from quakesat.runtime.validate import TileCheck, check_pair

log = logging.getLogger("quakesat.runtime")

#: Stages of :meth:`FlightRuntime.process`, in order.
STAGES = ("check", "gate", "preprocess", "infer", "decide", "locate", "encode")
#: Gate modes: no gate, identical pairs only, or the manifest's calibrated threshold.
GATE_MODES = ("off", "identical", "manifest")
#: Largest magnitude a model may report before its output counts as invalid (mb).
MAX_PLAUSIBLE_MAGNITUDE = 10.0
#: Exceptions that mean "the model cannot be used", with the status each becomes.
_MODEL_FAULTS: tuple[tuple[type[QuakesatError], Status], ...] = (
    (ModelNotFoundError, Status.MODEL_MISSING),
    (ArtifactHashError, Status.HASH_MISMATCH),
    (ManifestError, Status.MANIFEST_INVALID),
    (PreprocessError, Status.MANIFEST_INVALID),  # bad preprocessing constants in the manifest
    (BackendError, Status.BACKEND_ERROR),
)


@dataclass(frozen=True)
class RuntimeConfig:
    """How the runtime behaves (all of it is ground-commandable on a real payload).

    Attributes:
        gate: ``off``, ``identical`` (skip pixel-identical pairs only) or ``manifest`` (the
            threshold calibrated at export; identical-only when the manifest has none).
        locate: ``auto`` (the method the manifest chose on validation; the tile centre if
            it has none), ``head``, ``change`` or ``centre``.
        emit: ``all`` (one report per tile) or ``alerts`` (events, bad input, model faults).
        health_every: tiles between health reports (0: only when asked).
        queue_capacity: messages the onboard queue holds.
        threads: inference threads.
        apid: CCSDS application process id of the messages.
    """

    gate: str = "manifest"
    locate: str = "auto"
    emit: str = "all"
    health_every: int = 100
    queue_capacity: int = 1024
    threads: int = 1
    apid: int | None = None

    def __post_init__(self) -> None:
        if self.gate not in GATE_MODES:
            raise ConfigError(f"gate must be one of {GATE_MODES}, got {self.gate!r}")
        if self.locate not in METHODS:
            raise ConfigError(f"locate must be one of {METHODS}, got {self.locate!r}")
        if self.emit not in ("all", "alerts"):
            raise ConfigError(f"emit must be 'all' or 'alerts', got {self.emit!r}")
        if self.health_every < 0:
            raise ConfigError(f"health_every must be >= 0, got {self.health_every}")


@dataclass
class TileOutcome:
    """Everything the runtime learned about one tile (the message is ``report``)."""

    report: TileReport
    message: bytes
    check: TileCheck
    gate: GateVerdict | None = None
    heads: dict[str, np.ndarray] | None = None
    pixel: tuple[float, float] | None = None  # refined epicentre pixel (row, col)
    location_method: str | None = None
    queued: bool = True
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class StageTimes:
    """Seconds spent per stage over the tiles processed so far."""

    total: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    count: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))

    def add(self, seconds: dict[str, float]) -> None:
        for stage, value in seconds.items():
            self.total[stage] += value
            self.count[stage] += 1


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start


class FlightRuntime:
    """The onboard tile processor (see the module doc). Open it with :meth:`open`."""

    def __init__(self, model: ExportedModel | None, config: RuntimeConfig = RuntimeConfig(),
                 fault: TileCheck | None = None, model_id: int = 0) -> None:
        self.model = model
        self.config = config
        self.fault = fault if model is None else None
        if model is None and self.fault is None:
            self.fault = TileCheck(Status.MODEL_MISSING, "no model was given")
        self.model_id = model.model_id if model is not None else model_id
        self.queue = DownlinkQueue(config.queue_capacity)
        self.times = StageTimes()
        self.tiles_processed = 0
        self.gated = 0
        self._seq = 0
        self._last_place: tuple[int, float, float] = (1, 0.0, 0.0)
        self.preprocess: PreprocessConfig | None = None
        self.side: int | None = None
        self.gate: ChangeGate | None = None
        self._input: np.ndarray | None = None
        self._bitemporal = True
        if model is not None:
            self.preprocess = model.preprocess_config
            self.side = int(model.manifest.raw["input"]["raw_side"])
            self._input = np.zeros((1, *model.manifest.tile_shape), dtype=np.float32)
            self._bitemporal = int(model.manifest.raw["input"].get("images", 2)) == 2
            self.gate = self._make_gate(model) if self._bitemporal else None

    # ─── opening ───────────────────────────────────────────────────────────────────────
    @classmethod
    def open(cls, artifacts: str | Path, artifact: str | None = None,
             config: RuntimeConfig = RuntimeConfig()) -> FlightRuntime:
        """Open the artifact ``artifact`` (None: the manifest's default) of the folder
        ``artifacts``. A model that cannot be used does not raise: the runtime comes up in
        fault mode, logs why, and reports the fault's status on every tile."""
        try:
            model = ExportedModel.open(artifacts, artifact, config.threads)
            model.manifest.raw["input"]["raw_side"]  # noqa: B018 - required below
            return cls(model, config)
        except KeyError as err:
            fault = TileCheck(Status.MANIFEST_INVALID, f"{artifacts}: manifest input lacks {err}")
        except QuakesatError as err:
            status = next((s for kind, s in _MODEL_FAULTS if isinstance(err, kind)), Status.MANIFEST_INVALID)
            fault = TileCheck(status, str(err))
        log.error("model unusable, every tile will carry %s: %s", fault.status.code_name, fault.detail)
        return cls(None, config, fault, _manifest_model_id(artifacts, artifact))

    def _make_gate(self, model: ExportedModel) -> ChangeGate | None:
        if self.config.gate == "off":
            return None
        threshold = 0.0
        if self.config.gate == "manifest":
            threshold = float((model.manifest.raw.get("gate") or {}).get("threshold", 0.0))
        return ChangeGate(threshold)

    # ─── per tile ──────────────────────────────────────────────────────────────────────
    def _next_seq(self) -> int:
        seq = self._seq
        self._seq = (self._seq + 1) % (SEQ_COUNT_MAX + 1)
        return seq

    def _first_problem(self, tile: Tile) -> TileCheck:
        """The status that stops the tile before the model, or the pair's (OK or degraded)."""
        if self.fault is not None:
            return self.fault
        if tile.read_check is not None and tile.read_check.status != Status.OK:
            return tile.read_check
        pair = check_pair(tile.first, tile.second, self.side, self.preprocess)
        if not pair.processable:
            return pair
        for check in (check_georef(tile.georef), check_time(tile.time)):
            if check.status != Status.OK:
                return check
        return pair

    def process(self, tile: Tile) -> TileOutcome:
        """Turn one tile into its message (queued per ``emit``); never raises on the tile."""
        seconds: dict[str, float] = {}
        with _timed(seconds, "check"):
            check = self._first_problem(tile)
        event, magnitude, confidence, status = False, 0.0, 0.0, check.status
        outcome = TileOutcome(report=None, message=b"", check=check)  # type: ignore[arg-type]
        if check.processable and self.fault is None:
            event, magnitude, confidence, status = self._judge(tile, outcome, seconds)
        if status != check.status and status.category != StatusCategory.DEGRADED:
            outcome.check = TileCheck(status, outcome.check.detail)
        georef_ok = check_georef(tile.georef).status == Status.OK
        lat, lon = (tile.georef.center_lat, tile.georef.center_lon) if georef_ok else (0.0, 0.0)
        if event:
            with _timed(seconds, "locate"):
                outcome.pixel, outcome.location_method = self._locate(tile, outcome.heads)
                if outcome.pixel is not None:
                    lat, lon = pixel_to_latlon(tile.georef, *outcome.pixel, self.side)
        time_ok = check_time(tile.time).status == Status.OK
        with _timed(seconds, "encode"):
            outcome.report = TileReport(
                seq=self._next_seq(), tile_id=int(tile.tile_id) & 0xFFFF_FFFF, time=int(tile.time) if time_ok else 0,
                lat=lat, lon=lon, magnitude=magnitude, confidence=confidence, model_id=self.model_id,
                status=status, event=event, gated=outcome.gate is not None and outcome.gate.skip,
                located=outcome.pixel is not None, apid=self._apid())
            outcome.message = encode(outcome.report)
        if not outcome.check.processable or status != check.status:
            log.warning("tile %s: %s%s", tile.tile_id, status.code_name,
                        f" ({outcome.check.detail})" if outcome.check.detail else "")
        self.tiles_processed += 1
        self.gated += int(outcome.report.gated)
        if georef_ok and time_ok:
            self._last_place = (int(tile.time), lat, lon)
        outcome.seconds = seconds
        self.times.add(seconds)
        outcome.queued = self._emit(outcome.report)
        if self.config.health_every and self.tiles_processed % self.config.health_every == 0:
            self.health()
        return outcome

    def _judge(self, tile: Tile, outcome: TileOutcome, seconds: dict[str, float]) -> tuple[bool, float, float, Status]:
        """Gate, model and decision for a processable tile: (event, magnitude, confidence, status)."""
        status = outcome.check.status
        if self.gate is not None:
            with _timed(seconds, "gate"):
                outcome.gate = self.gate.judge(tile.first, tile.second)
            if outcome.gate.skip:
                return False, 0.0, _gate_confidence(outcome.gate, self.gate.threshold), status
        assert self.model is not None and self._input is not None
        with _timed(seconds, "preprocess"):
            if self._bitemporal:
                self._input[0] = preprocess_pair(tile.first, tile.second, self.preprocess)
            else:  # a single-image model (paper task 5) reads the post-event image
                self._input[0] = preprocess_image(tile.second, self.preprocess)
        try:
            with _timed(seconds, "infer"):
                outcome.heads = self.model.heads(self._input)
        except QuakesatError as err:
            outcome.check = TileCheck(Status.BACKEND_ERROR, str(err))
            return False, 0.0, 0.0, Status.BACKEND_ERROR
        with _timed(seconds, "decide"):
            event, magnitude, confidence, problem = judge_heads(
                outcome.heads, self.model.manifest.decision,
                bool(self.model.manifest.raw["model"].get("magnitude_given_event", False)))
            if problem:
                outcome.check = TileCheck(Status.OUTPUT_INVALID, problem)
                return False, 0.0, 0.0, Status.OUTPUT_INVALID
            return event, magnitude, confidence, status

    def _locate(self, tile: Tile, heads: dict[str, np.ndarray] | None) -> tuple[tuple[float, float] | None, str]:
        method = self.config.locate
        if method == "auto":
            method = str((self.model.manifest.raw.get("locate") or {}).get("method", "centre"))
        return locate_pixel(method, heads, tile.first, tile.second, self.side)

    # ─── messages ──────────────────────────────────────────────────────────────────────
    def _apid(self) -> int:
        return APID if self.config.apid is None else self.config.apid

    def _emit(self, report: TileReport) -> bool:
        alert = report.event or report.status.category in (StatusCategory.BAD_INPUT, StatusCategory.MODEL)
        if self.config.emit == "alerts" and not alert:
            return False
        return self.queue.push(report)

    def health(self) -> HealthReport:
        """Queue a health report now (also done every ``health_every`` tiles) and return it.

        Its status is the model fault if any, else ``QUEUE_OVERFLOW`` when messages were
        dropped since the previous report, else OK; time and place are the last good tile's.
        """
        dropped = self.queue.take_dropped()
        status = self.fault.status if self.fault is not None else (Status.QUEUE_OVERFLOW if dropped else Status.OK)
        when, lat, lon = self._last_place
        report = HealthReport(seq=self._next_seq(), time=when, lat=lat, lon=lon,
                              tiles_processed=self.tiles_processed & 0xFFFF_FFFF, dropped=dropped,
                              queue_fill=self.queue.fill, model_id=self.model_id, status=status, apid=self._apid())
        self.queue.push(report)
        return report

    def drain(self, count: int | None = None) -> list[bytes]:
        """A ground contact: release up to ``count`` queued messages, encoded, in downlink order."""
        return [encode(message) for message in self.queue.pop(count)]


def judge_heads(heads: dict[str, np.ndarray], decision: dict[str, float],
                magnitude_given_event: bool) -> tuple[bool, float, float, str]:
    """The decision for one tile's heads (batch of 1): (event, magnitude, confidence,
    problem). A non-empty ``problem`` means the outputs cannot be trusted (``OUTPUT_INVALID``);
    the reported magnitude is clipped to the codec's range."""
    problem = _output_problem(heads)
    if problem:
        return False, 0.0, 0.0, problem
    decided = decide(heads, decision, magnitude_given_event)
    magnitude = float(np.clip(decided.magnitude[0], 0.0, MAGNITUDE_MAX))
    return bool(decided.event[0]), magnitude, float(decided.confidence[0]), ""


def locate_pixel(method: str, heads: dict[str, np.ndarray] | None, first: np.ndarray, second: np.ndarray,
                 side: int) -> tuple[tuple[float, float] | None, str]:
    """The refined pixel of a flagged tile and the method that gave it (``centre``: none)."""
    if method == "head" and heads is not None and "location" in heads:
        return head_to_pixel(heads["location"][0], side), "head"
    if method in ("head", "change"):
        pixel = change_peak(first, second)
        if pixel is not None:
            return pixel, "change"
    return None, "centre"


def _output_problem(heads: dict[str, np.ndarray]) -> str:
    """Why the model's outputs cannot be trusted, or '' when they can."""
    for name, values in heads.items():
        if not np.all(np.isfinite(values)):
            return f"the {name} head returned a non-finite value"
    if "event" in heads and not np.all((heads["event"] >= 0.0) & (heads["event"] <= 1.0)):
        return f"event probability {float(heads['event'][0])!r} is outside 0..1"
    if "magnitude" in heads and np.any(heads["magnitude"] > MAX_PLAUSIBLE_MAGNITUDE):
        return f"magnitude {float(heads['magnitude'][0]):.2f} mb exceeds {MAX_PLAUSIBLE_MAGNITUDE} mb"
    return ""


def _manifest_model_id(artifacts: str | Path, artifact: str | None) -> int:
    """The model id the manifest promises, for fault reports; 0 when it cannot be read."""
    from quakesat.runtime.manifest import load_manifest

    try:
        return load_manifest(artifacts).artifact(artifact).model_id
    except QuakesatError:
        return 0



def _gate_confidence(verdict: GateVerdict, threshold: float) -> float:
    """Confidence of "no event" for a gated tile: 1 for identical images, falling linearly to
    0.5 (a coin flip) as the changed share approaches the gate's threshold."""
    if verdict.identical or threshold <= 0.0:
        return 1.0
    return float(np.clip(1.0 - 0.5 * verdict.statistic / threshold, 0.5, 1.0))
