"""Validation by assert: under python -O, only the verdicts known_assert_validation.toml lists change."""

import pytest

from harness import project
from harness.optimized import changes, known, stateless
from harness.target import all_targets

CORPORA_DIR = project.current().corpora


TARGETS = stateless(all_targets())


@pytest.fixture(scope="module")
def recorded():
    return known()


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_under_python_O_only_the_recorded_verdicts_change(target, recorded):
    found = {(c.target, c.input): c for c in changes(target, CORPORA_DIR / target.name)}
    expected = {key: change for key, (change, _) in recorded.items() if key[0] == target.name}
    unrecorded = [str(c) for key, c in found.items() if expected.get(key) != c]
    assert not unrecorded, f"verdicts that change under -O, not as known_assert_validation.toml says: {unrecorded}"
    gone = [str(c) for key, c in expected.items() if key not in found]
    assert not gone, f"recorded in known_assert_validation.toml, no longer changing under -O (fixed?): {gone}"


def test_every_recorded_change_has_a_reason_and_a_target_that_exists(recorded):
    names = {t.name for t in TARGETS}
    for (target, _), (_, reason) in recorded.items():
        assert target in names and len(reason) > 40


def test_the_worker_runs_under_python_O():
    from harness.target import load_target
    from harness.worker import IsolatedRunner

    # sdp_parse's regression fails an assert by default; under -O the assert is not there.
    target = load_target("sdp_parse")
    data = (CORPORA_DIR / "sdp_parse" / "regressions" / "b3c09191ae0a4e138c25eaf6972b6ed780c80169").read_bytes()
    with IsolatedRunner(target) as plain, IsolatedRunner(target, python_options=("-O",)) as optimized:
        assert plain.run(data).error == "AssertionError"
        assert optimized.run(data).error != "AssertionError"


def run_harness(*arguments):
    import subprocess
    import sys

    from harness import project

    return subprocess.run(
        [sys.executable, "-m", "harness", *arguments], cwd=project.current().root, capture_output=True, text=True
    )


def test_replay_optimized_lists_the_recorded_changes_and_fails_on_another(tmp_path):
    done = run_harness("replay", "sdp_parse", "--optimized")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("(known)") == 3 and "0 change(s) not as recorded" in done.stdout
    # The same input elsewhere is a change nobody recorded.
    regression = CORPORA_DIR / "sdp_parse" / "regressions" / "b3c09191ae0a4e138c25eaf6972b6ed780c80169"
    (tmp_path / "copy").write_bytes(regression.read_bytes())
    done = run_harness("replay", "sdp_parse", "--optimized", "--corpus", str(tmp_path))
    assert done.returncode == 1 and "(NEW)" in done.stdout


def test_replay_optimized_of_a_stateful_target_is_one_line_and_status_2():
    done = run_harness("replay", "dtls_handshake", "--optimized")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "stateful" in done.stderr
