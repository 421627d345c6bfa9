"""Exec/s of the harness's atheris engine against a minimal hand-written atheris script.

For every target, in the same run and on the same seed corpus: the baseline script
(baseline_atheris.py) for N seconds, then `harness fuzz` with one job and with two jobs for
N seconds each. Prints exec/s, the harness/baseline ratio (goal >= 0.9) and the two-job
speed-up (goal >= 1.8). Both sides count process start-up in their wall time. Run it on a
quiet machine: it is a measurement, not a test.

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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.target import load_target, target_files  # noqa: E402

EXECUTED = re.compile(r"stat::number_of_executed_units: (\d+)")


def baseline(name: str, seconds: int, seed: int, work: Path) -> float:
    target = load_target(name)
    corpus = work / "baseline-corpus"
    if target.seed_dir.is_dir():
        shutil.copytree(target.seed_dir, corpus, ignore=shutil.ignore_patterns("regressions"))
    else:
        corpus.mkdir()
    command = [sys.executable, str(ROOT / "benchmarks" / "baseline_atheris.py"), name,
               f"-max_total_time={seconds}", f"-seed={seed}", "-print_final_stats=1",
               f"-max_len={target.max_len}", f"-artifact_prefix={work}/", str(corpus)]  # fmt: skip
    start = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    found = EXECUTED.search(result.stderr)
    if not found:
        raise SystemExit(f"baseline for {name} failed:\n{result.stderr[-2000:]}")
    return int(found[1]) / elapsed


def harness(name: str, seconds: int, seed: int, jobs: int, work: Path) -> float:
    workdir = work / f"harness-{jobs}"
    command = [sys.executable, "-m", "harness", "fuzz", name, "--budget", str(seconds), "--seed", str(seed),
               "--jobs", str(jobs), "--workdir", str(workdir)]  # fmt: skip
    subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    report = workdir / "report" / "report.json"
    if not report.exists():
        raise SystemExit(f"harness fuzz {name} wrote no report")
    fuzz = json.loads(report.read_text())["targets"][0]["fuzz"]
    return fuzz["executions"] / fuzz["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--targets", default=",".join(target_files()))
    args = parser.parse_args()
    names = args.targets.split(",")
    unknown = [n for n in names if n not in target_files()]
    if args.seconds <= 0 or args.seed <= 0 or unknown:
        parser.exit(2, f"atheris_speed: bad arguments (seconds and seed > 0; unknown targets: {unknown})\n")
    print(f"seed {args.seed}, {args.seconds} s per measurement")
    print(f"{'target':<16} {'baseline/s':>10} {'harness/s':>10} {'ratio':>6} {'2 jobs/s':>10} {'speed-up':>8}")
    ratios, speedups = [], []
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            print(f"[{name}] baseline ...", file=sys.stderr, flush=True)
            base = baseline(name, args.seconds, args.seed, work)
            print(f"[{name}] harness, 1 job ...", file=sys.stderr, flush=True)
            one = harness(name, args.seconds, args.seed, 1, work)
            print(f"[{name}] harness, 2 jobs ...", file=sys.stderr, flush=True)
            two = harness(name, args.seconds, args.seed, 2, work)
        ratios.append(one / base)
        speedups.append(two / one)
        print(f"{name:<16} {base:>10.0f} {one:>10.0f} {one / base:>6.2f} {two:>10.0f} {two / one:>8.2f}", flush=True)

    def geomean(values: list[float]) -> float:
        return math.exp(sum(map(math.log, values)) / len(values))

    print(f"{'geometric mean':<16} {'':>10} {'':>10} {geomean(ratios):>6.2f} {'':>10} {geomean(speedups):>8.2f}")
    print("goals: ratio >= 0.90, speed-up >= 1.80")


if __name__ == "__main__":
    main()
