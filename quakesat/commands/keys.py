"""``quakesat keygen`` and ``quakesat sign``: the Ed25519 key pair and the manifest signature."""

from __future__ import annotations

import argparse
import json

from quakesat.cli_args import (
    EXIT_OK,
    existing_dir,
    existing_file,
    output_dir,
)


# ─── keygen, sign ───────────────────────────────────────────────────────────────────────
def add_keys(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keygen", help="a new Ed25519 key pair for signing model updates",
                       description="Write signing.key (the private seed, mode 0600: keep it on the ground) and "
                                   "signing.pub (what the payload trusts) into DIR (docs/runtime.md, 'Signed updates').")
    p.add_argument("--out", type=output_dir, required=True, metavar="DIR", help="folder for the two key files")
    p.set_defaults(func=_cmd_keygen)
    p = sub.add_parser("sign", help="sign an export folder's manifest (it pins every artifact's hash)",
                       description="Write ARTIFACTS/manifest.json.sig: the Ed25519 signature of the manifest's exact "
                                   "bytes. A runtime given the public key (quakesat run --trusted-key, "
                                   "quakesat-runner --trusted-key) runs nothing else.")
    p.add_argument("artifacts", type=existing_dir, help="export folder (manifest.json)")
    p.add_argument("--key", type=existing_file, required=True, help="the private key file (signing.key)")
    p.set_defaults(func=_cmd_sign)


def _cmd_keygen(args: argparse.Namespace) -> int:
    from quakesat.runtime.signature import generate_keys

    key, pub = generate_keys(args.out)
    print(json.dumps({"private_key": str(key), "public_key": str(pub)}))
    return EXIT_OK


def _cmd_sign(args: argparse.Namespace) -> int:
    from quakesat.runtime.signature import sign_manifest

    print(json.dumps({"signature": str(sign_manifest(args.artifacts, args.key))}))
    return EXIT_OK
