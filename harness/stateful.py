"""The stateful side of the Target contract: a subject set up once, a conversation of steps per input.

A handshake, an ICE agent or a live session is a state machine (docs/design.md, "Stateful
targets"). Its target's entry point is a `Conversation`: the input, still a byte string, decodes
to a sequence of steps; the subject is set up on first use, reset between inputs where that is
sound (or set up again when there is no sound reset), driven one step at a time, and asked
whether it is still alive. A subject that died, or that an input left in an unknown state (the
input raised), is torn down and set up afresh for the next input. Engines, replay, `repro` and
`minimize` see an ordinary entry point. A model learner does not come through here: it chooses
abstract steps itself, through the mapper the target's steps are played by (for DTLS,
harness.peers.dtls_moves.DtlsSession; harness.learning).

    lock = Conversation(setup=Lock, decode=keys, step=Lock.press, alive=Lock.working, reset=Lock.clear)
    target = Target(name="lock", ..., entry=lock, describe=lock.describe)

`describe` writes the conversation an input decodes to, one step a line, with each step's str:
give steps a str that reads as the action (`press '1'`), so that `repro` prints a case a
maintainer can replay by hand.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Optional, Sequence, TypeVar

from harness.watchdog import InputTimeout

S = TypeVar("S")  # the subject
Step = TypeVar("Step")


@dataclass(frozen=True)
class Transcript:
    """What one conversation did: each step and the subject's answer to it, and whether it lives on."""

    steps: Sequence[Any]
    answers: list[Any]
    alive: bool


@dataclass(eq=False)
class Conversation(Generic[S, Step]):
    setup: Callable[[], S]
    decode: Callable[[bytes], Sequence[Step]]
    step: Callable[[S, Step], Any]
    alive: Callable[[S], bool]
    # Returns the subject to the state setup() leaves it in; None where no reset is sound (an
    # OpenSSL connection cannot be rewound), so every conversation gets a new subject.
    reset: Optional[Callable[[S], None]] = None
    teardown: Callable[[S], None] = lambda subject: None
    setups: int = field(default=0, init=False)  # how often a subject was set up: the cost reuse saves
    _subject: Optional[S] = field(default=None, init=False, repr=False)

    def subject(self) -> S:
        """The subject, ready for a new conversation."""
        if self._subject is not None and self.reset is not None:
            self.reset(self._subject)
            return self._subject
        self.discard()
        self._subject = self.setup()
        self.setups += 1
        return self._subject

    def finish(self) -> bool:
        """After a conversation: whether the subject lives on; a dead one is torn down."""
        alive = self._subject is not None and self.alive(self._subject)
        if not alive:
            self.discard()
        return alive

    def discard(self) -> None:
        """Tear the subject down, if there is one; the next conversation sets up a new one."""
        subject, self._subject = self._subject, None
        if subject is not None:
            self.teardown(subject)

    def describe(self, data: bytes) -> list[str]:
        """The conversation `data` decodes to, in words: each step's str, in order (Target.describe)."""
        steps = [f"{number}. {step}" for number, step in enumerate(self.decode(data), 1)]
        return ["on a subject as setup() leaves it, in order:", *steps] if steps else ["no steps"]

    def __call__(self, data: bytes) -> Transcript:
        steps = self.decode(data)
        subject = self.subject()
        answers = []
        try:
            for step in steps:
                answers.append(self.step(subject, step))
        except (InputTimeout, MemoryError):
            # The worker is replaced after these; tearing down a subject in that state could hang.
            self._subject = None
            raise
        except BaseException:
            with contextlib.suppress(Exception):  # the finding is the input's error, not the teardown's
                self.discard()
            raise
        return Transcript(steps, answers, self.finish())
