"""Write the hostile-file vectors in ``tests/vectors/hostile_files/``: what sits at a path the
runtimes are told to read, door by door (tile image, tile list, signature, public key,
artifact, manifest), and the verdict both runtimes must give.

    python tests/vectors/make_hostile_files.py

Special files cannot live in git, so each case is a recipe (``make``) that the tests carry out
in a scratch folder: ``regular`` (the door's good file), ``file:NAME`` (a file of this folder),
``symlink`` (a link to the good file), ``fifo``, ``directory``, ``dev_zero`` / ``dev_null``
(links to those devices), ``missing``, ``dangling_symlink``, ``trailing_slash`` /
``trailing_dot`` (the good file's path spelled ``PATH/`` or ``PATH/.``), ``overclaim`` (an
``.npy`` header claiming 12000 x 12000 x 2 floats over a sparse file that has them, on
paper), ``sparse`` (a sparse file of 17 MiB, beyond the manifest limit). Checked by pytest
(``tests/runtime/test_hostile_files.py``) and by the C++ tests (``cpp_runner/tests/test_files.cpp``).
The verdicts are written here by hand, not computed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "hostile_files"
#: A fixed Ed25519 seed: the signed vectors stay the same bytes on every run (a test key only).
SEED = bytes(range(32))
SPECIAL = ("fifo", "directory", "dev_zero", "dev_null", "missing", "dangling_symlink")


def cases() -> list[dict[str, str]]:
    out: list[dict[str, str]] = []

    def add(door: str, make: str, expected: str, name: str = "") -> None:
        out.append({"name": f"{door}_{name or make.replace('file:', '')}", "door": door, "make": make,
                    "expected": expected})

    for make, verdict in (("regular", "ok"), ("symlink", "ok"), *((s, "unreadable") for s in SPECIAL),
                          ("trailing_slash", "unreadable"), ("trailing_dot", "unreadable"),
                          ("overclaim", "bad_shape"), ("file:side_16.npy", "bad_shape")):
        add("image", make, verdict)
    for make, verdict in (("regular", "ok"), ("symlink", "ok"), *((s, "refused") for s in SPECIAL),
                          ("trailing_slash", "refused")):
        add("list", make, verdict)
    for make, verdict in (("regular", "ok"), ("symlink", "ok"), ("file:sig_crlf.txt", "ok"),
                          ("file:sig_upper.txt", "ok"), ("file:sig_no_newline.txt", "ok"),
                          *((s, "manifest_invalid") for s in SPECIAL),
                          *((f"file:sig_{bad}.txt", "manifest_invalid") for bad in BAD_TEXT)):
        add("signature", make, verdict)
    for make, verdict in (("regular", "ok"), ("file:key_crlf.txt", "ok"), *((s, "refused") for s in SPECIAL),
                          *((f"file:key_{bad}.txt", "refused") for bad in BAD_TEXT)):
        add("key", make, verdict)
    for make, verdict in (("regular", "ok"), ("symlink", "ok"), *((s, "refused") for s in SPECIAL)):
        add("artifact", make, verdict)
    for make, verdict in (*((s, "model_missing") for s in SPECIAL), ("sparse", "manifest_invalid")):
        add("manifest", make, verdict)
    return out


#: Hex files that break the one grammar (the hex digits, then at most one line ending).
BAD_TEXT = {
    "space_inside": lambda h: h[:10] + " " + h[10:] + "\n",
    "leading_space": lambda h: " " + h + "\n",
    "trailing_space": lambda h: h + " \n",
    "tab_after": lambda h: h + "\t\n",
    "form_feed_after": lambda h: h + "\f",
    "vertical_tab_after": lambda h: h + "\v",
    "file_separator_after": lambda h: h + "\x1c",
    "two_line_endings": lambda h: h + "\n\n",
    "cr_only": lambda h: h + "\r",
    "one_digit_short": lambda h: h[:-1] + "\n",
    "one_byte_long": lambda h: h + "00\n",
    "not_hex": lambda h: "g" + h[1:] + "\n",
    "empty": lambda h: "",
}


def main() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(26)
    np.save(OUT / "good.npy", rng.gamma(4.4, 0.01, (8, 8, 2)).astype("<f4"), allow_pickle=False)
    np.save(OUT / "side_16.npy", rng.gamma(4.4, 0.01, (16, 16, 2)).astype("<f4"), allow_pickle=False)
    (OUT / "good_list.jsonl").write_text(json.dumps({"tile_id": 1, "time": 1700000000, "lat": 1.0, "lon": 2.0,
                                                     "pre": "good.npy", "post": "good.npy"}) + "\n")
    manifest = b'{"signed": "the signature covers these exact bytes"}\n'
    (OUT / "signed_manifest.json").write_bytes(manifest)
    private = Ed25519PrivateKey.from_private_bytes(SEED)
    signature = private.sign(manifest).hex()
    key = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    (OUT / "good.sig").write_text(signature + "\n")
    (OUT / "good.pub").write_text(key + "\n")
    for stem, text in (("sig", signature), ("key", key)):
        (OUT / f"{stem}_crlf.txt").write_text(text + "\r\n", newline="")
        for bad, spell in BAD_TEXT.items():
            (OUT / f"{stem}_{bad}.txt").write_text(spell(text), newline="")
    (OUT / "sig_upper.txt").write_text(signature.upper() + "\n")
    (OUT / "sig_no_newline.txt").write_text(signature)
    listed = cases()
    (OUT / "cases.jsonl").write_text("".join(json.dumps(case) + "\n" for case in listed))
    print(f"wrote {len(listed)} cases to {OUT}")


if __name__ == "__main__":
    main()
