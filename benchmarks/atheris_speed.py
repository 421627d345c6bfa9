"""Exec/s of the harness's libFuzzer child against the atheris script a maintainer would write by hand.

For each target, in one run, on one fixed corpus (the target's seeds, without the known bugs'
regressions/, copied afresh for every measurement):
- the baseline (baseline_atheris.py: the same call, the same instrumentation and mutator, no
  harness around it) and the harness's child (harness.engines.atheris_child: verdicts, the
  watchdog, the reset of `random`, the skip list) each run the same number of inputs with the
  same libFuzzer seed, hash seed and corpus, and libFuzzer's options set so that both fuzz the
  very same inputs (see _libfuzzer_args);
- two harness children share the fixed corpus, half the inputs each, as `fuzz --jobs 2` does.
Exec/s counts the inputs after the initial corpus, from libFuzzer's INITED line to its final
stats, timed by this script as the lines arrive (process start-up is left out on both sides);
each side is measured twice, interleaved, and the better run kept. Two baseline processes side
by side give the speed-up the machine itself allows (its "2 cores" may share a physical one).
The run count is calibrated on a short baseline run, so that each measurement lasts about
--seconds. Then, where the time goes: the per-input path measured in this process, without
libFuzzer or instrumentation, in microseconds per input of the fixed corpus: the call alone,
then with each part of the harness's path added.

Goals: geometric mean of the ratios >= 0.97, no target below 0.9, two jobs >= 1.9x one job.
A measurement, not a test: it exits 0 whatever the numbers are (2 on bad arguments). Run it
alone on the machine.

usage: python benchmarks/atheris_speed.py [--seconds 20] [--seed 1] [--targets a,b]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from harness import project
from harness.known_bugs import Registry
from harness.target import Target, load_target, target_files
from harness.verdict import classify_call, watched_classifier
from harness.watchdog import Watchdog
from harness.worker import DEFAULT_TIMEOUT

ROOT = project.current().root
CORPORA_DIR = project.current().corpora
TARGETS_DIR = project.current().targets


GOAL_MEAN, GOAL_LEAST, GOAL_SPEEDUP = 0.97, 0.9, 1.9
CALIBRATION_SECONDS = 4
INITED = re.compile(r"^#(\d+)\s+INITED")
EXECUTED = re.compile(r"^stat::number_of_executed_units: (\d+)")


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Fuzzed:
    """What one libFuzzer process did after its initial corpus, timed as its lines arrived."""

    executions: int = 0
    started: Optional[float] = None  # time.monotonic() at INITED
    ended: Optional[float] = None  # at the final stats
    status: Optional[int] = None
    last_line: str = ""


def fuzz_process(command: list[str], log: Path) -> tuple[subprocess.Popen[bytes], Fuzzed, threading.Thread]:
    env = dict(os.environ, PYTHONHASHSEED="0")  # as the harness runs its children
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    fuzzed = Fuzzed()

    def read() -> None:
        inited = 0
        assert proc.stderr is not None
        with log.open("wb") as out:
            for raw in proc.stderr:
                out.write(raw)
                line = raw.decode("utf-8", "replace").rstrip()
                fuzzed.last_line = line or fuzzed.last_line
                if (found := INITED.match(line)) and fuzzed.started is None:
                    fuzzed.started, inited = time.monotonic(), int(found[1])
                elif found := EXECUTED.match(line):
                    fuzzed.ended, fuzzed.executions = time.monotonic(), int(found[1]) - inited

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return proc, fuzzed, reader


def run_together(commands: list[list[str]], logs: list[Path]) -> list[Fuzzed]:
    started = [fuzz_process(command, log) for command, log in zip(commands, logs)]
    for proc, fuzzed, reader in started:
        fuzzed.status = proc.wait()
        reader.join()
    return [fuzzed for _, fuzzed, _ in started]


def throughput(runs: list[Fuzzed]) -> Optional[float]:
    """Inputs per second of processes that ran side by side: all their inputs over their common span."""
    if any(r.started is None or r.ended is None for r in runs):
        return None
    span = max(r.ended for r in runs if r.ended) - min(r.started for r in runs if r.started)
    return sum(r.executions for r in runs) / span if span > 0 else None


class Bench:
    def __init__(self, target: Target, seed: int, work: Path) -> None:
        self.target, self.seed, self.work = target, seed, work
        self.fixed = work / "fixed-corpus"
        seeds = CORPORA_DIR / target.name
        self.fixed.mkdir()
        for path in sorted(seeds.glob("*")) if seeds.is_dir() else []:
            if path.is_file():  # regressions/ holds known bugs, hangs among them: not a corpus to time
                shutil.copy(path, self.fixed / path.name)
        self.skip = work / "skip.txt"
        self.skip.write_text("\n".join(sorted(bug.signature for bug in Registry.load().bugs)))
        self.measurements = 0

    def _libfuzzer_args(self, seed: int, limit: str, corpus: Path) -> list[str]:
        # So that both sides fuzz the very same inputs: CMP-guided mutations off (they would take the
        # harness's own string comparisons, libFuzzer intercepting memcmp process-wide, into the
        # mutations), no corpus reloads (timed), and the corpus grown by new code reached, not by
        # counts of how often (which the garbage collector's timing shifts).
        args = [f"-seed={seed}", limit, f"-max_len={self.target.max_len}", "-timeout=30", "-rss_limit_mb=2048",
                "-use_cmp=0", "-use_memmem=0", "-reload=0", "-use_counters=0", "-print_final_stats=1",
                f"-artifact_prefix={self.work}/"]  # fmt: skip
        dictionary = TARGETS_DIR / f"{self.target.name}.dict"
        if dictionary.exists():
            args.append(f"-dict={dictionary}")
        return args + [str(corpus)]

    def _fresh_corpus(self) -> Path:
        self.measurements += 1
        corpus = self.work / f"corpus-{self.measurements}"
        shutil.copytree(self.fixed, corpus)
        return corpus

    def baseline(self, limit: str, processes: int = 1) -> list[Fuzzed]:
        """The hand-written script; several side by side (each its own corpus copy): what the machine gives."""
        command = [sys.executable, str(ROOT / "benchmarks" / "baseline_atheris.py"), self.target.name]
        corpora = [self._fresh_corpus() for _ in range(processes)]
        commands = [command + self._libfuzzer_args(self.seed + n, limit, c) for n, c in enumerate(corpora)]
        return run_together(commands, [corpus.with_suffix(".log") for corpus in corpora])

    def harness(self, runs: int, jobs: int) -> list[Fuzzed]:
        corpus = self._fresh_corpus()  # shared by the jobs, as `fuzz --jobs` shares one
        child = [sys.executable, "-m", "harness.engines.atheris_child", self.target.name, str(TARGETS_DIR),
                 str(self.skip), str(DEFAULT_TIMEOUT)]  # fmt: skip
        commands = [
            child + self._libfuzzer_args(self.seed + job, f"-runs={runs // jobs}", corpus) for job in range(jobs)
        ]
        return run_together(commands, [corpus.with_name(f"{corpus.name}-{job}.log") for job in range(jobs)])

    def per_input_path(self) -> dict[str, float]:
        """Microseconds per input of the fixed corpus, in this process, as each part of the path is added."""
        inputs = [p.read_bytes() for p in sorted(self.fixed.iterdir())]
        target, watchdog = self.target, Watchdog(DEFAULT_TIMEOUT)

        def bare(data: bytes) -> None:
            try:
                target.run(data)
            except Exception:
                pass

        steps: dict[str, Callable[[bytes], object]] = {
            "call": bare,
            "+verdict": lambda data: classify_call(target, data, with_traceback=False),
            "+watchdog": lambda data: watchdog.run(lambda: classify_call(target, data, with_traceback=False)),
            "+random": watched_classifier(target, watchdog, with_traceback=False),
        }
        timings: dict[str, float] = {}
        for _ in range(3):  # interleaved, the best of three: the least disturbed
            for name, step in steps.items():
                start = time.perf_counter()
                for data in inputs * max(1, 2000 // max(1, len(inputs))):
                    step(data)
                count = len(inputs) * max(1, 2000 // max(1, len(inputs)))
                micros = (time.perf_counter() - start) / count * 1e6
                timings[name] = min(timings.get(name, micros), micros)
        return timings


def geomean(values: list[float]) -> Optional[float]:
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def cell(value: Optional[float], digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def row(name: str, *cells: str) -> str:
    widths = (10, 10, 6, 10, 8, 8, 8, 9, 9, 9)
    return f"{name:<16} " + " ".join(f"{c:>{w}}" for c, w in zip(cells, widths))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", default="20", help="per measurement (default 20)")
    parser.add_argument("--seed", default="1", help="libFuzzer seed, for both sides (default 1)")
    default = [name for name in target_files() if not name.endswith("_differential")]
    parser.add_argument(
        "--targets", default=",".join(default), help="comma-separated (default: parser and structure-aware)"
    )
    parser.error = lambda message: parser.exit(2, f"atheris_speed: error: {message}\n")  # type: ignore[method-assign]
    args = parser.parse_args()
    try:
        args.seconds, args.seed = int(args.seconds), int(args.seed)
    except ValueError:
        parser.error("--seconds and --seed take whole numbers")
    args.targets = [t for t in args.targets.split(",") if t]
    unknown = [t for t in args.targets if t not in target_files()]
    if args.seconds <= 0 or args.seed <= 0:
        parser.error("--seconds and --seed must be positive")
    if unknown or not args.targets:
        parser.error(f"unknown targets {unknown} (known: {', '.join(target_files())})")
    return args


def main() -> int:
    args = parse_args()
    print(f"seed {args.seed}, about {args.seconds} s per measurement, same inputs on both sides", flush=True)
    print(row("target", "baseline/s", "harness/s", "ratio", "2 jobs/s", "speed-up", "machine", "call µs",
              "+verdict", "+watchdog", "+random"), flush=True)  # fmt: skip
    ratios: list[float] = []
    speedups: list[float] = []
    for name in args.targets:
        with tempfile.TemporaryDirectory(prefix=f"atheris-speed-{name}-") as tmp:
            bench = Bench(load_target(name), args.seed, Path(tmp))
            progress(f"[{name}] calibrating the run count on the baseline, {CALIBRATION_SECONDS} s")
            rate = throughput(bench.baseline(f"-max_total_time={CALIBRATION_SECONDS}")) or 0
            runs = max(2000, int(rate * args.seconds))
            progress(f"[{name}] {runs} inputs: baseline and harness twice each, interleaved; then two of each")
            limit = f"-runs={runs}"
            bases, ones = [], []
            for _ in range(2):  # the better of two, interleaved: the less disturbed
                bases.append(bench.baseline(limit))
                ones.append(bench.harness(runs, 1))
            two = bench.harness(runs, 2)
            machine = bench.baseline(f"-runs={runs // 2}", processes=2)
            measured = [("baseline", f) for f in bases] + [("harness", f) for f in ones]
            measured += [("harness 2 jobs", two), ("2 baselines", machine)]
            stopped = False
            for side, fuzzed in measured:
                for f in (f for f in fuzzed if f.status != 0):  # libFuzzer ends 0 once its runs are done
                    stopped = True
                    progress(f"[{name}] {side} stopped after {f.executions} inputs (status {f.status}): {f.last_line}")
            path = bench.per_input_path()
        # A side that stopped on a bug (a known hang the baseline cannot pass over) ran other inputs.
        if stopped:
            print(f"{name:<16} not comparable: a side stopped on a bug (see above)", flush=True)
            base_rate = one_rate = two_rate = machine_rate = None
        else:
            base_rate = max(rate for rate in map(throughput, bases) if rate)
            one_rate = max(rate for rate in map(throughput, ones) if rate)
            two_rate, machine_rate = throughput(two), throughput(machine)
        ratio = one_rate / base_rate if one_rate and base_rate else None
        speedup = two_rate / one_rate if two_rate and one_rate else None
        scaling = machine_rate / base_rate if machine_rate and base_rate else None
        ratios += [ratio] if ratio else []
        speedups += [speedup] if speedup else []
        steps = (cell(path[step], 2) for step in ("call", "+verdict", "+watchdog", "+random"))
        figures = (cell(base_rate), cell(one_rate), cell(ratio, 2), cell(two_rate), cell(speedup, 2), cell(scaling, 2))
        print(row(name, *figures, *steps), flush=True)
    print(row("geometric mean", "", "", cell(geomean(ratios), 2), "", cell(geomean(speedups), 2)))
    print(row("least", "", "", cell(min(ratios, default=None), 2), "", cell(min(speedups, default=None), 2)))
    print(f"goals: geometric mean >= {GOAL_MEAN}, least >= {GOAL_LEAST}, speed-up >= {GOAL_SPEEDUP}")
    print("machine: two baseline processes side by side against one, the speed-up the machine itself gives")
    return 0


if __name__ == "__main__":
    sys.exit(main())
