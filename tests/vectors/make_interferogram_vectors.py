"""Write ``tests/vectors/interferogram/``: preprocessing version 3 inputs and the outputs Python gives.

    python tests/vectors/make_interferogram_vectors.py

``cases.jsonl`` has one line per case: ``name``, ``pre`` and ``post`` (``H x W`` complex64
``.npy``), ``config`` (:meth:`InterferogramConfig.to_dict`) and ``output`` (the float32
``3 x H/looks x W/looks`` ``.npy`` that
:func:`quakesat.runtime.interferogram.interferogram_features` writes). pytest
(``tests/runtime/test_interferogram_vectors.py``) checks that the committed files are what this
script writes; ctest checks that the C++ twin gives the same bits. The pairs are correlated
speckle with a phase ramp, with the hard cases folded in: no-data pixels (NaN and Inf in either
part of either image) and whole no-data blocks, an all-zero block, a block where one image is
zero, a pure phase (coherence exactly 1), values near float32's largest and smallest,
subnormals, negative zeros, and independent images (low coherence).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from quakesat.runtime.interferogram import InterferogramConfig, interferogram_features

HERE = Path(__file__).resolve().parent
OUT = HERE / "interferogram"
SIDE = 32


def _speckle(rng: np.random.Generator, side: int) -> np.ndarray:
    return ((rng.normal(size=(side, side)) + 1j * rng.normal(size=(side, side))) * np.sqrt(0.5)).astype(np.complex64)


def _pair(seed: int, coherence: float = 0.7, side: int = SIDE) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pre = _speckle(rng, side)
    fresh = _speckle(rng, side)
    rows, cols = np.mgrid[0:side, 0:side]
    ramp = np.exp(1j * (0.4 * cols + 0.15 * rows))
    post = (coherence * pre + np.sqrt(1 - coherence ** 2) * fresh) * ramp
    return pre, post.astype(np.complex64)


def _cases() -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    cases: list[tuple[str, np.ndarray, np.ndarray, int]] = []
    pre, post = _pair(1)
    for looks in (1, 2, 4, 8):
        cases.append((f"ramp_l{looks}", pre, post, looks))
    pre, post = _pair(2)
    pre[3, 5] = complex(np.nan, 0.0)
    post[6, 1] = complex(0.0, np.inf)
    pre[9, 9] = complex(-np.inf, np.nan)
    pre[8:12, 16:20] = complex(np.nan, np.nan)  # a whole 4 x 4 block of no data
    post[20:24, 0:4] = 0  # post holds no power in this block
    pre[24:28, 24:28] = 0  # neither image holds power here
    post[24:28, 24:28] = 0
    pre[0, 31] = complex(-0.0, -0.0)
    for looks in (1, 4):
        cases.append((f"nodata_l{looks}", pre, post, looks))
    pre, post = _pair(3)
    pre[0:4, 0:4] = complex(3.0, -4.0)  # a pure phase: coherence exactly 1 and |I| = 16 * 25
    post[0:4, 0:4] = complex(3.0, -4.0) * np.complex64(1j)
    pre[4:8, 0:4] = complex(3e38, -3e38)  # near float32's largest
    post[4:8, 0:4] = complex(-3e38, 2e38)
    pre[8:12, 0:4] = complex(1e-45, 1e-40)  # subnormals
    post[8:12, 0:4] = complex(1e-40, -1e-45)
    pre[12:16, 0:4] = complex(1e-30, 0.0)
    post[12:16, 0:4] = complex(0.0, 1e30)
    cases.append(("edges_l4", pre, post, 4))
    rng = np.random.default_rng(4)
    cases.append(("independent_l8", _speckle(rng, SIDE), _speckle(rng, SIDE), 8))
    wide_pre, wide_post = _pair(5, coherence=0.9, side=64)
    cases.append(("tile64_l8", wide_pre, wide_post, 8))
    return cases


def build() -> list[dict]:
    """Write the arrays and return the lines of ``cases.jsonl``."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.npy"):
        old.unlink()
    lines = []
    for name, pre, post, looks in _cases():
        config = InterferogramConfig(looks=looks)
        output = interferogram_features(pre, post, config)
        np.save(OUT / f"{name}.pre.npy", pre, allow_pickle=False)
        np.save(OUT / f"{name}.post.npy", post, allow_pickle=False)
        np.save(OUT / f"{name}.output.npy", output, allow_pickle=False)
        lines.append({"name": name, "pre": f"{name}.pre.npy", "post": f"{name}.post.npy",
                      "config": config.to_dict(), "output": f"{name}.output.npy"})
    return lines


def main() -> None:
    lines = build()
    (OUT / "cases.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    print(f"wrote {len(lines)} cases to {OUT}")


if __name__ == "__main__":
    main()
