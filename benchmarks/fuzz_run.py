"""One fuzzing run of the harness's own command line, for the benchmarks that compare targets by it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]


def fuzz(name: str, workdir: Path, seconds: int, seed: int, *, targets_dir: Optional[Path] = None) -> dict[str, Any]:
    """`python -m harness fuzz NAME` with one job: the report's row of its run (a new bug is fine)."""
    where = ["--targets-dir", str(targets_dir)] if targets_dir is not None else []
    command = [sys.executable, "-m", "harness", *where, "fuzz", name, "--budget", str(seconds), "--seed", str(seed),
               "--jobs", "1", "--workdir", str(workdir)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)  # 1 = found a new bug: fine
    report = workdir / "report" / "report.json"
    if not report.exists():
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{name}: harness wrote no report (status {done.returncode}): {tail[0]}")
    [fuzzed] = json.loads(report.read_text())["targets"][0]["runs"]
    return dict(fuzzed)
