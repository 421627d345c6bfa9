"""Reports of a run: Markdown (fit for a CI job summary), JSON, JUnit XML, SARIF and a static HTML page.

A row for every engine run of every target. Each bug is its own JUnit test case, failed when
it is new, skipped when it is known, so that a CI viewer lists every one of them; a finding that
triage could not reproduce fails its own case too. Paths are given
from the folder the run started in (the checkout, for a CI job), when they are under it.
"""

from __future__ import annotations

import json
import platform
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

from harness import html_report, sarif
from harness.bugs import BugRecord, atomic_write
from harness.engines.base import EngineRun
from harness.target import Target


@dataclass
class TargetReport:
    name: str
    protocol: str
    component: str
    version: str
    runs: list[EngineRun] = field(default_factory=list)
    bugs: list[BugRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # why an engine could not run this target
    skipped: str = ""  # why the target did not run here: its needs unmet by the installed stack (Target.needs)
    merged: Optional[str] = None  # the nightly's working corpus, files before and after its merge

    @property
    def new_bugs(self) -> list[BugRecord]:
        return [bug for bug in self.bugs if not bug.known]

    @property
    def known_signatures(self) -> set[str]:
        """Known bugs this run met: recorded ones, and those passed over inside a fuzzer."""
        return {b.signature for b in self.bugs if b.known} | {s for r in self.runs for s in r.known_passed_over}

    @property
    def unreproduced(self) -> list[str]:
        return [finding for run in self.runs for finding in run.unreproduced]

    @classmethod
    def of(cls, target: Target) -> "TargetReport":
        return cls(target.name, target.protocol, target.component, target.component_version)


def _or_dash(value: Optional[object]) -> str:
    return "-" if value is None else str(value)


@dataclass
class RunReport:
    command: str
    seed: Optional[int]
    budget: Optional[float]
    seconds: float
    workdir: Path
    targets: list[TargetReport]
    interrupted: bool = False
    exposed: dict[str, float] = field(default_factory=dict)  # signature -> seconds into the fuzzing, first exposed

    @property
    def new_bugs(self) -> list[BugRecord]:
        return [bug for t in self.targets for bug in t.new_bugs]

    @property
    def unreproduced(self) -> list[tuple[str, str]]:
        return [(t.name, finding) for t in self.targets for finding in t.unreproduced]

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(t.name, error) for t in self.targets for error in t.errors]

    @staticmethod
    def where(path: str) -> str:
        """A path as the report shows it: from the folder the run started in, when it is under it."""
        try:
            return str(Path(path).resolve().relative_to(Path.cwd()))
        except ValueError:
            return path

    def to_dict(self) -> dict[str, object]:
        return {
            "command": self.command,
            "seed": self.seed,
            "budget": self.budget,
            "seconds": round(self.seconds, 1),
            "interrupted": self.interrupted,
            "python": platform.python_version(),
            "new_bugs": len(self.new_bugs),
            "unreproduced": len(self.unreproduced),
            "exposed": {signature: round(seconds, 1) for signature, seconds in self.exposed.items()},
            "targets": [asdict(t) for t in self.targets],
        }

    def markdown(self) -> str:
        verdict = f"**{len(self.new_bugs)} new bug(s)**" if self.new_bugs else "no new bug"
        if self.unreproduced:
            verdict += f", **{len(self.unreproduced)} finding(s) triage could not reproduce**"
        if self.interrupted:
            verdict += ", **interrupted**: what was done before the interrupt"
        seed = f"seed {self.seed}, " if self.seed is not None else ""
        budget = f"budget {self.budget:g} s, " if self.budget is not None else ""
        lines = [
            "# Fuzzing report",
            "",
            f"`{self.command}` ({seed}{budget}took {self.seconds:.0f} s, "
            f"Python {platform.python_version()}): {verdict}",
            "",
            "| target | component | engine | seconds | executions | exec/s | coverage | corpus"
            " | accepted / refused | bugs (new / known) |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for t in self.targets:
            counts = f"{len(t.new_bugs)} / {len(t.known_signatures)}"
            if not t.runs:
                lines.append(f"| {t.name} | {t.component} {t.version} | - | - | - | - | - | - | - | {counts} |")
            for run in t.runs:
                verdicts = "-" if run.accepted is None else f"{run.accepted} / {run.rejected}"
                lines.append(
                    f"| {t.name} | {t.component} {t.version} | {run.engine} | {run.seconds:.0f} | {run.executions}"
                    f" | {run.exec_per_second:.0f} | {_or_dash(run.coverage)} | {_or_dash(run.corpus_files)}"
                    f" | {verdicts} | {counts} |"
                )
        bugs = [bug for t in self.targets for bug in t.bugs]
        if bugs:
            lines += ["", "## Bugs", ""]
            for bug in bugs:
                status = f"known: {bug.known_reason} ({bug.upstream})" if bug.known else "**NEW**"
                sender = f", sent by the {bug.sender} sender" if bug.sender else ""
                lines.append(
                    f"- `{bug.signature}` in {bug.target} ({bug.component} {bug.component_version}), "
                    f"{bug.hits} hit(s){sender}, {status}"
                )
                if bug.message.strip():
                    lines.append(f"  - {bug.message.strip().splitlines()[0]}")
                lines.append(f"  - reproduce: `python -m harness repro {bug.target} {self.where(bug.reproducer)}`")
        runs = [(t.name, run) for t in self.targets for run in t.runs]
        sections = [
            (
                "Known bugs that no longer reproduce (fixed upstream?)",
                [f"{name}: `{s}`" for name, run in runs for s in run.no_longer_reproducing],
            ),
            (
                "Findings the fuzzer reported that triage could not reproduce",
                [f"{name}: {finding}" for name, finding in self.unreproduced],
            ),
            (
                "Runs that stopped before their budget",
                [f"{name}: {why}" for name, run in runs for why in run.stopped_early],
            ),
            ("Targets that could not be run", [f"{name}: {error}" for name, error in self.errors]),
            (
                "Targets skipped: the installed stack lacks what they need (not bugs of it)",
                [f"{t.name}: {t.skipped}" for t in self.targets if t.skipped],
            ),
            ("Working corpus merged (harness.corpus)", [f"{t.name}: {t.merged}" for t in self.targets if t.merged]),
        ]
        for title, items in sections:
            if items:
                lines += ["", f"## {title}", ""] + [f"- {item}" for item in items]
        return "\n".join(lines) + "\n"

    def junit(self) -> str:
        suite = ET.Element("testsuite", name="harness")
        cases = failures = skipped = 0

        def case(classname: str, name: str) -> ET.Element:
            nonlocal cases
            cases += 1
            return ET.SubElement(suite, "testcase", classname=classname, name=name)

        for t in self.targets:
            classname = f"harness.{t.protocol}.{t.name}"
            for bug in t.bugs:
                element = case(classname, bug.signature)
                if bug.known:
                    skipped += 1
                    ET.SubElement(element, "skipped", message=f"known: {bug.known_reason} ({bug.upstream})")
                else:
                    failures += 1
                    failure = ET.SubElement(element, "failure", message=bug.message or bug.signature, type=bug.kind)
                    reproduce = f"python -m harness repro {bug.target} {self.where(bug.reproducer)}"
                    failure.text = f"{reproduce}\n\n{bug.traceback}"
            for finding in t.unreproduced:
                failures += 1
                ET.SubElement(
                    case(classname, f"unreproduced {finding}"), "failure", message="triage did not reproduce it"
                )
            for error in t.errors:
                failures += 1
                ET.SubElement(case(classname, "run"), "error", message=error)
            if not t.bugs and not t.unreproduced and not t.errors:
                case(classname, "no bug")
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
        return ET.tostring(suite, encoding="unicode", xml_declaration=True)

    def write(self, directory: Path) -> list[Path]:
        data = self.to_dict()
        paths = write_report(directory, self.markdown(), data, self.junit(), sarif.bugs_log(self))
        html = directory / "report.html"
        atomic_write(html, html_report.page(html, fuzzing=json_data(data)).encode())
        return paths + [html]


def json_data(data: dict[str, object]) -> dict[str, Any]:
    """`data` as report.json holds it (paths and dataclasses as JSON has them), for the HTML page."""
    return json.loads(json.dumps(data, default=str))


def write_report(
    directory: Path, markdown: str, data: dict[str, object], junit: str, sarif_log: dict[str, Any]
) -> list[Path]:
    """report.md, report.json, junit.xml and report.sarif in `directory`, each written atomically."""
    paths = [directory / "report.md", directory / "report.json", directory / "junit.xml", directory / "report.sarif"]
    atomic_write(paths[0], markdown.encode())
    atomic_write(paths[1], json.dumps(data, indent=2, default=str).encode())
    atomic_write(paths[2], junit.encode())
    atomic_write(paths[3], json.dumps(sarif_log, indent=2).encode())
    return paths
