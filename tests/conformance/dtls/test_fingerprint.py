"""The certificate bound to the signalled fingerprint (RFC 5763 §5, RFC 8122 §5): a transport that
cannot match the peer's certificate to a fingerprint installs no keys, delivers nothing and fails."""

import random

import pytest

from harness.conformance import dtls_requirements as req
from harness.conformance.dtls_adapters import ROLES
from harness.conformance.dtls_exchange import (
    RTP,
    SEQ,
    ApplicationData,
    ExpectDelivered,
    ExpectSendRefused,
    ExpectState,
    HandshakeFlights,
    Send,
    Start,
)
from harness.peers.dtls_peer_keys import PeerCertificate
from harness.protocols import srtp

OTHER = PeerCertificate.generate(random.Random(99), common_name="not the signalled one")
SIGNALLED_MISMATCHES = {
    "another-certificate": OTHER.fingerprints(),
    "sha-256-of-another": [OTHER.fingerprints()[0]],
    "sha-384-of-another": [OTHER.fingerprints()[1]],
    "sha-512-of-another": [OTHER.fingerprints()[2]],
    "lower-case-of-another": [(name, value.lower()) for name, value in OTHER.fingerprints()],
}


def media_protected_under_the_peers_half(peer):
    keys = peer.srtp_keying_material()
    master = keys.client_master if peer.role == "client" else keys.server_master
    return [srtp.protect_rtp(srtp.session_keys(keys.profile, master, rtcp=False), keys.profile, RTP, SEQ)]


def unauthenticated(fingerprints):
    """A whole handshake with a peer the fingerprints do not vouch for, then data and media from it."""
    return (
        Start(fingerprints=fingerprints),
        HandshakeFlights(),
        ExpectState("failed"),
        ApplicationData(b"from an impostor"),
        Send(media_protected_under_the_peers_half),
        ExpectDelivered([]),
        ExpectSendRefused(),
    )


@req.FINGERPRINT_MATCHES
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("mismatch", sorted(SIGNALLED_MISMATCHES))
def test_a_certificate_matching_no_signalled_fingerprint_ends_the_session(converse, role, mismatch):
    converse(role, *unauthenticated(SIGNALLED_MISMATCHES[mismatch]))


@req.CONNECTED_MEANS_AUTHENTICATED
@pytest.mark.parametrize("role", ROLES)
def test_an_unauthenticated_peer_never_sees_the_transport_connected(converse, role):
    exchange = converse(role, *unauthenticated(OTHER.fingerprints()))
    assert "connected" not in exchange.transport.states, exchange.transport.states
    assert not exchange.transport.data and not exchange.transport.media


@req.UNSUPPORTED_HASH_AUTHENTICATES_NOTHING
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "fingerprints",
    [[("sha-1", "00:" * 19 + "00")], [("md5", "00:" * 15 + "00")], [("no-such-hash", "00")]],
    ids=["sha-1", "md5", "unknown"],
)
def test_fingerprints_only_of_unsupported_hash_functions_authenticate_nothing(converse, role, fingerprints):
    converse(role, *unauthenticated(fingerprints))


@req.UNSUPPORTED_HASH_AUTHENTICATES_NOTHING
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("value", ["", "zz", "00", "SHA-256"], ids=["empty", "not-hex", "one-octet", "a-name"])
def test_a_malformed_fingerprint_authenticates_nothing(converse, role, value):
    converse(role, *unauthenticated([("sha-256", value)]))
