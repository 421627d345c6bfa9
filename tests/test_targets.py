"""Every real target: its definition, deterministic engine smoke runs, and its corpus replayed."""

import json
import subprocess
import sys

import pytest
from hypothesis import seed as hypothesis_seed
from hypothesis import settings

from harness.bugs import BugStore
from harness.engines.hypothesis import target_property
from harness.engines.replay import replay
from harness.known_bugs import Registry
from harness.target import ROOT, load_target, target_files
from harness.worker import IsolatedRunner

TARGETS = sorted(target_files())
REGISTRY = Registry.load()
KNOWN = {bug.signature for bug in REGISTRY.bugs}


@pytest.mark.parametrize("name", TARGETS)
def test_target_declares_a_component_that_is_installed(name):
    target = load_target(name)
    assert target.component_version != "unknown"
    assert isinstance(target.rejects, tuple) and all(issubclass(t, BaseException) for t in target.rejects)
    assert Exception not in target.rejects and BaseException not in target.rejects
    assert all(module.split(".")[0] == target.component_package for module in target.instrument)


@pytest.mark.parametrize("name", TARGETS)
def test_corpus_replays_without_a_new_bug_and_known_bugs_still_reproduce(name, tmp_path):
    target = load_target(name)
    store = BugStore(tmp_path / "bugs", REGISTRY)
    with IsolatedRunner(target) as runner:
        result = replay(target, runner, store, REGISTRY)
    assert result.files > 0, f"corpora/{name} is empty"
    assert result.accepted > 0, "some seeds must pass the parser, or the corpus reaches nothing"
    assert [s for s in result.bugs if s not in KNOWN] == []
    assert result.no_longer_reproducing == [], "fixed upstream? update known_bugs.toml"


@pytest.mark.parametrize("name", TARGETS)
def test_hypothesis_smoke_finds_no_new_bug(name):
    target = load_target(name)
    with IsolatedRunner(target) as runner:
        test = settings(max_examples=60, database=None, deadline=None, derandomize=True)(
            hypothesis_seed(1)(target_property(target, runner.run, KNOWN))
        )
        test()


@pytest.mark.parametrize("name", TARGETS)
def test_atheris_smoke_runs_a_fixed_count_with_a_fixed_seed(name, tmp_path):
    pytest.importorskip("atheris")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "fuzz",
            name,
            "--runs",
            "400",
            "--seed",
            "1",
            "--jobs",
            "1",
            "--workdir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    fuzz = json.loads((tmp_path / "report" / "report.json").read_text())["targets"][0]["fuzz"]
    assert fuzz["executions"] >= 400
    assert fuzz["coverage"] > 0
