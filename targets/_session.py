"""The session targets' player and liveness oracle: an attack played on a live aiortc call, then is it alive?

The input decodes to an attack (harness.peers.session_injections): a stage, a victim, injections.
The subject is a `Call` holding a live session (harness.peers.session) of one network variant. A
call is reused from input to input, as long as it lives, the way a real call takes whatever comes
(there is no sound reset of a live call, and none is needed: an input is judged by whether the call
survives it); an attack on the way up (gathering, checking, handshake) brings up a new one, and a
call the input killed, or closed, is replaced for the next input.

The liveness oracle, after the injections (and after the renegotiation of a "renegotiation" attack):

- nothing reached the event loop's exception handler and no task of the stack ended with an
  exception: the exception itself is raised, so the finding's signature names aiortc's frame, like
  every other target's;
- never-stuck: every injection, and the close of a "closing" attack, is handled within STUCK_SECONDS;
- from an off-path or on-path sender (no keys): the call comes up despite the injection
  (comes-up), both ends stay "connected" (stays-connected), the data channel echoes a message both
  ways (carries-data) and RTP arrives both ways (carries-media), each within LIVENESS_SECONDS;
- from the authenticated peer, which may end its own call (an SCTP ABORT, a close_notify, an RTCP
  BYE for its stream): the call either still carries data or says it ended (a state other than
  "connected", the channel not "open"); a call that claims to be open and carries nothing is
  silently-dead.

The attack's sender, the strongest it uses, is the finding's severity (`Attack.sender`). Every wait is
bounded so that the slowest sound input (SLOWEST_SECONDS: a call that had to retransmit a flight,
then the liveness checks) ends within the harness's per-input timeout (5 s): beyond it is a hang.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Optional

from harness.aio import DRIVER, surface
from harness.peers import session_injections
from harness.peers.session import (
    ANSWERER,
    CONNECT_SECONDS,
    HANDLED_SECONDS,
    OFFERER,
    PEER,
    WAY_UP,
    Inject,
    LiveSession,
    connect,
    new_session,
    open_session,
)
from harness.peers.session_injections import CLOSING, RENEGOTIATION, Attack, decode, deliver
from harness.stateful import Conversation, Transcript
from harness.target import OracleViolation, Target

STUCK_SECONDS = 1.0
# An echo takes milliseconds on loopback, and audio sends a packet every 20 ms.
LIVENESS_SECONDS = 0.5
SLOWEST_SECONDS = CONNECT_SECONDS + HANDLED_SECONDS + 2 * LIVENESS_SECONDS
NEVER_STUCK, COMES_UP, STAYS_CONNECTED, CARRIES_DATA, CARRIES_MEDIA, SILENTLY_DEAD = (
    "never-stuck",
    "comes-up",
    "stays-connected",
    "carries-data",
    "carries-media",
    "silently-dead",
)
BROKEN_PROMISE = {"connected": STAYS_CONNECTED, "channel": CARRIES_DATA, "data": CARRIES_DATA, "media": CARRIES_MEDIA}


class Stuck(Exception):
    """An injection the stack did not take within STUCK_SECONDS."""


@dataclass
class Call:
    variant: str
    session: Optional[LiveSession] = None
    ended: bool = False  # the last attack ended the call (closed it): a new one comes up for the next


@dataclass(frozen=True)
class Verdict:
    """What the attack did: how each injection went out, and what the call no longer does (None: nothing)."""

    attack: Attack
    sent: tuple[str, ...] = ()
    broken: Optional[str] = None
    detail: str = ""
    states: dict[str, str] = field(default_factory=dict)


def play(call: Call, attack: Attack) -> Verdict:
    verdict = DRIVER.run(_play(call, attack))
    call.ended = call.ended or verdict.broken is not None  # a call that lost something is not taken further
    return verdict


async def _play(call: Call, attack: Attack) -> Verdict:
    sent: list[str] = []

    async def inject(session: LiveSession) -> None:
        for injection in attack.injections:
            try:
                async with asyncio.timeout(STUCK_SECONDS):
                    sent.append(await deliver(session, attack.victim, injection))
            except TimeoutError:
                raise Stuck(f"{injection} was not handled within {STUCK_SECONDS:g} s") from None

    try:
        if attack.stage in WAY_UP:
            await _end(call)
            call.session = new_session(call.variant)
            try:
                await connect(call.session, stage=attack.stage, victim=attack.victim, inject=inject)
            except (TimeoutError, ConnectionError) as exc:
                await _raise_escaped()  # what the input made the stack raise, before the close adds its own
                states = call.session.states()
                await _end(call)
                return Verdict(attack, tuple(sent), COMES_UP, str(exc), states)
        else:
            session = call.session = call.session or await open_session(call.variant)
            if attack.stage == RENEGOTIATION:
                await _offer_again(session)
                await inject(session)
                if await _still_up(session):
                    await _answer_again(session)
            elif attack.stage == CLOSING:
                return await _closing(call, attack, inject, sent)
            else:
                await inject(session)
    except Stuck as stuck:
        return Verdict(attack, tuple(sent), NEVER_STUCK, str(stuck))
    assert call.session is not None
    await _still_up(call.session)
    lost = await call.session.alive(LIVENESS_SECONDS)
    await _raise_escaped()
    return Verdict(attack, tuple(sent), lost, states=call.session.states())


async def _offer_again(session: LiveSession) -> None:
    offerer = session.sides[OFFERER].pc
    await offerer.setLocalDescription(await offerer.createOffer())


async def _answer_again(session: LiveSession) -> None:
    offerer, answerer = session.sides[OFFERER].pc, session.sides[ANSWERER].pc
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)


async def _still_up(session: LiveSession) -> bool:
    """After injections: what they made the stack raise, raised; whether both ends are still up to go on."""
    await session.handled()
    await _raise_escaped()
    return session.up()


async def _closing(call: Call, attack: Attack, inject: Inject, sent: list[str]) -> Verdict:
    session = call.session
    assert session is not None
    closing = asyncio.ensure_future(session.sides[attack.victim].pc.close())
    await asyncio.sleep(0)
    await inject(session)
    try:
        async with asyncio.timeout(STUCK_SECONDS):
            await closing
    except TimeoutError:
        return Verdict(attack, tuple(sent), NEVER_STUCK, f"the close did not finish within {STUCK_SECONDS:g} s")
    await session.handled()
    await _raise_escaped()
    call.ended = True
    return Verdict(attack, tuple(sent), None, states=session.states())


async def _raise_escaped() -> None:
    """Re-raise what a task of the stack ended with, or what reached the loop's exception handler."""
    await DRIVER.settle()
    surface(DRIVER.escaped())


async def _end(call: Call) -> None:
    """Close the call, and forget what closing it broke: the stack's tasks still bringing it up end with
    errors of their own when a call closes under them, which are the harness's doing, not the input's."""
    if call.session is not None:
        session, call.session = call.session, None
        await session.close()
    await DRIVER.cancel_tasks()
    DRIVER.escaped()


def judge(data: bytes, transcript: Transcript) -> None:
    """The liveness oracle (Target.oracle) on a conversation's transcript."""
    (judged,) = transcript.answers
    if judged.broken is None:
        return
    attack = judged.attack
    where = f"after {attack.sender} injections {attack.stage}: {judged.detail or judged.states}"
    if judged.broken == NEVER_STUCK:
        raise OracleViolation(NEVER_STUCK, where)
    if attack.sender != PEER:
        raise OracleViolation(BROKEN_PROMISE.get(judged.broken, judged.broken), where)
    if judged.broken == "data":
        raise OracleViolation(SILENTLY_DEAD, f"connected and open, yet no echo {where}")


def conversation(variant: str) -> Conversation[Call, Attack]:
    return Conversation(
        setup=lambda: Call(variant),
        decode=lambda data: [decode(data)],
        step=play,
        alive=lambda call: call.session is not None and not call.ended and call.session.up(),
        reset=lambda call: None,  # a live call takes the next input as it is (module docstring)
        teardown=lambda call: DRIVER.run(_end(call)),
    )


def describe(data: bytes) -> list[str]:
    return decode(data).lines()


def sender(data: bytes) -> str:
    return decode(data).sender


def session_target(name: str, variant: str) -> Target:
    """The session target of one network variant: the same attacks, oracle and minimizer for both."""
    return Target(
        name=name,
        protocol="WebRTC",
        component="aiortc",
        entry=conversation(variant),
        # Every datagram reaches the call through aioice's StunProtocol.datagram_received and
        # RTCDtlsTransport's receive loop (__run), which catch only what they expect (ValueError,
        # ConnectionError, SSL.Error, pylibsrtp.Error) and nothing around the call as a whole: no refusal.
        rejects=(),
        instrument=("aiortc",),
        stack=("aioice", "pylibsrtp"),
        oracle=judge,
        max_len=session_injections.MAX_LENGTH,
        strategy=session_injections.attacks,
        mutator=session_injections.mutator,
        crossover=session_injections.crossover,
        describe=describe,
        sender=sender,
        reductions=session_injections.reductions,
        slow_input_seconds=SLOWEST_SECONDS,
    )
