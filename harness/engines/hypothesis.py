"""Property-based fuzzing: the target's strategy (binary by default) as a hypothesis property.

Each example runs through an IsolatedRunner, so the property survives hangs and signals like
the other engines; the harness's own minimizer shrinks a failing example within the budget, as
it does for atheris' findings. The property is an ordinary hypothesis test, so pytest can call
it too.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Collection

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

from harness.engines.base import Campaign, EngineRun, Sample
from harness.target import Target
from harness.verdict import Outcome

BATCH = 100  # examples per seeded batch: a point of the curves, and a seed to rerun


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


class BudgetSpent(Exception):
    """Ends a batch at the deadline, whatever example hypothesis is on."""


class HypothesisEngine:
    name = "hypothesis"

    def jobs_for(self, requested: int) -> int:
        return 1  # hypothesis runs its examples one after another, in one process

    def run(self, campaign: Campaign) -> EngineRun:
        """Seeded batches until the budget or the run count is spent."""
        target, store = campaign.target, campaign.store
        home = campaign.workdir / "hypothesis"
        set_hypothesis_home_dir(str(home))  # not .hypothesis/ in whatever folder the run started in
        result = EngineRun(self.name, target.name, 1, campaign.budget, campaign.runs, accepted=0, rejected=0)
        deadline = campaign.deadline
        known: set[str] = set()  # the registry's and this run's, as each batch starts

        def run(data: bytes) -> Outcome:
            if deadline is not None and time.monotonic() >= deadline:
                raise BudgetSpent()
            outcome = campaign.runner.run(data)
            result.count(outcome.verdict)
            signature = outcome.signature
            if signature is not None and signature in known:
                result.pass_over(signature, time.monotonic() - campaign.started, registered=signature in store.registry)
            return outcome

        batch = 0
        while True:
            examples = min(BATCH, campaign.runs - result.executions) if campaign.runs else BATCH
            if examples <= 0 or campaign.seconds_left() <= 0:
                break
            known.clear()
            known.update(store.skip_list())
            seed = campaign.seed + batch
            result.seeds.append(seed)
            test = settings(
                max_examples=examples,
                database=DirectoryBasedExampleDatabase(str(home / target.name)),
                deadline=None,
                derandomize=False,
                suppress_health_check=list(HealthCheck),
                report_multiple_bugs=False,
                # The harness's own minimizer shrinks a bug, within the budget, as for every engine.
                phases=[Phase.explicit, Phase.reuse, Phase.generate],
                verbosity=Verbosity.quiet,
            )(hypothesis_seed(seed)(target_property(target, run, known)))
            try:
                test()
            except BugFound as bug:
                record = campaign.record(bug.data, bug.outcome, engine=self.name, seed=seed)
                result.expose(record.signature, campaign.started)
            except BudgetSpent:
                pass
            batch += 1
            now = time.monotonic() - campaign.started
            result.timeline.append(Sample(now, result.executions, None, 0, len(result.exposed)))
            campaign.progress(
                f"[{target.name}] hypothesis: {result.executions} examples, {len(result.exposed)} signature(s)"
            )
        result.seconds = time.monotonic() - campaign.started
        return result


ENGINE = HypothesisEngine()
