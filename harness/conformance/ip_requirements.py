"""The requirements the IP-handling suite checks, each once, as markers its tests carry.

What an offer and its candidates reveal of the host's addresses (RFC 8828's modes, the mDNS
candidates of draft-ietf-mmusic-mdns-ice-candidates), and whether under iceTransportPolicy "relay"
anything reaches the peer but through the relay (JSEP RFC 8829 §3.5.3, W3C webrtc-pc's
RTCIceTransportPolicy). The words are the specification's sentence in a few words.
"""

from harness.conformance.requirements import requirement

WEBRTC = "W3C webrtc-pc"
MDNS_DRAFT = "draft-ietf-mmusic-mdns-ice-candidates-03"

# JSEP (RFC 8829 §3.5.3): what a gathering phase under a candidate policy may expose and use.
RELAY_POLICY_EXPOSES_ONLY_RELAY = requirement(
    8829,
    "3.5.3",
    "MUST NOT",
    "under the relay policy no host or server-reflexive candidate is exposed (offer, icecandidate)",
)
RELAY_POLICY_HIDES_RELATED_ADDRESS = requirement(
    8829, "3.5.3", "MUST NOT", "under the relay policy a relay candidate's raddr/rport reveals no disallowed address"
)
RELAY_POLICY_CHECKS_ONLY_FROM_RELAY = requirement(
    8829, "3.5.3", "MUST NOT", "under the relay policy no disallowed candidate is the source of a connectivity check"
)
POLICY_CHANGES_MID_SESSION = requirement(
    8829, "3.5.3", "MUST", "the candidate policy can be changed mid-session (new policy, ICE restart)"
)
# W3C webrtc-pc §4.2, RTCIceTransportPolicy "relay": the ICE Agent uses only media relay candidates.
RELAY_POLICY_CARRIES_THE_CALL = requirement(
    WEBRTC,
    "4.2 RTCIceTransportPolicy",
    "derived",
    "under the relay policy the call connects and every datagram reaches the peer through the relay",
)
# RFC 8828 §5.2: the modes of IP address handling.
MODE_1_HOST_ADDRESSES = requirement(
    8828, "5.2", "MUST", "mode 1: every interface of the machine is used, and host candidates carry its addresses only"
)
MODE_2_WITHOUT_CONSENT = requirement(
    8828, "5.2", "SHOULD", "without user consent mode 2: host candidates only on the default route's interface"
)
MDNS_HOST_CANDIDATES = requirement(
    MDNS_DRAFT, "3.1.1", "MUST", "a host candidate's IP address is replaced by a UUID-v4 .local mDNS name"
)
