"""A fresh pylibsrtp inbound session per input, keyed with the harness's fixed test key.

A fresh session keeps inputs independent (no replay state carried from one to the next), so
every verdict reproduces from its input alone.
"""

from pylibsrtp import Policy, Session

from harness.protocols.srtp_profiles import PROFILES, split_profile

LIBSRTP_PROFILES = {profile.name: getattr(Policy, f"SRTP_PROFILE_{profile.name}") for profile in PROFILES}


def inbound_session(data: bytes) -> tuple[Session, bytes]:
    """The session for the profile the first byte chooses, and the packet after it."""
    profile, packet = split_profile(data)
    policy = Policy(
        key=profile.master_key,
        ssrc_type=Policy.SSRC_ANY_INBOUND,
        srtp_profile=LIBSRTP_PROFILES[profile.name],
    )
    return Session(policy), packet
