"""A component that never misbehaves: the run goes on to it after the faulty one."""

from harness.target import Target

target = Target(
    name="calm",
    protocol="TEST",
    component="_faulty_component",
    entry=bytes,
    rejects=(ValueError,),
    instrument=("_faulty_component",),
)
