"""The GitHub workflows pass zizmor, the security linter for GitHub Actions, with its strictest persona.

Offline: zizmor's online audits (known-vulnerable action versions, impostor commits) need GitHub's
API, which a CI run here cannot reach; the actions are pinned by commit, checked when they were
pinned. Inputs reach shell steps through environment variables, never pasted into a script.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.target import ROOT

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
    assert sorted(path.name for path in WORKFLOWS.glob("*.yml")) == ["ci.yml", "conformance.yml", "nightly.yml"]
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
