"""Shallow baselines: pipeline layout, the PCA cap at its limits, fitting every model per task, learning, save/load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC, SVR  # noqa: E402

from quakesat.data.quakeset import QuakeSetFile, Task  # noqa: E402
from quakesat.evaluation.metrics import (  # noqa: E402
    accuracy,
    magnitude_detection_accuracy,
    mean_absolute_error,
)
from quakesat.models.shallow import (  # noqa: E402
    ARTIFACT_FORMAT,
    DETECTION_MODELS,
    MAGNITUDE_MODELS,
    N_ESTIMATORS,
    N_PCA_MAX,
    PAPER_MODELS,
    SHALLOW_MODELS,
    ShallowModelError,
    build_shallow,
    fit_shallow,
    load_shallow,
    load_shallow_data,
    load_shallow_with_info,
    pca_components,
    predict_shallow,
    save_shallow,
    shallow_models,
)
from quakesat.simulator.simulate import SimulationConfig, simulate_file  # noqa: E402

KINDS = [(name, False) for name in DETECTION_MODELS] + [(name, True) for name in MAGNITUDE_MODELS]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny simulated file: 8 events, 64 x 64 tiles (features: 2 x 2 cells per image)."""
    path = tmp_path_factory.mktemp("shallow") / "earthquakes.h5"
    simulate_file(path, SimulationConfig(events=8, seed=1, size=64), progress=False)
    return path


def _separable(n: int, seed: int, n_features: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian features; class 1 has +3 on the first 5."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    features = rng.normal(size=(n, n_features)).astype(np.float32)
    features[:, :5] += 3.0 * labels[:, None]
    return features, labels


# ─── names and layout ───────────────────────────────────────────────────────────────────
def test_names() -> None:
    assert set(SHALLOW_MODELS) == set(DETECTION_MODELS) | set(MAGNITUDE_MODELS)
    assert shallow_models(False) == DETECTION_MODELS and shallow_models(True) == MAGNITUDE_MODELS
    assert {"svc-rbf", "svc-cubic", "svr-rbf", "svr-cubic", "random-forest"} == PAPER_MODELS
    assert "random-forest-nopca" in DETECTION_MODELS and "random-forest-nopca" in MAGNITUDE_MODELS


@pytest.mark.parametrize(("name", "regression"), KINDS)
def test_each_name_builds_the_expected_pipeline(name: str, regression: bool) -> None:
    pipeline = build_shallow(name, regression, n_samples=50, n_features=30, seed=7)
    assert isinstance(pipeline, Pipeline)
    steps = dict(pipeline.steps)
    model = steps["model"]
    if name in PAPER_MODELS:
        assert list(steps) == ["scale", "pca", "model"]
        assert isinstance(steps["scale"], StandardScaler)
        pca = steps["pca"]
        assert isinstance(pca, PCA)
        assert pca.n_components == 30 and pca.whiten is False and pca.random_state == 7
    else:
        assert list(steps) == ["model"]
    if name.startswith("random-forest"):
        assert isinstance(model, RandomForestRegressor if regression else RandomForestClassifier)
        assert model.n_estimators == N_ESTIMATORS == 300 and model.random_state == 7
    else:
        assert isinstance(model, SVR if regression else SVC)
        if name.endswith("rbf"):
            assert model.kernel == "rbf"
        else:
            assert (model.kernel, model.degree) == ("poly", 3)
        if not regression:
            assert model.probability is not True  # scores come from decision_function


@pytest.mark.parametrize(
    ("name", "regression", "match"),
    [
        ("svm", False, "unknown shallow model 'svm'"),
        ("svr-rbf", False, "other kind of task"),
        ("svc-cubic", True, "other kind of task"),
    ],
)
def test_unknown_or_mismatched_name_is_refused(name: str, regression: bool, match: str) -> None:
    with pytest.raises(ShallowModelError, match=match):
        build_shallow(name, regression, 10, 10)


# ─── PCA size ───────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("n_samples", "n_features", "expected"),
    [
        (10, 100, 9),  # capped by samples - 1
        (100, 9, 9),  # capped by features
        (10, 9, 9),  # limit: samples - 1 == features
        (11, 9, 9),
        (2, 50, 1),  # limit: the fewest samples a PCA can take
        (N_PCA_MAX + 1, 5000, N_PCA_MAX),  # limit: samples - 1 == the paper's cap
        (N_PCA_MAX + 2, 5000, N_PCA_MAX),  # limit + 1
        (N_PCA_MAX, 5000, N_PCA_MAX - 1),  # limit - 1
        (5000, N_PCA_MAX, N_PCA_MAX),  # limit: features == the cap
        (5000, N_PCA_MAX + 1, N_PCA_MAX),  # limit + 1
        (5000, N_PCA_MAX - 1, N_PCA_MAX - 1),
    ],
)
def test_pca_components_cap(n_samples: int, n_features: int, expected: int) -> None:
    assert pca_components(n_samples, n_features) == expected
    pipeline = build_shallow("svc-rbf", False, n_samples, n_features)
    assert pipeline.named_steps["pca"].n_components == expected


@pytest.mark.parametrize(("n_samples", "n_features"), [(1, 10), (0, 10), (10, 0)])
def test_pca_needs_two_samples_and_a_feature(n_samples: int, n_features: int) -> None:
    with pytest.raises(ShallowModelError, match="at least"):
        pca_components(n_samples, n_features)


def test_pca_at_samples_minus_one_fits() -> None:
    features, labels = _separable(12, seed=3)  # 12 samples, 30 features → 11 components
    pipeline = build_shallow("svc-rbf", False, *features.shape).fit(features, labels)
    assert pipeline.named_steps["pca"].n_components_ == 11


# ─── fitting on a QuakeSet file ─────────────────────────────────────────────────────────
@pytest.mark.parametrize("task", [1, 2, 5, 6])
def test_every_model_fits_and_predicts_per_task(simulated: Path, task: int) -> None:
    kind = Task(task)
    test = load_shallow_data(simulated, kind, "test")
    with QuakeSetFile(simulated) as qs:
        n_train = len(qs.samples(kind, "train"))
    n_features = (3 if kind.is_bitemporal else 1) * 2 * 2 * 2  # images x channels x 2 x 2 cells
    assert test.features.shape == (len(test.refs), n_features) and test.features.dtype == np.float32
    for name in shallow_models(kind.is_regression):
        pipeline, info = fit_shallow(simulated, name, kind, seed=0)
        assert (info["model"], info["task"], info["split"]) == (name, task, "train")
        assert (info["n_samples"], info["n_features"]) == (n_train, n_features)
        assert info["n_components"] == (min(n_train - 1, n_features) if name in PAPER_MODELS else None)
        assert info["preprocess"]["downsample"] == 32 and info["seconds"] >= 0
        out = predict_shallow(pipeline, test.features)
        assert out.shape == (len(test.refs),)
        if kind.is_regression:
            assert out.dtype == np.float64 and np.isfinite(out).all()
        else:
            assert out.dtype == np.int64 and set(out.tolist()) <= {0, 1}


def test_fit_on_the_published_schema_fixture(quakeset_file: Any) -> None:  # conftest.QuakeSetFixture
    # 16 x 16 tiles with NaN borders, patches without 'before', grid datasets: every split.
    pipeline, info = fit_shallow(quakeset_file.path, "svc-rbf", Task.SINGLE_DETECTION, split=None)
    assert info["n_samples"] == 14 and info["split"] is None  # 7 patches x (post, pre)
    data = load_shallow_data(quakeset_file.path, 5, None)
    assert predict_shallow(pipeline, data.features).shape == (14,)


def test_wrong_name_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(ShallowModelError, match="other kind of task"):
        fit_shallow(tmp_path / "absent.h5", "svc-rbf", Task.BITEMPORAL_MAGNITUDE)


def test_unknown_split_is_refused(simulated: Path) -> None:
    with pytest.raises(ValueError, match="unknown split"):
        fit_shallow(simulated, "svc-rbf", 1, split="holdout")


# ─── learning ───────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("name", DETECTION_MODELS)
def test_classifier_learns_a_separable_problem(name: str) -> None:
    x_train, y_train = _separable(40, seed=0)
    x_test, y_test = _separable(40, seed=1)
    pipeline = build_shallow(name, False, *x_train.shape).fit(x_train, y_train)
    assert accuracy(y_test, predict_shallow(pipeline, x_test)) >= 0.9


@pytest.mark.parametrize("name", MAGNITUDE_MODELS)
def test_regressor_learns_magnitude_versus_zero(name: str) -> None:
    # Targets 5.5 (event) or 0. An SVR with scikit-learn's defaults shrinks towards the
    # mean, so on a harder version of this problem (30 features) it separates the classes
    # but predicts about 2 for non-events, and the >= 1 rule calls them events; here, with
    # 10 features, each model must halve the MAE of the best constant and pass the rule.
    x_train, y_train = _separable(60, seed=0, n_features=10)
    x_test, y_test = _separable(60, seed=1, n_features=10)
    pipeline = build_shallow(name, True, *x_train.shape).fit(x_train, 5.5 * y_train)
    predicted = predict_shallow(pipeline, x_test)
    constant_mae = mean_absolute_error(5.5 * y_test, np.full(len(y_test), 5.5 * y_train.mean()))
    assert mean_absolute_error(5.5 * y_test, predicted) <= constant_mae / 2
    assert magnitude_detection_accuracy(y_test, predicted) >= 0.75


def test_same_seed_same_forest() -> None:
    x, y = _separable(30, seed=2)
    first = build_shallow("random-forest", True, *x.shape, seed=5).fit(x, 5.5 * y)
    second = build_shallow("random-forest", True, *x.shape, seed=5).fit(x, 5.5 * y)
    np.testing.assert_array_equal(predict_shallow(first, x), predict_shallow(second, x))


# ─── predict checks ─────────────────────────────────────────────────────────────────────
def test_predict_checks_its_input() -> None:
    x, y = _separable(20, seed=4)
    pipeline = build_shallow("svc-cubic", False, *x.shape).fit(x, y)
    assert predict_shallow(pipeline, x[0]).shape == (1,)  # one row
    with pytest.raises(ShallowModelError, match="29 columns; this model was fitted on 30"):
        predict_shallow(pipeline, x[:, :29])
    bad = x.copy()
    bad[3, 3] = np.nan
    with pytest.raises(ShallowModelError, match="NaN"):
        predict_shallow(pipeline, bad)
    with pytest.raises(ShallowModelError, match="not fitted"):
        predict_shallow(build_shallow("svc-rbf", False, *x.shape), x)


# ─── save and load ──────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("name", "regression"), [("svc-rbf", False), ("random-forest-nopca", True)])
def test_save_load_round_trip(tmp_path: Path, name: str, regression: bool) -> None:
    x, y = _separable(30, seed=6)
    target = 5.5 * y if regression else y
    pipeline = build_shallow(name, regression, *x.shape).fit(x, target)
    path = save_shallow(pipeline, tmp_path / "deep" / "model.joblib", info={"model": name, "task": 5})
    loaded, info = load_shallow_with_info(path)
    assert info == {"model": name, "task": 5}
    np.testing.assert_array_equal(predict_shallow(loaded, x), predict_shallow(pipeline, x))
    np.testing.assert_array_equal(predict_shallow(load_shallow(path), x), predict_shallow(pipeline, x))


def test_load_refuses_garbage(tmp_path: Path) -> None:
    import joblib

    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"not a pickle at all\x00\x01")
    with pytest.raises(ShallowModelError, match="not a quakesat shallow model"):
        load_shallow(garbage)

    bare = tmp_path / "bare.joblib"  # a pipeline without our envelope
    joblib.dump(build_shallow("svc-rbf", False, 10, 10), bare)
    with pytest.raises(ShallowModelError, match="without format tag"):
        load_shallow(bare)

    future = tmp_path / "future.joblib"
    joblib.dump({"format": ARTIFACT_FORMAT, "version": 99, "pipeline": None}, future)
    with pytest.raises(ShallowModelError, match="version 99 is not supported"):
        load_shallow(future)

    hollow = tmp_path / "hollow.joblib"
    joblib.dump({"format": ARTIFACT_FORMAT, "version": 1, "pipeline": [1, 2]}, hollow)
    with pytest.raises(ShallowModelError, match="holds a list"):
        load_shallow(hollow)

    with pytest.raises(FileNotFoundError, match="not found"):
        load_shallow(tmp_path / "absent.joblib")
    with pytest.raises(ShallowModelError, match="expected a scikit-learn Pipeline"):
        save_shallow(SVC(), tmp_path / "svc.joblib")  # type: ignore[arg-type]
