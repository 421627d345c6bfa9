"""An aiortc RTCDtlsTransport facing the scripted DTLS peer, in memory: the test moves each datagram.

The transport gets the ICE stand-in of harness.peers.dtls_pair (QueueIce), in the role that
makes it the DTLS server when the scripted peer is the client and the other way round (aiortc
start: controlling means server), and the peer certificate's fingerprints as its remote
parameters, as an RTCPeerConnection would from the SDP. Nothing flows by itself: the test sends
the peer's datagrams with `send` and takes aiortc's with `next_datagram`, so every step of the
conversation is the test's to shape.

    async with aiortc_facing(DtlsPeer("client")) as conversation:
        await conversation.handshake()                 # the happy path, flight by flight
        assert conversation.transport.state == "connected"
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Optional

from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsParameters, RTCDtlsTransport

from harness.peers.dtls_endpoint import CONTROLLED, CONTROLLING, certificate
from harness.peers.dtls_pair import Datagram, QueueIce
from harness.peers.dtls_peer import DtlsPeer, Received

DEFAULT_TIMEOUT = 5.0  # seconds to wait for one datagram from aiortc, and for start() to return
MAX_FLIGHTS = 12  # a happy handshake takes at most 4 flights each way; more is a loop


class Conversation:
    def __init__(self, peer: DtlsPeer, timeout: float) -> None:
        self.peer = peer
        self.timeout = timeout
        self.wire: list[Datagram] = []  # every datagram either side sent, in order
        self._aiortc_ice = QueueIce("aiortc", CONTROLLING if peer.role == "client" else CONTROLLED, self.wire)
        self._peer_ice = QueueIce("peer", CONTROLLED if peer.role == "client" else CONTROLLING, self.wire)
        self._aiortc_ice.peer, self._peer_ice.peer = self._peer_ice, self._aiortc_ice
        self.transport = RTCDtlsTransport(self._aiortc_ice, [certificate()])  # type: ignore[arg-type]
        self.states: list[str] = []
        self.transport.on("statechange", lambda: self.states.append(self.transport.state))
        self.started: Optional[asyncio.Future[None]] = None

    @property
    def remote_parameters(self) -> RTCDtlsParameters:
        """The peer certificate's fingerprints (sha-256, -384, -512), as the remote SDP would carry them."""
        local = self.peer.local_certificate
        return RTCDtlsParameters(fingerprints=RTCCertificate(local.key, local.certificate).getFingerprints())

    def start(self, parameters: Optional[RTCDtlsParameters] = None) -> None:
        """Start the transport (its start() runs the handshake and returns once it is over)."""
        self.started = asyncio.ensure_future(self.transport.start(parameters or self.remote_parameters))

    async def send(self, datagrams: list[bytes]) -> None:
        for datagram in datagrams:
            await self._peer_ice._send(datagram)

    async def next_datagram(self, timeout: Optional[float] = None) -> bytes:
        """The next datagram aiortc sends; asyncio.TimeoutError if none comes in time."""
        return await asyncio.wait_for(self._peer_ice._recv(), self.timeout if timeout is None else timeout)

    async def drained(self) -> None:
        """Wait until aiortc has handled every datagram sent to it (AssertionError after the timeout)."""
        await self._aiortc_ice.drained(self.timeout)

    async def exchange(self, datagrams: list[bytes], timeout: Optional[float] = None) -> list[Received]:
        """Send datagrams, then give the peer aiortc's next datagram and return what the peer made of it."""
        await self.send(datagrams)
        return self.peer.receive(await self.next_datagram(timeout))

    async def handshake(self) -> None:
        """Play the standard flights until the peer's handshake is complete and aiortc's start() returned."""
        if self.started is None:
            self.start()
        for _ in range(MAX_FLIGHTS):
            if self.peer.due is not None:
                await self.send(self.peer.respond())
            if self.peer.handshake_complete:
                break
            self.peer.receive(await self.next_datagram())
        assert self.started is not None
        await asyncio.wait_for(self.started, self.timeout)

    async def close(self) -> None:
        # stop() cancels the data pump without awaiting it; closing the ICE ends a handshake still running.
        tasks = [t for t in (self.started, self.transport._task) if t is not None]
        await self.transport.stop()
        self._aiortc_ice.close()
        self._peer_ice.close()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), self.timeout)


@asynccontextmanager
async def aiortc_facing(peer: DtlsPeer, *, timeout: float = DEFAULT_TIMEOUT) -> AsyncIterator[Conversation]:
    """A new aiortc transport in the role opposite to `peer`, not yet started; stopped on exit."""
    conversation = Conversation(peer, timeout)
    try:
        yield conversation
    finally:
        await conversation.close()
