"""The DTLS certificate bound to the description (RFC 8827 §6.5, RFC 5763 §5, RFC 8122 §5): a description
that binds it to nothing usable is refused when it is taken, not left for the handshake to find out."""

import pytest
from sdp_edits import with_attribute, with_session_fingerprints, without

from harness.conformance import sdp_requirements as req

# a=fingerprint values that name no usable certificate digest (RFC 8122 §5: hash-func SP fingerprint,
# the fingerprint two upper-case hex digits per octet, as many octets as the hash function gives).
UNUSABLE_FINGERPRINTS = {
    "unknown-hash-function": "no-such-hash " + ":".join(["AB"] * 32),
    "not-hex": "sha-256 " + ":".join(["ZZ"] * 32),
    "one-octet": "sha-256 00",
}


@req.FINGERPRINT_REQUIRED
def test_an_offer_without_a_fingerprint_is_refused(offer, take_offer, refused):
    refused(take_offer(without(offer, "fingerprint")))


@req.FINGERPRINT_REQUIRED
def test_an_answer_without_a_fingerprint_is_refused(answer, take_answer, refused):
    refused(take_answer(without(answer, "fingerprint")))


@req.FINGERPRINT_REQUIRED
def test_fingerprints_at_session_level_are_taken(offer, answer, take_offer, take_answer, taken):
    taken(take_offer(with_session_fingerprints(offer)))
    taken(take_answer(with_session_fingerprints(answer)))


@req.USABLE_FINGERPRINT_REQUIRED
@pytest.mark.parametrize("value", sorted(UNUSABLE_FINGERPRINTS))
def test_an_answer_whose_only_fingerprint_is_unusable_is_refused(answer, take_answer, refused, value):
    refused(take_answer(with_attribute(answer, "fingerprint", UNUSABLE_FINGERPRINTS[value])))


@req.USABLE_FINGERPRINT_REQUIRED
@pytest.mark.parametrize("value", sorted(UNUSABLE_FINGERPRINTS))
def test_an_offer_whose_only_fingerprint_is_unusable_is_refused(offer, take_offer, refused, value):
    refused(take_offer(with_attribute(offer, "fingerprint", UNUSABLE_FINGERPRINTS[value])))


@req.USABLE_FINGERPRINT_REQUIRED
def test_a_fingerprint_line_with_the_hash_function_alone_is_refused(offer, answer, take_offer, take_answer, refused):
    refused(take_offer(with_attribute(offer, "fingerprint", "sha-256")))
    refused(take_answer(with_attribute(answer, "fingerprint", "sha-256")))


@req.USABLE_FINGERPRINT_REQUIRED
def test_one_sha_256_fingerprint_is_enough(answer, take_answer, taken):
    sha_256 = next(value for value in _fingerprints(answer) if value.startswith("sha-256 "))
    taken(take_answer(with_attribute(answer, "fingerprint", sha_256)))


def _fingerprints(sdp):
    return [line[len("a=fingerprint:") :] for line in sdp.splitlines() if line.startswith("a=fingerprint:")]
