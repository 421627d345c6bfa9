"""STUN messages (RFC 8489) with the ICE attributes (RFC 8445 §16.1): codec and signing.

Strategies, mutations and CODEC: harness.protocols.stun_fuzzing.

RFC 8489 §5 (header: message type with method and class bits, length, magic cookie, transaction
ID), §14 (attributes: type-length-value padded to 4 bytes; 0x0000-0x7FFF comprehension-required,
0x8000-0xFFFF comprehension-optional), §14.2 (XOR-MAPPED-ADDRESS), §14.3 (USERNAME), §14.5
(MESSAGE-INTEGRITY, HMAC-SHA1), §14.6 (MESSAGE-INTEGRITY-SHA256), §14.7 (FINGERPRINT, CRC-32 XOR
0x5354554E), §14.8 (ERROR-CODE), §14.13 (UNKNOWN-ATTRIBUTES); RFC 8445 §16.1 (PRIORITY,
USE-CANDIDATE, ICE-CONTROLLED, ICE-CONTROLLING). Every attribute stays raw in the message, in
wire order with its padding, so unknown ones survive a round trip; typed views decode the known ones.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import ipaddress
import struct
from dataclasses import dataclass, field
from typing import Optional

from harness.protocols.mutations import uint

HEADER_LENGTH = 20  # RFC 8489 §5
ATTRIBUTE_HEADER_LENGTH = 4  # RFC 8489 §14
MAGIC_COOKIE = 0x2112A442  # RFC 8489 §5
TRANSACTION_ID_LENGTH = 12  # RFC 8489 §5: 96 bits
MAX_BODY_LENGTH = 0xFFFF  # RFC 8489 §5: a 16-bit length field
MAX_METHOD = 0xFFF  # RFC 8489 §5: 12 method bits
FINGERPRINT_XOR = 0x5354554E  # RFC 8489 §14.7
INTEGRITY_LENGTH = 20  # RFC 8489 §14.5: HMAC-SHA1
INTEGRITY_SHA256_LENGTHS = (16, 20, 24, 28, 32)  # RFC 8489 §14.6: truncated to >= 16, a multiple of 4
MAX_USERNAME_LENGTH = 508  # RFC 8489 §14.3: fewer than 509 bytes on sending
MAX_REASON_LENGTH = 763  # RFC 8489 §14.8: less than 128 characters, at most 763 bytes
COMPREHENSION_OPTIONAL = 0x8000  # RFC 8489 §14: the top half of the type space

# Classes (RFC 8489 §5): C1 is type bit 8, C0 is type bit 4.
REQUEST, INDICATION, SUCCESS_RESPONSE, ERROR_RESPONSE = 0, 1, 2, 3
BINDING = 0x001  # RFC 8489 §18.2
# Methods of the IANA registry: Binding, Shared Secret (reserved), TURN (RFC 8656 §17).
METHODS = (0x001, 0x002, 0x003, 0x004, 0x006, 0x007, 0x008, 0x009)

MAPPED_ADDRESS = 0x0001  # RFC 8489 §14.1
USERNAME = 0x0006  # RFC 8489 §14.3
MESSAGE_INTEGRITY = 0x0008  # RFC 8489 §14.5
ERROR_CODE = 0x0009  # RFC 8489 §14.8
UNKNOWN_ATTRIBUTES = 0x000A  # RFC 8489 §14.13
REALM = 0x0014  # RFC 8489 §14.9
NONCE = 0x0015  # RFC 8489 §14.10
MESSAGE_INTEGRITY_SHA256 = 0x001C  # RFC 8489 §14.6
PASSWORD_ALGORITHM = 0x001D  # RFC 8489 §14.12
USERHASH = 0x001E  # RFC 8489 §14.4
XOR_MAPPED_ADDRESS = 0x0020  # RFC 8489 §14.2
PRIORITY = 0x0024  # RFC 8445 §16.1
USE_CANDIDATE = 0x0025  # RFC 8445 §16.1
PASSWORD_ALGORITHMS = 0x8002  # RFC 8489 §14.11
ALTERNATE_DOMAIN = 0x8003  # RFC 8489 §14.16
SOFTWARE = 0x8022  # RFC 8489 §14.14
ALTERNATE_SERVER = 0x8023  # RFC 8489 §14.15
FINGERPRINT = 0x8028  # RFC 8489 §14.7
ICE_CONTROLLED = 0x8029  # RFC 8445 §16.1
ICE_CONTROLLING = 0x802A  # RFC 8445 §16.1
ATTRIBUTE_TYPES = (
    MAPPED_ADDRESS, USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, UNKNOWN_ATTRIBUTES, REALM, NONCE,
    MESSAGE_INTEGRITY_SHA256, PASSWORD_ALGORITHM, USERHASH, XOR_MAPPED_ADDRESS, PRIORITY, USE_CANDIDATE,
    PASSWORD_ALGORITHMS, ALTERNATE_DOMAIN, SOFTWARE, ALTERNATE_SERVER, FINGERPRINT, ICE_CONTROLLED, ICE_CONTROLLING,
)  # fmt: skip
# Error codes of RFC 8489 §14.8 and RFC 8445 §16.2 (487 Role Conflict).
ERROR_CODES = (300, 400, 401, 403, 420, 437, 438, 440, 441, 442, 443, 486, 487, 500, 508)
IPV4, IPV6 = 0x01, 0x02  # RFC 8489 §14.1 address families
ADDRESS_LENGTHS = {IPV4: 4, IPV6: 16}


def padding_length(length: int) -> int:
    """Bytes that pad a value of `length` to a 4-byte boundary (RFC 8489 §14)."""
    return -length % 4


def message_type(method: int, message_class: int) -> int:
    """The 14-bit type: method bits M11-M7, C1, M6-M4, C0, M3-M0 (RFC 8489 §5, figure 3)."""
    return (
        (method & 0xF80) << 2 | (method & 0x070) << 1 | (method & 0x00F)
        | (message_class & 2) << 7 | (message_class & 1) << 4
    )  # fmt: skip


def split_message_type(value: int) -> tuple[int, int]:
    """(method, class) of a 14-bit message type (RFC 8489 §5)."""
    method = (value >> 2) & 0xF80 | (value >> 1) & 0x070 | value & 0x00F
    return method, (value >> 7) & 2 | (value >> 4) & 1


@dataclass(frozen=True)
class Attribute:
    """One TLV as on the wire; `padding` keeps the sender's padding bytes (any value, RFC 8489 §14)."""

    type: int
    value: bytes
    padding: Optional[bytes] = None  # None: zero bytes

    def __post_init__(self) -> None:
        if not 0 <= self.type <= 0xFFFF:
            raise ValueError("STUN attribute type is invalid")
        if len(self.value) > MAX_BODY_LENGTH:
            raise ValueError("STUN attribute length is invalid")
        if self.padding is None:
            object.__setattr__(self, "padding", bytes(padding_length(len(self.value))))
        elif len(self.padding) != padding_length(len(self.value)):
            raise ValueError("STUN attribute padding is invalid")

    def __bytes__(self) -> bytes:
        assert self.padding is not None  # set by __post_init__
        return struct.pack("!HH", self.type, len(self.value)) + self.value + self.padding


@dataclass(frozen=True)
class Message:
    """A STUN message: header fields and its attributes in wire order (RFC 8489 §5, §14)."""

    method: int
    message_class: int
    transaction_id: bytes
    attributes: tuple[Attribute, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.method <= MAX_METHOD:
            raise ValueError("STUN method is invalid")
        if self.message_class not in (REQUEST, INDICATION, SUCCESS_RESPONSE, ERROR_RESPONSE):
            raise ValueError("STUN class is invalid")
        if len(self.transaction_id) != TRANSACTION_ID_LENGTH:
            raise ValueError("STUN transaction ID is invalid")

    def __bytes__(self) -> bytes:
        body = b"".join(bytes(attribute) for attribute in self.attributes)
        if len(body) > MAX_BODY_LENGTH:
            raise ValueError("STUN length is invalid")
        kind = message_type(self.method, self.message_class)
        return struct.pack("!HHI", kind, len(body), MAGIC_COOKIE) + self.transaction_id + body

    def attribute(self, attribute_type: int) -> Optional[Attribute]:
        """The first attribute of a type: a receiver ignores later duplicates (RFC 8489 §14)."""
        return next((a for a in self.attributes if a.type == attribute_type), None)

    @classmethod
    def parse(cls, data: bytes) -> Message:
        if len(data) < HEADER_LENGTH:
            raise ValueError("STUN header is invalid")
        kind, length, cookie = struct.unpack_from("!HHI", data)
        if kind & 0xC000:  # RFC 8489 §5: the top two bits are zero
            raise ValueError("STUN message type is invalid")
        if cookie != MAGIC_COOKIE:
            raise ValueError("STUN magic cookie is invalid")
        if length % 4 or len(data) != HEADER_LENGTH + length:
            raise ValueError("STUN length is invalid")
        attributes = []
        position = HEADER_LENGTH
        while position < len(data):
            attribute_type, attribute_length = struct.unpack_from("!HH", data, position)
            start = position + ATTRIBUTE_HEADER_LENGTH
            end = start + attribute_length
            if end + padding_length(attribute_length) > len(data):
                raise ValueError("STUN attribute length is invalid")
            padding = data[end : end + padding_length(attribute_length)]
            attributes.append(Attribute(attribute_type, data[start:end], padding))
            position = end + len(padding)
        method, message_class = split_message_type(kind)
        return cls(method, message_class, data[8:HEADER_LENGTH], tuple(attributes))


# Typed views of attribute values.


def _xor_pad(transaction_id: bytes) -> bytes:
    return struct.pack("!I", MAGIC_COOKIE) + transaction_id


def _xor(address: bytes, pad: bytes) -> bytes:
    """Address bytes XOR the pad; bytes past the pad (a mutated address only) stay as they are."""
    return bytes(a ^ b for a, b in zip(address, pad)) + address[len(pad) :]


@dataclass(frozen=True)
class XorMappedAddress:
    """RFC 8489 §14.2: port XOR the cookie's top 16 bits, address XOR cookie (IPv4) or cookie || ID (IPv6)."""

    family: int = uint(8)
    port: int = uint(16)
    address: bytes = field(default=b"", metadata={"max_len": 32})  # 4 or 16 bytes, in the clear

    @property
    def ip(self) -> str:
        return str(ipaddress.ip_address(self.address))

    def to_attribute(self, transaction_id: bytes) -> Attribute:
        pad = _xor_pad(transaction_id)
        x_address = _xor(self.address, pad)
        header = struct.pack("!BBH", 0, self.family, self.port ^ MAGIC_COOKIE >> 16)
        return Attribute(XOR_MAPPED_ADDRESS, header + x_address)

    @classmethod
    def from_attribute(cls, attribute: Attribute, transaction_id: bytes) -> XorMappedAddress:
        value = attribute.value
        if len(value) < 4 or len(value) != 4 + ADDRESS_LENGTHS.get(value[1], -1):
            raise ValueError("STUN XOR-MAPPED-ADDRESS is invalid")
        x_port = struct.unpack_from("!H", value, 2)[0]
        address = _xor(value[4:], _xor_pad(transaction_id))
        return cls(value[1], x_port ^ MAGIC_COOKIE >> 16, address)


@dataclass(frozen=True)
class ErrorCode:
    """RFC 8489 §14.8: 21 reserved bits, the class (hundreds, 3-6) in 3 bits, the number (0-99), a reason."""

    code: int
    reason: str

    def to_attribute(self) -> Attribute:
        header = struct.pack("!HBB", 0, self.code // 100 & 0x07, self.code % 100)
        return Attribute(ERROR_CODE, header + self.reason.encode())

    @classmethod
    def from_attribute(cls, attribute: Attribute) -> ErrorCode:
        value = attribute.value
        if len(value) < 4 or not 3 <= value[2] & 0x07 <= 6 or value[3] > 99 or len(value) - 4 > MAX_REASON_LENGTH:
            raise ValueError("STUN ERROR-CODE is invalid")
        try:
            reason = value[4:].decode()
        except UnicodeDecodeError:
            raise ValueError("STUN ERROR-CODE is invalid") from None
        return cls((value[2] & 0x07) * 100 + value[3], reason)


def unknown_attributes(types: tuple[int, ...]) -> Attribute:
    """RFC 8489 §14.13: a list of 16-bit attribute types."""
    return Attribute(UNKNOWN_ATTRIBUTES, b"".join(struct.pack("!H", t) for t in types))


def parse_unknown_attributes(attribute: Attribute) -> tuple[int, ...]:
    if len(attribute.value) % 2:
        raise ValueError("STUN UNKNOWN-ATTRIBUTES is invalid")
    return tuple(t for (t,) in struct.iter_unpack("!H", attribute.value))


def unsigned(attribute_type: int, value: int, width: int) -> Attribute:
    """PRIORITY (4 bytes), ICE-CONTROLLED/-CONTROLLING (8 bytes), FINGERPRINT (4 bytes)."""
    return Attribute(attribute_type, value.to_bytes(width, "big"))


def parse_unsigned(attribute: Attribute, width: int) -> int:
    if len(attribute.value) != width:
        raise ValueError("STUN attribute length is invalid")
    return int.from_bytes(attribute.value, "big")


# Signing: MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT recomputed in place.


def _with_length(prefix: bytes, attribute_length: int) -> bytes:
    """The prefix before an attribute, its header length set as if that attribute ended the message."""
    body_length = len(prefix) - HEADER_LENGTH + ATTRIBUTE_HEADER_LENGTH + attribute_length
    return prefix[:2] + struct.pack("!H", body_length & 0xFFFF) + prefix[4:]


def fingerprint(prefix: bytes) -> bytes:
    """RFC 8489 §14.7: CRC-32 of the message up to FINGERPRINT, XOR 0x5354554E."""
    return struct.pack("!I", binascii.crc32(_with_length(prefix, 4)) ^ FINGERPRINT_XOR)


def message_integrity(prefix: bytes, key: bytes) -> bytes:
    """RFC 8489 §14.5: HMAC-SHA1 of the message up to MESSAGE-INTEGRITY, length counting it."""
    return hmac.new(key, _with_length(prefix, INTEGRITY_LENGTH), hashlib.sha1).digest()


def message_integrity_sha256(prefix: bytes, key: bytes, length: int) -> bytes:
    """RFC 8489 §14.6: HMAC-SHA256, truncated to `length` bytes."""
    return hmac.new(key, _with_length(prefix, length), hashlib.sha256).digest()[:length]


def sign(data: bytes, *, key: bytes) -> bytes:
    """`data` with its header length and every MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT made valid.

    Total over arbitrary bytes: the header length is set to the bytes that follow the header
    (RFC 8489 §5), then the attributes are walked in order and each integrity attribute whose
    value has its defined length is recomputed over what precedes it (§14.5, §14.6, §14.7), so a
    later one covers the earlier ones' new values. Attributes after the first MESSAGE-INTEGRITY
    are signed too: a receiver ignores them but must still find FINGERPRINT valid. A datagram too
    short for a header, or too long for the length field, comes back unchanged.
    """
    if not HEADER_LENGTH <= len(data) <= HEADER_LENGTH + MAX_BODY_LENGTH:
        return data
    signed = bytearray(data[:2] + struct.pack("!H", len(data) - HEADER_LENGTH) + data[4:])
    position = HEADER_LENGTH
    while position + ATTRIBUTE_HEADER_LENGTH <= len(signed):
        attribute_type, length = struct.unpack_from("!HH", signed, position)
        start = position + ATTRIBUTE_HEADER_LENGTH
        if start + length > len(signed):
            break
        prefix = bytes(signed[:position])
        if attribute_type == MESSAGE_INTEGRITY and length == INTEGRITY_LENGTH:
            signed[start : start + length] = message_integrity(prefix, key)
        elif attribute_type == MESSAGE_INTEGRITY_SHA256 and length in INTEGRITY_SHA256_LENGTHS:
            signed[start : start + length] = message_integrity_sha256(prefix, key, length)
        elif attribute_type == FINGERPRINT and length == 4:
            signed[start : start + length] = fingerprint(prefix)
        position = start + length + padding_length(length)
    return bytes(signed)
