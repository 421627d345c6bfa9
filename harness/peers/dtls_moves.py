"""A DTLS transport under test facing the scripted peer, driven one abstract move at a time from plain code.

A model learner and the dtls_handshake target speak of a conversation in moves ("ClientHello",
"Certificate", "Finished", "SRTP", ...), not bytes. `DtlsSession` is the mapper between the
two (docs/design.md, "Stateful targets"): it turns each move into records built by the scripted
peer from the conversation so far (harness.peers.dtls_peer), hands them to the transport
(harness.conformance.dtls_adapters), and turns what the transport did into an `Answer`: the
messages it sent as the peer read them, its state afterwards, what reached the application,
and any error or stall.

    session = DtlsSession(AiortcAdapter(), "server", seed=0)
    session.start()                       # the transport starts; as client it sends its ClientHello
    session.play("ClientHello")           # Answer: ServerHello,...,ServerHelloDone | connecting
    session.close()

A move is the message the handshake would send in the peer's role, numbered as the next message
(RFC 6347 §4.2.2) and protected with the peer's current write epoch, whatever came before: a
Finished before any key exchange carries zero verify_data, an SRTP packet before any keys is
protected with a key nobody negotiated. Each move may take the builder's overrides, which is how
the dtls_handshake target lies in a field.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, Optional

from harness.aio import DRIVER
from harness.conformance.dtls_adapters import CLIENT, SERVER, DtlsAdapter
from harness.peers.dtls_peer import DtlsPeer, PeerCertificate, Received
from harness.protocols import dtls_handshake, srtp
from harness.protocols.dtls_handshake import FATAL, HANDSHAKE_FAILURE, VERIFY_DATA_LENGTH, Alert
from harness.protocols.rtp import RtpPacket
from harness.protocols.srtp_keys import session_keys
from harness.protocols.srtp_profiles import dtls_srtp_profile
from harness.protocols.tls_crypto import SrtpKeyingMaterial

DEFAULT_TIMEOUT = 3.0  # seconds the transport may take over one move before it counts as stuck
COOKIE = b"cookie-of-the-scripted-dtls-peer"  # RFC 6347 §4.2.1: opaque to the client
APPLICATION_DATA = b"application data from the peer"
ALERT = Alert(FATAL, HANDSHAKE_FAILURE)  # a fatal alert: the transport must give the connection up
# The media the peer sends: RTP the application above the transport takes (MEDIA_PARAMETERS).
MEDIA_PAYLOAD_TYPE, MEDIA_SSRC, FIRST_MEDIA_SEQ = 96, 0x0BADCAFE, 4000
# What protects SRTP sent before any keys exist: a profile and master key nobody negotiated.
UNKEYED_PROFILE = dtls_srtp_profile(b"SRTP_AES128_CM_SHA1_80")
UNKEYED_MASTER = bytes(UNKEYED_PROFILE.key_length + UNKEYED_PROFILE.salt_length)

ALERT_NAMES = {
    value: name.lower()
    for name, value in vars(dtls_handshake).items()
    if name.isupper() and value in dtls_handshake.ALERT_DESCRIPTIONS and isinstance(value, int)
}
LEVEL_NAMES = {dtls_handshake.WARNING: "warning", FATAL: "fatal"}


def _handshake_message(builder: str, **fixed: Any) -> Callable[..., None]:
    def move(peer: DtlsPeer, **overrides: Any) -> None:
        peer.send_step(builder, **{**fixed, **overrides})

    return move


def _client_hello_with_cookie(peer: DtlsPeer, **overrides: Any) -> None:
    # The cookie of a HelloVerifyRequest if one came, else one the transport never issued.
    peer.send_step("client_hello", **{"cookie": peer.cookie_received or COOKIE, **overrides})


def _client_key_exchange(peer: DtlsPeer, **overrides: Any) -> None:
    # Before any ServerKeyExchange the peer knows no group of the server's: it takes its own first.
    group = peer.group if peer.group is not None else peer.groups[0]
    peer.send_step("client_key_exchange", **{"group": group, **overrides})


def _finished(peer: DtlsPeer, **overrides: Any) -> None:
    # Before any key exchange there is no master secret to compute verify_data from.
    verify_data = None if peer.master_secret is not None else bytes(VERIFY_DATA_LENGTH)
    peer.send_step("finished", **{"verify_data": verify_data, **overrides})


def _application_data(peer: DtlsPeer, data: bytes = APPLICATION_DATA) -> None:
    peer.application_data(data)


def _alert(peer: DtlsPeer, level: int = ALERT.level, description: int = ALERT.description) -> None:
    peer.alert(level, description)


# The peer is the DTLS client: the moves of a client, for a transport under test in the server role.
CLIENT_MOVES: dict[str, Callable[..., None]] = {
    "ClientHello": _handshake_message("client_hello", cookie=b""),
    "ClientHelloWithCookie": _client_hello_with_cookie,
    "Certificate": _handshake_message("certificate"),
    "EmptyCertificate": _handshake_message("certificate", certificates=[]),
    "ClientKeyExchange": _client_key_exchange,
    "CertificateVerify": _handshake_message("certificate_verify"),
    "ChangeCipherSpec": lambda peer: peer.change_cipher_spec(),
    "Finished": _finished,
    "ApplicationData": _application_data,
    "Alert": _alert,
}
# The peer is the DTLS server: the mirror set, for a transport under test in the client role.
SERVER_MOVES: dict[str, Callable[..., None]] = {
    "HelloVerifyRequest": _handshake_message("hello_verify_request", cookie=COOKIE),
    "ServerHello": _handshake_message("server_hello"),
    "Certificate": _handshake_message("certificate"),
    "EmptyCertificate": _handshake_message("certificate", certificates=[]),
    "ServerKeyExchange": _handshake_message("server_key_exchange"),
    "CertificateRequest": _handshake_message("certificate_request"),
    "ServerHelloDone": _handshake_message("server_hello_done"),
    "ChangeCipherSpec": lambda peer: peer.change_cipher_spec(),
    "Finished": _finished,
    "ApplicationData": _application_data,
    "Alert": _alert,
}
SRTP = "SRTP"  # a move of both roles, played by the session (it numbers the packets)
# The abstract alphabets, by the role of the transport under test.
ALPHABETS: dict[str, tuple[str, ...]] = {
    SERVER: (*CLIENT_MOVES, SRTP),
    CLIENT: (*SERVER_MOVES, SRTP),
}
NOTHING = "-"
STUCK = "stuck"  # Answer.trouble of a move the transport did not handle within the session's timeout


@dataclass(frozen=True)
class Answer:
    """What the transport did after one move, as a learned model's output: `str` and `parse` round-trip.

    `sent`: each record or message it sent as the peer read it ("ServerHello", "Finished(bad)" when
    it does not verify, "Finished(again)" when retransmitted, "Alert(fatal,unexpected_message)",
    "Handshake(unreadable)" when the peer could not open it); `state`: its state afterwards;
    `delivered`: "data" and/or "media" when something reached the application ("data@connecting" when
    it did while the transport was not connected yet); `trouble`: the
    type of an exception its tasks raised or the event loop's handler received, or "stuck".
    """

    sent: tuple[str, ...]
    state: str
    delivered: tuple[str, ...] = ()
    trouble: str = ""

    def __str__(self) -> str:
        parts = [" ".join(self.sent) or NOTHING, self.state, *self.delivered]
        if self.trouble:
            parts.append(f"!{self.trouble}")
        return " | ".join(parts)

    @classmethod
    def parse(cls, text: str) -> Answer:
        sent, state, *rest = text.split(" | ")
        trouble = next((part[1:] for part in rest if part.startswith("!")), "")
        delivered = tuple(part for part in rest if not part.startswith("!"))
        return cls(tuple(sent.split(" ")) if sent != NOTHING else (), state, delivered, trouble)

    @property
    def alerts(self) -> tuple[str, ...]:
        return tuple(name for name in self.sent if name.startswith("Alert("))


def read_as(item: Received) -> Optional[str]:
    """An item of what the transport sent, as an Answer names it; None for a fragment of a message not yet whole."""
    if item.error is not None:
        return f"{item.name}(unreadable)"
    if not item.complete:
        return None
    if isinstance(item.message, Alert):
        level = LEVEL_NAMES.get(item.message.level, str(item.message.level))
        return f"Alert({level},{ALERT_NAMES.get(item.message.description, item.message.description)})"
    if item.retransmission:
        return f"{item.name}(again)"
    if item.verified is False:
        return f"{item.name}(bad)"
    return item.name


class DtlsSession:
    """A new transport of `adapter` in `role`, the scripted peer in the other, on the harness's event loop."""

    def __init__(
        self,
        adapter: DtlsAdapter,
        role: str,
        *,
        seed: int = 0,
        peer_certificate: Optional[PeerCertificate] = None,
        signalled: Optional[PeerCertificate] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """`signalled`: the certificate whose fingerprints the transport is told (default: the peer's own; another
        one makes the peer an impostor, as a man in the middle is)."""
        self.role = role
        self.transport = adapter.create(role)
        self.peer = DtlsPeer("client" if role == SERVER else "server", seed=seed, certificate=peer_certificate)
        self.signalled = signalled or self.peer.local_certificate
        self.timeout = timeout
        self.moves = CLIENT_MOVES if role == SERVER else SERVER_MOVES
        self.errors: list[BaseException] = []  # what the transport's tasks raised, in order
        self.escaped: list[dict[str, Any]] = []  # what reached the event loop's exception handler
        self._media_seq = FIRST_MEDIA_SEQ
        self._stuck = False

    @property
    def alphabet(self) -> tuple[str, ...]:
        return ALPHABETS[self.role]

    def start(self) -> Answer:
        """Start the transport, told the signalled fingerprints; what it sent at once (as client, its ClientHello)."""
        return DRIVER.run(self._after(lambda: self.transport.start(self.signalled.fingerprints())))

    def play(self, move: str, **overrides: Any) -> Answer:
        """Send the peer's `move` (a name of `alphabet`), and what the transport did about it."""
        if move == SRTP:
            return DRIVER.run(self._deliver([self._srtp_packet()]))
        if move not in self.moves:
            raise ValueError(f"{move!r} is not a move of the {self.peer.role} ({', '.join(self.alphabet)})")
        self.moves[move](self.peer, **overrides)
        return DRIVER.run(self._deliver(self.peer.flush()))

    def send(self, datagrams: list[bytes]) -> Answer:
        """Datagrams as they are (a replay, a tampered copy), and what the transport did about them."""
        return DRIVER.run(self._deliver(datagrams))

    @property
    def listening(self) -> bool:
        """Whether the transport can still react: a stalled one, or one whose tasks all ended, cannot."""
        if self._stuck:
            return False
        return self.transport.listening()

    def close(self) -> None:
        """Stop the transport and end every task it started (also after a stall)."""
        try:
            DRIVER.run(asyncio.wait_for(self.transport.stop(), self.timeout))
        finally:
            DRIVER.end_tasks()
            self.escaped += DRIVER.escaped()

    def _srtp_packet(self) -> bytes:
        """The next RTP packet of the peer's media, under the peer's half of the negotiated keys (if any)."""
        sequence, self._media_seq = self._media_seq, self._media_seq + 1
        packet = bytes(RtpPacket(MEDIA_PAYLOAD_TYPE, sequence, sequence * 160, MEDIA_SSRC, payload=b"peer media"))
        profile, master = UNKEYED_PROFILE, UNKEYED_MASTER
        if self.peer.master_secret is not None and self.peer.negotiated_srtp_profile is not None:
            keys: SrtpKeyingMaterial = self.peer.srtp_keying_material()
            profile = keys.profile
            master = keys.client_master if self.peer.role == CLIENT else keys.server_master
        return srtp.protect_rtp(session_keys(profile, master, rtcp=False), profile, packet, sequence)

    async def _deliver(self, datagrams: list[bytes]) -> Answer:
        def hand_over() -> None:
            for datagram in datagrams:
                self.transport.receive(datagram)

        return await self._after(hand_over)

    async def _after(self, action: Callable[[], None]) -> Answer:
        data, media, errors = len(self.transport.data), len(self.transport.media), len(self.errors)
        action()
        await asyncio.sleep(0)
        trouble = ""
        try:
            await self.transport.idle(self.timeout)
        except AssertionError:
            self._stuck, trouble = True, STUCK
        sent: list[str] = []
        while True:
            try:
                # Idle, it has answered already: take what it sent without waiting for more.
                datagram = await self.transport.next_datagram(0)
            except asyncio.TimeoutError:
                break
            sent += [name for item in self.peer.receive(datagram) if (name := read_as(item)) is not None]
        self.errors = [*self.errors, *(e for e in self.transport.errors() if e not in self.errors)]
        escaped = DRIVER.escaped()
        self.escaped += escaped
        if not trouble and len(self.errors) > errors:
            trouble = type(self.errors[-1]).__name__
        elif not trouble and escaped:
            trouble = type(escaped[0].get("exception")).__name__ if escaped[0].get("exception") else "escaped"
        delivered = tuple(
            kind if state == "connected" else f"{kind}@{state}"
            for kind, now, before in (("data", self.transport.data, data), ("media", self.transport.media, media))
            for state in dict.fromkeys(state for state, _ in now[before:])
        )  # fmt: skip
        return Answer(tuple(sent), self.transport.state, delivered, trouble)
