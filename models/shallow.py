"""The paper's shallow baselines as scikit-learn pipelines: build, fit on a QuakeSet file, predict, save, load.

Rege Cambrin & Garza 2024 (Tables 2–5) reduce each sample to about
:data:`N_PCA_MAX` principal components and fit an SVC/SVR with an RBF or a cubic polynomial
kernel, or a RandomForest. Here every such model is a :class:`sklearn.pipeline.Pipeline`
``StandardScaler → PCA → estimator`` over the flat features of
:mod:`quakesat.models.features`.

Our addition, ``random-forest-nopca``, fits the forest on the features directly. On our
simulator a PCA before the forest costs most of the change signal (docs/simulator.md,
"Difficulty": PCA + forest near chance, the forest alone at the paper's forest accuracy):
a PCA ranks directions by variance, which the scene layout dominates, and a forest splits
one axis at a time, so the few change-carrying features mixed into every component are
lost to it. The PCA variants stay as the paper's baselines; the no-PCA forest is the
honest best shallow model.

Pickled models run code when loaded: load only files you wrote or trust.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from numpy.typing import ArrayLike
from sklearn.base import is_regressor
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from tqdm import tqdm

from quakesat.data.quakeset import QuakeSetFile, SampleRef, Task, parse_split
from quakesat.errors import QuakesatError
from quakesat.files import atomic_output
from quakesat.models.features import shallow_config, shallow_features
from quakesat.models.model_config import write_model_config
from quakesat.runtime.preprocess import PreprocessConfig

# ─── model names and constants ──────────────────────────────────────────────────────────
#: Upper bound of PCA components: the paper reduces every sample to about 2,000 features.
N_PCA_MAX = 2000
#: Trees per forest, classifier and regressor alike.
N_ESTIMATORS = 300

DETECTION_MODELS: tuple[str, ...] = ("svc-rbf", "svc-cubic", "random-forest", "random-forest-nopca")
"""Shallow detectors (tasks 1 and 5): the paper's three, then our forest without PCA."""

MAGNITUDE_MODELS: tuple[str, ...] = ("svr-rbf", "svr-cubic", "random-forest", "random-forest-nopca")
"""Shallow magnitude regressors (tasks 2 and 6), in the same order."""

SHALLOW_MODELS: tuple[str, ...] = tuple(dict.fromkeys(DETECTION_MODELS + MAGNITUDE_MODELS))
"""Every shallow model name; ``random-forest*`` names serve both kinds of task."""

PAPER_MODELS: frozenset[str] = frozenset(SHALLOW_MODELS) - {"random-forest-nopca"}
"""The names that follow the paper (PCA first)."""

ARTIFACT_FORMAT = "quakesat-shallow"
ARTIFACT_VERSION = 1
"""Saved-model format tag and version; :func:`load_shallow` rejects any other by name."""

STEP_SCALE, STEP_PCA, STEP_MODEL = "scale", "pca", "model"
"""Pipeline step names."""


class ShallowModelError(QuakesatError, ValueError):
    """A shallow model cannot be built, fitted, used or loaded as asked."""


def shallow_models(regression: bool) -> tuple[str, ...]:
    """The model names for detection (``regression=False``) or magnitude (``True``).

    Args:
        regression: True for tasks 2 and 6, False for tasks 1 and 5.

    Returns:
        The names, the paper's first.
    """
    return MAGNITUDE_MODELS if regression else DETECTION_MODELS


def check_model_name(name: str, regression: bool) -> str:
    """Check that ``name`` is a shallow model for this kind of task.

    Args:
        name: a model name, e.g. ``svc-rbf``.
        regression: True for magnitude (tasks 2, 6), False for detection (tasks 1, 5).

    Returns:
        ``name``.

    Raises:
        ShallowModelError: unknown name, or a name for the other kind of task.
    """
    allowed = shallow_models(regression)
    if name not in allowed:
        kind = "magnitude (tasks 2, 6)" if regression else "detection (tasks 1, 5)"
        other = shallow_models(not regression)
        hint = f"; {name!r} is a model for the other kind of task" if name in other else ""
        raise ShallowModelError(
            f"unknown shallow model {name!r} for {kind}; expected one of {', '.join(allowed)}{hint}"
        )
    return name


def pca_components(n_samples: int, n_features: int) -> int:
    """Number of PCA components for ``n_samples`` training samples of ``n_features`` features.

    The paper's :data:`N_PCA_MAX`, unless the data have fewer directions: centred on their
    mean, ``n`` samples span at most ``n - 1`` dimensions, so components past that carry
    zero variance (and scikit-learn refuses more than ``min(n_samples, n_features)``); and
    there can be no more components than features — with our multilooked features that is
    the usual cap, and PCA then only rotates the scaled features.

    Args:
        n_samples: training samples (at least 2).
        n_features: features per sample (at least 1).

    Returns:
        ``min(N_PCA_MAX, n_samples - 1, n_features)``.

    Raises:
        ShallowModelError: fewer than 2 samples or no features.
    """
    if n_samples < 2:
        raise ShallowModelError(f"a PCA needs at least 2 training samples, got {n_samples}")
    if n_features < 1:
        raise ShallowModelError(f"a PCA needs at least 1 feature, got {n_features}")
    return min(N_PCA_MAX, n_samples - 1, n_features)


def _estimator(name: str, regression: bool, seed: int, n_jobs: int | None) -> Any:
    # Kernel hyper-parameters are scikit-learn's defaults (C=1, gamma="scale", coef0=0), not
    # tuned on any file, so a baseline means the same thing on simulated and real data. With
    # them an SVR shrinks towards the mean target: where it is unsure it predicts about the
    # mean (≈ 2.7 mb with half negatives), which the ">= 1 means an event" rule reads as an
    # event. SVC keeps its default probability=False (passing it at all is deprecated since
    # scikit-learn 1.9): Platt scaling would add a hidden cross-validation; exported models
    # score with decision_function (event if > 0).
    if name.startswith("random-forest"):
        forest = RandomForestRegressor if regression else RandomForestClassifier
        return forest(n_estimators=N_ESTIMATORS, random_state=seed, n_jobs=n_jobs)
    kernel = {"rbf": {"kernel": "rbf"}, "cubic": {"kernel": "poly", "degree": 3}}[name.split("-")[1]]
    return SVR(**kernel) if regression else SVC(**kernel)


def build_shallow(
    name: str,
    regression: bool,
    n_samples: int,
    n_features: int,
    seed: int = 0,
    n_jobs: int | None = -1,
    max_components: int = N_PCA_MAX,
) -> Pipeline:
    """Build an unfitted shallow model.

    Args:
        name: one of :func:`shallow_models` ``(regression)``.
        regression: True for a magnitude regressor, False for a detector.
        n_samples: training samples it will be fitted on (sets the PCA size).
        n_features: features per sample (sets the PCA size).
        seed: random state of the PCA solver and the forest.
        n_jobs: forest worker threads (-1: every core).
        max_components: a tighter cap on the PCA size than the paper's (the simulator's
            difficulty check uses 50).

    Returns:
        ``scale → pca → model`` (see :func:`pca_components`), or ``model`` alone for
        ``random-forest-nopca`` (a forest needs no scaling).

    Raises:
        ShallowModelError: unknown name, a name for the other kind of task, fewer than 2
            samples, or no features.
    """
    check_model_name(name, regression)
    components = min(max_components, pca_components(n_samples, n_features))
    model = _estimator(name, regression, seed, n_jobs)
    if name not in PAPER_MODELS:
        return Pipeline([(STEP_MODEL, model)])
    # whiten=False: the paper reduces dimensions; whitening would also rescale every
    # component to unit variance, which changes what the RBF kernel's distances mean.
    pca = PCA(n_components=components, whiten=False, random_state=seed)
    return Pipeline([(STEP_SCALE, StandardScaler()), (STEP_PCA, pca), (STEP_MODEL, model)])


# ─── features of a file ─────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class ShallowData:
    """The flat features and targets of one task and split."""

    features: np.ndarray  # (N, F) float32, one row per sample (shallow_features)
    labels: np.ndarray  # (N,) int64: 1 event, 0 none
    magnitudes: np.ndarray  # (N,) float64: mb for events, 0 for negatives
    refs: tuple[SampleRef, ...]  # the samples, in the file's order
    config: PreprocessConfig  # the preprocessing the features went through

    def targets(self, regression: bool) -> np.ndarray:
        """The magnitudes for a regressor, the labels for a detector."""
        return self.magnitudes if regression else self.labels


def load_shallow_data(
    source: str | os.PathLike[str] | QuakeSetFile,
    task: Task | int | str,
    split: str | None = "train",
    config: PreprocessConfig | None = None,
    progress: bool = False,
) -> ShallowData:
    """Read a task's samples and turn each into its flat feature vector.

    Args:
        source: an ``earthquakes.h5`` path (opened and closed here) or an open file.
        task: 1, 2, 5 or 6.
        split: ``train``, ``validation`` (``val``), ``test``, or None for every split.
        config: preprocessing; None derives it from the tile side (:func:`shallow_config`).
        progress: show a progress bar on stderr.

    Returns:
        The features, labels, magnitudes, samples and preprocessing.

    Raises:
        DatasetNotFoundError: ``source`` is not a readable HDF5 file.
        QuakeSetFormatError: the file does not follow the QuakeSet schema.
        ShallowModelError: the split has no samples, or its tiles differ in shape.
        ValueError: unknown task or split.
    """
    kind = Task.parse(task)
    wanted = parse_split(split)
    owned = not isinstance(source, QuakeSetFile)
    qs = QuakeSetFile(source) if owned else source  # type: ignore[arg-type]
    try:
        refs = qs.samples(kind, wanted)
        where = f"{qs.path}, task {kind.value}, split {wanted or 'all'}"
        if not refs:
            raise ShallowModelError(f"{where}: no samples; pick a split that has events")
        shape = qs.image_shape(refs[0].event_id, refs[0].patch)
        for ref in refs:
            other = qs.image_shape(ref.event_id, ref.patch)
            if other != shape:
                raise ShallowModelError(
                    f"{where}: /{ref.event_id}/{ref.patch} has tiles of shape {other}, the first "
                    f"sample {shape}; flat features need one tile shape across the split"
                )
        # The multilook must divide both sides of the tile.
        config = config or shallow_config(math.gcd(shape[0], shape[1]))
        rows = [
            shallow_features(qs.read(ref), config)
            for ref in tqdm(refs, desc=f"features task {kind.value}", unit="sample", disable=not progress)
        ]
    finally:
        if owned:
            qs.close()
    return ShallowData(
        features=np.stack(rows),
        labels=np.asarray([ref.label for ref in refs], dtype=np.int64),
        magnitudes=np.asarray([ref.magnitude for ref in refs], dtype=np.float64),
        refs=tuple(refs),
        config=config,
    )


# ─── fit and predict ────────────────────────────────────────────────────────────────────
def fit_shallow(
    path: str | os.PathLike[str] | QuakeSetFile,
    name: str,
    task: Task | int | str,
    split: str | None = "train",
    seed: int = 0,
    progress: bool = False,
) -> tuple[Pipeline, dict[str, Any]]:
    """Fit a shallow model on one task and split of a QuakeSet file.

    Args:
        path: an ``earthquakes.h5`` path, or an open file.
        name: a model of :func:`shallow_models` for the task's kind.
        task: 1, 2, 5 or 6; 2 and 6 fit a regressor on the magnitudes.
        split: the training split (None: every split).
        seed: random state (PCA, forest).
        progress: show a progress bar while reading features.

    Returns:
        ``(pipeline, info)``; ``info`` is JSON-ready: model, task, split, seed, regression,
        n_samples, n_features, n_components (None without PCA), positives, preprocess (the
        feature constants, needed again at prediction), sklearn version, seconds.

    Raises:
        DatasetNotFoundError, QuakeSetFormatError: as :func:`load_shallow_data`.
        ShallowModelError: unknown name for the task, no samples, or a detector's training
            split that holds one class only.
        ValueError: unknown task or split.
    """
    started = time.perf_counter()
    kind = Task.parse(task)
    regression = kind.is_regression
    check_model_name(name, regression)  # before reading any pixels
    data = load_shallow_data(path, kind, split, progress=progress)
    n_samples, n_features = data.features.shape
    if not regression and np.unique(data.labels).size < 2:
        raise ShallowModelError(
            f"task {kind.value}, split {split or 'all'}: every training sample has label "
            f"{int(data.labels[0])}; a detector needs events and non-events"
        )
    pipeline = build_shallow(name, regression, n_samples, n_features, seed=seed)
    pipeline.fit(data.features, data.targets(regression))
    pca = pipeline.named_steps.get(STEP_PCA)
    info = {
        "model": name,
        "task": int(kind.value),
        "split": parse_split(split),
        "seed": int(seed),
        "regression": regression,
        "n_samples": int(n_samples),
        "n_features": int(n_features),
        "n_components": None if pca is None else int(pca.n_components_),
        "positives": int(data.labels.sum()),
        "preprocess": data.config.to_dict(),
        "sklearn": sklearn.__version__,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return pipeline, info


def predict_shallow(pipeline: Pipeline, features: ArrayLike) -> np.ndarray:
    """Predict with a fitted shallow model.

    Args:
        pipeline: from :func:`fit_shallow` or :func:`load_shallow`.
        features: ``(N, F)`` feature rows, or one ``(F,)`` row.

    Returns:
        ``(N,)``: int64 labels 0/1 for a detector, float64 magnitudes for a regressor.

    Raises:
        ShallowModelError: the pipeline is not fitted, or the features have the wrong
            width, rank, or non-finite values.
    """
    x = np.asarray(features, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[0] == 0:
        raise ShallowModelError(f"features: expected (N, F) rows with N >= 1, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ShallowModelError("features hold NaN or infinite values; shallow_features never does")
    expected = getattr(pipeline, "n_features_in_", None)
    if expected is None:
        raise ShallowModelError("the shallow model is not fitted; fit_shallow or load_shallow one")
    if x.shape[1] != expected:
        raise ShallowModelError(
            f"features have {x.shape[1]} columns; this model was fitted on {expected} "
            "(same tile size and preprocessing as in training?)"
        )
    try:
        out = pipeline.predict(x)
    except NotFittedError as err:
        raise ShallowModelError(f"the shallow model is not fitted ({err})") from err
    return out.astype(np.float64) if is_regressor(pipeline) else out.astype(np.int64)


# ─── save and load ──────────────────────────────────────────────────────────────────────
def save_shallow(pipeline: Pipeline, path: str | os.PathLike[str], info: dict[str, Any] | None = None) -> Path:
    """Write a fitted shallow model (and its ``info``) with joblib.

    Args:
        pipeline: a fitted pipeline.
        path: output file (parents created, overwritten).
        info: what :func:`fit_shallow` returned, or None.

    Returns:
        The path written.

    Raises:
        ShallowModelError: ``pipeline`` is not a Pipeline.
    """
    if not isinstance(pipeline, Pipeline):
        raise ShallowModelError(f"expected a scikit-learn Pipeline, got {type(pipeline).__name__}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    artifact = {
        "format": ARTIFACT_FORMAT,
        "version": ARTIFACT_VERSION,
        "sklearn": sklearn.__version__,
        "info": dict(info or {}),
        "pipeline": pipeline,
    }
    with atomic_output(target) as partial:
        joblib.dump(artifact, partial)
    return target


def load_shallow_with_info(path: str | os.PathLike[str]) -> tuple[Pipeline, dict[str, Any]]:
    """Read a model written by :func:`save_shallow`, with its ``info``.

    Args:
        path: the file. It is unpickled: load only files you trust.

    Returns:
        ``(pipeline, info)``.

    Raises:
        FileNotFoundError: no such file.
        ShallowModelError: the file is not a quakesat shallow model, or of another
            format version.
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"shallow model not found: {source}; train one with `quakesat train`")
    try:
        artifact = joblib.load(source)
    except Exception as err:  # unpickling garbage fails in many ways, all meaning "not ours"
        raise ShallowModelError(
            f"{source} is not a quakesat shallow model (unreadable: {type(err).__name__}: {err}); "
            "expected a file written by save_shallow"
        ) from err
    if not isinstance(artifact, dict) or artifact.get("format") != ARTIFACT_FORMAT:
        raise ShallowModelError(
            f"{source} is not a quakesat shallow model (found a {type(artifact).__name__} without "
            f"format tag {ARTIFACT_FORMAT!r}); expected a file written by save_shallow"
        )
    if artifact.get("version") != ARTIFACT_VERSION:
        raise ShallowModelError(
            f"{source}: shallow model format version {artifact.get('version')!r} is not supported "
            f"(this code reads version {ARTIFACT_VERSION}); retrain the model"
        )
    pipeline = artifact.get("pipeline")
    if not isinstance(pipeline, Pipeline):
        raise ShallowModelError(
            f"{source}: holds a {type(pipeline).__name__} where a scikit-learn Pipeline was expected"
        )
    info = artifact.get("info")
    return pipeline, dict(info) if isinstance(info, dict) else {}


def load_shallow(path: str | os.PathLike[str]) -> Pipeline:
    """Read a model written by :func:`save_shallow`.

    Args:
        path: the file. It is unpickled: load only files you trust.

    Returns:
        The fitted pipeline.

    Raises:
        FileNotFoundError: no such file.
        ShallowModelError: the file is not a quakesat shallow model, or of another
            format version.
    """
    return load_shallow_with_info(path)[0]


def train_shallow_folder(
    data: str | os.PathLike[str], out: str | os.PathLike[str], name: str, task: Task | int | str,
    seed: int = 0, progress: bool = False,
) -> dict[str, Any]:
    """``quakesat train`` for a shallow model: fit on ``train``, write ``model.joblib`` and
    ``config.json`` (family ``shallow``) into ``out``; return the config."""
    from quakesat import __version__

    pipeline, info = fit_shallow(data, name, task, split="train", seed=seed, progress=progress)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_shallow(pipeline, out / "model.joblib", info)
    config = {
        "quakesat_version": __version__,
        "family": "shallow",
        "model": name,
        "paper_task": int(Task.parse(task)),
        "preprocess": info["preprocess"],
        "info": info,
        "data": {"file": str(data), "train_samples": info["n_samples"]},
    }
    write_model_config(out, config)
    return config


def single_threaded(pipeline: Pipeline) -> Pipeline:
    """Set every step that has ``n_jobs`` to one job (in place) and return the pipeline.

    Timing one tile at a time with a process pool is mostly pool overhead; on board there is
    one tile and one core for it.
    """
    for _, step in pipeline.steps:
        if "n_jobs" in step.get_params():
            step.set_params(n_jobs=1)
    return pipeline
