"""DTLS 1.2 framing: records, handshake fragments, ClientHello and HelloVerifyRequest.

Strategies, mutations and CODEC: harness.protocols.dtls_fuzzing.

Sections: RFC 6347 §4.1 (record layer: type, version, epoch, 48-bit sequence number, length;
several records per datagram), §4.2.1 (ClientHello with a cookie, HelloVerifyRequest), §4.2.2
(handshake header: msg_type, length, message_seq, fragment_offset, fragment_length), §4.2.3
(fragmenting a message over records); RFC 5246 §7.4.1.2 (ClientHello fields) and §7.4.1.4
(extensions); RFC 5764 §4.1.1 (use_srtp: profiles and MKI); RFC 8422 §5.1 (supported_groups,
ec_point_formats); RFC 5246 §7.4.1.4.1 (signature_algorithms); RFC 7627 (extended_master_secret);
RFC 5746 (renegotiation_info). Records and handshake bodies stay bytes until asked for, so
encrypted or unknown content survives a round trip; unknown extensions decode to RawExtension.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from harness.protocols.mutations import uint

# RFC 5246 §6.2.1 ContentType.
CHANGE_CIPHER_SPEC = 20
ALERT = 21
HANDSHAKE = 22
APPLICATION_DATA = 23
CONTENT_TYPES = (CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA)

# RFC 6347 §4.1: DTLS 1.0 is {254, 255}, DTLS 1.2 is {254, 253} (one's complement of TLS).
DTLS_1_0 = 0xFEFF
DTLS_1_2 = 0xFEFD
VERSIONS = (DTLS_1_0, DTLS_1_2)
TLS_1_2 = 0x0303  # RFC 5246 §6.2.1: the TLS 1.2 version, which a confused peer may put in a DTLS record

RECORD_HEADER_LENGTH = 13  # RFC 6347 §4.1: type(1) version(2) epoch(2) sequence_number(6) length(2)
RECORD_LENGTH_OFFSET = 11
MAX_SEQUENCE_NUMBER = (1 << 48) - 1  # RFC 6347 §4.1: uint48 sequence_number
MAX_FRAGMENT_LENGTH = 1 << 14  # RFC 5246 §6.2.1: a plaintext fragment MUST NOT exceed 2^14

# RFC 6347 §4.2.2 handshake header, and RFC 5246 §7.4 / RFC 6347 §4.3.2 HandshakeType.
HANDSHAKE_HEADER_LENGTH = 12
HANDSHAKE_FRAGMENT_LENGTH_OFFSET = 9
HELLO_REQUEST = 0
CLIENT_HELLO = 1
SERVER_HELLO = 2
HELLO_VERIFY_REQUEST = 3
CERTIFICATE = 11
SERVER_KEY_EXCHANGE = 12
CERTIFICATE_REQUEST = 13
SERVER_HELLO_DONE = 14
CERTIFICATE_VERIFY = 15
CLIENT_KEY_EXCHANGE = 16
FINISHED = 20
HANDSHAKE_TYPES = (
    HELLO_REQUEST,
    CLIENT_HELLO,
    SERVER_HELLO,
    HELLO_VERIFY_REQUEST,
    CERTIFICATE,
    SERVER_KEY_EXCHANGE,
    CERTIFICATE_REQUEST,
    SERVER_HELLO_DONE,
    CERTIFICATE_VERIFY,
    CLIENT_KEY_EXCHANGE,
    FINISHED,
)

RANDOM_LENGTH = 32  # RFC 5246 §7.4.1.2: Random is 4 bytes of time and 28 random bytes
MAX_SESSION_ID_LENGTH = 32  # RFC 5246 §7.4.1.2: opaque SessionID<0..32>
MAX_COOKIE_LENGTH = 255  # RFC 6347 §4.2.1: opaque cookie<0..2^8-1>

# Extension types (IANA TLS ExtensionType registry, with the defining RFC).
SUPPORTED_GROUPS = 10  # RFC 8422 §5.1.1
EC_POINT_FORMATS = 11  # RFC 8422 §5.1.2
SIGNATURE_ALGORITHMS = 13  # RFC 5246 §7.4.1.4.1
USE_SRTP = 14  # RFC 5764 §4.1.1
ENCRYPT_THEN_MAC = 22  # RFC 7366
EXTENDED_MASTER_SECRET = 23  # RFC 7627 §5.1
RENEGOTIATION_INFO = 0xFF01  # RFC 5746 §3.2
# The extension types decode_extension turns into typed forms.
DECODED_EXTENSIONS = (USE_SRTP, SUPPORTED_GROUPS, SIGNATURE_ALGORITHMS, EC_POINT_FORMATS)

# RFC 5764 §4.1.2 and RFC 7714 §14.2 SRTPProtectionProfile values.
SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001
SRTP_AES128_CM_HMAC_SHA1_32 = 0x0002
SRTP_NULL_HMAC_SHA1_80 = 0x0005
SRTP_NULL_HMAC_SHA1_32 = 0x0006
SRTP_AEAD_AES_128_GCM = 0x0007
SRTP_AEAD_AES_256_GCM = 0x0008
SRTP_PROFILES = (
    SRTP_AES128_CM_HMAC_SHA1_80,
    SRTP_AES128_CM_HMAC_SHA1_32,
    SRTP_NULL_HMAC_SHA1_80,
    SRTP_NULL_HMAC_SHA1_32,
    SRTP_AEAD_AES_128_GCM,
    SRTP_AEAD_AES_256_GCM,
)
MAX_MKI_LENGTH = 255  # RFC 5764 §4.1.1: opaque srtp_mki<0..255>


class _Reader:
    """Big-endian fields off a buffer; running short is `ValueError("dtls <field> is invalid")`."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def take(self, length: int, name: str) -> bytes:
        if self.position + length > len(self.data):
            raise ValueError(f"dtls {name} is invalid")
        chunk = self.data[self.position : self.position + length]
        self.position += length
        return chunk

    def uint(self, width: int, name: str) -> int:
        return int.from_bytes(self.take(width, name), "big")

    def vector(self, width: int, name: str) -> bytes:
        return self.take(self.uint(width, name), name)

    @property
    def remaining(self) -> int:
        return len(self.data) - self.position


def vector(value: bytes, width: int) -> bytes:
    return len(value).to_bytes(width, "big") + value


def _uint16_list(data: bytes, name: str) -> list[int]:
    if len(data) % 2:
        raise ValueError(f"dtls {name} is invalid")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def _uint16_bytes(values: list[int]) -> bytes:
    return b"".join(value.to_bytes(2, "big") for value in values)


# --- records (RFC 6347 §4.1) ------------------------------------------------------------------


@dataclass
class Record:
    content_type: int = uint(8, registry=CONTENT_TYPES)
    version: int = uint(16, registry=(*VERSIONS, TLS_1_2))
    epoch: int = uint(16)
    sequence_number: int = uint(48)
    fragment: bytes = field(default=b"", metadata={"max_len": MAX_FRAGMENT_LENGTH})

    def __bytes__(self) -> bytes:
        return (
            bytes([self.content_type])
            + self.version.to_bytes(2, "big")
            + self.epoch.to_bytes(2, "big")
            + self.sequence_number.to_bytes(6, "big")
            + vector(self.fragment, 2)
        )


@dataclass
class Datagram:
    """One UDP datagram: one or more records back to back (RFC 6347 §4.1.1)."""

    records: list[Record]

    def __bytes__(self) -> bytes:
        return b"".join(bytes(record) for record in self.records)

    @classmethod
    def parse(cls, data: bytes) -> Datagram:
        reader = _Reader(data)
        records = []
        while reader.remaining:
            content_type = reader.uint(1, "record type")
            version = reader.uint(2, "record version")
            epoch = reader.uint(2, "record epoch")
            sequence_number = reader.uint(6, "record sequence_number")
            records.append(Record(content_type, version, epoch, sequence_number, reader.vector(2, "record length")))
        if not records:
            raise ValueError("dtls datagram is invalid")
        return cls(records)


# --- handshake messages (RFC 6347 §4.2.2) -----------------------------------------------------


@dataclass
class Handshake:
    """One handshake message or fragment of one: `length` is the whole message's, `body` this fragment."""

    msg_type: int = uint(8, registry=HANDSHAKE_TYPES)
    length: int = uint(24)  # the whole message's: may disagree with the fragments
    message_seq: int = uint(16)  # may skip or wrap
    fragment_offset: int = uint(24)  # may fall outside the message
    body: bytes = b""

    @classmethod
    def whole(cls, msg_type: int, message_seq: int, body: bytes) -> Handshake:
        return cls(msg_type, len(body), message_seq, 0, body)

    @property
    def is_whole(self) -> bool:
        return self.fragment_offset == 0 and len(self.body) == self.length

    def __bytes__(self) -> bytes:
        return (
            bytes([self.msg_type])
            + self.length.to_bytes(3, "big")
            + self.message_seq.to_bytes(2, "big")
            + self.fragment_offset.to_bytes(3, "big")
            + vector(self.body, 3)
        )


def parse_handshakes(fragment: bytes) -> list[Handshake]:
    """The handshake messages (or fragments) one handshake record carries, in order."""
    reader = _Reader(fragment)
    messages = []
    while reader.remaining:
        msg_type = reader.uint(1, "handshake msg_type")
        length = reader.uint(3, "handshake length")
        message_seq = reader.uint(2, "handshake message_seq")
        fragment_offset = reader.uint(3, "handshake fragment_offset")
        messages.append(Handshake(msg_type, length, message_seq, fragment_offset, reader.vector(3, "handshake body")))
    if not messages:
        raise ValueError("dtls handshake is invalid")
    return messages


def fragment_message(message: Handshake, sizes: list[int]) -> list[Handshake]:
    """A whole message cut into fragments of the given sizes (the last takes the rest), RFC 6347 §4.2.3."""
    fragments: list[Handshake] = []
    offset = 0
    for size in [*sizes, len(message.body)]:
        if offset >= len(message.body) and fragments:
            break
        chunk = message.body[offset : offset + max(size, 1)]
        fragments.append(Handshake(message.msg_type, message.length, message.message_seq, offset, chunk))
        offset += len(chunk)
    return fragments


def reassemble(fragments: list[Handshake]) -> bytes:
    """The body of a message from its fragments; a gap is `ValueError` (RFC 6347 §4.2.3)."""
    if not fragments:
        raise ValueError("dtls handshake fragments is invalid")
    length = fragments[0].length
    body = bytearray(length)
    covered = [False] * length
    for fragment in fragments:
        end = fragment.fragment_offset + len(fragment.body)
        if fragment.length != length or end > length:
            raise ValueError("dtls handshake fragment_offset is invalid")
        body[fragment.fragment_offset : end] = fragment.body
        covered[fragment.fragment_offset : end] = [True] * len(fragment.body)
    if not all(covered):
        raise ValueError("dtls handshake fragments is invalid")
    return bytes(body)


# --- extensions (RFC 5246 §7.4.1.4 and the RFCs named per type) -------------------------------


@dataclass
class RawExtension:
    """An extension we do not decode, or one whose data does not decode: kept as it came."""

    extension_type: int
    data: bytes


@dataclass
class UseSrtp:
    """RFC 5764 §4.1.1: SRTPProtectionProfiles<2..2^16-1> then opaque srtp_mki<0..255>."""

    profiles: list[int]
    mki: bytes = b""
    extension_type: int = field(default=USE_SRTP, init=False, repr=False)

    @property
    def data(self) -> bytes:
        return vector(_uint16_bytes(self.profiles), 2) + vector(self.mki, 1)

    @classmethod
    def parse(cls, data: bytes) -> UseSrtp:
        reader = _Reader(data)
        profiles = _uint16_list(reader.vector(2, "use_srtp profiles"), "use_srtp profiles")
        mki = reader.vector(1, "use_srtp mki")
        if reader.remaining:
            raise ValueError("dtls use_srtp is invalid")
        return cls(profiles, mki)


@dataclass
class Uint16List:
    """A list of 16-bit code points behind a 2-byte length: supported_groups, signature_algorithms."""

    extension_type: int
    values: list[int]

    @property
    def data(self) -> bytes:
        return vector(_uint16_bytes(self.values), 2)

    @classmethod
    def parse_as(cls, extension_type: int, data: bytes) -> Uint16List:
        reader = _Reader(data)
        values = _uint16_list(reader.vector(2, "extension list"), "extension list")
        if reader.remaining:
            raise ValueError("dtls extension list is invalid")
        return cls(extension_type, values)


@dataclass
class EcPointFormats:
    """RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>."""

    formats: list[int]
    extension_type: int = field(default=EC_POINT_FORMATS, init=False, repr=False)

    @property
    def data(self) -> bytes:
        return vector(bytes(self.formats), 1)

    @classmethod
    def parse(cls, data: bytes) -> EcPointFormats:
        reader = _Reader(data)
        formats = list(reader.vector(1, "ec_point_formats"))
        if reader.remaining:
            raise ValueError("dtls ec_point_formats is invalid")
        return cls(formats)


Extension = Union[RawExtension, UseSrtp, Uint16List, EcPointFormats]


def decode_extension(extension_type: int, data: bytes) -> Extension:
    """The typed form of a known extension; unknown or undecodable ones stay raw."""
    try:
        if extension_type == USE_SRTP:
            return UseSrtp.parse(data)
        if extension_type in (SUPPORTED_GROUPS, SIGNATURE_ALGORITHMS):
            return Uint16List.parse_as(extension_type, data)
        if extension_type == EC_POINT_FORMATS:
            return EcPointFormats.parse(data)
    except ValueError:
        pass
    # extended_master_secret and encrypt_then_mac are empty, renegotiation_info one opaque<0..255>: raw is exact.
    return RawExtension(extension_type, data)


def encode_extensions(extensions: list[Extension]) -> bytes:
    body = b"".join(e.extension_type.to_bytes(2, "big") + vector(e.data, 2) for e in extensions)
    return vector(body, 2)


def parse_extensions(data: bytes) -> list[Extension]:
    reader = _Reader(data)
    extensions = []
    while reader.remaining:
        extension_type = reader.uint(2, "extension type")
        extensions.append(decode_extension(extension_type, reader.vector(2, "extension data")))
    return extensions


# --- hello messages (RFC 6347 §4.2.1, RFC 5246 §7.4.1.2) -------------------------------------


@dataclass
class ClientHello:
    client_version: int
    random: bytes
    session_id: bytes
    cookie: bytes
    cipher_suites: list[int]
    compression_methods: list[int]
    extensions: Optional[list[Extension]]  # None: no extensions block at all (RFC 5246 §7.4.1.2)

    def __bytes__(self) -> bytes:
        encoded = (
            self.client_version.to_bytes(2, "big")
            + self.random
            + vector(self.session_id, 1)
            + vector(self.cookie, 1)
            + vector(_uint16_bytes(self.cipher_suites), 2)
            + vector(bytes(self.compression_methods), 1)
        )
        return encoded if self.extensions is None else encoded + encode_extensions(self.extensions)

    @classmethod
    def parse(cls, data: bytes) -> ClientHello:
        reader = _Reader(data)
        client_version = reader.uint(2, "client_hello client_version")
        random_bytes = reader.take(RANDOM_LENGTH, "client_hello random")
        session_id = reader.vector(1, "client_hello session_id")
        if len(session_id) > MAX_SESSION_ID_LENGTH:
            raise ValueError("dtls client_hello session_id is invalid")
        cookie = reader.vector(1, "client_hello cookie")
        cipher_suites = _uint16_list(reader.vector(2, "client_hello cipher_suites"), "client_hello cipher_suites")
        compression_methods = list(reader.vector(1, "client_hello compression_methods"))
        extensions = None
        if reader.remaining:
            extensions = parse_extensions(reader.vector(2, "client_hello extensions"))
            if reader.remaining:
                raise ValueError("dtls client_hello extensions is invalid")
        return cls(client_version, random_bytes, session_id, cookie, cipher_suites, compression_methods, extensions)

    def extension(self, extension_type: int) -> Optional[Extension]:
        return next((e for e in self.extensions or [] if e.extension_type == extension_type), None)


@dataclass
class HelloVerifyRequest:
    server_version: int
    cookie: bytes

    def __bytes__(self) -> bytes:
        return self.server_version.to_bytes(2, "big") + vector(self.cookie, 1)

    @classmethod
    def parse(cls, data: bytes) -> HelloVerifyRequest:
        reader = _Reader(data)
        server_version = reader.uint(2, "hello_verify_request server_version")
        cookie = reader.vector(1, "hello_verify_request cookie")
        if reader.remaining:
            raise ValueError("dtls hello_verify_request is invalid")
        return cls(server_version, cookie)


def handshake_record(message: Handshake, *, sequence_number: int, epoch: int = 0, version: int = DTLS_1_2) -> Record:
    return Record(HANDSHAKE, version, epoch, sequence_number, bytes(message))


def client_hellos_of(datagram: Datagram) -> list[ClientHello]:
    """The whole ClientHellos a datagram carries in handshake records (fragments are not reassembled)."""
    hellos = []
    for record in datagram.records:
        if record.content_type != HANDSHAKE:
            continue
        try:
            messages = parse_handshakes(record.fragment)
        except ValueError:
            continue
        for message in messages:
            if message.msg_type == CLIENT_HELLO and message.is_whole:
                try:
                    hellos.append(ClientHello.parse(message.body))
                except ValueError:
                    pass
    return hellos


# --- fix-up: what the record layer checks before anything else --------------------------------


def repair_lengths(data: bytes) -> bytes:
    """Cut every record length, and every handshake fragment_length, that overruns what follows it.

    OpenSSL silently discards a record whose length overruns the datagram (RFC 6347 §4.1.2.7), so a
    byte-level insertion or deletion hides the whole flight from the handshake layer. A length that
    claims less than is there is kept: it is a lie that moves a record boundary, worth delivering.
    Accepts any bytes and never raises.
    """
    out = bytearray(data)
    position = 0
    while position + RECORD_HEADER_LENGTH <= len(out):
        start = position + RECORD_HEADER_LENGTH
        length = min(int.from_bytes(out[position + RECORD_LENGTH_OFFSET : start], "big"), len(out) - start)
        out[position + RECORD_LENGTH_OFFSET : start] = length.to_bytes(2, "big")
        if out[position] == HANDSHAKE:
            _repair_handshake_lengths(out, start, start + length)
        position = start + length
    return bytes(out)


def _repair_handshake_lengths(out: bytearray, position: int, end: int) -> None:
    while position + HANDSHAKE_HEADER_LENGTH <= end:
        field_at = position + HANDSHAKE_FRAGMENT_LENGTH_OFFSET
        body_start = position + HANDSHAKE_HEADER_LENGTH
        length = min(int.from_bytes(out[field_at:body_start], "big"), end - body_start)
        out[field_at:body_start] = length.to_bytes(3, "big")
        position = body_start + length
