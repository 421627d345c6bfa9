"""Property-based fuzzing: the target's strategy (binary by default) as a hypothesis property.

Each example runs through an IsolatedRunner, so the property survives hangs and signals like
the other engines; hypothesis shrinks a failing example before the harness records it. The
property is an ordinary hypothesis test, so pytest can call it too.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Collection, Optional

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from harness.bugs import BugStore
from harness.target import Target
from harness.verdict import Outcome
from harness.worker import IsolatedRunner

BATCH = 200  # examples per seeded batch when fuzzing for a time budget


class BugFound(AssertionError):
    def __init__(self, data: bytes, outcome: Outcome) -> None:
        super().__init__(outcome.describe())
        self.data = data
        self.outcome = outcome


def strategy_of(target: Target) -> Any:
    return target.strategy() if target.strategy else st.binary(max_size=target.max_len)


def target_property(
    target: Target, run: Callable[[bytes], Outcome], known: Collection[str] = ()
) -> Callable[..., None]:
    """A hypothesis test: no input drawn from the target's strategy gives a new bug."""

    @given(strategy_of(target))
    def no_new_bug(data: bytes) -> None:
        outcome = run(data)
        if outcome.is_bug and outcome.signature not in known:
            raise BugFound(data, outcome)

    return no_new_bug


def fuzz(
    target: Target,
    *,
    runner: IsolatedRunner,
    store: BugStore,
    seed: int,
    database: Path,
    budget: Optional[float],
    runs: Optional[int],
    progress: Callable[[str], None] = lambda line: None,
) -> list[str]:
    """Run seeded batches until the budget or run count is spent; return new signatures."""
    found: list[str] = []
    start = time.monotonic()
    done = 0
    batch = 0
    while True:
        examples = min(BATCH, runs - done) if runs else BATCH
        if examples <= 0 or (budget is not None and time.monotonic() - start >= budget):
            break
        known = set(store.records) | {bug.signature for bug in store.registry.bugs}
        test = settings(
            max_examples=examples,
            database=DirectoryBasedExampleDatabase(str(database / target.name)),
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )(hypothesis_seed(seed + batch)(target_property(target, runner.run, known)))
        try:
            test()
        except BugFound as bug:
            record = store.record(target, bug.data, bug.outcome, runner, engine="hypothesis", seed=seed + batch)
            found.append(record.signature)
        done += examples
        batch += 1
        progress(f"[{target.name}] hypothesis: {done} examples, {len(found)} new signature(s)")
    return found
