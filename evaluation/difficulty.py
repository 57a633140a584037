"""How hard is a QuakeSet file? The two reference baselines of the simulator's calibration.

- **PCA + RandomForest** on the bitemporal detection task (task 1), the paper's shallow
  baseline (paper: 0.72 accuracy on the real file), and the same RandomForest on the
  multilooked features without the PCA (the PCA's effect, measured);
- **a log-ratio threshold**: the share of changed pixels (|log-ratio| > 3 dB) with one
  threshold fitted on the training data — the unsupervised change detector a good
  simulator must not let solve the task.

Both are fitted on ``train`` + ``validation`` and scored on ``test``, and also scored by
event-grouped 5-fold cross-validation over all samples (less noisy on small files).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.data.quakeset import QuakeSetFile, Task
from quakesat.errors import ConfigError
from quakesat.models.features import shallow_config, shallow_features
from quakesat.models.shallow import build_shallow
from quakesat.runtime.change import changed_share

RANDOM_STATE = 0


#: PCA size of the difficulty check: fewer components than the paper's ~2000, since a few
#: hundred tiles support a few dozen (and a PCA cannot have more than samples - 1).
CALIBRATION_COMPONENTS = 50


def _pca_random_forest(n_samples: int, n_features: int) -> Any:
    return build_shallow("random-forest", False, n_samples, n_features, seed=RANDOM_STATE,
                         max_components=max(1, min(CALIBRATION_COMPONENTS, n_samples // 4)))


def _raw_random_forest(n_samples: int, n_features: int) -> Any:
    return build_shallow("random-forest-nopca", False, n_samples, n_features, seed=RANDOM_STATE)


def _threshold_rule(n_samples: int = 0, n_features: int = 1) -> Any:
    from sklearn.tree import DecisionTreeClassifier

    del n_samples, n_features  # same signature as the other model factories
    return DecisionTreeClassifier(max_depth=1, random_state=RANDOM_STATE)  # one threshold


def difficulty_report(path: str | Path, progress: bool = False) -> dict[str, Any]:
    """Fit and score both baselines on the task-1 samples of ``path``.

    Returns:
        JSON-serialisable dict: sample counts, ``random_forest`` and ``log_ratio`` blocks
        each with ``test_accuracy`` and ``cv_accuracy``, the majority-class accuracy, and
        the seconds taken.
    """
    from sklearn.model_selection import GroupKFold, cross_val_score
    from tqdm import tqdm

    started = time.perf_counter()
    with QuakeSetFile(path) as qs:
        refs = qs.samples(Task.BITEMPORAL_DETECTION)
        if not refs:
            raise ConfigError(f"{path}: no task-1 samples")
        side = qs.image_shape(refs[0].event_id, refs[0].patch)[0]
        config = shallow_config(side)
        features, shares, labels, groups, splits = [], [], [], [], []
        for ref in tqdm(refs, desc="features", unit="pair", disable=not progress):
            first, second = qs.read(ref)
            features.append(shallow_features((first, second), config))
            shares.append(changed_share(first, second))
            labels.append(ref.label)
            groups.append(ref.event_id)
            splits.append(ref.split)
    x = np.stack(features)
    share = np.nan_to_num(np.asarray(shares), nan=0.0)[:, None]
    y = np.asarray(labels)
    test = np.asarray(splits) == "test"
    n_folds = min(5, len(set(groups)))

    def score(make: Any, data: np.ndarray) -> dict[str, float | None]:
        result: dict[str, float | None] = {"test_accuracy": None, "cv_accuracy": None}
        if test.any() and (~test).any() and len(set(y[~test])) == 2:
            model = make(int((~test).sum()), data.shape[1])
            model.fit(data[~test], y[~test])
            result["test_accuracy"] = round(float(np.mean(model.predict(data[test]) == y[test])), 4)
        if n_folds >= 2:
            model = make(int(len(y) * (n_folds - 1) / n_folds), data.shape[1])
            cv = cross_val_score(model, data, y, groups=groups, cv=GroupKFold(n_splits=n_folds))
            result["cv_accuracy"] = round(float(cv.mean()), 4)
        return result

    log_ratio = score(_threshold_rule, share)
    rule = _threshold_rule().fit(share[~test], y[~test]) if len(set(y[~test])) == 2 else None
    # The fitted rule: "event" when the changed share is above (or, if the data say so,
    # at or below) the threshold.
    if rule is not None and rule.tree_.node_count > 1:
        left = rule.tree_.children_left[0]
        log_ratio["threshold"] = round(float(rule.tree_.threshold[0]), 6)
        log_ratio["event_above"] = bool(np.argmax(rule.tree_.value[left][0]) == 0)
    else:
        log_ratio["threshold"], log_ratio["event_above"] = None, True
    return {
        "file": str(path),
        "samples": int(len(y)),
        "test_samples": int(test.sum()),
        "positive_share": round(float(y.mean()), 4),
        "majority_accuracy": round(float(max(y.mean(), 1 - y.mean())), 4),
        "features": {"per_sample": int(x.shape[1]), "downsample": config.downsample},
        "random_forest": score(_pca_random_forest, x),
        "random_forest_raw": score(_raw_random_forest, x),
        "log_ratio": log_ratio,
        "seconds": round(time.perf_counter() - started, 1),
    }
