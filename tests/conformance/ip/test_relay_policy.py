"""What an offer under iceTransportPolicy "relay" exposes (JSEP RFC 8829 §3.5.3): relay candidates,
allocations of the configured TURN server, and nothing else, not even through a related address."""

from aiortc.rtcconfiguration import RTCIceTransportPolicy

from harness.conformance import ip_requirements as req
from harness.protocols.sdp import SessionDescription

RELAY = RTCIceTransportPolicy.RELAY
# RFC 8839 §5.1: the related address and port a candidate carries when it reveals none.
HIDDEN_RELATED = {("0.0.0.0", 9), ("::", 9)}
# RFC 8839 §4.2.1.2 (via JSEP RFC 8829 §5.2.1): an m-section's port and c= address before gathering.
NO_DEFAULT_CANDIDATE = ("0.0.0.0", 9)


def default_destinations(sdp: str) -> list[tuple[str, int]]:
    """Each m-section's default candidate: the c= address and the m= port a non-ICE peer would send to."""
    description = SessionDescription.parse(sdp.encode())
    return [
        ((media.connections or (description.connection,))[0].address, media.media.port)  # type: ignore[union-attr]
        for media in description.media
    ]


@req.RELAY_POLICY_EXPOSES_ONLY_RELAY
def test_the_relay_offer_carries_only_relay_candidates_of_the_turn_server(offer, turn):
    relay_offer = offer(RELAY)
    exposed = [(c.type, c.address, c.port) for c in relay_offer.candidates]
    assert exposed, "the offer carries no candidate at all"
    assert all(kind == "relay" and turn.relays((address, port)) for kind, address, port in exposed), exposed


@req.RELAY_POLICY_EXPOSES_ONLY_RELAY
def test_the_relay_offer_names_no_other_default_destination(offer, turn):
    relay_offer = offer(RELAY)
    relayed = {(c.address, c.port) for c in relay_offer.candidates if c.type == "relay"}
    defaults = default_destinations(relay_offer.sdp)
    assert defaults and all(d in relayed or d == NO_DEFAULT_CANDIDATE for d in defaults), (defaults, relayed)


@req.RELAY_POLICY_HIDES_RELATED_ADDRESS
def test_relay_candidates_reveal_no_related_address(offer):
    related = [(c.related_address, c.related_port) for c in offer(RELAY).candidates if c.type == "relay"]
    assert related, "the offer carries no relay candidate"
    assert all(pair in HIDDEN_RELATED for pair in related), related
