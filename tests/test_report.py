"""The fuzzing report: a row per engine run, every bug its own JUnit case, known bugs counted."""

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.bugs import BugRecord
from harness.engines.base import EngineRun
from harness.report import RunReport, TargetReport


def bug(signature: str, *, known: bool = False, message: str = "it broke") -> BugRecord:
    return BugRecord(
        target="faulty", component="c", component_version="1", signature=signature, kind="exception",
        error="KeyError", frame="c.py:f", line=1, message=message, traceback="Traceback ...", input_sha1="0",
        reproducer=str(Path.cwd() / "work" / "bugs" / "faulty" / signature / "reproducer"), reproducer_sha1="0",
        reproduce="", engine="atheris", seed=3, known=known, known_reason="a reason" if known else "",
    )  # fmt: skip


def report_of(*bugs: BugRecord, runs: list[EngineRun]) -> RunReport:
    target = TargetReport("faulty", "TEST", "c", "1", runs=runs, bugs=list(bugs))
    return RunReport("python -m harness fuzz faulty", 3, 30.0, 31.0, Path("work"), [target])


def test_known_bugs_met_inside_the_fuzzer_are_counted_beside_the_recorded_ones():
    run = EngineRun("atheris", "faulty", 1, 30.0, None, executions=10, known_passed_over=["exception:A@c.py:f"])
    report = report_of(bug("exception:B@c.py:f", known=True), bug("exception:C@c.py:f"), runs=[run])
    [row] = [line for line in report.markdown().splitlines() if line.startswith("| faulty")]
    assert row.endswith("| 1 / 2 |")
    assert "| atheris |" in row


def test_every_engine_run_has_its_row_and_the_run_its_budget_and_wall_time():
    runs = [
        EngineRun("replay", "faulty", 1, None, None, accepted=3, rejected=1),
        EngineRun("hypothesis", "faulty", 1, 30.0, None),
    ]
    markdown = report_of(runs=runs).markdown()
    assert [line.split(" | ")[2] for line in markdown.splitlines() if line.startswith("| faulty")] == [
        "replay",
        "hypothesis",
    ]
    assert "budget 30 s, took 31 s" in markdown
    assert "| 3 / 1 |" in markdown


def test_a_bug_without_a_message_has_no_empty_bullet_and_paths_are_relative():
    markdown = report_of(bug("exit:SystemExit@c.py:f", message=""), runs=[]).markdown()
    assert "  - \n" not in markdown and "  - reproduce: `python -m harness repro faulty work/bugs/" in markdown


def test_each_bug_is_its_own_junit_case_failed_when_new_and_skipped_when_known():
    report = report_of(
        bug("exception:B@c.py:f", known=True), bug("exception:C@c.py:f"), bug("exception:D@c.py:f"), runs=[]
    )
    suite = ET.fromstring(report.junit())
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"exception:B@c.py:f", "exception:C@c.py:f", "exception:D@c.py:f"}
    assert cases["exception:B@c.py:f"].find("skipped") is not None
    assert (
        cases["exception:C@c.py:f"].find("failure") is not None
        and cases["exception:D@c.py:f"].find("failure") is not None
    )
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "2", "1")


def test_a_finding_that_triage_could_not_reproduce_fails_the_report():
    run = EngineRun(
        "atheris", "faulty", 1, 30.0, None, unreproduced=["artifacts/faulty/crash-1 (accepted in the worker)"]
    )
    report = report_of(runs=[run])
    assert report.unreproduced and "1 finding(s) triage could not reproduce" in report.markdown()
    assert ET.fromstring(report.junit()).get("failures") == "1"
