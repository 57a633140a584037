"""Write ``tests/vectors/hostile_complex/``: same-track pairs and the verdicts of their checks.

    python tests/vectors/make_hostile_complex.py

``checks.jsonl`` has one line per case: ``name``, ``pre`` and ``post`` (``.npy`` files, most
``side x side`` complex64, the only type a same-track tile file may hold; a few of another
type or shape, to be refused), ``side``, ``looks``
and ``status``: the verdict of :func:`quakesat.runtime.same_track.check_same_track_pair` and,
for a pair that passes it, of :func:`~quakesat.runtime.same_track.check_coherence` on the
formed interferogram. pytest (``tests/runtime/test_same_track.py``) checks the committed
verdicts are what Python gives today; ctest checks the C++ twin gives the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from quakesat.runtime.interferogram import InterferogramConfig, interferogram_features
from quakesat.runtime.same_track import check_coherence, check_same_track_pair

HERE = Path(__file__).resolve().parent
OUT = HERE / "hostile_complex"
SIDE = 32
LOOKS = 4


def _speckle(rng: np.random.Generator, side: int = SIDE) -> np.ndarray:
    return ((rng.normal(size=(side, side)) + 1j * rng.normal(size=(side, side))) * np.sqrt(0.05)).astype(np.complex64)


def verdict(pre: np.ndarray, post: np.ndarray, side: int, looks: int) -> str:
    """The status a runtime gives the pair (the checks, then the coherence of the formed pair)."""
    check = check_same_track_pair(pre, post, side)
    if not check.processable:
        return check.status.code_name
    features = interferogram_features(pre, post, InterferogramConfig(looks=looks))
    coherence = check_coherence(features[2], looks)
    return (coherence if not coherence.processable else check).status.code_name


def cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, pre, post) of every case, in order."""
    rng = np.random.default_rng(27)
    pre = _speckle(rng)
    post = (0.8 * pre + 0.6 * _speckle(rng)).astype(np.complex64)
    out: list[tuple[str, np.ndarray, np.ndarray]] = [("coherent", pre, post)]
    out.append(("independent", _speckle(rng), _speckle(rng)))  # not co-registered: no coherence anywhere

    def edit(name: str, which: str, change) -> None:
        a, b = pre.copy(), post.copy()
        change(a if which == "pre" else b)
        out.append((name, a, b))

    def nan_rows(rows: int, part: str = "real"):
        def change(image: np.ndarray) -> None:
            view = image.view(np.float32).reshape(SIDE, SIDE, 2)
            view[:rows, :, 0 if part == "real" else 1] = np.nan
        return change

    edit("pre_partial_nodata", "pre", nan_rows(3))
    edit("post_partial_nodata_imag_nan", "post", nan_rows(3, "imag"))
    edit("pre_half_nodata", "pre", nan_rows(16))  # exactly half: still processed
    edit("pre_mostly_nodata", "pre", nan_rows(17))
    a, b = pre.copy(), post.copy()
    a[:10] = np.nan
    b[10:20] = np.nan  # each under half, together 20 of 32 rows lost
    out.append(("union_mostly_nodata", a, b))
    edit("post_all_nodata", "post", lambda image: image.fill(complex(np.nan, np.nan)))
    edit("pre_inf_real", "pre", lambda image: image.__setitem__((5, 7), complex(np.inf, 0.0)))
    edit("post_inf_imag_beside_nan", "post",
         lambda image: image.view(np.float32).reshape(SIDE, SIDE, 2).__setitem__((4, 4), (np.nan, -np.inf)))
    edit("pre_all_zero", "pre", lambda image: image.fill(0))
    edit("post_all_zero_but_negative_zeros", "post",
         lambda image: image.view(np.float32).reshape(SIDE, SIDE, 2).fill(-0.0))
    edit("pre_constant", "pre", lambda image: image.fill(complex(0.1, -0.2)))

    def fill_share(count: int, value: complex):
        def change(image: np.ndarray) -> None:
            image.reshape(-1)[:count] = value
        return change

    edit("post_fill_513_of_1024", "post", fill_share(513, complex(0.3, 0.3)))  # more than half: a fill
    edit("post_fill_512_of_1024", "post", fill_share(512, complex(0.3, 0.3)))  # exactly half: not
    edit("pre_fill_zero_and_negative_zero", "pre",
         lambda image: (image.reshape(-1).__setitem__(slice(0, 300), complex(0.0, 0.0)),
                        image.view(np.float32).reshape(-1, 2).__setitem__(slice(300, 600), (-0.0, 0.0))))
    edit("pre_out_of_range", "pre", lambda image: image.__setitem__((0, 0), complex(100.0, 1.0)))
    edit("pre_at_the_range", "pre", lambda image: image.__setitem__((0, 0), complex(100.0, 0.0)))
    edit("post_huge_parts", "post", lambda image: image.__setitem__((9, 9), complex(3e38, 3e38)))
    out.append(("pre_float32", pre.real.copy(), post))
    out.append(("post_wrong_side", pre, _speckle(rng, 16)))
    out.append(("pre_three_dimensional", pre.reshape(SIDE, SIDE, 1), post))
    return out


def build() -> list[dict]:
    """Write the arrays and return the lines of ``checks.jsonl``."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.npy"):
        old.unlink()
    lines = []
    for name, pre, post in cases():
        np.save(OUT / f"{name}.pre.npy", pre, allow_pickle=False)
        np.save(OUT / f"{name}.post.npy", post, allow_pickle=False)
        lines.append({"name": name, "pre": f"{name}.pre.npy", "post": f"{name}.post.npy", "side": SIDE,
                      "looks": LOOKS, "status": verdict(pre, post, SIDE, LOOKS)})
    return lines


def main() -> None:
    lines = build()
    (OUT / "checks.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    print(f"wrote {len(lines)} cases to {OUT}")


if __name__ == "__main__":
    main()
