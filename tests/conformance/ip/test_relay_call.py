"""A call under iceTransportPolicy "relay" against the harness's peer (policy "all"): it connects, and
everything the peer receives, STUN checks, DTLS and SRTP alike, comes from the TURN server's relay,
never from the endpoint's own sockets (JSEP RFC 8829 §3.5.3; W3C webrtc-pc RTCIceTransportPolicy)."""

from harness.conformance import ip_requirements as req


def not_relayed(call, turn, kinds):
    """The (source, kind) of every datagram of those kinds the peer got from anywhere but a relay allocation."""
    return [
        (source, kind)
        for source, kind in call.received
        if kind in kinds and not (source in call.relay_addresses and turn.relays(source))
    ]


@req.RELAY_POLICY_CARRIES_THE_CALL
def test_a_relay_only_call_connects_over_a_relayed_pair_and_carries_a_message(relay_call):
    assert relay_call.ready, "the relay-only call did not connect"
    assert relay_call.delivered == [relay_call.sent]
    locals_ = [(local.type, local.address, local.port) for local, _ in relay_call.nominated]
    assert locals_ and all(kind == "relay" for kind, _, _ in locals_), locals_


@req.RELAY_POLICY_CHECKS_ONLY_FROM_RELAY
def test_the_peer_gets_every_connectivity_check_from_the_relay(relay_call, turn):
    assert any(kind == "stun" for _, kind in relay_call.received), "the peer got no connectivity check"
    assert not_relayed(relay_call, turn, {"stun"}) == []


@req.RELAY_POLICY_CARRIES_THE_CALL
def test_the_peer_gets_every_datagram_of_the_call_from_the_relay(relay_call, turn):
    kinds = {kind for _, kind in relay_call.received}
    assert {"stun", "dtls", "rtp"} <= kinds, f"the peer got only {sorted(kinds)}"
    assert not_relayed(relay_call, turn, {"stun", "dtls", "rtp", "other"}) == []
