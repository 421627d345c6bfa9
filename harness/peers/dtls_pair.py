"""A connected pair of aiortc RTCDtlsTransport objects in memory, joined by a tapped wire, no sockets.

RTCDtlsTransport only asks its RTCIceTransport for `role` (start: with the DTLS role left "auto",
the controlling side becomes the DTLS server), `_recv()` (_recv_next, under asyncio.wait_for while
a handshake retransmission timer runs) and `_send()` (_write_ssl, _send_rtp)
(aiortc/rtcdtlstransport.py). Two stand-ins, one controlling and one controlled, play the ICE
transports: each receives from an asyncio queue, and each datagram it sends is recorded on the
wire, then put in the other side's queue unless the test holds that side's sends back. A test
can inject any datagram into either queue: a replay, a tampered copy, a forgery.

Both transports are started with each other's RTCDtlsParameters (certificate fingerprints), so
the real DTLS handshake runs, the peer identity is checked and the SRTP sessions are keyed from
the exported keying material, exactly as in an RTCPeerConnection. `RecordingReceiver` stands in
for the RTCRtpReceiver registered with a transport: it records what the transport's router
hands it, i.e. what reaches the application.

    async with dtls_pair() as pair:
        receiver = RecordingReceiver.register(pair.server.dtls, ssrcs=[SSRC], payload_type=PT)
        datagram = await pair.send_rtp(pair.client, bytes(rtp_packet))   # protected, captured
        await pair.drained(pair.server)                                   # fully handled
        pair.inject(pair.server, datagram)                                # replayed
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Optional

from aiortc.rtcdtlstransport import RTCDtlsTransport, SRTPProtectionProfile
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpDecodingParameters, RTCRtpReceiveParameters
from aiortc.rtp import AnyRtcpPacket, RtpPacket

from harness.peers.dtls_endpoint import CONTROLLED, CONTROLLING, certificate

DEFAULT_TIMEOUT = 5.0  # seconds for the handshake, for one drain, and for the teardown


@dataclass(frozen=True)
class Datagram:
    """One datagram as it crossed the wire: who sent it, and whether it was held back."""

    source: str
    data: bytes
    delivered: bool


class QueueIce:
    """Stands in for RTCIceTransport: receives from a queue, records its sends on the wire, and
    delivers them to its peer's queue when it has one (a conversation script reads the wire instead)."""

    def __init__(self, name: str, role: str, wire: list[Datagram]) -> None:
        self.name = name
        self.role = role
        self.peer: Optional[QueueIce] = None
        self.hold = False  # record this side's sends on the wire without delivering them
        self._wire = wire
        self._inbox: asyncio.Queue[Optional[bytes]] = asyncio.Queue()
        self._idle = asyncio.Event()  # set while the transport waits in _recv() with nothing queued
        self._closed = False

    async def _recv(self) -> bytes:
        if self._closed:
            raise ConnectionError("Cannot receive data, not connected")
        if self._inbox.empty():
            # The transport came back for more: it has finished with every datagram before.
            self._idle.set()
        data = await self._inbox.get()
        if data is None:
            raise ConnectionError("Cannot receive data, not connected")
        return data

    async def _send(self, data: bytes) -> None:
        if self._closed:
            raise ConnectionError("Cannot send data, not connected")
        delivered = self.peer is not None and not self.hold
        self._wire.append(Datagram(self.name, data, delivered=delivered))
        if self.peer is not None and delivered:
            self.peer.put(data)

    def take(self) -> bytes:
        """The next queued datagram without waiting: asyncio.TimeoutError when there is none."""
        if self._inbox.empty():
            raise asyncio.TimeoutError
        data = self._inbox.get_nowait()
        if data is None:
            raise ConnectionError("Cannot receive data, not connected")
        return data

    def put(self, data: bytes) -> None:
        """Queue one datagram for this side's transport to receive."""
        if self._closed:
            raise ConnectionError(f"the ICE stand-in of the {self.name} is closed")
        self._idle.clear()
        self._inbox.put_nowait(data)

    @property
    def waiting(self) -> bool:
        """The transport is in _recv() with nothing queued: it has handled every datagram before."""
        return self._idle.is_set()

    async def drained(self, timeout: float) -> None:
        """Wait until the transport has handled every queued datagram and asks for the next."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"the {self.name} did not handle its {self._inbox.qsize()} queued datagram(s) within {timeout} s"
            ) from None

    def close(self) -> None:
        """Report the ICE connection closed, as aioice does: _recv and _send raise ConnectionError."""
        if not self._closed:
            self._closed = True
            self._inbox.put_nowait(None)  # wakes a transport waiting in _recv


@dataclass
class Endpoint:
    """One side of the pair: its ICE stand-in, its DTLS transport and every state it went through."""

    name: str
    ice: QueueIce
    dtls: RTCDtlsTransport
    states: list[str] = field(default_factory=list)


@dataclass
class DtlsPair:
    server: Endpoint  # ICE controlling, hence DTLS server
    client: Endpoint  # ICE controlled, hence DTLS client
    wire: list[Datagram]  # every datagram either side sent, in order, including the handshake
    profile: SRTPProtectionProfile  # the SRTP protection profile the handshake negotiated
    timeout: float = DEFAULT_TIMEOUT

    def peer_of(self, endpoint: Endpoint) -> Endpoint:
        return self.client if endpoint is self.server else self.server

    def inject(self, to: Endpoint, data: bytes) -> None:
        """Put a datagram in `to`'s receive queue, as if it came from the peer; not recorded on the wire."""
        to.ice.put(data)

    async def drained(self, endpoint: Endpoint) -> None:
        """Wait until `endpoint` has handled everything queued for it (fails after the timeout)."""
        await endpoint.ice.drained(self.timeout)

    @contextmanager
    def held(self, sender: Endpoint) -> Iterator[None]:
        """While active, what `sender` sends is recorded on the wire but not delivered."""
        sender.ice.hold = True
        try:
            yield
        finally:
            sender.ice.hold = False

    async def send_rtp(self, sender: Endpoint, packet: bytes, *, deliver: bool = True) -> bytes:
        """Have `sender` protect and send an RTP or RTCP packet; return the SRTP/SRTCP datagram."""
        sent = len(self.wire)
        with nullcontext() if deliver else self.held(sender):
            await sender.dtls._send_rtp(packet)
        (datagram,) = self.wire[sent:]
        if deliver:
            await self.drained(self.peer_of(sender))
        return datagram.data


class RecordingReceiver:
    """Stands in for the RTCRtpReceiver registered with a transport: records what is routed to it."""

    def __init__(self) -> None:
        self.rtp: list[RtpPacket] = []
        self.rtcp: list[AnyRtcpPacket] = []
        self.disconnected = False

    @classmethod
    def register(
        cls, transport: RTCDtlsTransport, *, ssrcs: list[int], payload_type: int, mid: str = "0"
    ) -> RecordingReceiver:
        """Register a new receiver with `transport`, as RTCRtpReceiver.receive does.

        The router hands it RTP of these SSRCs with this payload type (and of any new SSRC with
        this payload type), and RTCP sender reports and BYEs from these SSRCs.
        """
        receiver = cls()
        parameters = RTCRtpReceiveParameters(
            codecs=[
                RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=payload_type)
            ],
            encodings=[RTCRtpDecodingParameters(ssrc=ssrc, payloadType=payload_type) for ssrc in ssrcs],
            muxId=mid,
        )
        transport._register_rtp_receiver(receiver, parameters)
        return receiver

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self.rtp.append(packet)

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        self.rtcp.append(packet)

    def _handle_disconnect(self) -> None:
        self.disconnected = True


def _endpoint(name: str, role: str, wire: list[Datagram], profiles: Optional[list[SRTPProtectionProfile]]) -> Endpoint:
    ice = QueueIce(name, role, wire)
    dtls = RTCDtlsTransport(ice, [certificate()])  # type: ignore[arg-type]
    if profiles is not None:
        dtls._srtp_profiles = profiles  # what the transport offers, as aiortc's own tests restrict it
    endpoint = Endpoint(name, ice, dtls)
    dtls.on("statechange", lambda: endpoint.states.append(dtls.state))
    return endpoint


@asynccontextmanager
async def dtls_pair(
    *, srtp_profiles: Optional[list[SRTPProtectionProfile]] = None, timeout: float = DEFAULT_TIMEOUT
) -> AsyncIterator[DtlsPair]:
    """A connected, SRTP-keyed pair of RTCDtlsTransport; stopped, with its tasks ended, on exit.

    `srtp_profiles` restricts the profiles both transports offer (default: all aiortc offers).
    """
    wire: list[Datagram] = []
    server = _endpoint("server", CONTROLLING, wire, srtp_profiles)
    client = _endpoint("client", CONTROLLED, wire, srtp_profiles)
    server.ice.peer, client.ice.peer = client.ice, server.ice
    try:
        await asyncio.wait_for(
            asyncio.gather(
                server.dtls.start(client.dtls.getLocalParameters()),
                client.dtls.start(server.dtls.getLocalParameters()),
            ),
            timeout,
        )
        if (server.dtls.state, client.dtls.state) != ("connected", "connected"):
            raise AssertionError(f"DTLS handshake failed: server {server.dtls.state}, client {client.dtls.state}")
        assert server.dtls._ssl is not None
        negotiated = server.dtls._ssl.get_selected_srtp_profile()
        profile = next(p for p in server.dtls._srtp_profiles if p.openssl_profile == negotiated)
        yield DtlsPair(server, client, wire, profile, timeout)
    finally:
        await _tear_down(server, client, timeout)


async def _tear_down(server: Endpoint, client: Endpoint, timeout: float) -> None:
    # stop() cancels the receive task without awaiting it, and sends a close_notify to the peer.
    tasks = [e.dtls._task for e in (server, client) if e.dtls._task is not None]
    for endpoint in (server, client):
        await endpoint.dtls.stop()
    for endpoint in (server, client):
        endpoint.ice.close()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)
    crashes = [r for r in results if isinstance(r, Exception)]
    if crashes:
        raise RuntimeError(f"a transport's receive task crashed: {crashes[0]!r}") from crashes[0]
