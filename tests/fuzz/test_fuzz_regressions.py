"""Replay the fuzzers' seeds and every past crash through the harnesses, without atheris.

Each harness ``tests/fuzz/fuzz_NAME.py`` checks a parser's contract in ``TestOneInput``;
here every file of ``tests/fuzz/corpus/NAME/`` (the seeds, see ``make_corpus.py``) and of
``tests/fuzz/regressions/NAME/`` (inputs that once crashed, kept once fixed) goes through it,
so the default test run holds the parsers to their contract on all of them. The harnesses
are loaded from their files: they are scripts, not a package, and import atheris only when
run as one.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
HARNESSES = ("decode", "npy", "tile_list", "manifest")


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _harness(name: str) -> ModuleType:
    module = sys.modules.get(f"quakesat_fuzz_{name}")
    return module if module is not None else _load(HERE / f"fuzz_{name}.py", f"quakesat_fuzz_{name}")


def _inputs() -> list[tuple[str, Path]]:
    found = []
    for name in HARNESSES:
        for kind in ("corpus", "regressions"):
            folder = HERE / kind / name
            if folder.is_dir():
                found += [(name, path) for path in sorted(folder.iterdir()) if path.is_file()]
    return found


INPUTS = _inputs()


@pytest.mark.parametrize(("name", "path"), INPUTS, ids=[f"{path.parent.parent.name}/{name}/{path.name}"
                                                       for name, path in INPUTS])
def test_replay(name: str, path: Path) -> None:
    """One seed or past crash meets its harness's contract (an exception is a failure)."""
    _harness(name).TestOneInput(path.read_bytes())


@pytest.mark.parametrize("name", HARNESSES)
def test_every_harness_has_seeds(name: str) -> None:
    assert any(harness == name for harness, _ in INPUTS), f"no seeds in tests/fuzz/corpus/{name}"


def test_corpus_is_what_the_vectors_make() -> None:
    """The committed seeds are what ``make_corpus.py`` writes from today's vectors."""
    make = _load(HERE / "make_corpus.py", "quakesat_fuzz_make_corpus")
    for name, seeds in ((name, make_seeds()) for name, make_seeds in make.HARNESSES.items()):
        folder = HERE / "corpus" / name
        on_disk = {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}
        assert on_disk.keys() == seeds.keys(), f"{folder}: stale, run python tests/fuzz/make_corpus.py"
        stale = sorted(file for file in seeds if on_disk[file] != seeds[file])
        assert not stale, f"{folder}: {stale[:5]} differ, run python tests/fuzz/make_corpus.py"
        assert all(len(content) <= make.MAX_SEED for content in seeds.values())


def test_decode_refuses_what_is_not_bytes() -> None:
    harness = _harness("decode")
    for junk in (None, "text", 32):
        with pytest.raises(harness.DecodeError) as caught:
            harness.decode(junk)
        assert caught.value.reason == "not_bytes"
