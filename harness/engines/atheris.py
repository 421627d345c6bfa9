"""Coverage-guided fuzzing: libFuzzer through atheris, one child process per core.

The parent starts `jobs` children (harness.engines.atheris_child) that share one growing
corpus folder, shows their progress, and triages every artifact they leave through the
worker process: same signature, same bug. A child that stops on a bug is started again
(next seed, same corpus) until the budget is spent, the new signature now on its skip list.
At the deadline the parent interrupts the children that are still running (libFuzzer's own
-max_total_time starts only once a child has imported and instrumented its target).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Optional

from harness import project
from harness.bugs import BugStore, atomic_write
from harness.engines.base import Campaign, EngineRun, Sample
from harness.engines.replay import read_input
from harness.target import UsageError
from harness.worker import BACKSTOP_GRACE

_ARTIFACT = re.compile(r"Test unit written to (\S+)")
_STATUS = re.compile(r"^#(\d+)\s")  # "#4096 pulse  cov: 17 ft: 20 corp: 4/9b ...", cov and corp where known
_COVERAGE = re.compile(r" cov: (\d+) ft: (\d+)")
_CORPUS = re.compile(r" corp: (\d+)/")
_EXECUTED = re.compile(r"^stat::number_of_executed_units: (\d+)")
_PASSED_OVER = re.compile(r"^harness: passed over known bug (\S+)")
MAX_FAILED_STARTS = 3  # children that end with neither a bug nor their budget spent
# A hang, signal or exit cannot be passed over inside the child as an exception can; when
# restarts keep finding only such known bugs, the job stops instead of spinning.
MAX_STALE_RESTARTS = 5


INTERRUPT_GRACE = 5.0  # seconds a child may take to print its final stats once interrupted
SAMPLE_EVERY = 1.0  # seconds between two points of the curves


class _Child:
    """One libFuzzer process and the thread that reads its status lines."""

    def __init__(self, command: list[str], log: Path, seed: int) -> None:
        self.log_path = log
        self.seed = seed
        self.executions = 0
        self.final_executions: Optional[int] = None
        self.artifact: Optional[Path] = None
        self.artifact_seen = 0.0  # time.monotonic() when the artifact was announced
        self.passed_over: dict[str, float] = {}  # known signature -> time.monotonic() when first met
        self.coverage = self.features = self.corpus = 0
        self.inited_coverage: Optional[int] = None  # what the corpus reached when libFuzzer had loaded it
        self.interrupted = False
        # The worker's hash seed too, so that a finding that depends on the order of a set reproduces at triage.
        env = dict(os.environ, PYTHONHASHSEED="0")
        self.proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=project.HARNESS_SOURCE, env=env
        )
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
                    coverage = _COVERAGE.search(line)
                    if coverage and self.inited_coverage is None and "INITED" in line:
                        self.inited_coverage = int(coverage[1])
                    if coverage:
                        self.coverage = max(self.coverage, int(coverage[1]))
                        self.features = max(self.features, int(coverage[2]))
                    corpus = _CORPUS.search(line)
                    if corpus:
                        self.corpus = int(corpus[1])
                artifact = _ARTIFACT.search(line)
                if artifact:
                    self.artifact = Path(artifact[1])
                    self.artifact_seen = time.monotonic()
                passed_over = _PASSED_OVER.match(line)
                if passed_over:
                    self.passed_over.setdefault(passed_over[1], time.monotonic())
                executed = _EXECUTED.match(line)
                if executed:
                    self.final_executions = int(executed[1])

    def interrupt(self) -> None:
        """libFuzzer's SIGINT handler prints the final stats and exits."""
        if not self.interrupted:
            self.interrupted = True
            self.proc.send_signal(signal.SIGINT)

    def finish(self) -> int:
        status = self.proc.wait()
        self._reader.join()
        if self.final_executions is not None:
            self.executions = self.final_executions
        return status

    def tail(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


class AtherisEngine:
    name = "atheris"

    def jobs_for(self, requested: int) -> int:
        return requested

    def run(self, campaign: Campaign) -> EngineRun:
        target, store, runs, jobs = campaign.target, campaign.store, campaign.runs, campaign.jobs
        if campaign.budget is None and runs is None:
            raise UsageError("fuzzing needs a budget (seconds) or a run count")
        corpus = campaign.workdir / "corpus" / target.name
        artifacts = campaign.workdir / "artifacts" / target.name
        logs = campaign.workdir / "logs"
        for folder in (corpus, artifacts, logs):
            folder.mkdir(parents=True, exist_ok=True)
        skip_file = campaign.workdir / "skip" / f"{target.name}.txt"
        _write_skip_list(skip_file, store)
        dictionary = campaign.targets_dir / f"{target.name}.dict"
        result = EngineRun(self.name, target.name, jobs, campaign.budget, runs)
        start, deadline = campaign.started, campaign.deadline
        runs_left = {job: runs // jobs + (1 if job < runs % jobs else 0) for job in range(jobs)} if runs else {}
        restarts = {job: 0 for job in range(jobs)}
        failed_starts = 0
        stale = {job: 0 for job in range(jobs)}
        done_executions = 0

        def spawn(job: int) -> _Child:
            child_seed = campaign.seed + job + jobs * restarts[job]
            result.seeds.append(child_seed)
            timeout = campaign.runner.timeout
            args = [
                sys.executable,
                "-m",
                "harness.engines.atheris_child",
                target.name,
                str(campaign.targets_dir),
                str(skip_file),
                str(timeout),
                f"-seed={child_seed}",
                f"-timeout={max(1, int(timeout + BACKSTOP_GRACE))}",
                f"-rss_limit_mb={campaign.runner.rss_limit_mb}",
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
            if campaign.seed_dir.is_dir():
                args.append(str(campaign.seed_dir))
            log = logs / f"{target.name}-seed{child_seed}.log"
            return _Child(args, log, child_seed)

        def sample(now: float, live: list[_Child]) -> None:
            executions = done_executions + sum(c.executions for c in live)
            coverage = max([result.coverage or 0] + [c.coverage for c in live])
            # A child that has not loaded the corpus yet (a restart, a later slice) counts none of it: the curve
            # keeps what the run last showed rather than dropping to zero.
            loaded = [c.corpus for c in live if c.inited_coverage is not None]
            shown_before = result.timeline[-1].corpus if result.timeline else result.corpus_files or 0
            corpus_size = max(loaded) if loaded else shown_before
            # Before libFuzzer has loaded the corpus there is no coverage to show, not none reached.
            shown = coverage if coverage or result.coverage is not None else None
            result.timeline.append(Sample(now - start, executions, shown, corpus_size, len(result.exposed)))
            campaign.progress(
                f"[{target.name}] {now - start:5.0f}s  execs {executions}  exec/s {executions / (now - start):.0f}"
                f"  cov {coverage}  corpus {corpus_size}  bugs {len(result.exposed)}"
            )

        children = {job: spawn(job) for job in range(jobs)}
        last_sample = start
        while children:
            time.sleep(0.1)
            now = time.monotonic()
            if now - last_sample >= SAMPLE_EVERY:
                last_sample = now
                sample(now, list(children.values()))
            for job, child in list(children.items()):
                if child.proc.poll() is None:
                    if deadline is not None and now > deadline:
                        child.interrupt()
                        if now > deadline + INTERRUPT_GRACE:
                            child.proc.kill()
                    continue
                status = child.finish()
                del children[job]
                done_executions += child.executions
                if result.coverage_at_start is None:
                    result.coverage_at_start = child.inited_coverage
                result.coverage = max(result.coverage or 0, child.coverage)
                result.features = max(result.features or 0, child.features)
                for signature, seen in child.passed_over.items():
                    result.pass_over(signature, seen - start, registered=signature in store.registry)
                if runs:
                    runs_left[job] = max(0, runs_left[job] - child.executions)
                if child.artifact is not None:
                    before = len(store.records)
                    # Jobs that hit the same input write the same crash-<sha1>: the first one triaged takes it.
                    if child.artifact.exists():
                        _triage(child, campaign, result)
                    stale[job] = 0 if len(store.records) > before else stale[job] + 1
                    if stale[job] >= MAX_STALE_RESTARTS:
                        result.stopped_early.append(
                            f"job {job}: only known bugs that cannot be passed over, {stale[job]} restarts in a row"
                        )
                        continue
                elif status != 0 and not child.interrupted:
                    failed_starts += 1
                    if failed_starts >= MAX_FAILED_STARTS:
                        last = child.tail(1) or "no output"
                        raise UsageError(
                            f"fuzzing {target.name} failed to run (status {status}): {last} (log: {child.log_path})"
                        )
                time_left = deadline is None or deadline - time.monotonic() >= 1.0
                more_runs = not runs or runs_left[job] > 0
                if status != 0 and not child.interrupted and time_left and more_runs:
                    _write_skip_list(skip_file, store)
                    restarts[job] += 1
                    result.restarts += 1
                    children[job] = spawn(job)
        result.seconds = time.monotonic() - start
        result.executions = done_executions
        result.corpus_files = sum(1 for p in corpus.iterdir() if p.is_file())
        sample(time.monotonic(), [])
        return result


ENGINE = AtherisEngine()


def _write_skip_list(path: Path, store: BugStore) -> None:
    atomic_write(path, "\n".join(sorted(store.skip_list())).encode())


def _triage(child: _Child, campaign: Campaign, result: EngineRun) -> None:
    assert child.artifact is not None
    data = read_input(child.artifact)
    outcome = campaign.runner.run(data)
    if not outcome.is_bug:
        result.unreproduced.append(f"{child.artifact.relative_to(campaign.workdir)} ({outcome.verdict} in the worker)")
        return
    record = campaign.record(data, outcome, engine="atheris", seed=child.seed)
    result.exposed.setdefault(record.signature, child.artifact_seen - campaign.started)
    os.unlink(child.artifact)  # kept as the bug's input file; the artifact folder stays small
