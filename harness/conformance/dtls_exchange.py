"""DTLS conformance conversations that read like the wire: the scripted peer sends, the transport answers.

    await play(
        exchange,
        Flight(),                                        # the peer's ClientHello
        Expect("ServerHello", "Certificate", "ServerKeyExchange", "CertificateRequest", "ServerHelloDone"),
        Flight(finished={"verify_data": bytes(12)}),     # its last flight, with a wrong Finished
        ExpectAlert(DECRYPT_ERROR),
        ExpectState("failed"),
    )

The peer is harness.peers.dtls_peer.DtlsPeer in the role opposite to the transport under test
(harness.conformance.dtls_adapters); a step builds what it sends from the peer's state when it
runs. Whatever a conversation checks, `Exchange.check_contract` checks as well at its end what
every conversation must keep (`contract_breach`, which the dtls_handshake fuzz target applies too):
the transport's tasks raised nothing, nothing reached the event loop's exception handler, its
states went new -> connecting -> connected | failed -> closed with each reported once, and no data
or media reached the application unless it was "connected".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

from harness.aio import DRIVER, NOTHING_ESCAPES
from harness.conformance.dtls_adapters import MEDIA_PAYLOAD_TYPE, MEDIA_SSRC, SERVER, DtlsTransportUnderTest
from harness.peers.dtls_peer import DtlsPeer, Received
from harness.protocols import dtls, srtp
from harness.protocols.dtls_handshake import FATAL, Alert
from harness.protocols.rtp import RtpPacket

DEFAULT_TIMEOUT = 3.0  # seconds for one answer of the transport
SEQ = 4000  # the RTP sequence number of the media checks, ROC 0: the SRTP index is the SEQ
RTP = bytes(RtpPacket(MEDIA_PAYLOAD_TYPE, SEQ, SEQ * 160, MEDIA_SSRC, payload=b"media from the transport"))
# Legal successors of each state (W3C webrtc-pc RTCDtlsTransportState): "connected" only after the
# handshake and the fingerprint check, "failed" and "closed" for good.
NEXT_STATES = {
    "new": ("connecting", "closed"),
    "connecting": ("connected", "failed", "closed"),
    "connected": ("closed", "failed"),
    "failed": ("closed",),
    "closed": (),
}
# The promises of the transport contract (W3C webrtc-pc §5.5.1), named as a broken one is reported.
TASKS_RAISE_NOTHING = "tasks-raise-nothing"
STATES_IN_ORDER = "states-in-order"
DELIVERED_WHEN_CONNECTED = "delivered-only-when-connected"
# The flights of a full handshake with mutual authentication (RFC 5246 §7.3), as Expect names them.
SERVER_FLIGHT = ("ServerHello", "Certificate", "ServerKeyExchange", "CertificateRequest", "ServerHelloDone")
CLIENT_FLIGHT = ("Certificate", "ClientKeyExchange", "CertificateVerify", "ChangeCipherSpec", "Finished")


@dataclass(frozen=True)
class Breach:
    """A promise of the transport contract broken: which (`property`), what happened, and the exception behind it."""

    property: str
    detail: str
    error: Optional[BaseException] = None


def contract_breach(
    transport: DtlsTransportUnderTest, errors: Sequence[BaseException], escaped: Sequence[Mapping[str, Any]]
) -> Optional[Breach]:
    """The first promise of the transport contract `transport` broke, given what its tasks raised (`errors`: a
    closed transport may no longer list its receive task) and what reached the event loop's exception handler.

    In this order: its own tasks raised nothing; nothing reached the event loop's exception handler;
    its states went new -> connecting -> connected | failed -> closed, each reported once (NEXT_STATES);
    it handed data and media to the application only while "connected" (W3C webrtc-pc §5.5.1).
    """
    if errors:
        return Breach(TASKS_RAISE_NOTHING, f"the transport's own task raised {errors[0]!r}", errors[0])
    if escaped:
        context = escaped[0]
        detail = f"reached the event loop's exception handler: {context.get('message')}"
        return Breach(NOTHING_ESCAPES, detail, context.get("exception"))
    states = transport.states
    if states[:1] != ["new"]:
        return Breach(STATES_IN_ORDER, f"states {states} do not start with 'new'")
    for before, after in zip(states, states[1:]):
        if after not in NEXT_STATES[before]:
            return Breach(STATES_IN_ORDER, f"state {before!r} went to {after!r} (states {states})")
    early = [(state, payload) for state, payload in (*transport.data, *transport.media) if state != "connected"]
    if early:
        state, payload = early[0]
        return Breach(DELIVERED_WHEN_CONNECTED, f"handed {payload[:16].hex()}... to the application while {state!r}")
    return None


@dataclass
class Exchange:
    transport: DtlsTransportUnderTest
    peer: DtlsPeer
    timeout: float = DEFAULT_TIMEOUT
    received: list[Received] = field(default_factory=list)  # all the peer made of what the transport sent
    _unread: list[Received] = field(default_factory=list)

    @property
    def remote_fingerprints(self) -> list[tuple[str, str]]:
        """The peer certificate's fingerprints, as its SDP would carry them (RFC 8122 §5)."""
        return self.peer.local_certificate.fingerprints()

    async def deliver(self, datagrams: Sequence[bytes]) -> None:
        """Datagrams from the peer to the transport, each handled before this returns."""
        for datagram in datagrams:
            self.transport.receive(datagram)
        await self.transport.idle(self.timeout)

    async def next_items(self, timeout: Optional[float] = None) -> list[Received]:
        """What the peer makes of the transport's next datagram (asyncio.TimeoutError if none comes)."""
        if not self._unread:
            items = self.peer.receive(await self.transport.next_datagram(self.timeout if timeout is None else timeout))
            self.received += items
            self._unread += [item for item in items if item.complete or item.error]
        unread, self._unread = self._unread, []
        return unread

    def check_contract(self) -> None:
        """What every conversation keeps, whatever it sent (see the module docstring)."""
        breach = contract_breach(self.transport, self.transport.errors(), DRIVER.escaped())
        assert breach is None, breach.detail


class Step:
    async def run(self, exchange: Exchange) -> None:
        raise NotImplementedError


@dataclass
class Start(Step):
    """The transport starts, told the remote fingerprints (the peer's, unless given)."""

    fingerprints: Optional[list[tuple[str, str]]] = None

    async def run(self, exchange: Exchange) -> None:
        exchange.transport.start(exchange.remote_fingerprints if self.fingerprints is None else self.fingerprints)
        await asyncio.sleep(0)


class Flight(Step):
    """The flight the peer's handshake calls for now; `omit` and builder overrides as DtlsPeer.respond takes them."""

    def __init__(self, *, omit: tuple[str, ...] = (), records_per_datagram: Optional[int] = None, **overrides: Any):
        self.options = dict(omit=omit, records_per_datagram=records_per_datagram, **overrides)

    async def run(self, exchange: Exchange) -> None:
        await exchange.deliver(exchange.peer.respond(**self.options))


@dataclass
class Send(Step):
    """Datagrams built from the peer's state when the step runs: `Send(lambda peer: [peer.replay(0)])`."""

    build: Callable[[DtlsPeer], list[bytes]]

    async def run(self, exchange: Exchange) -> None:
        await exchange.deliver(self.build(exchange.peer))


class Expect(Step):
    """The transport sends exactly these next, in order (handshake messages by name, "ChangeCipherSpec", ...),
    each one verified where the peer can verify it (signatures, Finished); `retransmitted`: all again,
    as a retransmission, within `within` seconds."""

    def __init__(self, *names: str, retransmitted: bool = False, within: Optional[float] = None) -> None:
        self.names = names
        self.retransmitted = retransmitted
        self.within = within

    async def run(self, exchange: Exchange) -> None:
        wanted, seen = list(self.names), list[str]()
        while len(seen) < len(wanted):
            try:
                items = await exchange.next_items(self.within)
            except asyncio.TimeoutError:
                raise AssertionError(f"expected {wanted}, got {seen} and then nothing") from None
            for item in items:
                name = item.name
                assert item.error is None, f"expected {wanted}, got {[*seen, name]}: {item.error}"
                assert item.verified is not False, f"{name} does not verify"
                # A ChangeCipherSpec carries no message_seq: whether it is sent again does not show.
                again = item.retransmission or (self.retransmitted and item.content_type == dtls.CHANGE_CIPHER_SPEC)
                if again != self.retransmitted:
                    raise AssertionError(f"expected {wanted}{' again' * self.retransmitted}, got {name}"
                                         f"{' again' * again} after {seen}")  # fmt: skip
                if self.retransmitted and name in seen:
                    continue  # the same message again in other fragments
                seen.append(name)
                assert seen == wanted[: len(seen)], f"expected {wanted}, got {seen}"


class ExpectAlert(Step):
    """A fatal alert with one of these descriptions (any, when none is named), and nothing but it."""

    def __init__(self, *descriptions: int) -> None:
        self.descriptions = descriptions

    async def run(self, exchange: Exchange) -> None:
        try:
            items = await exchange.next_items()
        except asyncio.TimeoutError:
            raise AssertionError("expected a fatal alert, got nothing") from None
        alerts = [item.message for item in items if isinstance(item.message, Alert)]
        assert alerts, f"expected a fatal alert, got {[item.name for item in items]}"
        alert = alerts[0]
        assert alert.level == FATAL, f"expected a fatal alert, got {alert}"
        assert not self.descriptions or alert.description in self.descriptions, (
            f"expected {self.descriptions}, got {alert}"
        )


class ExpectState(Step):
    """The transport's state is (or becomes, within the timeout) one of these."""

    def __init__(self, *states: str) -> None:
        self.states = states

    async def run(self, exchange: Exchange) -> None:
        deadline = asyncio.get_running_loop().time() + exchange.timeout
        while exchange.transport.state not in self.states and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        assert exchange.transport.state in self.states, (
            f"state {exchange.transport.state!r} (went {exchange.transport.states}), expected {self.states}"
        )


@dataclass
class Check(Step):
    """A property of the exchange so far, said in words: `Check("the cookie came back", lambda x: ...)`."""

    what: str
    holds: Callable[[Exchange], bool]

    async def run(self, exchange: Exchange) -> None:
        assert self.holds(exchange), f"not so: {self.what}"


class CloseNetwork(Step):
    """The network under the transport goes away (ICE reports its connection closed)."""

    async def run(self, exchange: Exchange) -> None:
        exchange.transport.close_network()
        await asyncio.sleep(0)


class ExpectSendRefused(Step):
    """The transport refuses to send application data and media (it is not connected)."""

    async def run(self, exchange: Exchange) -> None:
        for send, what in ((exchange.transport.send_data, b"data"), (exchange.transport.send_rtp, RTP)):
            try:
                await send(what)
            except ConnectionError:
                continue
            raise AssertionError(f"the transport sent {what!r} while {exchange.transport.state!r}")


@dataclass
class ApplicationData(Step):
    """The peer sends application data in the current epoch."""

    data: bytes

    async def run(self, exchange: Exchange) -> None:
        exchange.peer.application_data(self.data)
        await exchange.deliver(exchange.peer.flush())


@dataclass
class ExpectDelivered(Step):
    """The application above the transport got exactly this application data, in this order."""

    data: list[bytes]

    async def run(self, exchange: Exchange) -> None:
        got = [payload for _, payload in exchange.transport.data]
        assert got == self.data, f"the application got {got}, expected {self.data}"


class ExpectSrtpKeyedByExporter(Step):
    """RFC 5764 §4.2: the transport protects with its role's half of the exporter's keying material and
    accepts what the peer protects with the peer's half (the reference SRTP on the peer's side)."""

    async def run(self, exchange: Exchange) -> None:
        keys = exchange.peer.srtp_keying_material()
        profile = keys.profile
        own, theirs = (keys.server_master, keys.client_master)
        if exchange.transport.role != SERVER:
            own, theirs = theirs, own
        sent = RTP
        await exchange.transport.send_rtp(sent)
        protected = await exchange.transport.next_datagram(exchange.timeout)
        try:
            opened = srtp.unprotect_rtp(srtp.session_keys(profile, own, rtcp=False), profile, protected, SEQ)
        except srtp.SrtpError as error:
            raise AssertionError(f"the transport's SRTP does not open with its half of the exporter's keys: {error!r}")
        assert opened == sent, "the transport's SRTP opens to another packet than it was given"
        ours = bytes(RtpPacket(MEDIA_PAYLOAD_TYPE, SEQ, SEQ * 160, MEDIA_SSRC, payload=b"media from the peer"))
        await exchange.deliver([srtp.protect_rtp(srtp.session_keys(profile, theirs, rtcp=False), profile, ours, SEQ)])
        assert ours in [payload for _, payload in exchange.transport.media], "SRTP under the peer's half not delivered"


async def play(exchange: Exchange, *steps: Step) -> None:
    """Run the conversation, then check the transport's contract."""
    for step in steps:
        await step.run(exchange)
    exchange.check_contract()


class HandshakeFlights(Step):
    """Every flight of a full handshake, each side in turn, whatever the roles; checks each answer verifies."""

    async def run(self, exchange: Exchange) -> None:
        peer = exchange.peer
        for _ in range(8):
            if peer.due is not None:
                await exchange.deliver(peer.respond())
            if peer.handshake_complete:
                break
            for item in await exchange.next_items():
                assert item.error is None and item.verified is not False, f"{item.name}: {item.error}"
        assert peer.handshake_complete, "the handshake did not complete"
        await ExpectState("connected", "failed").run(exchange)
