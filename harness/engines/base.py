"""The engine interface: atheris, hypothesis and replay take a campaign and return one result.

The CLI runs every engine the same way, the report has a row for every run, and the
time-to-exposure benchmark reads when each signature was first exposed and how coverage and
the corpus grew, whatever the engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Protocol

from harness import project
from harness.bugs import BugRecord, BugStore
from harness.target import Target
from harness.verdict import ACCEPTED, REJECTED, Outcome
from harness.worker import IsolatedRunner

# A bug found late still gets this long to shrink; one found early, up to the longest.
SHORTEST_MINIMIZATION, LONGEST_MINIMIZATION = 2.0, 60.0


@dataclass
class Campaign:
    """What an engine is asked to do: one target, for a time budget or a number of inputs."""

    target: Target
    runner: IsolatedRunner
    store: BugStore
    workdir: Path
    seed: int
    budget: Optional[float] = None  # seconds
    runs: Optional[int] = None  # inputs, instead of a time budget
    jobs: int = 1
    targets_dir: Path = field(default_factory=lambda: project.current().targets)
    corpus: Optional[Path] = None  # replay's folder, when not the target's seeds
    seeds: Optional[Path] = None  # the target's seed corpus, when not corpora/<target>
    progress: Callable[[str], None] = lambda line: None
    started: float = field(default_factory=time.monotonic)

    @property
    def seed_dir(self) -> Path:
        return self.seeds if self.seeds is not None else self.target.seed_dir

    @property
    def deadline(self) -> Optional[float]:
        return self.started + self.budget if self.budget is not None else None

    def seconds_left(self) -> float:
        deadline = self.deadline
        return float("inf") if deadline is None else deadline - time.monotonic()

    def record(self, data: bytes, outcome: Outcome, *, engine: str, seed: Optional[int]) -> BugRecord:
        """Triage a finding within the budget: minimization takes what is left, within bounds."""
        seconds = min(LONGEST_MINIMIZATION, max(SHORTEST_MINIMIZATION, self.seconds_left()))
        return self.store.record(
            self.target, data, outcome, self.runner, engine=engine, seed=seed, minimize_seconds=seconds
        )


@dataclass
class Sample:
    """One point of a run's curves."""

    seconds: float
    executions: int
    coverage: Optional[int]
    corpus: int
    bugs: int


@dataclass
class EngineRun:
    engine: str
    target: str
    jobs: int
    budget: Optional[float]
    runs: Optional[int]
    seeds: list[int] = field(default_factory=list)  # each job's or batch's own: rerun any of them
    seconds: float = 0.0
    executions: int = 0
    coverage: Optional[int] = None  # libFuzzer's edges of the instrumented modules; None where not measured
    coverage_at_start: Optional[int] = None  # what the corpus reached before this run mutated it
    features: Optional[int] = None
    corpus_files: Optional[int] = None
    accepted: Optional[int] = None  # inputs by verdict, where the engine sees each one
    rejected: Optional[int] = None
    exposed: dict[str, float] = field(default_factory=dict)  # signature -> seconds into the run, first seen
    known_passed_over: list[str] = field(default_factory=list)  # known bugs met and passed over, not recorded
    no_longer_reproducing: list[str] = field(default_factory=list)  # known bugs whose reproducer did not
    unreproduced: list[str] = field(default_factory=list)  # findings that triage could not confirm
    stopped_early: list[str] = field(default_factory=list)  # why a job ended before its budget
    restarts: int = 0
    timeline: list[Sample] = field(default_factory=list)

    @property
    def exec_per_second(self) -> float:
        return self.executions / self.seconds if self.seconds else 0.0

    @property
    def coverage_gained(self) -> Optional[int]:
        """Edges this run added to what its corpus reached when it started."""
        if self.coverage is None or self.coverage_at_start is None:
            return None
        return self.coverage - self.coverage_at_start

    def expose(self, signature: str, started: float) -> None:
        self.exposed.setdefault(signature, time.monotonic() - started)

    def count(self, verdict: str) -> None:
        """One more input run, by its verdict (for an engine that sees every input's)."""
        self.executions += 1
        if verdict == ACCEPTED:
            self.accepted = (self.accepted or 0) + 1
        elif verdict == REJECTED:
            self.rejected = (self.rejected or 0) + 1

    def pass_over(self, signature: str, seconds: float, *, registered: bool) -> None:
        """A bug met and passed over, `seconds` into the run: a registered one, or one this run recorded."""
        if registered and signature not in self.known_passed_over:
            self.known_passed_over.append(signature)
        self.exposed.setdefault(signature, seconds)

    def absorb(self, later: "EngineRun") -> None:
        """Take in a later run of the same engine on the same target (the next slice of a budget):
        its curves continue this run's, in this target's own fuzzing time."""
        offset, executions = self.seconds, self.executions
        self.seeds += later.seeds
        self.budget = None if self.budget is None or later.budget is None else self.budget + later.budget
        self.runs = None if self.runs is None or later.runs is None else self.runs + later.runs
        self.seconds += later.seconds
        self.executions += later.executions
        self.coverage = _most(self.coverage, later.coverage)
        self.features = _most(self.features, later.features)
        self.corpus_files = later.corpus_files if later.corpus_files is not None else self.corpus_files
        self.accepted = _sum(self.accepted, later.accepted)
        self.rejected = _sum(self.rejected, later.rejected)
        for signature, seconds in later.exposed.items():
            self.exposed.setdefault(signature, offset + seconds)
        self.known_passed_over += [s for s in later.known_passed_over if s not in self.known_passed_over]
        self.no_longer_reproducing += [s for s in later.no_longer_reproducing if s not in self.no_longer_reproducing]
        self.unreproduced += later.unreproduced
        self.stopped_early += later.stopped_early
        self.restarts += later.restarts
        for point in later.timeline:
            seconds = offset + point.seconds
            bugs = sum(1 for exposed in self.exposed.values() if exposed <= seconds)
            self.timeline.append(Sample(seconds, executions + point.executions, point.coverage, point.corpus, bugs))

    def summary(self) -> str:
        parts = [f"{self.executions} execs in {self.seconds:.0f} s ({self.exec_per_second:.0f}/s)"]
        if self.coverage is not None:
            parts.append(f"cov {self.coverage}")
        if self.corpus_files is not None:
            parts.append(f"corpus {self.corpus_files}")
        parts.append(f"bugs {len(self.exposed)}")
        if self.known_passed_over:
            parts.append(f"known passed over {len(self.known_passed_over)}")
        return f"[{self.target}] {self.engine} done: " + ", ".join(parts)


def _most(first: Optional[int], second: Optional[int]) -> Optional[int]:
    return second if first is None else first if second is None else max(first, second)


def _sum(first: Optional[int], second: Optional[int]) -> Optional[int]:
    return second if first is None else first if second is None else first + second


class Engine(Protocol):
    name: str

    def jobs_for(self, requested: int) -> int:
        """The processes this engine really runs for `requested` jobs."""
        ...

    def run(self, campaign: Campaign) -> EngineRun: ...
