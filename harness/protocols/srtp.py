"""Reference SRTP and SRTCP, written from the RFCs, to judge the implementations under test by.

Three layers:

1. Pure transforms given session keys and an index: `protect_rtp`, `unprotect_rtp`,
   `protect_rtcp`, `unprotect_rtcp`, `srtcp_trailer`. AES-CM with HMAC-SHA1 (RFC 3711 §3.1:
   the SRTP packet is header || encrypted payload || tag; §4.1.1 AES-CM, §4.2 and §4.2.1: the
   tag is HMAC-SHA1 over the authenticated portion || ROC, truncated; §3.4: SRTCP encrypts the
   octets after the first header and SSRC, appends E || SRTCP index, and authenticates all of
   it) and AEAD_AES_*_GCM (RFC 7714 §8.2: the RTP header with CSRCs and extension is the AAD,
   the payload the plaintext, and the ciphertext carries the tag; §9.2: SRTCP's AAD is the
   first 8 octets || E || SRTCP index, and that word follows the tag; §9.3 and the §16.1.3,
   §16.2.3 and §17.3 examples: with no encryption the whole packet is the AAD of an empty
   plaintext). Keys come from harness.protocols.srtp_keys.
2. Errors: `SrtpError` and one subclass per kind of refusal.
3. `SrtpContext`, one libsrtp session with an SSRC-wildcard policy: per-SSRC state, index
   estimation and replay lists (harness.protocols.srtp_replay), the sender's index-reuse
   policy, and the SRTCP index counter.

Scope: no MKI (RFC 3711 §3.1: OPTIONAL). pylibsrtp 1.0.0 cannot configure one, so nothing
could be compared, and no packet here carries one. The context derives keys once, with key
derivation rate 0 (RFC 3711 §4.3.1). The RTP version field is not checked: RFC 3711 asks for no
such check; the header length is what the transform needs (RFC 3550 §5.1, §5.3.1).
"""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass
from typing import Optional

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from harness.protocols.srtp_keys import (
    SRTCP_INDEX_MASK,
    SessionKeys,
    aes_cm_crypt,
    aes_cm_iv,
    session_keys,
    srtcp_aead_iv,
    srtp_aead_iv,
)
from harness.protocols.srtp_profiles import SrtpProfile
from harness.protocols.srtp_replay import (
    INDEX_MODULUS,
    MIN_WINDOW_SIZE,
    SRTCP_INDEX_MODULUS,
    ReplayList,
    Verdict,
    advance,
    estimate_index,
    srtcp_replay_list,
)

__all__ = [
    "SessionKeys", "session_keys", "rtp_header_length", "protect_rtp", "unprotect_rtp", "protect_rtcp",
    "unprotect_rtcp", "srtcp_spans", "srtcp_trailer", "SrtpError", "SrtpParseError", "SrtpAuthenticationError",
    "SrtpReplayError", "SrtpDuplicateError", "SrtpTooOldError", "SrtpIndexReuseError", "SrtpContext",
]  # fmt: skip

RTP_HEADER_LENGTH = 12  # RFC 3550 §5.1: the fixed header
CSRC_LENGTH = 4  # RFC 3550 §5.1
EXTENSION_HEADER_LENGTH = 4  # RFC 3550 §5.3.1: profile and length in 32-bit words
RTCP_HEADER_LENGTH = 8  # RFC 3711 §3.4: the first RTCP header and its SSRC stay in the clear
SRTCP_WORD_LENGTH = 4  # RFC 3711 §3.4: E flag || 31-bit SRTCP index
E_FLAG = 0x80000000  # RFC 3711 §3.4
DEFAULT_WINDOW_SIZE = 128  # libsrtp srtp_stream_init: a policy's window size 0 means 128
# libsrtp srtp_stream_init refuses window sizes from 0x8000 up; RFC 3711 §3.3.1's estimate flips
# ROC at half the sequence space (2^15), so no window can reach that far back.
MAX_WINDOW_SIZE = 0x8000


# Errors.


class SrtpError(Exception):
    """A packet the reference refuses."""


class SrtpParseError(SrtpError):
    """Too short for its header, or for its header and tag (and SRTCP trailer)."""


class SrtpAuthenticationError(SrtpError):
    """The authentication tag does not verify (RFC 3711 §3.3 step 5, RFC 7714 §8.2, §9.3)."""


class SrtpReplayError(SrtpError):
    """The replay list refuses the index (RFC 3711 §3.3.2)."""


class SrtpDuplicateError(SrtpReplayError):
    """The index is inside the replay window and was received already."""


class SrtpTooOldError(SrtpReplayError):
    """The index is behind the replay window."""


class SrtpIndexReuseError(SrtpError):
    """The sender refuses to protect a packet at an index it already used, or cannot know it did not.

    RFC 3711 §9.2: the same index must never be used twice with the same key (the keystream
    would repeat); refusing it at the sender is libsrtp's policy (allow_repeat_tx off).
    """


# Transforms.


def rtp_header_length(packet: bytes) -> int:
    """12 + 4 * CC, plus 4 + 4 * its length if X is set (RFC 3550 §5.1, §5.3.1)."""
    if len(packet) < RTP_HEADER_LENGTH:
        raise SrtpParseError("SRTP header is invalid")
    length = RTP_HEADER_LENGTH + CSRC_LENGTH * (packet[0] & 0x0F)
    if packet[0] & 0x10:
        if len(packet) < length + EXTENSION_HEADER_LENGTH:
            raise SrtpParseError("SRTP header extension is invalid")
        words = struct.unpack_from("!H", packet, length + 2)[0]
        length += EXTENSION_HEADER_LENGTH + 4 * words
    if len(packet) < length:
        raise SrtpParseError("SRTP header is invalid")
    return length


def _ssrc(packet: bytes, offset: int) -> int:
    return int(struct.unpack_from("!I", packet, offset)[0])


def _hmac_sha1(key: bytes, data: bytes) -> bytes:
    mac = crypto_hmac.HMAC(key, hashes.SHA1())
    mac.update(data)
    return mac.finalize()


def _check_index(index: int) -> None:
    if not 0 <= index < INDEX_MODULUS:
        raise ValueError("SRTP index is invalid")


def protect_rtp(keys: SessionKeys, profile: SrtpProfile, packet: bytes, index: int, *, encrypt: bool = True) -> bytes:
    """The SRTP packet of an RTP packet at the 48-bit `index` (ROC * 2^16 + SEQ; SEQ is not compared).

    `encrypt=False` authenticates only: AES-CM leaves the payload as it is (the NULL cipher of
    RFC 3711 §4.1.3); GCM takes the whole packet as AAD with an empty plaintext (RFC 7714 §16.1.3).
    """
    _check_index(index)
    header = packet[: rtp_header_length(packet)]
    payload = packet[len(header) :]
    ssrc = _ssrc(packet, 8)
    if profile.aead:
        aead, iv = AESGCM(keys.cipher_key), srtp_aead_iv(keys.cipher_salt, ssrc, index)
        if encrypt:
            return header + aead.encrypt(iv, payload, header)
        return packet + aead.encrypt(iv, b"", packet)
    if encrypt:
        payload = aes_cm_crypt(keys.cipher_key, aes_cm_iv(keys.cipher_salt, ssrc, index), payload)
    authenticated = header + payload
    roc = struct.pack("!I", index >> 16)
    return authenticated + _hmac_sha1(keys.auth_key, authenticated + roc)[: profile.srtp_tag_length]


def unprotect_rtp(keys: SessionKeys, profile: SrtpProfile, srtp: bytes, index: int, *, encrypted: bool = True) -> bytes:
    """The RTP packet of an SRTP packet at the 48-bit `index`; SrtpAuthenticationError on a bad tag."""
    _check_index(index)
    header_length = rtp_header_length(srtp)
    tag_length = profile.srtp_tag_length
    if len(srtp) < header_length + tag_length:
        raise SrtpParseError("SRTP length is invalid")
    ssrc = _ssrc(srtp, 8)
    if profile.aead:
        aead, iv = AESGCM(keys.cipher_key), srtp_aead_iv(keys.cipher_salt, ssrc, index)
        try:
            if encrypted:
                header = srtp[:header_length]
                return header + aead.decrypt(iv, srtp[header_length:], header)
            aead.decrypt(iv, srtp[-tag_length:], srtp[:-tag_length])
            return srtp[:-tag_length]
        except InvalidTag:
            raise SrtpAuthenticationError("SRTP authentication tag is invalid") from None
    authenticated, tag = srtp[:-tag_length], srtp[-tag_length:]
    expected = _hmac_sha1(keys.auth_key, authenticated + struct.pack("!I", index >> 16))[:tag_length]
    if not hmac.compare_digest(expected, tag):
        raise SrtpAuthenticationError("SRTP authentication tag is invalid")
    if not encrypted:
        return authenticated
    iv = aes_cm_iv(keys.cipher_salt, ssrc, index)
    return authenticated[:header_length] + aes_cm_crypt(keys.cipher_key, iv, authenticated[header_length:])


def protect_rtcp(
    keys: SessionKeys, profile: SrtpProfile, packet: bytes, srtcp_index: int, *, encrypt: bool = True
) -> bytes:
    """The SRTCP packet of a (compound) RTCP packet with `srtcp_index`, E set when encrypting (RFC 3711 §3.4).

    AES-CM: header || encrypted part || E||index || tag. GCM: header || ciphertext+tag ||
    E||index (RFC 7714 §9.2), or, unencrypted, RTCP packet || tag || E||index (§9.3).
    """
    if len(packet) < RTCP_HEADER_LENGTH:
        raise SrtpParseError("SRTCP header is invalid")
    if not 0 <= srtcp_index <= SRTCP_INDEX_MASK:
        raise ValueError("SRTCP index is invalid")
    word = struct.pack("!I", (E_FLAG if encrypt else 0) | srtcp_index)
    header, payload = packet[:RTCP_HEADER_LENGTH], packet[RTCP_HEADER_LENGTH:]
    ssrc = _ssrc(packet, 4)
    if profile.aead:
        aead, iv = AESGCM(keys.cipher_key), srtcp_aead_iv(keys.cipher_salt, ssrc, srtcp_index)
        if encrypt:
            return header + aead.encrypt(iv, payload, header + word) + word
        return packet + aead.encrypt(iv, b"", packet + word) + word
    if encrypt:
        payload = aes_cm_crypt(keys.cipher_key, aes_cm_iv(keys.cipher_salt, ssrc, srtcp_index), payload)
    authenticated = header + payload + word
    return authenticated + _hmac_sha1(keys.auth_key, authenticated)[: profile.srtcp_tag_length]


def srtcp_spans(profile: SrtpProfile, length: int) -> tuple[int, int, int]:
    """(start of the tag, end of the tag, start of E||index) in an SRTCP packet of `length` octets.

    AES-CM appends E||index, then the tag (RFC 3711 §3.4); GCM puts the tag right after the
    ciphertext, before E||index (RFC 7714 §9).
    """
    tag_length = profile.srtcp_tag_length
    if profile.aead:
        word = length - SRTCP_WORD_LENGTH
        return word - tag_length, word, word
    return length - tag_length, length, length - tag_length - SRTCP_WORD_LENGTH


def srtcp_trailer(profile: SrtpProfile, srtcp: bytes) -> tuple[bool, int]:
    """(E flag, SRTCP index) of an SRTCP packet: before the tag (AES-CM), or last (GCM, RFC 7714 §9)."""
    if len(srtcp) < RTCP_HEADER_LENGTH + SRTCP_WORD_LENGTH + profile.srtcp_tag_length:
        raise SrtpParseError("SRTCP length is invalid")
    offset = srtcp_spans(profile, len(srtcp))[2]
    word = int(struct.unpack_from("!I", srtcp, offset)[0])
    return bool(word & E_FLAG), word & SRTCP_INDEX_MASK


def unprotect_rtcp(keys: SessionKeys, profile: SrtpProfile, srtcp: bytes) -> bytes:
    """The RTCP packet of an SRTCP packet, E and index read from its trailer; decrypted only if E is set."""
    encrypted, index = srtcp_trailer(profile, srtcp)
    tag_length = profile.srtcp_tag_length
    ssrc = _ssrc(srtcp, 4)
    header = srtcp[:RTCP_HEADER_LENGTH]
    if profile.aead:
        aead, iv = AESGCM(keys.cipher_key), srtcp_aead_iv(keys.cipher_salt, ssrc, index)
        sealed, word = srtcp[:-SRTCP_WORD_LENGTH], srtcp[-SRTCP_WORD_LENGTH:]
        try:
            if encrypted:
                return header + aead.decrypt(iv, sealed[RTCP_HEADER_LENGTH:], header + word)
            aead.decrypt(iv, sealed[-tag_length:], sealed[:-tag_length] + word)
            return sealed[:-tag_length]
        except InvalidTag:
            raise SrtpAuthenticationError("SRTCP authentication tag is invalid") from None
    authenticated, tag = srtcp[:-tag_length], srtcp[-tag_length:]
    if not hmac.compare_digest(_hmac_sha1(keys.auth_key, authenticated)[:tag_length], tag):
        raise SrtpAuthenticationError("SRTCP authentication tag is invalid")
    payload = authenticated[RTCP_HEADER_LENGTH:-SRTCP_WORD_LENGTH]
    if encrypted:
        payload = aes_cm_crypt(keys.cipher_key, aes_cm_iv(keys.cipher_salt, ssrc, index), payload)
    return header + payload


# The stateful context.


@dataclass
class _RtpStream:
    """ROC, s_l and the replay list of one SSRC in one direction (RFC 3711 §3.2.1, §3.3.1)."""

    roc: int
    s_l: int
    replay: ReplayList

    def record(self, index: int) -> None:
        self.replay.add(index)
        self.roc, self.s_l = advance(self.roc, self.s_l, index)


class SrtpContext:
    """One SRTP session for any SSRC, in the manner of a libsrtp session with a wildcard policy.

    State is per SSRC, created on the first packet of that SSRC, and kept apart per direction:
    what `protect` has sent never counts as received by `unprotect` (libsrtp keeps one session
    per direction). The receiver estimates the index (RFC 3711 §3.3.1), consults the replay list
    (§3.3.2), authenticates and decrypts, and only then moves ROC, s_l and the list (§3.3 steps
    5-7), so a forged packet changes nothing. The first authenticated packet of an SSRC sets s_l to its SEQ with
    ROC 0, without a replay check. The sender estimates its index the same way from the SEQ it
    is given (its first packet has ROC 0) and, unless `allow_repeat_tx`, refuses an index it
    used already; with or without it, it refuses one behind its window, which it cannot know
    to be unused (libsrtp's srtp_protect does both).
    """

    def __init__(
        self,
        profile: SrtpProfile,
        master_key_and_salt: bytes,
        *,
        window_size: int = DEFAULT_WINDOW_SIZE,
        allow_repeat_tx: bool = False,
        first_srtcp_index: int = 0,
    ) -> None:
        window_size = window_size or DEFAULT_WINDOW_SIZE  # libsrtp srtp_stream_init: 0 means 128
        # RFC 3711 §3.3.2: MUST be at least 64 (libsrtp refuses less); MAX_WINDOW_SIZE: libsrtp.
        if not MIN_WINDOW_SIZE <= window_size < MAX_WINDOW_SIZE:
            raise ValueError("SRTP replay window size is invalid")
        if not 0 <= first_srtcp_index <= SRTCP_INDEX_MASK:
            raise ValueError("SRTCP index is invalid")
        self.profile = profile
        self.window_size = window_size
        self.allow_repeat_tx = allow_repeat_tx
        self.first_srtcp_index = first_srtcp_index
        self.rtp_keys = session_keys(profile, master_key_and_salt, rtcp=False)
        self.rtcp_keys = session_keys(profile, master_key_and_salt, rtcp=True)
        self._sent: dict[int, _RtpStream] = {}
        self._received: dict[int, _RtpStream] = {}
        self._srtcp_sent: dict[int, int] = {}  # SSRC -> next SRTCP index
        self._srtcp_received: dict[int, ReplayList] = {}

    def rtp_state(self, ssrc: int, *, sender: bool = False) -> Optional[tuple[int, int]]:
        """(ROC, s_l) of an SSRC on the receiving (or sending) side; None before its first packet."""
        stream = (self._sent if sender else self._received).get(ssrc)
        return None if stream is None else (stream.roc, stream.s_l)

    def next_srtcp_index(self, ssrc: int) -> int:
        """The SRTCP index the next `protect_rtcp` of this SSRC will carry."""
        return self._srtcp_sent.get(ssrc, self.first_srtcp_index)

    def _new_stream(self, seq: int) -> _RtpStream:
        stream = _RtpStream(0, seq, ReplayList(self.window_size))
        stream.replay.add(seq)
        return stream

    def protect(self, packet: bytes) -> bytes:
        rtp_header_length(packet)
        ssrc, seq = _ssrc(packet, 8), int(struct.unpack_from("!H", packet, 2)[0])
        stream = self._sent.get(ssrc)
        index = seq if stream is None else estimate_index(stream.roc, stream.s_l, seq)
        verdict = Verdict.NEW if stream is None else stream.replay.verdict(index)
        if verdict is Verdict.TOO_OLD:
            raise SrtpIndexReuseError("SRTP index is behind the sender's replay window")
        if verdict is Verdict.DUPLICATE and not self.allow_repeat_tx:
            raise SrtpIndexReuseError("SRTP index is already used")
        srtp = protect_rtp(self.rtp_keys, self.profile, packet, index)
        if stream is None:
            self._sent[ssrc] = self._new_stream(seq)
        elif verdict is not Verdict.DUPLICATE:
            stream.record(index)
        return srtp

    def unprotect(self, srtp: bytes) -> bytes:
        header_length = rtp_header_length(srtp)
        if len(srtp) < header_length + self.profile.srtp_tag_length:
            raise SrtpParseError("SRTP length is invalid")
        ssrc, seq = _ssrc(srtp, 8), int(struct.unpack_from("!H", srtp, 2)[0])
        stream = self._received.get(ssrc)
        if stream is None:
            index = seq
        else:
            index = estimate_index(stream.roc, stream.s_l, seq)
            _check_replay(stream.replay.verdict(index), "SRTP")
        packet = unprotect_rtp(self.rtp_keys, self.profile, srtp, index)
        if stream is None:
            self._received[ssrc] = self._new_stream(seq)
        else:
            stream.record(index)
        return packet

    def protect_rtcp(self, packet: bytes, *, encrypt: bool = True) -> bytes:
        if len(packet) < RTCP_HEADER_LENGTH:
            raise SrtpParseError("SRTCP header is invalid")
        ssrc = _ssrc(packet, 4)
        index = self.next_srtcp_index(ssrc)
        srtcp = protect_rtcp(self.rtcp_keys, self.profile, packet, index, encrypt=encrypt)
        # RFC 3711 §3.4: incremented by one, modulo 2^31; §9.2: re-key before then (not enforced).
        self._srtcp_sent[ssrc] = (index + 1) % SRTCP_INDEX_MODULUS
        return srtcp

    def unprotect_rtcp(self, srtcp: bytes) -> bytes:
        _, index = srtcp_trailer(self.profile, srtcp)
        ssrc = _ssrc(srtcp, 4)
        replay = self._srtcp_received.get(ssrc)
        if replay is None:
            replay = srtcp_replay_list()
        _check_replay(replay.verdict(index), "SRTCP")
        packet = unprotect_rtcp(self.rtcp_keys, self.profile, srtcp)
        replay.add(index)
        self._srtcp_received[ssrc] = replay
        return packet


def _check_replay(verdict: Verdict, protocol: str) -> None:
    if verdict is Verdict.DUPLICATE:
        raise SrtpDuplicateError(f"{protocol} index is a replay")
    if verdict is Verdict.TOO_OLD:
        raise SrtpTooOldError(f"{protocol} index is behind the replay window")
