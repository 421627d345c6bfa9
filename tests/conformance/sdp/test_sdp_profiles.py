"""Media only over SRTP keyed by DTLS (RFC 8827 §6.5, RFC 8826 §4.3.1): a description asking for plain
RTP, or for SDES keys in place of a DTLS fingerprint, is refused."""

import pytest
from sdp_edits import with_media_line, with_proto, without

from harness.conformance import sdp_requirements as req
from harness.protocols.sdp_attributes import Crypto

# RFC 3551 and RFC 4585: RTP with no protection at all, without and with feedback.
PLAIN_RTP_PROFILES = ("RTP/AVP", "RTP/AVPF")
# RFC 4568 §9.1: a=crypto:<tag> <crypto-suite> inline:<key||salt>, the keys in the description itself.
SDES = Crypto(1, "AES_CM_128_HMAC_SHA1_80", "inline:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk")


@req.SECURE_PROFILE_REQUIRED
@pytest.mark.parametrize("profile", PLAIN_RTP_PROFILES)
def test_an_offer_of_plain_rtp_is_refused(offer, take_offer, refused, profile):
    refused(take_offer(with_proto(offer, profile)))


@req.SECURE_PROFILE_REQUIRED
@pytest.mark.parametrize("profile", PLAIN_RTP_PROFILES)
def test_an_answer_of_plain_rtp_is_refused(answer, take_answer, refused, profile):
    refused(take_answer(with_proto(answer, profile)))


@req.SECURE_PROFILE_REQUIRED
def test_the_secure_profile_is_taken(offer, answer, take_offer, take_answer, taken):
    taken(take_offer(with_proto(offer, "UDP/TLS/RTP/SAVPF")))
    taken(take_answer(with_proto(answer, "UDP/TLS/RTP/SAVPF")))


@req.SDES_NOT_SELECTED
def test_an_offer_keyed_by_sdes_alone_is_refused(offer, take_offer, refused):
    refused(take_offer(with_media_line(without(offer, "fingerprint"), SDES, after="setup")))


@req.SDES_NOT_SELECTED
def test_an_answer_keyed_by_sdes_alone_is_refused(answer, take_answer, refused):
    refused(take_answer(with_media_line(without(answer, "fingerprint"), SDES, after="setup")))
