"""The typed records that carry one command's results to the next (docs/architecture.md).

``quakesat run``, ``mission``, ``bench``, ``export`` and ``demo`` each write their results as
a JSON object whose first two keys say what it is: ``"format"`` (``quakesat-run``,
``quakesat-mission``, ...) and ``"version"`` (an integer, raised when a field changes meaning
or goes away). Each record is a dataclass beside its producer (``ground/run_record.py``,
``mission/record.py``, ``bench/record.py``, ``export/record.py``, ``quakesat/demo_record.py``)
with a ``to_json`` and a reader ``read_*(path)``. The readers share what is here: the file
read with a size limit, the header checked (a file of another kind or a newer version is one
clear :class:`~quakesat.errors.RecordError`), and typed fields pulled with the field's name in
every refusal. Standard library only, so every stage may use it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quakesat.errors import RecordError

#: Larger result files are not read (mission.json of a one-day mission is about 80 kB).
MAX_RECORD_BYTES = 64 * 2**20


def record_json(record: Mapping[str, Any], indent: int | None = 1) -> str:
    """A record's JSON text, one newline at the end; ``record`` is its ``to_dict()``, which puts
    ``format`` and ``version`` first."""
    return json.dumps(record, indent=indent) + "\n"


def load_json(path: str | Path, what: str) -> Any:
    """The JSON value in ``path`` (at most :data:`MAX_RECORD_BYTES`).

    Raises:
        RecordError: the file cannot be read, is too large, or is not JSON.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            raise RecordError(f"{path}: larger than {MAX_RECORD_BYTES // 2**20} MiB; not a {what}")
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise RecordError(f"{path}: cannot read this {what}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise RecordError(f"{path}: not a {what} (not UTF-8 text)", "json") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        raise RecordError(f"{path}: not a {what} (not JSON: {str(err)[:200]})", "json") from None


def check_header(obj: Any, fmt: str, version: int, what: str, source: str) -> dict[str, Any]:
    """``obj`` as a record of ``fmt`` at a version this code reads (``1..version``).

    Raises:
        RecordError: not a JSON object, another format (or none), or a version this code
            does not read; the message names the file and what to do.
    """
    if not isinstance(obj, dict):
        raise RecordError(f"{source}: not a {what} (a JSON {type(obj).__name__}, not an object)", "format")
    found = obj.get("format")
    if found != fmt:
        said = "it has no \"format\" field" if found is None else f"its format is {str(found)[:80]!r}"
        raise RecordError(f"{source}: not a {what} ({said}; a {what} says \"format\": \"{fmt}\")", "format")
    number = obj.get("version")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise RecordError(f"{source}: a {what} needs a whole \"version\" >= 1, found {str(number)[:40]!r}", "version")
    if number > version:
        raise RecordError(f"{source}: {what} version {number} was written by a newer quakesat; this one reads up to "
                          f"version {version}: upgrade quakesat to read it", "version")
    return obj


class Fields:
    """Typed access to a record's top-level fields; a wrong or missing one is a
    :class:`~quakesat.errors.RecordError` naming the file, the record and the field. The
    ``optional_*`` accessors give None where the field is absent or null."""

    def __init__(self, obj: dict[str, Any], what: str, source: str) -> None:
        self.obj, self.what, self.source = obj, what, source
        self.used: set[str] = {"format", "version"}

    def _get(self, key: str) -> Any:
        self.used.add(key)
        if key not in self.obj:
            raise RecordError(f"{self.source}: this {self.what} has no {key!r} field", key)
        return self.obj[key]

    def _wrong(self, key: str, expected: str, value: Any) -> RecordError:
        return RecordError(f"{self.source}: {self.what} field {key!r} must be {expected}, found "
                           f"{type(value).__name__} {str(value)[:60]!r}", key)

    def _present(self, key: str) -> bool:
        self.used.add(key)
        return self.obj.get(key) is not None

    def text(self, key: str) -> str:
        """A string."""
        value = self._get(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string", value)
        return value

    def count(self, key: str) -> int:
        """A whole number >= 0."""
        value = self._get(key)
        if not _is_count(value):
            raise self._wrong(key, "a whole number >= 0", value)
        return int(value)

    def number(self, key: str) -> float:
        """A finite number."""
        value = self._get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise self._wrong(key, "a finite number", value)
        return float(value)

    def mapping(self, key: str) -> dict[str, Any]:
        """A JSON object."""
        value = self._get(key)
        if not isinstance(value, dict):
            raise self._wrong(key, "an object", value)
        return value

    def items(self, key: str) -> list[Any]:
        """A JSON array."""
        value = self._get(key)
        if not isinstance(value, list):
            raise self._wrong(key, "an array", value)
        return value

    def counts(self, key: str) -> dict[str, int]:
        """An object of whole numbers >= 0 (tiles by status, ...)."""
        value = self.mapping(key)
        for name, number in value.items():
            if not _is_count(number):
                raise self._wrong(f"{key}.{name}", "a whole number >= 0", number)
        return dict(value)

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if self._present(key) else None

    def optional_count(self, key: str) -> int | None:
        return self.count(key) if self._present(key) else None

    def optional_number(self, key: str) -> float | None:
        return self.number(key) if self._present(key) else None

    def optional_mapping(self, key: str) -> dict[str, Any] | None:
        return self.mapping(key) if self._present(key) else None

    def optional_counts(self, key: str) -> dict[str, int] | None:
        return self.counts(key) if self._present(key) else None

    def optional_items(self, key: str) -> list[Any]:
        """An array, empty where the field is absent or null."""
        return self.items(key) if self._present(key) else []

    def rest(self) -> dict[str, Any]:
        """The fields no accessor asked for (kept, so a reader loses nothing it does not know)."""
        return {k: v for k, v in self.obj.items() if k not in self.used}


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
