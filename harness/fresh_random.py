"""Every input starts from the same state of `random`, in every process that runs inputs.

A component's own random choices (a transaction ID, a verification tag) then repeat input after
input, so a finding that depends on them reproduces at triage. Setting the state back costs more
than many inputs take to run, so it is done only after an input that drew from it: the
module-level functions of `random` are rebound, before any component is imported, to an
instance that notes each draw (and a seed() or setstate()). Every other method of Random draws through `random()` or
`getrandbits()`. The sequence drawn is the one `random.seed(0)` gives.
"""

from __future__ import annotations

import random

FRESH_SEED = 0


class _NotedRandom(random.Random):
    """Notes what moves its state: a draw, and a component's own seed() or setstate()."""

    drawn = False

    def seed(self, *args: object, **kwargs: object) -> None:
        self.drawn = True
        super().seed(*args, **kwargs)  # type: ignore[arg-type]

    def setstate(self, state: tuple[object, ...]) -> None:
        self.drawn = True
        super().setstate(state)

    def random(self) -> float:
        self.drawn = True
        return super().random()

    def getrandbits(self, k: int) -> int:
        self.drawn = True
        return super().getrandbits(k)


NOTED = _NotedRandom(FRESH_SEED)  # `if NOTED.drawn: restore()`, an attribute read per input
_FRESH_STATE = NOTED.getstate()
for _name, _function in list(vars(random).items()):
    if getattr(_function, "__self__", None) is random._inst:  # type: ignore[attr-defined]
        setattr(random, _name, getattr(NOTED, _name))
random._inst = NOTED  # type: ignore[attr-defined]


def restore() -> None:
    """Put `random` back where every input starts."""
    NOTED.setstate(_FRESH_STATE)
    NOTED.drawn = False
