"""Replay: every file of a corpus through the target, in a worker process, with its verdict.

Pure Python, no atheris. Seeds are expected to be accepted or rejected; the reproducers of
known bugs (corpora/<target>/regressions/) are expected to reproduce their signature, and one
that no longer does is reported as "fixed upstream?".
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from harness.engines.base import Campaign, EngineRun
from harness.target import UsageError


def corpus_files(directory: Path) -> list[Path]:
    """The inputs of a corpus folder and its regressions/, sorted; a bad folder is a usage error."""
    if not directory.exists():
        raise UsageError(f"corpus {directory} does not exist")
    if not directory.is_dir():
        raise UsageError(f"corpus {directory} is not a directory")
    try:
        os.listdir(directory)  # rglob passes over a folder it cannot read
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


class ReplayEngine:
    name = "replay"

    def jobs_for(self, requested: int) -> int:
        return 1

    def run(self, campaign: Campaign) -> EngineRun:
        target, runner = campaign.target, campaign.runner
        # A corpus named on the command line must hold inputs; a target may have no seeds yet.
        if campaign.corpus is not None:
            files = corpus_files(campaign.corpus)
            if not files:
                raise UsageError(f"corpus {campaign.corpus} holds no inputs")
        elif campaign.seed_dir.exists():
            files = corpus_files(campaign.seed_dir)
        else:
            files = []
        result = EngineRun(self.name, target.name, 1, None, None, accepted=0, rejected=0, corpus_files=len(files))
        for number, path in enumerate(files, 1):
            data = read_input(path)
            outcome = runner.run(data)
            result.count(outcome.verdict)
            if outcome.is_bug:
                record = campaign.record(data, outcome, engine=self.name, seed=None)
                result.expose(record.signature, campaign.started)
            if number % 50 == 0 or number == len(files):
                campaign.progress(
                    f"[{target.name}] replayed {number}/{len(files)} files, {len(result.exposed)} bug signatures"
                )
        for known in campaign.store.registry.for_target(target.name):
            if known.signature in result.exposed:
                continue
            if runner.run(read_input(known.reproducer)).signature != known.signature:
                result.no_longer_reproducing.append(known.signature)
        result.seconds = time.monotonic() - campaign.started
        return result


ENGINE = ReplayEngine()
