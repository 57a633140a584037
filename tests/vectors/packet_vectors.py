"""What the golden-vector generators of the downlink's packet kinds share: make_downlink_vectors.py
(the 32-byte message) and make_thumbnail_vectors.py (the thumbnail).

Seeded draws of a sequence count, the byte mutations that turn a valid packet into an invalid
vector, and the two JSON-lines files each generator writes (a valid and an invalid one) with
its command line (:class:`PacketVectors`). The generators import this module from beside
them: run as scripts, their folder is on ``sys.path``, and tests/downlink_helpers.py loads
them the same way.
"""

from __future__ import annotations

import argparse
import json
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quakesat.runtime.message import CRC_LENGTH, SEQ_COUNT_MAX, crc16

# Acquisition times drawn between 2015-01-01 and 2030-01-01 (Sentinel-1 era), Unix seconds.
TIME_RANGE = (1_420_070_400, 1_893_456_000)

#: An edit of a packet's bytes, in place.
Mutation = Callable[[bytearray], None]


# ─── seeded draws ───────────────────────────────────────────────────────────────────────
class SequenceDraw:
    """Seeded draws of plausible field values: the generator ``rng`` and a packet sequence count
    that starts at a drawn value and goes on by one per packet, wrapping as the packets' does."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seq = rng.randrange(SEQ_COUNT_MAX + 1)

    def next_seq(self) -> int:
        self.seq = (self.seq + 1) & SEQ_COUNT_MAX
        return self.seq


# ─── invalid packets: a valid one, mutated ──────────────────────────────────────────────
def mutated(base: bytes, mutate: Mutation, reseal: bool = True) -> bytes:
    """Apply ``mutate`` to a copy of ``base``; recompute the CRC (the last two bytes of every
    packet kind) unless ``reseal`` is False."""
    packet = bytearray(base)
    mutate(packet)
    if reseal:
        crc_offset = len(packet) - CRC_LENGTH
        struct.pack_into(">H", packet, crc_offset, crc16(bytes(packet[:crc_offset])))
    return bytes(packet)


def set_u8(offset: int, value: int) -> Mutation:
    def mutate(packet: bytearray) -> None:
        packet[offset] = value

    return mutate


def or_u8(offset: int, bits: int) -> Mutation:
    def mutate(packet: bytearray) -> None:
        packet[offset] |= bits

    return mutate


def xor_u8(offset: int, bits: int) -> Mutation:
    def mutate(packet: bytearray) -> None:
        packet[offset] ^= bits

    return mutate


def set_fmt(offset: int, fmt: str, value: int) -> Mutation:
    def mutate(packet: bytearray) -> None:
        struct.pack_into(">" + fmt, packet, offset, value)

    return mutate


def seq_flags(value: int) -> Mutation:
    """Set the two CCSDS sequence flags (the top bits of byte 2)."""

    def mutate(packet: bytearray) -> None:
        packet[2] = (packet[2] & 0x3F) | (value << 6)

    return mutate


def chain(*mutations: Mutation) -> Mutation:
    def mutate(packet: bytearray) -> None:
        for m in mutations:
            m(packet)

    return mutate


# ─── files ──────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class PacketVectors:
    """A packet kind's two golden-vector files (valid, invalid): its seeded cases and the codec
    that turns them into JSON lines, with the generator's ``render``, ``write_vectors`` and
    ``main``."""

    seed: int
    names: tuple[str, str]  #: the file names, valid first
    build_valid: Callable[[random.Random], list[tuple[str, Any]]]  #: ``(name, encoder input)`` pairs
    build_invalid: Callable[[random.Random], list[tuple[str, bytes, str]]]  #: ``(name, bytes, reason)``
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]  #: the ground decoder; raises an error with a ``reason``
    to_json_dict: Callable[[Any], dict[str, Any]]  #: the decoded packet's JSON view
    fields_of: Callable[[Any], dict[str, Any]]  #: the encoder input as a JSON-ready dict
    description: str | None = None  #: the command line's

    def render(self, seed: int | None = None) -> dict[str, str]:
        """Render both vector files' text.

        Args:
            seed: seed of ``random.Random`` (default: the generator's).

        Returns:
            ``{file name: file text}``: one line per vector, ``{"name", "hex", "fields",
            "decoded"}`` for a valid one and ``{"name", "hex", "reason"}`` for an invalid one.

        Raises:
            RuntimeError: a case does not behave as intended (an encoder/decoder bug).
        """
        rng = random.Random(self.seed if seed is None else seed)
        valid, invalid = self.build_valid(rng), self.build_invalid(rng)
        valid_lines = []
        for name, packet in valid:
            data = self.encode(packet)
            decoded = self.to_json_dict(self.decode(data))
            record = {"name": name, "hex": data.hex(), "fields": self.fields_of(packet), "decoded": decoded}
            valid_lines.append(json.dumps(record))
        invalid_lines = []
        for name, data, reason in invalid:
            try:
                self.decode(data)
            except Exception as err:  # noqa: BLE001 — anything but the intended DecodeError is a bug
                got = getattr(err, "reason", repr(err))
            else:
                got = "accepted"
            if got != reason:
                raise RuntimeError(f"invalid vector {name}: expected {reason}, decoder says {got}")
            invalid_lines.append(json.dumps({"name": name, "hex": data.hex(), "reason": reason}))
        valid_name, invalid_name = self.names
        return {valid_name: "\n".join(valid_lines) + "\n", invalid_name: "\n".join(invalid_lines) + "\n"}

    def write_vectors(self, out_dir: Path, seed: int | None = None) -> list[Path]:
        """Write both vector files into ``out_dir`` (created if missing); return the written paths."""
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in self.render(seed).items():
            path = out_dir / name
            path.write_text(text, encoding="utf-8", newline="\n")
            paths.append(path)
        return paths

    def main(self, argv: list[str] | None = None) -> int:
        """Command-line entry: write the vectors next to the generators (or to ``--out``)."""
        parser = argparse.ArgumentParser(description=self.description)
        here = Path(__file__).resolve().parent
        parser.add_argument("--out", type=Path, default=here, help="output folder (default: here)")
        parser.add_argument("--seed", type=int, default=self.seed, help=f"random seed (default {self.seed})")
        args = parser.parse_args(argv)
        for path in self.write_vectors(args.out, args.seed):
            print(f"wrote {path}")
        return 0
