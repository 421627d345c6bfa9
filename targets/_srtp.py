"""A fresh pylibsrtp inbound session per input, keyed with the harness's fixed test key.

A fresh session keeps inputs independent (no replay state carried from one to the next), so
every verdict reproduces from its input alone.
"""

from pylibsrtp import Policy, Session

from harness import libsrtp
from harness.protocols.srtp_profiles import split_profile


def inbound_session(data: bytes) -> tuple[Session, bytes]:
    """The session for the profile the first byte chooses, and the packet after it."""
    profile, packet = split_profile(data)
    return libsrtp.session(profile, profile.master_key, Policy.SSRC_ANY_INBOUND), packet
