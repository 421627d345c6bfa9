"""The conformance report: every requirement with its verdict, as Markdown, JSON, JUnit XML and SARIF.

A requirement's verdict is the worst of its tests' outcomes, in this order: FAIL (a test failed
or errored), XPASS (an expected failure passed: the expectations are stale), XFAIL (known
non-conformance, with its reason), UNJUDGED (failed under a release the suite records no expectations
for: listed, not judged), PASS; SKIP when every test of it was skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from harness import sarif
from harness.conformance.requirements import Requirement
from harness.report import write_report

# Worst first. UNJUDGED: a test that failed under a release its suite records no expectations for: listed, not a
# deviation (its expectations are another release's).
OUTCOMES = ("FAIL", "ERROR", "XPASS", "XFAIL", "UNJUDGED", "PASS", "SKIP")
FAILING = ("FAIL", "ERROR", "XPASS")


@dataclass
class CaseResult:
    test: str  # node id relative to tests/conformance/
    requirement: Requirement
    implementation: str  # "pylibsrtp 1.0.0"
    outcome: str
    message: str = ""  # the first line of a failure, or the reason of an expected failure
    seconds: float = 0.0


@dataclass
class RequirementVerdict:
    requirement: Requirement
    results: list[CaseResult] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        outcomes = {r.outcome for r in self.results}
        if outcomes == {"SKIP"}:
            return "SKIP"
        worst = min(outcomes - {"SKIP"}, key=OUTCOMES.index)
        return "FAIL" if worst == "ERROR" else worst


@dataclass
class ConformanceReport:
    command: str
    results: list[CaseResult]

    @property
    def requirements(self) -> list[RequirementVerdict]:
        grouped: dict[Requirement, RequirementVerdict] = {}
        for result in self.results:
            grouped.setdefault(result.requirement, RequirementVerdict(result.requirement)).results.append(result)
        return sorted(grouped.values(), key=lambda v: (str(v.requirement.rfc), _section_key(v.requirement.section)))

    @property
    def passed(self) -> bool:
        return not any(r.outcome in FAILING for r in self.results)

    def counts(self) -> dict[str, int]:
        verdicts = [v.verdict for v in self.requirements]
        return {outcome: verdicts.count(outcome) for outcome in OUTCOMES if verdicts.count(outcome)}

    def summary_lines(self) -> list[str]:
        """One line per requirement, as printed at the end of a run."""
        lines = []
        for verdict in self.requirements:
            tally = ", ".join(
                f"{sum(r.outcome == o for r in verdict.results)} {o.lower()}"
                for o in OUTCOMES
                if any(r.outcome == o for r in verdict.results)
            )
            lines.append(f"{verdict.requirement} -> {verdict.verdict} ({tally})")
        return lines

    def to_dict(self) -> dict[str, object]:
        return {
            "command": self.command,
            "passed": self.passed,
            "implementations": self.implementations(),
            "verdicts": self.counts(),
            "requirements": [
                {**asdict(v.requirement), "verdict": v.verdict, "tests": [_result_dict(r) for r in v.results]}
                for v in self.requirements
            ],
        }

    def implementations(self) -> list[str]:
        return sorted({r.implementation for r in self.results})

    def markdown(self) -> str:
        counts = ", ".join(f"{n} {o}" for o, n in self.counts().items())
        lines = [
            "# Conformance report",
            "",
            f"`{self.command}` against {', '.join(self.implementations())}: "
            + ("**conforms to the expectations**" if self.passed else "**deviates from the expectations**")
            + f" ({len(self.requirements)} requirements: {counts}; {len(self.results)} tests)",
            "",
            "| document | section | keyword | requirement | verdict | tests |",
            "|---|---|---|---|---|---|",
        ]
        for v in self.requirements:
            req = v.requirement
            lines.append(
                f"| {req.rfc} | §{req.section} | {req.keyword} | {req.text} | {v.verdict} | {len(v.results)} |"
            )
        for title, outcomes in (
            ("Failures", ("FAIL", "ERROR")),
            ("Unexpected passes (expected to fail: update the suite's expected_results.toml)", ("XPASS",)),
            ("Known non-conformance (expected failures)", ("XFAIL",)),
            ("Not judged (failed under a release with no expectations recorded)", ("UNJUDGED",)),
        ):
            grouped: dict[tuple[Requirement, str], list[str]] = {}
            for r in self.results:
                if r.outcome in outcomes:
                    grouped.setdefault((r.requirement, r.message), []).append(r.test)
            if grouped:
                lines += ["", f"## {title}", ""]
            for (req, message), tests in grouped.items():
                lines.append(f"- {req}: {message}")
                lines += [f"  - `{test}`" for test in tests]
        return "\n".join(lines) + "\n"

    def junit(self) -> str:
        suite = ET.Element("testsuite", name="conformance", tests=str(len(self.results)))
        for result in self.results:
            req = result.requirement
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{req.document.replace(' ', '')}.{req.section}",
                name=result.test,
                time=f"{result.seconds:.3f}",
            )
            properties = ET.SubElement(case, "properties")
            for name, value in (*asdict(req).items(), ("implementation", result.implementation)):
                ET.SubElement(properties, "property", name=name, value=str(value))
            if result.outcome in FAILING:
                ET.SubElement(case, "failure", type=result.outcome, message=result.message).text = str(req)
            elif result.outcome in ("XFAIL", "UNJUDGED", "SKIP"):
                ET.SubElement(case, "skipped", message=f"{result.outcome}: {result.message}")
        suite.set("failures", str(sum(r.outcome in FAILING for r in self.results)))
        suite.set("skipped", str(sum(r.outcome in ("XFAIL", "UNJUDGED", "SKIP") for r in self.results)))
        return ET.tostring(suite, encoding="unicode", xml_declaration=True)

    def write(self, directory: Path) -> list[Path]:
        return write_report(directory, self.markdown(), self.to_dict(), self.junit(), sarif.conformance_log(self))


def _section_key(section: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in section.split("."))


def _result_dict(result: CaseResult) -> dict[str, object]:
    return {k: v for k, v in asdict(result).items() if k != "requirement"}


def first_line(text: Optional[str]) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""
