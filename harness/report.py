"""Reports of a run: Markdown (fit for a CI job summary), JSON, and JUnit XML.

Each target is one JUnit test case: it fails when the run found a new bug signature in it;
known bugs and known bugs that no longer reproduce are reported in the case's output.
"""

from __future__ import annotations

import json
import platform
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from harness.bugs import BugRecord, atomic_write
from harness.engines.atheris import FuzzResult
from harness.engines.replay import ReplayResult
from harness.target import Target


@dataclass
class TargetReport:
    name: str
    protocol: str
    component: str
    version: str
    replay: Optional[ReplayResult] = None
    fuzz: Optional[FuzzResult] = None
    bugs: list[BugRecord] = field(default_factory=list)

    @property
    def new_bugs(self) -> list[BugRecord]:
        return [bug for bug in self.bugs if not bug.known]

    @classmethod
    def of(cls, target: Target) -> "TargetReport":
        return cls(target.name, target.protocol, target.component, target.component_version)


@dataclass
class RunReport:
    command: str
    seed: Optional[int]
    targets: list[TargetReport]

    @property
    def new_bugs(self) -> list[BugRecord]:
        return [bug for t in self.targets for bug in t.new_bugs]

    def to_dict(self) -> dict[str, object]:
        return {
            "command": self.command,
            "seed": self.seed,
            "python": platform.python_version(),
            "new_bugs": len(self.new_bugs),
            "targets": [asdict(t) for t in self.targets],
        }

    def markdown(self) -> str:
        lines = [
            "# Fuzzing report",
            "",
            f"`{self.command}` (seed {self.seed}, Python {platform.python_version()}): "
            + (f"**{len(self.new_bugs)} new bug(s)**" if self.new_bugs else "no new bug"),
            "",
            "| target | component | replayed (ok / refused / bug) | executions | exec/s | coverage | corpus"
            " | bugs (new / known) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for t in self.targets:
            replay = (
                f"{t.replay.accepted} / {t.replay.rejected} / {sum(map(len, t.replay.bugs.values()))}"
                if t.replay
                else "-"
            )
            fuzz = t.fuzz
            lines.append(
                f"| {t.name} | {t.component} {t.version} | {replay} | "
                + (
                    f"{fuzz.executions} | {fuzz.exec_per_second:.0f} | {fuzz.coverage} | {fuzz.corpus_files}"
                    if fuzz
                    else "- | - | - | -"
                )
                + f" | {len(t.new_bugs)} / {len(t.bugs) - len(t.new_bugs)} |"
            )
        bugs = [bug for t in self.targets for bug in t.bugs]
        if bugs:
            lines += ["", "## Bugs", ""]
            for bug in bugs:
                status = f"known: {bug.known_reason} ({bug.upstream})" if bug.known else "**NEW**"
                lines += [
                    f"- `{bug.signature}` in {bug.target} ({bug.component} {bug.component_version}), "
                    f"{bug.hits} hit(s), {status}",
                    f"  - {bug.message}",
                    f"  - reproduce: `{bug.reproduce}`",
                ]
        fixed = [(t.name, s) for t in self.targets if t.replay for s in t.replay.no_longer_reproducing]
        if fixed:
            lines += ["", "## Known bugs that no longer reproduce (fixed upstream?)", ""]
            lines += [f"- {name}: `{signature}`" for name, signature in fixed]
        stopped = [(t.name, why) for t in self.targets if t.fuzz for why in t.fuzz.stopped_early]
        if stopped:
            lines += ["", "## Fuzzing stopped before its budget", ""]
            lines += [f"- {name}: {why}" for name, why in stopped]
        unconfirmed = [(t.name, a) for t in self.targets if t.fuzz for a in t.fuzz.unreproduced]
        if unconfirmed:
            lines += ["", "## Fuzzer artifacts the worker did not reproduce", ""]
            lines += [f"- {name}: {artifact}" for name, artifact in unconfirmed]
        return "\n".join(lines) + "\n"

    def junit(self) -> str:
        suite = ET.Element("testsuite", name="harness", tests=str(len(self.targets)))
        failures = 0
        for t in self.targets:
            case = ET.SubElement(suite, "testcase", classname=f"harness.{t.protocol}", name=t.name)
            for bug in t.new_bugs:
                failures += 1
                failure = ET.SubElement(case, "failure", message=bug.signature, type=bug.kind)
                failure.text = f"{bug.reproduce}\n\n{bug.traceback}"
            notes = [f"known bug {b.signature}: {b.known_reason}" for b in t.bugs if b.known]
            if t.replay:
                notes += [f"known bug no longer reproduces: {s}" for s in t.replay.no_longer_reproducing]
            if notes:
                ET.SubElement(case, "system-out").text = "\n".join(notes)
        suite.set("failures", str(failures))
        return ET.tostring(suite, encoding="unicode", xml_declaration=True)

    def write(self, directory: Path) -> list[Path]:
        return write_report(directory, self.markdown(), self.to_dict(), self.junit())


def write_report(directory: Path, markdown: str, data: dict[str, object], junit: str) -> list[Path]:
    """report.md, report.json and junit.xml in `directory`, each written atomically."""
    paths = [directory / "report.md", directory / "report.json", directory / "junit.xml"]
    atomic_write(paths[0], markdown.encode())
    atomic_write(paths[1], json.dumps(data, indent=2, default=str).encode())
    atomic_write(paths[2], junit.encode())
    return paths
