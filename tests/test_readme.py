"""The README's promises that code can check: its Python example runs, its exit statuses are
the CLI's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from quakesat import cli_args

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_python_api_example_runs_as_written() -> None:
    block = README.split("<!-- example:python-api", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    result = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    status, event, magnitude, model = result.stdout.splitlines()[0].split(" ", 3)
    assert status == "ok" and event in ("True", "False") and float(magnitude) >= 0 and model.startswith("model ")
    assert result.stdout.splitlines()[1] == "1 message(s), 32 bytes"


def test_the_exit_status_table_is_the_clis() -> None:
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, flags=re.M))
    assert {int(code) for code in table} == {cli_args.EXIT_OK, cli_args.EXIT_FAILURE, cli_args.EXIT_USAGE,
                                             cli_args.EXIT_GATE, cli_args.EXIT_INTERRUPTED,
                                             cli_args.EXIT_BROKEN_PIPE}
    assert "fidelity gate" in table[str(cli_args.EXIT_GATE)] and "interrupted" in table[str(cli_args.EXIT_INTERRUPTED)]
