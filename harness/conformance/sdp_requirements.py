"""The requirements the SDP/JSEP security suite checks, each once, as markers its tests carry.

The words are the specification's sentence in a few words. Where a sentence binds the sender of
a description ("the answerer MUST use ..."), what a receiver must do with a description breaking
it is "derived": the receiver refuses it, since taking it would let the signaling peer switch the
protection off or leave the DTLS certificate bound to nothing.
"""

from harness.conformance.requirements import requirement

# RFC 8827 §6.5 and RFC 5763 §5: media and data only over DTLS-SRTP, bound to the signalled certificate
FINGERPRINT_REQUIRED = requirement(
    8827, "6.5", "MUST", "DTLS-SRTP for every media channel: a description without a=fingerprint is refused"
)
USABLE_FINGERPRINT_REQUIRED = requirement(
    5763,
    "5",
    "derived",
    "a description whose fingerprints are only of unknown hash functions, or malformed, is refused",
)
SECURE_PROFILE_REQUIRED = requirement(
    8827, "6.5", "MUST NOT", "no media over plain RTP: an m= line with RTP/AVP (not UDP/TLS/RTP/SAVPF) is refused"
)
SDES_NOT_SELECTED = requirement(
    8827, "6.5", "MUST NOT", "SDP Security Descriptions are not selected: a=crypto without a=fingerprint is refused"
)

# RFC 5763 §5 and RFC 4145 §4.1: who is the DTLS client
OFFER_SETUP_ACTPASS = requirement(5763, "5", "MUST", "the offerer's a=setup is actpass")
ANSWER_SETUP_NOT_ACTPASS = requirement(
    5763, "5", "MUST", "the answerer's a=setup is active or passive: an answer with another value is refused"
)
SETUP_DECIDES_DTLS_ROLE = requirement(
    4145, "4.1", "derived", "the side whose a=setup is active is the DTLS client, the passive side the DTLS server"
)
ANSWER_WITHOUT_SETUP = requirement(
    4145,
    "4.1",
    "derived",
    "an answer without a=setup is refused, or read with the default 'passive' of an answer (offerer is client)",
)
OFFER_WITHOUT_SETUP = requirement(
    4145, "4.1", "derived", "an offer without a=setup is read with the default 'active' of an offer (answerer: server)"
)
SESSION_LEVEL_SETUP = requirement(
    4145, "4", "derived", "a session-level a=setup applies to every m-section without its own; a media-level one wins"
)

# RFC 8839 §5.4 (RFC 5245 §15.4): the ICE credentials the connectivity checks are authenticated with
ICE_CREDENTIALS_PRESENT = requirement(
    8839, "5.4", "MUST", "every m-section has an ice-ufrag and an ice-pwd: a description without is refused"
)
ICE_UFRAG_GRAMMAR = requirement(
    8839, "5.4", "derived", "an ice-ufrag of fewer than 4 or more than 256 ice-chars (ALPHA, DIGIT, + or /) is refused"
)
ICE_PWD_GRAMMAR = requirement(
    8839, "5.4", "derived", "an ice-pwd of fewer than 22 or more than 256 ice-chars (ALPHA, DIGIT, + or /) is refused"
)

# How a refusal is made (W3C webrtc-pc §4.4.1, setRemoteDescription rejects an invalid description with
# an error): aiortc's own refusals are the exceptions RTCPeerConnection.setRemoteDescription raises itself.
WEBRTC = "W3C webrtc-pc"
REFUSED_AS_DOCUMENTED = requirement(
    WEBRTC,
    "4.4.1",
    "derived",
    "a description is taken or refused with the stack's own refusal (aiortc: ValueError and its W3C errors)",
)
