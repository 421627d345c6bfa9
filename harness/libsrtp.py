"""pylibsrtp sessions configured from the harness's SRTP profiles.

The one place that turns a profile and a policy into pylibsrtp.Policy: the conformance adapter,
the SRTP fuzz targets and the tests all take their sessions from here.
"""

from __future__ import annotations

from typing import Optional

import pylibsrtp

from harness.protocols.srtp_profiles import SrtpProfile


def session(
    profile: SrtpProfile,
    key: bytes,
    ssrc_type: int,
    *,
    window_size: Optional[int] = None,
    allow_repeat_tx: bool = False,
) -> pylibsrtp.Session:
    """One direction of a session for any SSRC (`ssrc_type`: Policy.SSRC_ANY_INBOUND or _OUTBOUND).

    `window_size` None leaves libsrtp's default (128). Raises what pylibsrtp raises for a policy
    it refuses: pylibsrtp.Error, ValueError (a short key), OverflowError (a window size cffi cannot hold).
    """
    policy = pylibsrtp.Policy(
        key=key, ssrc_type=ssrc_type, srtp_profile=getattr(pylibsrtp.Policy, f"SRTP_PROFILE_{profile.name}")
    )
    if window_size is not None:
        policy.window_size = window_size
    policy.allow_repeat_tx = allow_repeat_tx
    return pylibsrtp.Session(policy)
