"""SRTP protection profiles and the harness's fixed test keys.

Key and salt lengths per RFC 5764 §4.1.2 (AES_CM profiles), RFC 6188 §4 (the AES_256_CM crypto
suites) and RFC 7714 §12 (AEAD_AES_GCM). Tag lengths: RFC 5764 §4.1.2 gives both AES128_CM
profiles an 80-bit SRTCP tag (only the SRTP tag of SHA1_32 is 32 bits); RFC 7714 §14.2 gives the
GCM profiles a 16-octet tag, for SRTP and SRTCP alike. The fuzz targets pick a profile with the
first input byte, so one input names its profile and a reproducer carries everything it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HMAC_SHA1_80 = 10  # RFC 3711 §5.2: HMAC-SHA1 truncated to 80 bits
HMAC_SHA1_32 = 4  # RFC 5764 §4.1.2: SRTP_AES128_CM_HMAC_SHA1_32, SRTP only
HMAC_SHA1_KEY_LENGTH = 20  # RFC 3711 §5.2: n_a = 160 bits
GCM_TAG_LENGTH = 16  # RFC 7714 §14.2: aead_auth_tag_length 16 octets


@dataclass(frozen=True)
class SrtpProfile:
    name: str  # suffix of pylibsrtp's Policy.SRTP_PROFILE_* constant (RFC 5764 §4.1.2 name without SRTP_)
    key_length: int  # master key = session cipher key length (RFC 3711 §4.3.1)
    salt_length: int  # master salt length: 14 for AES-CM (RFC 3711 §4.3.1), 12 for GCM (RFC 7714 §12)
    aead: bool = field(default=False, kw_only=True)  # AEAD_AES_*_GCM (RFC 7714) rather than AES-CM + HMAC-SHA1
    srtp_tag_length: int = field(default=HMAC_SHA1_80, kw_only=True)
    srtcp_tag_length: int = field(default=HMAC_SHA1_80, kw_only=True)

    @property
    def auth_key_length(self) -> int:
        """Length of the session authentication key: 20 octets for HMAC-SHA1, none for GCM (RFC 7714 §11)."""
        return 0 if self.aead else HMAC_SHA1_KEY_LENGTH

    @property
    def master_key(self) -> bytes:
        """The fixed test master key || master salt for this profile."""
        return TEST_KEY_MATERIAL[: self.key_length + self.salt_length]


# Every profile pylibsrtp 1.0.0 offers, in a fixed order: the order is part of the input format.
PROFILES: tuple[SrtpProfile, ...] = (
    SrtpProfile("AES128_CM_SHA1_80", 16, 14),
    SrtpProfile("AES128_CM_SHA1_32", 16, 14, srtp_tag_length=HMAC_SHA1_32),
    SrtpProfile("AEAD_AES_128_GCM", 16, 12, aead=True, srtp_tag_length=GCM_TAG_LENGTH, srtcp_tag_length=GCM_TAG_LENGTH),
    SrtpProfile("AEAD_AES_256_GCM", 32, 12, aead=True, srtp_tag_length=GCM_TAG_LENGTH, srtcp_tag_length=GCM_TAG_LENGTH),
)

# What the reference SRTP (harness.protocols.srtp) implements besides: the AES-256 crypto suites
# of RFC 6188 §4 (AES_256_CM_HMAC_SHA1_80/_32; no DTLS-SRTP profile number is registered for
# them). pylibsrtp 1.0.0 does not offer them, so they are never a fuzz input.
REFERENCE_PROFILES: tuple[SrtpProfile, ...] = PROFILES + (
    SrtpProfile("AES256_CM_SHA1_80", 32, 14),
    SrtpProfile("AES256_CM_SHA1_32", 32, 14, srtp_tag_length=HMAC_SHA1_32),
)

# Not a secret: a fixed, recognisable pattern so corpora stay valid across runs.
TEST_KEY_MATERIAL = bytes(range(1, 65))


def dtls_srtp_profile(name: bytes) -> SrtpProfile:
    """The profile of a DTLS-SRTP protection profile name (RFC 5764 §4.1.2), as OpenSSL and aiortc spell it."""
    return next(p for p in PROFILES if name == f"SRTP_{p.name}".encode())


def split_profile(data: bytes) -> tuple[SrtpProfile, bytes]:
    """The profile chosen by the first byte of a fuzz input, and the packet that follows it."""
    if not data:
        return PROFILES[0], b""
    return PROFILES[data[0] % len(PROFILES)], data[1:]
