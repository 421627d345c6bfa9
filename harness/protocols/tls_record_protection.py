"""DTLS 1.2 record protection: one direction's cipher state turning a plaintext fragment into a protected one.

RFC 6347 §4.1.2.1: the 64-bit seq_num of the MAC and of the AEAD additional data is the record's
epoch || sequence_number. RFC 5246 §6.2.3.3: additional_data = seq_num + type + version + length
(of the plaintext). RFC 5288 §3: the AES-GCM nonce is the 4-octet implicit salt || the 8-octet
nonce_explicit sent before the ciphertext. RFC 7905 §2: the ChaCha20-Poly1305 nonce is the 12-octet
IV XOR the seq_num padded on the left, nothing explicit. RFC 5246 §6.2.3.2: CBC is MAC-then-
encrypt, the MAC over seq_num + type + version + length + content, padding of padding_length + 1
octets each of value padding_length, behind an explicit IV; RFC 7366 §3 (encrypt_then_mac): the
MAC comes last, over seq_num + type + version + length + IV + ciphertext, where length is that of
IV + ciphertext. Every failure to open is one `ValueError("dtls record mac is invalid")`: a receiver
must not tell padding from MAC failures (RFC 5246 §6.2.3.2, bad_record_mac).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from harness.protocols.tls_crypto import (
    AES_BLOCK,
    AES_CBC_HMAC_SHA1,
    AES_GCM,
    CHACHA20_POLY1305,
    CipherSuite,
    WriteKeys,
)

MAC_HASH = "sha1"  # RFC 5246 Appendix A.5: the _SHA suites' MAC is HMAC-SHA1
AEAD_TAG_LENGTH = 16  # RFC 5116 §5.1 (AES-GCM) and RFC 7539 §2.8 (ChaCha20-Poly1305)


def seq_num(epoch: int, sequence_number: int) -> bytes:
    """RFC 6347 §4.1.2.1: epoch (16 bits) || sequence_number (48 bits)."""
    return epoch.to_bytes(2, "big") + sequence_number.to_bytes(6, "big")


def _header(epoch: int, sequence_number: int, content_type: int, version: int, length: int) -> bytes:
    return (
        seq_num(epoch, sequence_number) + bytes([content_type]) + version.to_bytes(2, "big") + length.to_bytes(2, "big")
    )


def _refused() -> ValueError:
    return ValueError("dtls record mac is invalid")


@dataclass(frozen=True)
class RecordProtection:
    """One direction of one epoch: the suite, its write keys, and whether encrypt_then_mac was negotiated."""

    suite: CipherSuite
    keys: WriteKeys
    encrypt_then_mac: bool = False  # RFC 7366: only for the CBC suites

    def protect(
        self, epoch: int, sequence_number: int, content_type: int, version: int, plaintext: bytes, record_iv: bytes
    ) -> bytes:
        """The protected fragment; `record_iv` is the explicit part (GCM's nonce_explicit, CBC's IV, else b"")."""
        if len(record_iv) != self.suite.record_iv_length:
            raise ValueError("dtls record iv is invalid")
        header = _header(epoch, sequence_number, content_type, version, len(plaintext))
        if self.suite.protection == AES_GCM:
            return record_iv + AESGCM(self.keys.key).encrypt(self.keys.iv + record_iv, plaintext, header)
        if self.suite.protection == CHACHA20_POLY1305:
            return ChaCha20Poly1305(self.keys.key).encrypt(
                self._chacha_nonce(epoch, sequence_number), plaintext, header
            )
        if self.encrypt_then_mac:
            ciphertext = record_iv + self._cbc(record_iv, _pad(plaintext), encrypt=True)
            mac_header = _header(epoch, sequence_number, content_type, version, len(ciphertext))
            return ciphertext + self._mac(mac_header + ciphertext)
        return record_iv + self._cbc(record_iv, _pad(plaintext + self._mac(header + plaintext)), encrypt=True)

    def unprotect(self, epoch: int, sequence_number: int, content_type: int, version: int, fragment: bytes) -> bytes:
        """The plaintext of a protected fragment; `ValueError("dtls record mac is invalid")` if it does not verify."""
        if self.suite.protection == AES_GCM:
            explicit, sealed = fragment[: self.suite.record_iv_length], fragment[self.suite.record_iv_length :]
            if len(sealed) < AEAD_TAG_LENGTH:
                raise _refused()
            header = _header(epoch, sequence_number, content_type, version, len(sealed) - AEAD_TAG_LENGTH)
            return _open(AESGCM(self.keys.key), self.keys.iv + explicit, sealed, header)
        if self.suite.protection == CHACHA20_POLY1305:
            if len(fragment) < AEAD_TAG_LENGTH:
                raise _refused()
            header = _header(epoch, sequence_number, content_type, version, len(fragment) - AEAD_TAG_LENGTH)
            return _open(ChaCha20Poly1305(self.keys.key), self._chacha_nonce(epoch, sequence_number), fragment, header)
        assert self.suite.protection == AES_CBC_HMAC_SHA1
        mac_length = self.suite.mac_key_length
        if self.encrypt_then_mac:
            ciphertext, mac = fragment[:-mac_length], fragment[-mac_length:]
            if len(ciphertext) < 2 * AES_BLOCK or len(ciphertext) % AES_BLOCK:
                raise _refused()
            mac_header = _header(epoch, sequence_number, content_type, version, len(ciphertext))
            if not hmac.compare_digest(mac, self._mac(mac_header + ciphertext)):
                raise _refused()
            return _unpad(self._cbc(ciphertext[:AES_BLOCK], ciphertext[AES_BLOCK:], encrypt=False))
        if len(fragment) < 2 * AES_BLOCK or len(fragment) % AES_BLOCK:
            raise _refused()
        content = _unpad(self._cbc(fragment[:AES_BLOCK], fragment[AES_BLOCK:], encrypt=False))
        if len(content) < mac_length:
            raise _refused()
        plaintext, mac = content[:-mac_length], content[-mac_length:]
        header = _header(epoch, sequence_number, content_type, version, len(plaintext))
        if not hmac.compare_digest(mac, self._mac(header + plaintext)):
            raise _refused()
        return plaintext

    def _chacha_nonce(self, epoch: int, sequence_number: int) -> bytes:
        padded = bytes(len(self.keys.iv) - 8) + seq_num(epoch, sequence_number)
        return bytes(a ^ b for a, b in zip(self.keys.iv, padded))

    def _mac(self, data: bytes) -> bytes:
        return hmac.digest(self.keys.mac_key, data, MAC_HASH)

    def _cbc(self, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
        cipher = Cipher(algorithms.AES(self.keys.key), modes.CBC(iv))
        context = cipher.encryptor() if encrypt else cipher.decryptor()
        return context.update(data) + context.finalize()


def _open(aead: AESGCM | ChaCha20Poly1305, nonce: bytes, sealed: bytes, header: bytes) -> bytes:
    try:
        return aead.decrypt(nonce, sealed, header)
    except InvalidTag:
        raise _refused() from None


def _pad(data: bytes) -> bytes:
    """The fewest padding octets that fill the block: padding_length + 1 octets of value padding_length."""
    padding_length = AES_BLOCK - 1 - len(data) % AES_BLOCK
    return data + bytes([padding_length]) * (padding_length + 1)


def _unpad(data: bytes) -> bytes:
    padding_length = data[-1]
    if padding_length + 1 > len(data) or data[-padding_length - 1 :] != bytes([padding_length]) * (padding_length + 1):
        raise _refused()
    return data[: -padding_length - 1]
