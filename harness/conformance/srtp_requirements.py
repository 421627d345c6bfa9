"""The RFC 3711 requirements the SRTP suite checks, each once, as markers its tests carry.

The words are the RFC's sentence in a few words; the report groups tests by them.
"""

from harness.conformance.requirements import requirement

REPLAYED_IS_DISCARDED = requirement(3711, "3.3", "MUST", "a packet judged replayed is discarded")
FAILED_AUTHENTICATION_IS_DISCARDED = requirement(
    3711, "3.3", "MUST", "a packet whose authentication fails is discarded from further processing"
)
DECRYPTS_TO_THE_PACKET_SENT = requirement(
    3711, "3.3", "SHALL", "the receiver decrypts a packet and removes its MKI and tag, giving back the RTP packet sent"
)
SENDER_INCREMENTS_ROC = requirement(
    3711, "3.3.1", "MUST", "each time SEQ wraps modulo 2^16 the sender increments ROC by one"
)
RECEIVER_UPDATES_ROC = requirement(
    3711, "3.3.1", "MUST", "after authentication, v = ROC+1 sets s_l to SEQ and ROC to v; v = ROC-1 changes neither"
)
INDEX_ESTIMATE = requirement(3711, "3.3.1", "SHOULD", "the index is estimated as the one closest to 2^16*ROC + s_l")
WINDOW_BELOW_2_15 = requirement(
    3711, "3.3.1", "derived", "no replay window reaches 2^15 back, where the index estimate changes ROC"
)
WINDOW_AT_LEAST_64 = requirement(3711, "3.3.2", "MUST", "SRTP-WINDOW-SIZE is at least 64")
ACCEPTANCE_RULE = requirement(
    3711, "3.3.2", "SHALL", "only packets ahead of the window, or inside it and not yet received, are accepted"
)
LIST_UPDATED_AFTER_AUTHENTICATION = requirement(
    3711, "3.3.2", "SHALL", "the replay list is updated with a new index after the packet is authenticated"
)
SRTCP_REPLAY = requirement(
    3711, "3.4", "MUST", "a replayed SRTCP packet, judged by its SRTCP index in a replay list of its own, is discarded"
)
SRTCP_AUTHENTICATED_PORTION = requirement(
    3711, "3.4", "MUST", "an SRTCP packet failing authentication, which covers its E flag and index, is discarded"
)
FIRST_SRTCP_INDEX_IS_ZERO = requirement(
    3711, "3.4", "MUST", "the SRTCP index is set to zero before the first SRTCP packet"
)
SRTCP_INDEX_INCREMENTS = requirement(
    3711, "3.4", "MUST", "the SRTCP index is incremented by one after each SRTCP packet"
)
E_FLAG_CLEAR = requirement(3711, "3.4", "derived", "with the E flag 0 the payload is authenticated and left unmodified")
