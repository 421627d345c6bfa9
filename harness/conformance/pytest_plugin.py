"""pytest plugin of the conformance suites (tests/conformance/): requirements, expectations, report.

- every test under tests/conformance/ must carry a requirement (harness.conformance.requirements);
- `--srtp-adapter` picks the SRTP implementation under test (harness.conformance.srtp_adapters);
- tests the expected-results file names for the implementation under test become strict expected
  failures: failing is XFAIL, passing is XPASS and fails the run;
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
from typing import Optional

import pytest

from harness.conformance import DEFAULT_ADAPTER, expected, requirements
from harness.conformance.report import CaseResult, ConformanceReport, first_line
from harness.conformance.srtp_adapters import SrtpAdapter, load_adapter
from harness.target import UsageError

ADAPTER = pytest.StashKey[SrtpAdapter]()
RESULTS = pytest.StashKey[dict[str, CaseResult]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance")
    group.addoption(
        "--srtp-adapter",
        default=DEFAULT_ADAPTER,
        help="SRTP implementation under test: 'pylibsrtp' (default), 'file.py:Name' or 'module:Name'",
    )
    group.addoption("--conformance-report", type=Path, help="write the conformance report (md, json, xml) here")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(rfc, section, keyword, text): the RFC requirement a test checks")
    config.addinivalue_line("markers", "implementation(distribution): the test drives this stack, not the adapter's")
    try:
        config.stash[ADAPTER] = load_adapter(config.getoption("srtp_adapter"))
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[RESULTS] = {}


def _conformance_id(item: pytest.Item) -> Optional[str]:
    """The node id relative to tests/conformance/, or None for a test outside the suites."""
    try:
        relative = item.path.relative_to(expected.CONFORMANCE_DIR)
    except ValueError:
        return None
    return relative.as_posix() + item.nodeid[item.nodeid.index("::") :] if "::" in item.nodeid else None


def implementation_of(item: pytest.Item) -> tuple[str, str]:
    marker = item.get_closest_marker("implementation")
    if marker:
        return marker.args[0], importlib.metadata.version(marker.args[0])
    adapter = item.config.stash[ADAPTER]
    return adapter.name, adapter.version


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    expectations: Optional[list[expected.ExpectedFailure]] = None
    for item in items:
        test = _conformance_id(item)
        if test is None:
            continue
        if requirements.of(item) is None:
            raise pytest.UsageError(f"conformance test {test} carries no @requirement")
        if expectations is None:
            try:
                expectations = expected.load()
            except UsageError as exc:
                raise pytest.UsageError(str(exc)) from None
        known = expected.lookup(expectations, *implementation_of(item), test)
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
    results = item.config.stash[RESULTS]
    if outcome != "PASS" or test not in results:  # a teardown error overrules a pass
        name, version = implementation_of(item)
        results[test] = CaseResult(
            test, requirement, f"{name} {version}", outcome, _message(item, report, outcome), report.duration
        )
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
