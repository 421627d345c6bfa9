"""DTLS 1.2 handshake bodies after the hellos of harness.protocols.dtls, and alerts and ChangeCipherSpec.

Sections: RFC 5246 §7.4.1.3 (ServerHello), §7.4.2 (Certificate), §7.4.4 (CertificateRequest),
§7.4.5 (ServerHelloDone), §7.4.8 (CertificateVerify), §7.4.9 (Finished), §7.2 (Alert), §7.1
(ChangeCipherSpec), §4.7 and §7.4.1.4.1 (digitally-signed: SignatureAndHashAlgorithm then
opaque signature<0..2^16-1>); RFC 8422 §5.4 (ServerKeyExchange for ECDHE: ServerECDHParams, then
the signature) and §5.7 (ClientKeyExchange for ECDHE: the point); RFC 6347 §4.1 adds no field to
these bodies. Every body is a dataclass with `__bytes__` and `parse`, which raises
`ValueError("dtls <field> is invalid")`; `parse_body` turns a whole handshake message into its
typed form, or leaves it as bytes when the type is one this module does not decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Union

from harness.protocols.dtls import (
    CERTIFICATE,
    CERTIFICATE_REQUEST,
    CERTIFICATE_VERIFY,
    CLIENT_HELLO,
    CLIENT_KEY_EXCHANGE,
    FINISHED,
    HELLO_VERIFY_REQUEST,
    RANDOM_LENGTH,
    SERVER_HELLO,
    SERVER_HELLO_DONE,
    SERVER_KEY_EXCHANGE,
    ClientHello,
    Extension,
    HelloVerifyRequest,
    _Reader,
    _uint16_bytes,
    _uint16_list,
    encode_extensions,
    parse_extensions,
    vector,
)

VERIFY_DATA_LENGTH = 12  # RFC 5246 §7.4.9: verify_data_length defaults to 12 for every suite here
NULL_COMPRESSION = 0  # RFC 5246 §6.2.2: CompressionMethod null
CHANGE_CIPHER_SPEC_TYPE = 1  # RFC 5246 §7.1: enum { change_cipher_spec(1) }

# RFC 8422 §5.4 ECCurveType; only named_curve remains (explicit curves are deprecated there).
NAMED_CURVE = 3
# RFC 8422 §5.1.1 NamedCurve (supported_groups) values, and RFC 8422 §5.1.2 ECPointFormat.
SECP256R1 = 23
SECP384R1 = 24
X25519 = 29
UNCOMPRESSED = 0

# RFC 5246 §7.4.1.4.1 SignatureAndHashAlgorithm as one uint16 (hash << 8 | signature); RFC 8422 §5.1.3.
ECDSA_SECP256R1_SHA256 = 0x0403
ECDSA_SECP384R1_SHA384 = 0x0503
# RFC 5246 §7.4.4 ClientCertificateType (RFC 8422 §5.5 adds ecdsa_sign).
RSA_SIGN = 1
ECDSA_SIGN = 64

# RFC 5246 §7.2 AlertLevel and AlertDescription (IANA TLS Alerts registry; RFC 5746 §3.4, RFC 7366 §3).
WARNING = 1
FATAL = 2
CLOSE_NOTIFY = 0
UNEXPECTED_MESSAGE = 10
BAD_RECORD_MAC = 20
RECORD_OVERFLOW = 22
DECOMPRESSION_FAILURE = 30
HANDSHAKE_FAILURE = 40
BAD_CERTIFICATE = 42
UNSUPPORTED_CERTIFICATE = 43
CERTIFICATE_REVOKED = 44
CERTIFICATE_EXPIRED = 45
CERTIFICATE_UNKNOWN = 46
ILLEGAL_PARAMETER = 47
UNKNOWN_CA = 48
ACCESS_DENIED = 49
DECODE_ERROR = 50
DECRYPT_ERROR = 51
PROTOCOL_VERSION = 70
INSUFFICIENT_SECURITY = 71
INTERNAL_ERROR = 80
USER_CANCELED = 90
NO_RENEGOTIATION = 100
UNSUPPORTED_EXTENSION = 110
ALERT_LEVELS = (WARNING, FATAL)
ALERT_DESCRIPTIONS = (
    CLOSE_NOTIFY, UNEXPECTED_MESSAGE, BAD_RECORD_MAC, RECORD_OVERFLOW, DECOMPRESSION_FAILURE, HANDSHAKE_FAILURE,
    BAD_CERTIFICATE, UNSUPPORTED_CERTIFICATE, CERTIFICATE_REVOKED, CERTIFICATE_EXPIRED, CERTIFICATE_UNKNOWN,
    ILLEGAL_PARAMETER, UNKNOWN_CA, ACCESS_DENIED, DECODE_ERROR, DECRYPT_ERROR, PROTOCOL_VERSION,
    INSUFFICIENT_SECURITY, INTERNAL_ERROR, USER_CANCELED, NO_RENEGOTIATION, UNSUPPORTED_EXTENSION,
)  # fmt: skip


def _finished_reading(reader: _Reader, name: str) -> None:
    if reader.remaining:
        raise ValueError(f"dtls {name} is invalid")


def find_extension(extensions: Optional[list[Extension]], extension_type: int) -> Optional[Extension]:
    return next((e for e in extensions or [] if e.extension_type == extension_type), None)


@dataclass
class ServerHello:
    """RFC 5246 §7.4.1.3; use_srtp here carries the one chosen profile and the MKI (RFC 5764 §4.1.1)."""

    server_version: int
    random: bytes
    session_id: bytes
    cipher_suite: int
    compression_method: int
    extensions: Optional[list[Extension]]  # None: no extensions block at all

    def __bytes__(self) -> bytes:
        encoded = (
            self.server_version.to_bytes(2, "big")
            + self.random
            + vector(self.session_id, 1)
            + self.cipher_suite.to_bytes(2, "big")
            + bytes([self.compression_method])
        )
        return encoded if self.extensions is None else encoded + encode_extensions(self.extensions)

    @classmethod
    def parse(cls, data: bytes) -> ServerHello:
        reader = _Reader(data)
        server_version = reader.uint(2, "server_hello server_version")
        random_bytes = reader.take(RANDOM_LENGTH, "server_hello random")
        session_id = reader.vector(1, "server_hello session_id")
        cipher_suite = reader.uint(2, "server_hello cipher_suite")
        compression_method = reader.uint(1, "server_hello compression_method")
        extensions = None
        if reader.remaining:
            extensions = parse_extensions(reader.vector(2, "server_hello extensions"))
            _finished_reading(reader, "server_hello extensions")
        return cls(server_version, random_bytes, session_id, cipher_suite, compression_method, extensions)

    def extension(self, extension_type: int) -> Optional[Extension]:
        return find_extension(self.extensions, extension_type)


@dataclass
class Certificate:
    """RFC 5246 §7.4.2: ASN.1Cert certificate_list<0..2^24-1>, each opaque<1..2^24-1> (DER); empty allowed."""

    certificates: list[bytes]

    def __bytes__(self) -> bytes:
        return vector(b"".join(vector(der, 3) for der in self.certificates), 3)

    @classmethod
    def parse(cls, data: bytes) -> Certificate:
        reader = _Reader(data)
        listed = _Reader(reader.vector(3, "certificate list"))
        _finished_reading(reader, "certificate list")
        certificates = []
        while listed.remaining:
            certificates.append(listed.vector(3, "certificate entry"))
        return cls(certificates)


@dataclass
class ServerKeyExchange:
    """RFC 8422 §5.4: ServerECDHParams (curve_type, namedcurve, point<1..2^8-1>), then digitally-signed."""

    curve_type: int
    named_curve: int
    public: bytes
    signature_algorithm: int
    signature: bytes

    @property
    def params(self) -> bytes:
        """ServerECDHParams as encoded: what the signature covers, after the two randoms (RFC 8422 §5.4)."""
        return bytes([self.curve_type]) + self.named_curve.to_bytes(2, "big") + vector(self.public, 1)

    def __bytes__(self) -> bytes:
        return self.params + self.signature_algorithm.to_bytes(2, "big") + vector(self.signature, 2)

    @classmethod
    def parse(cls, data: bytes) -> ServerKeyExchange:
        reader = _Reader(data)
        curve_type = reader.uint(1, "server_key_exchange curve_type")
        if curve_type != NAMED_CURVE:
            raise ValueError("dtls server_key_exchange curve_type is invalid")
        named_curve = reader.uint(2, "server_key_exchange named_curve")
        public = reader.vector(1, "server_key_exchange point")
        signature_algorithm = reader.uint(2, "server_key_exchange signature_algorithm")
        signature = reader.vector(2, "server_key_exchange signature")
        _finished_reading(reader, "server_key_exchange")
        return cls(curve_type, named_curve, public, signature_algorithm, signature)


@dataclass
class CertificateRequest:
    """RFC 5246 §7.4.4: certificate_types<1..2^8-1>, supported_signature_algorithms<2..2^16-2>, CAs<0..2^16-1>."""

    certificate_types: list[int]
    signature_algorithms: list[int]
    certificate_authorities: list[bytes]  # DER DistinguishedNames, each opaque<1..2^16-1>

    def __bytes__(self) -> bytes:
        authorities = b"".join(vector(name, 2) for name in self.certificate_authorities)
        return (
            vector(bytes(self.certificate_types), 1)
            + vector(_uint16_bytes(self.signature_algorithms), 2)
            + vector(authorities, 2)
        )

    @classmethod
    def parse(cls, data: bytes) -> CertificateRequest:
        reader = _Reader(data)
        certificate_types = list(reader.vector(1, "certificate_request certificate_types"))
        algorithms = _uint16_list(
            reader.vector(2, "certificate_request signature_algorithms"), "certificate_request signature_algorithms"
        )
        listed = _Reader(reader.vector(2, "certificate_request certificate_authorities"))
        _finished_reading(reader, "certificate_request")
        authorities = []
        while listed.remaining:
            authorities.append(listed.vector(2, "certificate_request certificate_authorities"))
        return cls(certificate_types, algorithms, authorities)


@dataclass
class ServerHelloDone:
    """RFC 5246 §7.4.5: struct { } ServerHelloDone."""

    def __bytes__(self) -> bytes:
        return b""

    @classmethod
    def parse(cls, data: bytes) -> ServerHelloDone:
        if data:
            raise ValueError("dtls server_hello_done is invalid")
        return cls()


@dataclass
class ClientKeyExchange:
    """RFC 8422 §5.7: ClientECDiffieHellmanPublic, the ephemeral point ecdh_Yc<1..2^8-1>."""

    public: bytes

    def __bytes__(self) -> bytes:
        return vector(self.public, 1)

    @classmethod
    def parse(cls, data: bytes) -> ClientKeyExchange:
        reader = _Reader(data)
        public = reader.vector(1, "client_key_exchange point")
        _finished_reading(reader, "client_key_exchange")
        return cls(public)


@dataclass
class CertificateVerify:
    """RFC 5246 §7.4.8: digitally-signed (§4.7): SignatureAndHashAlgorithm, then opaque signature<0..2^16-1>."""

    signature_algorithm: int
    signature: bytes

    def __bytes__(self) -> bytes:
        return self.signature_algorithm.to_bytes(2, "big") + vector(self.signature, 2)

    @classmethod
    def parse(cls, data: bytes) -> CertificateVerify:
        reader = _Reader(data)
        algorithm = reader.uint(2, "certificate_verify signature_algorithm")
        signature = reader.vector(2, "certificate_verify signature")
        _finished_reading(reader, "certificate_verify")
        return cls(algorithm, signature)


@dataclass
class Finished:
    """RFC 5246 §7.4.9: opaque verify_data[verify_data_length], 12 octets here."""

    verify_data: bytes

    def __bytes__(self) -> bytes:
        return self.verify_data

    @classmethod
    def parse(cls, data: bytes) -> Finished:
        if len(data) != VERIFY_DATA_LENGTH:
            raise ValueError("dtls finished verify_data is invalid")
        return cls(data)


@dataclass
class Alert:
    """RFC 5246 §7.2: AlertLevel level, AlertDescription description."""

    level: int
    description: int

    def __bytes__(self) -> bytes:
        return bytes([self.level, self.description])

    @classmethod
    def parse(cls, data: bytes) -> Alert:
        if len(data) != 2:
            raise ValueError("dtls alert is invalid")
        return cls(data[0], data[1])


@dataclass
class ChangeCipherSpec:
    """RFC 5246 §7.1: one byte, change_cipher_spec(1)."""

    type: int = CHANGE_CIPHER_SPEC_TYPE

    def __bytes__(self) -> bytes:
        return bytes([self.type])

    @classmethod
    def parse(cls, data: bytes) -> ChangeCipherSpec:
        if len(data) != 1:
            raise ValueError("dtls change_cipher_spec is invalid")
        return cls(data[0])


HandshakeBody = Union[
    ClientHello,
    HelloVerifyRequest,
    ServerHello,
    Certificate,
    ServerKeyExchange,
    CertificateRequest,
    ServerHelloDone,
    ClientKeyExchange,
    CertificateVerify,
    Finished,
]

BODY_PARSERS: dict[int, Callable[[bytes], HandshakeBody]] = {
    CLIENT_HELLO: ClientHello.parse,
    HELLO_VERIFY_REQUEST: HelloVerifyRequest.parse,
    SERVER_HELLO: ServerHello.parse,
    CERTIFICATE: Certificate.parse,
    SERVER_KEY_EXCHANGE: ServerKeyExchange.parse,
    CERTIFICATE_REQUEST: CertificateRequest.parse,
    SERVER_HELLO_DONE: ServerHelloDone.parse,
    CLIENT_KEY_EXCHANGE: ClientKeyExchange.parse,
    CERTIFICATE_VERIFY: CertificateVerify.parse,
    FINISHED: Finished.parse,
}


def parse_body(msg_type: int, body: bytes) -> Union[HandshakeBody, bytes]:
    """The typed form of a whole handshake message's body; a type not decoded here stays bytes."""
    parse = BODY_PARSERS.get(msg_type)
    return body if parse is None else parse(body)
