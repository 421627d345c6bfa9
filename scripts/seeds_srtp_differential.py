"""Write the seed corpora of srtp_differential and srtcp_differential: scenarios, named by their SHA-1.

Why: a scenario is a setting (profile, window, allow_repeat_tx), a master key and salt, and
6-octet steps (targets/_srtp_differential.py). The seeds give every profile and window the
exchanges worth varying: in-order sends with CSRCs, extensions, padding and markers, the SEQ
wrap, a replay, a tampered datagram, and crafted packets at ROC 1 or far-off SRTCP indices.
They stay clear of the two known readings apart (ROC-1 at ROC 0, libsrtp's rounded window) and,
for SRTCP, of E=0 under AES-CM: known_bugs.toml keeps one reproducer of each. Keys are the
harness's test key, or drawn from one seeded generator; the seed is printed. Each target
directory is emptied of earlier seeds first; subfolders are left alone.

Usage, from the repository root:  python scripts/seeds_srtp_differential.py [--seed 1]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import struct

from _srtp_differential import CRAFT, REPLAY, SEND, TAMPER, WINDOW_SIZES

from harness import project
from harness.protocols.srtp_profiles import PROFILES

ROOT = project.current().root

CSRCS, EXTENSION, MARKER, PADDING, CLEAR = 0x10, 0x04, 0x08, 0x40, 0x80


def step(op: int, value: int = 0, flags: int = 0, length: int = 20, arg: int = 0) -> bytes:
    return struct.pack("!BHBBB", op, value, flags, length, arg)


def setting(profile: int, window: int, repeat: bool) -> bytes:
    return bytes([profile | window << 2 | repeat << 4])


def rtp_exchanges() -> list[bytes]:
    in_order = [step(SEND, 1000 + n, flags) for n, flags in enumerate((0, CSRCS, EXTENSION, PADDING, MARKER | 1))]
    return [
        b"".join(in_order),
        b"".join(in_order[:2] + [step(REPLAY, arg=1), step(TAMPER, 37), step(SEND, 1002)]),
        b"".join([step(SEND, 65534), step(SEND, 65535), step(SEND, 0), step(SEND, 1), step(REPLAY, arg=2)]),
        b"".join([step(SEND, 65535), step(CRAFT, 3, arg=1), step(CRAFT, 65533, arg=0), step(SEND, 4)]),
        b"".join([step(SEND, 500, 2), step(SEND, 500, 2), step(TAMPER, 95), step(SEND, 501, 3, 0)]),
    ]


def rtcp_exchanges(aead: bool) -> list[bytes]:
    exchanges = [
        b"".join([step(SEND, flags=f, length=4 * f) for f in range(4)] + [step(REPLAY, arg=2)]),
        b"".join([step(SEND), step(TAMPER, 70), step(SEND), step(CRAFT, 5), step(CRAFT, 5)]),
        b"".join([step(SEND), step(CRAFT, 0xFFFF, arg=0x7F), step(CRAFT, 100), step(SEND, flags=1)]),
    ]
    if aead:  # E=0 under AES-CM is a known disagreement, kept as a regression instead
        exchanges.append(b"".join([step(CRAFT, 9, CLEAR), step(CRAFT, 9, CLEAR), step(SEND)]))
    return exchanges


def scenarios(rtcp: bool, rng: random.Random) -> list[bytes]:
    seeds = []
    for number, profile in enumerate(PROFILES):
        key = profile.master_key if number % 2 == 0 else rng.randbytes(profile.key_length + profile.salt_length)
        for window in range(len(WINDOW_SIZES)):
            exchanges = rtcp_exchanges(profile.aead) if rtcp else rtp_exchanges()
            for repeat in (False, True):
                seeds += [setting(number, window, repeat) + key + e for e in exchanges[repeat::2]]
    return seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"seed {args.seed}")
    for name, rtcp in (("srtp_differential", False), ("srtcp_differential", True)):
        folder = ROOT / "corpora" / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old.is_file():
                old.unlink()
        seeds = scenarios(rtcp, random.Random(args.seed))
        for data in seeds:
            (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
        print(f"{name}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
