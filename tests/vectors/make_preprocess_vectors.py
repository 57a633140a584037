"""Write ``tests/vectors/preprocess/``: preprocessing version 2 inputs and the outputs Python gives.

    python tests/vectors/make_preprocess_vectors.py

``cases.jsonl`` has one line per case: ``name``, ``image`` (an ``H x W x 2`` float32 ``.npy``),
``config`` (:meth:`PreprocessConfig.to_dict`), ``output`` (the ``2 x H/k x W/k`` float32
``.npy`` that :func:`quakesat.runtime.preprocess.preprocess_image` writes) and ``status``
(the input check's verdict on the image, :func:`quakesat.runtime.tile.check_image`).
pytest (``tests/runtime/test_preprocess_vectors.py``) checks that the committed files are
what this script writes; ctest (``cpp_runner/tests/test_core.cpp``) checks that the C++
preprocessing gives the same bits and its scan the same verdict. The images are speckle with
the hard cases folded in: no-data pixels and whole no-data blocks, values at and below the
floor, zeros and negative zeros, clipped highs, sums that overflow float32, subnormals,
every mantissa edge, and dB inputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from quakesat.runtime.preprocess import PreprocessConfig, preprocess_image
from quakesat.runtime.tile import check_image

HERE = Path(__file__).resolve().parent
OUT = HERE / "preprocess"
SIDE = 32


def _speckle(seed: int, side: int = SIDE) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mean = np.array([10 ** -1.2, 10 ** -1.9], np.float32)  # -12 dB VV, -19 dB VH
    return (rng.exponential(1.0, (side, side, 2)) * mean).astype(np.float32)


def _images() -> list[tuple[str, np.ndarray, dict]]:
    cases: list[tuple[str, np.ndarray, dict]] = []
    base = _speckle(1)
    for k in (1, 2, 4):
        cases.append((f"speckle_k{k}", base, {"downsample": k}))
    nodata = _speckle(2)
    nodata[3, 5] = np.nan
    nodata[8:10, 8:10] = np.nan  # a whole 2 x 2 block
    nodata[16:20, 0:4, 1] = np.nan  # a whole 4 x 4 block of one band
    for k in (1, 2, 4):
        cases.append((f"nodata_k{k}", nodata, {"downsample": k}))
    edges = _speckle(3)
    edges[0, :8, 0] = [0.0, -0.0, 1e-4, np.float32(1e-4) * np.float32(0.999), 1e-45, 1e-40, 1.0, 2.0]
    edges[1, :8, 0] = np.nextafter(np.float32([1.0, 2.0, 0.5, 4.0, 1e-4, 10.0, 0.125, 8.0]), np.float32(0))
    edges[2, :4, 1] = [3e38, 3e38, 3e38, 3e38]  # the block sum overflows to +inf
    edges[4, :6, 1] = [50.0, 9999.0, 10.0, np.float32(10.0) * np.float32(1.0000001), 3.1622776e-4, 3.16e-4]
    rng = np.random.default_rng(4)
    edges[20:, :, :] = (rng.integers(1, 2**23, (SIDE - 20, SIDE, 2)).astype(np.int32)
                        | np.int32(120 << 23)).view(np.float32)  # every part of the mantissa, near 2**-7
    for k in (1, 2):
        cases.append((f"edges_k{k}", edges, {"downsample": k}))
    cases.append(("custom_constants_k2", _speckle(5), {"downsample": 2, "mean_db": [-10.5, -17.25],
                                                       "std_db": [4.5, 3.0], "clip_db": [-30.0, 5.0],
                                                       "floor_linear": 1e-3}))
    # log10 in float64, rounded to 1e-4 dB before float32: NumPy's log10 differs in the last bit
    # between releases and CPUs (SIMD paths), which would make the committed input unreproducible.
    db = np.round(10.0 * np.log10(_speckle(6).astype(np.float64)), 4).astype(np.float32)
    db[0, 0] = np.nan
    db[1, 1, 1] = -60.0
    cases.append(("db_input_k1", db, {"units": "db", "downsample": 1}))
    return cases


def build() -> list[dict]:
    """Write the arrays and return the lines of ``cases.jsonl``."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.npy"):
        old.unlink()
    lines = []
    for name, image, overrides in _images():
        config = PreprocessConfig.from_dict({**PreprocessConfig(version=2).to_dict(), **overrides})
        output = preprocess_image(image, config)
        np.save(OUT / f"{name}.image.npy", image, allow_pickle=False)
        np.save(OUT / f"{name}.output.npy", output, allow_pickle=False)
        lines.append({"name": name, "image": f"{name}.image.npy", "output": f"{name}.output.npy",
                      "config": config.to_dict(), "status": check_image(image, SIDE, config).status.code_name})
    return lines


def render(lines: list[dict]) -> str:
    return "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)


def main() -> None:
    lines = build()
    (OUT / "cases.jsonl").write_text(render(lines), encoding="utf-8")
    print(f"wrote {OUT} ({len(lines)} cases)")


if __name__ == "__main__":
    main()
