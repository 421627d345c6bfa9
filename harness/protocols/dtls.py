"""DTLS 1.2 framing: records, handshake fragments, ClientHello and HelloVerifyRequest.

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

import random
from dataclasses import dataclass, field, replace
from typing import Optional, Union

from hypothesis import strategies as st

from harness.protocols.mutations import Codec, lie_about_length, mutate_bytes, mutate_int, mutate_items, truncate

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


def _vector(value: bytes, width: int) -> bytes:
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
    content_type: int
    version: int
    epoch: int
    sequence_number: int
    fragment: bytes

    def __bytes__(self) -> bytes:
        return (
            bytes([self.content_type])
            + self.version.to_bytes(2, "big")
            + self.epoch.to_bytes(2, "big")
            + self.sequence_number.to_bytes(6, "big")
            + _vector(self.fragment, 2)
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

    msg_type: int
    length: int
    message_seq: int
    fragment_offset: int
    body: bytes

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
            + _vector(self.body, 3)
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
        return _vector(_uint16_bytes(self.profiles), 2) + _vector(self.mki, 1)

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
        return _vector(_uint16_bytes(self.values), 2)

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
        return _vector(bytes(self.formats), 1)

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
    body = b"".join(e.extension_type.to_bytes(2, "big") + _vector(e.data, 2) for e in extensions)
    return _vector(body, 2)


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
            + _vector(self.session_id, 1)
            + _vector(self.cookie, 1)
            + _vector(_uint16_bytes(self.cipher_suites), 2)
            + _vector(bytes(self.compression_methods), 1)
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
        return self.server_version.to_bytes(2, "big") + _vector(self.cookie, 1)

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


# --- strategies -------------------------------------------------------------------------------


def _registry_or_any(registry: tuple[int, ...], bits: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(registry), st.integers(0, (1 << bits) - 1))


def srtp_extensions(*, max_profiles: int = 6) -> st.SearchStrategy[UseSrtp]:
    """use_srtp with registry or unknown profiles (at least one: the vector is <2..2^16-1>) and an MKI."""
    if max_profiles < 1:
        raise ValueError("max_profiles must be at least 1")
    profiles = st.lists(_registry_or_any(SRTP_PROFILES, 16), min_size=1, max_size=max_profiles)
    return st.builds(UseSrtp, profiles, st.binary(max_size=MAX_MKI_LENGTH))


def extension_lists(*, max_size: int = 8) -> st.SearchStrategy[list[Extension]]:
    """Extensions a WebRTC ClientHello carries, in any order, with unknown raw ones among them."""
    if max_size < 0:
        raise ValueError("max_size must not be negative")
    known_raw = st.sampled_from([ENCRYPT_THEN_MAC, EXTENDED_MASTER_SECRET]).map(lambda t: RawExtension(t, b""))
    unknown = st.builds(
        RawExtension,
        st.integers(0, 0xFFFF).filter(lambda t: t not in DECODED_EXTENSIONS),
        st.binary(max_size=32),
    )
    extension = st.one_of(
        srtp_extensions(),
        st.builds(Uint16List, st.just(SUPPORTED_GROUPS), st.lists(st.integers(0, 0xFFFF), max_size=8)),
        st.builds(Uint16List, st.just(SIGNATURE_ALGORITHMS), st.lists(st.integers(0, 0xFFFF), max_size=8)),
        st.builds(EcPointFormats, st.lists(st.integers(0, 255), max_size=4)),
        st.binary(max_size=8).map(lambda v: RawExtension(RENEGOTIATION_INFO, _vector(v, 1))),
        known_raw,
        unknown,
    )
    return st.lists(extension, max_size=max_size)


def client_hellos(*, with_cookie: Optional[bool] = None) -> st.SearchStrategy[ClientHello]:
    """ClientHellos (RFC 6347 §4.2.1); `with_cookie` True/False forces a cookie or none, None mixes."""
    if with_cookie is not None and not isinstance(with_cookie, bool):
        raise ValueError("with_cookie must be None, True or False")
    cookie_sizes = {None: (0, MAX_COOKIE_LENGTH), True: (1, MAX_COOKIE_LENGTH), False: (0, 0)}[with_cookie]
    cipher_suites = st.lists(_registry_or_any((0xC02B, 0xCCA9, 0xC009, 0xC00A, 0x00FF), 16), min_size=1, max_size=8)
    return st.builds(
        ClientHello,
        _registry_or_any(VERSIONS, 16),
        st.binary(min_size=RANDOM_LENGTH, max_size=RANDOM_LENGTH),
        st.binary(max_size=MAX_SESSION_ID_LENGTH),
        st.binary(min_size=cookie_sizes[0], max_size=cookie_sizes[1]),
        cipher_suites,
        st.lists(st.integers(0, 255), min_size=1, max_size=3),
        st.one_of(st.none(), extension_lists()),
    )


def hello_verify_requests() -> st.SearchStrategy[HelloVerifyRequest]:
    return st.builds(HelloVerifyRequest, _registry_or_any(VERSIONS, 16), st.binary(max_size=MAX_COOKIE_LENGTH))


def dtls_records(*, epoch: Optional[int] = None) -> st.SearchStrategy[Record]:
    """Records of any content type, bodies raw; `epoch` pins the epoch (0 is the unencrypted handshake)."""
    if epoch is not None and not 0 <= epoch <= 0xFFFF:
        raise ValueError("epoch must be a uint16")
    return st.builds(
        Record,
        _registry_or_any(CONTENT_TYPES, 8),
        _registry_or_any(VERSIONS, 16),
        st.just(epoch) if epoch is not None else st.integers(0, 0xFFFF),
        st.one_of(st.sampled_from((0, 1, MAX_SEQUENCE_NUMBER)), st.integers(0, MAX_SEQUENCE_NUMBER)),
        st.binary(max_size=64),
    )


def client_hello_flights(*, max_fragments: int = 3) -> st.SearchStrategy[Datagram]:
    """A first client flight: one ClientHello in one datagram, whole or fragmented over records."""
    if max_fragments < 1:
        raise ValueError("max_fragments must be at least 1")

    def flight(hello: ClientHello, sizes: list[int], record_version: int) -> Datagram:
        fragments = fragment_message(Handshake.whole(CLIENT_HELLO, 0, bytes(hello)), sizes)
        return Datagram(
            [handshake_record(f, sequence_number=n, version=record_version) for n, f in enumerate(fragments)]
        )

    sizes = st.lists(st.integers(1, 200), max_size=max_fragments - 1)
    return st.builds(flight, client_hellos(), sizes, st.sampled_from(VERSIONS))


def datagrams(*, max_records: int = 4) -> st.SearchStrategy[Datagram]:
    """Datagrams of client flights, random records, or both back to back."""
    if max_records < 1:
        raise ValueError("max_records must be at least 1")
    records = st.lists(dtls_records(), min_size=1, max_size=max_records).map(Datagram)
    mixed = st.builds(lambda flight, extra: Datagram(flight.records + extra.records), client_hello_flights(), records)
    return st.one_of(client_hello_flights(), records, mixed)


# --- mutations: one lie per call, over a valid datagram ----------------------------------------


def _with_record(datagram: Datagram, index: int, record: Record) -> Datagram:
    return Datagram(datagram.records[:index] + [record] + datagram.records[index + 1 :])


def _record_offset(datagram: Datagram, index: int) -> int:
    return sum(RECORD_HEADER_LENGTH + len(r.fragment) for r in datagram.records[:index])


def _mutate_record_header(record: Record, rng: random.Random) -> Record:
    choice = rng.randrange(4)
    if choice == 0:
        return replace(record, epoch=mutate_int(record.epoch, 16, rng))
    if choice == 1:
        return replace(record, sequence_number=mutate_int(record.sequence_number, 48, rng))
    if choice == 2:
        return replace(record, version=rng.choice((*VERSIONS, 0x0303, mutate_int(record.version, 16, rng))))
    return replace(record, content_type=rng.choice((*CONTENT_TYPES, mutate_int(record.content_type, 8, rng))))


def _mutate_handshake(message: Handshake, rng: random.Random) -> list[Handshake]:
    """One handshake message with its framing lying, its sequence skipping, or cut into odd fragments."""
    choice = rng.randrange(6)
    if choice == 0:  # message_seq gaps and wraps
        message.message_seq = mutate_int(message.message_seq, 16, rng)
    elif choice == 1:  # fragment out of range of the message
        message.fragment_offset = mutate_int(message.fragment_offset, 24, rng)
    elif choice == 2:  # total length that disagrees with the fragments
        message.length = mutate_int(message.length, 24, rng)
    elif choice == 3:
        message.msg_type = rng.choice((*HANDSHAKE_TYPES, mutate_int(message.msg_type, 8, rng)))
    elif choice == 4 and len(message.body) > 1:  # fragments overlapping, duplicated or dropped
        cut = rng.randrange(1, len(message.body))
        fragments = fragment_message(message, [cut])
        overlap = Handshake(message.msg_type, message.length, message.message_seq, cut // 2, message.body[cut // 2 :])
        return mutate_items([*fragments, overlap], rng)
    else:
        message.body = mutate_bytes(message.body, rng)
    return [message]


def _mutate_client_hello(hello: ClientHello, rng: random.Random) -> None:
    choice = rng.randrange(7)
    if choice == 0:
        hello.cookie = mutate_bytes(hello.cookie, rng, max_len=MAX_COOKIE_LENGTH)
    elif choice == 1:
        hello.session_id = mutate_bytes(hello.session_id, rng, max_len=MAX_SESSION_ID_LENGTH)
    elif choice == 2:
        hello.cipher_suites = mutate_items(hello.cipher_suites, rng, new_item=lambda: rng.randrange(0x10000))
    elif choice == 3:
        hello.client_version = rng.choice((*VERSIONS, mutate_int(hello.client_version, 16, rng)))
    elif choice == 4:
        new = lambda: RawExtension(rng.randrange(0x10000), rng.randbytes(rng.randrange(8)))  # noqa: E731
        hello.extensions = mutate_items(hello.extensions or [], rng, new_item=new)
    elif choice == 5:
        hello.extensions = (hello.extensions or []) + [UseSrtp([SRTP_AES128_CM_HMAC_SHA1_80])]
        _mutate_srtp(next(e for e in hello.extensions if isinstance(e, UseSrtp)), rng)
    elif hello.extensions:  # one extension's data lies about its own inner lengths
        position = rng.randrange(len(hello.extensions))
        extension = hello.extensions[position]
        hello.extensions[position] = RawExtension(extension.extension_type, mutate_bytes(extension.data, rng))


def _mutate_srtp(extension: UseSrtp, rng: random.Random) -> None:
    """Profile lists empty, unknown, duplicated or huge; MKI at its bounds (RFC 5764 §4.1.1)."""
    choice = rng.randrange(4)
    if choice == 0:
        extension.profiles = []
    elif choice == 1:
        extension.profiles = mutate_items(extension.profiles, rng, new_item=lambda: rng.randrange(0x10000))
    elif choice == 2:
        extension.profiles = [rng.randrange(0x10000) for _ in range(rng.choice((1, 2, 300)))]
    else:
        extension.mki = rng.choice((b"", b"\x00", rng.randbytes(MAX_MKI_LENGTH)))


def _mutate_handshake_record(datagram: Datagram, index: int, rng: random.Random) -> Optional[Datagram]:
    record = datagram.records[index]
    try:
        messages = parse_handshakes(record.fragment)
    except ValueError:
        return None
    position = rng.randrange(len(messages))
    message = messages[position]
    if message.msg_type == CLIENT_HELLO and message.is_whole and rng.randrange(3):
        try:
            hello = ClientHello.parse(message.body)
        except ValueError:
            return None
        _mutate_client_hello(hello, rng)
        replacement = [Handshake.whole(CLIENT_HELLO, message.message_seq, bytes(hello))]
    else:
        replacement = _mutate_handshake(message, rng)
    messages[position : position + 1] = replacement
    if len(replacement) > 1 and rng.randrange(2):  # fragments in records of their own
        records = [replace(record, fragment=bytes(m)) for m in messages]
        return Datagram(datagram.records[:index] + records + datagram.records[index + 1 :])
    fragment = b"".join(bytes(m) for m in messages)
    return _with_record(datagram, index, replace(record, fragment=fragment))


def mutate(datagram: Datagram, rng: random.Random) -> bytes:
    """The datagram with one field-level mutation: record framing, handshake framing, hello contents."""
    index = rng.randrange(len(datagram.records))
    record = datagram.records[index]
    choice = rng.randrange(6)
    if choice == 0:
        return bytes(_with_record(datagram, index, _mutate_record_header(record, rng)))
    if choice == 1:  # the record length lies
        return lie_about_length(bytes(datagram), _record_offset(datagram, index) + RECORD_LENGTH_OFFSET, 2, rng)
    if choice == 2:  # records duplicated, dropped or reordered within the flight
        return bytes(Datagram(mutate_items(datagram.records, rng)))
    if choice == 3:
        return truncate(bytes(datagram), rng)
    if choice == 4 and record.content_type == HANDSHAKE:
        mutated = _mutate_handshake_record(datagram, index, rng)
        if mutated is not None:
            return bytes(mutated)
    fragment = mutate_bytes(record.fragment, rng, max_len=MAX_FRAGMENT_LENGTH)
    return bytes(_with_record(datagram, index, replace(record, fragment=fragment)))


def splice(first: Datagram, second: Datagram, rng: random.Random) -> bytes:
    """The head of one flight's records followed by the tail of another's."""
    head = first.records[: rng.randint(1, len(first.records))]
    tail = second.records[rng.randrange(len(second.records)) :]
    return bytes(Datagram(head + tail))


CODEC = Codec(parse=Datagram.parse, mutate=mutate, splice=splice)
