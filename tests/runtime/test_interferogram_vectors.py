"""Preprocessing version 3's golden vectors (tests/vectors/interferogram): the committed files
are what the generator writes, so the bits ctest compares the C++ twin against are Python's."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from quakesat.runtime.interferogram import INTERFEROMETRIC_VERSION, InterferogramConfig, interferogram_features

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
FOLDER = VECTORS / "interferogram"


def _cases() -> list[dict]:
    return [json.loads(line) for line in (FOLDER / "cases.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_case_is_what_python_computes_today() -> None:
    cases = _cases()
    assert len(cases) >= 8
    for case in cases:
        pre, post = np.load(FOLDER / case["pre"]), np.load(FOLDER / case["post"])
        assert pre.dtype == post.dtype == np.complex64, case["name"]
        config = InterferogramConfig.from_dict(case["config"])
        assert case["config"]["version"] == INTERFEROMETRIC_VERSION
        output = interferogram_features(pre, post, config)
        assert np.array_equal(output.view(np.uint32), np.load(FOLDER / case["output"]).view(np.uint32)), case["name"]


def test_the_generator_writes_the_committed_inputs() -> None:
    spec = importlib.util.spec_from_file_location("make_interferogram_vectors",
                                                  VECTORS / "make_interferogram_vectors.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    made = module._cases()
    assert [name for name, *_ in made] == [case["name"] for case in _cases()]
    for (name, pre, post, looks), case in zip(made, _cases()):
        assert case["config"]["looks"] == looks
        for array, key in ((pre, "pre"), (post, "post")):
            assert np.array_equal(array.view(np.uint64), np.load(FOLDER / case[key]).view(np.uint64)), name


def test_the_cases_cover_what_they_claim() -> None:
    cases = {case["name"]: case for case in _cases()}
    assert {case["config"]["looks"] for case in cases.values()} == {1, 2, 4, 8}
    pre = np.load(FOLDER / cases["nodata_l4"]["pre"])
    assert np.isnan(pre.real).any() and not np.isfinite(np.load(FOLDER / cases["nodata_l4"]["post"])).all()
    out = np.load(FOLDER / cases["nodata_l4"]["output"])
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[:, 2, 4], 0.0)  # the whole no-data block
    np.testing.assert_array_equal(out[:, 6, 6], 0.0)  # neither image holds power
    assert out[2, 5, 0] == 0.0  # post holds no power: no coherence
    edges = np.load(FOLDER / cases["edges_l4"]["output"])
    assert edges[2, 0, 0] == 1.0 and edges[0, 0, 0] == 0.0 and edges[1, 0, 0] == 1.0  # a pure +90 degree phase
    assert np.all(np.abs(np.load(FOLDER / cases["ramp_l1"]["output"])) <= 1.0)
