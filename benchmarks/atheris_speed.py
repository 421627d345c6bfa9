"""Exec/s of the harness's atheris engine against a minimal hand-written atheris script.

For each target, in the same run and from the same seed corpus: baseline_atheris.py for N
seconds, then `harness fuzz` with one job and with two jobs, N seconds each. Prints exec/s,
the ratio harness/baseline (goal >= 0.9) and the two-job speed-up (goal >= 1.8). Both sides
count process start-up in their seconds. A measurement, not a test: it exits 0 whatever the
numbers are (2 on bad arguments). Run it on a quiet machine.

usage: python benchmarks/atheris_speed.py [--seconds 20] [--seed 1] [--targets a,b]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.target import CORPORA_DIR, TARGETS_DIR, load_target, target_files  # noqa: E402

EXECUTED = re.compile(r"^stat::number_of_executed_units: (\d+)", re.MULTILINE)
GOAL_RATIO, GOAL_SPEEDUP = 0.9, 1.8


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def baseline(name: str, seconds: int, seed: int, work: Path) -> Optional[float]:
    """Exec/s of baseline_atheris.py: executed units over the wall time of its process."""
    corpus, artifacts = work / "baseline-corpus", work / "baseline-artifacts"
    seeds = CORPORA_DIR / name
    if seeds.is_dir() and any(p.is_file() for p in seeds.rglob("*")):
        shutil.copytree(seeds, corpus)  # the harness reads the same folder, regressions/ included
    else:
        corpus.mkdir()
    artifacts.mkdir()
    command = [sys.executable, str(ROOT / "benchmarks" / "baseline_atheris.py"), name,
               f"-max_total_time={seconds}", f"-seed={seed}", "-print_final_stats=1",
               f"-max_len={load_target(name).max_len}", f"-artifact_prefix={artifacts}/"]  # fmt: skip
    dictionary = TARGETS_DIR / f"{name}.dict"
    if dictionary.exists():  # as the harness passes it
        command.append(f"-dict={dictionary}")
    start = time.monotonic()
    done = subprocess.run(command + [str(corpus)], cwd=work, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    found = EXECUTED.search(done.stderr)
    if not found:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        progress(f"[{name}] baseline failed (status {done.returncode}): {tail[0]}")
        return None
    return int(found[1]) / elapsed


def harness(name: str, seconds: int, seed: int, jobs: int, work: Path) -> Optional[float]:
    """Exec/s that `harness fuzz` reports (its fuzz executions over its fuzz seconds)."""
    workdir = work / f"harness-{jobs}"
    command = [sys.executable, "-m", "harness", "fuzz", name, "--budget", str(seconds), "--seed", str(seed),
               "--jobs", str(jobs), "--workdir", str(workdir)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)  # 1 = found a new bug: fine
    report = workdir / "report" / "report.json"
    if not report.exists():
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        progress(f"[{name}] harness --jobs {jobs} wrote no report (status {done.returncode}): {tail[0]}")
        return None
    fuzz = json.loads(report.read_text())["targets"][0]["fuzz"]
    restarts, bugs = fuzz.get("restarts", 0), len(fuzz.get("signatures", []))
    if restarts or bugs:
        progress(f"[{name}] harness --jobs {jobs}: {bugs} new bug(s), {restarts} restart(s) counted in its time")
    return fuzz["executions"] / fuzz["seconds"] if fuzz["seconds"] else None


def geomean(values: list[float]) -> Optional[float]:
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def cell(value: Optional[float], digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def line(name: str, *cells: str) -> str:
    widths = (10, 10, 6, 10, 8)
    return f"{name:<16} " + " ".join(f"{c:>{w}}" for c, w in zip(cells, widths))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", default="20", help="per measurement (default 20)")
    parser.add_argument("--seed", default="1", help="libFuzzer seed, for both sides (default 1)")
    parser.add_argument("--targets", default=",".join(target_files()), help="comma-separated (default: all)")
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
    print(f"seed {args.seed}, {args.seconds} s per measurement", flush=True)
    print(line("target", "baseline/s", "harness/s", "ratio", "2 jobs/s", "speed-up"), flush=True)
    ratios: list[float] = []
    speedups: list[float] = []
    for name in args.targets:
        with tempfile.TemporaryDirectory(prefix=f"atheris-speed-{name}-") as tmp:
            progress(f"[{name}] baseline, {args.seconds} s")
            base = baseline(name, args.seconds, args.seed, Path(tmp))
            progress(f"[{name}] harness, 1 job, {args.seconds} s")
            one = harness(name, args.seconds, args.seed, 1, Path(tmp))
            progress(f"[{name}] harness, 2 jobs, {args.seconds} s")
            two = harness(name, args.seconds, args.seed, 2, Path(tmp))
        ratio = one / base if one and base else None
        speedup = two / one if two and one else None
        ratios += [ratio] if ratio else []
        speedups += [speedup] if speedup else []
        print(line(name, cell(base), cell(one), cell(ratio, 2), cell(two), cell(speedup, 2)), flush=True)
    print(line("geometric mean", "", "", cell(geomean(ratios), 2), "", cell(geomean(speedups), 2)))
    print(f"goals: ratio >= {GOAL_RATIO}, speed-up >= {GOAL_SPEEDUP}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
