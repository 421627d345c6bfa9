"""SRTP protection profiles and the harness's fixed test keys.

Key and salt lengths per RFC 5764 §4.1.2 (AES_CM profiles) and RFC 7714 §12 (AEAD_AES_GCM).
The fuzz targets pick a profile with the first input byte, so one input names its profile
and a reproducer carries everything it needs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SrtpProfile:
    name: str  # suffix of pylibsrtp's Policy.SRTP_PROFILE_* constant
    key_length: int
    salt_length: int

    @property
    def master_key(self) -> bytes:
        """The fixed test master key || master salt for this profile."""
        return TEST_KEY_MATERIAL[: self.key_length + self.salt_length]


# Every profile pylibsrtp 1.0.0 offers, in a fixed order: the order is part of the input format.
PROFILES: tuple[SrtpProfile, ...] = (
    SrtpProfile("AES128_CM_SHA1_80", 16, 14),
    SrtpProfile("AES128_CM_SHA1_32", 16, 14),
    SrtpProfile("AEAD_AES_128_GCM", 16, 12),
    SrtpProfile("AEAD_AES_256_GCM", 32, 12),
)

# Not a secret: a fixed, recognisable pattern so corpora stay valid across runs.
TEST_KEY_MATERIAL = bytes(range(1, 65))


def split_profile(data: bytes) -> tuple[SrtpProfile, bytes]:
    """The profile chosen by the first byte of a fuzz input, and the packet that follows it."""
    if not data:
        return PROFILES[0], b""
    return PROFILES[data[0] % len(PROFILES)], data[1:]
