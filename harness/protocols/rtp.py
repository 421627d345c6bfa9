"""RTP packets: codec, hypothesis strategies and field-level mutations.

RFC 3550 §5.1 (fixed header: version, padding with its count octet, extension bit, CSRC count,
marker, payload type, sequence number, timestamp, SSRC; CSRC list), RFC 3550 §5.3.1 (header
extension: 16 profile bits and a length in 32-bit words), RFC 8285 §4.2 (one-byte elements under
profile 0xBEDE, ID 15 ends processing) and §4.3 (two-byte elements under 0x100 plus 4 application
bits); zero bytes between elements are padding in both forms. Other profiles stay raw.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from struct import pack, unpack_from
from typing import Optional, Sequence, Union

from hypothesis import strategies as st

from harness.protocols.mutations import (
    Codec,
    check_argument,
    lie_about_length,
    mixed,
    mutate_field,
    mutate_int,
    splice_fields,
    truncate,
    uint,
)

RTP_VERSION = 2  # RFC 3550 §5.1
FIXED_HEADER_LENGTH = 12  # RFC 3550 §5.1
MAX_CSRC_COUNT = 15  # RFC 3550 §5.1: CC is 4 bits
EXTENSION_HEADER_LENGTH = 4  # RFC 3550 §5.3.1: profile, length
WORD = 4  # RFC 3550 §5.3.1: the extension length counts 32-bit words
ONE_BYTE_PROFILE = 0xBEDE  # RFC 8285 §4.2
TWO_BYTE_PROFILE = 0x1000  # RFC 8285 §4.3: 0x100 then 4 application bits
TWO_BYTE_PROFILE_MASK = 0xFFF0
ONE_BYTE_STOP_ID = 15  # RFC 8285 §4.2: reserved; processing of the extension stops there
ONE_BYTE_MAX_ID = 14  # RFC 8285 §4.2: IDs 1-14
ONE_BYTE_MAX_LENGTH = 16  # RFC 8285 §4.2: the 4-bit length field holds the length minus one
TWO_BYTE_MAX_LENGTH = 255  # RFC 8285 §4.3: an 8-bit length, zero allowed
# RFC 3551 §6 static payload types (PCMU, GSM, G723, PCMA, G722, CN, G729, H261, H263), 72-76 that
# RFC 5761 §4 keeps from RTCP's packet types, and the dynamic range 96-127.
REGISTERED_PAYLOAD_TYPES = (0, 3, 4, 8, 9, 13, 18, 31, 34, 72, 76, 96, 97, 100, 111, 127)
# Sizes of widely used extension values: audio level (RFC 6464) 1, transport-wide sequence 2,
# abs-send-time and toffset (RFC 5450) 3.
REGISTERED_VALUE_SIZES = (1, 2, 3)


@dataclass(frozen=True)
class ExtensionElement:
    id: int = uint(8)
    value: bytes = field(default=b"", metadata={"max_len": 300})


@dataclass(frozen=True)
class ExtensionPadding:
    length: int = uint(4)  # zero bytes (RFC 8285 §4.2, §4.3)


ExtensionItem = Union[ExtensionElement, ExtensionPadding]


def _parse_items(body: bytes, one_byte: bool) -> tuple[tuple[ExtensionItem, ...], bytes]:
    """Elements and padding runs, and the raw rest after a one-byte ID 15."""
    items: list[ExtensionItem] = []
    pos = 0
    while pos < len(body):
        if body[pos] == 0:
            end = pos
            while end < len(body) and body[end] == 0:
                end += 1
            items.append(ExtensionPadding(end - pos))
            pos = end
            continue
        if one_byte:
            if body[pos] >> 4 == ONE_BYTE_STOP_ID:
                return tuple(items), body[pos:]
            element_id, length, start = body[pos] >> 4, (body[pos] & 0x0F) + 1, pos + 1
        else:
            if pos + 2 > len(body):
                raise ValueError("rtp extension element is invalid")
            element_id, length, start = body[pos], body[pos + 1], pos + 2
        if start + length > len(body):
            raise ValueError("rtp extension element is invalid")
        items.append(ExtensionElement(element_id, body[start : start + length]))
        pos = start + length
    return tuple(items), b""


def _encode_items(items: Sequence[ExtensionItem], one_byte: bool) -> bytes:
    out = b""
    for item in items:
        if isinstance(item, ExtensionPadding):
            out += bytes(item.length)
        elif one_byte:  # lengths outside 1-16 wrap in the nibble: a length that lies
            out += bytes([(item.id & 0x0F) << 4 | ((len(item.value) - 1) & 0x0F)]) + item.value
        else:
            out += bytes([item.id & 0xFF, len(item.value) & 0xFF]) + item.value
    return out


def _extension(profile: int, body: bytes) -> bytes:
    body += bytes(-len(body) % WORD)  # the length counts whole words
    return pack("!HH", profile, (len(body) // WORD) & 0xFFFF) + body


@dataclass(frozen=True)
class OneByteExtension:
    items: tuple[ExtensionItem, ...] = ()
    rest: bytes = b""  # from an element with ID 15 on, unprocessed (RFC 8285 §4.2)

    def __bytes__(self) -> bytes:
        return _extension(ONE_BYTE_PROFILE, _encode_items(self.items, True) + self.rest)


@dataclass(frozen=True)
class TwoByteExtension:
    items: tuple[ExtensionItem, ...] = ()
    appbits: int = uint(4, 0)

    def __bytes__(self) -> bytes:
        return _extension(TWO_BYTE_PROFILE | (self.appbits & 0x0F), _encode_items(self.items, False))


@dataclass(frozen=True)
class RawExtension:
    profile: int = uint(16)
    data: bytes = b""

    def __bytes__(self) -> bytes:
        return _extension(self.profile, self.data)


HeaderExtension = Union[OneByteExtension, TwoByteExtension, RawExtension]


def parse_extension(profile: int, body: bytes) -> HeaderExtension:
    if profile == ONE_BYTE_PROFILE:
        items, rest = _parse_items(body, True)
        return OneByteExtension(items, rest)
    if profile & TWO_BYTE_PROFILE_MASK == TWO_BYTE_PROFILE:
        return TwoByteExtension(_parse_items(body, False)[0], profile & 0x0F)
    return RawExtension(profile, body)


@dataclass(frozen=True)
class RtpPacket:
    payload_type: int = uint(7, 0)
    sequence_number: int = uint(16, 0)
    timestamp: int = uint(32, 0)
    ssrc: int = uint(32, 0)
    marker: bool = False
    csrc: tuple[int, ...] = uint(32, ())
    extension: Optional[HeaderExtension] = None
    payload: bytes = b""
    padding: bytes = b""  # RFC 3550 §5.1: its last octet counts the padding octets, itself included
    version: int = uint(2, RTP_VERSION)

    def __bytes__(self) -> bytes:
        first = (self.version & 3) << 6 | bool(self.padding) << 5 | (self.extension is not None) << 4
        first |= len(self.csrc) & 0x0F  # more than 15 CSRCs overflow the count
        header = pack(
            "!BBHLL", first, self.marker << 7 | self.payload_type, self.sequence_number, self.timestamp, self.ssrc
        )
        header += b"".join(pack("!L", csrc) for csrc in self.csrc)
        extension = bytes(self.extension) if self.extension is not None else b""
        return header + extension + self.payload + self.padding

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < FIXED_HEADER_LENGTH:
            raise ValueError("rtp header is invalid")
        first, second, sequence_number, timestamp, ssrc = unpack_from("!BBHLL", data)
        if first >> 6 != RTP_VERSION:
            raise ValueError("rtp version is invalid")
        pos = FIXED_HEADER_LENGTH + 4 * (first & 0x0F)
        if len(data) < pos:
            raise ValueError("rtp csrc is invalid")
        csrc = unpack_from(f"!{first & 0x0F}L", data, FIXED_HEADER_LENGTH)
        extension = None
        if first & 0x10:
            if len(data) < pos + EXTENSION_HEADER_LENGTH:
                raise ValueError("rtp extension is invalid")
            profile, words = unpack_from("!HH", data, pos)
            end = pos + EXTENSION_HEADER_LENGTH + WORD * words
            if len(data) < end:
                raise ValueError("rtp extension is invalid")
            extension = parse_extension(profile, data[pos + EXTENSION_HEADER_LENGTH : end])
            pos = end
        padding = b""
        if first & 0x20:
            count = data[-1]
            if count == 0 or count > len(data) - pos:
                raise ValueError("rtp padding is invalid")
            padding = data[-count:]
        return cls(
            payload_type=second & 0x7F,
            sequence_number=sequence_number,
            timestamp=timestamp,
            ssrc=ssrc,
            marker=bool(second >> 7),
            csrc=tuple(csrc),
            extension=extension,
            payload=data[pos : len(data) - len(padding)],
            padding=padding,
        )


def _aligned(items: list[ExtensionItem], one_byte: bool, *, align: bool = True) -> tuple[ExtensionItem, ...]:
    """Items as they decode again: adjacent padding merged and, with `align`, padded to a whole word."""
    if align:
        gap = -len(_encode_items(items, one_byte)) % WORD
        items = [*items, ExtensionPadding(gap)] if gap else items
    merged: list[ExtensionItem] = []
    for item in items:
        last = merged[-1] if merged else None
        if isinstance(item, ExtensionPadding) and isinstance(last, ExtensionPadding):
            merged[-1] = ExtensionPadding(last.length + item.length)
        else:
            merged.append(item)
    return tuple(merged)


def _element_values(*, max_size: int, min_size: int) -> st.SearchStrategy[bytes]:
    sizes = st.one_of(st.sampled_from(REGISTERED_VALUE_SIZES), st.integers(min_size, max_size))
    return sizes.flatmap(lambda size: st.binary(min_size=size, max_size=size))


def header_extensions(*, ids: Sequence[int] = ()) -> st.SearchStrategy[HeaderExtension]:
    """One-byte, two-byte and raw header extensions; element IDs mix `ids` with any valid ID."""
    check_argument(all(1 <= i <= 255 for i in ids), "ids must lie in 1-255")
    short_ids = [i for i in ids if i <= ONE_BYTE_MAX_ID]
    pads = st.builds(ExtensionPadding, st.integers(1, 3))
    one_byte_elements = st.builds(
        ExtensionElement, mixed(short_ids, st.integers(1, ONE_BYTE_MAX_ID)), _element_values(min_size=1, max_size=16)
    )
    two_byte_elements = st.builds(
        ExtensionElement, mixed(ids, st.integers(1, 255)), _element_values(min_size=0, max_size=40)
    )
    stop = st.binary(max_size=7).map(lambda tail: bytes([ONE_BYTE_STOP_ID << 4]) + tail)

    def one_byte(items: list[ExtensionItem], rest: bytes) -> OneByteExtension:
        aligned = _aligned(items, True, align=not rest)
        return OneByteExtension(aligned, rest + bytes(-len(_encode_items(aligned, True) + rest) % WORD))

    return st.one_of(
        st.builds(one_byte, st.lists(st.one_of(one_byte_elements, pads), max_size=5), st.one_of(st.just(b""), stop)),
        st.builds(
            lambda items, appbits: TwoByteExtension(_aligned(items, False), appbits),
            st.lists(st.one_of(two_byte_elements, pads), max_size=4),
            st.one_of(st.just(0), st.integers(0, 15)),
        ),
        st.builds(
            RawExtension,
            st.integers(0, 0xFFFF).filter(
                lambda p: p != ONE_BYTE_PROFILE and p & TWO_BYTE_PROFILE_MASK != TWO_BYTE_PROFILE
            ),
            st.integers(0, 8).flatmap(lambda words: st.binary(min_size=WORD * words, max_size=WORD * words)),
        ),
    )


def paddings(*, max_size: int = 32) -> st.SearchStrategy[bytes]:
    """No padding, or padding octets whose last octet counts them all (RFC 3550 §5.1)."""
    check_argument(1 <= max_size <= 255, "max_size must lie in 1-255")
    sized = st.integers(1, max_size).flatmap(
        lambda n: st.binary(min_size=n - 1, max_size=n - 1).map(lambda b: b + bytes([n]))
    )
    return st.one_of(st.just(b""), sized)


def rtp_packets(
    *,
    payload_types: Sequence[int] = REGISTERED_PAYLOAD_TYPES,
    extension_ids: Sequence[int] = (),
    max_payload_size: int = 200,
) -> st.SearchStrategy[RtpPacket]:
    """Valid RTP packets; payload types mix `payload_types` with any 7-bit value."""
    check_argument(all(0 <= pt <= 127 for pt in payload_types), "payload_types must lie in 0-127")
    check_argument(max_payload_size >= 0, "max_payload_size must not be negative")
    uint32 = st.integers(0, 0xFFFFFFFF)
    return st.builds(
        RtpPacket,
        payload_type=mixed(payload_types, st.integers(0, 127)),
        sequence_number=st.integers(0, 0xFFFF),
        timestamp=uint32,
        ssrc=uint32,
        marker=st.booleans(),
        csrc=st.lists(uint32, max_size=MAX_CSRC_COUNT).map(tuple),
        extension=st.one_of(st.none(), header_extensions(ids=extension_ids)),
        payload=st.binary(max_size=max_payload_size),
        padding=paddings(),
    )


def _set_bits(data: bytes, offset: int, mask: int, value: int) -> bytes:
    if offset >= len(data):
        return data
    return data[:offset] + bytes([data[offset] & ~mask & 0xFF | value & mask]) + data[offset + 1 :]


def mutate(packet: RtpPacket, rng: random.Random) -> bytes:
    """One field-level mutation of `packet`, encoded (the result may no longer decode)."""
    data = bytes(packet)
    extension_at = FIXED_HEADER_LENGTH + 4 * len(packet.csrc)
    choice = rng.randrange(9)
    if choice == 0:
        return _set_bits(data, 0, 0x0F, rng.randrange(16))  # a CSRC count that lies
    if choice == 1:
        return _set_bits(data, 0, 0x30, data[0] ^ rng.choice((0x10, 0x20)))  # an X or P bit that lies
    if choice == 2 and packet.extension is not None:
        return lie_about_length(data, extension_at + 2, 2, rng)
    if choice == 3 and packet.extension is not None:  # the elements under another profile
        profile = rng.choice((ONE_BYTE_PROFILE, TWO_BYTE_PROFILE | rng.randrange(16), rng.randrange(0x10000), 0))
        return data[:extension_at] + pack("!H", profile) + data[extension_at + 2 :]
    if choice == 4 and packet.padding:  # a padding count that lies
        return data[:-1] + bytes([mutate_int(data[-1], 8, rng)])
    if choice == 5:  # add or drop the extension
        element = ExtensionElement(rng.randint(0, 15), rng.randbytes(rng.randint(0, 17)))
        extension = None if packet.extension is not None else OneByteExtension(_aligned([element], True))
        return bytes(dataclasses.replace(packet, extension=extension))
    if choice == 6:
        return truncate(data, rng)
    return bytes(mutate_field(packet, rng))


def splice(first: RtpPacket, second: RtpPacket, rng: random.Random) -> bytes:
    return bytes(splice_fields(first, second, rng))


CODEC = Codec(parse=RtpPacket.parse, mutate=mutate, splice=splice)
