"""Signed model updates: an Ed25519 signature over ``manifest.json``, which pins every
artifact's SHA-256, so one signature covers the whole update.

Files, all hex text on one line (no PEM, so the C++ runner reads them with no parser). One
grammar for all three, in both runtimes: exactly the key's or signature's bytes as hex digits
(either case), then at most one line ending (``\n`` or ``\r\n``); nothing else — no space,
tab, form feed or other separator anywhere. The file must be a regular file of at most that
many bytes (:mod:`quakesat.runtime.regular_file`), so a directory, a FIFO or a link to
``/dev/zero`` is refused before it is read.

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
from quakesat.runtime.manifest import MAX_MANIFEST_BYTES
from quakesat.runtime.regular_file import read_regular

SIGNATURE_SUFFIX = ".sig"
KEY_BYTES, SIGNATURE_BYTES = 32, 64
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


def parse_hex_file(data: bytes, size: int) -> bytes | None:
    """The ``size`` bytes a key or signature file's content spells under the grammar of the
    module doc, or None when it breaks it."""
    text = data.removesuffix(b"\n").removesuffix(b"\r") if data.endswith(b"\n") else data
    if len(text) != 2 * size or any(c not in _HEX_DIGITS for c in text):
        return None
    return bytes.fromhex(text.decode("ascii"))


def _hex_file(path: Path, size: int, what: str, error: type[Exception] = ConfigError) -> bytes:
    try:
        data = read_regular(path, 2 * size + 2)
    except OSError as err:
        raise error(f"{path}: not a {what} ({size} bytes as hex): {err.strerror or err}") from None
    value = parse_hex_file(data, size)
    if value is None:
        raise error(f"{path}: not a {what}: exactly {2 * size} hex digits and at most one line ending expected")
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
    if not os.path.lexists(signature_path):
        raise ManifestError(f"{manifest}: unsigned (no {signature_path.name}) and a trusted key is set")
    signature = _hex_file(signature_path, SIGNATURE_BYTES, "signature", ManifestError)
    try:
        data = read_regular(manifest, MAX_MANIFEST_BYTES)
    except OSError as err:
        raise ManifestError(f"{manifest}: unreadable ({err.strerror or err})") from None
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except InvalidSignature:
        raise ManifestError(f"{manifest}: the signature does not verify with the trusted key") from None
