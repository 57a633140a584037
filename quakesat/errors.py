"""Domain errors shared by every stage; each subclasses the builtin it refines.

Messages say what was expected, what was found, and what to do next. No stage uses
``assert`` on user input (asserts vanish under ``python -O``).
"""

from __future__ import annotations


class QuakesatError(Exception):
    """Base class of every error quakesat raises on purpose."""


class DatasetNotFoundError(QuakesatError, FileNotFoundError):
    """An ``earthquakes.h5`` path does not exist or is not a readable HDF5 file."""


class QuakeSetFormatError(QuakesatError, ValueError):
    """An HDF5 file does not follow the QuakeSet schema (docs/architecture.md).

    The message names the offending group or dataset and what was expected there.
    """


class ConfigError(QuakesatError, ValueError):
    """An option or a combination of options is invalid; the message lists the valid ones."""


class RunRefusedError(QuakesatError, ValueError):
    """A run could not do what was asked (no tile fits the model, the model cannot be used, an
    artifact failed its gate); nothing was written. The message says why and what to change."""


class ModelNotFoundError(QuakesatError, FileNotFoundError):
    """A model folder or artifact is missing; the message says which command makes it."""


class PreprocessError(QuakesatError, ValueError):
    """A tile or a preprocessing configuration cannot be preprocessed as asked."""


class MessageFieldError(QuakesatError, ValueError):
    """A downlink message field is out of the range its encoding can carry."""


class DecodeError(QuakesatError, ValueError):
    """Bytes are not a valid downlink message.

    Attributes:
        reason: a stable snake_case code naming the failed check (e.g. ``crc_mismatch``);
            the golden vectors and the C++ decoder use the same codes.
        detail: a human sentence with the values involved.
        offset: byte offset of the message in a stream, when decoding a stream.
    """

    def __init__(self, reason: str, detail: str = "", offset: int | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.offset = offset
        where = f" at byte offset {offset}" if offset is not None else ""
        text = f"malformed downlink message{where}: {reason}"
        super().__init__(f"{text} ({detail})" if detail else text)


class ManifestError(QuakesatError, ValueError):
    """A ``manifest.json`` is unreadable, of another version, or breaks a rule of the contract.

    Attributes:
        field: the dotted path of the offending field (``decision.event_threshold``,
            ``artifacts[0].sha256``; ``json`` for text that is not JSON), the same name the
            C++ runner reports for the same file; empty where no single field is at fault.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class ArtifactHashError(QuakesatError, ValueError):
    """An artifact's SHA-256 differs from the one its manifest records (tampered or stale)."""


class BackendError(QuakesatError, RuntimeError):
    """An inference backend is not installed, cannot open an artifact, or failed to run it."""


class ExportError(QuakesatError, ValueError):
    """A model cannot be exported as asked (unknown format, missing exporter, bad model)."""


class FidelityGateError(QuakesatError):
    """An exported artifact disagrees with the model it came from beyond the gate's limits.

    The artifacts and the fidelity report are still written, so the numbers can be read;
    ``manifest`` is the manifest that was written (a
    :class:`quakesat.runtime.manifest.Manifest`), None where there is none.
    """

    def __init__(self, message: str, manifest: object = None) -> None:
        super().__init__(message)
        self.manifest = manifest


class RecordError(QuakesatError, ValueError):
    """A command's result file (a run report, ``mission.json``, ``bench.json``, an export
    summary, a demo summary) is unreadable, of another kind, written by a newer quakesat, or
    breaks the shape its kind has (:mod:`quakesat.records`).

    Attributes:
        field: the offending top-level field (``format``, ``version``, ``rows``; ``json`` for
            text that is not JSON), empty where no single field is at fault.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class DiskSpaceError(QuakesatError, OSError):
    """Not enough free disk space for a file a command is about to write; raised before the
    writing starts, so nothing is left half-written (HDF5 fails badly on a full disk)."""
