"""The DTLS-SRTP transport under test, behind a small adapter (docs/design.md, "Conformance suites").

The DTLS suite talks to a `DtlsAdapter` only, so another transport, or a deliberately broken one,
plugs in from the command line (`--dtls-adapter`) without editing a test:

- `aiortc` (the default): aiortc's RTCDtlsTransport, given datagrams in memory by an ICE stand-in;
- `path/to/file.py:Name` or `package.module:Name`: any object with the same shape.

The suite sees what a WebRTC application and the network see of a transport: the datagrams it
sends, the states it reports, the application data and media it hands up, and whether it
accepts data to send. Whether its SRTP keys are right is judged from its packets, with the
reference SRTP, not read from its insides.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import itertools
from typing import Optional, Protocol

from aiortc.rtcdtlstransport import SRTP_PROFILES, RTCDtlsFingerprint, RTCDtlsParameters, RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpDecodingParameters, RTCRtpReceiveParameters
from aiortc.rtp import AnyRtcpPacket, RtpPacket

from harness.conformance.adapters import load_adapter
from harness.peers.dtls_endpoint import CONTROLLED, CONTROLLING, certificate
from harness.peers.dtls_pair import Datagram, QueueIce

ADAPTER_ATTRIBUTES = ("name", "version", "create")
CLIENT, SERVER = "client", "server"
ROLES = (SERVER, CLIENT)
# The media stream the application above the transport receives: any SSRC with this payload type.
MEDIA_SSRC = 0x0BADCAFE
MEDIA_PAYLOAD_TYPE = 96
MEDIA_PARAMETERS = RTCRtpReceiveParameters(
    codecs=[RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=MEDIA_PAYLOAD_TYPE)],
    encodings=[RTCRtpDecodingParameters(ssrc=MEDIA_SSRC, payloadType=MEDIA_PAYLOAD_TYPE)],
    muxId="0",
)
BUSY_ROUNDS = 50  # rounds of the event loop idle() yields before it waits a millisecond a round


class DtlsTransportUnderTest(Protocol):
    role: str  # "client" or "server", given at creation
    states: list[str]  # every state it reported, in order
    data: list[tuple[str, bytes]]  # application data it handed up, each with its state at that moment
    media: list[tuple[str, bytes]]  # RTP and RTCP packets it unprotected and handed up, likewise

    @property
    def state(self) -> str: ...
    def start(self, remote_fingerprints: list[tuple[str, str]]) -> None:
        """Begin the handshake with a peer that signalled these fingerprints; returns at once."""

    def receive(self, datagram: bytes) -> None:
        """A datagram from the network."""

    async def idle(self, timeout: float) -> None:
        """Wait until it has handled every datagram given and waits for the next (AssertionError after timeout)."""

    async def next_datagram(self, timeout: float) -> bytes:
        """The next datagram it sends (asyncio.TimeoutError when none comes in time; with timeout 0, at once)."""

    async def send_data(self, data: bytes) -> None:
        """Send application data; ConnectionError when it refuses (not connected)."""

    async def send_rtp(self, packet: bytes) -> None:
        """Protect and send an RTP or RTCP packet; ConnectionError when it refuses."""

    def close_network(self) -> None:
        """The network under it goes away (ICE reports the connection closed)."""

    async def stop(self) -> None:
        """Close it, as RTCPeerConnection.close does, and end every task it runs."""

    def errors(self) -> list[BaseException]:
        """What its own tasks raised (nothing should)."""

    def listening(self) -> bool:
        """Whether any of its tasks still runs (reads the network or waits on a timer): when none does,
        nothing sent to it can change what it does, which lets a model learner stop there."""


class DtlsAdapter(Protocol):
    name: str
    version: str

    def create(self, role: str, *, srtp_profiles: Optional[tuple[bytes, ...]] = None) -> DtlsTransportUnderTest:
        """A new transport in `role`, offering `srtp_profiles` (default: all it offers)."""


class AiortcTransport:
    """aiortc's RTCDtlsTransport with an application above it and a queue below it."""

    transport_class: type[RTCDtlsTransport] = RTCDtlsTransport

    def __init__(self, role: str, srtp_profiles: Optional[tuple[bytes, ...]]) -> None:
        self.role = role
        wire: list[Datagram] = []
        # With its DTLS role left "auto", RTCDtlsTransport.start makes the controlling side the server.
        self._ice = QueueIce(role, CONTROLLING if role == SERVER else CONTROLLED, wire)
        self._network = QueueIce("network", CONTROLLED if role == SERVER else CONTROLLING, wire)
        self._ice.peer = self._network  # what the transport sends queues up there for next_datagram
        self.dtls = self.transport_class(self._ice, [certificate()])  # type: ignore[arg-type]
        if srtp_profiles is not None:
            self.dtls._srtp_profiles = [p for p in SRTP_PROFILES if p.openssl_profile in srtp_profiles]
        self.states = [self.dtls.state]
        self.dtls.on("statechange", lambda: self.states.append(self.dtls.state))
        self.data: list[tuple[str, bytes]] = []
        self.media: list[tuple[str, bytes]] = []
        self.dtls._register_data_receiver(self)
        self.dtls._register_rtp_receiver(self, MEDIA_PARAMETERS)
        self._start: Optional[asyncio.Task[None]] = None

    @property
    def state(self) -> str:
        return self.dtls.state

    # The application above the transport: RTCSctpTransport takes its data, RTCRtpReceiver its media.
    async def _handle_data(self, data: bytes) -> None:
        self.data.append((self.state, data))

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self.media.append((self.state, packet.serialize()))

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        self.media.append((self.state, bytes(packet)))

    def _handle_disconnect(self) -> None:
        pass

    def start(self, remote_fingerprints: list[tuple[str, str]]) -> None:
        fingerprints = [RTCDtlsFingerprint(algorithm, value) for algorithm, value in remote_fingerprints]
        # RTCPeerConnection runs start() as a task of its own (asyncio.ensure_future in __connect).
        self._start = asyncio.ensure_future(self.dtls.start(RTCDtlsParameters(fingerprints=fingerprints)))

    def receive(self, datagram: bytes) -> None:
        self._ice.put(datagram)

    async def idle(self, timeout: float) -> None:
        # Idle: waiting in _recv for more, or no longer reading at all (failed, closed, or between
        # the end of start() and its receive task, which handles anything queued when it starts).
        # A datagram takes a few rounds of the loop; only a transport waiting on a timer takes longer.
        deadline = asyncio.get_running_loop().time() + timeout
        for round_ in itertools.count():
            if self._ice.waiting or self.state in ("failed", "closed"):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"the {self.role} did not handle what it was given within {timeout} s")
            await asyncio.sleep(0 if round_ < BUSY_ROUNDS else 0.001)

    async def next_datagram(self, timeout: float) -> bytes:
        if timeout <= 0:
            return self._network.take()
        return await asyncio.wait_for(self._network._recv(), timeout)

    async def send_data(self, data: bytes) -> None:
        await self.dtls._send_data(data)

    async def send_rtp(self, packet: bytes) -> None:
        await self.dtls._send_rtp(packet)

    def close_network(self) -> None:
        self._ice.close()

    @property
    def _tasks(self) -> list[asyncio.Future[None]]:
        """Its handshake (start) and its receive loop, once begun."""
        return [task for task in (self._start, self.dtls._task) if task is not None]

    async def stop(self) -> None:
        tasks = self._tasks  # before stop(), which forgets the receive loop without ending it
        await self.dtls.stop()
        self._ice.close()
        self._network.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def listening(self) -> bool:
        # Failed: start() returned before the receive loop began; closed: the loop ended.
        return any(not task.done() for task in self._tasks)

    def errors(self) -> list[BaseException]:
        return [
            error
            for task in self._tasks
            if task.done() and not task.cancelled() and (error := task.exception()) is not None
        ]


class AiortcAdapter:
    name = "aiortc"
    version = importlib.metadata.version("aiortc")
    transport_class = AiortcTransport

    def create(self, role: str, *, srtp_profiles: Optional[tuple[bytes, ...]] = None) -> AiortcTransport:
        if role not in (CLIENT, SERVER):
            raise ValueError(f"DTLS role {role!r} is neither {CLIENT!r} nor {SERVER!r}")
        return self.transport_class(role, srtp_profiles)


def load(spec: str) -> DtlsAdapter:
    """The adapter a `--dtls-adapter` value names; UsageError with one line when it names none."""
    return load_adapter(spec, what="DTLS adapter", built_in={"aiortc": AiortcAdapter}, attributes=ADAPTER_ATTRIBUTES)
