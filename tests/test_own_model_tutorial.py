"""docs/own_model.md, run as written: its Python blocks (a ``# file: NAME`` block is written to
NAME, the others run in order as one script) and then its shell block, in a scratch folder.
Also the contract's refusals the page promises."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "own_model.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("own_model")
    script = []
    for block in _blocks("python"):
        first, _, rest = block.partition("\n")
        if first.startswith("# file: "):
            (folder / first.removeprefix("# file: ").strip()).write_text(rest)
        else:
            script.append(block)
    (folder / "tutorial.py").write_text("\n".join(script))
    done = subprocess.run([sys.executable, "tutorial.py"], cwd=folder, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    (folder / "python.out").write_text(done.stdout)
    return folder


def _shell(command: str, folder: Path) -> subprocess.CompletedProcess:
    argv = command.replace("\\\n", " ").split()
    assert argv[0] == "quakesat"
    return subprocess.run([sys.executable, "-m", "quakesat", *argv[1:]], cwd=folder, capture_output=True, text=True,
                          timeout=900)


def test_the_python_route_exports_and_flies_the_module(tutorial: Path) -> None:
    manifest = json.loads((tutorial / "artifacts" / "manifest.json").read_text())
    assert manifest["model"]["name"] == "my-net" and manifest["model"]["heads"] == ["event", "magnitude"]
    assert {a["name"] for a in manifest["artifacts"]} == {"onnx-fp32", "onnx-int8"}
    assert manifest["report"]["source"] == "torch module my-net"
    flown = (tutorial / "python.out").read_text().splitlines()
    assert flown[0].startswith("my-net ") and len(flown) == 4  # the export line, three tiles


def test_the_command_line_route_runs_as_written(tutorial: Path) -> None:
    block = _blocks("bash")[0]
    commands = [c for c in re.split(r"(?<!\\)\n", block.strip()) if c.strip()]
    for command in commands:
        done = _shell(command, tutorial)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        if command.startswith("quakesat export"):  # the stages say when they start and end
            assert "export: read tiles ..." in done.stderr and "export: score artifacts done in" in done.stderr
    decoded = [json.loads(line) for line in (tutorial / "messages.jsonl").read_text().splitlines()]
    report = json.loads((tutorial / "messages.report.json").read_text())
    assert report["tiles"] > 1 and len(decoded) == report["messages"] > report["tiles"]  # + health
    assert report["tile_statuses"].get("ok", 0) > 0


def test_a_contract_that_does_not_fit_is_one_line(tutorial: Path) -> None:
    for edit, words in (({"outputs": ["event"]}, ("2 output(s)", "declares 1")),
                        ({"side": 512}, ("64 x 64", "512 x 512"))):
        contract = {**json.loads((tutorial / "contract.json").read_text()), **edit}
        (tutorial / "bad.json").write_text(json.dumps(contract))
        done = _shell("quakesat export --torch-module my_module.py:build --contract bad.json "
                      "--data earthquakes.h5 --out bad --formats onnx", tutorial)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert all(word in lines[0] for word in words), lines[0]


def test_contract_values_are_checked() -> None:
    from quakesat.errors import ConfigError
    from quakesat.models.contract import ModelContract

    good = {"name": "m", "input": "bitemporal", "side": 64, "multilook": 2, "outputs": ["event"]}
    assert ModelContract.from_dict(good).input_shape == (4, 32, 32)
    assert ModelContract.from_dict({**good, "input": "interferometric", "multilook": 8}).input_shape == (3, 8, 8)
    for bad, words in (({"input": "optical"}, "input"), ({"outputs": ["event", "event"]}, "distinct"),
                       ({"outputs": ["location"]}, "event or a magnitude"), ({"multilook": 3}, "divide"),
                       ({"side": 0}, "positive"), ({"colour": "red"}, "unknown keys")):
        with pytest.raises(ConfigError, match=words):
            ModelContract.from_dict({**good, **bad})
    with pytest.raises(ConfigError, match="missing"):
        ModelContract.from_dict({"name": "m"})


def test_an_existing_artifact_is_adopted_run_and_benched_as_written(tutorial: Path) -> None:
    (contract,) = _blocks("json")
    (tutorial / "adopted.json").write_text(contract)
    block = _blocks("bash")[1]
    for command in [c for c in re.split(r"(?<!\\)\n", block.strip()) if c.strip()]:
        done = _shell(command, tutorial)
        assert done.returncode == 0, (command, done.stderr[-2000:])
    manifest = json.loads((tutorial / "adopted" / "manifest.json").read_text())
    (artifact,) = manifest["artifacts"]
    assert artifact["name"] == "onnx-adopted" and artifact["fidelity"]["tiles"] >= 200
    assert manifest["report"]["adopted"]["reference"].startswith("the adopted file itself")
    assert manifest["decision"]["operating_point"] is not None  # the threshold chosen on validation
    run = json.loads((tutorial / "adopted.report.json").read_text())
    assert run["model"]["artifact"] == "onnx-adopted" and run["tiles"] > 1
    bench = json.loads((tutorial / "adopted-bench" / "bench.json").read_text())
    assert "onnx-adopted" in json.dumps(bench)


def test_an_artifact_that_does_not_fit_its_contract_is_one_line(tutorial: Path) -> None:
    contract = json.loads(_blocks("json")[0])
    for edit, words in (({"outputs": ["event"]}, ("2 output(s)", "declares 1")),
                        ({"multilook": 4}, ("[N, 4, 16, 16]",)),
                        ({"input": "interferometric", "side": 64, "multilook": 4}, ("interferometric",))):
        (tutorial / "bad-adopt.json").write_text(json.dumps({**contract, **edit}))
        done = _shell("quakesat adopt artifacts/model.fp32.onnx --contract bad-adopt.json --data earthquakes.h5 "
                      "--out bad-adopt", tutorial)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert all(word in lines[0] for word in words), lines[0]
        assert not (tutorial / "bad-adopt" / "manifest.json").exists()
