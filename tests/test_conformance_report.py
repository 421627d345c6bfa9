"""The conformance machinery on its own: requirements, expected results, verdicts, report formats, CLI errors."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from packaging.specifiers import SpecifierSet

from harness import project
from harness.conformance import expected
from harness.conformance.report import CaseResult, ConformanceReport, RequirementVerdict
from harness.conformance.requirements import Requirement, requirement
from harness.conformance.suites import SUITES
from harness.target import UsageError

ROOT = project.current().root


REPLAY = Requirement(3711, "3.3", "MUST", "a packet judged replayed is discarded")
WINDOW = Requirement(3711, "3.3.2", "MUST", "SRTP-WINDOW-SIZE is at least 64")


def result(outcome: str, requirement: Requirement = REPLAY, test: str = "srtp/t.py::t") -> CaseResult:
    return CaseResult(test, requirement, "pylibsrtp 1.0.0", outcome, f"{outcome.lower()} because")


def test_a_requirement_names_an_rfc_2119_keyword():
    assert requirement(3711, "3.3", "MUST", "x").kwargs == {
        "rfc": 3711,
        "section": "3.3",
        "keyword": "MUST",
        "text": "x",
    }
    with pytest.raises(ValueError, match="keyword 'must'"):
        requirement(3711, "3.3", "must", "x")


@pytest.mark.parametrize(
    "outcomes, verdict",
    [
        (["PASS", "PASS"], "PASS"),
        (["PASS", "XFAIL"], "XFAIL"),
        (["XFAIL", "XPASS", "PASS"], "XPASS"),
        (["XPASS", "FAIL"], "FAIL"),
        (["PASS", "ERROR"], "FAIL"),
        (["SKIP", "PASS"], "PASS"),
        (["SKIP", "SKIP"], "SKIP"),
    ],
)
def test_a_requirement_takes_the_worst_verdict_of_its_tests(outcomes, verdict):
    assert RequirementVerdict(REPLAY, [result(o) for o in outcomes]).verdict == verdict


def test_the_report_passes_only_without_failures_or_unexpected_passes():
    assert ConformanceReport("c", [result("PASS"), result("XFAIL"), result("SKIP")]).passed
    assert not ConformanceReport("c", [result("PASS"), result("XPASS")]).passed
    assert not ConformanceReport("c", [result("ERROR")]).passed


def test_report_formats_list_every_requirement_with_its_verdict(tmp_path):
    report = ConformanceReport(
        "python -m harness conformance",
        [result("PASS"), result("FAIL", WINDOW, "srtp/w.py::a"), result("XFAIL", WINDOW, "srtp/w.py::b")],
    )
    paths = report.write(tmp_path)
    data = json.loads(paths[1].read_text())
    assert [(r["section"], r["verdict"]) for r in data["requirements"]] == [("3.3", "PASS"), ("3.3.2", "FAIL")]
    assert data["passed"] is False
    markdown = paths[0].read_text()
    assert "| 3711 | §3.3.2 | MUST | SRTP-WINDOW-SIZE is at least 64 | FAIL | 2 |" in markdown
    assert "## Failures" in markdown and "`srtp/w.py::a`" in markdown
    suite = ET.parse(paths[2]).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    assert report.summary_lines()[1] == (
        "RFC 3711 §3.3.2 MUST: SRTP-WINDOW-SIZE is at least 64 -> FAIL (1 fail, 1 xfail)"
    )


def test_expected_results_match_node_ids_with_star_only():
    entry = expected.ExpectedFailure("pylibsrtp", SpecifierSet("==1.0.0"), "srtp/a.py::test_x[*-100]", "why")
    assert entry.matches("pylibsrtp", "1.0.0", "srtp/a.py::test_x[libsrtp-defaults-100]")
    assert not entry.matches("pylibsrtp", "1.0.0", "srtp/a.py::test_x[libsrtp-defaults-1000]")
    assert not entry.matches("pylibsrtp", "1.0.1", "srtp/a.py::test_x[libsrtp-defaults-100]")
    assert not entry.matches("other", "1.0.0", "srtp/a.py::test_x[libsrtp-defaults-100]")


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("[[expected]]\nimplementation = 'x'\n", "needs exactly"),
        ("[[expected]\n", "expected results"),
    ],
)
def test_a_bad_expected_results_file_is_a_usage_error(tmp_path, text, complaint):
    path = tmp_path / "expected.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=complaint):
        expected.load(path)


def test_every_suites_expected_results_load_and_name_its_own_tests():
    for suite in SUITES:
        for entry in expected.load(suite.expected_results):
            assert entry.reason and entry.test.startswith(f"{suite.name}/"), entry


@pytest.mark.parametrize(
    "adapter, complaint",
    [
        ("nonsense", "expected 'pylibsrtp', 'file.py:Name' or 'module:Name'"),
        ("tests/broken_adapters/srtp.py:NoSuchAdapter", "has no NoSuchAdapter"),
        ("missing.py:Adapter", "no such file"),
        ("no_such_module:Adapter", "No module named"),
    ],
)
def test_a_bad_adapter_is_one_line_and_exit_status_2(adapter, complaint):
    run = subprocess.run(
        [sys.executable, "-m", "harness", "conformance", "--srtp-adapter", adapter],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and complaint in run.stderr, run.stderr
