"""Coverage-guided fuzzing: libFuzzer through atheris, one child process per core.

The parent starts `jobs` children (harness.engines.atheris_child) that share one growing
corpus folder, shows their progress, and triages every artifact they leave through the
worker process: same signature, same bug. A child that stops on a bug is started again
(next seed, same corpus) until the budget is spent, the new signature now on its skip list.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Optional

from harness.bugs import BugStore, atomic_write
from harness.engines.replay import read_input
from harness.target import ROOT, TARGETS_DIR, Target, UsageError
from harness.worker import BACKSTOP_GRACE, IsolatedRunner

_ARTIFACT = re.compile(r"Test unit written to (\S+)")
_STATUS = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/")
_EXECUTED = re.compile(r"^stat::number_of_executed_units: (\d+)")
MAX_FAILED_STARTS = 3  # children that end with neither a bug nor their budget spent
# A hang, signal or exit cannot be passed over inside the child as an exception can; when
# restarts keep finding only such known bugs, the job stops instead of spinning.
MAX_STALE_RESTARTS = 5


@dataclass
class FuzzResult:
    target: str
    seed: int
    jobs: int
    seconds: float = 0.0
    executions: int = 0
    coverage: int = 0  # libFuzzer's "cov": edges of the instrumented modules
    features: int = 0
    corpus_files: int = 0
    restarts: int = 0
    signatures: list[str] = field(default_factory=list)  # bugs found, in order
    stopped_early: list[str] = field(default_factory=list)  # why a job ended before its budget
    unreproduced: list[str] = field(default_factory=list)  # artifacts the worker did not confirm

    @property
    def exec_per_second(self) -> float:
        return self.executions / self.seconds if self.seconds else 0.0


class _Child:
    """One libFuzzer process and the thread that reads its status lines."""

    def __init__(self, command: list[str], log: Path, seed: int) -> None:
        self.log_path = log
        self.seed = seed
        self.executions = 0
        self.final_executions: Optional[int] = None
        self.artifact: Optional[Path] = None
        self.coverage = self.features = self.corpus = 0
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
        self._reader = threading.Thread(target=self._read, args=(self.proc.stderr,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[bytes]) -> None:
        with self.log_path.open("wb") as log:
            for raw in stream:
                log.write(raw)
                line = raw.decode("utf-8", "replace")
                status = _STATUS.match(line)
                if status:
                    self.executions = int(status[1])
                    self.coverage = max(self.coverage, int(status[2]))
                    self.features = max(self.features, int(status[3]))
                    self.corpus = int(status[4])
                artifact = _ARTIFACT.search(line)
                if artifact:
                    self.artifact = Path(artifact[1])
                executed = _EXECUTED.match(line)
                if executed:
                    self.final_executions = int(executed[1])

    def finish(self) -> int:
        status = self.proc.wait()
        self._reader.join()
        if self.final_executions is not None:
            self.executions = self.final_executions
        return status

    def tail(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def fuzz(
    target: Target,
    *,
    workdir: Path,
    store: BugStore,
    runner: IsolatedRunner,
    seed: int,
    budget: Optional[float],
    runs: Optional[int] = None,
    jobs: int = 1,
    targets_dir: Path = TARGETS_DIR,
    progress: Callable[[str], None] = lambda line: None,
) -> FuzzResult:
    if budget is None and runs is None:
        raise UsageError("fuzzing needs a budget (seconds) or a run count")
    corpus = workdir / "corpus" / target.name
    artifacts = workdir / "artifacts" / target.name
    logs = workdir / "logs"
    for folder in (corpus, artifacts, logs):
        folder.mkdir(parents=True, exist_ok=True)
    skip_file = workdir / "skip" / f"{target.name}.txt"
    _write_skip_list(skip_file, store)
    dictionary = targets_dir / f"{target.name}.dict"
    result = FuzzResult(target.name, seed, jobs)
    start = time.monotonic()
    deadline = start + budget if budget is not None else None
    runs_left = {job: runs // jobs + (1 if job < runs % jobs else 0) for job in range(jobs)} if runs else {}
    restarts = {job: 0 for job in range(jobs)}
    failed_starts = 0
    stale = {job: 0 for job in range(jobs)}
    done_executions = 0

    def spawn(job: int) -> _Child:
        child_seed = seed + job + jobs * restarts[job]
        args = [
            sys.executable,
            "-m",
            "harness.engines.atheris_child",
            target.name,
            str(targets_dir),
            str(skip_file),
            str(runner.timeout),
            f"-seed={child_seed}",
            f"-timeout={max(1, int(runner.timeout + BACKSTOP_GRACE))}",
            f"-rss_limit_mb={runner.rss_limit_mb}",
            f"-max_len={target.max_len}",
            f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1",
        ]
        if deadline is not None:
            args.append(f"-max_total_time={max(1, int(deadline - time.monotonic()))}")
        if runs:
            args.append(f"-runs={runs_left[job]}")
        if dictionary.exists():
            args.append(f"-dict={dictionary}")
        args.append(str(corpus))
        if target.seed_dir.is_dir():
            args.append(str(target.seed_dir))
        log = logs / f"{target.name}-seed{child_seed}.log"
        return _Child(args, log, child_seed)

    children = {job: spawn(job) for job in range(jobs)}
    last_report = start
    while children:
        time.sleep(0.2)
        now = time.monotonic()
        if now - last_report >= 2.0:
            last_report = now
            live = sum(c.executions for c in children.values())
            execs = done_executions + live
            cov = max([result.coverage] + [c.coverage for c in children.values()])
            corp = max(c.corpus for c in children.values())
            progress(
                f"[{target.name}] {now - start:5.0f}s  execs {execs}  exec/s {execs / (now - start):.0f}"
                f"  cov {cov}  corpus {corp}  bugs {len(result.signatures)}"
            )
        for job, child in list(children.items()):
            if child.proc.poll() is None:
                if deadline is not None and now > deadline + 30:
                    child.proc.kill()  # libFuzzer overran its -max_total_time
                continue
            status = child.finish()
            del children[job]
            done_executions += child.executions
            result.coverage = max(result.coverage, child.coverage)
            result.features = max(result.features, child.features)
            if runs:
                runs_left[job] = max(0, runs_left[job] - child.executions)
            if child.artifact is not None:
                before = len(store.records)
                # Jobs that hit the same input write the same crash-<sha1>: the first one triaged takes it.
                if child.artifact.exists():
                    _triage(child.artifact, target, runner, store, result, seed=child.seed)
                stale[job] = 0 if len(store.records) > before else stale[job] + 1
                if stale[job] >= MAX_STALE_RESTARTS:
                    result.stopped_early.append(
                        f"job {job}: only known bugs that cannot be passed over, {stale[job]} restarts in a row"
                    )
                    continue
            elif status != 0:
                failed_starts += 1
                if failed_starts >= MAX_FAILED_STARTS:
                    last = child.tail(1) or "no output"
                    raise UsageError(
                        f"fuzzing {target.name} failed to run (status {status}): {last} (log: {child.log_path})"
                    )
            time_left = deadline is None or deadline - time.monotonic() >= 1.0
            more_runs = not runs or runs_left[job] > 0
            if status != 0 and time_left and more_runs:
                _write_skip_list(skip_file, store)
                restarts[job] += 1
                result.restarts += 1
                children[job] = spawn(job)
    result.seconds = time.monotonic() - start
    result.executions = done_executions
    result.corpus_files = sum(1 for p in corpus.iterdir() if p.is_file())
    return result


def _write_skip_list(path: Path, store: BugStore) -> None:
    """The signatures a child passes over: the registry's and this run's."""
    signatures = set(store.records) | {bug.signature for bug in store.registry.bugs}
    atomic_write(path, "\n".join(sorted(signatures)).encode())


def _triage(
    artifact: Path, target: Target, runner: IsolatedRunner, store: BugStore, result: FuzzResult, *, seed: int
) -> None:
    data = read_input(artifact)
    outcome = runner.run(data)
    if not outcome.is_bug:
        result.unreproduced.append(f"{artifact} ({outcome.verdict} in the worker)")
        return
    record = store.record(target, data, outcome, runner, engine="atheris", seed=seed)
    if record.signature not in result.signatures:
        result.signatures.append(record.signature)
    os.unlink(artifact)  # kept as the bug's input file; the artifact folder stays small
