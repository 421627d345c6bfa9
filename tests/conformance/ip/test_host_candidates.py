"""What an offer under the default policy reveals of the host (RFC 8828 §5.2, draft-ietf-mmusic-mdns-ice-candidates).

The harness's machine has one interface, 127.0.0.1 (harness.peers.loopback.loopback_only stands in
for the real list), so mode 1 offers exactly that address, beside the TURN server's relay candidate.
Which interfaces the endpoint would use by default is asked in a network namespace with two, only
one of them on the default route: mode 2, the default without the user's consent, uses that one.
"""

import re

from aiortc.rtcconfiguration import RTCIceTransportPolicy

from harness.conformance import ip_requirements as req
from harness.peers.loopback import LOOPBACK

ALL = RTCIceTransportPolicy.ALL
# draft-ietf-mmusic-mdns-ice-candidates §3.1.1: a version 4 UUID (RFC 4122 §4.4), then ".local".
UUID4_LOCAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.local")


@req.MODE_1_HOST_ADDRESSES
def test_the_default_offer_carries_the_machines_addresses_and_the_relay(offer, turn):
    candidates = offer(ALL).candidates
    hosts = {(c.address, c.component) for c in candidates if c.type == "host"}
    assert {address for address, _ in hosts} == {LOOPBACK}, hosts
    # Mode 1 uses every interface with the TURN server too: its allocation is offered beside them.
    assert any(c.type == "relay" and turn.relays((c.address, c.port)) for c in candidates), candidates


@req.MDNS_HOST_CANDIDATES
def test_host_candidates_carry_mdns_names_instead_of_addresses(offer):
    hosts = [c.address for c in offer(ALL).candidates if c.type == "host"]
    assert hosts, "the default offer carries no host candidate"
    assert all(UUID4_LOCAL.fullmatch(address) for address in hosts), hosts


@req.MODE_2_WITHOUT_CONSENT
def test_without_consent_only_the_default_routes_interface_is_gathered_on(two_interfaces):
    assert two_interfaces.host_addresses == [two_interfaces.default_route_address], two_interfaces
