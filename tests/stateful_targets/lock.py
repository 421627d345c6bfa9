"""A combination lock driven by a conversation of key presses: the stateful side of the contract."""

import _lock_component

from harness.stateful import Conversation
from harness.target import Target

target = Target(
    name="lock",
    protocol="TEST",
    component="_lock_component",
    entry=Conversation(
        setup=_lock_component.Lock,
        decode=bytes,  # each octet is one key press
        step=_lock_component.Lock.press,
        alive=_lock_component.Lock.working,
        reset=_lock_component.Lock.clear,
    ),
    rejects=(),
    instrument=("_lock_component",),
    max_len=32,
)
