"""A sealed component, repaired (sealed) before each input, guided by a mutator that knows its one structure."""

import random

import _sealed_component

from harness.target import Target


def the_known_structure(data: bytes, rng: random.Random) -> bytes:
    return b"structure"


target = Target(
    name="sealed",
    protocol="TEST",
    component="_sealed_component",
    entry=_sealed_component.open_sealed,
    rejects=(ValueError,),
    instrument=("_sealed_component",),
    repair=_sealed_component.seal,
    mutator=the_known_structure,
    max_len=64,
)
