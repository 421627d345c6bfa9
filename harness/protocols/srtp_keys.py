"""SRTP key derivation, AES counter mode and the AEAD nonces, from RFC 3711, RFC 6188 and RFC 7714.

RFC 3711 §4.3.1 (key_id = label || r with r = index DIV key_derivation_rate, r = 0 when the
rate is 0; x = key_id XOR master salt, aligned on their least significant bits), §4.3.2 (SRTCP
labels, r from the SRTCP index), §4.3.3 (the AES-CM PRF: the keystream of AES-CM under the master
key with IV = x * 2^16) and §4.1.1 (AES-CM: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16),
block j encrypts IV + j). RFC 6188 §2 and §3: the same with 192- and 256-bit keys. RFC 7714 §11
with its verified Errata ID 4938: the 96-bit GCM master salt enters the 112-bit KDF multiplied by
2^16; §8.1 and §9.1: the 12-octet AEAD IVs. The GCM values the RFC 7714 examples print (H,
E(K, J0), the GHASH and the keystream blocks, NIST SP 800-38D §6.4, §7.1) are computed here
too, so that a test can check them one by one.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from harness.protocols.srtp_profiles import SrtpProfile

BLOCK = 16  # AES block, octets
AES_KEY_LENGTHS = (16, 24, 32)  # AES-128 (RFC 3711 §4.1.1), AES-192 and AES-256 (RFC 6188 §2)
KDF_SALT_LENGTH = 14  # RFC 3711 §4.3.1: a 112-bit master salt
AEAD_SALT_LENGTH = 12  # RFC 7714 §12: a 96-bit master and session salt
AEAD_IV_LENGTH = 12  # RFC 7714 §8.1, §9.1
MAX_KDR_EXPONENT = 24  # RFC 3711 §4.3.1: the rate is 0 or a power of 2 from 2^0 to 2^24
INDEX_BITS = 48  # RFC 3711 §3.3.1: the SRTP packet index; r = index DIV kdr fits 48 bits
SRTCP_INDEX_MASK = 0x7FFFFFFF  # RFC 3711 §3.4: 31 bits
GCM_FIRST_COUNTER = 2  # NIST SP 800-38D §7.1: counter 1 (J0) masks the tag, the text starts at 2

# RFC 3711 §4.3.1 (SRTP) and §4.3.2 (SRTCP).
LABEL_SRTP_ENCRYPTION = 0x00
LABEL_SRTP_AUTHENTICATION = 0x01
LABEL_SRTP_SALT = 0x02
LABEL_SRTCP_ENCRYPTION = 0x03
LABEL_SRTCP_AUTHENTICATION = 0x04
LABEL_SRTCP_SALT = 0x05

_GCM_R = 0xE1 << 120  # NIST SP 800-38D §6.3: R = 11100001 || 0^120


def _aes_key(key: bytes) -> algorithms.AES:
    if len(key) not in AES_KEY_LENGTHS:
        raise ValueError("SRTP cipher key is invalid")
    return algorithms.AES(key)


def aes_cm_keystream(key: bytes, iv: bytes, length: int) -> bytes:
    """The first `length` octets of AES-CM: AES(key, IV + j) for j = 0, 1, ... (RFC 3711 §4.1.1).

    The 128-bit counter increments as a whole: the IVs of SRTP end in 16 zero bits and a packet
    takes fewer than 2^16 blocks, so this equals the RFC's "IV + j mod 2^128".
    """
    if len(iv) != BLOCK:
        raise ValueError("SRTP counter IV is invalid")
    encryptor = Cipher(_aes_key(key), modes.CTR(iv)).encryptor()
    return encryptor.update(bytes(length)) + encryptor.finalize()


def aes_cm_crypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """`data` XOR the AES-CM keystream: encryption and decryption alike (RFC 3711 §4.1.1)."""
    encryptor = Cipher(_aes_key(key), modes.CTR(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def counter_block(iv: bytes, j: int) -> bytes:
    """The j-th AES-CM input block, IV + j mod 2^128 (RFC 3711 §4.1.1)."""
    return ((int.from_bytes(iv, "big") + j) % (1 << 128)).to_bytes(BLOCK, "big")


def aes_cm_iv(session_salt: bytes, ssrc: int, index: int) -> bytes:
    """IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16) (RFC 3711 §4.1.1); i is the SRTP or SRTCP index."""
    if len(session_salt) != KDF_SALT_LENGTH:
        raise ValueError("SRTP session salt is invalid")
    value = int.from_bytes(session_salt, "big") << 16 ^ (ssrc & 0xFFFFFFFF) << 64 ^ index << 16
    return (value % (1 << 128)).to_bytes(BLOCK, "big")


def prf_input(master_salt: bytes, label: int, *, index: int = 0, kdr: int = 0) -> bytes:
    """x = (label || r) XOR master salt, 14 octets, with r = index DIV kdr (RFC 3711 §4.3.1).

    A 12-octet (GCM) master salt is first multiplied by 2^16, two zero octets appended (RFC 7714
    §11, Errata ID 4938, verified). kdr = 0 gives r = 0 whatever the index.
    """
    if kdr != 0 and (kdr & (kdr - 1) or kdr > 1 << MAX_KDR_EXPONENT or kdr < 0):
        raise ValueError("SRTP key derivation rate is invalid")
    if len(master_salt) == AEAD_SALT_LENGTH:
        master_salt += bytes(KDF_SALT_LENGTH - AEAD_SALT_LENGTH)
    if len(master_salt) != KDF_SALT_LENGTH:
        raise ValueError("SRTP master salt is invalid")
    if not 0 <= label <= 0xFF or not 0 <= index < 1 << INDEX_BITS:
        raise ValueError("SRTP key derivation input is invalid")
    r = 0 if kdr == 0 else index // kdr
    key_id = label << INDEX_BITS | r
    return (int.from_bytes(master_salt, "big") ^ key_id).to_bytes(KDF_SALT_LENGTH, "big")


def aes_cm_prf(master_key: bytes, x: bytes, length: int) -> bytes:
    """PRF_n(k_master, x): the first `length` octets of AES-CM with IV = x * 2^16 (RFC 3711 §4.3.3)."""
    return aes_cm_keystream(master_key, x + bytes(2), length)


def derive(master_key: bytes, master_salt: bytes, label: int, length: int, *, index: int = 0, kdr: int = 0) -> bytes:
    """One session key, salt or authentication key (RFC 3711 §4.3.1-§4.3.3, RFC 6188 §3)."""
    return aes_cm_prf(master_key, prf_input(master_salt, label, index=index, kdr=kdr), length)


@dataclass(frozen=True)
class SessionKeys:
    """The session keys of SRTP, or of SRTCP, derived from one master key and salt (RFC 3711 §4.3)."""

    cipher_key: bytes  # k_e
    cipher_salt: bytes  # k_s: 14 octets for AES-CM, 12 for GCM
    auth_key: bytes  # k_a: 20 octets for HMAC-SHA1; empty for GCM, which authenticates itself


def session_keys(
    profile: SrtpProfile, master_key_and_salt: bytes, *, rtcp: bool, index: int = 0, kdr: int = 0
) -> SessionKeys:
    """The SRTP (labels 0x00-0x02) or SRTCP (0x03-0x05) session keys of a profile (RFC 3711 §4.3)."""
    if len(master_key_and_salt) != profile.key_length + profile.salt_length:
        raise ValueError("SRTP master key is invalid")
    master_key = master_key_and_salt[: profile.key_length]
    master_salt = master_key_and_salt[profile.key_length :]
    first = LABEL_SRTCP_ENCRYPTION if rtcp else LABEL_SRTP_ENCRYPTION
    return SessionKeys(
        derive(master_key, master_salt, first, profile.key_length, index=index, kdr=kdr),
        derive(master_key, master_salt, first + 2, profile.salt_length, index=index, kdr=kdr),
        derive(master_key, master_salt, first + 1, profile.auth_key_length, index=index, kdr=kdr),
    )


# AEAD_AES_*_GCM (RFC 7714).


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def srtp_aead_iv(session_salt: bytes, ssrc: int, index: int) -> bytes:
    """(00 00 || SSRC || ROC || SEQ) XOR the 12-octet salt (RFC 7714 §8.1); index = ROC * 2^16 + SEQ."""
    if len(session_salt) != AEAD_SALT_LENGTH:
        raise ValueError("SRTP session salt is invalid")
    return _xor(struct.pack("!HIIH", 0, ssrc & 0xFFFFFFFF, index >> 16 & 0xFFFFFFFF, index & 0xFFFF), session_salt)


def srtcp_aead_iv(session_salt: bytes, ssrc: int, srtcp_index: int) -> bytes:
    """(00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR the 12-octet salt (RFC 7714 §9.1)."""
    if len(session_salt) != AEAD_SALT_LENGTH:
        raise ValueError("SRTCP session salt is invalid")
    return _xor(struct.pack("!HIHI", 0, ssrc & 0xFFFFFFFF, 0, srtcp_index & SRTCP_INDEX_MASK), session_salt)


def aes_block(key: bytes, block: bytes) -> bytes:
    """AES(key, block): one block of the forward cipher."""
    encryptor = Cipher(_aes_key(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def gcm_hash_subkey(key: bytes) -> bytes:
    """H = AES(K, 0^128) (NIST SP 800-38D §7.1, step 1)."""
    return aes_block(key, bytes(BLOCK))


def gcm_counter_block(iv: bytes, counter: int) -> bytes:
    """IV || counter for a 96-bit IV: counter 1 is J0 (NIST SP 800-38D §7.1, step 2)."""
    if len(iv) != AEAD_IV_LENGTH:
        raise ValueError("SRTP AEAD IV is invalid")
    return iv + struct.pack("!I", counter & 0xFFFFFFFF)


def gcm_keystream(key: bytes, iv: bytes, length: int) -> bytes:
    """The GCTR keystream that encrypts the plaintext: AES(K, IV || n) for n = 2, 3, ... (SP 800-38D §7.1)."""
    return aes_cm_keystream(key, gcm_counter_block(iv, GCM_FIRST_COUNTER), length)


def _gf_multiply(x: int, y: int) -> int:
    """X * Y in GF(2^128) with GCM's bit order (NIST SP 800-38D §6.3, Algorithm 1)."""
    z, v = 0, y
    for i in range(127, -1, -1):
        if x >> i & 1:
            z ^= v
        v = v >> 1 ^ _GCM_R if v & 1 else v >> 1
    return z


def ghash(hash_subkey: bytes, aad: bytes, ciphertext: bytes) -> bytes:
    """GHASH_H(A || 0^v || C || 0^u || [len(A)]_64 || [len(C)]_64) (NIST SP 800-38D §6.4, §7.1 step 5)."""

    def padded(data: bytes) -> bytes:
        return data + bytes(-len(data) % BLOCK)

    h = int.from_bytes(hash_subkey, "big")
    blocks = padded(aad) + padded(ciphertext) + struct.pack("!QQ", len(aad) * 8, len(ciphertext) * 8)
    y = 0
    for start in range(0, len(blocks), BLOCK):
        y = _gf_multiply(y ^ int.from_bytes(blocks[start : start + BLOCK], "big"), h)
    return y.to_bytes(BLOCK, "big")
