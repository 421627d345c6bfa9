"""pytest plugin of the conformance suites (tests/conformance/<suite>/): requirements, expectations, report.

- every test under tests/conformance/ must carry a requirement (harness.conformance.requirements);
- each suite of harness.conformance.suites has its adapter option (`--srtp-adapter`, ...) picking
  the implementation under test, loaded the first time a test of that suite needs it;
- tests a suite's expected-results file names for that suite's implementation become strict
  expected failures: failing is XFAIL, passing is XPASS and fails the run;
- `--conformance-report DIR` writes report.md, report.json and junit.xml there and prints one
  line per requirement with its verdict.

A test that drives another implementation than the adapter's (aiortc itself, say) says so with
`@pytest.mark.implementation("aiortc")`; its version is the installed distribution's.
"""

from __future__ import annotations

import importlib.metadata
import shlex
import sys
from pathlib import Path
from typing import Any, Optional

import pytest

from harness import project
from harness.conformance import expected, requirements
from harness.conformance.report import CaseResult, ConformanceReport, first_line
from harness.conformance.suites import SUITES, Suite, suite_of
from harness.target import UsageError

ADAPTERS = pytest.StashKey[dict[str, Any]]()
RESULTS = pytest.StashKey[dict[str, CaseResult]]()
# (suite, implementation, version) -> its tests, for a release its suite records no expectations for.
UNRECORDED = pytest.StashKey[dict[tuple[str, str, str], list[str]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance")
    for suite in SUITES:
        group.addoption(
            suite.option,
            dest=suite.dest,
            default=suite.default,
            help=f"{suite.name} implementation under test: {suite.default!r} (default), file.py:Name or module:Name",
        )
    group.addoption("--conformance-report", type=Path, help="write the conformance report (md, json, xml) here")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(rfc, section, keyword, text): the RFC requirement a test checks")
    config.addinivalue_line("markers", "implementation(distribution): the test drives this stack, not the adapter's")
    config.stash[ADAPTERS] = {}
    config.stash[RESULTS] = {}
    config.stash[UNRECORDED] = {}


def adapter_of(config: pytest.Config, suite: Suite) -> Any:
    """The suite's implementation under test, loaded on first use."""
    adapters = config.stash[ADAPTERS]
    if suite.name not in adapters:
        try:
            adapters[suite.name] = suite.load(config.getoption(suite.dest))
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
    return adapters[suite.name]


def _conformance_id(item: pytest.Item) -> Optional[str]:
    """The node id relative to tests/conformance/, or None for a test outside the suites."""
    try:
        relative = item.path.relative_to(project.current().conformance)
    except ValueError:
        return None
    return relative.as_posix() + item.nodeid[item.nodeid.index("::") :] if "::" in item.nodeid else None


def implementation_of(item: pytest.Item, suite: Suite) -> tuple[str, str]:
    marker = item.get_closest_marker("implementation")
    if marker:
        return marker.args[0], importlib.metadata.version(marker.args[0])
    adapter = adapter_of(item.config, suite)
    return adapter.name, adapter.version


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    expectations: dict[str, list[expected.ExpectedFailure]] = {}
    for item in items:
        test = _conformance_id(item)
        if test is None:
            continue
        suite = suite_of(item.path)
        if suite is None:
            raise pytest.UsageError(f"conformance test {test} is in no registered suite (harness.conformance.suites)")
        if requirements.of(item) is None:
            raise pytest.UsageError(f"conformance test {test} carries no @requirement")
        if suite.name not in expectations:
            try:
                expectations[suite.name] = expected.load(suite.expected_results)
            except UsageError as exc:
                raise pytest.UsageError(str(exc)) from None
        implementation = implementation_of(item, suite)
        if expected.unrecorded(expectations[suite.name], *implementation):
            config.stash[UNRECORDED].setdefault((suite.name, *implementation), []).append(test)
        known = expected.lookup(expectations[suite.name], *implementation, test)
        if known:
            item.add_marker(pytest.mark.xfail(strict=True, reason=known.reason))


def _outcome(report: pytest.TestReport) -> Optional[str]:
    """The verdict one phase's report gives the test, or None when that phase decides nothing."""
    xfailed = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.passed:
            return "XPASS" if xfailed else "PASS"
        if report.skipped:
            return "XFAIL" if xfailed else "SKIP"
        # A strict expected failure that passed is reported as failed with "[XPASS(strict)]".
        return "XPASS" if "XPASS(strict)" in str(report.longrepr) else "FAIL"
    if report.failed:
        return "ERROR"
    if report.skipped and report.when == "setup":
        return "SKIP"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report: pytest.TestReport = yield
    test = _conformance_id(item)
    outcome = _outcome(report)
    requirement = requirements.of(item)
    if test is None or outcome is None or requirement is None:
        return report
    suite = suite_of(item.path)
    results = item.config.stash[RESULTS]
    if suite is not None and (outcome != "PASS" or test not in results):  # a teardown error overrules a pass
        name, version = implementation_of(item, suite)
        message = _message(item, report, outcome)
        if outcome in ("FAIL", "ERROR") and (suite.name, name, version) in item.config.stash[UNRECORDED]:
            outcome, message = "UNJUDGED", f"not judged, no expectations recorded for {name} {version}: {message}"
            # Not a deviation: pytest counts it skipped, so that the run fails only on what is judged.
            report.outcome, report.longrepr = "skipped", (str(item.path), item.location[1] or 0, message)
        results[test] = CaseResult(test, requirement, f"{name} {version}", outcome, message, report.duration)
    return report


def _message(item: pytest.Item, report: pytest.TestReport, outcome: str) -> str:
    """Why: the reason of an expected failure, or the first line of what failed."""
    if outcome in ("XFAIL", "XPASS"):
        marker = item.get_closest_marker("xfail")
        return str(getattr(report, "wasxfail", "")) or (str(marker.kwargs.get("reason", "")) if marker else "")
    if outcome == "PASS":
        return ""
    crash = getattr(report.longrepr, "reprcrash", None)
    return first_line(crash.message if crash else str(report.longrepr))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    directory = config.getoption("conformance_report")
    results = config.stash[RESULTS]
    for line in unjudged_lines(config.stash[UNRECORDED], results):
        terminalreporter.write_line(line)
    if directory is None or not results:
        return
    program = Path(sys.argv[0])
    program_name = f"python -m {program.parent.name}" if program.name == "__main__.py" else program.name
    report = ConformanceReport(
        command=" ".join([program_name, *map(shlex.quote, sys.argv[1:])]),
        results=sorted(results.values(), key=lambda r: r.test),
    )
    terminalreporter.section("conformance: one line per requirement")
    for line in report.summary_lines():
        terminalreporter.write_line(line)
    paths = report.write(directory)
    terminalreporter.write_line(f"report: {', '.join(str(p) for p in paths)}")


def unjudged_lines(unrecorded: dict[tuple[str, str, str], list[str]], results: dict[str, CaseResult]) -> list[str]:
    """The failures of a release with no expectations recorded: listed, not judged against another release's."""
    lines = []
    for (suite, name, version), tests in sorted(unrecorded.items()):
        failing = [t for t in tests if t in results and results[t].outcome == "UNJUDGED"]
        lines.append(
            f"{suite}: no expectations recorded for {name} {version}: {len(failing)} of {len(tests)} tests fail, "
            "listed, not judged"
        )
        lines += [f"  {test}" for test in failing]
    return lines
