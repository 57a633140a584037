"""Strict JSON: the one grammar of every JSON text the flight runtime reads from outside.

Manifests and tile-list lines are read with these rules, and the C++ runner applies the same
(``cpp_runner/src/strict_json.cpp``), so a text one side accepts the other accepts too:

- RFC 8259 JSON with no ``NaN``/``Infinity`` tokens, no trailing text, no byte-order mark;
- no object with a key twice (``{"a": 1, "a": 2}`` is refused: with "the last one wins" a
  threshold written twice would be read as the second without a word);
- integers within 64 bits (signed, or unsigned when positive), floats within a double;
- at most :data:`MAX_JSON_DEPTH` levels of arrays and objects (the root object is level 1);
- no string or key holding a lone surrogate escape (it is not UTF-8).

Anything else raises ``ValueError``. Standard library only.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Deepest nesting of arrays and objects accepted (the root object is level 1; a manifest has 6).
MAX_JSON_DEPTH = 64
#: Integers must fit 64 bits (signed, or unsigned when positive): what the C++ reader holds.
INT_MIN, UINT_MAX = -(2 ** 63), 2 ** 64 - 1


def _refuse_constant(token: str) -> float:
    raise ValueError(f"{token} is not a JSON number")


def _int64(text: str) -> int:
    value = int(text)  # Python itself refuses more than 4300 digits
    if not INT_MIN <= value <= UINT_MAX:
        raise ValueError(f"the integer {text[:24]}... does not fit 64 bits")
    return value


def _double(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:24]} is beyond the range of a double")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise ValueError(f"the key {key[:40]!r} appears twice in one object")
        value[key] = item
    return value


def _check_holdable(value: Any) -> None:
    """Refuse (``ValueError``) what the C++ reader cannot hold: more than
    :data:`MAX_JSON_DEPTH` levels of arrays and objects, or a string or key with a lone
    surrogate (not UTF-8). One walk, without recursion; a scalar is level 0, ``{}`` level 1."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            item.encode("utf-8")  # UnicodeEncodeError, a ValueError, on a lone surrogate
        elif isinstance(item, dict | list):
            if level > MAX_JSON_DEPTH:
                raise ValueError(f"more than {MAX_JSON_DEPTH} nested arrays and objects")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)


def parse_strict_json(text: str) -> Any:
    """The value of ``text`` under the rules of the module doc.

    Raises:
        ValueError: ``text`` breaks one of them (the message says which).
    """
    if text.startswith("\ufeff"):
        raise ValueError("unexpected UTF-8 byte-order mark")
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
                           parse_int=_int64, parse_float=_double)
    except RecursionError:  # Python's own limit (about 1,000 levels) came first
        raise ValueError(f"more than {MAX_JSON_DEPTH} nested arrays and objects") from None
    _check_holdable(value)
    return value
