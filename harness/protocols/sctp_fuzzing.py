"""SCTP fuzzing: hypothesis strategies of packets and chunks, field-level mutations, splicing and CODEC."""

from __future__ import annotations

import random
import struct
from dataclasses import replace
from typing import Any, Optional

from hypothesis import strategies as st

from harness.protocols.mutations import (
    Codec,
    check_argument,
    lie_about_length,
    mutate_field,
    mutate_int,
    mutate_items,
    truncate,
)
from harness.protocols.sctp import (
    ABORT,
    ADD_INCOMING_STREAMS,
    ADD_OUTGOING_STREAMS,
    CHUNK_DECODERS,
    CHUNK_TYPES,
    COMMON_HEADER_LENGTH,
    COOKIE_ACK,
    COOKIE_ECHO,
    DCEP_ACK,
    DCEP_CHANNEL_TYPES,
    DCEP_OPEN,
    ERROR,
    ERROR_CAUSES,
    FLAG_BEGIN,
    FLAG_END,
    FLAG_T,
    HEARTBEAT,
    HEARTBEAT_ACK,
    INIT,
    INIT_ACK,
    INIT_FIXED_LENGTH,
    INIT_PARAMETERS,
    OTHER_CHUNK_TYPES,
    OTHER_PARAMETER_TYPES,
    PARAMETER_HEADER_LENGTH,
    PPID_BINARY,
    PPID_DCEP,
    PPIDS,
    RECONFIG,
    RECONFIG_PARAMETERS,
    RECONFIG_RESULTS,
    SHUTDOWN_ACK,
    SHUTDOWN_COMPLETE,
    AddStreams,
    Chunk,
    DataChunk,
    Decoders,
    ForwardTsnChunk,
    ForwardTsnSupported,
    IncomingResetRequest,
    InitChunk,
    OutgoingResetRequest,
    Parameter,
    ParametersChunk,
    RawChunk,
    RawParameter,
    ReconfigResponse,
    SackChunk,
    SctpPacket,
    ShutdownChunk,
    StateCookie,
    SupportedExtensions,
    encode_chunk,
    padding,
    seal,
)

# -- hypothesis strategies --

_u16, _u32 = st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)


def _near(base: Optional[int], spread: int = 8) -> st.SearchStrategy[int]:
    """TSNs at or just after `base` (where the receiver's state makes them matter), mixed with any."""
    if base is None:
        return _u32
    return st.one_of(st.integers(0, spread).map(lambda n: (base + n) & 0xFFFFFFFF), _u32)


def dcep_messages() -> st.SearchStrategy[bytes]:
    """DATA_CHANNEL_OPEN (RFC 8832 §5.1) and DATA_CHANNEL_ACK (§5.2) messages."""
    opens = st.builds(
        lambda kind, priority, reliability, label, protocol: (
            struct.pack("!BBHLHH", DCEP_OPEN, kind, priority, reliability, len(label), len(protocol)) + label + protocol
        ),
        st.sampled_from(DCEP_CHANNEL_TYPES) | st.integers(0, 0xFF),
        _u16,
        _u32,
        st.text(max_size=8).map(str.encode) | st.binary(max_size=8),
        st.text(max_size=8).map(str.encode),
    )
    return st.one_of(opens, st.just(bytes([DCEP_ACK])))


def data_chunks(*, tsn: Optional[int] = None, max_user_data: int = 64) -> st.SearchStrategy[DataChunk]:
    """DATA chunks (TSNs near `tsn` when given) carrying DCEP, text or binary user data."""
    check_argument(max_user_data >= 1, "max_user_data must be at least 1")
    payloads = st.one_of(
        st.tuples(st.just(PPID_DCEP), dcep_messages()),
        st.tuples(st.sampled_from(PPIDS) | _u32, st.binary(min_size=1, max_size=max_user_data)),
    )
    flags = st.sampled_from((FLAG_BEGIN | FLAG_END, FLAG_BEGIN, FLAG_END, 0)) | st.integers(0, 0xFF)
    streams = st.integers(0, 3) | _u16
    return st.builds(
        lambda f, t, s, q, p: DataChunk(f, t, s, q, p[0], p[1][:max_user_data] or b"\x00"),
        flags,
        _near(tsn),
        streams,
        st.integers(0, 3) | _u16,
        payloads,
    )


def _parameters(decoders: Decoders) -> st.SearchStrategy[Parameter]:
    raw_types = (st.sampled_from(OTHER_PARAMETER_TYPES + ERROR_CAUSES) | _u16).filter(lambda t: t not in decoders)
    raw = st.builds(RawParameter, raw_types, st.binary(max_size=12))
    if decoders is INIT_PARAMETERS:
        known: st.SearchStrategy[Parameter] = st.one_of(
            st.builds(StateCookie, st.binary(max_size=32)),
            st.just(ForwardTsnSupported()),
            st.builds(
                SupportedExtensions,
                st.lists(st.sampled_from(CHUNK_TYPES) | st.integers(0, 0xFF), max_size=4).map(tuple),
            ),
        )
    elif decoders is RECONFIG_PARAMETERS:
        streams = st.lists(st.integers(0, 3) | _u16, max_size=4).map(tuple)
        known = st.one_of(
            st.builds(OutgoingResetRequest, _u32, _u32, _u32, streams),
            st.builds(IncomingResetRequest, _u32, streams),
            st.builds(
                ReconfigResponse,
                _u32,
                st.sampled_from(RECONFIG_RESULTS) | _u32,
                st.sampled_from([()]) | st.tuples(_u32, _u32),
            ),
            st.builds(AddStreams, st.sampled_from((ADD_OUTGOING_STREAMS, ADD_INCOMING_STREAMS)), _u32, _u16),
        )
    else:
        return raw
    return st.one_of(known, raw)


def init_chunks() -> st.SearchStrategy[InitChunk]:
    """INIT and INIT ACK chunks with cookie, Forward-TSN-Supported, Supported Extensions and raw parameters."""
    return st.builds(
        InitChunk,
        st.sampled_from((INIT, INIT_ACK)),
        st.just(0) | st.integers(0, 0xFF),
        _u32,
        _u32,
        _u16,
        _u16,
        _u32,
        st.lists(_parameters(INIT_PARAMETERS), max_size=4).map(tuple),
    )


def sctp_chunks(
    *, tsn: Optional[int] = None, acked_tsn: Optional[int] = None, max_user_data: int = 64
) -> st.SearchStrategy[Chunk]:
    """Every chunk type aiortc handles and some it does not; TSNs near `tsn` (DATA, FORWARD TSN) and
    `acked_tsn` (SACK, SHUTDOWN) when given."""
    small = st.integers(0, 8) | _u16
    gaps = st.lists(st.tuples(small, small), max_size=4).map(tuple)
    pairs = st.lists(st.tuples(st.integers(0, 3) | _u16, small), max_size=4).map(tuple)
    return st.one_of(
        data_chunks(tsn=tsn, max_user_data=max_user_data),
        init_chunks(),
        st.builds(SackChunk, st.just(0), _near(acked_tsn), _u32, gaps, st.lists(_u32, max_size=3).map(tuple)),
        st.builds(ForwardTsnChunk, st.just(0), _near(tsn), pairs),
        st.builds(ShutdownChunk, st.just(0), _near(acked_tsn)),
        st.builds(
            ParametersChunk,
            st.just(RECONFIG),
            st.just(0),
            st.lists(_parameters(RECONFIG_PARAMETERS), min_size=1, max_size=2).map(tuple),
        ),
        st.builds(
            ParametersChunk,
            st.sampled_from((HEARTBEAT, HEARTBEAT_ACK, ABORT, ERROR)),
            st.sampled_from((0, FLAG_T)),
            st.lists(_parameters({}), max_size=3).map(tuple),
        ),
        st.builds(
            RawChunk,
            st.sampled_from((COOKIE_ECHO, COOKIE_ACK, SHUTDOWN_ACK, SHUTDOWN_COMPLETE) + OTHER_CHUNK_TYPES)
            | st.integers(0, 0xFF).filter(_is_raw),
            st.just(0) | st.integers(0, 0xFF),
            st.binary(max_size=24),
        ),
    )


def _is_raw(chunk_type: int) -> bool:
    return chunk_type not in CHUNK_DECODERS


def sctp_packets(
    *,
    verification_tag: Optional[int] = None,
    tsn: Optional[int] = None,
    acked_tsn: Optional[int] = None,
    max_chunks: int = 4,
) -> st.SearchStrategy[SctpPacket]:
    """Packets with a correct CRC32c; the tag is `verification_tag` when given (a receiver's repair sets it)."""
    check_argument(max_chunks >= 1, "max_chunks must be at least 1")
    check_argument(
        verification_tag is None or 0 <= verification_tag <= 0xFFFFFFFF,
        "verification_tag must be a 32-bit unsigned integer",
    )
    tags = _u32 if verification_tag is None else st.just(verification_tag)
    ports = st.just(5000) | _u16
    chunks = st.lists(sctp_chunks(tsn=tsn, acked_tsn=acked_tsn), min_size=1, max_size=max_chunks).map(tuple)
    return st.builds(lambda sp, dp, tag, cs: SctpPacket(sp, dp, tag, 0, cs).sealed(), ports, ports, tags, chunks)


# -- field-level mutations --


def _raw_parameter(rng: random.Random) -> RawParameter:
    """A new parameter for a list of parameters: an INIT parameter kept raw, or an error cause."""
    return RawParameter(rng.choice(OTHER_PARAMETER_TYPES + ERROR_CAUSES), rng.randbytes(rng.randrange(9)))


def _as_raw(parameter: Any, rng: random.Random) -> RawParameter:
    """A parameter without fields (Forward-TSN-Supported) with a value it should not have."""
    return RawParameter(parameter.parameter_type, rng.randbytes(rng.randrange(1, 9)))


def _mutate_fields(message: Any, rng: random.Random) -> Any:
    """One field of a chunk or parameter: a value at a boundary or from the registry, bytes changed, an item of
    a list duplicated, dropped, moved, added or changed. A message without fields becomes a raw one."""
    return mutate_field(message, rng, new_item=_raw_parameter, fieldless=_as_raw)


def _retyped(chunk: Chunk, rng: random.Random) -> RawChunk:
    """The chunk's value under another type: type confusion, or an unknown type (RFC 9260 §3.2 action bits)."""
    kind = rng.choice(CHUNK_TYPES + OTHER_CHUNK_TYPES) if rng.randrange(2) else rng.getrandbits(8)
    return RawChunk(kind, chunk.flags, chunk.encode_value())


def _length_fields(packet: SctpPacket) -> list[int]:
    """Offsets of the 16-bit lengths and counts in the encoded packet: chunk lengths, the parameter lengths of
    INIT/ABORT/ERROR/HEARTBEAT/RE-CONFIG chunks, and the SACK gap and duplicate counts."""
    offsets, pos = [], COMMON_HEADER_LENGTH
    for chunk in packet.chunks:
        offsets.append(pos + 2)
        if isinstance(chunk, SackChunk):
            offsets += [pos + 4 + 8, pos + 4 + 10]
        if isinstance(chunk, (InitChunk, ParametersChunk)):
            parameter = pos + 4 + (INIT_FIXED_LENGTH if isinstance(chunk, InitChunk) else 0)
            for p in chunk.parameters:
                offsets.append(parameter + 2)
                length = PARAMETER_HEADER_LENGTH + len(p.encode_value())
                parameter += length + padding(length)
        pos += len(encode_chunk(chunk))
    return offsets


def mutate(packet: SctpPacket, rng: random.Random) -> bytes:
    """The packet with one field-level mutation, sealed with a correct CRC32c (the tag is left as mutated)."""
    choice = rng.randrange(7)
    chunks = packet.chunks
    if choice == 0 or not chunks:
        templates: list[Chunk] = [
            DataChunk(FLAG_BEGIN | FLAG_END, 0, 0, 0, PPID_BINARY, b"\x00"),
            SackChunk(0, 0, 0, (), ()),
            ForwardTsnChunk(0, 0, ()),
            ParametersChunk(RECONFIG, 0, ()),
            RawChunk(COOKIE_ACK, 0, b""),
        ]
        packet = replace(packet, chunks=tuple(mutate_items(chunks, rng, new_item=lambda: rng.choice(templates))))
    elif choice in (1, 2, 3):
        position = rng.randrange(len(chunks))
        changed = _retyped(chunks[position], rng) if choice == 3 else _mutate_fields(chunks[position], rng)
        packet = replace(packet, chunks=chunks[:position] + (changed,) + chunks[position + 1 :])
    elif choice == 4:
        data = bytes(packet)
        return seal(lie_about_length(data, rng.choice(_length_fields(packet)), 2, rng))
    elif choice == 5:
        return seal(truncate(bytes(packet), rng))
    else:
        packet = _mutate_header(packet, rng)
    return bytes(packet.sealed())


def _mutate_header(packet: SctpPacket, rng: random.Random) -> SctpPacket:
    name, width = rng.choice((("source_port", 16), ("destination_port", 16), ("verification_tag", 32)))
    changes: dict[str, Any] = {name: mutate_int(getattr(packet, name), width, rng)}
    return replace(packet, **changes)


def splice(first: SctpPacket, second: SctpPacket, rng: random.Random) -> bytes:
    """The first packet's header and leading chunks, then the second's trailing chunks."""
    head = first.chunks[: rng.randint(0, len(first.chunks))]
    tail = second.chunks[rng.randint(0, len(second.chunks)) :]
    return bytes(replace(first, chunks=head + tail).sealed())


CODEC = Codec(parse=SctpPacket.parse, mutate=mutate, splice=splice)
