"""dtls_handshake: happy conversations pass; each promise of the oracle fails on a transport that breaks it;
findings surface as themselves, reproduce in words and minimize as conversations."""

import asyncio
import dataclasses
import subprocess
import sys

import pytest
from aiortc.rtcdtlstransport import RTCDtlsTransport, State

from harness import project
from harness.conformance import dtls_adapters
from harness.conformance.dtls_adapters import CLIENT, ROLES, SERVER, AiortcAdapter, AiortcTransport
from harness.known_bugs import Registry
from harness.minimize import minimize_bug
from harness.peers.dtls_deviations import BY_NAME
from harness.peers.dtls_moves import SRTP
from harness.peers.dtls_scripts import HAPPY, Move, Script, Start, decode, encode, happy
from harness.target import Target, load_target, targets_module
from harness.verdict import ACCEPTED, Outcome, classify_call
from harness.worker import IsolatedRunner

CORPORA_DIR = project.current().corpora
ROOT = project.current().root


TARGET = load_target("dtls_handshake")
handshake = targets_module("_dtls_handshake")
BROKEN = ROOT / "tests" / "broken_adapters" / "dtls.py"
EARLY_DATA = "oracle:delivered-only-when-connected@dtls_handshake"
UNAUTHENTICATED = "oracle:delivered-before-authenticated@dtls_handshake"


def against(adapter: object) -> Target:
    """The target with its transports made by `adapter`."""
    return dataclasses.replace(TARGET, entry=handshake.conversation(adapter))


def broken(name: str) -> Target:
    return against(dtls_adapters.load(f"{BROKEN}:{name}"))


def adapter_of(transport: type[RTCDtlsTransport]) -> AiortcAdapter:
    carrier = type(f"{transport.__name__}Transport", (AiortcTransport,), {"transport_class": transport})
    return type(f"{transport.__name__}Adapter", (AiortcAdapter,), {"transport_class": carrier})()


def with_deviations(role: str, impostor: bool = False, **deviations: str) -> bytes:
    """The happy conversation of `role`, with the move at "at<n>" (from 0) played with the named deviation."""
    chosen = {int(key.removeprefix("at")): BY_NAME[name] for key, name in deviations.items()}
    moves = tuple(Move(move, chosen.get(n)) for n, move in enumerate(HAPPY[role]))
    return encode(Script(Start(role, impostor), moves))


class StopsReadingOnceConnected(RTCDtlsTransport):
    """Never comes back for the next datagram once connected: stuck."""

    async def _recv_next(self) -> None:
        if self.state == "connected":
            await asyncio.Event().wait()
        await super()._recv_next()


class ReportsConnectedTwice(RTCDtlsTransport):
    def _set_state(self, state: State) -> None:
        super()._set_state(state)
        if state == State.CONNECTED:
            self.emit("statechange")


class FailsOnDataOnceConnected(RTCDtlsTransport):
    """Its receive task raises on the first datagram after the handshake (the error is set per test)."""

    error: type[BaseException] = KeyError

    async def _recv_next(self) -> None:
        await super()._recv_next()
        if self.state == "connected":
            raise self.error("raised by the transport's own task")


class FailsInACallbackOnceConnected(RTCDtlsTransport):
    def _set_state(self, state: State) -> None:
        super()._set_state(state)
        if state == State.CONNECTED:
            asyncio.get_running_loop().call_soon(self._fail)

    def _fail(self) -> None:
        raise ZeroDivisionError("raised in a callback of the transport")


class ComplainsToTheLoopOnceConnected(RTCDtlsTransport):
    def _set_state(self, state: State) -> None:
        super()._set_state(state)
        if state == State.CONNECTED:
            asyncio.get_running_loop().call_exception_handler({"message": "a complaint without an exception"})


@pytest.mark.parametrize("role", ROLES)
def test_the_happy_conversation_connects_delivers_data_and_media_and_keeps_the_contract(role):
    data = encode(happy(role))
    assert classify_call(TARGET, data).verdict == ACCEPTED
    transcript = TARGET.entry(data)
    *turns, closed = transcript.answers
    assert closed.transport.states == ["new", "connecting", "connected", "closed"]
    assert [delivered for turn in turns[-2:] for answer in turn.answers for delivered in answer.delivered] == [
        "data",
        "media",
    ]
    assert turns[-1].authenticated and not turns[1].authenticated


@pytest.mark.parametrize("role", ROLES)
def test_aiortc_refuses_an_impostor_and_one_who_lies_about_its_signature(role):
    signs = "at3" if role == SERVER else "at2"  # CertificateVerify, ServerKeyExchange
    for data in (
        with_deviations(role, impostor=True),
        with_deviations(role, at1="foreign_certificate", **{signs: "foreign_signature"}),
        with_deviations(role, **{signs: "foreign_signature"}),
    ):
        assert classify_call(TARGET, data).verdict == ACCEPTED
        assert TARGET.entry(data).answers[-1].transport.states == ["new", "connecting", "failed"]


@pytest.mark.parametrize("role", ROLES)
def test_a_transport_connected_before_its_fingerprint_check_delivers_before_authentication(role):
    """The certificate does not match the signalled fingerprints: the data must never reach the application."""
    outcome = classify_call(broken("ConnectsBeforeFingerprintCheckAdapter"), with_deviations(role, impostor=True))
    assert outcome.signature == UNAUTHENTICATED


def test_a_transport_that_accepts_any_certificate_lets_a_forged_identity_deliver():
    data = with_deviations(SERVER, at1="foreign_certificate", at3="foreign_signature")
    assert classify_call(broken("AcceptsAnyCertificateAdapter"), data).signature == UNAUTHENTICATED
    assert classify_call(TARGET, data).verdict == ACCEPTED


def test_a_transport_that_stops_reading_is_stuck():
    outcome = classify_call(against(adapter_of(StopsReadingOnceConnected)), encode(happy(CLIENT)))
    assert outcome.signature == "oracle:never-stuck@dtls_handshake"
    assert "step 8 (the peer sends a Finished" in outcome.message


def test_a_state_reported_twice_breaks_the_order_of_states():
    outcome = classify_call(against(adapter_of(ReportsConnectedTwice)), encode(happy(SERVER)))
    assert outcome.signature == "oracle:states-in-order@dtls_handshake"


@pytest.mark.parametrize("error, kind", [(KeyError, "exception"), (MemoryError, "oom")])
def test_what_the_transports_own_task_raised_surfaces_as_itself(error, kind, monkeypatch):
    monkeypatch.setattr(FailsOnDataOnceConnected, "error", error)
    outcome = classify_call(against(adapter_of(FailsOnDataOnceConnected)), encode(happy(SERVER)))
    assert (outcome.kind, outcome.error) == (kind, error.__name__)
    assert outcome.frame.startswith("aiortc/rtcdtlstransport.py:"), "named by aiortc's frame, not the oracle's"


def test_what_reaches_the_loops_exception_handler_surfaces_as_itself_or_as_a_violation():
    outcome = classify_call(against(adapter_of(FailsInACallbackOnceConnected)), encode(happy(SERVER)))
    assert (outcome.kind, outcome.error) == ("exception", "ZeroDivisionError")
    outcome = classify_call(against(adapter_of(ComplainsToTheLoopOnceConnected)), encode(happy(SERVER)))
    assert outcome.signature == "oracle:nothing-reaches-the-loop-handler@dtls_handshake"


@pytest.mark.parametrize("role", ROLES)
def test_aiortc_hands_up_data_that_overtakes_the_finished_while_connecting(role):
    """The registered bug, in both roles, from the peer signalled and from an impostor alike."""
    finished = HAPPY[role].index("Finished")
    moves = list(HAPPY[role][: finished + 1])
    moves.insert(finished, "ApplicationData")
    for impostor in (False, True):
        data = encode(Script(Start(role, impostor), tuple(Move(move) for move in moves)))
        assert classify_call(TARGET, data).signature == EARLY_DATA
    assert EARLY_DATA in Registry.load()


def test_repro_prints_the_conversation_in_words():
    reproducer = CORPORA_DIR / "dtls_handshake" / "regressions" / "3e0da87797b67551ab17e8a7f5d83271ed87dd3c"
    result = subprocess.run(
        [sys.executable, "-m", "harness", "repro", "dtls_handshake", str(reproducer)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert f"bug {EARLY_DATA}" in result.stdout and "known bug:" in result.stdout
    for line in (
        "  1. start a new aiortc RTCDtlsTransport as the DTLS server",
        "  7. the peer sends application data (30 octets)",
        "  8. the peer sends a Finished",
        "  9. the application closes the transport",
    ):
        assert line in result.stdout


def test_a_finding_minimizes_to_a_shorter_conversation_that_still_decodes():
    """ddmin works on bytes; one octet is one move, so what it keeps is the conversation's bare bones."""
    # SRTP before any keys is dropped, data after the ChangeCipherSpec waits for the Finished.
    noisy = [*HAPPY[SERVER][:5], SRTP, "ApplicationData", "ApplicationData", "Finished", SRTP, "ApplicationData"]
    data = encode(Script(Start(SERVER), tuple(Move(move) for move in noisy)))
    with IsolatedRunner(TARGET, timeout=5) as runner:
        outcome: Outcome = runner.run(data)
        assert outcome.signature == EARLY_DATA
        minimized = minimize_bug(data, EARLY_DATA, runner.run, max_seconds=60)
        assert runner.run(minimized).signature == EARLY_DATA
    shorter = decode(minimized)
    assert len(shorter.moves) < len(noisy) and shorter.start == Start(SERVER)
    assert [move.move for move in shorter.moves] == [*HAPPY[SERVER][:5], "ApplicationData", "Finished"]
