"""Validation by assert: every corpus replayed with assert statements removed (python -O), each changed verdict.

A component that validates its input with `assert` validates nothing under `python -O`, which
deployments use: a malformed SDP line that fails an assert (AssertionError, itself a registered
bug where the caller expects ValueError) may then be accepted, or fail later and elsewhere. This
replays each stateless target's corpus (its seeds and regressions) in two workers, one with the
interpreter's defaults and one under -O, and lists every input whose verdict differs. The changes
the pinned stack is known to make are data (the project's known_assert_validation.toml: target, input, both
verdicts, reason);
tests/test_optimized.py and `python -m harness replay --optimized` fail on any other, and on a
recorded one that no longer happens.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from harness import project
from harness.engines.replay import corpus_files
from harness.stateful import Conversation
from harness.target import Target, UsageError
from harness.verdict import Outcome
from harness.worker import IsolatedRunner

OPTIMIZED = ("-O",)


@dataclass(frozen=True)
class Change:
    target: str
    input: str  # the file, relative to the project when it is in it
    plain: str  # the verdict as the interpreter runs it by default: "accepted", "rejected", or the signature
    optimized: str  # the verdict under -O

    def __str__(self) -> str:
        return f"{self.target} {self.input}: {self.plain} -> under -O {self.optimized}"


def verdict_of(outcome: Outcome) -> str:
    return outcome.signature or outcome.verdict


def stateless(targets: list[Target]) -> list[Target]:
    """The targets a single input drives from scratch (a conversation's subject may carry state across inputs)."""
    return [t for t in targets if not isinstance(t.entry, Conversation)]


def changes(target: Target, corpus: Path, *, targets_dir: Optional[Path] = None) -> list[Change]:
    """Every input of `corpus` whose verdict under -O is not its verdict by default."""
    files = corpus_files(corpus) if corpus.exists() else []
    found = []
    with (
        IsolatedRunner(target, targets_dir=targets_dir) as plain,
        IsolatedRunner(target, targets_dir=targets_dir, python_options=OPTIMIZED) as optimized,
    ):
        for path in files:
            data = path.read_bytes()
            before, after = verdict_of(plain.run(data)), verdict_of(optimized.run(data))
            if before != after:
                found.append(Change(target.name, project.current().shown(path), before, after))
    return found


def known(path: Optional[Path] = None) -> dict[tuple[str, str], tuple[Change, str]]:
    """The recorded changes, by (target, input), each with its reason; UsageError with one line when unreadable."""
    path = path or project.current().known_assert_validation
    try:
        entries = tomllib.loads(path.read_text()).get("change", []) if path.exists() else []
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path} is unreadable: {exc}") from None
    recorded = {}
    for entry in entries:
        change = Change(entry["target"], entry["input"], entry["plain"], entry["optimized"])
        recorded[(change.target, change.input)] = (change, entry["reason"])
    return recorded
