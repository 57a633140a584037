"""The flight runtime: one bitemporal tile in, one downlink message out.

:class:`FlightRuntime` is what runs on board. It is opened once from an artifacts folder
(manifest, hash check, one backend session, a preallocated input buffer) and then turns
every :class:`~quakesat.runtime.tile.Tile` into a :class:`~quakesat.runtime.message.TileReport`
through these stages, each timed:

``check``       the tile's kind (``WRONG_KIND`` unless the model's: ``InputSpec.kind``),
                input checks (:func:`~quakesat.runtime.tile.check_pair` for an amplitude
                pair, :func:`~quakesat.runtime.same_track.check_same_track_pair` for a
                same-track one), georeference and acquisition time; a bad tile stops here
                with its status
``gate``        the change gate (:class:`~quakesat.runtime.change.ChangeGate`; amplitude
                pairs only): an unchanged tile skips the network and is reported quiet, ``gated``
``preprocess``  the shared preprocessing, into the preallocated model input; for a
                same-track pair the interferogram (:mod:`~quakesat.runtime.interferogram`),
                and a pair with no coherence anywhere stops here (``NO_COHERENCE``)
``infer``       the exported model's heads
``decide``      the manifest's decision rule; non-finite or impossible outputs become
                ``OUTPUT_INVALID``
``locate``      for a flagged tile, the epicentre inside it: the location head or the change
                peak, whichever the manifest chose on validation, else the tile centre (a
                same-track pair: the head or the centre)
``encode``      the 32-byte message

It never raises on a tile and never flags an event it cannot stand behind: a model that is
missing, tampered with, or whose manifest is invalid leaves the runtime up, reporting that
status on every tile and in health reports; a backend failure on one tile is that tile's
``BACKEND_ERROR``; with a time budget (``deadline_s``), a tile whose inference overruns it
is ``DEADLINE_MISSED`` and a hung backend never stalls the loop
(:mod:`~quakesat.runtime.deadline`). Messages go to the bounded :class:`~quakesat.runtime.downlink_queue.DownlinkQueue`
(``emit="all"``: every tile; ``"alerts"``: events, bad input and model faults only), with a
health report every ``health_every`` tiles. numpy, the standard library and an inference
backend only.

:meth:`FlightRuntime.process` is two steps that can also be taken apart: :meth:`~FlightRuntime.judge_tile`
(every stage above, stateless across tiles, giving a :class:`Verdict`: the report without
its sequence count) and :meth:`~FlightRuntime.record` (the state across tiles: sequence
count, counters, last good place, queue, health cadence). Verdicts judged anywhere and
recorded in tile order give the stream ``process`` gives; the archive run does that on a
Dask cluster (:mod:`quakesat.ground.archive`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
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
    MessageFieldError,
    ModelNotFoundError,
    PreprocessError,
    QuakesatError,
)
from quakesat.runtime.change import METHODS, ChangeGate, GateVerdict, locate_pixel
from quakesat.runtime.deadline import DeadlineMissed, InferenceWatchdog
from quakesat.runtime.decision import DecisionRule, decide
from quakesat.runtime.downlink_queue import DownlinkQueue
from quakesat.runtime.interferogram import InterferogramConfig, interferogram_features
from quakesat.runtime.message import (
    APID,
    APID_MAX,
    MAGNITUDE_MAX,
    SEQ_COUNT_MAX,
    HealthReport,
    TileReport,
    encode,
)
from quakesat.runtime.model import ExportedModel
from quakesat.runtime.preprocess import (
    PreprocessConfig,
    Scratch,
    preprocess_image,
    preprocess_pair,
)
from quakesat.runtime.same_track import check_coherence, check_same_track_pair
from quakesat.runtime.status import Status, StatusCategory
from quakesat.runtime.tile import (
    AMPLITUDE,
    SAME_TRACK,
    Tile,
    TileCheck,
    check_georef,
    check_pair,
    check_time,
    pixel_to_latlon,
)

log = logging.getLogger("quakesat.runtime")

#: Stages of :meth:`FlightRuntime.process`, in order (``encode``: the report checked at judging, then the
#: message with its sequence count at recording).
STAGES = ("check", "gate", "preprocess", "infer", "decide", "locate", "encode")
#: Gate modes: no gate, identical pairs only, or the manifest's calibrated threshold.
GATE_MODES = ("off", "identical", "manifest")
#: What enters the downlink queue (:func:`emits`).
EMIT_MODES = ("all", "alerts")
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
            threshold calibrated at export; 0, identical pairs only, when export had too few
            events to calibrate one).
        locate: ``auto`` (the method the manifest chose on validation), ``head``, ``change``
            or ``centre``.
        emit: ``all`` (one report per tile) or ``alerts`` (events, bad input, model faults).
        health_every: tiles between health reports (0: only when asked).
        queue_capacity: messages the onboard queue holds.
        threads: inference threads.
        apid: CCSDS application process id of the messages.
        trusted_key: the Ed25519 public key (32 raw bytes) model updates must be signed with
            (:mod:`quakesat.runtime.signature`); None checks no signature.
        deadline_s: the time budget of one tile, seconds from the start of :meth:`FlightRuntime.process`
            to the end of inference; a tile over it is ``DEADLINE_MISSED`` and a hung backend
            never stops the loop (:mod:`quakesat.runtime.deadline`). None: no budget.
    """

    gate: str = "manifest"
    locate: str = "auto"
    emit: str = "all"
    health_every: int = 100
    queue_capacity: int = 1024
    threads: int = 1
    apid: int | None = None
    trusted_key: bytes | None = None
    deadline_s: float | None = None

    def __post_init__(self) -> None:
        if self.gate not in GATE_MODES:
            raise ConfigError(f"gate must be one of {GATE_MODES}, got {self.gate!r}")
        if self.locate not in METHODS:
            raise ConfigError(f"locate must be one of {METHODS}, got {self.locate!r}")
        if self.emit not in EMIT_MODES:
            raise ConfigError(f"emit must be 'all' or 'alerts', got {self.emit!r}")
        if self.health_every < 0:
            raise ConfigError(f"health_every must be >= 0, got {self.health_every}")
        if self.queue_capacity < 1:
            raise ConfigError(f"queue_capacity must be >= 1, got {self.queue_capacity}")
        if self.threads < 1:
            raise ConfigError(f"threads must be >= 1, got {self.threads}")
        if self.deadline_s is not None and not (isinstance(self.deadline_s, (int, float))
                                                and math.isfinite(self.deadline_s) and self.deadline_s > 0):
            raise ConfigError(f"deadline_s must be a positive number of seconds or None, got {self.deadline_s!r}")
        if self.apid is not None and not 0 <= self.apid <= APID_MAX:
            raise ConfigError(f"apid must be in 0..{APID_MAX}, got {self.apid}")


@dataclass(frozen=True)
class Judgement:
    """What the gate, the model and the decision rule concluded for one tile.

    ``check`` is the tile's final status: the input checks' (OK or degraded) when the model
    ran or the gate skipped it, else the fault that stopped it (``BACKEND_ERROR``,
    ``OUTPUT_INVALID``, a model fault, a bad input).
    """

    check: TileCheck
    event: bool = False
    magnitude: float = 0.0
    confidence: float = 0.0
    gate: GateVerdict | None = None
    heads: dict[str, np.ndarray] | None = None
    deadline_missed: bool = False


@dataclass(frozen=True)
class Verdict:
    """What one tile came to before it takes its place in the stream (:meth:`FlightRuntime.judge_tile`).

    Everything the per-tile stages conclude and none of the runtime's state across tiles:
    ``report`` still has ``seq`` 0 (:meth:`FlightRuntime.record` numbers it) and is known to
    encode (a report the codec refuses has already become ``OUTPUT_INVALID``). Without its
    ``heads`` a verdict pickles to under a kilobyte, so a tile can be judged in one
    process and recorded in another (:mod:`quakesat.ground.archive`).

    Attributes:
        report: the tile's report, ``seq`` 0.
        check: the tile's final status (see :class:`Judgement`).
        gate: the change gate's verdict, if the gate ran.
        heads: the model's raw outputs, if it ran.
        pixel: the refined epicentre pixel (row, col), if the tile was located.
        location_method: how it was located.
        place: (time, lat, lon) this tile leaves as the last good place for health reports;
            None for a tile that was refused or has no usable time or georeference.
        deadline_missed: the tile's inference overran its budget.
        backend_hung: the judging runtime's backend was still busy with an overrun call when
            the tile was done (the next health report says ``DEADLINE_MISSED``).
        notes: warnings about the tile, logged when it is recorded (in tile order).
        seconds: seconds per stage spent judging it.
    """

    report: TileReport
    check: TileCheck
    gate: GateVerdict | None = None
    heads: dict[str, np.ndarray] | None = None
    pixel: tuple[float, float] | None = None
    location_method: str | None = None
    place: tuple[int, float, float] | None = None
    deadline_missed: bool = False
    backend_hung: bool = False
    notes: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TileOutcome:
    """Everything the runtime learned about one tile; ``message`` is ``report`` encoded."""

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
        self.deadlines_missed = 0
        self._watchdog = InferenceWatchdog() if config.deadline_s is not None and model is not None else None
        self._seq = 0
        self._last_place: tuple[int, float, float] = (1, 0.0, 0.0)
        self._hung_elsewhere = False  # a recorded verdict said its (other) runtime's backend was hung
        self.preprocess: PreprocessConfig | InterferogramConfig | None = None
        self.side: int | None = None
        self.gate: ChangeGate | None = None
        self.locate_method = "centre"
        self._input: np.ndarray | None = None
        self._scratch = Scratch()  # preprocessing's working arrays, kept from tile to tile
        self._bitemporal = True
        #: The tile kind the model takes (``InputSpec.kind``); a tile of another kind is
        #: ``WRONG_KIND`` before its pixels are looked at.
        self.input_kind = AMPLITUDE
        if model is not None:
            manifest = model.manifest
            self.input_kind = manifest.input.kind
            self.preprocess = manifest.preprocess
            self.side = manifest.input.raw_side
            self._input = np.zeros((1, *manifest.input.tile_shape), dtype=np.float32)
            self._bitemporal = manifest.input.bitemporal
            if self._bitemporal and config.gate != "off" and self.input_kind == AMPLITUDE:
                self.gate = ChangeGate(manifest.gate.threshold if config.gate == "manifest" else 0.0)
            self.locate_method = manifest.locate.method if config.locate == "auto" else config.locate

    # ─── opening ───────────────────────────────────────────────────────────────────────
    @classmethod
    def open(cls, artifacts: str | Path, artifact: str | None = None,
             config: RuntimeConfig = RuntimeConfig()) -> FlightRuntime:
        """Open the artifact ``artifact`` (None: the manifest's default) of the folder
        ``artifacts``. A model that cannot be used does not raise: the runtime comes up in
        fault mode, logs why, and reports the fault's status on every tile. With
        ``config.trusted_key``, an unsigned or wrongly signed manifest is such a model
        (``MANIFEST_INVALID``)."""
        try:
            if config.trusted_key is not None:
                from quakesat.runtime.signature import verify_manifest

                verify_manifest(artifacts, config.trusted_key)  # before anything of it is used
            return cls(ExportedModel.open(artifacts, artifact, config.threads), config)
        except QuakesatError as err:
            status = next((s for kind, s in _MODEL_FAULTS if isinstance(err, kind)), Status.MANIFEST_INVALID)
            fault = TileCheck(status, str(err))
        log.error("model unusable, every tile will carry %s: %s", fault.status.code_name, fault.detail)
        return cls(None, config, fault, _manifest_model_id(artifacts, artifact))

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
        if tile.kind != self.input_kind:  # a bad input like an unreadable file: no pixel is looked at
            return TileCheck(Status.WRONG_KIND, f"the tile is {tile.kind}; the model takes {self.input_kind} pairs")
        if self.input_kind == SAME_TRACK:
            pair = check_same_track_pair(tile.first, tile.second, self.side)
        else:
            pair = check_pair(tile.first, tile.second, self.side, self.preprocess)
        if not pair.processable:
            return pair
        georef = check_georef(tile.georef)
        if not georef.processable:
            return georef
        when = check_time(tile.time)
        if when.status != Status.OK:
            return when
        return georef if georef.status != Status.OK else pair  # NO_GEOREFERENCE: the ground must know

    def process(self, tile: Tile) -> TileOutcome:
        """Turn one tile into its message (queued per ``emit``); never raises on the tile.

        The same as :meth:`judge_tile` then :meth:`record`."""
        return self._record(self.judge_tile(tile), judged_here=True)

    def judge_tile(self, tile: Tile) -> Verdict:
        """The per-tile stages for one tile (checks, gate, preprocessing, inference, decision,
        location, the report): no sequence number, queue, counter or health cadence is
        touched, so tiles may be judged in any order, or by other runtimes opened on the same
        artifacts with the same config; :meth:`record` then gives each verdict its place in
        the stream. Never raises on the tile."""
        seconds: dict[str, float] = {}
        started = time.perf_counter() - tile.read_s  # the budget covers the tile's read too
        with _timed(seconds, "check"):
            check = self._first_problem(tile)
        judged = self._judge(tile, check, seconds, started) if check.processable else Judgement(check)
        missed = judged.deadline_missed
        georef_ok = check_georef(tile.georef).status == Status.OK
        lat, lon = (tile.georef.center_lat, tile.georef.center_lon) if georef_ok else (0.0, 0.0)
        pixel, method = None, None
        if judged.event and georef_ok:
            with _timed(seconds, "locate"):
                pixel, method = self._locate(tile, judged.heads)
                if pixel is not None:
                    lat, lon = pixel_to_latlon(tile.georef, *pixel, self.side)
        time_ok = check_time(tile.time).status == Status.OK
        notes: list[str] = []
        with _timed(seconds, "encode"):
            report = TileReport(
                seq=0, tile_id=int(tile.tile_id) & 0xFFFF_FFFF, time=int(tile.time) if time_ok else 0,
                lat=lat, lon=lon, magnitude=judged.magnitude, confidence=judged.confidence, model_id=self.model_id,
                status=judged.check.status, event=judged.event, gated=judged.gate is not None and judged.gate.skip,
                located=pixel is not None, apid=self._apid())
            try:
                encode(report)  # the sequence count never makes a report unencodable: checked here once
            except MessageFieldError as err:
                # A report the codec refuses (a value out of range) still becomes a message, as
                # the C++ runner's does: OUTPUT_INVALID, nothing flagged, the tile centre.
                notes.append(f"tile {tile.tile_id}: its report cannot be encoded ({err}): sent as output_invalid")
                centre = (tile.georef.center_lat, tile.georef.center_lon) if georef_ok else (0.0, 0.0)
                report = dataclasses.replace(report, lat=centre[0], lon=centre[1], magnitude=0.0, confidence=0.0,
                                             status=Status.OUTPUT_INVALID, event=False, gated=False, located=False)
                judged = Judgement(TileCheck(Status.OUTPUT_INVALID, f"report not encodable: {err}"), gate=judged.gate,
                                   heads=judged.heads)
                pixel, method = None, None
        if not judged.check.processable or judged.check.status != check.status:
            notes.append(f"tile {tile.tile_id}: {judged.check.status.code_name}"
                         f"{f' ({judged.check.detail})' if judged.check.detail else ''}")
        # The last tile judged (not a refused one) is where health reports say the payload was.
        place = (int(tile.time), lat, lon) if georef_ok and time_ok and check.processable else None
        hung = self._watchdog is not None and self._watchdog.hung
        return Verdict(report, judged.check, judged.gate, judged.heads, pixel, method, place, missed, hung,
                       tuple(notes), seconds)

    def record(self, verdict: Verdict) -> TileOutcome:
        """Give a judged tile its place in the stream: its sequence count and message, the
        counters, the last good place, the queue (per ``emit``) and the health cadence, in
        the order verdicts are recorded. ``verdict`` may come from another runtime opened on
        the same artifacts with the same config (a worker of :mod:`quakesat.ground.archive`):
        recording the same verdicts in the same order gives the same stream, byte for byte,
        as :meth:`process` on the tiles."""
        return self._record(verdict, judged_here=False)

    def _record(self, verdict: Verdict, judged_here: bool) -> TileOutcome:
        seconds = dict(verdict.seconds)
        with _timed(seconds, "encode"):
            report = dataclasses.replace(verdict.report, seq=self._next_seq())
            message = encode(report)
        for note in verdict.notes:
            log.warning("%s", note)
        self.tiles_processed += 1
        self.gated += int(report.gated)
        self.deadlines_missed += int(verdict.deadline_missed)
        if verdict.place is not None:
            self._last_place = verdict.place
        # This runtime's own watchdog is asked live by health(); another's can only be told.
        self._hung_elsewhere = verdict.backend_hung and not judged_here
        self.times.add(seconds)
        queued = self._emit(report)
        if self.config.health_every and self.tiles_processed % self.config.health_every == 0:
            self.health()
        return TileOutcome(report, message, verdict.check, verdict.gate, verdict.heads, verdict.pixel,
                           verdict.location_method, queued, seconds)

    def _judge(self, tile: Tile, check: TileCheck, seconds: dict[str, float], started: float) -> Judgement:
        """Gate, model and decision rule for a tile that passed its checks."""
        model, tensor, config = self.model, self._input, self.preprocess
        if model is None or tensor is None or config is None:  # fault mode: _first_problem returned it
            return Judgement(self.fault or TileCheck(Status.MODEL_MISSING, "no model is open"))
        verdict = None
        if self.gate is not None:
            with _timed(seconds, "gate"):
                verdict = self.gate.judge(tile.first, tile.second)
            if verdict.skip:
                return Judgement(check, confidence=_gate_confidence(verdict, self.gate.threshold), gate=verdict)
        # OK and VALUES_CLIPPED come after the no-data checks: every value of both images is
        # finite, so preprocessing skips its no-data mask (the checks' one pass, reused).
        all_finite = check.status in (Status.OK, Status.VALUES_CLIPPED)
        with _timed(seconds, "preprocess"):
            if isinstance(config, InterferogramConfig):
                tensor[0] = interferogram_features(tile.first, tile.second, config)
                coherent = check_coherence(tensor[0, 2], config.looks)
                if not coherent.processable:  # nothing to read: bad input, never an event
                    return Judgement(coherent)
            elif self._bitemporal:
                preprocess_pair(tile.first, tile.second, config, out=tensor[0], all_finite=all_finite,
                                scratch=self._scratch)
            else:  # a single-image model (paper task 5) reads the post-event image
                preprocess_image(tile.second, config, out=tensor[0], all_finite=all_finite, scratch=self._scratch)
        try:
            with _timed(seconds, "infer"):
                heads = self._infer(model, tensor, started)
        except DeadlineMissed as err:
            return Judgement(TileCheck(Status.DEADLINE_MISSED, str(err)), gate=verdict, deadline_missed=True)
        except QuakesatError as err:
            return Judgement(TileCheck(Status.BACKEND_ERROR, str(err)), gate=verdict)
        with _timed(seconds, "decide"):
            event, magnitude, confidence, problem = judge_heads(heads, model.manifest.decision)
        if problem:
            return Judgement(TileCheck(Status.OUTPUT_INVALID, problem), gate=verdict, heads=heads)
        return Judgement(check, event, magnitude, confidence, verdict, heads)

    def _locate(self, tile: Tile, heads: dict[str, np.ndarray] | None) -> tuple[tuple[float, float] | None, str]:
        """The flagged tile's pixel and the method that gave it; a same-track pair is located by
        its head only (the change peak reads amplitude images), else at its centre."""
        if self.input_kind == SAME_TRACK:
            if self.locate_method == "head" and heads is not None and "location" in heads:
                return locate_pixel("head", heads, tile.first, tile.second, self.side)
            return None, "centre"
        return locate_pixel(self.locate_method, heads, tile.first, tile.second, self.side)

    def _infer(self, model: ExportedModel, tensor: np.ndarray, started: float) -> dict[str, np.ndarray]:
        """The model's heads, within the tile's budget when one is set (``DeadlineMissed``)."""
        if self._watchdog is None or self.config.deadline_s is None:
            return model.heads(tensor)
        left = self.config.deadline_s - (time.perf_counter() - started)
        return self._watchdog.run(lambda: model.heads(tensor), left, getattr(model.backend, "cancel", None))

    # ─── messages ──────────────────────────────────────────────────────────────────────
    def _apid(self) -> int:
        return APID if self.config.apid is None else self.config.apid

    def _emit(self, report: TileReport) -> bool:
        if not emits(report, self.config.emit):
            return False
        return self.queue.push(report)

    def health(self) -> HealthReport:
        """Queue a health report now (also done every ``health_every`` tiles) and return it as
        queued: a report still waiting is replaced by this one, which carries its drop count on
        (:class:`~quakesat.runtime.downlink_queue.DownlinkQueue`).

        Its status is the model fault if any, else ``QUEUE_OVERFLOW`` when messages were
        dropped since the last report released, else OK; time and place are the last good tile's.
        """
        fault = self.fault.status if self.fault is not None else None
        if fault is None and (self._hung_elsewhere or (self._watchdog is not None and self._watchdog.hung)):
            fault = Status.DEADLINE_MISSED  # the backend has not come back: the ground must know now
        report = health_report(self.queue, self._next_seq(), self.tiles_processed, self._last_place, self.model_id,
                               fault, self._apid())
        self.queue.push(report)
        return self.queue.queued_health or report

    def drain(self, count: int | None = None) -> list[bytes]:
        """A ground contact: release up to ``count`` queued messages, encoded, in downlink order."""
        return [encode(message) for message in self.queue.pop(count)]


def emits(report: TileReport, emit: str) -> bool:
    """Whether ``report`` enters the downlink queue under the emit mode ``emit``: every
    report under ``all``; under ``alerts`` events, bad input and model faults only."""
    if emit == "all":
        return True
    return report.event or report.status.category in (StatusCategory.BAD_INPUT, StatusCategory.MODEL)


def health_report(queue: DownlinkQueue, seq: int, tiles_processed: int, place: tuple[int, float, float],
                  model_id: int, fault: Status | None = None, apid: int = APID) -> HealthReport:
    """The health report of a processor whose queue is ``queue``, taking its drop count since
    the previous report: status the model ``fault`` if any, else ``QUEUE_OVERFLOW`` when
    messages were dropped, else OK; ``place`` is (time, lat, lon) of the last good tile."""
    dropped = queue.take_dropped()
    status = fault if fault is not None else (Status.QUEUE_OVERFLOW if dropped else Status.OK)
    when, lat, lon = place
    return HealthReport(seq=seq, time=when, lat=lat, lon=lon, tiles_processed=tiles_processed & 0xFFFF_FFFF,
                        dropped=dropped, queue_fill=queue.fill, model_id=model_id, status=status, apid=apid)


def judge_heads(heads: dict[str, np.ndarray], rule: DecisionRule) -> tuple[bool, float, float, str]:
    """The decision for one tile's heads (batch of 1): (event, magnitude, confidence,
    problem). A non-empty ``problem`` means the outputs cannot be trusted (``OUTPUT_INVALID``);
    the reported magnitude is clipped to the codec's range."""
    problem = _output_problem(heads)
    if problem:
        return False, 0.0, 0.0, problem
    decided = decide(heads, rule)
    magnitude = float(np.clip(decided.magnitude[0], 0.0, MAGNITUDE_MAX))
    return bool(decided.event[0]), magnitude, float(decided.confidence[0]), ""


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
