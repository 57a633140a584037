"""Signed model updates: a runtime given a trusted key runs a manifest signed with it and
refuses, as MANIFEST_INVALID on every tile, one that is unsigned, tampered with, signed with
another key or carries a malformed signature (the C++ runner: tests/cpp/test_signature.py)."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from quakesat.cli import main  # noqa: E402
from quakesat.errors import ConfigError  # noqa: E402
from quakesat.runtime.flight import FlightRuntime, RuntimeConfig  # noqa: E402
from quakesat.runtime.signature import generate_keys, read_public_key, sign_manifest  # noqa: E402
from quakesat.runtime.status import Status  # noqa: E402

TINY = Path(__file__).resolve().parents[1] / "vectors" / "tiny_model"


@pytest.fixture()
def signed(tmp_path) -> tuple[Path, bytes, Path]:
    folder = tmp_path / "artifacts"
    shutil.copytree(TINY, folder)
    key, pub = generate_keys(tmp_path / "keys")
    sign_manifest(folder, key)
    return folder, read_public_key(pub), tmp_path / "keys"


def _fault(folder: Path, key: bytes) -> Status | None:
    runtime = FlightRuntime.open(folder, None, RuntimeConfig(trusted_key=key, health_every=0))
    return None if runtime.fault is None else runtime.fault.status


def test_a_signed_manifest_runs(signed) -> None:
    folder, key, _ = signed
    assert _fault(folder, key) is None


def test_the_private_key_is_private_and_never_overwritten(signed) -> None:
    _, _, keys = signed
    assert stat.S_IMODE((keys / "signing.key").stat().st_mode) == 0o600
    with pytest.raises(ConfigError, match="never overwritten"):
        generate_keys(keys)


@pytest.mark.parametrize("attack", ["unsigned", "tampered", "other_key", "malformed", "truncated"])
def test_every_unverified_update_is_refused(signed, tmp_path, attack) -> None:
    folder, key, _ = signed
    manifest, signature = folder / "manifest.json", folder / "manifest.json.sig"
    if attack == "unsigned":
        signature.unlink()
    elif attack == "tampered":  # one character of the threshold: the model id does not change
        text = manifest.read_text(encoding="utf-8")
        manifest.write_text(text.replace('"event_threshold": 0.', '"event_threshold": 1.', 1)
                            if '"event_threshold": 0.' in text else text + " ", encoding="utf-8")
    elif attack == "other_key":
        other, _ = generate_keys(tmp_path / "other")
        sign_manifest(folder, other)
    elif attack == "malformed":
        signature.write_text("not hex\n", encoding="ascii")
    else:
        signature.write_text(signature.read_text(encoding="ascii").strip()[:100] + "\n", encoding="ascii")
    assert _fault(folder, key) == Status.MANIFEST_INVALID


def test_without_a_trusted_key_nothing_is_checked(signed) -> None:
    folder, _, _ = signed
    (folder / "manifest.json.sig").unlink()
    assert FlightRuntime.open(folder, None, RuntimeConfig(health_every=0)).fault is None


def test_the_command_line_signs_and_refuses(tmp_path, capsys) -> None:
    folder = tmp_path / "artifacts"
    shutil.copytree(TINY, folder)
    assert main(["keygen", "--out", str(tmp_path / "k")]) == 0
    assert main(["sign", str(folder), "--key", str(tmp_path / "k" / "signing.key")]) == 0
    tiles = TINY.parent / "runner" / "tiles.jsonl"
    out = tmp_path / "m.bin"
    assert main(["run", "--artifacts", str(folder), "--tiles", str(tiles), "--out", str(out),
                 "--trusted-key", str(tmp_path / "k" / "signing.pub")]) == 0
    (folder / "manifest.json.sig").unlink()
    capsys.readouterr()
    assert main(["run", "--artifacts", str(folder), "--tiles", str(tiles), "--out", str(out),
                 "--trusted-key", str(tmp_path / "k" / "signing.pub")]) == 2
    assert "unsigned" in capsys.readouterr().err
    bad_key = tmp_path / "bad.pub"
    bad_key.write_text("abcd\n", encoding="ascii")
    assert main(["run", "--artifacts", str(folder), "--tiles", str(tiles), "--out", str(out),
                 "--trusted-key", str(bad_key)]) == 2
