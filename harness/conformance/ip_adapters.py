"""The WebRTC endpoint whose IP handling is under test, behind a small adapter (docs/design.md).

The IP-handling suite talks to an `IpAdapter` only, so another stack, or a deliberately broken
one, plugs in from the command line (`--ip-adapter`) without editing a test:

- `aiortc` (the default): an RTCPeerConnection with an audio track and a data channel, gathering
  on 127.0.0.1 only (harness.peers.loopback.loopback_only);
- `path/to/file.py:Name` or `package.module:Name`: any object with the same shape.

An endpoint is created from an RTCConfiguration (W3C webrtc-pc §4.2: iceServers and
iceTransportPolicy) and shows what an application and the network see of it: its offer, the
candidates its icecandidate events announced, the pair ICE nominated, and the datagrams it sends.
The suite's peer, on the other side of every call, is the harness's own (tests/conformance/ip).
"""

from __future__ import annotations

import importlib.metadata
from typing import Protocol

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtcicetransport import RTCIceTransport

from harness.conformance.adapters import load_adapter
from harness.peers.loopback import loopback_only
from harness.protocols.sdp import SessionDescription
from harness.protocols.sdp_attributes import Attribute, Candidate

ADAPTER_ATTRIBUTES = ("name", "version", "create", "host_addresses")
CHANNEL_LABEL = "ip"


class Unsupported(Exception):
    """The endpoint has no way to do what was asked (its words say which API is missing)."""


class IpEndpoint(Protocol):
    announced: list[str]  # the candidate of every icecandidate event, as its candidate-attribute text

    async def offer(self) -> str:
        """Gather, and give the local description (with its candidates) an offer sets."""

    async def accept(self, answer: str) -> None:
        """Apply the peer's answer: ICE, DTLS and SCTP begin."""

    @property
    def ready(self) -> bool:
        """Whether it is connected and its data channel open."""

    async def send(self, message: bytes) -> None:
        """Send a message on its data channel (open)."""

    def nominated(self) -> list[tuple[Candidate, tuple[str, int]]]:
        """Each nominated pair: its local candidate and the remote address."""

    async def restart_with(self, configuration: RTCConfiguration) -> str:
        """Change the configuration mid-session, restart ICE and give the new offer; Unsupported without a way."""

    async def close(self) -> None: ...


class IpAdapter(Protocol):
    name: str
    version: str

    def create(self, configuration: RTCConfiguration) -> IpEndpoint:
        """A new endpoint with one audio track and one data channel, configured so (called on the running loop)."""

    def host_addresses(self) -> list[str]:
        """The addresses a new endpoint would gather host candidates on, on this machine now (nothing is bound)."""


def candidates(sdp: str) -> list[Candidate]:
    """Every a=candidate of an SDP text; ValueError for one that does not follow RFC 8839's grammar."""
    description = SessionDescription.parse(sdp.encode())
    found = []
    for attribute in [*description.attributes, *(a for m in description.media for a in m.attributes)]:
        if isinstance(attribute, Attribute) and attribute.name == "candidate":
            raise ValueError(f"SDP candidate is invalid: {attribute}")
        if isinstance(attribute, Candidate):
            found.append(attribute)
    return found


class AiortcEndpoint:
    """aiortc's RTCPeerConnection, gathering on 127.0.0.1 only."""

    def __init__(self, configuration: RTCConfiguration) -> None:
        self.pc = RTCPeerConnection(configuration)
        self.announced: list[str] = []
        # W3C webrtc-pc: each candidate gathered is announced by an icecandidate event (aiortc fires none).
        self.pc.on("icecandidate", self._announce)
        self.pc.addTrack(AudioStreamTrack())
        self.channel = self.pc.createDataChannel(CHANNEL_LABEL)

    def _announce(self, event: object) -> None:
        candidate = getattr(event, "candidate", None)
        if candidate is not None:
            self.announced.append(str(getattr(candidate, "candidate", candidate)))

    async def offer(self) -> str:
        with loopback_only():  # aiortc gathers in setLocalDescription
            await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    @property
    def ready(self) -> bool:
        return self.pc.connectionState == "connected" and self.channel.readyState == "open"

    async def send(self, message: bytes) -> None:
        self.channel.send(message)

    def ice_transports(self) -> list[RTCIceTransport]:
        dtls = [t.sender.transport for t in self.pc.getTransceivers()]
        dtls += [self.pc.sctp.transport] if self.pc.sctp is not None else []
        return list({id(d.transport): d.transport for d in dtls if d is not None}.values())

    def nominated(self) -> list[tuple[Candidate, tuple[str, int]]]:
        pairs = [pair for ice in self.ice_transports() for pair in ice._connection._nominated.values()]
        return [(Candidate.decode(pair.protocol.local_candidate.to_sdp()), pair.remote_addr) for pair in pairs]

    async def restart_with(self, configuration: RTCConfiguration) -> str:
        missing = [name for name in ("setConfiguration", "restartIce") if not hasattr(self.pc, name)]
        if missing:
            raise Unsupported(f"aiortc's RTCPeerConnection has no {' and no '.join(missing)}")
        self.pc.setConfiguration(configuration)  # type: ignore[attr-defined]
        self.pc.restartIce()  # type: ignore[attr-defined]
        return await self.offer()

    async def close(self) -> None:
        await self.pc.close()


class AiortcIpAdapter:
    name = "aiortc"
    version = importlib.metadata.version("aiortc")
    endpoint_class: type[AiortcEndpoint] = AiortcEndpoint

    def create(self, configuration: RTCConfiguration) -> IpEndpoint:
        return self.endpoint_class(configuration)

    def host_addresses(self) -> list[str]:
        return list(aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True))  # what RTCIceGatherer uses


def load(spec: str) -> IpAdapter:
    """The adapter an `--ip-adapter` value names; UsageError with one line when it names none."""
    return load_adapter(spec, what="IP adapter", built_in={"aiortc": AiortcIpAdapter}, attributes=ADAPTER_ATTRIBUTES)
