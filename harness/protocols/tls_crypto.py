"""TLS 1.2 key schedule as DTLS 1.2 uses it: the PRF, the master secrets, the key block, Finished, the exporter.

RFC 5246 §5 (PRF(secret, label, seed) = P_SHA256(secret, label + seed); every suite here is a
TLS 1.2 suite without its own PRF, so SHA-256 it is), §8.1 (master_secret = PRF(pre_master_secret,
"master secret", ClientHello.random + ServerHello.random)[0..47]), §6.3 (key_block = PRF(master,
"key expansion", server_random + client_random), cut into MAC keys, write keys and implicit IVs
in that order), §7.4.9 (verify_data = PRF(master, finished_label, Hash(handshake_messages))[0..11]);
RFC 7627 §4 (extended master secret from the session hash); RFC 5705 §4 (exporter with no
context: PRF(master, label, client_random + server_random)); RFC 5764 §4.2 (EXTRACTOR-dtls_srtp
cut into client key, server key, client salt, server salt). The suite parameters: RFC 5289 §3.2
and RFC 5288 §3 (AES-128-GCM: 4-octet implicit salt, 8-octet explicit nonce), RFC 7905 §2
(ChaCha20-Poly1305: 12-octet IV, no explicit nonce), RFC 8422 §6 with RFC 5246 §6.3 (the CBC
suites: HMAC-SHA1 keys of 20 octets, no implicit IV, a record IV of one block).
Record protection with these keys: harness.protocols.tls_record_protection.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Optional

from harness.protocols.srtp_profiles import SrtpProfile

MASTER_SECRET_LENGTH = 48  # RFC 5246 §8.1
VERIFY_DATA_LENGTH = 12  # RFC 5246 §7.4.9
MASTER_SECRET_LABEL = b"master secret"  # RFC 5246 §8.1
EXTENDED_MASTER_SECRET_LABEL = b"extended master secret"  # RFC 7627 §4
KEY_EXPANSION_LABEL = b"key expansion"  # RFC 5246 §6.3
CLIENT_FINISHED_LABEL = b"client finished"  # RFC 5246 §7.4.9
SERVER_FINISHED_LABEL = b"server finished"
DTLS_SRTP_EXPORTER_LABEL = b"EXTRACTOR-dtls_srtp"  # RFC 5764 §4.2
HASH = "sha256"  # RFC 5246 §5 and §7.4.9: the PRF's and the handshake hash's function for these suites

# How a suite protects records (RFC 5246 §6.2.3.2 block, §6.2.3.3 AEAD).
AES_GCM = "AES-GCM"
CHACHA20_POLY1305 = "ChaCha20-Poly1305"
AES_CBC_HMAC_SHA1 = "AES-CBC-HMAC-SHA1"
HMAC_SHA1_LENGTH = 20  # RFC 2104 with SHA-1: mac_length = mac_key_length = 20 (RFC 5246 Appendix C)
AES_BLOCK = 16


@dataclass(frozen=True)
class CipherSuite:
    """The SecurityParameters of RFC 5246 §6.1 that a suite fixes, for the suites aiortc offers."""

    code: int
    name: str
    protection: str
    enc_key_length: int
    fixed_iv_length: int = 0  # implicit part of the nonce, from the key block (AEAD only, RFC 5246 §6.3)
    record_iv_length: int = 0  # explicit part sent in each record: nonce_explicit or the CBC IV
    mac_key_length: int = 0


TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = CipherSuite(0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", AES_GCM, 16, 4, 8)
TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = CipherSuite(
    0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305", CHACHA20_POLY1305, 32, 12
)
TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = CipherSuite(
    0xC009, "ECDHE-ECDSA-AES128-SHA", AES_CBC_HMAC_SHA1, 16, 0, AES_BLOCK, HMAC_SHA1_LENGTH
)
TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = CipherSuite(
    0xC00A, "ECDHE-ECDSA-AES256-SHA", AES_CBC_HMAC_SHA1, 32, 0, AES_BLOCK, HMAC_SHA1_LENGTH
)
CIPHER_SUITES: dict[int, CipherSuite] = {
    suite.code: suite
    for suite in (
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    )
}


def p_hash(secret: bytes, seed: bytes, length: int, *, hash_name: str = HASH) -> bytes:
    """P_hash(secret, seed): HMAC(secret, A(i) + seed) for A(0) = seed, A(i) = HMAC(secret, A(i-1)) (RFC 5246 §5)."""
    output = b""
    a = seed
    while len(output) < length:
        a = hmac.digest(secret, a, hash_name)
        output += hmac.digest(secret, a + seed, hash_name)
    return output[:length]


def prf(secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """PRF(secret, label, seed) = P_SHA256(secret, label + seed), `length` octets (RFC 5246 §5)."""
    return p_hash(secret, label + seed, length)


def handshake_hash(handshake_messages: bytes) -> bytes:
    """Hash(handshake_messages) with the PRF's hash (RFC 5246 §7.4.9); the session hash of RFC 7627 §3."""
    return hashlib.new(HASH, handshake_messages).digest()


def master_secret(premaster: bytes, client_random: bytes, server_random: bytes) -> bytes:
    return prf(premaster, MASTER_SECRET_LABEL, client_random + server_random, MASTER_SECRET_LENGTH)


def extended_master_secret(premaster: bytes, session_hash: bytes) -> bytes:
    """RFC 7627 §4: the session hash replaces the randoms as the seed."""
    return prf(premaster, EXTENDED_MASTER_SECRET_LABEL, session_hash, MASTER_SECRET_LENGTH)


@dataclass(frozen=True)
class WriteKeys:
    """One direction's keys from the key block: MAC key, write key, implicit IV (each may be empty)."""

    mac_key: bytes
    key: bytes
    iv: bytes


@dataclass(frozen=True)
class KeyBlock:
    client: WriteKeys
    server: WriteKeys


def key_block(suite: CipherSuite, master: bytes, client_random: bytes, server_random: bytes) -> KeyBlock:
    """RFC 5246 §6.3: client MAC, server MAC, client key, server key, client IV, server IV, in that order."""
    sizes = [suite.mac_key_length] * 2 + [suite.enc_key_length] * 2 + [suite.fixed_iv_length] * 2
    block = prf(master, KEY_EXPANSION_LABEL, server_random + client_random, sum(sizes))
    parts = []
    offset = 0
    for size in sizes:
        parts.append(block[offset : offset + size])
        offset += size
    client_mac, server_mac, client_key, server_key, client_iv, server_iv = parts
    return KeyBlock(WriteKeys(client_mac, client_key, client_iv), WriteKeys(server_mac, server_key, server_iv))


def verify_data(master: bytes, finished_label: bytes, handshake_messages: bytes) -> bytes:
    """RFC 5246 §7.4.9: PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]."""
    return prf(master, finished_label, handshake_hash(handshake_messages), VERIFY_DATA_LENGTH)


def export_keying_material(
    master: bytes,
    client_random: bytes,
    server_random: bytes,
    label: bytes,
    length: int,
    context: Optional[bytes] = None,
) -> bytes:
    """RFC 5705 §4: PRF(master, label, client_random + server_random [+ context_length + context])."""
    seed = client_random + server_random
    if context is not None:
        seed += len(context).to_bytes(2, "big") + context
    return prf(master, label, seed, length)


@dataclass(frozen=True)
class SrtpKeyingMaterial:
    """RFC 5764 §4.2: the four parts of EXTRACTOR-dtls_srtp; the client's key and salt protect what it sends."""

    profile: SrtpProfile
    client_write_key: bytes
    server_write_key: bytes
    client_write_salt: bytes
    server_write_salt: bytes

    @property
    def client_master(self) -> bytes:
        """The client's SRTP master key || master salt, as libsrtp takes them."""
        return self.client_write_key + self.client_write_salt

    @property
    def server_master(self) -> bytes:
        return self.server_write_key + self.server_write_salt


def srtp_keying_material(
    master: bytes, client_random: bytes, server_random: bytes, profile: SrtpProfile
) -> SrtpKeyingMaterial:
    """RFC 5764 §4.2: 2 * (key + salt) octets of the exporter, cut key, key, salt, salt."""
    key, salt = profile.key_length, profile.salt_length
    material = export_keying_material(master, client_random, server_random, DTLS_SRTP_EXPORTER_LABEL, 2 * (key + salt))
    return SrtpKeyingMaterial(
        profile, material[:key], material[key : 2 * key], material[2 * key : 2 * key + salt], material[2 * key + salt :]
    )
