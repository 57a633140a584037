"""The dependency direction of docs/architecture.md, read from the code's own imports.

Every ``import quakesat.X`` / ``from quakesat.X import`` in a stage folder (at module level or
inside a function) must point down the layers; the per-tile pipeline exists once; no code
outside the manifest module reads manifest JSON.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Stage folder → the packages (``quakesat.<name>``) it may import, besides itself and the
#: shared root modules (quakesat.errors, quakesat.files, the version).
ALLOWED = {
    "runtime": set(),
    "data": {"runtime"},
    "simulator": {"data", "runtime"},
    "models": {"data", "runtime", "evaluation.metrics"},
    "ground": {"runtime", "data", "evaluation"},
    "evaluation": {"models", "data", "runtime", "ground"},
    "export": {"models", "data", "runtime", "evaluation.timing", "evaluation.calibration",
               "evaluation.operating_point"},  # leaf modules: numpy, scipy and the metrics only
    # bench imports mission only in its suites (timing the mission); mission uses bench.energy, a leaf.
    "bench": {"runtime", "export", "models", "data", "simulator", "evaluation", "ground", "mission"},
    "mission": {"runtime", "simulator", "ground", "bench.energy", "data.parallel"},
}
STAGES = {folder: f"quakesat.{folder}" for folder in ALLOWED}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every quakesat import; ``from quakesat.X import m`` counts as
    ``quakesat.X.m`` where X is a package (m may be a module of it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in ("quakesat", *STAGES.values()):
                found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.startswith("quakesat.")]


def _allowed(folder: str, module: str) -> bool:
    parts = module.split(".")
    if parts[1] in ("errors", "files", "__version__") or parts[1] == folder:
        return True
    return any(module == f"quakesat.{target}" or module.startswith(f"quakesat.{target}.")
               for target in ALLOWED[folder])


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_imports_point_down_the_layers(folder: str) -> None:
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in sorted((ROOT / folder).rglob("*.py"))
             for line, module in _imports(path) if not _allowed(folder, module)]
    assert not wrong, "\n".join(wrong)


def test_no_code_reads_manifest_json_but_the_manifest_module() -> None:
    raw_access = re.compile(r"\.raw\[|\.raw\.get\(|manifest\[\"|manifest\.json\"\)\.read_text")
    offenders = []
    for folder in (*ALLOWED, "quakesat", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "runtime" / "manifest.py":
                continue
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if raw_access.search(text):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {text.strip()}")
    assert not offenders, "\n".join(offenders)


def test_one_per_tile_path_turns_tiles_into_messages() -> None:
    """Only the flight runtime builds tile reports; everything else gets them from it (the
    benchmark suites are tests: like tests/, they may stand a fake model in)."""
    builders = []
    for folder in (*ALLOWED, "quakesat"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.is_relative_to(ROOT / "bench" / "suites"):
                continue
            if "TileReport(" in path.read_text(encoding="utf-8"):
                builders.append(str(path.relative_to(ROOT)))
    assert sorted(builders) == ["ground/decode.py", "runtime/flight.py"]  # the decoder rebuilds what it reads


def test_the_flight_path_has_no_assert() -> None:
    for path in sorted((ROOT / "runtime").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        asserts = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]
        assert not asserts, f"{path.name} asserts on lines {asserts} (asserts vanish under python -O)"


#: Where a module is imported by a name computed at run time, and why (anything else would hide
#: an import from the layer check above).
DYNAMIC_IMPORTS = {
    "ground/archive.py": "a Dask worker imports the backends the driver names (quakesat.export.executorch_backend)",
}


def test_no_relative_and_no_hidden_imports() -> None:
    """Every import is absolute, so the layer check sees it; ``importlib.import_module`` and
    ``__import__`` only where :data:`DYNAMIC_IMPORTS` says why."""
    relative, hidden = [], []
    for folder in (*ALLOWED, "quakesat"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level > 0:
                    relative.append(f"{name}:{node.lineno}")
                if isinstance(node, ast.Call) and name not in DYNAMIC_IMPORTS:
                    func = node.func
                    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if called in ("import_module", "__import__"):
                        hidden.append(f"{name}:{node.lineno}")
    assert not relative, "relative imports: " + ", ".join(relative)
    assert not hidden, "imports by a computed name outside DYNAMIC_IMPORTS: " + ", ".join(hidden)
