"""A fuzzing run and a conformance run as the report tests see them: every kind of row each report has."""

from __future__ import annotations

from pathlib import Path

from harness import project
from harness.bugs import BugRecord
from harness.conformance.report import CaseResult, ConformanceReport
from harness.conformance.requirements import Requirement
from harness.engines.base import EngineRun, Sample
from harness.report import RunReport, TargetReport

GONE = "exception:KeyError@c.py:gone"  # a known bug whose reproducer no longer reproduces
REPLAY = Requirement(3711, "3.3", "MUST", "a packet judged replayed is discarded")
WINDOW = Requirement(3711, "3.3.2", "MUST", "SRTP-WINDOW-SIZE is at least 64")
SETUP = Requirement(5764, "4.1", "derived", "a=setup names the DTLS role")
STATES = Requirement("W3C webrtc-pc", "5.5.1", "derived", "states are reported once")
# A real test of the srtp suite: its result is located at its function.
REAL_TEST = "srtp/test_replay.py::test_duplicate_is_discarded[libsrtp-defaults]"


def bug(signature: str, reproducer: Path, *, known: bool = False, sender: str = "") -> BugRecord:
    kind = signature.split(":")[0]
    return BugRecord(
        target="alpha", component="aiortc", component_version="1.16.0", signature=signature, kind=kind,
        error="KeyError", frame="aiortc/c.py:f", line=1, message="it broke\nsecond line", traceback="Traceback ...",
        input_sha1="0", reproducer=str(reproducer), reproducer_sha1="0", reproduce="", engine="atheris", seed=3,
        known=known, known_reason="a reason" if known else "", upstream="https://example.invalid/1" if known else "",
        sender=sender,
    )  # fmt: skip


def run_report(reproducers: Path) -> RunReport:
    """Four targets: fuzzed with samples (and bugs), fuzzed without coverage, replayed only, not run."""
    atheris = EngineRun(
        "atheris", "alpha", 1, 30.0, None, seconds=2.0, executions=900, coverage=55, corpus_files=14,
        no_longer_reproducing=[GONE], known_passed_over=["hang:Timeout@aiortc/c.py:loop"],
        timeline=[Sample(0.5, 100, None, 5, 0), Sample(1.0, 400, 40, 9, 0), Sample(2.0, 900, 55, 14, 1)],
    )  # fmt: skip
    replay = EngineRun("replay", "alpha", 1, None, None, seconds=0.2, executions=4, accepted=3, rejected=1)
    hypothesis = EngineRun(
        "hypothesis", "beta", 1, 30.0, None, seconds=1.0, executions=50,
        timeline=[Sample(0.5, 20, None, 0, 0), Sample(1.0, 50, None, 0, 0)],
    )  # fmt: skip
    in_project = project.current().root / ".harness" / "bugs" / "alpha" / "new" / "reproducer"
    alpha = TargetReport(
        "alpha", "SDP", "aiortc", "1.16.0", runs=[replay, atheris],
        bugs=[bug("exception:KeyError@aiortc/c.py:f", in_project, sender="off-path"),
              bug("hang:Timeout@aiortc/c.py:loop", reproducers / "hang" / "reproducer", known=True)],
    )  # fmt: skip
    targets = [
        alpha,
        TargetReport("beta", "STUN", "aioice", "0.13.0", runs=[hypothesis]),
        TargetReport("gamma", "SRTP", "pylibsrtp", "1.0.0", runs=[EngineRun("replay", "gamma", 1, None, None)]),
        TargetReport("delta", "RTP", "aiortc", "1.16.0", errors=["atheris: the fuzzer did not start"]),
    ]
    return RunReport("python -m harness nightly --seed 3", 3, 30.0, 31.0, reproducers, targets)


def conformance_report() -> ConformanceReport:
    """Every outcome, over two RFCs (one with two sections) and the W3C's specification."""
    results = [
        CaseResult(REAL_TEST, REPLAY, "pylibsrtp 1.0.0", "PASS"),
        CaseResult("srtp/test_replay.py::test_window[100]", WINDOW, "pylibsrtp 1.0.0", "FAIL", "assert 1 == 2"),
        CaseResult("srtp/test_replay.py::test_window[64]", WINDOW, "pylibsrtp 1.0.0", "XFAIL", "known: too small"),
        CaseResult("sdp/test_setup.py::test_role", SETUP, "aiortc 1.16.0", "XPASS", "expected to fail"),
        CaseResult("dtls/test_states.py::test_once", STATES, "aiortc 1.16.0", "SKIP", "no peer"),
    ]
    return ConformanceReport("python -m harness conformance", results)
