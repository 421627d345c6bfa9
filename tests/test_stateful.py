"""The stateful side of the Target contract: set up once, reset between inputs, rebuilt after death,
and handled by the worker, replay, repro and minimize like any other target."""

import subprocess
import sys

import pytest

from harness import project
from harness.minimize import minimize_bug
from harness.target import load_target
from harness.worker import IsolatedRunner

ROOT = project.current().root


STATEFUL_DIR = ROOT / "tests" / "stateful_targets"
BUG = "exception:KeyError@_lock_component.py:press"


@pytest.fixture
def lock():
    target = load_target("lock", STATEFUL_DIR)
    target.entry.discard()  # a fresh subject for each test
    import _lock_component

    return target, _lock_component


def test_the_subject_is_set_up_once_and_reset_between_conversations(lock):
    target, component = lock
    built = component.built
    assert target.run(b"123").answers == ["closed", "closed", "open"]
    # Without the reset, 9 would reach the lock the last conversation left open.
    assert target.run(b"9").answers == ["closed"]
    assert component.built == built + 1 and target.entry.setups == 1


def test_a_dead_subject_is_set_up_again(lock):
    target, component = lock
    assert target.run(b"10").alive is False
    built = component.built
    assert target.run(b"1").alive is True
    assert component.built == built + 1


def test_a_subject_left_in_an_unknown_state_by_a_finding_is_set_up_again(lock):
    target, component = lock
    with pytest.raises(KeyError):
        target.run(b"1239")
    built = component.built
    target.run(b"1")
    assert component.built == built + 1


def test_the_worker_and_minimize_see_a_bug_that_needs_a_conversation():
    with IsolatedRunner(load_target("lock", STATEFUL_DIR), targets_dir=STATEFUL_DIR, timeout=2) as runner:
        assert runner.run(b"9").verdict == "accepted"
        assert runner.run(b"55512399").signature == BUG
        assert minimize_bug(b"55512399", BUG, runner.run, max_seconds=30) == b"1239"


def test_repro_and_replay_run_a_conversation_from_a_file(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "opens").write_bytes(b"123")
    (corpus / "breaks").write_bytes(b"41239")

    def harness(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "harness", "--targets-dir", str(STATEFUL_DIR), *args]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    repro = harness("repro", "lock", str(corpus / "breaks"))
    assert repro.returncode == 1 and BUG in repro.stdout
    replay = harness("replay", "lock", "--corpus", str(corpus), "--workdir", str(tmp_path / "work"))
    assert replay.returncode == 1 and BUG in replay.stdout
    assert "| lock | _lock_component unknown | replay |" in replay.stdout, replay.stdout
    assert "| 1 / 0 | 1 / 0 |" in replay.stdout, replay.stdout  # accepted / refused, bugs new / known


def fuzz_lock(engine: str, workdir) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "harness", "--targets-dir", str(STATEFUL_DIR), "fuzz", "lock", "--engine", engine]
    command += ["--runs", "3000", "--seed", "5", "--jobs", "1", "--workdir", str(workdir)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_atheris_finds_the_bug_only_a_conversation_reaches(tmp_path):
    pytest.importorskip("atheris")
    run = fuzz_lock("atheris", tmp_path)
    assert run.returncode == 1, run.stderr[-2000:]
    (found,) = (tmp_path / "bugs" / "lock").iterdir()
    assert BUG in (found / "record.json").read_text()


def test_hypothesis_drives_the_conversation_without_a_harness_error(tmp_path):
    run = fuzz_lock("hypothesis", tmp_path)
    assert run.returncode in (0, 1) and "Traceback" not in run.stderr, run.stderr[-2000:]
