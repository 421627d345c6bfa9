"""The shared field-level mutations, on a toy type-length-value codec."""

import random
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.protocols.mutations import (
    Codec,
    boundary_values,
    check_argument,
    lie_about_length,
    mixed,
    mutate_bytes,
    mutate_field,
    mutate_int,
    mutate_items,
    mutate_number,
    splice_fields,
    truncate,
    uint,
)


@dataclass(frozen=True)
class Item:
    kind: int
    value: bytes

    def __bytes__(self) -> bytes:
        return bytes([self.kind, len(self.value)]) + self.value

    @classmethod
    def parse(cls, data: bytes) -> "Item":
        if len(data) < 2 or len(data) != 2 + data[1]:
            raise ValueError("item length is invalid")
        return cls(data[0], data[2:])


def mutate_item(item: Item, rng: random.Random) -> bytes:
    return bytes(Item(mutate_int(item.kind, 8, rng), mutate_bytes(item.value, rng, max_len=200)))


def lying_item(item: Item, rng: random.Random) -> bytes:
    return lie_about_length(bytes(item), 1, 1, rng)


def splice_items(first: Item, second: Item, rng: random.Random) -> bytes:
    return bytes(Item(first.kind, second.value))


CODEC = Codec(parse=Item.parse, mutate=mutate_item, splice=splice_items)
items = st.builds(Item, st.integers(0, 255), st.binary(max_size=20))


def test_boundary_values_of_a_byte():
    assert boundary_values(8) == (0, 1, 127, 128, 254, 255)
    assert boundary_values(1) == (0, 1)


@given(st.integers(0, 0xFFFF), st.randoms(use_true_random=False))
def test_mutate_int_stays_in_the_field(value, rng):
    assert 0 <= mutate_int(value, 16, rng) <= 0xFFFF


def test_mutate_int_reaches_boundaries_and_neighbours():
    rng = random.Random(1)
    seen = {mutate_int(1000, 16, rng) for _ in range(300)}
    assert {0, 0xFFFF, 999, 1001} <= seen


def test_mutate_items_duplicates_drops_moves_and_adds():
    rng = random.Random(2)
    lengths = {len(mutate_items([1, 2, 3], rng, new_item=lambda: 9)) for _ in range(200)}
    assert lengths == {2, 3, 4}
    assert any(9 in mutate_items([1, 2, 3], rng, new_item=lambda: 9) for _ in range(50))
    assert mutate_items([], rng) == []


def test_lie_about_length_changes_only_the_length_field():
    rng = random.Random(3)
    data = bytes(Item(7, b"abcd"))
    lies = {lie_about_length(data, 1, 1, rng) for _ in range(100)}
    assert all(lie[0] == 7 and lie[2:] == b"abcd" for lie in lies)
    assert any(lie[1] != 4 for lie in lies)
    assert lie_about_length(b"\x01", 1, 1, rng) == b"\x01", "a field beyond the end is left alone"


def test_truncate_cuts_short():
    rng = random.Random(4)
    assert all(len(truncate(b"abcdef", rng)) < 6 for _ in range(20))
    assert truncate(b"", rng) == b""


def test_codec_mutator_leaves_undecodable_input_to_byte_mutation():
    rng = random.Random(5)
    assert CODEC.mutator(b"\x01\x09short", rng) is None
    assert CODEC.mutator(bytes(Item(1, b"ok")), rng) is not None


def test_codec_crossover_splices_two_messages_or_declines():
    rng = random.Random(6)
    assert CODEC.crossover(bytes(Item(1, b"a")), bytes(Item(2, b"bb")), rng) == bytes(Item(1, b"bb"))
    assert CODEC.crossover(b"", bytes(Item(2, b"bb")), rng) is None
    assert Codec(parse=Item.parse, mutate=mutate_item).crossover(b"\x01\x00", b"\x01\x00", rng) is None


@settings(max_examples=200)
@given(CODEC.mutated(items))
def test_mutated_messages_are_bytes(data):
    assert isinstance(data, bytes)


def test_mutated_messages_mix_valid_and_mutated_encodings():
    valid, changed = 0, 0

    @settings(max_examples=200, database=None, derandomize=True)
    @given(items, st.data())
    def count(item, data):
        nonlocal valid, changed
        drawn = data.draw(CODEC.mutated(st.just(item)))
        if drawn == bytes(item):
            valid += 1
        else:
            changed += 1

    count()
    assert valid and changed


def test_stacked_mutations_stop_once_a_length_lies():
    codec = Codec(parse=Item.parse, mutate=lying_item)

    @settings(max_examples=100, database=None, derandomize=True)
    @given(codec.mutated(st.just(Item(5, b"xyz"))))
    def lies_at_most_once(data):
        assert data[0] == 5 and data[2:] == b"xyz"

    lies_at_most_once()


def test_check_argument_refuses_like_hypothesis():
    check_argument(True, "fine")
    with pytest.raises(InvalidArgument, match="max_size must"):
        check_argument(False, "max_size must be positive")


def test_mixed_draws_registry_values_and_anything():
    seen: set[int] = set()

    @settings(max_examples=200, database=None, derandomize=True)
    @given(mixed((7, 9), st.integers(100, 200)))
    def collect(value):
        seen.add(value)

    collect()
    assert {7, 9} <= seen and any(100 <= v <= 200 for v in seen)
    anything = st.integers(3, 3)
    assert mixed((), anything) is anything


@dataclass(frozen=True)
class Inner:
    code: int = uint(4, 0)


@dataclass(frozen=True)
class Outer:
    flag: bool = False
    signed: int = uint(8, 0, signed=True)
    registered: int = uint(16, 5, registry=(1000,))
    blob: bytes = field(default=b"abc", metadata={"max_len": 4})
    pairs: tuple[tuple[int, int], ...] = uint(8, (), pairs=True)
    inners: tuple[Inner, ...] = ()
    inner: Inner = Inner()


@dataclass(frozen=True)
class Empty:
    pass


def test_mutate_number_keeps_width_sign_and_uses_the_registry():
    rng = random.Random(7)
    signed = {mutate_number(0, Outer.__dataclass_fields__["signed"].metadata, rng) for _ in range(300)}
    assert all(-128 <= v <= 127 for v in signed) and min(signed) < 0
    registered = {mutate_number(5, Outer.__dataclass_fields__["registered"].metadata, rng) for _ in range(300)}
    assert 1000 in registered and all(0 <= v <= 0xFFFF for v in registered)


def test_mutate_field_changes_one_field_within_its_declaration():
    rng = random.Random(8)
    original = Outer(inners=(Inner(1),))
    for _ in range(500):
        mutated = mutate_field(original, rng, new_item=lambda r: Inner(r.randrange(16)))
        changed = [name for name in Outer.__dataclass_fields__ if getattr(mutated, name) != getattr(original, name)]
        assert len(changed) <= 1
        assert len(mutated.blob) <= 4
        assert all(len(pair) == 2 and all(0 <= v <= 0xFF for v in pair) for pair in mutated.pairs)
        assert 0 <= mutated.inner.code <= 15 and all(isinstance(i, Inner) for i in mutated.inners)


def test_mutate_field_adds_items_and_replaces_fieldless_messages():
    rng = random.Random(9)
    grown = [mutate_field(Outer(), rng, new_item=lambda r: Inner(3)) for _ in range(300)]
    assert any(g.pairs for g in grown), "a list of pairs gains random pairs"
    assert any(Inner(3) in g.inners for g in grown), "a list of messages gains new_item()"
    assert mutate_field(Empty(), rng) == Empty()
    assert mutate_field(Empty(), rng, fieldless=lambda message, r: Inner(2)) == Inner(2)


def test_splice_fields_takes_each_field_from_either_message():
    rng = random.Random(10)
    first, second = Outer(signed=1, blob=b"a"), Outer(signed=2, blob=b"b")
    spliced = {(s.signed, s.blob) for s in (splice_fields(first, second, rng) for _ in range(50))}
    assert spliced == {(1, b"a"), (1, b"b"), (2, b"a"), (2, b"b")}


def test_mutate_field_keeps_to_the_named_fields():
    rng = random.Random(11)
    original = Outer()
    touched = set()
    for _ in range(200):
        mutated = mutate_field(original, rng, names=("signed", "blob"))
        touched |= {name for name in Outer.__dataclass_fields__ if getattr(mutated, name) != getattr(original, name)}
    assert touched == {"signed", "blob"}
