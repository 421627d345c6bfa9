"""The requirements the STUN and ICE suites check, each once, as markers their tests carry.

The words are the specification's sentence in a few words; the report groups tests by them.
ICE checks use STUN's short-term credentials (RFC 8445 §7.2.2, §7.3), so the server side of a
check is RFC 8489 §9.1.3; FINGERPRINT is mandatory in ICE (RFC 8445 §7.2.2).
"""

from harness.conformance.requirements import requirement

# The stun suite: RFC 5769's vectors, RFC 8489 and the STUN server side of RFC 8445 §7.3
VECTORS_VERIFY = requirement(
    5769, "2", "derived", "the sample messages parse, and their MESSAGE-INTEGRITY and FINGERPRINT verify"
)
ONE_BIT_CHANGE_FAILS = requirement(
    8489, "14.5", "derived", "a message changed in any bit MESSAGE-INTEGRITY or FINGERPRINT protects fails its check"
)
ATTRIBUTE_PAST_THE_END_REFUSED = requirement(
    8489, "14", "derived", "a message whose attribute runs past its end is malformed: refused, never verified"
)
REQUEST_WITHOUT_CREDENTIALS_REJECTED = requirement(
    8489, "9.1.3", "MUST", "a request without MESSAGE-INTEGRITY or USERNAME is rejected with 400 and changes nothing"
)
WRONG_INTEGRITY_REJECTED = requirement(
    8489, "9.1.3", "MUST", "a request whose MESSAGE-INTEGRITY does not verify is rejected with 401 and changes nothing"
)
WRONG_USERNAME_REJECTED = requirement(
    8489, "9.1.3", "MUST", "a request whose USERNAME is not the agent's is rejected with 401 and changes nothing"
)
BAD_FINGERPRINT_DISCARDED = requirement(
    8489, "6.3", "derived", "a message whose FINGERPRINT is wrong is discarded: no response, nothing changed"
)
UNKNOWN_REQUIRED_ATTRIBUTE_REJECTED = requirement(
    8489,
    "6.3.1",
    "derived",
    "a request with an unknown comprehension-required attribute gets a 420 listing it in UNKNOWN-ATTRIBUTES",
)
UNSIGNED_RESPONSE_DISCARDED = requirement(
    8489, "9.1.4", "MUST", "a response whose MESSAGE-INTEGRITY is missing or does not verify is discarded"
)
UNKNOWN_TRANSACTION_DISCARDED = requirement(
    8489, "6.3", "derived", "a response whose transaction ID matches no transaction in progress is discarded"
)
RESPONSE_FROM_ANOTHER_ADDRESS_FAILS = requirement(
    8445, "7.2.5.2.1", "MUST", "a response from another address than the check went to fails the pair, never validates"
)

# The ice suite: RFC 8445 role conflicts and data, RFC 7675 consent freshness
BOTH_CONTROLLING_RESOLVED = requirement(
    8445,
    "7.3.1.1",
    "derived",
    "a controlling agent checked with ICE-CONTROLLING answers 487 if its tie-breaker is larger or equal, else switches",
)
BOTH_CONTROLLED_RESOLVED = requirement(
    8445,
    "7.3.1.1",
    "derived",
    "a controlled agent checked with ICE-CONTROLLED switches when its tie-breaker is larger or equal, else answers 487",
)
ROLE_SWITCHED_ON_487 = requirement(
    8445, "7.2.5.1", "MUST", "an agent whose check gets a 487 switches its role and checks the pair again"
)
DATA_ONLY_FROM_THE_SELECTED_PAIR = requirement(
    8445,
    "12.2",
    "derived",
    "once a pair is selected, data from an address that is no candidate of the peer is not handed to the application",
)
CONSENT_EXPIRES_AFTER_30_SECONDS = requirement(
    7675, "5.1", "MUST", "a peer that answers no consent check for 30 s is no longer sent to: the agent stops"
)
