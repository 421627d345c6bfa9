"""A broken component that fails in every way the first input byte names (_faulty_component.FAULTS)."""

import _faulty_component

from harness.target import OracleViolation, Target


def echo_is_kept(data: bytes, result: bytes) -> None:
    if data[:1] == b"O":
        raise OracleViolation("echo-kept", "the oracle refuses inputs that start with O")


target = Target(
    name="faulty",
    protocol="TEST",
    component="_faulty_component",
    entry=_faulty_component.parse,
    rejects=(ValueError,),
    instrument=("_faulty_component",),
    oracle=echo_is_kept,
    max_len=64,
)
