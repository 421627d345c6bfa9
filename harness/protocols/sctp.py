"""SCTP packets as WebRTC data channels carry them: a spec-derived codec and repair.

Strategies, mutations and CODEC: harness.protocols.sctp_fuzzing.

- RFC 9260 §3.1 common header (ports, verification tag, CRC32c checksum), §3.2 chunk format and
  4-byte chunk padding, §3.2.1 parameters (TLV, padded; the last one's padding is not counted),
  §3.3 the chunks DATA (flags E/B/U and RFC 7053's I), INIT, INIT ACK, SACK, HEARTBEAT,
  HEARTBEAT ACK, ABORT, SHUTDOWN, SHUTDOWN ACK, ERROR, COOKIE ECHO, COOKIE ACK, SHUTDOWN
  COMPLETE; §3.3.3.1 State Cookie; §8.5 the verification tag a receiver expects; Appendix A
  the CRC32c (harness.protocols.crc32c).
- RFC 3758 §3.1 Forward-TSN-Supported parameter, §3.2 FORWARD TSN chunk (stream/sequence pairs).
- RFC 5061 §4.2.7 Supported Extensions parameter.
- RFC 6525 §3.1 RE-CONFIG chunk, §4.1-4.6 its parameters (outgoing/incoming SSN reset
  requests, response, add outgoing/incoming streams).
- RFC 8832 §5 DCEP messages (DATA_CHANNEL_OPEN, DATA_CHANNEL_ACK), carried as DATA user data.

Chunk and parameter types the codec does not know decode to RawChunk / RawParameter. Integer
fields declare their width in their metadata, which the field-level mutations use.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from typing import Callable, ClassVar, Iterator, Optional, Union

from harness.protocols.crc32c import crc32c
from harness.protocols.mutations import (
    uint,
)

COMMON_HEADER_LENGTH = 12  # RFC 9260 §3.1
CHECKSUM_OFFSET = 8  # RFC 9260 §3.1
CHUNK_HEADER_LENGTH = 4  # RFC 9260 §3.2
PARAMETER_HEADER_LENGTH = 4  # RFC 9260 §3.2.1
DATA_FIXED_LENGTH = 12  # RFC 9260 §3.3.1: TSN, stream identifier, stream sequence number, PPID
INIT_FIXED_LENGTH = 16  # RFC 9260 §3.3.2: tag, a_rwnd, outbound and inbound streams, initial TSN
SACK_FIXED_LENGTH = 12  # RFC 9260 §3.3.4: cumulative TSN ack, a_rwnd, gap and duplicate counts

# Chunk types: RFC 9260 §3.2, RFC 6525 §3.1, RFC 3758 §3.2.
DATA, INIT, INIT_ACK, SACK, HEARTBEAT, HEARTBEAT_ACK, ABORT = 0, 1, 2, 3, 4, 5, 6
SHUTDOWN, SHUTDOWN_ACK, ERROR, COOKIE_ECHO, COOKIE_ACK, SHUTDOWN_COMPLETE = 7, 8, 9, 10, 11, 14
RECONFIG, FORWARD_TSN = 130, 192
# Types aiortc does not handle, for unknown chunks: AUTH (RFC 4895), I-DATA (RFC 8260), PAD (RFC 4820),
# ASCONF-ACK and ASCONF (RFC 5061). The two high bits say what a receiver does with an unknown type.
OTHER_CHUNK_TYPES = (15, 64, 128, 132, 193, 0x3F, 0x7F, 0xBF, 0xFF)
CHUNK_TYPES = (
    DATA,
    INIT,
    INIT_ACK,
    SACK,
    HEARTBEAT,
    HEARTBEAT_ACK,
    ABORT,
    SHUTDOWN,
    SHUTDOWN_ACK,
    ERROR,
    COOKIE_ECHO,
    COOKIE_ACK,
    SHUTDOWN_COMPLETE,
    RECONFIG,
    FORWARD_TSN,
)

# DATA chunk flags (RFC 9260 §3.3.1; I is RFC 7053 §3); the T bit of ABORT and SHUTDOWN COMPLETE.
FLAG_END, FLAG_BEGIN, FLAG_UNORDERED, FLAG_IMMEDIATE = 0x01, 0x02, 0x04, 0x08
FLAG_T = 0x01

# Parameter types: RFC 9260 §3.3.2.1 and §3.3.5, RFC 6525 §4, RFC 5061 §4.2.7, RFC 3758 §3.1.
HEARTBEAT_INFO, STATE_COOKIE = 1, 7
OUTGOING_RESET_REQUEST, INCOMING_RESET_REQUEST, SSN_TSN_RESET_REQUEST = 13, 14, 15
RECONFIG_RESPONSE, ADD_OUTGOING_STREAMS, ADD_INCOMING_STREAMS = 16, 17, 18
SUPPORTED_EXTENSIONS, FORWARD_TSN_SUPPORTED = 0x8008, 0xC000
# INIT parameters kept raw (RFC 9260 §3.3.2.1: IPv4, IPv6, cookie preservative, host name,
# supported address types; ECN capable 0x8000) and error cause codes (RFC 9260 §3.3.10).
OTHER_PARAMETER_TYPES = (5, 6, 9, 11, 12, 0x8000, 0x8001, 0x4001)
ERROR_CAUSES = tuple(range(1, 14))
RECONFIG_RESULTS = tuple(range(7))  # RFC 6525 §4.4: 0 success nothing to do ... 6 in progress

# Payload protocol identifiers of WebRTC (RFC 8831 §8): DCEP, string, binary, empty string, empty binary.
PPID_DCEP, PPID_STRING, PPID_BINARY, PPID_STRING_EMPTY, PPID_BINARY_EMPTY = 50, 51, 53, 56, 57
PPIDS = (PPID_DCEP, PPID_STRING, PPID_BINARY, PPID_STRING_EMPTY, PPID_BINARY_EMPTY)
DCEP_ACK, DCEP_OPEN = 0x02, 0x03  # RFC 8832 §8.2.1
DCEP_CHANNEL_TYPES = (0x00, 0x01, 0x02, 0x80, 0x81, 0x82)  # RFC 8832 §8.2.2


def padding(length: int) -> int:
    """Bytes that pad `length` to a multiple of 4 (RFC 9260 §3.2)."""
    return -length % 4


def _tlv(kind: int, flags: Optional[int], value: bytes) -> bytes:
    """A chunk (with flags) or a parameter (without), unpadded; the length counts the 4-byte header."""
    length = len(value) + 4
    if flags is None:
        return struct.pack("!HH", kind, length & 0xFFFF) + value
    return struct.pack("!BBH", kind, flags, length & 0xFFFF) + value


def _ints(data: bytes, fmt: str) -> tuple[int, ...]:
    return tuple(item[0] for item in struct.iter_unpack(fmt, data))


# -- parameters (RFC 9260 §3.2.1) --


@dataclass(frozen=True)
class RawParameter:
    parameter_type: int = uint(16, registry=OTHER_PARAMETER_TYPES + ERROR_CAUSES + (HEARTBEAT_INFO,))
    value: bytes = b""

    def encode_value(self) -> bytes:
        return self.value


@dataclass(frozen=True)
class StateCookie:  # RFC 9260 §3.3.3.1
    parameter_type: ClassVar[int] = STATE_COOKIE
    cookie: bytes

    def encode_value(self) -> bytes:
        return self.cookie

    @classmethod
    def decode(cls, value: bytes) -> "StateCookie":
        return cls(value)


@dataclass(frozen=True)
class ForwardTsnSupported:  # RFC 3758 §3.1
    parameter_type: ClassVar[int] = FORWARD_TSN_SUPPORTED

    def encode_value(self) -> bytes:
        return b""

    @classmethod
    def decode(cls, value: bytes) -> "ForwardTsnSupported":
        if value:
            raise ValueError("SCTP Forward-TSN-Supported is invalid")
        return cls()


@dataclass(frozen=True)
class SupportedExtensions:  # RFC 5061 §4.2.7: one byte per chunk type
    parameter_type: ClassVar[int] = SUPPORTED_EXTENSIONS
    chunk_types: tuple[int, ...] = uint(8, registry=CHUNK_TYPES)

    def encode_value(self) -> bytes:
        return bytes(self.chunk_types)

    @classmethod
    def decode(cls, value: bytes) -> "SupportedExtensions":
        return cls(tuple(value))


@dataclass(frozen=True)
class OutgoingResetRequest:  # RFC 6525 §4.1
    parameter_type: ClassVar[int] = OUTGOING_RESET_REQUEST
    request_sequence: int = uint(32)
    response_sequence: int = uint(32)
    last_tsn: int = uint(32)
    streams: tuple[int, ...] = uint(16)

    def encode_value(self) -> bytes:
        return struct.pack(
            f"!LLL{len(self.streams)}H", self.request_sequence, self.response_sequence, self.last_tsn, *self.streams
        )

    @classmethod
    def decode(cls, value: bytes) -> "OutgoingResetRequest":
        if len(value) < 12 or len(value) % 2:
            raise ValueError("SCTP Outgoing SSN Reset Request is invalid")
        request_sequence, response_sequence, last_tsn = struct.unpack_from("!LLL", value)
        return cls(request_sequence, response_sequence, last_tsn, _ints(value[12:], "!H"))


@dataclass(frozen=True)
class IncomingResetRequest:  # RFC 6525 §4.2
    parameter_type: ClassVar[int] = INCOMING_RESET_REQUEST
    request_sequence: int = uint(32)
    streams: tuple[int, ...] = uint(16)

    def encode_value(self) -> bytes:
        return struct.pack(f"!L{len(self.streams)}H", self.request_sequence, *self.streams)

    @classmethod
    def decode(cls, value: bytes) -> "IncomingResetRequest":
        if len(value) < 4 or len(value) % 2:
            raise ValueError("SCTP Incoming SSN Reset Request is invalid")
        return cls(struct.unpack_from("!L", value)[0], _ints(value[4:], "!H"))


@dataclass(frozen=True)
class ReconfigResponse:  # RFC 6525 §4.4; next_tsns is () or (sender's next TSN, receiver's next TSN)
    parameter_type: ClassVar[int] = RECONFIG_RESPONSE
    response_sequence: int = uint(32)
    result: int = uint(32, registry=RECONFIG_RESULTS)
    next_tsns: tuple[int, ...] = uint(32)

    def encode_value(self) -> bytes:
        return struct.pack(f"!LL{len(self.next_tsns)}L", self.response_sequence, self.result, *self.next_tsns)

    @classmethod
    def decode(cls, value: bytes) -> "ReconfigResponse":
        if len(value) not in (8, 16):
            raise ValueError("SCTP Re-configuration Response is invalid")
        response_sequence, result = struct.unpack_from("!LL", value)
        return cls(response_sequence, result, _ints(value[8:], "!L"))


@dataclass(frozen=True)
class AddStreams:  # RFC 6525 §4.5 (outgoing) and §4.6 (incoming): the reserved field is ignored
    parameter_type: int = uint(16, registry=(ADD_OUTGOING_STREAMS, ADD_INCOMING_STREAMS))
    request_sequence: int = uint(32)
    new_streams: int = uint(16)

    def encode_value(self) -> bytes:
        return struct.pack("!LHH", self.request_sequence, self.new_streams, 0)

    @classmethod
    def decoder(cls, parameter_type: int) -> Callable[[bytes], "AddStreams"]:
        def decode(value: bytes) -> "AddStreams":
            if len(value) != 8:
                raise ValueError("SCTP Add Streams Request is invalid")
            return cls(parameter_type, *struct.unpack_from("!LH", value))

        return decode


Parameter = Union[
    RawParameter,
    StateCookie,
    ForwardTsnSupported,
    SupportedExtensions,
    OutgoingResetRequest,
    IncomingResetRequest,
    ReconfigResponse,
    AddStreams,
]
Decoders = dict[int, Callable[[bytes], Parameter]]

INIT_PARAMETERS: Decoders = {
    STATE_COOKIE: StateCookie.decode,
    FORWARD_TSN_SUPPORTED: ForwardTsnSupported.decode,
    SUPPORTED_EXTENSIONS: SupportedExtensions.decode,
}
RECONFIG_PARAMETERS: Decoders = {
    OUTGOING_RESET_REQUEST: OutgoingResetRequest.decode,
    INCOMING_RESET_REQUEST: IncomingResetRequest.decode,
    RECONFIG_RESPONSE: ReconfigResponse.decode,
    ADD_OUTGOING_STREAMS: AddStreams.decoder(ADD_OUTGOING_STREAMS),
    ADD_INCOMING_STREAMS: AddStreams.decoder(ADD_INCOMING_STREAMS),
}


def encode_parameters(parameters: tuple[Parameter, ...]) -> bytes:
    """Parameters padded between them, not after the last one (RFC 9260 §3.2.1, as the chunk length counts)."""
    encoded = [_tlv(p.parameter_type, None, p.encode_value()) for p in parameters]
    return b"".join(e + bytes(padding(len(e))) for e in encoded[:-1]) + (encoded[-1] if encoded else b"")


def decode_parameters(data: bytes, decoders: Decoders) -> tuple[Parameter, ...]:
    parameters: list[Parameter] = []
    for kind, value in _walk(data, 0, "parameter"):
        decode = decoders.get(kind)
        parameters.append(decode(value) if decode is not None else RawParameter(kind, value))
    return tuple(parameters)


def _walk(data: bytes, pos: int, what: str) -> Iterator[tuple[int, bytes]]:
    """(type, value) of each chunk or parameter from `pos`; the padding of the last one may be missing."""
    header = "!BBH" if what == "chunk" else "!HH"
    while pos < len(data):
        if pos + 4 > len(data):
            raise ValueError(f"SCTP {what} header is invalid")
        fields_ = struct.unpack_from(header, data, pos)
        length = fields_[-1]
        if length < 4 or pos + length > len(data):
            raise ValueError(f"SCTP {what} length is invalid")
        value = data[pos + 4 : pos + length]
        yield (fields_[0] << 8 | fields_[1], value) if what == "chunk" else (fields_[0], value)
        pos += length + padding(length)


# -- chunks (RFC 9260 §3.2, §3.3) --


@dataclass(frozen=True)
class DataChunk:  # RFC 9260 §3.3.1
    chunk_type: ClassVar[int] = DATA
    flags: int = uint(
        8, registry=(FLAG_BEGIN | FLAG_END, FLAG_BEGIN, FLAG_END, 0, FLAG_UNORDERED | FLAG_BEGIN | FLAG_END)
    )
    tsn: int = uint(32)
    stream_id: int = uint(16)
    stream_sequence: int = uint(16)
    protocol: int = uint(32, registry=PPIDS)
    user_data: bytes = b""

    def encode_value(self) -> bytes:
        return struct.pack("!LHHL", self.tsn, self.stream_id, self.stream_sequence, self.protocol) + self.user_data

    @classmethod
    def decode(cls, flags: int, value: bytes) -> "DataChunk":
        if len(value) < DATA_FIXED_LENGTH:
            raise ValueError("SCTP DATA chunk is invalid")
        tsn, stream_id, stream_sequence, protocol = struct.unpack_from("!LHHL", value)
        return cls(flags, tsn, stream_id, stream_sequence, protocol, value[DATA_FIXED_LENGTH:])


@dataclass(frozen=True)
class InitChunk:  # RFC 9260 §3.3.2 (INIT) and §3.3.3 (INIT ACK)
    chunk_type: int = uint(8, registry=(INIT, INIT_ACK))
    flags: int = uint(8)
    initiate_tag: int = uint(32)
    advertised_rwnd: int = uint(32)
    outbound_streams: int = uint(16)
    inbound_streams: int = uint(16)
    initial_tsn: int = uint(32)
    parameters: tuple[Parameter, ...] = ()

    def encode_value(self) -> bytes:
        fixed = struct.pack(
            "!LLHHL",
            self.initiate_tag,
            self.advertised_rwnd,
            self.outbound_streams,
            self.inbound_streams,
            self.initial_tsn,
        )
        return fixed + encode_parameters(self.parameters)

    @classmethod
    def decoder(cls, chunk_type: int) -> Callable[[int, bytes], "InitChunk"]:
        def decode(flags: int, value: bytes) -> "InitChunk":
            if len(value) < INIT_FIXED_LENGTH:
                raise ValueError("SCTP INIT chunk is invalid")
            parameters = decode_parameters(value[INIT_FIXED_LENGTH:], INIT_PARAMETERS)
            tag, rwnd, outbound, inbound, tsn = struct.unpack_from("!LLHHL", value)
            return cls(chunk_type, flags, tag, rwnd, outbound, inbound, tsn, parameters)

        return decode


@dataclass(frozen=True)
class SackChunk:  # RFC 9260 §3.3.4: gap blocks are (start, end) offsets from the cumulative TSN
    chunk_type: ClassVar[int] = SACK
    flags: int = uint(8)
    cumulative_tsn: int = uint(32)
    advertised_rwnd: int = uint(32)
    gaps: tuple[tuple[int, int], ...] = uint(16, pairs=True)
    duplicates: tuple[int, ...] = uint(32)

    def encode_value(self) -> bytes:
        header = struct.pack(
            "!LLHH", self.cumulative_tsn, self.advertised_rwnd, len(self.gaps) & 0xFFFF, len(self.duplicates) & 0xFFFF
        )
        gaps = b"".join(struct.pack("!HH", *gap) for gap in self.gaps)
        return header + gaps + struct.pack(f"!{len(self.duplicates)}L", *self.duplicates)

    @classmethod
    def decode(cls, flags: int, value: bytes) -> "SackChunk":
        if len(value) < SACK_FIXED_LENGTH:
            raise ValueError("SCTP SACK chunk is invalid")
        cumulative_tsn, advertised_rwnd, gap_count, duplicate_count = struct.unpack_from("!LLHH", value)
        if len(value) != SACK_FIXED_LENGTH + 4 * (gap_count + duplicate_count):
            raise ValueError("SCTP SACK chunk is invalid")
        end_of_gaps = SACK_FIXED_LENGTH + 4 * gap_count
        gaps = tuple(struct.iter_unpack("!HH", value[SACK_FIXED_LENGTH:end_of_gaps]))
        return cls(flags, cumulative_tsn, advertised_rwnd, gaps, _ints(value[end_of_gaps:], "!L"))


@dataclass(frozen=True)
class ParametersChunk:  # HEARTBEAT (ACK) §3.3.5-6, ABORT §3.3.7, ERROR §3.3.10, RE-CONFIG RFC 6525 §3.1
    chunk_type: int = uint(8, registry=(HEARTBEAT, HEARTBEAT_ACK, ABORT, ERROR, RECONFIG))
    flags: int = uint(8, registry=(0, FLAG_T))
    parameters: tuple[Parameter, ...] = ()

    def encode_value(self) -> bytes:
        return encode_parameters(self.parameters)

    @classmethod
    def decoder(cls, chunk_type: int) -> Callable[[int, bytes], "ParametersChunk"]:
        # Error causes (ABORT, ERROR) and Heartbeat Info share the TLV format but not the parameter registry.
        decoders = RECONFIG_PARAMETERS if chunk_type == RECONFIG else {}
        return lambda flags, value: cls(chunk_type, flags, decode_parameters(value, decoders))


@dataclass(frozen=True)
class ShutdownChunk:  # RFC 9260 §3.3.8
    chunk_type: ClassVar[int] = SHUTDOWN
    flags: int = uint(8)
    cumulative_tsn: int = uint(32)

    def encode_value(self) -> bytes:
        return struct.pack("!L", self.cumulative_tsn)

    @classmethod
    def decode(cls, flags: int, value: bytes) -> "ShutdownChunk":
        if len(value) != 4:
            raise ValueError("SCTP SHUTDOWN chunk is invalid")
        return cls(flags, struct.unpack("!L", value)[0])


@dataclass(frozen=True)
class ForwardTsnChunk:  # RFC 3758 §3.2: new cumulative TSN, then (stream, stream sequence) pairs
    chunk_type: ClassVar[int] = FORWARD_TSN
    flags: int = uint(8)
    cumulative_tsn: int = uint(32)
    streams: tuple[tuple[int, int], ...] = uint(16, pairs=True)

    def encode_value(self) -> bytes:
        return struct.pack("!L", self.cumulative_tsn) + b"".join(struct.pack("!HH", *s) for s in self.streams)

    @classmethod
    def decode(cls, flags: int, value: bytes) -> "ForwardTsnChunk":
        if len(value) < 4 or len(value) % 4:
            raise ValueError("SCTP FORWARD TSN chunk is invalid")
        return cls(flags, struct.unpack_from("!L", value)[0], tuple(struct.iter_unpack("!HH", value[4:])))


@dataclass(frozen=True)
class RawChunk:  # COOKIE ECHO (the cookie), COOKIE ACK, SHUTDOWN ACK, SHUTDOWN COMPLETE, unknown types
    chunk_type: int = uint(8, registry=(COOKIE_ECHO, COOKIE_ACK, SHUTDOWN_ACK, SHUTDOWN_COMPLETE) + OTHER_CHUNK_TYPES)
    flags: int = uint(8, registry=(0, FLAG_T))
    value: bytes = b""

    def encode_value(self) -> bytes:
        return self.value


Chunk = Union[DataChunk, InitChunk, SackChunk, ParametersChunk, ShutdownChunk, ForwardTsnChunk, RawChunk]

CHUNK_DECODERS: dict[int, Callable[[int, bytes], Chunk]] = {
    DATA: DataChunk.decode,
    INIT: InitChunk.decoder(INIT),
    INIT_ACK: InitChunk.decoder(INIT_ACK),
    SACK: SackChunk.decode,
    SHUTDOWN: ShutdownChunk.decode,
    FORWARD_TSN: ForwardTsnChunk.decode,
    **{kind: ParametersChunk.decoder(kind) for kind in (HEARTBEAT, HEARTBEAT_ACK, ABORT, ERROR, RECONFIG)},
}


def encode_chunk(chunk: Chunk) -> bytes:
    """The chunk with its padding (RFC 9260 §3.2)."""
    encoded = _tlv(chunk.chunk_type, chunk.flags, chunk.encode_value())
    return encoded + bytes(padding(len(encoded)))


def decode_chunk(kind: int, flags: int, value: bytes) -> Chunk:
    decode = CHUNK_DECODERS.get(kind)
    return decode(flags, value) if decode is not None else RawChunk(kind, flags, value)


# -- packets (RFC 9260 §3.1) --


@dataclass(frozen=True)
class SctpPacket:
    source_port: int = uint(16, registry=(5000,))
    destination_port: int = uint(16, registry=(5000,))
    verification_tag: int = uint(32, registry=(0,))
    checksum: int = uint(32)
    chunks: tuple[Chunk, ...] = ()

    def __bytes__(self) -> bytes:
        header = struct.pack("!HHL", self.source_port, self.destination_port, self.verification_tag)
        return header + self.checksum.to_bytes(4, "little") + b"".join(encode_chunk(c) for c in self.chunks)

    @classmethod
    def parse(cls, data: bytes) -> "SctpPacket":
        """Decode without verifying the checksum: that is the receiver's business (and `repair`'s)."""
        if len(data) < COMMON_HEADER_LENGTH:
            raise ValueError("SCTP common header is invalid")
        source_port, destination_port, tag = struct.unpack_from("!HHL", data)
        checksum = int.from_bytes(data[CHECKSUM_OFFSET:COMMON_HEADER_LENGTH], "little")
        chunks = tuple(
            decode_chunk(kind >> 8, kind & 0xFF, value) for kind, value in _walk(data, COMMON_HEADER_LENGTH, "chunk")
        )
        return cls(source_port, destination_port, tag, checksum, chunks)

    def sealed(self) -> "SctpPacket":
        """The packet with its correct CRC32c."""
        return replace(self, checksum=checksum_of(bytes(self)))


# -- repair: what the receiver verifies (RFC 9260 §6.8 checksum, §8.5 verification tag) --


def checksum_of(data: bytes) -> int:
    """The CRC32c of a packet, computed with its checksum field zeroed (RFC 9260 §6.8)."""
    return crc32c(data[:CHECKSUM_OFFSET] + bytes(4) + data[COMMON_HEADER_LENGTH:])


def seal(data: bytes, *, verification_tag: Optional[int] = None) -> bytes:
    """`data` with the verification tag (when given) and the CRC32c set; shorter than a header: unchanged."""
    if len(data) < COMMON_HEADER_LENGTH:
        return data
    if verification_tag is not None:
        data = data[:4] + verification_tag.to_bytes(4, "big") + data[CHECKSUM_OFFSET:]
    return data[:CHECKSUM_OFFSET] + checksum_of(data).to_bytes(4, "little") + data[COMMON_HEADER_LENGTH:]


def chunk_headers(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(offset, type, length) of each chunk of a packet, read as far as the chunk headers hold together (any bytes)."""
    pos = COMMON_HEADER_LENGTH
    while pos + CHUNK_HEADER_LENGTH <= len(data):
        kind, _, length = struct.unpack_from("!BBH", data, pos)
        if length < CHUNK_HEADER_LENGTH:
            break
        yield pos, kind, length
        pos += length + padding(length)


def chunk_types(data: bytes) -> list[int]:
    """The chunk types of a packet, read as far as the chunk headers hold together (any bytes)."""
    return [kind for _, kind, _ in chunk_headers(data)]


def repair(data: bytes, *, local_tag: int) -> bytes:
    """Any bytes with the tag a receiver whose own tag is `local_tag` expects, and a valid CRC32c.

    A packet with an INIT carries tag 0, any other the receiver's own tag (RFC 9260 §8.5, §8.5.1 A).
    """
    return seal(data, verification_tag=0 if INIT in chunk_types(data) else local_tag)
