"""Fixed decision rules behind the backend interface: the log-ratio baseline as an "artifact".

The log-ratio change detector is the baseline every trained model must beat. Here it is an
artifact like any other: a small JSON file (format ``rule``) listed in a manifest with its
SHA-256, opened by :func:`~quakesat.runtime.model.open_backend`, run by the flight runtime
on the same preprocessed tiles as a network, and decided by the same rule. So its messages,
scores and costs come out of the one per-tile path.

The rule (``changed_share``) reads a preprocessed bitemporal tile (normalised dB, first VV,
VH, second VV, VH; multilooked by the manifest's ``downsample``, which suppresses speckle):
a pixel has changed when its dB difference exceeds ``change_db`` in any band, and the tile's
statistic is the share of changed pixels. The event output is a score in [0, 1] that crosses
0.5 exactly at ``share_threshold`` (on the ``event_above`` side; :func:`event_score`); it is
not a calibrated probability. numpy only.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from quakesat.errors import BackendError
from quakesat.runtime.regular_file import read_regular

RULE_NAME = "changed_share"
#: Largest rule file read (a rule is a few hundred bytes).
MAX_RULE_BYTES = 1 << 20


@dataclass(frozen=True)
class ChangedShareRule:
    """The log-ratio rule's constants (the content of its artifact file).

    Attributes:
        change_db: a pixel has changed when ``|second - first|`` exceeds this many dB.
        std_db: the preprocessing's per-band normalisation (VV, VH), to read dB back from
            normalised values.
        share_threshold: the share of changed pixels at which the tile is called an event.
        event_above: an event is a share at or above the threshold (else at or below).
    """

    change_db: float
    std_db: tuple[float, float]
    share_threshold: float
    event_above: bool = True
    rule: str = RULE_NAME

    def __post_init__(self) -> None:
        values = (self.change_db, *self.std_db, self.share_threshold)
        if self.rule != RULE_NAME or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise BackendError(f"not a {RULE_NAME} rule with finite constants: {self!r}")
        if not (self.change_db > 0 and min(self.std_db) > 0 and 0.0 <= self.share_threshold <= 1.0):
            raise BackendError(f"{RULE_NAME} constants out of range: {self!r}")

    def to_json(self) -> str:
        data = asdict(self)
        data["std_db"] = list(self.std_db)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ChangedShareRule:
        try:
            data = json.loads(text)
            return cls(float(data["change_db"]), (float(data["std_db"][0]), float(data["std_db"][1])),
                       float(data["share_threshold"]), bool(data["event_above"]), str(data["rule"]))
        except (ValueError, KeyError, TypeError, IndexError) as err:
            raise BackendError(f"unreadable {RULE_NAME} rule ({err})") from None


def changed_share_of_tiles(tiles: np.ndarray, change_db: float, std_db: tuple[float, float]) -> np.ndarray:
    """The share of changed pixels of each preprocessed bitemporal tile ``(N, 4, H, W)``."""
    tiles = np.asarray(tiles, dtype=np.float32)
    if tiles.ndim != 4 or tiles.shape[1] != 4:
        raise BackendError(f"the {RULE_NAME} rule reads bitemporal tiles (N, 4, H, W), got {tiles.shape}")
    limits = (change_db / np.asarray(std_db, dtype=np.float64)).reshape(1, 2, 1, 1)
    changed = (np.abs(tiles[:, 2:4].astype(np.float64) - tiles[:, 0:2]) > limits).any(axis=1)
    return changed.reshape(len(tiles), -1).mean(axis=1)


def event_score(share: np.ndarray, threshold: float, event_above: bool) -> np.ndarray:
    """A score in [0, 1], >= 0.5 exactly on the event side of ``threshold``: the share mapped
    piecewise-linearly, 0 -> 0, ``threshold`` -> 0.5, 1 -> 1 (mirrored when not ``event_above``)."""
    share = np.clip(np.asarray(share, dtype=np.float64), 0.0, 1.0)
    below = 0.5 * share / max(threshold, 1e-12)
    above = 0.5 + 0.5 * (share - threshold) / max(1.0 - threshold, 1e-12)
    score = np.where(share >= threshold, above, below)
    return np.clip(score if event_above else 1.0 - score, 0.0, 1.0).astype(np.float32)


class RuleBackend:
    """Runs a ``rule`` artifact: preprocessed NCHW tiles in, ``{"event": score}`` out."""

    output_names = ["event"]

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        del threads  # numpy, one thread
        try:
            text = read_regular(path, MAX_RULE_BYTES).decode("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise BackendError(f"{path}: cannot read the rule ({err})") from None
        self.rule = ChangedShareRule.from_json(text)

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        share = changed_share_of_tiles(x, self.rule.change_db, self.rule.std_db)
        return {"event": event_score(share, self.rule.share_threshold, self.rule.event_above)}
