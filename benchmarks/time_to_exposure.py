"""Time to exposure of the registered bugs, the way FuzzBench and Magma evaluate fuzzers.

The known-bug registry is the ground truth. Each configuration fuzzes every target (`fuzz --all`)
for the same total budget, over several trials (seeds), from the seed corpora with their
regressions/ left out and an empty registry (so no known bug is passed over, and every one met
is triaged and timed). Configurations, compared in the same run:
- atheris, structure-aware, one job, the budget split evenly between targets;
- the same with the budget split as the targets earn it (the nightly's default);
- blind mutation: the structure-aware targets without their custom mutator and repair (seeded
  with their seeds repaired once, so that both start from the same valid messages), each given
  the share the even split gives it;
- hypothesis, even split;
- atheris with two jobs, even split.
One-job configurations run two at a time, one per core; the two-job one runs alone.

Prints, per registered bug, the trials that exposed it within the budget and the median of
their times (seconds into its own target's fuzzing, comparable across configurations whatever
the order of the targets); per configuration, the registered bugs exposed (median over trials,
within the whole budget and within its first half, and in any trial), the area under the
coverage curve (the mean edges reached over each target's fuzzing time, summed over targets;
hypothesis measures no coverage) and the signatures exposed that the registry does not hold. Writes the table
(Markdown and JSON) and a plot of coverage and bugs over time to --out.

A measurement, not a test: exit 0 whatever the figures are, 2 on bad arguments. Run it alone.

The default run (270 s a configuration, 2 trials) takes about 28 minutes on 2 cores; --quick
(3 s a target, 1 trial) about 2.5; the nightly's default budget, --budget 450, about 45.

usage: python benchmarks/time_to_exposure.py [--budget 270] [--trials 2] [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from harness import project
from harness.bugs import sha1
from harness.known_bugs import Registry
from harness.schedule import MIN_SECONDS_PER_TARGET
from harness.target import all_targets

ROOT = project.current().root

CORPORA_DIR = project.current().corpora
TARGETS_DIR = project.current().targets
DEFAULT_OUT = ROOT / "benchmarks" / "results"

# A structure-aware target as blind mutation sees it: same name (same signatures), no custom
# mutator, crossover, repair or strategy.
BLIND = """import dataclasses

from harness.target import load_target

structured = load_target({name!r}, {targets!r})
target = dataclasses.replace(structured, repair=None, mutator=None, crossover=None, strategy=None)
"""


@dataclass(frozen=True)
class Configuration:
    name: str
    engine: str = "atheris"
    split: str = "even"
    jobs: int = 1
    blind: bool = False


CONFIGURATIONS = (
    Configuration("atheris, even split"),
    Configuration("atheris, earned split", split="earned"),
    Configuration("blind mutation, even split", blind=True),
    Configuration("hypothesis, even split", engine="hypothesis"),
    Configuration("atheris, 2 jobs, even split", jobs=2),
)


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Setup:
    """The seed corpora without regressions/, the blind targets, an empty registry."""

    def __init__(self, work: Path) -> None:
        self.targets = all_targets()
        self.structured = [t for t in self.targets if t.mutator is not None]
        self.corpora, self.blind_corpora, self.blind_targets = work / "corpora", work / "blind-corpora", work / "blind"
        self.registry = work / "empty_known_bugs.toml"
        self.registry.write_text("")
        for target in self.targets:
            seeds = sorted(p for p in (CORPORA_DIR / target.name).glob("*") if p.is_file())
            (self.corpora / target.name).mkdir(parents=True)
            for path in seeds:
                shutil.copy(path, self.corpora / target.name / path.name)
            if target in self.structured:
                repaired = self.blind_corpora / target.name
                repaired.mkdir(parents=True)
                for path in seeds:
                    data = target.delivered(path.read_bytes())
                    (repaired / sha1(data)).write_bytes(data)
                self.blind_targets.mkdir(exist_ok=True)
                (self.blind_targets / "__init__.py").write_text("")
                source = BLIND.format(targets=str(TARGETS_DIR), name=target.name)
                (self.blind_targets / f"{target.name}.py").write_text(source)

    def command(self, configuration: Configuration, budget: float, seed: int, workdir: Path) -> list[str]:
        if configuration.blind:
            share = budget / len(self.targets)  # what the even split gives each target
            where = ["--targets-dir", str(self.blind_targets), "--corpora", str(self.blind_corpora)]
            budget = share * len(self.structured)
        else:
            where = ["--corpora", str(self.corpora)]
        return [sys.executable, "-m", "harness", *where, "--registry", str(self.registry), "fuzz", "--all",
                "--engine", configuration.engine, "--split", configuration.split, "--jobs", str(configuration.jobs),
                "--budget", f"{budget:g}", "--seed", str(seed), "--workdir", str(workdir)]  # fmt: skip


@dataclass
class Trial:
    configuration: Configuration
    seed: int
    workdir: Path
    report: Optional[dict[str, Any]] = None

    def start(self, setup: Setup, budget: float) -> subprocess.Popen[bytes]:
        self.workdir.mkdir(parents=True)
        log = (self.workdir / "run.log").open("wb")
        command = setup.command(self.configuration, budget, self.seed, self.workdir)
        return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def finish(self, status: int) -> None:
        report = self.workdir / "report" / "report.json"
        if report.exists():
            self.report = json.loads(report.read_text())
        else:
            tail = (self.workdir / "run.log").read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            progress(f"{self.configuration.name}, seed {self.seed}: no report (status {status}): {tail[0]}")


def run_all(trials: list[Trial], setup: Setup, budget: float, cores: int = 2) -> None:
    """One-job trials two at a time, each two-job trial alone."""
    waiting, running = list(trials), []
    while waiting or running:
        busy = sum(trial.configuration.jobs for trial, _ in running)
        fits = [t for t in waiting if busy + t.configuration.jobs <= cores]
        if fits and (not running or fits[0].configuration.jobs < cores):
            trial = fits[0]
            waiting.remove(trial)
            progress(f"{trial.configuration.name}, seed {trial.seed}: started")
            running.append((trial, trial.start(setup, budget)))
            continue
        time.sleep(1.0)
        for trial, proc in list(running):
            if proc.poll() is not None:
                running.remove((trial, proc))
                trial.finish(proc.returncode)
                found = len(trial.report["exposed"]) if trial.report else 0
                progress(f"{trial.configuration.name}, seed {trial.seed}: done, {found} signature(s)")


def coverage_area(report: dict[str, Any]) -> Optional[float]:
    """Mean edges over each target's fuzzing time, summed over targets (trapezoids on its curve)."""
    total, measured = 0.0, False
    for target in report["targets"]:
        for run in target["runs"]:
            points = [(p["seconds"], p["coverage"]) for p in run["timeline"] if p["coverage"] is not None]
            if len(points) < 2 or points[-1][0] <= 0:
                continue
            measured = True
            area = sum((t1 - t0) * (c0 + c1) / 2 for (t0, c0), (t1, c1) in zip(points, points[1:]))
            total += area / points[-1][0]
    return total if measured else None


def median(values: list[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def target_times(report: dict[str, Any]) -> dict[str, float]:
    """Signature -> seconds into its own target's fuzzing when first exposed."""
    times: dict[str, float] = {}
    for target in report["targets"]:
        for run in target["runs"]:
            for signature, seconds in run["exposed"].items():
                times[signature] = min(seconds, times.get(signature, seconds))
    return times


def summarize(trials: list[Trial], budget: float, setup: Setup) -> dict[str, Any]:
    registered = Registry.load().bugs
    structured = {t.name for t in setup.structured}
    done = {c.name: [t.report for t in trials if t.configuration == c and t.report] for c in CONFIGURATIONS}
    bugs = []
    for bug in registered:
        row: dict[str, Any] = {"target": bug.target, "signature": bug.signature, "configurations": {}}
        for configuration in CONFIGURATIONS:
            if configuration.blind and bug.target not in structured:
                continue  # not a structure-aware target: blind mutation is the same fuzzer there
            reports = done[configuration.name]
            found = [times[bug.signature] for times in map(target_times, reports) if bug.signature in times]
            row["configurations"][configuration.name] = {
                "found": len(found),
                "trials": len(reports),
                "median_seconds": median(found),
            }
        bugs.append(row)
    configurations = {}
    signatures = {b.signature for b in registered}
    for configuration in CONFIGURATIONS:
        reports = done[configuration.name]
        eligible = {b.signature for b in registered if not configuration.blind or b.target in structured}
        exposed = [eligible & set(report["exposed"]) for report in reports]
        within_half = [
            sum(1 for s in found if report["exposed"][s] <= budget / 2) for found, report in zip(exposed, reports)
        ]
        areas = [area for area in map(coverage_area, reports) if area is not None]
        configurations[configuration.name] = {
            "registered": len(eligible),
            "trials": len(reports),
            "exposed_median": median([float(len(found)) for found in exposed]),
            "exposed_in_half_the_budget_median": median([float(n) for n in within_half]),
            "exposed_any": len(set().union(*exposed)) if exposed else 0,
            "coverage_area": median(areas),
            "other_signatures": median([float(len(set(report["exposed"]) - signatures)) for report in reports]),
        }
    return {"budget": budget, "bugs": bugs, "configurations": configurations}


def markdown(summary: dict[str, Any], command: str) -> str:
    names = [c.name for c in CONFIGURATIONS]
    lines = [f"# Time to exposure of the registered bugs\n\n`{command}`: budget {summary['budget']:g} s per "
             "configuration and trial.\n",
             "| configuration | registered bugs | exposed (median of trials) | within half the budget "
             "| in any trial | coverage area | other signatures |", "|---|---|---|---|---|---|---|"]  # fmt: skip

    def number(value: Optional[float]) -> str:
        return "-" if value is None else f"{value:.0f}"

    for name in names:
        c = summary["configurations"][name]
        lines.append(
            f"| {name} | {c['registered']} | {number(c['exposed_median'])} "
            f"| {number(c['exposed_in_half_the_budget_median'])} | {c['exposed_any']} "
            f"| {number(c['coverage_area'])} | {number(c['other_signatures'])} |"
        )
    lines += ["", "Per bug: trials that exposed it, and the median of their times, in seconds of its own "
              "target's fuzzing (n/a: blind mutation is the same fuzzer on a target without a mutator).", "",
              "| target | signature | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]  # fmt: skip
    for bug in summary["bugs"]:
        cells = []
        for name in names:
            found = bug["configurations"].get(name)
            if found is None:
                cells.append("n/a")
            else:
                seconds = "" if found["median_seconds"] is None else f", {found['median_seconds']:.1f} s"
                cells.append(f"{found['found']}/{found['trials']}{seconds}")
        lines.append(f"| {bug['target']} | `{bug['signature']}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(trials: list[Trial], setup: Setup, budget: float, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        progress('no plot: matplotlib is not installed (pip install -e ".[bench]")')
        return
    names = [t.name for t in setup.targets]
    columns = 4
    rows = (len(names) + 1 + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows), squeeze=False)
    colours = {c.name: f"C{i}" for i, c in enumerate(CONFIGURATIONS)}
    registered = {b.signature for b in Registry.load().bugs}
    for axis, name in zip(axes.flat, names):
        axis.set_title(name, fontsize=9)
        for trial in trials:
            if not trial.report:
                continue
            target = next((t for t in trial.report["targets"] if t["name"] == name), None)
            for run in target["runs"] if target else []:
                points = [(p["seconds"], p["coverage"]) for p in run["timeline"] if p["coverage"] is not None]
                label = trial.configuration.name if trial.seed == 1 else None
                if points:
                    axis.plot(*zip(*points), color=colours[trial.configuration.name], linewidth=0.8, label=label)
                for signature, seconds in run["exposed"].items():
                    if signature in registered:
                        axis.axvline(seconds, color=colours[trial.configuration.name], linewidth=0.4, linestyle=":")
        axis.set_xlabel("seconds of this target's fuzzing (dotted: a registered bug exposed)", fontsize=6)
        axis.set_ylabel("edges", fontsize=7)
        axis.tick_params(labelsize=6)
    last = axes.flat[len(names)]
    last.set_title("registered bugs exposed, all targets (blind mutation: fewer targets, not shown)", fontsize=8)
    for trial in trials:
        if trial.report and not trial.configuration.blind:
            times = sorted(s for sig, s in trial.report["exposed"].items() if sig in registered)
            label = trial.configuration.name if trial.seed == 1 else None
            last.step([0, *times, budget], [0, *range(1, len(times) + 1), len(times)], where="post",
                      color=colours[trial.configuration.name], linewidth=0.9, label=label)  # fmt: skip
    last.set_xlabel("seconds into the fuzzing", fontsize=7)
    last.legend(fontsize=6)
    for axis in list(axes.flat)[len(names) + 1 :]:
        axis.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", default="270", help="seconds per configuration and trial (default 270)")
    parser.add_argument("--trials", default="2", help="seeds per configuration (default 2)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: the smallest budget, one trial")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results folder (default {DEFAULT_OUT})")
    parser.error = lambda message: parser.exit(2, f"time_to_exposure: error: {message}\n")  # type: ignore[method-assign]
    args = parser.parse_args()
    try:
        args.budget, args.trials = float(args.budget), int(args.trials)
    except ValueError:
        parser.error("--budget takes a number of seconds and --trials a whole number")
    least = MIN_SECONDS_PER_TARGET * len(all_targets())
    if args.quick:
        args.budget, args.trials = least, 1
    if args.budget < least or args.trials < 1:
        parser.error(
            f"--budget must be at least {least:g} s ({MIN_SECONDS_PER_TARGET:g} s a target), --trials 1 or more"
        )
    return args


def main() -> int:
    args = parse_args()
    command = "python benchmarks/time_to_exposure.py " + " ".join(sys.argv[1:])
    progress(f"{len(CONFIGURATIONS)} configurations x {args.trials} trial(s), {args.budget:g} s each")
    with tempfile.TemporaryDirectory(prefix="time-to-exposure-") as tmp:
        setup = Setup(Path(tmp))
        trials = [Trial(c, seed, Path(tmp) / "runs" / f"{i}-{seed}") for seed in range(1, args.trials + 1)
                  for i, c in enumerate(CONFIGURATIONS)]  # fmt: skip
        run_all(trials, setup, args.budget)
        summary = summarize(trials, args.budget, setup)
        table = markdown(summary, command)
        print(table)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "time_to_exposure.md").write_text(table)
        (args.out / "time_to_exposure.json").write_text(json.dumps(summary, indent=2))
        plot(trials, setup, args.budget, args.out / "time_to_exposure.png")
    progress(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
