"""A broken component that fails in every way the first input byte names (faulty_component.FAULTS)."""

import faulty_component

from harness.target import OracleViolation, Target


def echo_is_kept(data: bytes, result: bytes) -> None:
    if data[:1] == b"O":
        raise OracleViolation("the oracle refuses inputs that start with O")


target = Target(
    name="faulty",
    protocol="TEST",
    component="faulty_component",
    entry=faulty_component.parse,
    rejects=(ValueError,),
    instrument=("faulty_component",),
    oracle=echo_is_kept,
    max_len=64,
)
