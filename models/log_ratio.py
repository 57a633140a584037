"""The log-ratio baseline as a model folder: one threshold on the share of changed pixels.

The classic unsupervised SAR change detector, made a detector by one fitted threshold: a
pixel of a preprocessed pair has changed when its dB difference exceeds 3 dB in VV or VH
(about twice the spread of the log-ratio of pure speckle after a 4 x 4 multilook), and a
tile is an event when its share of changed pixels is beyond a threshold. The threshold and
its side are fitted on the *train* split with a depth-1 decision tree (scikit-learn), the
same way as any decision stump; the validation accuracy is reported. (The benchmark's log-ratio
baseline, :mod:`quakesat.evaluation.baselines`, chooses its multilook, change threshold and
decision threshold on validation instead.)

The statistic is :func:`quakesat.runtime.rules.changed_share_of_tiles`, the very function the
flight runtime runs on the exported ``rule`` artifact, so the fitted threshold means the same
thing on board. ``quakesat train --model log-ratio`` writes ``config.json`` (family ``rule``)
and ``rule.json``; ``quakesat export`` lists ``rule.json`` as the artifact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from quakesat import __version__
from quakesat.data.quakeset import QuakeSetFile, Task
from quakesat.errors import ConfigError
from quakesat.files import write_text_atomic
from quakesat.models.model_config import write_model_config
from quakesat.runtime.preprocess import PreprocessConfig, preprocess_pair
from quakesat.runtime.rules import ChangedShareRule, changed_share_of_tiles, event_score

#: Name of the baseline in ``quakesat train --model``.
LOG_RATIO_MODEL = "log-ratio"
#: Multilook of the rule's input: 4 x 4 = 16 looks before the difference (speckle suppression).
LOG_RATIO_DOWNSAMPLE = 4
#: A pixel has changed when its backscatter moved by more than this many dB.
CHANGE_DB = 3.0
RULE_FILE = "rule.json"


def _shares(data: Path, split: str, config: PreprocessConfig) -> tuple[np.ndarray, np.ndarray]:
    """(changed share, label) of every bitemporal pair of ``split``."""
    shares, labels = [], []
    with QuakeSetFile(data) as qs:
        for ref in qs.samples(Task.BITEMPORAL_DETECTION, split):
            first, second = qs.read(ref)
            tile = preprocess_pair(first, second, config)[None]
            shares.append(float(changed_share_of_tiles(tile, CHANGE_DB, config.std_db)[0]))
            labels.append(ref.label)
    return np.asarray(shares), np.asarray(labels)


def fit_rule(shares: np.ndarray, labels: np.ndarray, std_db: tuple[float, float]) -> ChangedShareRule:
    """The threshold (and side) that best separates ``labels`` by ``shares`` (a depth-1 tree).

    Raises:
        ConfigError: the labels do not hold both classes.
    """
    from sklearn.tree import DecisionTreeClassifier

    if len(set(labels.tolist())) != 2:
        raise ConfigError("the log-ratio rule needs events and non-events in the train split")
    stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(shares[:, None], labels)
    if stump.tree_.node_count < 2:  # no split helps: call everything the majority class
        majority = int(np.bincount(labels).argmax())
        return ChangedShareRule(CHANGE_DB, std_db, 0.0, event_above=bool(majority == 1))
    left = stump.tree_.children_left[0]
    event_above = bool(np.argmax(stump.tree_.value[left][0]) == 0)  # the low side says "no event"
    return ChangedShareRule(CHANGE_DB, std_db, float(stump.tree_.threshold[0]), event_above)


def train_log_ratio_folder(data: str | Path, out: str | Path, downsample: int = LOG_RATIO_DOWNSAMPLE) -> dict[str, Any]:
    """``quakesat train --model log-ratio``: fit the rule on ``train``, score it on
    ``validation``, write ``config.json`` and ``rule.json`` into ``out``; return the config."""
    data, out = Path(data), Path(out)
    config = PreprocessConfig(downsample=downsample)
    shares, labels = _shares(data, "train", config)
    rule = fit_rule(shares, labels, config.std_db)
    validation: dict[str, Any] = {"n": 0, "accuracy": None}
    val_shares, val_labels = _shares(data, "validation", config)
    if len(val_labels):
        called = event_score(val_shares, rule.share_threshold, rule.event_above) >= 0.5
        validation = {"n": int(len(val_labels)), "accuracy": round(float(np.mean(called == (val_labels == 1))), 4)}
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / RULE_FILE, rule.to_json())
    summary = {
        "quakesat_version": __version__, "family": "rule", "model": LOG_RATIO_MODEL, "paper_task": 1,
        "preprocess": config.to_dict(), "rule": json.loads(rule.to_json()), "train_samples": int(len(labels)),
        "validation": validation, "data": {"file": str(data)},
    }
    write_model_config(out, summary)
    return summary
