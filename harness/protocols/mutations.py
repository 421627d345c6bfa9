"""Field-level mutations shared by the codecs: the lies a peer can tell inside a well-formed message.

Every mutation takes a `random.Random`, so the same code serves the hypothesis strategies
(which draw the Random from `st.randoms()`, so examples shrink) and the atheris custom mutator
(which seeds it from libFuzzer's seed, so runs reproduce). A codec's own `mutate(message,
rng)` picks one field and applies one of these; the target then repairs what the receiver
verifies (CRC32c, FINGERPRINT, MESSAGE-INTEGRITY, SRTP tags) before the component sees it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Generic, Optional, Sequence, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")
M = TypeVar("M")


def boundary_values(bits: int) -> tuple[int, ...]:
    """The values of an unsigned field that parsers get wrong: zero, one, the sign bit, the top."""
    top = (1 << bits) - 1
    half = 1 << (bits - 1)
    return tuple(sorted({0, 1, half - 1, half, top - 1, top}))


def mutate_int(value: int, bits: int, rng: random.Random) -> int:
    """Another value for an unsigned `bits`-wide field: a boundary, a neighbour or anything."""
    top = (1 << bits) - 1
    choice = rng.randrange(3)
    if choice == 0:
        return rng.choice(boundary_values(bits))
    if choice == 1:
        return (value + rng.choice((-1, 1, 4, -4))) & top
    return rng.randint(0, top)


def mutate_bytes(value: bytes, rng: random.Random, *, max_len: int = 1024) -> bytes:
    """Truncated, extended, bit-flipped, emptied or repeated bytes."""
    choice = rng.randrange(6)
    if choice == 0 and value:
        return value[: rng.randrange(len(value))]
    if choice == 1:
        return (value + rng.randbytes(rng.randint(1, 16)))[:max_len]
    if choice == 2 and value:
        position = rng.randrange(len(value))
        flipped = value[position] ^ (1 << rng.randrange(8))
        return value[:position] + bytes([flipped]) + value[position + 1 :]
    if choice == 3:
        return b""
    if choice == 4 and value:
        return (value * rng.randint(2, 4))[:max_len]
    return rng.randbytes(rng.randint(0, min(64, max_len)))


def mutate_items(items: Sequence[T], rng: random.Random, *, new_item: Optional[Callable[[], T]] = None) -> list[T]:
    """A list of attributes, chunks or lines with one item duplicated, dropped, moved or added."""
    result = list(items)
    choice = rng.randrange(5 if new_item else 4)
    if choice == 4 or not result:
        if new_item is not None:
            result.insert(rng.randint(0, len(result)), new_item())
        return result
    position = rng.randrange(len(result))
    if choice == 0:
        result.insert(rng.randint(0, len(result)), result[position])
    elif choice == 1:
        del result[position]
    elif choice == 2:
        result.insert(rng.randint(0, len(result) - 1), result.pop(position))
    else:
        result.reverse()
    return result


def lie_about_length(data: bytes, offset: int, width: int, rng: random.Random) -> bytes:
    """The encoded message with the big-endian length field at `offset` set to another value."""
    if offset + width > len(data):
        return data
    actual = int.from_bytes(data[offset : offset + width], "big")
    lie = mutate_int(actual, width * 8, rng)
    return data[:offset] + lie.to_bytes(width, "big") + data[offset + width :]


def truncate(data: bytes, rng: random.Random) -> bytes:
    """The encoded message cut short, at a random point."""
    return data[: rng.randrange(len(data))] if data else data


@dataclass(frozen=True)
class Codec(Generic[M]):
    """What the engines need of a codec to mutate its messages as structures.

    `parse` raises ValueError on bytes that do not decode; `mutate` applies one field-level
    mutation and returns the encoded bytes (which may no longer decode: a length that lies);
    `splice`, when given, combines the parts of two messages (custom crossover).
    """

    parse: Callable[[bytes], M]
    mutate: Callable[[M, random.Random], bytes]
    splice: Optional[Callable[[M, M, random.Random], bytes]] = None

    def mutator(self, data: bytes, rng: random.Random) -> Optional[bytes]:
        """`data` with one structural mutation, or None when it does not decode (mutate it as bytes)."""
        try:
            message = self.parse(data)
        except ValueError:
            return None
        return self.mutate(message, rng)

    def crossover(self, first: bytes, second: bytes, rng: random.Random) -> Optional[bytes]:
        """The two messages spliced, or None when either does not decode or the codec cannot splice."""
        if self.splice is None:
            return None
        try:
            return self.splice(self.parse(first), self.parse(second), rng)
        except ValueError:
            return None

    def mutated(self, messages: st.SearchStrategy[M]) -> st.SearchStrategy[bytes]:
        """Encoded messages with zero to three stacked mutations (stacking stops once one no longer decodes)."""

        def apply(message: M, rng: random.Random, rounds: int) -> bytes:
            data = bytes(message)  # type: ignore[call-overload]
            for _ in range(rounds):
                mutated = self.mutator(data, rng)
                if mutated is None:
                    break
                data = mutated
            return data

        return st.builds(apply, messages, st.randoms(use_true_random=False), st.integers(0, 3))
