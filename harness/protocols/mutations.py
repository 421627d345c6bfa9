"""Field-level mutations shared by the codecs: the lies a peer can tell inside a well-formed message.

Every mutation takes a `random.Random`, so the same code serves the hypothesis strategies
(which draw the Random from `st.randoms()`, so examples shrink) and the atheris custom mutator
(which seeds it from libFuzzer's seed, so runs reproduce). A codec's own `mutate(message,
rng)` picks one field and applies one of these; the target then repairs what the receiver
verifies (CRC32c, FINGERPRINT, MESSAGE-INTEGRITY, SRTP tags) before the component sees it.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Any, Callable, Generic, Mapping, Optional, Sequence, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

T = TypeVar("T")
M = TypeVar("M")
D = TypeVar("D")
# Mutated byte fields stay this short unless a field says otherwise: past a datagram they only slow fuzzing.
MAX_MUTATED_BYTES = 1024


def check_argument(condition: bool, message: str) -> None:
    """Refuse a bad strategy argument the way hypothesis' own strategies do."""
    if not condition:
        raise InvalidArgument(message)


def mixed(registry: Sequence[T], anything: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Registry values of the protocol, or anything."""
    return st.one_of(st.sampled_from(list(registry)), anything) if registry else anything


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


# -- metadata-driven mutation of dataclass fields --


def uint(
    bits: int,
    default: Any = dataclasses.MISSING,
    *,
    signed: bool = False,
    registry: Sequence[int] = (),
    pairs: bool = False,
) -> Any:
    """A dataclass field of `bits`-wide integers (or a tuple of them, or of pairs of them with `pairs`).

    `mutate_field` keeps its values within the width (two's complement when `signed`) and now and
    then picks one of the protocol's `registry` values.
    """
    return dataclasses.field(
        default=default, metadata={"bits": bits, "signed": signed, "registry": tuple(registry), "pairs": pairs}
    )


def mutate_number(value: int, metadata: Mapping[str, Any], rng: random.Random) -> int:
    """Another value for an integer field described by `uint` metadata (16 bits wide when undeclared)."""
    registry = metadata.get("registry", ())
    if registry and rng.randrange(3) == 0:
        return int(rng.choice(registry))
    bits = metadata.get("bits", 16)
    if not metadata.get("signed"):
        return mutate_int(value, bits, rng)
    mutated = mutate_int(value % (1 << bits), bits, rng)
    return mutated - (1 << bits) if mutated >= 1 << (bits - 1) else mutated


NewItem = Optional[Callable[[random.Random], Any]]
Fieldless = Optional[Callable[[Any, random.Random], Any]]


def _mutate_value(
    value: Any, metadata: Mapping[str, Any], rng: random.Random, new_item: NewItem, fieldless: Fieldless
) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return mutate_number(value, metadata, rng)
    if isinstance(value, bytes):
        return mutate_bytes(value, rng, max_len=metadata.get("max_len", MAX_MUTATED_BYTES))
    if isinstance(value, (tuple, list)):
        return type(value)(_mutate_sequence(tuple(value), metadata, rng, new_item, fieldless))
    if dataclasses.is_dataclass(value):
        return mutate_field(value, rng, new_item=new_item, fieldless=fieldless)
    return value  # None: the codec's own mutations add optional parts


def _mutate_sequence(
    value: tuple[Any, ...], metadata: Mapping[str, Any], rng: random.Random, new_item: NewItem, fieldless: Fieldless
) -> tuple[Any, ...]:
    """One item changed in place, or items duplicated, dropped, moved, reversed or added."""
    if value and rng.randrange(2):
        position = rng.randrange(len(value))
        item = value[position]
        if isinstance(item, tuple):  # a record of fixed arity, such as a (start, end) pair: one member changes
            member = rng.randrange(len(item))
            changed = _mutate_value(item[member], metadata, rng, new_item, fieldless)
            item = item[:member] + (changed,) + item[member + 1 :]
        else:
            item = _mutate_value(item, metadata, rng, new_item, fieldless)
        return value[:position] + (item,) + value[position + 1 :]
    bits = metadata.get("bits", 16)
    template = value[0] if value else (0, 0) if metadata.get("pairs") else 0 if "bits" in metadata else None
    make: Optional[Callable[[], Any]] = None
    if isinstance(template, tuple):
        make = lambda: tuple(rng.getrandbits(bits) for _ in template)  # noqa: E731
    elif isinstance(template, int) and not isinstance(template, bool):
        make = lambda: rng.getrandbits(bits)  # noqa: E731
    elif new_item is not None:
        make = lambda: new_item(rng)  # noqa: E731
    return tuple(mutate_items(value, rng, new_item=make))


def mutate_field(
    message: D,
    rng: random.Random,
    *,
    names: Optional[Sequence[str]] = None,
    new_item: NewItem = None,
    fieldless: Fieldless = None,
) -> D:
    """`message` (a dataclass) with one field changed, descending into nested messages and lists.

    The field is one of `names` when given, else any. Integers follow their `uint` metadata, bytes
    their "max_len" metadata; lists of integers gain random items, lists of messages gain
    `new_item(rng)` (when given); a message without fields becomes `fieldless(message, rng)` (when
    given, else it stays as it is). The message itself is left as it was.
    """
    choices = [f for f in dataclasses.fields(message) if names is None or f.name in names]  # type: ignore[arg-type]
    if not choices:
        return fieldless(message, rng) if fieldless is not None else message  # type: ignore[no-any-return]
    chosen = rng.choice(choices)
    value = _mutate_value(getattr(message, chosen.name), chosen.metadata, rng, new_item, fieldless)
    return dataclasses.replace(message, **{chosen.name: value})  # type: ignore[type-var]


def splice_fields(first: D, second: D, rng: random.Random) -> D:
    """Each field from one of two messages of the same type."""
    changes = {f.name: getattr(second, f.name) for f in dataclasses.fields(second) if rng.randrange(2)}  # type: ignore[arg-type]
    return dataclasses.replace(first, **changes)  # type: ignore[type-var]


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
