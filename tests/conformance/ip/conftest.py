"""Fixtures of the IP-handling suite: a TURN server, the endpoint under test (--ip-adapter) and the harness's peer.

- `turn`: coturn on 127.0.0.1 (harness.peers.turn), one for the whole run;
- `configure(policy)`: an RTCConfiguration with the TURN server and that policy;
- `offer(policy)`: the offer of a new endpoint with the TURN server and that policy, and the
  candidates its icecandidate events announced;
- `two_interfaces`: the addresses the endpoint would gather host candidates on in a network namespace
  of its own (`unshare --net`, root) with two interfaces, only the first on the default route;
- `relay_call`: one call, played once per module, between a new endpoint under the relay policy
  (the offerer) and the harness's peer (aiortc, policy "all", gathering on 127.0.0.1), which
  records the source address of every datagram its sockets receive; the endpoint sends a
  data-channel message and audio (SRTP), so STUN checks, DTLS and SRTP all cross.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from aiortc.rtcdatachannel import RTCDataChannel

from harness import project
from harness.aio import DRIVER, until
from harness.conformance.ip_adapters import IpAdapter, IpEndpoint, candidates
from harness.conformance.pytest_plugin import adapter_of
from harness.conformance.suites import named
from harness.peers.loopback import loopback_configuration, loopback_only
from harness.peers.turn import TurnServer, turn_server
from harness.protocols.sdp_attributes import Candidate

ROOT = project.current().root

MESSAGE = b"relayed, or not at all"
CALL_TIMEOUT = 15.0  # seconds for the call to connect, and again for the message and media to arrive
POLL_SECONDS = 0.05
# The namespace's interfaces (documentation prefixes, RFC 5737): a veth pair, the default route via the first.
DEFAULT_ROUTE_ADDRESS, GATEWAY, OTHER_ADDRESS = "198.51.100.2", "198.51.100.1", "203.0.113.2"
NAMESPACE_SETUP = f"""set -e
ip link set lo up
ip link add routed type veth peer name other
ip addr add {DEFAULT_ROUTE_ADDRESS}/24 dev routed
ip addr add {OTHER_ADDRESS}/24 dev other
ip link set routed up
ip link set other up
ip route add default via {GATEWAY} dev routed
exec "$0" -c "$1" "$2"
"""
ASK_HOST_ADDRESSES = (
    "import json, sys; from harness.conformance.ip_adapters import load; "
    "print(json.dumps(load(sys.argv[1]).host_addresses()))"
)


def kind_of(datagram: bytes) -> str:
    """What a datagram on a WebRTC 5-tuple carries, by its first octet (RFC 7983 §7)."""
    first = datagram[0] if datagram else -1
    if 0 <= first <= 3:
        return "stun"
    if 20 <= first <= 63:
        return "dtls"
    if 128 <= first <= 191:
        return "rtp"
    return "other"


@dataclass(frozen=True)
class Offer:
    sdp: str
    announced: tuple[str, ...]  # what the icecandidate events carried

    @property
    def candidates(self) -> list[Candidate]:
        return candidates(self.sdp) + [Candidate.decode(text.removeprefix("candidate:")) for text in self.announced]


@dataclass
class Call:
    offer: str
    sent: bytes = MESSAGE  # the one data-channel message the endpoint sends once ready
    ready: bool = False  # the endpoint connected with its data channel open, and so did the peer
    nominated: list[tuple[Candidate, tuple[str, int]]] = field(default_factory=list)
    received: list[tuple[tuple[str, int], str]] = field(default_factory=list)  # (source, kind), as the peer got them
    delivered: list[bytes] = field(default_factory=list)  # data-channel messages the peer got

    @property
    def relay_addresses(self) -> set[tuple[str, int]]:
        return {(c.address, c.port) for c in candidates(self.offer) if c.type == "relay"}


def configuration(turn: TurnServer, policy: RTCIceTransportPolicy) -> RTCConfiguration:
    server = RTCIceServer(urls=turn.url, username=turn.username, credential=turn.password)
    return RTCConfiguration(iceServers=[server], iceTransportPolicy=policy)


@pytest.fixture(scope="session")
def turn() -> Iterator[TurnServer]:
    with turn_server() as server:
        yield server


@pytest.fixture
def configure(turn: TurnServer) -> Callable[[RTCIceTransportPolicy], RTCConfiguration]:
    """The configuration of an endpoint using the suite's TURN server under a policy."""
    return lambda policy: configuration(turn, policy)


@pytest.fixture(scope="session")
def adapter(request: pytest.FixtureRequest) -> IpAdapter:
    return adapter_of(request.config, *named(["ip"]))


@dataclass(frozen=True)
class TwoInterfaces:
    host_addresses: list[str]  # what the endpoint would gather on there
    default_route_address: str = DEFAULT_ROUTE_ADDRESS
    other_address: str = OTHER_ADDRESS


@pytest.fixture(scope="session")
def two_interfaces(request: pytest.FixtureRequest) -> TwoInterfaces:
    # A namespace of its own: its interfaces are the harness's to choose, and nothing in it reaches out.
    spec = request.config.getoption(named(["ip"])[0].dest)
    run = subprocess.run(
        ["unshare", "--net", "sh", "-c", NAMESPACE_SETUP, sys.executable, ASK_HOST_ADDRESSES, spec],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if run.returncode:
        raise RuntimeError(f"no namespace of two interfaces (unshare --net needs root): {run.stderr.strip()[-500:]}")
    return TwoInterfaces(list(json.loads(run.stdout)))


@pytest.fixture
def offer(adapter: IpAdapter, configure: Callable[..., RTCConfiguration]) -> Callable[[RTCIceTransportPolicy], Offer]:
    def make(policy: RTCIceTransportPolicy) -> Offer:
        async def gather() -> Offer:
            endpoint = adapter.create(configure(policy))  # on the running loop: aiortc's objects take it
            try:
                sdp = await endpoint.offer()
                return Offer(sdp, tuple(endpoint.announced))
            finally:
                await endpoint.close()

        return DRIVER.run_alone(gather())

    return make


class RecordingPeer:
    """The harness's side of a call: aiortc on 127.0.0.1, noting where every datagram it receives came from."""

    def __init__(self, call: Call) -> None:
        self.pc = RTCPeerConnection(loopback_configuration())
        self.call = call
        self.channels: list[RTCDataChannel] = []
        self.pc.on("datachannel", self._channel)

    def _channel(self, channel: RTCDataChannel) -> None:
        self.channels.append(channel)
        channel.on("message", lambda message: self.call.delivered.append(bytes(message)))

    async def answer(self, offer: str) -> str:
        with loopback_only():
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        # Its sockets exist now, and the endpoint cannot know where they are before it has the answer.
        for protocol in self._protocols():
            protocol.datagram_received = self._recording(protocol.datagram_received)
        return str(self.pc.localDescription.sdp)

    def _protocols(self) -> list[Any]:
        transports = [t.receiver.transport for t in self.pc.getTransceivers()]
        transports += [self.pc.sctp.transport] if self.pc.sctp is not None else []
        connections = {id(t.transport._connection): t.transport._connection for t in transports if t is not None}
        return [protocol for connection in connections.values() for protocol in connection._protocols]

    def _recording(self, receive: Callable[[bytes, tuple[str, int]], None]) -> Callable[..., None]:
        # Notes each datagram and hands it on unchanged: the peer behaves as it would unobserved.
        def received(data: bytes, addr: tuple[str, int]) -> None:
            self.call.received.append(((addr[0], addr[1]), kind_of(data)))
            receive(data, addr)

        return received

    @property
    def ready(self) -> bool:
        return self.pc.connectionState == "connected" and any(c.readyState == "open" for c in self.channels)


async def _play(endpoint: IpEndpoint) -> Call:
    call = Call(offer=await endpoint.offer())
    peer = RecordingPeer(call)
    try:
        await endpoint.accept(await peer.answer(call.offer))
        call.ready = await until(lambda: endpoint.ready and peer.ready, CALL_TIMEOUT, poll=POLL_SECONDS)
        if call.ready:
            await endpoint.send(call.sent)
            kinds = lambda: {kind for _, kind in call.received}  # noqa: E731
            await until(
                lambda: bool(call.delivered) and {"stun", "dtls", "rtp"} <= kinds(), CALL_TIMEOUT, poll=POLL_SECONDS
            )
        call.nominated = endpoint.nominated()
        return call
    finally:
        await peer.pc.close()


@pytest.fixture(scope="module")
def relay_call(adapter: IpAdapter, turn: TurnServer) -> Call:
    async def play() -> Call:
        endpoint = adapter.create(configuration(turn, RTCIceTransportPolicy.RELAY))
        try:
            return await _play(endpoint)
        finally:
            await endpoint.close()

    return DRIVER.run_alone(play())
