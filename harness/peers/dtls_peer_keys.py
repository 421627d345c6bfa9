"""Keys of the scripted DTLS peer: its certificate, its ECDHE keys, and ECDSA signatures.

Seeding: EC private keys are derived from seeded integers (ec.derive_private_key) and X25519
keys from seeded bytes (X25519PrivateKey.from_private_bytes), so the same seed gives the same
keys, points and premaster secrets. ECDSA signatures cannot be seeded: cryptography draws their
nonce from the OS (nothing in its API takes one), so a certificate's and a handshake's signature
bytes differ between runs while everything they sign stays the same.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Union

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from harness.protocols.dtls_handshake import (
    ECDSA_SECP256R1_SHA256,
    ECDSA_SECP384R1_SHA384,
    SECP256R1,
    SECP384R1,
    X25519,
)

# A scalar below 2^(bits-1) is below the order of P-256 and P-384, so any draw is a valid private key.
_CURVES: dict[int, ec.EllipticCurve] = {SECP256R1: ec.SECP256R1(), SECP384R1: ec.SECP384R1()}
# RFC 5246 §7.4.1.4.1 / RFC 8422 §5.1.3: the hash each ECDSA SignatureAndHashAlgorithm signs with.
SIGNATURE_HASHES: dict[int, hashes.HashAlgorithm] = {
    ECDSA_SECP256R1_SHA256: hashes.SHA256(),
    ECDSA_SECP384R1_SHA384: hashes.SHA384(),
}
# Fixed, so that a certificate depends on the seed only; aiortc checks fingerprints, not dates.
NOT_VALID_BEFORE = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
NOT_VALID_AFTER = datetime.datetime(2044, 1, 1, tzinfo=datetime.timezone.utc)


def ec_private_key(curve: ec.EllipticCurve, rng: random.Random) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(rng.randrange(1, 1 << (curve.key_size - 1)), curve)


# RFC 8122 §5 hash function textual names, and the functions behind them.
FINGERPRINT_HASHES = {"sha-256": hashes.SHA256(), "sha-384": hashes.SHA384(), "sha-512": hashes.SHA512()}


def fingerprint(der: bytes, algorithm: hashes.HashAlgorithm) -> str:
    digest = hashes.Hash(algorithm)
    digest.update(der)
    return ":".join(f"{octet:02X}" for octet in digest.finalize())


@dataclass(frozen=True)
class PeerCertificate:
    """A self-signed ECDSA P-256 certificate and its key, as a WebRTC endpoint makes one (RFC 8827 §6.5)."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(Encoding.DER)

    def fingerprints(self) -> list[tuple[str, str]]:
        """(hash function, value) as an SDP a=fingerprint carries them (RFC 8122 §5: upper-case hex, colons)."""
        return [(name, fingerprint(self.der, algorithm)) for name, algorithm in FINGERPRINT_HASHES.items()]

    @classmethod
    def generate(cls, rng: random.Random, *, common_name: str = "scripted-dtls-peer") -> PeerCertificate:
        key = ec_private_key(ec.SECP256R1(), rng)
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(rng.getrandbits(64) | 1)  # RFC 5280 §4.1.2.2: a positive integer
            .not_valid_before(NOT_VALID_BEFORE)
            .not_valid_after(NOT_VALID_AFTER)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)


class EphemeralKey:
    """One ECDHE key pair on a named group (RFC 8422 §5.1.1): its public point and the shared secret."""

    def __init__(self, group: int, rng: random.Random) -> None:
        self.group = group
        self._key: Union[X25519PrivateKey, ec.EllipticCurvePrivateKey]
        if group == X25519:
            self._key = X25519PrivateKey.from_private_bytes(rng.randbytes(32))
        elif group in _CURVES:
            self._key = ec_private_key(_CURVES[group], rng)
        else:
            raise ValueError(f"dtls group {group} is not supported by the scripted peer")

    @property
    def public(self) -> bytes:
        """The point as sent: 32 octets for X25519 (RFC 8422 §5.11), uncompressed X9.62 otherwise (§5.4.1)."""
        if isinstance(self._key, X25519PrivateKey):
            return self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return self._key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)

    def exchange(self, peer_public: bytes) -> bytes:
        """The premaster secret: the X25519 output, or the x-coordinate of the ECDH point (RFC 8422 §5.10)."""
        if isinstance(self._key, X25519PrivateKey):
            return self._key.exchange(X25519PublicKey.from_public_bytes(peer_public))
        point = ec.EllipticCurvePublicKey.from_encoded_point(self._key.curve, peer_public)
        return self._key.exchange(ec.ECDH(), point)


def sign(key: ec.EllipticCurvePrivateKey, data: bytes, algorithm: int = ECDSA_SECP256R1_SHA256) -> bytes:
    """A DER ECDSA-Sig-Value over `data` (RFC 8422 §5.4), with the hash the algorithm names."""
    return key.sign(data, ec.ECDSA(SIGNATURE_HASHES.get(algorithm, hashes.SHA256())))


def verify(certificate_der: bytes, data: bytes, algorithm: int, signature: bytes) -> bool:
    """Whether `signature` is the certificate's ECDSA signature of `data` under `algorithm`."""
    try:
        public_key = x509.load_der_x509_certificate(certificate_der).public_key()
    except ValueError:
        return False
    if algorithm not in SIGNATURE_HASHES or not isinstance(public_key, ec.EllipticCurvePublicKey):
        return False
    try:
        public_key.verify(signature, data, ec.ECDSA(SIGNATURE_HASHES[algorithm]))
    except InvalidSignature:
        return False
    return True
