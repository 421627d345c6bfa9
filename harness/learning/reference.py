"""The DTLS-SRTP handshake as the RFCs allow it, over the learner's alphabet: what a learned model is compared with.

Written from RFC 5246 §7.3 and RFC 6347 §4.2 (the flights of a full handshake with a certificate
request), RFC 5763 §5 (WebRTC authenticates both endpoints), RFC 5764 (SRTP keys from the
handshake) and W3C webrtc-pc §5.5.1 (what the transport's states promise). Where the RFCs leave
a choice, the reference allows each alternative: an unexpected message may end the handshake
with a fatal alert or be discarded (then the handshake can no longer complete: the peer's
transcript and message_seq have moved on), a server may ask for a cookie first or not. So a
reference state has, for each move, a list of `Allowed` answers, each with the state it leads
to and the requirement behind it: a non-deterministic Mealy machine that the comparison
(harness.learning.compare) tracks as a set of states.

A reference state (`Spec`) is how far the peer got through its script (the moves of a full
handshake, in order), and what the transport must be: still connecting, connected (reading the
peer's epoch, or not after a stray ChangeCipherSpec), or gone (failed or closed, for good).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from harness.conformance import dtls_requirements as rules
from harness.conformance.dtls_adapters import CLIENT, SERVER
from harness.conformance.requirements import Requirement
from harness.peers.dtls_moves import SRTP, Answer

CONNECTING, CONNECTED, GONE = "connecting", "connected", "gone"
FINAL_STATES = ("failed", "closed")
OFF_SCRIPT = -1  # the peer played a move its script did not call for: the handshake cannot complete
RECORD_MOVES = ("ApplicationData", SRTP, "Alert")  # moves that are no handshake message

# RFC 5246 §7.3, Figure 1: the server's first flight, with the CertificateRequest WebRTC needs (RFC 5763 §5).
SERVER_FLIGHT = ("ServerHello", "Certificate", "ServerKeyExchange", "CertificateRequest", "ServerHelloDone")
UNREQUESTING_SERVER_FLIGHT = ("ServerHello", "Certificate", "ServerKeyExchange", "ServerHelloDone")
CLIENT_FLIGHT = ("Certificate", "ClientKeyExchange", "CertificateVerify", "ChangeCipherSpec", "Finished")
UNAUTHENTICATED_CLIENT_FLIGHT = ("ClientKeyExchange", "ChangeCipherSpec", "Finished")  # asked for no certificate
FINAL_FLIGHT = ("ChangeCipherSpec", "Finished")
DONE = 99  # script position: the handshake is complete


def _rule(marker: object) -> Requirement:
    return Requirement(**marker.kwargs)  # type: ignore[attr-defined]


MESSAGES_IN_ORDER = _rule(rules.MESSAGES_IN_ORDER)
FINISHED_VERIFIED = _rule(rules.FINISHED_VERIFIED)
FINGERPRINT_MATCHES = _rule(rules.FINGERPRINT_MATCHES)
SERVER_EXCHANGES_COOKIE = _rule(rules.SERVER_EXCHANGES_COOKIE)
CLIENT_ANSWERS_COOKIE = _rule(rules.CLIENT_ANSWERS_COOKIE)
BOTH_ENDPOINTS_AUTHENTICATED = _rule(rules.BOTH_ENDPOINTS_AUTHENTICATED)
CONNECTED_MEANS_AUTHENTICATED = _rule(rules.CONNECTED_MEANS_AUTHENTICATED)
FAILED_AFTER_ERROR = _rule(rules.FAILED_AFTER_ERROR)
INVALID_RECORD_DISCARDED = _rule(rules.INVALID_RECORD_DISCARDED)
FATAL_ALERT_CLOSES = _rule(rules.FATAL_ALERT_CLOSES)
CONNECTED_CARRIES_DATA = _rule(rules.CONNECTED_CARRIES_DATA)
GONE_FOR_GOOD = _rule(rules.STATES_IN_ORDER)


@dataclass(frozen=True)
class Spec:
    """A state of the reference."""

    progress: int  # moves of the script played in order (DONE once complete), or OFF_SCRIPT
    transport: str = CONNECTING  # what the transport must be: CONNECTING, CONNECTED or GONE
    readable: bool = True  # the peer writes in an epoch the transport can read (not after a stray ChangeCipherSpec)
    media_keys: bool = True  # the peer's SRTP keys are the negotiated ones (a stray key exchange changes them)
    strict: bool = True  # connected: no stray handshake message since, so data must be delivered
    cookie: bool = False  # the transport as server asked for a cookie (HelloVerifyRequest)
    alerted: bool = False  # the peer sent a fatal alert the transport has not acted on yet
    buffered: bool = False  # the peer sent data in its new epoch before its Finished: it may come up any time after
    unrequested: bool = False  # the transport as server asked for no certificate (its flight had no CertificateRequest)

    def __str__(self) -> str:
        if self.transport == GONE:
            return "gone"
        notes = [] if self.readable else ["peer epoch unreadable"]
        notes += [] if self.media_keys else ["peer SRTP keys changed"]
        notes += [] if self.strict else ["loose"]
        notes += ["cookie asked"] if self.cookie else []
        notes += ["alert pending"] if self.alerted else []
        notes += ["data buffered"] if self.buffered else []
        notes += ["no certificate asked"] if self.unrequested else []
        if self.transport == CONNECTED:
            name = "connected"
        else:
            name = "off script" if self.progress == OFF_SCRIPT else f"after {self.progress} script moves"
        return ", ".join([name, *notes])


@dataclass(frozen=True)
class Allowed:
    """One answer the RFCs allow to a move, in words, the reference state after it, and the rule behind it.

    `tolerated`: an answer the rule does not allow but that does no harm as long as what follows
    stays within the reference; the comparison lists it, and goes on past it.
    """

    what: str
    holds: Callable[[Answer], bool]
    then: Spec
    rule: Requirement
    tolerated: bool = False


def _clean(answer: Answer) -> bool:
    return not answer.trouble


def silent(state: str) -> Callable[[Answer], bool]:
    return lambda a: _clean(a) and not a.sent and not a.delivered and a.state == state


def _repeats(names: tuple[str, ...]) -> bool:
    """Nothing new: its own messages again (a ChangeCipherSpec carries no message_seq to tell), records the peer
    can no longer open, warning alerts."""
    return all(
        name.endswith(("(again)", "(unreadable)")) or name == "ChangeCipherSpec" or name.startswith("Alert(warning")
        for name in names
    )


def quiet(state: str) -> Callable[[Answer], bool]:
    """At most its own flight again or a warning alert; nothing delivered."""
    return lambda a: _clean(a) and not a.delivered and a.state == state and _repeats(a.sent)


def flight(names: tuple[str, ...], state: str, *, may_deliver: tuple[str, ...] = ()) -> Callable[[Answer], bool]:
    return lambda a: _clean(a) and a.sent == names and a.state == state and set(a.delivered) <= set(may_deliver)


def gives_up(a: Answer) -> bool:
    """Failed or closed, having sent at most alerts, delivering nothing."""
    return _clean(a) and a.state in FINAL_STATES and not a.delivered and len(a.alerts) == len(a.sent)


def delivers(kind: str, *, also: tuple[str, ...] = ()) -> Callable[[Answer], bool]:
    return lambda a: (
        _clean(a) and _repeats(a.sent) and a.state == CONNECTED and kind in a.delivered
        and set(a.delivered) <= {kind, *also}
    )  # fmt: skip


def connected_quietly(*, may_deliver: tuple[str, ...]) -> Callable[[Answer], bool]:
    return lambda a: _clean(a) and a.state == CONNECTED and set(a.delivered) <= set(may_deliver) and _repeats(a.sent)


@dataclass(frozen=True)
class Script:
    """The peer's moves of a full handshake: from each position, the move that goes on, the answer due, the rule."""

    steps: dict[int, dict[str, tuple[int, tuple[str, ...], Requirement]]]
    new_epoch: int  # the position after the peer's ChangeCipherSpec: it writes in the new epoch from there


# The peer is the client (the transport is the DTLS server).
SERVER_SCRIPT = Script({
    0: {
        "ClientHello": (1, SERVER_FLIGHT, BOTH_ENDPOINTS_AUTHENTICATED),
        "ClientHelloWithCookie": (1, SERVER_FLIGHT, BOTH_ENDPOINTS_AUTHENTICATED),
    },
    1: {"Certificate": (2, (), MESSAGES_IN_ORDER)},
    2: {"ClientKeyExchange": (3, (), MESSAGES_IN_ORDER)},
    3: {"CertificateVerify": (4, (), MESSAGES_IN_ORDER)},
    4: {"ChangeCipherSpec": (5, (), MESSAGES_IN_ORDER)},
    5: {"Finished": (DONE, FINAL_FLIGHT, FINISHED_VERIFIED)},
}, new_epoch=5)  # fmt: skip
# The peer is the client of a server that asked for no certificate: it sends none, nor a CertificateVerify.
UNREQUESTED_SCRIPT = Script({
    1: {"ClientKeyExchange": (3, (), MESSAGES_IN_ORDER)},
    3: {"ChangeCipherSpec": (5, (), MESSAGES_IN_ORDER)},
    5: {"Finished": (DONE, FINAL_FLIGHT, FINISHED_VERIFIED)},
}, new_epoch=5)  # fmt: skip
# The peer is the server (the transport is the DTLS client); a server may ask for no certificate.
CLIENT_SCRIPT = Script({
    0: {"ServerHello": (1, (), MESSAGES_IN_ORDER), "HelloVerifyRequest": (0, ("ClientHello",), CLIENT_ANSWERS_COOKIE)},
    1: {"Certificate": (2, (), MESSAGES_IN_ORDER)},
    2: {"ServerKeyExchange": (3, (), MESSAGES_IN_ORDER)},
    3: {
        "CertificateRequest": (4, (), MESSAGES_IN_ORDER),
        "ServerHelloDone": (5, UNAUTHENTICATED_CLIENT_FLIGHT, MESSAGES_IN_ORDER),
    },
    4: {"ServerHelloDone": (5, CLIENT_FLIGHT, BOTH_ENDPOINTS_AUTHENTICATED)},
    5: {"ChangeCipherSpec": (6, (), MESSAGES_IN_ORDER)},
    6: {"Finished": (DONE, (), FINISHED_VERIFIED)},
}, new_epoch=6)  # fmt: skip


class Reference:
    """`impostor`: the peer presents another certificate than the one signalled (RFC 5763 §5: the handshake
    must then fail, whatever else it does right)."""

    def __init__(self, role: str, *, impostor: bool = False) -> None:
        self.role = role
        self.impostor = impostor
        self.script = SERVER_SCRIPT if role == SERVER else CLIENT_SCRIPT
        self.initial = Spec(0)

    def start_allows(self, answer: Answer) -> bool:
        """Started, a client sends its ClientHello at once (RFC 5246 §7.3), a server waits for one; both connecting."""
        return flight(("ClientHello",) if self.role == CLIENT else (), CONNECTING)(answer)

    def allowed(self, spec: Spec, move: str) -> list[Allowed]:
        if spec.transport == GONE:
            return [Allowed("nothing: gone for good", _gone_silent, spec, GONE_FOR_GOOD)]
        if spec.transport == CONNECTED:
            return self._connected(spec, move)
        return self._connecting(spec, move)

    def _connecting(self, spec: Spec, move: str) -> list[Allowed]:
        gone = Spec(OFF_SCRIPT, GONE)
        give_up = Allowed("gives up (failed, at most a fatal alert)", gives_up, gone, MESSAGES_IN_ORDER)
        if move == SRTP:
            return [Allowed("nothing (no SRTP keys yet)", silent(CONNECTING), spec, INVALID_RECORD_DISCARDED)]
        if move == "Alert":
            if not spec.readable:  # a record of an epoch the transport has no keys for (RFC 6347 §4.1.2.7)
                return [Allowed("nothing", silent(CONNECTING), spec, INVALID_RECORD_DISCARDED), give_up]
            # Tolerated: acted on later, at the latest when the handshake would complete.
            later = Allowed("nothing yet", silent(CONNECTING), replace(spec, alerted=True), FATAL_ALERT_CLOSES, True)
            return [Allowed("gives up", gives_up, gone, FATAL_ALERT_CLOSES), later]
        if move == "ApplicationData":
            # Before the handshake completes nothing is delivered; a record of the peer's next epoch may be
            # buffered and delivered once the handshake completes (RFC 6347 §4.1: records of the next epoch).
            held = replace(spec, buffered=spec.buffered or spec.progress == self.script.new_epoch)
            return [Allowed("nothing", silent(CONNECTING), held, CONNECTED_MEANS_AUTHENTICATED), give_up]
        if spec.progress != OFF_SCRIPT:
            if self.role == SERVER and spec.progress == 0 and move in ("ClientHello", "ClientHelloWithCookie"):
                return self._hello(spec, move)
            script = UNREQUESTED_SCRIPT if spec.unrequested else self.script
            step = script.steps.get(spec.progress, {}).get(move)
            if step is not None:
                position, answer, rule = step
                if position == DONE and spec.unrequested:
                    # RFC 5763 §5: the client was never asked to authenticate, so the handshake must not connect.
                    rule = BOTH_ENDPOINTS_AUTHENTICATED
                    finishes = Allowed(f"{_listed(answer)}, then gives up", flight(answer, "failed"), gone, rule, True)
                    return [Allowed("gives up (the client never authenticated)", gives_up, gone, rule), finishes]
                if position == DONE and self.impostor:
                    # Tolerated: a WebRTC stack checks the fingerprint once the DTLS handshake is over.
                    then_fails = flight(answer, "failed")
                    return [
                        Allowed("gives up (the certificate matches no signalled fingerprint)", gives_up, gone,
                                FINGERPRINT_MATCHES),
                        Allowed(f"{_listed(answer)}, then gives up", then_fails, gone, FINGERPRINT_MATCHES, True),
                    ]  # fmt: skip
                if position == DONE and spec.alerted:
                    finishes = Allowed(f"{_listed(answer)}, then gives up", flight(answer, "failed"), gone, rule, True)
                    return [Allowed("gives up", gives_up, gone, FATAL_ALERT_CLOSES), finishes]
                if position == DONE:
                    # Application data of the peer's new epoch that came before its Finished may be delivered now.
                    connects = flight(answer, CONNECTED, may_deliver=("data",))
                    then = replace(spec, progress=DONE, transport=CONNECTED)
                    return [Allowed(f"{_listed(answer)}, connected", connects, then, rule)]
                allowed = [Allowed(_listed(answer), flight(answer, CONNECTING), replace(spec, progress=position), rule)]
                if move == "ServerHelloDone" and answer == UNAUTHENTICATED_CLIENT_FLIGHT:
                    allowed.append(Allowed("gives up (wants mutual authentication)", gives_up, gone, rule))
                return allowed
        off = replace(spec, progress=OFF_SCRIPT, readable=spec.readable and move != "ChangeCipherSpec")
        return [give_up, Allowed("nothing (discarded)", quiet(CONNECTING), off, MESSAGES_IN_ORDER)]

    def _hello(self, spec: Spec, move: str) -> list[Allowed]:
        """RFC 6347 §4.2.1: a server may answer a ClientHello without its cookie with a HelloVerifyRequest."""
        asks = Allowed("HelloVerifyRequest", flight(("HelloVerifyRequest",), CONNECTING), replace(spec, cookie=True),
                       SERVER_EXCHANGES_COOKIE)  # fmt: skip
        goes_on = Allowed(_listed(SERVER_FLIGHT), flight(SERVER_FLIGHT, CONNECTING), Spec(1),
                          BOTH_ENDPOINTS_AUTHENTICATED)  # fmt: skip
        # Tolerated as long as the handshake then fails: a server that asks for no certificate (RFC 5763 §5).
        asks_no_certificate = Allowed(f"{_listed(UNREQUESTING_SERVER_FLIGHT)}: no CertificateRequest",
                                      flight(UNREQUESTING_SERVER_FLIGHT, CONNECTING), Spec(1, unrequested=True),
                                      BOTH_ENDPOINTS_AUTHENTICATED, True)  # fmt: skip
        if spec.cookie and move == "ClientHello":
            return [asks, Allowed("nothing", silent(CONNECTING), spec, SERVER_EXCHANGES_COOKIE)]
        if spec.cookie:
            return [goes_on, asks_no_certificate]
        return [goes_on, asks, asks_no_certificate]

    def _connected(self, spec: Spec, move: str) -> list[Allowed]:
        gone = Spec(DONE, GONE)
        give_up = Allowed("gives up", gives_up, gone, FAILED_AFTER_ERROR)
        # Data the peer sent in its new epoch before its Finished may come up late, one record a datagram.
        buffered = ("data",) if spec.buffered else ()
        if move == SRTP:
            if not spec.media_keys:  # RFC 3711 §3.3: a packet that fails authentication is discarded
                return [Allowed("nothing", connected_quietly(may_deliver=buffered), spec, INVALID_RECORD_DISCARDED)]
            return [Allowed("delivers the media", delivers("media", also=buffered), spec, CONNECTED_CARRIES_DATA)]
        if move == "ApplicationData":
            if not spec.readable:
                # A record of an epoch the transport has no keys for (RFC 6347 §4.1.2.7: discarded).
                discarded = connected_quietly(may_deliver=buffered)
                return [Allowed("nothing", discarded, spec, INVALID_RECORD_DISCARDED), give_up]
            delivered = Allowed("delivers the data", delivers("data"), spec, CONNECTED_CARRIES_DATA)
            return [delivered] if spec.strict else [delivered, give_up]
        if move == "Alert":
            if not spec.readable:
                discarded = connected_quietly(may_deliver=buffered)
                return [Allowed("nothing", discarded, spec, INVALID_RECORD_DISCARDED), give_up]
            return [Allowed("gives up", gives_up, gone, FATAL_ALERT_CLOSES)]
        # The scripted peer's own state moves on: a ChangeCipherSpec takes it to an epoch without keys, a
        # key exchange gives it new keys (for its records and its SRTP) the transport never agreed to.
        rekeyed = move == "ClientKeyExchange"
        after = replace(
            spec,
            strict=False,
            readable=spec.readable and move != "ChangeCipherSpec" and not rekeyed,
            media_keys=spec.media_keys and not rekeyed,
        )
        # No renegotiation here: a handshake message after the handshake is ignored or ends the connection.
        ignored = Allowed(
            "nothing new, still connected", connected_quietly(may_deliver=buffered), after, MESSAGES_IN_ORDER
        )
        return [ignored, give_up]


def _gone_silent(answer: Answer) -> bool:
    return _clean(answer) and not answer.sent and not answer.delivered and answer.state in FINAL_STATES


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "nothing"
