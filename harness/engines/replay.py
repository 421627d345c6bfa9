"""Replay: every file of a corpus through the target, in a worker process, with its verdict.

Pure Python, no atheris. Seeds are expected to be accepted or rejected; the reproducers of
known bugs (corpora/<target>/regressions/) are expected to reproduce their signature, and one
that no longer does is reported as "fixed upstream?".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from harness.bugs import BugStore
from harness.known_bugs import Registry
from harness.target import Target, UsageError
from harness.verdict import ACCEPTED, REJECTED
from harness.worker import IsolatedRunner

REGRESSIONS = "regressions"


@dataclass
class ReplayResult:
    target: str
    files: int = 0
    accepted: int = 0
    rejected: int = 0
    bugs: dict[str, list[str]] = field(default_factory=dict)  # signature -> files
    no_longer_reproducing: list[str] = field(default_factory=list)  # known signatures


def corpus_files(directory: Path) -> list[Path]:
    """The inputs of a corpus folder and its regressions/, sorted; a bad folder is a usage error."""
    if not directory.exists():
        raise UsageError(f"corpus {directory} does not exist")
    if not directory.is_dir():
        raise UsageError(f"corpus {directory} is not a directory")
    try:
        files = [p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".")]
    except OSError as exc:
        raise UsageError(f"corpus {directory} is unreadable: {exc}") from None
    return sorted(files)


def read_input(path: Path) -> bytes:
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path} is unreadable: {exc.strerror}") from None


def replay(
    target: Target,
    runner: IsolatedRunner,
    store: BugStore,
    registry: Registry,
    *,
    corpus: Optional[Path] = None,
    progress: Callable[[str], None] = lambda line: None,
) -> ReplayResult:
    # A corpus named on the command line must exist; a target may have no seeds yet.
    if corpus is None and not target.seed_dir.exists():
        files = []
    else:
        files = corpus_files(corpus or target.seed_dir)
    result = ReplayResult(target.name)
    for number, path in enumerate(files, 1):
        data = read_input(path)
        outcome = runner.run(data)
        result.files += 1
        if outcome.verdict == ACCEPTED:
            result.accepted += 1
        elif outcome.verdict == REJECTED:
            result.rejected += 1
        else:
            assert outcome.signature is not None
            result.bugs.setdefault(outcome.signature, []).append(str(path))
            store.record(target, data, outcome, runner, engine="replay", seed=None)
        if number % 50 == 0 or number == len(files):
            progress(f"[{target.name}] replayed {number}/{len(files)} files, {len(result.bugs)} bug signatures")
    for known in registry.for_target(target.name):
        if known.signature in result.bugs:
            continue
        data = read_input(known.reproducer)
        if runner.run(data).signature != known.signature:
            result.no_longer_reproducing.append(known.signature)
    return result
