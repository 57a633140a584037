"""The C++ runner on signed updates: the same verdicts as the Python runtime
(tests/runtime/test_signature.py) on the same folders, keys and signatures."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from quakesat.ground.decode import iter_stream  # noqa: E402
from quakesat.runtime.flight import FlightRuntime, RuntimeConfig  # noqa: E402
from quakesat.runtime.signature import generate_keys, read_public_key, sign_manifest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
RUNNER = ROOT / "build" / "helper-cpp" / "quakesat-runner"
pytestmark = pytest.mark.skipif(not RUNNER.is_file(), reason="quakesat-runner not built (bash scripts/test.sh builds it)")


def _cpp_statuses(folder: Path, key: Path, out: Path) -> set[str]:
    result = subprocess.run([str(RUNNER), str(folder), str(VECTORS / "runner" / "tiles.jsonl"), "-o", str(out),
                             "--trusted-key", str(key)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return {message.status.code_name for _, message in iter_stream(out.read_bytes())}


@pytest.mark.parametrize("attack", ["none", "unsigned", "tampered", "other_key", "malformed"])
def test_the_runner_refuses_what_python_refuses(tmp_path, attack) -> None:
    folder = tmp_path / "artifacts"
    shutil.copytree(VECTORS / "tiny_model", folder)
    key, pub = generate_keys(tmp_path / "keys")
    sign_manifest(folder, key)
    signature = folder / "manifest.json.sig"
    if attack == "unsigned":
        signature.unlink()
    elif attack == "tampered":
        (folder / "manifest.json").write_bytes((folder / "manifest.json").read_bytes() + b" ")
    elif attack == "other_key":
        sign_manifest(folder, generate_keys(tmp_path / "other")[0])
    elif attack == "malformed":
        signature.write_text("00" * 63 + "\n", encoding="ascii")
    statuses = _cpp_statuses(folder, pub, tmp_path / "m.bin")
    python = FlightRuntime.open(folder, None, RuntimeConfig(trusted_key=read_public_key(pub), health_every=0))
    if attack == "none":
        assert "manifest_invalid" not in statuses and python.fault is None
    else:
        assert statuses == {"manifest_invalid"} and python.fault is not None
        assert python.fault.status.code_name == "manifest_invalid"


def test_a_bad_key_file_is_a_usage_error(tmp_path) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("zz\n", encoding="ascii")
    result = subprocess.run([str(RUNNER), str(VECTORS / "tiny_model"), str(VECTORS / "runner" / "tiles.jsonl"),
                             "-o", str(tmp_path / "m.bin"), "--trusted-key", str(bad)], capture_output=True, text=True)
    assert result.returncode == 2 and "Ed25519 public key" in result.stderr
