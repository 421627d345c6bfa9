"""The requirements the DTLS-SRTP handshake suite checks, each once, as markers its tests carry.

The words are the specification's sentence in a few words; the report groups tests by them.
W3C webrtc-pc's RTCDtlsTransportState (§5.5.1) defines what a transport's states promise.
"""

from harness.conformance.requirements import requirement

WEBRTC = "W3C webrtc-pc"

# RFC 6347, DTLS 1.2
DUPLICATE_RECORD_DISCARDED = requirement(
    6347, "4.1.2.6", "SHOULD", "a record whose sequence number was already received is discarded (replay detection)"
)
INVALID_RECORD_DISCARDED = requirement(
    6347, "4.1.2.7", "SHOULD", "an invalid record (MAC, length) is silently discarded and the association survives"
)
EARLIER_EPOCH_DISCARDED = requirement(6347, "4.1", "SHOULD", "records of an earlier epoch are discarded")
FRAGMENTS_REASSEMBLED = requirement(
    6347, "4.2.3", "MUST", "a handshake message fragmented over records is buffered until whole, then processed"
)
UNANSWERED_FLIGHT_RETRANSMITTED = requirement(
    6347, "4.2.4", "SHOULD", "a flight left unanswered is sent again when the timer (1 s at first) expires"
)
CLIENT_ANSWERS_COOKIE = requirement(
    6347, "4.2.1", "MUST", "the client answers a HelloVerifyRequest with the same ClientHello carrying the cookie"
)
SERVER_EXCHANGES_COOKIE = requirement(
    6347, "4.2.1", "SHOULD", "a server performs a cookie exchange whenever a new handshake is performed"
)

# RFC 5246, the TLS 1.2 handshake DTLS 1.2 runs
MESSAGES_IN_ORDER = requirement(
    5246, "7.4", "MUST", "handshake messages come in the order given; one in an unexpected order is a fatal error"
)
FINISHED_VERIFIED = requirement(
    5246, "7.4.9", "MUST", "the recipient of a Finished verifies that its contents are correct"
)
CHANGE_CIPHER_SPEC_BEFORE_FINISHED = requirement(
    5246, "7.4.9", "derived", "a Finished not preceded by a ChangeCipherSpec is a fatal error"
)
CERTIFICATE_VERIFY_CHECKED = requirement(
    5246, "7.4.8", "derived", "a client certificate counts only with a CertificateVerify that verifies under it"
)

# RFC 5764, DTLS-SRTP
ONE_OFFERED_PROFILE = requirement(
    5764, "4.1.1", "MUST", "the server's use_srtp holds exactly one profile, one the client offered"
)
MKI_AS_OFFERED = requirement(5764, "4.1.3", "MUST", "a client aborts when the server's MKI is not the one it offered")
KEYS_FROM_EXPORTER = requirement(
    5764, "4.2", "MUST", "SRTP keys are EXTRACTOR-dtls_srtp cut client key, server key, client salt, server salt"
)

# RFC 5763 and RFC 8122, the certificate bound to the signalled fingerprint
FINGERPRINT_MATCHES = requirement(
    5763, "5", "MUST", "a certificate matching no signalled fingerprint ends the session: no keys, no data"
)
BOTH_ENDPOINTS_AUTHENTICATED = requirement(
    5763, "5", "MUST", "both endpoints authenticate with certificates: a client without one is refused"
)
UNSUPPORTED_HASH_AUTHENTICATES_NOTHING = requirement(
    8122, "5", "derived", "a fingerprint of a hash function the endpoint does not support authenticates nothing"
)

# The transport's own contract (W3C webrtc-pc §5.5.1, RTCDtlsTransportState)
STATES_IN_ORDER = requirement(
    WEBRTC, "5.5.1", "derived", "states go new, connecting, then connected or failed, then closed, each reported once"
)
CONNECTED_MEANS_AUTHENTICATED = requirement(
    WEBRTC, "5.5.1", "derived", "'connected' only after the handshake and the fingerprint check; no data before"
)
FAILED_AFTER_ERROR = requirement(
    WEBRTC,
    "5.5.1",
    "derived",
    "a fatal alert, a failed check or a lost network ends in 'failed', never stuck in 'connecting'",
)

# What the learned models are held to besides (harness.learning.reference)
FATAL_ALERT_CLOSES = requirement(
    5246, "7.2.2", "MUST", "upon transmission or receipt of a fatal alert both parties close the connection at once"
)
CONNECTED_CARRIES_DATA = requirement(
    WEBRTC, "5.5.1", "derived", "once connected, the peer's application data and SRTP reach the application"
)
