"""dtls_handshake's player and oracle: a script's steps played by the scripted DTLS peer against a fresh transport.

The input decodes to a script (harness.peers.dtls_scripts): a start that creates the transport
in the role the input names, then moves, each as it is or with one deviation
(harness.peers.dtls_deviations). The role is the input's first choice, so the subject a
Conversation sets up is a `Handshake` without a transport yet, and the start step creates one:
a DtlsSession (harness.peers.dtls_moves) of the adapter under test and the scripted peer. An
OpenSSL connection cannot be rewound, so there is no reset (every input gets a new transport),
and the subject never outlives its conversation: the last step closes the transport, as
RTCPeerConnection.close does, so that what the close does is judged with the rest.

The oracle applies the transport contract of the DTLS conformance suite
(harness.conformance.dtls_exchange.contract_breach: the transport's own tasks raised nothing,
nothing reached the event loop's exception handler, states new -> connecting -> connected | failed
-> closed each reported once, data and media handed up only while "connected"), and two more
promises of a DTLS-SRTP transport:

- delivered-before-authenticated: nothing reaches the application (application data, or media
  under SRTP keys) before the handshake is complete and authenticated (RFC 5763 §5: the
  certificate MUST match the signalled fingerprint; W3C webrtc-pc §5.5.1: "connected" only once
  it was verified): the peer's handshake complete (Finished sent and the transport's verified,
  RFC 5246 §7.4.9, so both sides processed the same messages) with the certificate whose
  fingerprints the transport was given, having proven its key (RFC 5246 §7.4.8), judged when it
  completes;
- never-stuck: the transport handles every datagram within STUCK_SECONDS;
- and a conversation of plain moves (no deviation, no impostor) is held to the RFCs' machine the
  learned models are compared with (harness.learning.reference): the first answer it does not
  allow is reported by the kind of finding (fatal-alert-ignored, alert-without-closing,
  not-delivered, ...), so that a model's witness and a fuzzed conversation are one signature.

An exception of the transport's own tasks surfaces as itself (re-raised), so its signature names
aiortc's frame like every other target's. Data handed up while "connecting" breaks the contract
whoever sent it, so it is reported as that, and delivered-before-authenticated is left for what a
transport hands up once it calls itself "connected".
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from harness.conformance.dtls_adapters import DtlsAdapter, DtlsTransportUnderTest
from harness.conformance.dtls_exchange import contract_breach
from harness.learning.compare import DELIVERED_BEFORE_AUTHENTICATED, NEVER_STUCK, first_finding
from harness.learning.reference import Reference
from harness.peers.dtls_deviations import IMPOSTOR
from harness.peers.dtls_moves import SRTP, STUCK, Answer, DtlsSession
from harness.peers.dtls_peer import PeerCertificate
from harness.peers.dtls_scripts import Move, Start, decode
from harness.stateful import Conversation, Transcript
from harness.target import OracleViolation

# aiortc handles a datagram in milliseconds; a second means it no longer does. Short enough that a
# stuck move and the close after it end well within the harness's per-input timeout (5 s).
STUCK_SECONDS = 1.0
PEER_SEED = 0  # the scripted peer's randoms and ECDHE keys: the same in every conversation
# The certificate whose fingerprints the transport is told (generating one costs milliseconds: once).
PEER_CERTIFICATE = PeerCertificate.generate(random.Random(PEER_SEED))


@dataclass(frozen=True)
class Close:
    """The last step of every conversation."""

    def __str__(self) -> str:
        return "the application closes the transport (RTCDtlsTransport.stop, as RTCPeerConnection.close does)"


CLOSE = Close()
Step = Union[Start, Move, Close]


@dataclass(frozen=True)
class Turn:
    """What one step did: the transport's answer to each delivery (none when it no longer listened, two when
    held-back datagrams followed an SRTP packet), and whether the peer had authenticated by then."""

    answers: tuple[Answer, ...]
    authenticated: bool


@dataclass(frozen=True)
class Closed:
    """The transport once closed, what its tasks raised and what reached the event loop's exception handler
    during the conversation."""

    transport: DtlsTransportUnderTest
    errors: tuple[BaseException, ...]
    escaped: tuple[dict[str, Any], ...]


@dataclass
class Handshake:
    """One conversation's subject: the adapter's transport and the scripted peer, once the start step has run."""

    adapter: DtlsAdapter
    session: Optional[DtlsSession] = None
    held: list[bytes] = field(default_factory=list)  # datagrams of an after_next move, for after the next one
    certificate_presented: bool = False  # the peer sent a Certificate with the signalled certificate
    key_proven: bool = False  # then signed with its key: a CertificateVerify (client), a ServerKeyExchange (server)
    unproven: bool = False  # something the peer did leaves it unproven as the peer signalled
    authenticated: Optional[bool] = None  # judged when the peer's handshake completes
    closed: bool = False

    def play(self, step: Step) -> Union[Turn, Closed]:
        if isinstance(step, Close):
            return self.close()
        answers = (self._start(step),) if isinstance(step, Start) else self._move(step)
        if self.authenticated is None:
            self._judge(step)
        return Turn(answers, self.authenticated is True)

    def _start(self, start: Start) -> Answer:
        self.session = DtlsSession(
            self.adapter, start.role, seed=PEER_SEED, peer_certificate=PEER_CERTIFICATE, timeout=STUCK_SECONDS
        )
        answer = self.session.start()
        if start.impostor:
            # start() told the transport the fingerprints of the peer's certificate at that moment; from now
            # on the peer's Certificate and signatures are the impostor's.
            self.session.peer.local_certificate = IMPOSTOR
        return answer

    def _move(self, move: Move) -> tuple[Answer, ...]:
        session = self._session
        if not session.listening:
            return ()  # nothing sent to it can change what it does
        held, self.held = self.held, []
        if move.move == SRTP:  # the session builds and delivers the packet in one go: no deviation fits it
            return (session.play(SRTP), *((session.send(held),) if held else ()))
        deviation = move.deviation
        overrides = deviation.overrides(session.peer, move.move) if deviation and deviation.overrides else {}
        session.moves[move.move](session.peer, **overrides)
        datagrams = session.peer.flush()
        if deviation is not None and deviation.rewrite is not None:
            datagrams = deviation.rewrite(session.peer, datagrams)
        if deviation is not None and deviation.held:
            self.held, datagrams = datagrams, []
        return (session.send(datagrams + held),)

    def _judge(self, step: Union[Start, Move]) -> None:
        """Whether the peer authenticated, judged when it sends a Finished computed over its handshake (RFC 5246
        §7.4.9), from which the transport can connect: it presented the signalled certificate, never another or
        none, and signed with that certificate's key (RFC 5246 §7.4.8, RFC 8422 §5.4). Judged from what the peer
        sent, not from what it received: the transport's Finished may not verify for the peer (a peer that sent
        a second Finished has it in its transcript), and yet the transport verified the first."""
        if isinstance(step, Start):
            self.unproven = step.impostor
            return
        if step.move == "EmptyCertificate" or (step.deviation is not None and step.deviation.impersonates):
            self.unproven = True
        if step.deviation is not None and not step.deviation.keeps_message:
            return  # the transport does not get the message as built (lost, forged, renumbered)
        if step.move == "Certificate":
            self.certificate_presented = True
        elif step.move in ("CertificateVerify", "ServerKeyExchange") and self.certificate_presented:
            self.key_proven = True
        elif step.move == "Finished" and self._session.peer.master_secret is not None:
            self.authenticated = self.certificate_presented and self.key_proven and not self.unproven

    def close(self) -> Closed:
        session = self._session
        self.closed = True
        session.close()
        # The session kept what the tasks raised after each step: once stopped, a transport may forget its tasks.
        errors = [*session.errors, *(error for error in session.transport.errors() if error not in session.errors)]
        return Closed(session.transport, tuple(errors), tuple(session.escaped))

    def discard(self) -> None:
        """Teardown: close the transport if the conversation did not get to (an exception ended it)."""
        if self.session is not None and not self.closed:
            self.close()

    @property
    def _session(self) -> DtlsSession:
        if self.session is None:
            raise RuntimeError("a script starts the transport before any other step")
        return self.session


def steps_of(data: bytes) -> list[Step]:
    """The conversation `data` is: its script's steps, then the close."""
    return [*decode(data).steps, CLOSE]


def conversation(adapter: DtlsAdapter) -> Conversation[Handshake, Step]:
    """The entry point for transports of `adapter` (tests give it a deliberately broken one)."""
    return Conversation(
        setup=lambda: Handshake(adapter),
        decode=steps_of,
        step=Handshake.play,
        # A transport serves one conversation (no reset): torn down at its end, within the input.
        alive=lambda handshake: False,
        teardown=Handshake.discard,
    )


def describe(data: bytes) -> list[str]:
    """The conversation in words (Target.describe)."""
    return [
        "aiortc's RTCDtlsTransport against the scripted DTLS 1.2 peer (harness/peers/dtls_peer.py), in memory, "
        "each datagram handled before the next step:",
        *(f"{number}. {step}" for number, step in enumerate(steps_of(data), 1)),
    ]


def keeps_the_contract(data: bytes, transcript: Transcript) -> None:
    """The oracle (see the module docstring). An exception of the transport's tasks, or one that reached the event
    loop's handler, is raised again as itself; then a stall, a breach of the contract, and last what was delivered
    before the peer authenticated (so that data handed up while "connecting", whoever sent it, is one bug)."""
    *turns, closed = transcript.answers
    breach = contract_breach(closed.transport, closed.errors, closed.escaped)
    if breach is not None and breach.error is not None:
        raise breach.error
    played = list(enumerate(zip(transcript.steps, turns), 1))
    for number, (step, turn) in played:
        if any(answer.trouble == STUCK for answer in turn.answers):
            raise OracleViolation(NEVER_STUCK, f"step {number} ({step}): not handled within {STUCK_SECONDS} s")
    if breach is not None:
        raise OracleViolation(breach.property, breach.detail)
    for number, (step, turn) in played:
        for answer in turn.answers:
            if answer.delivered and not turn.authenticated:
                raise OracleViolation(
                    DELIVERED_BEFORE_AUTHENTICATED,
                    f"step {number} ({step}): {' and '.join(answer.delivered)} handed to the application "
                    f"(state {answer.state!r}) before the peer authenticated",
                )
    held_to_the_reference(transcript.steps[:-1], turns)


def held_to_the_reference(steps: list[Step], turns: list[Turn]) -> None:
    """A conversation of plain moves (no deviation, no impostor) is held to the RFCs' machine too, as learned
    models are (harness.learning.reference): its first answer the reference does not allow, if a finding."""
    start, *moves = steps
    if not isinstance(start, Start) or start.impostor or any(m.deviation is not None for m in moves):  # type: ignore[union-attr]
        return
    first, *answers = [turn.answers for turn in turns]
    said: list[Answer] = []
    for answer in answers:  # none: the transport no longer listened, and that changes nothing
        said.append(answer[0] if answer else Answer((), (said[-1] if said else first[0]).state))
    finding = first_finding(Reference(start.role), first[0], [m.move for m in moves], said)  # type: ignore[union-attr]
    if finding is not None:
        raise OracleViolation(finding.kind, finding.describe())
