"""How a fuzzing budget is spread over targets: evenly, or as the targets earn it.

`even` gives each target an equal share of what is left, in turn. `earned` (the default, the
way ClusterFuzz favours the fuzz targets that still make progress) first gives every target a
share of half the budget, then hands the other half out in slices, each to the target whose
last slice earned the most per second: the edges it added to its corpus's coverage, and the new
bug signatures it exposed, each worth BUG_WORTH edges. A target that earned nothing waits until
every target earns nothing; then the one fuzzed least goes next. Each slice continues the
target's corpus, so a slice costs only the start of its processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Protocol

from harness.engines.base import EngineRun
from harness.target import Target

# Under this, starting the target's processes is most of a slice.
MIN_SECONDS_PER_TARGET = 3.0
FIRST_ROUND_SHARE = 0.5  # of the budget, spread evenly before anything is earned
BUG_WORTH = 25  # edges: a new signature counts as much as this much new coverage
SPLITS = ("earned", "even")


class Split(Protocol):
    def next(self, seconds_left: float) -> Optional[tuple[Target, float]]:
        """The next target and its seconds, or None when the budget is spent."""
        ...

    def earned(self, target: Target, run: Optional[EngineRun]) -> None:
        """What the target's slice gave (None: it could not run)."""
        ...


class EvenSplit:
    def __init__(self, targets: list[Target], budget: float) -> None:
        self._waiting = list(targets)

    def next(self, seconds_left: float) -> Optional[tuple[Target, float]]:
        if not self._waiting:
            return None
        share = seconds_left / len(self._waiting)
        return self._waiting.pop(0), max(1.0, share)

    def earned(self, target: Target, run: Optional[EngineRun]) -> None:
        pass


@dataclass
class _Standing:
    seconds: float = 0.0
    rate: float = float("inf")  # what its last slice earned per second; not fuzzed yet: first
    signatures: set[str] = field(default_factory=set)
    runnable: bool = True


class EarnedSplit:
    def __init__(self, targets: list[Target], budget: float) -> None:
        self._first_round = list(targets)
        self._first_share = max(MIN_SECONDS_PER_TARGET, budget * FIRST_ROUND_SHARE / len(targets))
        self._slice = max(MIN_SECONDS_PER_TARGET * 2, budget * (1 - FIRST_ROUND_SHARE) / len(targets))
        self._standing = {target.name: _Standing() for target in targets}
        self._targets = {target.name: target for target in targets}

    def next(self, seconds_left: float) -> Optional[tuple[Target, float]]:
        if self._first_round:
            share = min(self._first_share, seconds_left / len(self._first_round))
            return self._first_round.pop(0), max(1.0, share)
        runnable = [name for name, standing in self._standing.items() if standing.runnable]
        if seconds_left < MIN_SECONDS_PER_TARGET or not runnable:
            return None
        best = max(runnable, key=lambda name: (self._standing[name].rate, -self._standing[name].seconds))
        seconds = seconds_left if seconds_left < 2 * self._slice else self._slice  # no stub of a slice at the end
        return self._targets[best], seconds

    def earned(self, target: Target, run: Optional[EngineRun]) -> None:
        standing = self._standing[target.name]
        if run is None:
            standing.runnable = False
            return
        new = {s for s in run.exposed if s not in run.known_passed_over} - standing.signatures
        standing.signatures |= new
        reward = (run.coverage_gained or 0) + BUG_WORTH * len(new)
        standing.seconds += run.seconds
        standing.rate = reward / run.seconds if run.seconds > 0 else 0.0


def split_named(name: str, targets: list[Target], budget: float) -> Split:
    """The split of that name; one target takes the whole budget in one go, whatever the name."""
    return EarnedSplit(targets, budget) if name == "earned" and len(targets) > 1 else EvenSplit(targets, budget)
