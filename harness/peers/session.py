"""A live call between two aiortc peers, for injecting hostile datagrams into it and checking that it lives on.

Two RTCPeerConnections, each with an audio track and a small video track, and a data channel
("fuzz") the offerer opens, connected on 127.0.0.1 (harness.peers.loopback) over one of two networks:

- "udp": real UDP sockets, as in a call;
- "memory": aioice's sockets replaced by endpoints of a MemoryNetwork (no kernel), for throughput.

Both come up in a few tens of milliseconds (`open_session`). `connect(session, stage=..., victim=...,
inject=...)` stops at a stage of the way up (gathering, checking, handshake) to let hostile
datagrams in there, and goes on to "connected".

Who sends: an injection comes from one of three senders, and that is a finding's severity:
- "off-path": another address on 127.0.0.1 that knows nothing of the call;
- "on-path": the peer's own address and port (what a spoofer on the path sends), without its keys;
- "peer": the authenticated peer itself, which holds the ICE password, the DTLS keys and the SRTP
  keys (`PeerKeys`), as far as the call has made them by then.

`alive()` is the liveness oracle's measurement: both ends still "connected", a data-channel message
echoed both ways, and RTP received both ways, each within a deadline.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Optional

from aioice import Connection
from aiortc import RTCDataChannel, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from aiortc.rtcdtlstransport import RTCDtlsTransport
from av import VideoFrame

from harness.peers.loopback import LOOPBACK, loopback_configuration, loopback_only
from harness.peers.memory_network import Address, MemoryNetwork
from harness.peers.session_capture import SessionCapture

UDP, MEMORY = "udp", "memory"
VARIANTS = (UDP, MEMORY)
OFF_PATH, ON_PATH, PEER = "off-path", "on-path", "peer"
SENDERS = (OFF_PATH, ON_PATH, PEER)
OFFERER, ANSWERER = "offerer", "answerer"
SIDES = (OFFERER, ANSWERER)
GATHERING, CHECKING, HANDSHAKE = "gathering", "checking", "handshake"
WAY_UP = (GATHERING, CHECKING, HANDSHAKE)  # stages a session passes on its way to "connected"
# A pair on loopback connects in tens of milliseconds; a call that lost a DTLS flight and waits for its
# retransmission (after 1 s, then 2 s more) still comes up within this.
CONNECT_SECONDS = 3.5
# The off-path sender's address on the in-memory network (below the network's own ports).
STRANGER: Address = (LOOPBACK, 39999)
HANDLED_SECONDS = 0.002  # what a datagram on loopback takes to reach the receiving socket, and more
HANDLED_ROUNDS = 8  # rounds of the loop from a datagram's arrival to the layer it is meant for (STUN, DTLS, SCTP)
SCTP_PORT = 5000  # aiortc's SCTP port on both ends (RFC 8841 §5's default)

Inject = Callable[["LiveSession"], Awaitable[None]]


class SmallVideoTrack(VideoStreamTrack):
    """Black 32x24 frames at aiortc's video pace: real VP8 media for a fraction of a 640x480 frame's CPU."""

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=32, height=24)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts, frame.time_base = pts, time_base
        return frame


@dataclass
class Side:
    name: str
    pc: RTCPeerConnection
    channel: Optional[RTCDataChannel] = None  # its end of the "fuzz" channel, once open
    messages: list[Any] = field(default_factory=list)  # what reached it over the channel

    @property
    def dtls(self) -> RTCDtlsTransport:
        """Its DTLS transport: the data channel's (which bundling keeps), or before that its first transceiver's."""
        return self.pc.sctp.transport if self.pc.sctp is not None else self.pc.getTransceivers()[0].sender.transport

    def dtls_transports(self) -> set[RTCDtlsTransport]:
        """Every DTLS transport it has made so far (bundling keeps one of them)."""
        transports = {transceiver.sender.transport for transceiver in self.pc.getTransceivers()}
        return transports | ({self.pc.sctp.transport} if self.pc.sctp is not None else set())

    @property
    def ice(self) -> Connection:
        return self.dtls.transport.iceGatherer._connection

    def _protocol(self) -> Any:
        """The socket it speaks from: its nominated pair's, or its host candidate's (None before it has gathered)."""
        protocols = [pair.protocol for pair in self.ice._nominated.values()] or list(self.ice._protocols)
        return protocols[0] if protocols else None

    @property
    def address(self) -> Optional[Address]:
        """Where its datagrams come from and go to (None before it has gathered a candidate)."""
        protocol = self._protocol()
        return None if protocol is None else (protocol.local_candidate.host, protocol.local_candidate.port)

    def transport(self) -> Any:
        """The datagram transport of its address (the peer's socket, for an on-path sender to speak from)."""
        return self._protocol().transport


@dataclass(frozen=True)
class PeerKeys:
    """What the authenticated peer holds for talking to the victim, as far as the call has made it."""

    ice_username: str  # USERNAME of a check to the victim: "<victim ufrag>:<peer ufrag>" (RFC 8445 §7.2.2)
    # The victim's password, the MESSAGE-INTEGRITY key of checks to it (RFC 8445 §7.2.2), once signalled to the peer.
    ice_password: Optional[bytes]
    dtls: Optional[RTCDtlsTransport]  # the peer's transport, once connected: it encrypts under the DTLS keys
    srtp: Any  # the peer's outbound pylibsrtp Session, once keyed
    sctp_ports: tuple[int, int]  # source and destination port of the peer's SCTP packets
    sctp_tag: int  # the verification tag the victim expects (its initiate tag; 0 before the association)
    sctp_next_tsn: int  # the TSN of the peer's next DATA chunk
    live_ssrcs: frozenset[int]  # the SSRCs of the peer's own streams


class LiveSession:
    def __init__(
        self,
        variant: str,
        offerer: RTCPeerConnection,
        answerer: RTCPeerConnection,
        capture: Optional[SessionCapture] = None,
    ) -> None:
        self.variant = variant
        self.capture = capture  # written when the session closes
        self.sides = {OFFERER: Side(OFFERER, offerer), ANSWERER: Side(ANSWERER, answerer)}
        self.network: Optional[MemoryNetwork] = None
        self._stranger: Optional[socket.socket] = None
        self._pings = 0

    def peer_of(self, victim: str) -> Side:
        return self.sides[ANSWERER if victim == OFFERER else OFFERER]

    def keys(self, victim: str) -> PeerKeys:
        """What the victim's peer holds by now: read from the peer's side only."""
        peer = self.peer_of(victim)
        connected = peer.dtls.state == "connected"
        password, sctp = peer.ice.remote_password, peer.pc.sctp
        return PeerKeys(
            ice_username=f"{peer.ice.remote_username}:{peer.ice.local_username}",
            ice_password=password.encode() if password is not None else None,
            dtls=peer.dtls if connected else None,
            srtp=peer.dtls._tx_srtp if connected else None,
            sctp_ports=(sctp.port, sctp.port) if sctp is not None else (SCTP_PORT, SCTP_PORT),
            sctp_tag=sctp._remote_verification_tag if sctp is not None else 0,
            sctp_next_tsn=sctp._local_tsn if sctp is not None else 0,
            live_ssrcs=frozenset(ssrc for sender in peer.pc.getSenders() for ssrc in (sender._ssrc, sender._rtx_ssrc)),
        )

    def send(self, sender: str, victim: str, datagram: bytes) -> str:
        """`datagram` to the victim's address from `sender`'s, a stranger's or the peer's own; says how it went."""
        destination, peer = self.sides[victim].address, self.peer_of(victim)
        source = STRANGER if sender == OFF_PATH else peer.address
        if destination is None or source is None:
            return f"not sent: the {'victim' if destination is None else 'peer'} has no address yet"
        if self.network is not None:
            self.network.deliver(datagram, source=source, destination=destination)
        elif sender == OFF_PATH:
            self._stranger_socket().sendto(datagram, destination)
        else:
            # A copy of the peer's socket: asyncio's transports drop an empty datagram, a socket sends it.
            with peer.transport().get_extra_info("socket").dup() as sock:
                sock.sendto(datagram, destination)
        return f"{len(datagram)} octets"

    def _stranger_socket(self) -> socket.socket:
        if self._stranger is None:
            self._stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._stranger.bind((LOOPBACK, 0))
        return self._stranger

    def states(self) -> dict[str, str]:
        return {name: side.pc.connectionState for name, side in self.sides.items()}

    async def handled(self) -> None:
        """Give the stack time to take in what was just sent, before it is judged: on the in-memory network a
        datagram arrives on the next round of the loop; over UDP the kernel hands it over within a millisecond."""
        if self.network is None:
            await asyncio.sleep(HANDLED_SECONDS)
        for _ in range(HANDLED_ROUNDS):
            await asyncio.sleep(0)

    def up(self) -> bool:
        """Both ends "connected" and the data channel open at both: what open_session waits for."""
        channels = [side.channel for side in self.sides.values()]
        return all(state == "connected" for state in self.states().values()) and all(
            channel is not None and channel.readyState == "open" for channel in channels
        )

    async def alive(self, deadline: float) -> Optional[str]:
        """None if the call carries on; otherwise what it no longer does: "connected" (an end says it is not),
        "channel" (an end of the data channel says it is not open), "data" (no echo) or "media" (no RTP)."""
        if any(state != "connected" for state in self.states().values()):
            return "connected"
        if any(side.channel is None or side.channel.readyState != "open" for side in self.sides.values()):
            return "channel"
        # RTP counted from here on: it keeps arriving while the echo goes round.
        before = {name: await self._rtp_received(side) for name, side in self.sides.items()}
        try:
            async with asyncio.timeout(deadline):
                await self._echo_both_ways()
        except TimeoutError:
            return "data"
        try:
            async with asyncio.timeout(deadline):
                await self._media_both_ways(before)
        except TimeoutError:
            return "media"
        return None

    async def _echo_both_ways(self) -> None:
        for sender, receiver in ((OFFERER, ANSWERER), (ANSWERER, OFFERER)):
            self._pings += 1
            ping = f"ping {self._pings}"
            channel = self.sides[sender].channel
            assert channel is not None
            channel.send(ping)
            while ping not in self.sides[receiver].messages:
                await asyncio.sleep(0.001)

    async def _media_both_ways(self, before: dict[str, int]) -> None:
        for name, side in self.sides.items():
            while await self._rtp_received(side) <= before[name]:
                await asyncio.sleep(0.005)

    @staticmethod
    async def _rtp_received(side: Side) -> int:
        report = await side.pc.getStats()
        return sum(stats.packetsReceived for stats in report.values() if stats.type == "inbound-rtp")

    async def close(self) -> None:
        if self.capture is not None:  # while the DTLS transports still hold their keys
            self.capture.write(self.sides.values())
        for side in self.sides.values():
            await side.pc.close()
        if self._stranger is not None:
            self._stranger.close()
            self._stranger = None


def new_session(variant: str, *, capture: Optional[Path] = None) -> LiveSession:
    """Two peer connections not yet connected (`connect` brings them up).

    `capture`: a pcapng file of every datagram, the offer and answer, and the keys, written when the
    session closes (harness.peers.session_capture); the in-memory network is the one that sees them all.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown session variant {variant!r} (known: {', '.join(VARIANTS)})")
    if capture is not None and variant != MEMORY:
        raise ValueError(f"a capture is written from the {MEMORY} session's network, not the {variant} one's")
    offerer, answerer = (RTCPeerConnection(loopback_configuration()) for _ in SIDES)
    return LiveSession(variant, offerer, answerer, SessionCapture(capture) if capture is not None else None)


async def connect(
    session: LiveSession, *, stage: Optional[str] = None, victim: str = ANSWERER, inject: Optional[Inject] = None
) -> None:
    """Bring the session up; `inject` runs once when `victim` reaches `stage` on the way up (WAY_UP).

    TimeoutError (saying how far each side got) if it is not up within CONNECT_SECONDS, ConnectionError
    if a side failed; the session is left as it is, for the caller to look at before closing it.
    """
    try:
        async with asyncio.timeout(CONNECT_SECONDS):  # no task of its own: the harness's tasks are the stack's
            await _connect(session, stage, victim, inject)
    except TimeoutError:
        states = session.states()
        raise TimeoutError(
            f"the {session.variant} session did not connect within {CONNECT_SECONDS:g} s: {states}"
        ) from None


async def open_session(variant: str) -> LiveSession:
    """A connected session, or the error of `connect` with the session closed."""
    session = new_session(variant)
    try:
        await connect(session)
    except BaseException:
        await session.close()
        raise
    return session


async def _connect(session: LiveSession, stage: Optional[str], victim: str, inject: Optional[Inject]) -> None:
    offerer, answerer = session.sides[OFFERER], session.sides[ANSWERER]

    async def at(reached: str, side: str) -> None:
        if inject is not None and reached == stage and side == victim:
            await inject(session)

    for pc in (offerer.pc, answerer.pc):
        pc.addTrack(AudioStreamTrack())
        pc.addTrack(SmallVideoTrack())
    offerer.channel = offerer.pc.createDataChannel("fuzz")
    offerer.channel.on("message", offerer.messages.append)

    @answerer.pc.on("datachannel")
    def opened(channel: RTCDataChannel) -> None:
        answerer.channel = channel
        channel.on("message", answerer.messages.append)

    with loopback_only(), _network_of(session):
        await offerer.pc.setLocalDescription(await offerer.pc.createOffer())
        await at(GATHERING, OFFERER)
        if session.capture is not None:
            session.capture.signaled(OFFERER, offerer.pc.localDescription)
        await answerer.pc.setRemoteDescription(offerer.pc.localDescription)
        await answerer.pc.setLocalDescription(await answerer.pc.createAnswer())
        await at(GATHERING, ANSWERER)
        if session.capture is not None:
            session.capture.signaled(ANSWERER, answerer.pc.localDescription)
        await offerer.pc.setRemoteDescription(answerer.pc.localDescription)
        await at(CHECKING, victim)
        if stage == HANDSHAKE:
            # Each round of the loop is a step of the stack: the injection follows the victim's DTLS transport
            # into "connecting" within one.
            while not any(dtls.state != "new" for dtls in session.sides[victim].dtls_transports()):
                _fail_if_failed(session)
                await asyncio.sleep(0)
            await at(HANDSHAKE, victim)
    while not session.up():
        _fail_if_failed(session)
        await asyncio.sleep(0.002)


def _fail_if_failed(session: LiveSession) -> None:
    if "failed" in session.states().values():
        raise ConnectionError(f"the session failed on the way up: {session.states()}")


def _network_of(session: LiveSession) -> ContextManager[None]:
    """The in-memory session's network in place of sockets while open; nothing for "udp"."""
    if session.variant != MEMORY:
        return nullcontext()
    session.network = MemoryNetwork()
    if session.capture is not None:
        session.network.taps.append(session.capture.datagram)
    return session.network.attached(asyncio.get_running_loop())
