"""Preprocessing version 2's golden vectors (tests/vectors/preprocess): the committed files are
what the generator writes, so the bits ctest compares the C++ twin against are Python's."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from quakesat.runtime.preprocess import PreprocessConfig, preprocess_image
from quakesat.runtime.tile import check_image

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
FOLDER = VECTORS / "preprocess"


def _cases() -> list[dict]:
    return [json.loads(line) for line in (FOLDER / "cases.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_case_is_what_python_computes_today() -> None:
    cases = _cases()
    assert len(cases) >= 10
    for case in cases:
        image = np.load(FOLDER / case["image"])
        config = PreprocessConfig.from_dict(case["config"])
        assert config.version == 2
        assert np.array_equal(preprocess_image(image, config).view(np.uint32),
                              np.load(FOLDER / case["output"]).view(np.uint32)), case["name"]
        assert check_image(image, image.shape[0], config).status.code_name == case["status"], case["name"]


def test_the_generator_writes_the_committed_lines() -> None:
    spec = importlib.util.spec_from_file_location("make_preprocess_vectors", VECTORS / "make_preprocess_vectors.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    images = module._images()
    names = [name for name, _, _ in images]
    assert names == [case["name"] for case in _cases()]
    for (name, image, _), case in zip(images, _cases()):
        assert np.array_equal(image.view(np.uint32), np.load(FOLDER / case["image"]).view(np.uint32)), name


def test_the_cases_cover_what_they_claim() -> None:
    cases = {case["name"]: case for case in _cases()}
    assert {case["config"]["downsample"] for case in cases.values()} == {1, 2, 4}
    assert any(case["config"]["units"] == "db" for case in cases.values())
    nodata = np.load(FOLDER / cases["nodata_k2"]["image"])
    assert np.isnan(nodata).any()
    out = np.load(FOLDER / cases["nodata_k2"]["output"])
    assert (out == 0).any() and np.isfinite(out).all()  # a whole no-data block -> exactly 0
