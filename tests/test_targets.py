"""Every real target: its definition, deterministic engine smoke runs, and its corpus replayed."""

import dataclasses
import json
import subprocess
import sys

import pytest
from aioice import Connection, stun
from aiortc import sdp
from aiortc.rtp import RtpPacket
from hypothesis import seed as hypothesis_seed
from hypothesis import settings

from harness import project
from harness.bugs import BugStore
from harness.engines.base import Campaign
from harness.engines.hypothesis import target_property
from harness.engines.replay import ENGINE as REPLAY
from harness.known_bugs import Registry
from harness.target import load_target, target_files, unmet_needs
from harness.verdict import classify_call
from harness.worker import IsolatedRunner

ROOT = project.current().root


# A target whose needs the installed stack does not meet (an older release under tox) is skipped with the reason.
TARGETS = [
    pytest.param(name, marks=pytest.mark.skipif(bool(unmet), reason="; ".join(unmet)))
    for name in sorted(target_files())
    for unmet in [unmet_needs(load_target(name))]
]
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
        result = REPLAY.run(Campaign(target, runner, store, tmp_path, seed=0))
    assert result.executions > 0, f"corpora/{name} is empty"
    assert result.accepted, "some seeds must pass the parser, or the corpus reaches nothing"
    assert [s for s in result.exposed if s not in KNOWN] == []
    assert result.no_longer_reproducing == [], "fixed upstream? update known_bugs.toml"


@pytest.mark.parametrize("name", TARGETS)
def test_hypothesis_smoke_finds_no_new_bug(name):
    target = load_target(name)
    with IsolatedRunner(target) as runner:
        test = settings(max_examples=60, database=None, deadline=None, derandomize=True)(
            hypothesis_seed(1)(target_property(target, runner.run, KNOWN))
        )
        test()


# A fixed count of fuzzing runs per target; a live call's input takes tens of milliseconds, not tens of
# microseconds (Target.slow_input_seconds), so those targets run their seed corpus and a few more.
SMOKE_RUNS, SLOW_SMOKE_RUNS = 400, 60


@pytest.mark.parametrize("name", TARGETS)
def test_atheris_smoke_runs_a_fixed_count_with_a_fixed_seed(name, tmp_path):
    pytest.importorskip("atheris")
    runs = SLOW_SMOKE_RUNS if load_target(name).slow_input_seconds else SMOKE_RUNS
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "fuzz",
            name,
            "--runs",
            str(runs),
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
    [fuzz] = json.loads((tmp_path / "report" / "report.json").read_text())["targets"][0]["runs"]
    assert fuzz["executions"] >= runs
    assert fuzz["coverage"] > 0


def ice_check() -> bytes:
    """An ICE check stun_integrity's agents accept (its repair signs it) and answer with a triggered check."""
    check = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    check.attributes["USERNAME"] = "LoCa:ReMo"  # the receiving agent's ufrag first (RFC 8445 §7.2.2)
    check.attributes["PRIORITY"] = 1
    check.attributes["ICE-CONTROLLING"] = 1
    check.attributes["MESSAGE-INTEGRITY"] = bytes(20)
    return bytes(check)


# Per target file with an oracle that turns the component's exceptions into violations: an input
# its oracle gets, and the component function that oracle calls.
ORACLE_CALLS = {
    "stun_integrity": (ice_check(), stun.Message, "__bytes__"),
    "sdp_structured": (b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", sdp.SessionDescription, "__str__"),
    "srtp_rtp_path": (RtpPacket(payload_type=96, payload=b"media").serialize(), RtpPacket, "serialize"),
}


@pytest.mark.parametrize("error, kind", [(MemoryError, "oom"), (RecursionError, "recursion")])
@pytest.mark.parametrize("name", sorted(ORACLE_CALLS))
def test_running_out_of_memory_or_stack_in_an_oracle_is_its_own_kind_not_a_violation(name, error, kind, monkeypatch):
    data, owner, function = ORACLE_CALLS[name]
    target = load_target(name)

    def fails(*args: object) -> None:
        raise error()

    def entry(delivered: bytes) -> object:
        result = target.entry(delivered)
        monkeypatch.setattr(owner, function, fails)  # from here on: in the oracle
        return result

    assert classify_call(target, data).verdict == "accepted", "the oracle gets the input"
    outcome = classify_call(dataclasses.replace(target, entry=entry), data)
    assert (outcome.kind, outcome.error) == (kind, error.__name__)


def test_stun_integrity_surfaces_what_a_task_the_datagram_started_raised(monkeypatch):
    """A triggered check runs as a task of its own (Connection.check_start_task): what it raises is a finding,
    named by aioice's frame in that task."""

    def no_request(*args: object, **kwargs: object) -> None:
        raise KeyError("PRIORITY")

    monkeypatch.setattr(Connection, "build_request", no_request)  # the check's first call
    outcome = classify_call(load_target("stun_integrity"), ice_check())
    assert outcome.signature == "exception:KeyError@aioice/ice.py:check_start"
