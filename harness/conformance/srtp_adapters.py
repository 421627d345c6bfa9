"""The SRTP implementation under test, behind a small adapter (docs/design.md).

The conformance suite talks to an `SrtpAdapter` only, so another stack, or a deliberately
broken one, plugs in from the command line (`--srtp-adapter`) without editing a test:

- `pylibsrtp` (the default): the installed binding, libsrtp inside;
- `path/to/file.py:Name` or `package.module:Name`: any object with the same shape.

A refusal, of a packet or of a policy, is `Refused` carrying the implementation's own words.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from typing import Callable, Optional, Protocol

import pylibsrtp
from aiortc.rtcdtlstransport import SRTP_PROFILES as AIORTC_SRTP_PROFILES

from harness import libsrtp
from harness.conformance.adapters import load_adapter
from harness.protocols.srtp_profiles import PROFILES, SrtpProfile, dtls_srtp_profile

ADAPTER_ATTRIBUTES = (
    "name",
    "version",
    "profiles",
    "default_window_size",
    "srtcp_window_size",
    "max_packet_length",
    "inbound",
    "outbound",
)


class Refused(Exception):
    """The implementation refused a packet or a policy."""


@dataclass(frozen=True)
class SrtpPolicy:
    """What one SRTP session is configured with, as a test asks for it."""

    name: str
    profile: SrtpProfile
    window_size: Optional[int] = None  # None: the implementation's default
    allow_repeat_tx: bool = False


class SrtpEndpoint(Protocol):
    """One direction of one session, for any SSRC (libsrtp's ssrc_any_inbound/_outbound)."""

    def protect(self, packet: bytes) -> bytes: ...
    def unprotect(self, packet: bytes) -> bytes: ...
    def protect_rtcp(self, packet: bytes) -> bytes: ...
    def unprotect_rtcp(self, packet: bytes) -> bytes: ...


class SrtpAdapter(Protocol):
    name: str
    version: str
    profiles: tuple[SrtpProfile, ...]  # those it offers
    default_window_size: int  # the replay window a policy without one gets
    srtcp_window_size: int  # the SRTCP replay window
    max_packet_length: int  # the longest datagram it takes (longer ones are Refused)

    def inbound(self, policy: SrtpPolicy, key: bytes) -> SrtpEndpoint: ...
    def outbound(self, policy: SrtpPolicy, key: bytes) -> SrtpEndpoint: ...


# The two configurations the suite runs: libsrtp's defaults (pylibsrtp.Policy() as constructed:
# AES128_CM_SHA1_80, window 0 meaning libsrtp's 128, no repeated transmission), and the policy
# aiortc's RTCDtlsTransport._setup_srtp installs for each profile it negotiates.
POLICIES: tuple[SrtpPolicy, ...] = (
    SrtpPolicy("libsrtp-defaults", PROFILES[0]),
    *(
        SrtpPolicy(f"aiortc-{profile.name}", profile, 1024, True)
        for profile in map(dtls_srtp_profile, (p.openssl_profile for p in AIORTC_SRTP_PROFILES))
    ),
)


class PylibsrtpEndpoint:
    """pylibsrtp.Session, its refusals turned into Refused."""

    def __init__(self, session: pylibsrtp.Session) -> None:
        self.session = session

    @staticmethod
    def _call(method: Callable[[bytes], bytes], packet: bytes) -> bytes:
        try:
            return method(packet)
        except pylibsrtp.Error as exc:
            raise Refused(str(exc)) from None
        except ValueError as exc:
            # pylibsrtp's documented refusal of a packet longer than its 1500-byte buffer
            # (Session.__process); any other ValueError is not a refusal.
            if str(exc) != "packet is too long":
                raise
            raise Refused(str(exc)) from None

    def protect(self, packet: bytes) -> bytes:
        return self._call(self.session.protect, packet)

    def unprotect(self, packet: bytes) -> bytes:
        return self._call(self.session.unprotect, packet)

    def protect_rtcp(self, packet: bytes) -> bytes:
        return self._call(self.session.protect_rtcp, packet)

    def unprotect_rtcp(self, packet: bytes) -> bytes:
        return self._call(self.session.unprotect_rtcp, packet)


class PylibsrtpAdapter:
    name = "pylibsrtp"
    version = importlib.metadata.version("pylibsrtp")
    profiles = PROFILES
    default_window_size = 128  # libsrtp's srtp_stream_init: window_size 0 means 128
    srtcp_window_size = 128  # libsrtp's srtp_rdb_t: a fixed 128-bit window, whatever the policy says
    max_packet_length = 1500  # pylibsrtp.Session's buffer

    def _session(self, policy: SrtpPolicy, key: bytes, ssrc_type: int) -> PylibsrtpEndpoint:
        try:
            return PylibsrtpEndpoint(
                libsrtp.session(
                    policy.profile,
                    key,
                    ssrc_type,
                    window_size=policy.window_size,
                    allow_repeat_tx=policy.allow_repeat_tx,
                )
            )
        except (pylibsrtp.Error, ValueError, OverflowError) as exc:
            # ValueError: a key too short (Policy.key); OverflowError: a window size outside the
            # C field (cffi); pylibsrtp.Error: libsrtp's srtp_create refused the policy.
            raise Refused(str(exc)) from None

    def inbound(self, policy: SrtpPolicy, key: bytes) -> PylibsrtpEndpoint:
        return self._session(policy, key, pylibsrtp.Policy.SSRC_ANY_INBOUND)

    def outbound(self, policy: SrtpPolicy, key: bytes) -> PylibsrtpEndpoint:
        return self._session(policy, key, pylibsrtp.Policy.SSRC_ANY_OUTBOUND)


def load(spec: str) -> SrtpAdapter:
    """The adapter a `--srtp-adapter` value names; UsageError with one line when it names none."""
    return load_adapter(
        spec, what="SRTP adapter", built_in={"pylibsrtp": PylibsrtpAdapter}, attributes=ADAPTER_ATTRIBUTES
    )
