"""A combination lock driven by a conversation of key presses: the stateful side of the contract."""

import _lock_component

from harness.stateful import Conversation
from harness.target import Target


class Key(int):
    """One key press, an octet of the input; its str is the step as `repro` describes it."""

    def __str__(self) -> str:
        return f"press {chr(self)!r}"


def keys(data: bytes) -> list[Key]:
    return [Key(octet) for octet in data]  # each octet is one key press


conversation = Conversation(
    setup=_lock_component.Lock,
    decode=keys,
    step=_lock_component.Lock.press,
    alive=_lock_component.Lock.working,
    reset=_lock_component.Lock.clear,
)

target = Target(
    name="lock",
    protocol="TEST",
    component="_lock_component",
    entry=conversation,
    rejects=(),
    instrument=("_lock_component",),
    max_len=32,
    describe=conversation.describe,
)
