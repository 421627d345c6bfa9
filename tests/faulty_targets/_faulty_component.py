"""A deliberately broken "component": the first byte of the input picks how it misbehaves.

It exists to prove that the harness survives every way a target can fail, and classifies each
as its own bug kind with a frame inside the component.
"""

import ctypes
import os

FAULTS = {
    b"V": "rejects",  # the documented refusal
    b"K": "exception",
    b"H": "hang",
    b"A": "abort",
    b"N": "null read",
    b"M": "memory",
    b"R": "recursion",
    b"X": "os._exit",
    b"S": "sys.exit",
    b"O": "oracle",
}


def recurse(depth: int) -> int:
    return recurse(depth + 1) + 1


def parse(data: bytes) -> bytes:
    head = data[:1]
    if head == b"V":
        raise ValueError("refused, as documented")
    if head == b"K":
        raise KeyError("an undocumented exception")
    if head == b"H":
        while True:
            pass
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
