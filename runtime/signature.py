"""Signed model updates: an Ed25519 signature over ``manifest.json``, which pins every
artifact's SHA-256, so one signature covers the whole update.

Files, all hex text on one line (no PEM, so the C++ runner reads them with no parser):

- ``manifest.json.sig`` beside the manifest: the 64-byte signature of the manifest's exact
  bytes;
- a public key (``signing.pub``): the 32-byte Ed25519 public key; it is what flies, built
  into the payload's image or uplinked once under the mission's own key management;
- a private key (``signing.key``): the 32-byte seed, written with mode 0600, kept on the
  ground and never in an artifacts folder.

A runtime given a trusted key refuses a manifest that has no signature, a malformed one, or
one that does not verify, as ``MANIFEST_INVALID`` on every tile; it never runs that model.
Without a trusted key nothing is checked (the ground's own runs). docs/runtime.md, "Signed
updates", covers key handling and rotation. ``cryptography`` (the runtime extra) does the
mathematics.
"""

from __future__ import annotations

import os
from pathlib import Path

from quakesat.errors import ConfigError, ManifestError

SIGNATURE_SUFFIX = ".sig"
KEY_BYTES, SIGNATURE_BYTES = 32, 64


def _hex_file(path: Path, size: int, what: str) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
        value = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ConfigError(f"{path}: not a {what} ({size} bytes as hex): {err}") from None
    if len(value) != size:
        raise ConfigError(f"{path}: a {what} is {size} bytes, this holds {len(value)}")
    return value


def read_public_key(path: str | Path) -> bytes:
    """The 32 raw bytes of an Ed25519 public key file (ConfigError if it is not one)."""
    return _hex_file(Path(path), KEY_BYTES, "Ed25519 public key")


def generate_keys(folder: str | Path) -> tuple[Path, Path]:
    """Write a new key pair into ``folder`` (signing.key, mode 0600; signing.pub)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_path, pub_path = folder / "signing.key", folder / "signing.pub"
    if key_path.exists():
        raise ConfigError(f"{key_path} exists: a key is never overwritten (move it away first)")
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(seed.hex() + "\n")
    pub_path.write_text(public.hex() + "\n", encoding="ascii")
    return key_path, pub_path


def sign_manifest(artifacts: str | Path, key_path: str | Path) -> Path:
    """Sign ``artifacts/manifest.json`` with the private key file; return the signature's path."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    manifest = Path(artifacts) / "manifest.json"
    try:
        data = manifest.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read {manifest}: {err.strerror or err}") from None
    seed = _hex_file(Path(key_path), KEY_BYTES, "Ed25519 private key")
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(data)
    path = manifest.with_name(manifest.name + SIGNATURE_SUFFIX)
    path.write_text(signature.hex() + "\n", encoding="ascii")
    return path


def verify_manifest(artifacts: str | Path, public_key: bytes) -> None:
    """Raise ManifestError unless ``artifacts/manifest.json`` carries a signature that
    verifies with ``public_key``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    manifest = Path(artifacts) / "manifest.json"
    signature_path = manifest.with_name(manifest.name + SIGNATURE_SUFFIX)
    if not signature_path.is_file():
        raise ManifestError(f"{manifest}: unsigned (no {signature_path.name}) and a trusted key is set")
    try:
        signature = bytes.fromhex(signature_path.read_text(encoding="ascii").strip())
        data = manifest.read_bytes()
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ManifestError(f"{signature_path}: unreadable signature: {err}") from None
    if len(signature) != SIGNATURE_BYTES:
        raise ManifestError(f"{signature_path}: a signature is {SIGNATURE_BYTES} bytes, this holds {len(signature)}")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except InvalidSignature:
        raise ManifestError(f"{manifest}: the signature does not verify with the trusted key") from None
