"""How long the SRTP conformance run takes, against what pytest needs to start and collect it.

    python benchmarks/conformance_time.py [--runs 3]

Per run, in the same session: `python -m harness conformance` (the whole job: pytest start, the
adapter, collection, every test, the report) and, as the baseline, the same pytest collecting
the suite without running a test. Prints the median seconds of each, their ratio (what running
the tests adds to starting up), and the share of the issue's budget, 60 s on 2 cores, the whole
job takes. It always exits 0 (2 on bad arguments): it measures, it does not judge.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 60.0  # seconds, on 2 cores (issue: "tox -e conformance ... in under a minute")


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    with tempfile.TemporaryDirectory() as report:
        whole = [sys.executable, "-m", "harness", "conformance", "--report", report]
        collect = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only",
                   str(ROOT / "tests" / "conformance")]  # fmt: skip
        jobs, baselines = [], []
        for run in range(1, args.runs + 1):
            baselines.append(seconds(collect))
            jobs.append(seconds(whole))
            print(f"run {run}: conformance {jobs[-1]:.1f} s, collection only {baselines[-1]:.1f} s", flush=True)
    job, baseline = statistics.median(jobs), statistics.median(baselines)
    print(f"cores available: {len(os.sched_getaffinity(0))}")
    print(f"median: conformance {job:.1f} s, collection only {baseline:.1f} s, ratio {job / baseline:.2f}")
    print(f"share of the {BUDGET:.0f} s budget: {job / BUDGET:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
