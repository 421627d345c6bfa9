"""A deliberately broken "component": the first byte of the input picks how it misbehaves.

It exists to prove that the harness survives every way a target can fail, and classifies each
as its own bug kind with a frame inside the component.
"""

import ctypes
import hashlib
import os
import random
import time

FAULTS = {
    b"V": "rejects",  # the documented refusal
    b"K": "exception",
    b"H": "hang",
    b"L": "hang in a loop that calls a helper",
    b"A": "abort",
    b"N": "null read",
    b"M": "memory",
    b"R": "recursion",
    b"X": "os._exit",
    b"S": "sys.exit",
    b"O": "oracle",
    b"D": "fails when `random` is not in the state every input starts from",
}


# What `random` draws first in a fresh process seeded as the harness seeds it before every input.
random.seed(0)
FRESH_DRAW = random.random()

# A hang in C costs the whole backstop; keyed by a digest, so that a fuzzer never finds it.
HANG_IN_C_SHA1 = hashlib.sha1(b"hang in C").digest()


def step(position: int) -> int:
    return position  # never advances: the caller loops for ever


def spin() -> None:
    position = 0
    while True:
        position = step(position)


def recurse(depth: int) -> int:
    return recurse(depth + 1) + 1


def parse(data: bytes) -> bytes:
    head = data[:1]
    if head == b"V":
        raise ValueError("refused, as documented")
    if head == b"K":
        raise KeyError("an undocumented exception")
    if head == b"D" and random.random() != FRESH_DRAW:
        raise LookupError("random was not where every input starts")
    if head == b"H":
        while True:
            pass
    if head == b"L":
        spin()
    if hashlib.sha1(data).digest() == HANG_IN_C_SHA1:
        time.sleep(3600)  # one C call: the watchdog cannot interrupt it
    if head == b"A":
        os.abort()
    if head == b"N":
        ctypes.string_at(0)
    if head == b"M":
        return b"\x01" * (3 << 30)
    if head == b"R":
        recurse(0)
    if head == b"X":
        os._exit(3)
    if head == b"S":
        raise SystemExit(4)
    return data
