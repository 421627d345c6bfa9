"""RTCP fuzzing: hypothesis strategies of compound packets, field-level mutations, splicing and CODEC."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Sequence

from hypothesis import strategies as st

from harness.protocols.mutations import (
    Codec,
    check_argument,
    lie_about_length,
    mixed,
    mutate_field,
    mutate_int,
    truncate,
)
from harness.protocols.rtcp import (
    APP,
    BYE,
    DECODERS,
    FEEDBACK_HEADER_LENGTH,
    FIR_FMT,
    HEADER_LENGTH,
    MAX_COUNT,
    OTHER_PACKET_TYPES,
    PSFB,
    REMB_IDENTIFIER,
    RR,
    RTPFB,
    SDES,
    SDES_ITEM_TYPES,
    SR,
    WORD,
    ApplicationDefined,
    CompoundPacket,
    Feedback,
    FirEntry,
    FullIntraRequest,
    GenericNack,
    Goodbye,
    NackItem,
    PictureLossIndication,
    RawPacket,
    ReceiverReport,
    Remb,
    ReportBlock,
    RtcpPacket,
    SdesChunk,
    SdesItem,
    SenderReport,
    SourceDescription,
    TransportFeedback,
    encode_packet,
)

# Strategies.

uint32s = st.integers(0, 0xFFFFFFFF)


def _words(max_words: int) -> st.SearchStrategy[bytes]:
    return st.integers(0, max_words).flatmap(lambda n: st.binary(min_size=WORD * n, max_size=WORD * n))


def rtcp_paddings() -> st.SearchStrategy[bytes]:
    """No padding, or whole words of it counted by its last octet (RFC 3550 §6.4.1)."""
    return st.one_of(st.just(b""), st.integers(1, 4).map(lambda words: bytes(WORD * words - 1) + bytes([WORD * words])))


def report_blocks(*, ssrcs: st.SearchStrategy[int] = uint32s) -> st.SearchStrategy[ReportBlock]:
    """Report blocks; cumulative loss mixes its signed 24-bit boundaries with any value."""
    check_argument(isinstance(ssrcs, st.SearchStrategy), "ssrcs must be a strategy of SSRCs")
    lost = st.one_of(st.sampled_from((0, -1, -(1 << 23), (1 << 23) - 1)), st.integers(-(1 << 23), (1 << 23) - 1))
    return st.builds(ReportBlock, ssrcs, st.integers(0, 255), lost, uint32s, uint32s, uint32s, uint32s)


def rtcp_packets(*, ssrcs: Sequence[int] = ()) -> st.SearchStrategy[RtcpPacket]:
    """Every packet type the codec decodes, and raw ones of other types; SSRCs mix `ssrcs` with any."""
    check_argument(all(0 <= s <= 0xFFFFFFFF for s in ssrcs), "ssrcs must be 32-bit values")
    return st.one_of(_packet_strategies(mixed(ssrcs, uint32s)))


def _packet_strategies(ssrc: st.SearchStrategy[int]) -> list[st.SearchStrategy[RtcpPacket]]:
    """One strategy per packet type, the two reports first."""
    blocks = st.lists(report_blocks(ssrcs=ssrc), max_size=3).map(tuple)
    pad = rtcp_paddings()
    items = st.builds(SdesItem, mixed(SDES_ITEM_TYPES, st.integers(1, 255)), st.binary(max_size=40))
    chunks = st.builds(SdesChunk, ssrc, st.lists(items, max_size=3).map(tuple))
    known = {SR, RR, SDES, BYE, APP, RTPFB, PSFB}
    return [
        st.builds(SenderReport, ssrc, st.integers(0, 2**64 - 1), uint32s, uint32s, uint32s, blocks, _words(2), pad),
        st.builds(ReceiverReport, ssrc, blocks, _words(2), pad),
        st.builds(SourceDescription, st.lists(chunks, max_size=3).map(tuple), pad),
        st.builds(Goodbye, st.lists(ssrc, max_size=3).map(tuple), st.none() | st.binary(max_size=40), pad),
        st.builds(
            ApplicationDefined, st.integers(0, MAX_COUNT), ssrc, st.binary(min_size=4, max_size=4), _words(4), pad
        ),
        st.builds(
            GenericNack,
            ssrc,
            ssrc,
            st.lists(st.builds(NackItem, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)), min_size=1, max_size=4).map(
                tuple
            ),
            pad,
        ),
        st.builds(
            TransportFeedback,
            ssrc,
            ssrc,
            st.integers(0, 0xFFFF),
            st.integers(0, 0xFFFF),
            st.integers(0, 0xFFFFFF),
            st.integers(0, 255),
            _words(6),
            pad,
        ),
        st.builds(PictureLossIndication, ssrc, ssrc, pad),
        st.builds(
            FullIntraRequest,
            ssrc,
            st.just(0) | ssrc,
            st.lists(st.builds(FirEntry, ssrc, st.integers(0, 255), st.just(0)), min_size=1, max_size=3).map(tuple),
            pad,
        ),
        st.builds(
            Remb,
            ssrc,
            st.just(0) | ssrc,
            st.integers(0, 63),
            st.integers(0, 0x3FFFF),
            st.lists(ssrc, max_size=3).map(tuple),
            pad,
        ),
        st.builds(
            Feedback,
            st.sampled_from((RTPFB, PSFB)),
            st.integers(2, 14).filter(lambda f: f != FIR_FMT),
            ssrc,
            ssrc,
            _words(4),
            pad,
        ),
        st.builds(
            RawPacket,
            mixed(OTHER_PACKET_TYPES, st.integers(0, 255)).filter(lambda t: t not in known),
            st.integers(0, MAX_COUNT),
            _words(6),
            pad,
        ),
    ]


def rtcp_compound_packets(*, max_packets: int = 4, ssrcs: Sequence[int] = ()) -> st.SearchStrategy[CompoundPacket]:
    """Compound packets of 1 to `max_packets` packets, mostly led by a report as RFC 3550 §6.1 asks."""
    check_argument(max_packets >= 1, "max_packets must be at least 1")
    packets = rtcp_packets(ssrcs=ssrcs)
    sender_report, receiver_report = _packet_strategies(mixed(ssrcs, uint32s))[:2]
    first = st.one_of(sender_report, receiver_report, packets)
    return st.builds(
        lambda head, rest: CompoundPacket((head, *rest)), first, st.lists(packets, max_size=max_packets - 1)
    )


# Mutations.


def _offsets(compound: CompoundPacket) -> list[int]:
    offsets, pos = [], 0
    for packet in compound.packets:
        offsets.append(pos)
        pos += len(encode_packet(packet))
    return offsets


def _inner_lengths(packet: RtcpPacket) -> list[int]:
    """Offsets, in the encoded packet, of the one-octet counts and lengths inside its body."""
    if isinstance(packet, Remb):
        return [HEADER_LENGTH + FEEDBACK_HEADER_LENGTH + len(REMB_IDENTIFIER)]  # the SSRC count
    if isinstance(packet, Goodbye) and packet.reason is not None:
        return [HEADER_LENGTH + 4 * len(packet.sources)]  # the reason length
    offsets, pos = [], HEADER_LENGTH
    if isinstance(packet, SourceDescription):
        for chunk in packet.chunks:
            pos += 4
            for item in chunk.items:
                offsets.append(pos + 1)  # the item length
                pos += 2 + len(item.value)
            pos += WORD - (pos - HEADER_LENGTH) % WORD
    return offsets


def _new_packet(rng: random.Random) -> RtcpPacket:
    ssrc = rng.getrandbits(32)
    return rng.choice(
        (
            PictureLossIndication(ssrc, rng.getrandbits(32)),
            GenericNack(ssrc, rng.getrandbits(32), (NackItem(rng.getrandbits(16), rng.getrandbits(16)),)),
            Remb(ssrc, 0, rng.randrange(64), rng.getrandbits(18), (rng.getrandbits(32),)),
            Goodbye((ssrc,), rng.randbytes(rng.randrange(8))),
            TransportFeedback(ssrc, rng.getrandbits(32), chunks=rng.randbytes(4 * rng.randrange(4))),
            RawPacket(rng.choice(OTHER_PACKET_TYPES), rng.randrange(32), rng.randbytes(4 * rng.randrange(4))),
        )
    )


def mutate(compound: CompoundPacket, rng: random.Random) -> bytes:
    """One field-level mutation of `compound`, encoded (the result may no longer decode)."""
    data = bytes(compound)
    index = rng.randrange(len(compound.packets))
    at = _offsets(compound)[index]
    choice = rng.randrange(11)
    if choice == 0:
        return lie_about_length(data, at + 2, 2, rng)
    if choice == 1:  # a count that lies, another version, a padding bit that lies
        mask, value = rng.choice(((0x1F, rng.randrange(32)), (0xC0, rng.randrange(4) << 6), (0x20, data[at] ^ 0x20)))
        return data[:at] + bytes([data[at] & ~mask & 0xFF | value & mask]) + data[at + 1 :]
    if choice == 2:  # the same body under another packet type (or an unknown one)
        packet_type = rng.choice((*DECODERS, *OTHER_PACKET_TYPES, mutate_int(data[at + 1], 8, rng)))
        return data[: at + 1] + bytes([packet_type]) + data[at + 2 :]
    if choice == 3:  # valid padding added, or padding whose count octet lies
        size = rng.choice((WORD, 2 * WORD, 1, 2, 3))
        padding = bytes(size - 1) + bytes([rng.choice((size, 0, size + 1, 255))])
        packets = list(compound.packets)
        packets[index] = replace(packets[index], padding=padding)
        return bytes(CompoundPacket(tuple(packets)))
    if choice == 4:
        packets = list(compound.packets)
        packets.insert(rng.randint(0, len(packets)), _new_packet(rng))
        return bytes(CompoundPacket(tuple(packets)))
    if choice == 5:
        return truncate(data, rng)
    inner = _inner_lengths(compound.packets[index])
    if choice == 6 and inner:
        return lie_about_length(data, at + rng.choice(inner), 1, rng)
    return bytes(mutate_field(compound, rng))


def splice(first: CompoundPacket, second: CompoundPacket, rng: random.Random) -> bytes:
    """The head of one compound packet and the tail of the other."""
    head = first.packets[: rng.randint(0, len(first.packets))]
    return bytes(CompoundPacket(head + second.packets[rng.randint(0, len(second.packets)) :]))


CODEC = Codec(parse=CompoundPacket.parse, mutate=mutate, splice=splice)
