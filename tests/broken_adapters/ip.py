"""Deliberately broken IP handling: each must make the IP suite fail on its own requirement.

Each is aiortc's RTCPeerConnection with one decision changed, behind the default adapter
(harness.conformance.ip_adapters), so `--ip-adapter tests/broken_adapters/ip.py:Name` runs the
suite against it. tests/test_conformance.py names the requirement each must fail.
"""

import re
from dataclasses import replace

from aiortc import RTCConfiguration
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from harness.conformance.ip_adapters import AiortcEndpoint, AiortcIpAdapter, candidates

# "a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ..."
HOST_CANDIDATE_LINE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ \S+ \d+ typ host.*\r?\n", re.MULTILINE)


def _gathering_everything(configuration: RTCConfiguration) -> RTCConfiguration:
    return replace(configuration, iceTransportPolicy=RTCIceTransportPolicy.ALL)


class LeaksHostCandidates(AiortcEndpoint):
    """Ignores the relay policy: gathers, offers and checks from every candidate."""

    def __init__(self, configuration: RTCConfiguration) -> None:
        super().__init__(_gathering_everything(configuration))


class ChecksFromHostSockets(AiortcEndpoint):
    """Offers only its relay candidates, as the policy asks, but still pairs and checks from its host ones."""

    def __init__(self, configuration: RTCConfiguration) -> None:
        self.relay_only = configuration.iceTransportPolicy == RTCIceTransportPolicy.RELAY
        super().__init__(_gathering_everything(configuration))

    async def offer(self) -> str:
        sdp = await super().offer()
        return HOST_CANDIDATE_LINE.sub("", sdp) if self.relay_only else sdp


class RevealsRelatedAddress(AiortcEndpoint):
    """Writes its own socket's address (the TURN server's XOR-MAPPED-ADDRESS) as the relay candidates' raddr."""

    async def offer(self) -> str:
        sdp = await super().offer()
        mapped = {
            (protocol.local_candidate.host, protocol.local_candidate.port): protocol.transport.get_extra_info(
                "related_address"
            )
            for ice in self.ice_transports()
            for protocol in ice._connection._protocols
            if protocol.local_candidate.type == "relay"
        }
        for candidate in candidates(sdp):
            if (candidate.address, candidate.port) in mapped:
                address, port = mapped[candidate.address, candidate.port]
                revealing = replace(candidate, related_address=address, related_port=port)
                sdp = sdp.replace(str(candidate), str(revealing))
        return sdp


class OffersTheWildcardAddress(AiortcEndpoint):
    """Offers its host candidates at 0.0.0.0, the address it would bind to, not the interface's."""

    async def offer(self) -> str:
        sdp = await super().offer()
        for candidate in candidates(sdp):
            if candidate.type == "host":
                sdp = sdp.replace(str(candidate), str(replace(candidate, address="0.0.0.0")))
        return sdp


def _adapter(endpoint: type[AiortcEndpoint]) -> type[AiortcIpAdapter]:
    return type(f"{endpoint.__name__}Adapter", (AiortcIpAdapter,), {"endpoint_class": endpoint})


LeaksHostCandidatesUnderRelayPolicyAdapter = _adapter(LeaksHostCandidates)
ChecksFromHostSocketsUnderRelayPolicyAdapter = _adapter(ChecksFromHostSockets)
RevealsRelatedAddressAdapter = _adapter(RevealsRelatedAddress)
OffersTheWildcardAddressAdapter = _adapter(OffersTheWildcardAddress)
