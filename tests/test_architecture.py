"""The dependency direction of docs/architecture.md, read from the code's own imports.

Every ``import quakesat.X`` / ``from quakesat.X import`` in a stage folder (at module level or
inside a function) must point down the layers, and no import hides from that check (relative
imports, ``importlib``, code run from a path); the per-tile pipeline exists once; no code
outside the manifest module reads manifest JSON, and none outside models/model_config.py reads
a model folder's config.json.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Stage folder → the packages (``quakesat.<name>``) it may import, besides itself and the
#: shared root modules (quakesat.errors, quakesat.files, quakesat.records, the version).
ALLOWED = {
    "runtime": set(),
    "data": {"runtime"},
    "simulator": {"data", "runtime"},
    "models": {"data", "runtime", "evaluation.metrics"},
    "ground": {"runtime", "data", "evaluation"},
    "evaluation": {"models", "data", "runtime", "ground"},
    "export": {"models", "data", "runtime", "evaluation.timing", "evaluation.calibration",
               "evaluation.operating_point"},  # leaf modules: numpy, scipy and the metrics only
    # bench imports mission only in its suites (timing the mission); mission uses bench.energy and
    # bench.record (a bench.json's instruction counts), leaves.
    "bench": {"runtime", "export", "models", "data", "simulator", "evaluation", "ground", "mission"},
    "mission": {"runtime", "simulator", "ground", "bench.energy", "bench.record", "data.parallel",
                "data.fringe"},  # data's leaves: worker pools, and the fringe statistic (numpy)
    # The top floor: the report reads what every command below it writes; nothing imports it
    # but the CLI and the demo (quakesat/).
    "report": {"ground", "mission", "bench", "export", "evaluation", "models", "runtime", "data",
               "demo_record"},  # the demo's record, a leaf beside the demo (quakesat/demo_record.py)
}
#: Files that are tests rather than stage code (the benchmark suites time the report's stream
#: reading), with what they may import besides their folder's ALLOWED.
EXTRA = {"bench/suites/test_ground_decode.py": {"report"}}
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


def _allowed(folder: str, module: str, extra: set[str] | frozenset[str] = frozenset()) -> bool:
    parts = module.split(".")
    if parts[1] in ("errors", "files", "records", "__version__") or parts[1] == folder:
        return True
    return any(module == f"quakesat.{target}" or module.startswith(f"quakesat.{target}.")
               for target in ALLOWED[folder] | extra)


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_imports_point_down_the_layers(folder: str) -> None:
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in sorted((ROOT / folder).rglob("*.py"))
             for line, module in _imports(path)
             if not _allowed(folder, module, EXTRA.get(path.relative_to(ROOT).as_posix(), set()))]
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


#: The files whose JSON only their own module reads, and that module.
OWNED_JSON = {
    "a model folder's config.json": (re.compile(r"[\"']config\.json[\"']|\bCONFIG_NAME\b"), "models/model_config.py"),
    "a manifest": (re.compile(r"[\"']manifest\.json[\"']|\bMANIFEST_NAME\b"), "runtime/manifest.py"),
}


def _raw_json_reads(path: Path, pattern: re.Pattern[str]) -> list[int]:
    """Lines where ``json.load``/``json.loads`` reads what ``pattern`` names: directly, or through
    a name bound to it (``p = d / "config.json"``, ``with open(p) as f``, ``text = p.read_text()``)."""
    text = path.read_text(encoding="utf-8")
    if not pattern.search(text):
        return []
    tree = ast.parse(text)
    nodes = list(ast.walk(tree))
    tainted: set[str] = set()
    data = text.encode("utf-8")
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def source(node: ast.AST) -> str:  # ast.get_source_segment, without splitting the file on every call
        begin = starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
        end = starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        return data[begin:end].decode("utf-8", errors="replace")

    def names(source: str) -> bool:
        return bool(pattern.search(source)) or bool(tainted) and bool(
            re.search(r"\b(" + "|".join(map(re.escape, sorted(tainted))) + r")\b", source))

    for _ in range(3):  # bindings of bindings
        for node in nodes:
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                if names(source(node.value)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    tainted |= {t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)}
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None and names(source(item.context_expr)):
                        tainted |= {t.id for t in ast.walk(item.optional_vars) if isinstance(t, ast.Name)}
    lines = []
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("load", "loads") \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "json":
            if any(names(source(arg)) for arg in node.args):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("what", sorted(OWNED_JSON))
def test_no_code_reads_an_owned_json_file_raw_but_its_module(what: str) -> None:
    """A model folder's config.json is read by models/model_config.py, a manifest by
    runtime/manifest.py; everything else goes through their readers."""
    pattern, owner = OWNED_JSON[what]
    offenders = [f"{path.relative_to(ROOT)}:{line}"
                 for folder in (*ALLOWED, "quakesat", "scripts") for path in sorted((ROOT / folder).rglob("*.py"))
                 if path != ROOT / owner for line in _raw_json_reads(path, pattern)]
    assert not offenders, f"{what} read raw (use {owner}'s reader): " + ", ".join(offenders)


def test_the_raw_read_check_sees_through_a_name(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('import json\nfrom pathlib import Path\n\n\ndef f(d: Path) -> dict:\n'
                      '    path = d / "config.json"\n    with path.open() as handle:\n        return json.load(handle)\n\n\n'
                      'def g(d: Path) -> dict:\n    return json.loads((d / "manifest.json").read_text())\n')
    assert _raw_json_reads(sample, OWNED_JSON["a model folder's config.json"][0]) == [8]
    assert _raw_json_reads(sample, OWNED_JSON["a manifest"][0]) == [12]


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


#: The functions that import a module by a name computed at run time, or run code from a path,
#: and why (anything else would hide an import from the layer check above).
DYNAMIC_IMPORTS = {
    "import_backends": "ground/archive.py: a Dask worker imports the backends the driver names "
                       "(quakesat.export.executorch_backend)",
    "_torch_module": "the CLI's --torch-module FILE.py:FUNCTION runs the user's own file (runpy.run_path) for "
                     "their network",
}
#: Calls that import a module by a computed name or load code from a path.
HIDDEN_CALLS = {"import_module", "__import__", "spec_from_file_location", "module_from_spec", "exec_module",
                "run_path", "run_module", "load_module"}


def _import_problems(path: Path) -> tuple[list[int], list[tuple[int, str]]]:
    """Lines of relative imports, and (line, enclosing function) of hidden imports in ``path``: a
    hidden import is a call of :data:`HIDDEN_CALLS`, or taking one of them from ``importlib`` or
    ``runpy`` (under any alias)."""
    relative: list[int] = []
    hidden: list[tuple[int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            relative.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("importlib", "runpy") \
                and any(alias.name in HIDDEN_CALLS for alias in node.names):
            hidden.append((node.lineno, function))
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in HIDDEN_CALLS:
                hidden.append((node.lineno, function))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return sorted(relative), sorted(hidden)


def test_no_relative_and_no_hidden_imports() -> None:
    """Every import is absolute, so the layer check sees it; ``importlib.import_module``,
    ``__import__`` and running code from a path only in the functions :data:`DYNAMIC_IMPORTS` names."""
    relative, hidden = [], []
    for folder in (*ALLOWED, "quakesat"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            rel, dyn = _import_problems(path)
            relative += [f"{name}:{line}" for line in rel]
            hidden += [f"{name}:{line} ({function or 'module level'})" for line, function in dyn
                       if function not in DYNAMIC_IMPORTS]
    assert not relative, "relative imports: " + ", ".join(relative)
    assert not hidden, "imports by a computed name outside DYNAMIC_IMPORTS: " + ", ".join(hidden)


def test_the_import_check_sees_relative_aliased_and_path_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from . import sibling\nfrom ..report import build\nimport importlib.util\n"
                      "from importlib import import_module as load\n\nload('quakesat.report.build')\n"
                      "spec = importlib.util.spec_from_file_location('m', 'm.py')\n__import__('quakesat.report')\n")
    assert _import_problems(sample) == ([1, 2], [(4, ""), (7, ""), (8, "")])
