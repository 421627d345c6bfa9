"""The version matrix: releases in the registry and the expectations, targets' needs, the side-by-side report, check."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from harness import cli, project
from harness.conformance import expected
from harness.conformance.suites import SUITES
from harness.errors import UsageError
from harness.known_bugs import Registry
from harness.matrix import Run, Setup, comparison, matrix_data, matrix_markdown
from harness.target import Target, unmet_needs

ROOT = project.current().root
FIXED_IN_1_15 = "exception:KeyError@aiortc/a.py:f"  # recorded for aiortc<1.15 only
STILL_THERE = "exception:struct.error@aiortc/b.py:g"  # recorded for aiortc 1.14.0 to 1.16.0


def write_registry(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "known_bugs.toml"
    path.write_text(
        "\n".join(
            f'[[bug]]\nsignature = "{signature}"\ntarget = "{target}"\nreason = "r"\nupstream = "u"\n'
            f'reproducer = "corpora/{target}/regressions/x"\n{releases}\n'
            for signature, target, releases in (entry.split(" ", 2) for entry in entries)
        )
    )
    return path


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    return write_registry(
        tmp_path,
        f'{FIXED_IN_1_15} t1 component = "aiortc"\nversions = "<1.15"',
        f'{STILL_THERE} t2 component = "aiortc"\nversions = ">=1.14.0,<=1.16.0"',
    )


def releases(**versions: str):
    return versions.get


def test_the_registry_holds_the_entries_recorded_for_the_installed_release(registry_file):
    newest = Registry.load(registry_file, version_of=releases(aiortc="1.16.0"))
    assert [b.signature for b in newest.bugs] == [STILL_THERE]
    assert [b.signature for b in newest.elsewhere] == [FIXED_IN_1_15]
    assert FIXED_IN_1_15 not in newest and newest.for_target("t1") == []  # fixed there: not expected to reproduce
    oldest = Registry.load(registry_file, version_of=releases(aiortc="1.14.0"))
    assert sorted(b.signature for b in oldest.bugs) == sorted([FIXED_IN_1_15, STILL_THERE])
    assert oldest.get(FIXED_IN_1_15) is not None and oldest.get(FIXED_IN_1_15).applies == "aiortc<1.15"
    nothing_installed = Registry.load(registry_file, version_of=releases())
    assert nothing_installed.bugs == [] and len(nothing_installed.every_bug) == 2


def test_an_entry_without_releases_applies_to_any(tmp_path):
    path = write_registry(tmp_path, "s1 t ")
    assert "s1" in Registry.load(path, version_of=releases())


@pytest.mark.parametrize(
    "releases_text, complaint",
    [
        ('component = "aiortc"', "needs both component and versions"),
        ('versions = "==1.16.0"', "needs both component and versions"),
        ('component = "aiortc"\nversions = "1.16.0"', "is not a version specifier set"),
        ('component = "aiortc"\nversions = ""', "lacks|empty"),
    ],
)
def test_bad_releases_in_the_registry_are_usage_errors(tmp_path, releases_text, complaint):
    path = write_registry(tmp_path, f"s1 t {releases_text}")
    with pytest.raises(UsageError, match=complaint):
        Registry.load(path, version_of=releases(aiortc="1.16.0"))


def test_one_signature_may_have_entries_for_disjoint_releases_but_not_two_for_one(tmp_path):
    disjoint = write_registry(
        tmp_path, 's1 t component = "aiortc"\nversions = "<1.15"', 's1 t component = "aiortc"\nversions = ">=1.15"'
    )
    assert len(Registry.load(disjoint, version_of=releases(aiortc="1.16.0")).bugs) == 1
    overlapping = write_registry(
        tmp_path, 's1 t component = "aiortc"\nversions = "<1.17"', 's1 t component = "aiortc"\nversions = ">=1.15"'
    )
    with pytest.raises(UsageError, match="repeats s1"):
        Registry.load(overlapping, version_of=releases(aiortc="1.16.0"))


def test_every_shipped_entry_names_its_releases_and_holds_for_the_pinned_stack():
    registry = Registry.load()
    assert registry.elsewhere == [] or all(bug.component for bug in registry.elsewhere)
    assert all(bug.component in ("aiortc", "aioice", "pylibsrtp") and str(bug.versions) for bug in registry.bugs)
    assert len(registry.bugs) >= 72  # the pinned run reports what it reported before the migration


def test_expectations_hold_for_the_releases_they_name():
    entry = expected.ExpectedFailure("pylibsrtp", SpecifierSet(">=0.12.0,<=1.0.0"), "srtp/a.py::t[*]", "why")
    assert entry.matches("pylibsrtp", "0.12.0", "srtp/a.py::t[x]") and entry.matches(
        "pylibsrtp", "1.0.0", "srtp/a.py::t[x]"
    )
    assert not entry.matches("pylibsrtp", "0.11.0", "srtp/a.py::t[x]")
    assert not entry.matches("pylibsrtp", "1.0.1", "srtp/a.py::t[x]")
    assert expected.unrecorded([entry], "pylibsrtp", "0.11.0")  # recorded for others: not judged
    assert not expected.unrecorded([entry], "pylibsrtp", "1.0.0")
    assert not expected.unrecorded([entry], "aiortc", "1.16.0")  # none recorded for aiortc at all: judged as before


def test_a_bad_version_specifier_in_expected_results_is_a_usage_error(tmp_path):
    path = tmp_path / "expected.toml"
    path.write_text('[[expected]]\nimplementation = "x"\nversions = "one"\ntest = "t"\nreason = "r"\n')
    with pytest.raises(UsageError, match="entry 1: 'one' is not a version specifier set"):
        expected.load(path)


def test_every_suite_records_its_pinned_implementations_expectations_as_a_range():
    pinned = {"aiortc": "1.16.0", "aioice": "0.13.0", "pylibsrtp": "1.0.0"}
    for suite in SUITES:
        entries = expected.load(suite.expected_results)
        assert entries and all(e.holds_for(e.implementation, pinned[e.implementation]) for e in entries), suite


def needy(*needs: str) -> Target:
    return Target("needy", "TEST", "aiortc", entry=bytes, rejects=(ValueError,), instrument=(), needs=needs)


def test_a_target_says_which_needs_the_installed_stack_does_not_meet():
    assert unmet_needs(needy("aiortc>=1.0", "harness.versions:specifier_set")) == []
    assert unmet_needs(needy("aiortc>=99")) == [f"needs aiortc>=99, has aiortc {needy().component_version}"]
    assert unmet_needs(needy("harness.versions:no_such_function")) == [
        "needs harness.versions:no_such_function: no_such_function is missing"
    ]
    assert unmet_needs(needy("no_such_module_here:x")) == ["needs no_such_module_here:x: no module no_such_module_here"]
    with pytest.raises(UsageError, match="neither"):
        unmet_needs(needy("aiortc >= what"))


NEEDY_TARGET = """from harness.target import Target

target = Target(
    name="needy", protocol="TEST", component="aiortc", entry=bytes, rejects=(ValueError,), instrument=(),
    needs=("aiortc.rtcsctptransport:RTCSctpTransport.no_such_internal",),
)
"""


def test_replay_and_list_skip_a_target_whose_needs_are_unmet_with_the_reason(tmp_path):
    targets = tmp_path / "targets"
    targets.mkdir()
    (targets / "__init__.py").write_text("")
    (targets / "needy.py").write_text(NEEDY_TARGET)
    common = [sys.executable, "-m", "harness", "--targets-dir", str(targets)]
    listed = subprocess.run([*common, "list"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "skipped here: needs aiortc.rtcsctptransport:RTCSctpTransport.no_such_internal" in listed.stdout
    replayed = subprocess.run(
        [*common, "replay", "--workdir", str(tmp_path / "w")], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "[needy] skipped: needs aiortc.rtcsctptransport:RTCSctpTransport.no_such_internal" in replayed.stderr
    report = json.loads((tmp_path / "w" / "report" / "report.json").read_text())
    assert report["targets"][0]["skipped"].endswith("no_such_internal is missing") and report["new_bugs"] == 0
    assert "Targets skipped" in (tmp_path / "w" / "report" / "report.md").read_text()


def recorded_run(label: str, holds: dict[str, str], found: dict[str, list[str]], tests: dict[str, str]) -> Run:
    run = Run(label, holds=holds, note="the other releases pinned")
    run.targets = {name: {"skipped": "", "errors": [], "found": signatures} for name, signatures in found.items()}
    implementation = f"pylibsrtp {holds['pylibsrtp']}"
    run.tests = {test: {"outcome": outcome, "implementation": implementation} for test, outcome in tests.items()}
    run.requirements = {
        f"RFC 3711 §3.4 MUST: {test}": {"verdict": outcome, "tests": [test]} for test, outcome in tests.items()
    }
    return run


SRTCP_TEST = "srtp/test_srtcp.py::test_first_srtcp_index_sent_is_zero[libsrtp-defaults]"
PASSING_TEST = "srtp/test_replay.py::a_test_that_passes"
PINNED = {"aiortc": "1.16.0", "aioice": "0.13.0", "pylibsrtp": "1.0.0"}
OLD = {"aiortc": "1.14.0", "aioice": "0.13.0", "pylibsrtp": "0.11.0"}


def test_the_side_by_side_report_gives_every_known_bug_and_requirement_a_verdict_per_setup(registry_file):
    pinned = recorded_run(
        "pinned", PINNED, {"t1": [], "t2": [STILL_THERE]}, {SRTCP_TEST: "XFAIL", PASSING_TEST: "PASS"}
    )
    old = recorded_run(
        "aiortc==1.14.0",
        OLD,
        {"t1": [FIXED_IN_1_15], "t2": ["exception:new@x"]},
        {SRTCP_TEST: "UNJUDGED", PASSING_TEST: "PASS"},  # as the plugin records a failure of an unrecorded release
    )
    data = matrix_data([pinned, old], registry_file)
    bugs = {bug["signature"]: bug["verdicts"] for bug in data["known_bugs"]}
    assert bugs[FIXED_IN_1_15] == {"pinned": "absent", "aiortc==1.14.0": "reproduces"}
    assert bugs[STILL_THERE] == {"pinned": "reproduces", "aiortc==1.14.0": "no longer reproduces"}
    requirements = {r["requirement"].split(": ", 1)[1]: r["verdicts"] for r in data["requirements"]}
    assert requirements[SRTCP_TEST] == {"pinned": "XFAIL", "aiortc==1.14.0": "FAIL (not judged)"}
    assert requirements[PASSING_TEST] == {"pinned": "PASS", "aiortc==1.14.0": "PASS"}
    old_setup = data["setups"][1]
    assert old_setup["new_bugs"] == ["exception:new@x"] and old_setup["holds"] == OLD
    assert old_setup["unjudged"] == {"srtp: pylibsrtp 0.11.0": [SRTCP_TEST]}
    markdown = matrix_markdown(data, "python -m harness matrix")
    assert f"| `{FIXED_IN_1_15}` | t1 | aiortc<1.15 | absent | reproduces |" in markdown
    assert "srtp: pylibsrtp 0.11.0: no expectations recorded: 1 tests fail, listed, not judged" in markdown
    assert "| aiortc==1.14.0 | 1.14.0 | 0.13.0 | 0.11.0 | the other releases pinned |" in markdown


def test_check_reports_what_changed_and_whether_it_got_worse(registry_file):
    pinned = recorded_run("pinned", PINNED, {"t2": [STILL_THERE]}, {SRTCP_TEST: "XFAIL", PASSING_TEST: "PASS"})
    same = recorded_run("pylibsrtp==1.0.0", PINNED, {"t2": [STILL_THERE]}, {SRTCP_TEST: "XFAIL", PASSING_TEST: "PASS"})
    assert comparison(pinned, same)[1] is False and comparison(pinned, same)[0][-1] == "nothing got worse"
    better = recorded_run("pylibsrtp==1.1.0", PINNED, {"t2": []}, {SRTCP_TEST: "XPASS", PASSING_TEST: "PASS"})
    lines, worse = comparison(pinned, better)
    assert not worse and f"new pass: {SRTCP_TEST}" in lines and f"bug vanished: {STILL_THERE}" in lines
    broken = recorded_run(
        "x", PINNED, {"t2": [STILL_THERE, "exception:new@x"]}, {SRTCP_TEST: "XFAIL", PASSING_TEST: "FAIL"}
    )
    lines, worse = comparison(pinned, broken)
    assert worse and f"new failure: {PASSING_TEST}" in lines and "bug appeared: exception:new@x" in lines


@pytest.mark.parametrize(
    "specs, complaint",
    [
        (["numpy==1.0"], "is not a release of the stack under test"),
        (["pylibsrtp"], "give the release as pylibsrtp==VERSION"),
        (["pylibsrtp==1.0; python_version>'3'"], "give the release as pylibsrtp==VERSION"),
        (["==1.0"], "is no requirement"),
        (["missing/aiortc-1.17.0-py3-none-any.whl"], "does not exist"),
        (["tests"], "is not a checkout of aiortc, aioice, pylibsrtp"),
        (["aiortc==1.14.0", "aiortc==1.15.0"], "aiortc is given twice"),
    ],
)
def test_check_with_a_bad_spec_is_one_line_and_exit_status_2(capsys, specs, complaint):
    words = [word for spec in specs for word in ("--with", spec)]
    assert cli.main(["check", *words]) == 2
    error = capsys.readouterr().err
    assert complaint in error and error.count("\n") == 1, error


def test_check_needs_a_candidate(capsys):
    with pytest.raises(SystemExit) as exit_status:
        cli.main(["check"])
    assert exit_status.value.code == 2 and "--with" in capsys.readouterr().err


def test_setups_name_their_releases_and_ask_pip_for_the_other_pins_first():
    pins = {"aiortc": "aiortc==1.16.0", "aioice": "aioice==0.13.0", "pytest": "pytest==9.2.0"}
    setup = Setup.of(["aioice==0.9.0"])
    assert setup.label == "aioice==0.9.0" and Setup.of(["pinned"]).label == "pinned"
    assert setup.attempts(pins) == [
        ["aiortc==1.16.0", "aioice==0.9.0", "pytest==9.2.0"],
        ["pytest==9.2.0", "aioice==0.9.0", "aiortc", "pylibsrtp"],  # refused with the pins: the rest as pip resolves it
    ]
    assert Setup.of(["pinned"]).attempts(pins) == [list(pins.values())]


@pytest.mark.slow
def test_check_runs_the_suites_and_the_replay_under_pylibsrtp_0_12_in_a_venv_of_its_own(tmp_path):
    """pylibsrtp 0.12.0 fails the SRTP suite on the tests expected to fail on 1.0.0, and its bugs are the same."""
    done = subprocess.run(
        [sys.executable, "-m", "harness", "check", "--with", "pylibsrtp==0.12.0", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pylibsrtp 0.12.0" in done.stdout and done.stdout.splitlines()[-1] == "nothing got worse"
    assert "new failure" not in done.stdout and "no expectations recorded" not in done.stdout
