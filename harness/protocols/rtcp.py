"""RTCP compound packets: codec.

Strategies, mutations and CODEC: harness.protocols.rtcp_fuzzing.

RFC 3550 §6.4.1 (common header: version, padding, 5-bit count, packet type, length in 32-bit
words minus one; sender report, report blocks, profile-specific extensions), §6.4.2 (receiver
report), §6.5 (SDES chunks and items, null-terminated, padded to 32 bits), §6.6 (BYE with an
optional reason), §6.7 (APP), §6.1 (compound packets); RFC 4585 §6.1 (feedback header), §6.2.1
(generic NACK), §6.3.1 (PLI), §6.4 (application layer feedback); RFC 5104 §4.3.1 (FIR);
draft-alvestrand-rmcat-remb-03 §2.2 (REMB); draft-holmer-rmcat-transport-wide-cc-extensions-01
§3.1 (transport-wide feedback: fixed fields decoded, status chunks and deltas kept raw).

Unknown packet types decode to RawPacket, feedback of an unknown (or malformed) format to
Feedback, so that nothing vanishes and every packet encodes back to the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from struct import pack, unpack_from
from typing import Callable, Optional, Union

from harness.protocols.mutations import (
    uint,
)

RTCP_VERSION = 2  # RFC 3550 §6.4.1
HEADER_LENGTH = 4  # RFC 3550 §6.4.1
WORD = 4  # RFC 3550 §6.4.1: lengths count 32-bit words
MAX_COUNT = 31  # RFC 3550 §6.4.1: RC, SC (and RFC 4585 FMT) are 5 bits
SR, RR, SDES, BYE, APP = 200, 201, 202, 203, 204  # RFC 3550 §12.1
RTPFB, PSFB = 205, 206  # RFC 4585 §6.1
# Other registered types (RFC 2032 FIR/NACK, RFC 5450 IJ, RFC 3611 XR, RFC 6051 AVB, RFC 5760 RSI,
# RFC 6284 TOKEN), decoded raw.
OTHER_PACKET_TYPES = (192, 193, 195, 207, 208, 209, 210)
NACK_FMT = 1  # RFC 4585 §6.2.1
TRANSPORT_CC_FMT = 15  # draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1
PLI_FMT = 1  # RFC 4585 §6.3.1
FIR_FMT = 4  # RFC 5104 §4.3.1
AFB_FMT = 15  # RFC 4585 §6.4; REMB is one (draft-alvestrand-rmcat-remb-03 §2.2)
REMB_IDENTIFIER = b"REMB"  # draft-alvestrand-rmcat-remb-03 §2.2
REPORT_BLOCK_LENGTH = 24  # RFC 3550 §6.4.1
SENDER_INFO_LENGTH = 20  # RFC 3550 §6.4.1: NTP timestamp, RTP timestamp, packet and octet counts
FEEDBACK_HEADER_LENGTH = 8  # RFC 4585 §6.1: packet sender SSRC, media source SSRC
TRANSPORT_CC_FIXED_LENGTH = 8  # draft-holmer-...-01 §3.1: base sequence, status count, reference time, count
SDES_ITEM_TYPES = tuple(range(1, 9))  # RFC 3550 §6.5: CNAME NAME EMAIL PHONE LOC TOOL NOTE PRIV; 0 is END


@dataclass(frozen=True)
class ReportBlock:
    ssrc: int = uint(32, 0)
    fraction_lost: int = uint(8, 0)
    cumulative_lost: int = uint(24, 0, signed=True)  # RFC 3550 §6.4.1: signed (duplicates make it negative)
    highest_sequence: int = uint(32, 0)
    jitter: int = uint(32, 0)
    last_sr: int = uint(32, 0)
    delay_since_last_sr: int = uint(32, 0)

    def __bytes__(self) -> bytes:
        lost = (self.cumulative_lost & 0xFFFFFF).to_bytes(3, "big")
        return (
            pack("!LB", self.ssrc, self.fraction_lost)
            + lost
            + pack("!LLLL", self.highest_sequence, self.jitter, self.last_sr, self.delay_since_last_sr)
        )

    @classmethod
    def parse(cls, data: bytes) -> ReportBlock:
        ssrc, fraction, lost_high, lost_low, highest, jitter, lsr, dlsr = unpack_from("!LBBHLLLL", data)
        lost = lost_high << 16 | lost_low
        return cls(ssrc, fraction, lost - (1 << 24) if lost >> 23 else lost, highest, jitter, lsr, dlsr)


def _reports(body: bytes, start: int, count: int, name: str) -> tuple[tuple[ReportBlock, ...], bytes]:
    end = start + REPORT_BLOCK_LENGTH * count
    if len(body) < end:
        raise ValueError(f"rtcp {name} is invalid")
    blocks = tuple(ReportBlock.parse(body[pos:]) for pos in range(start, end, REPORT_BLOCK_LENGTH))
    return blocks, body[end:]


@dataclass(frozen=True)
class SenderReport:
    ssrc: int = uint(32, 0)
    ntp_timestamp: int = uint(64, 0)
    rtp_timestamp: int = uint(32, 0)
    packet_count: int = uint(32, 0)
    octet_count: int = uint(32, 0)
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""  # profile-specific (RFC 3550 §6.4.1)
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        info = pack("!LQLLL", self.ssrc, self.ntp_timestamp, self.rtp_timestamp, self.packet_count, self.octet_count)
        return SR, len(self.reports), info + b"".join(map(bytes, self.reports)) + self.extension

    @classmethod
    def decode(cls, count: int, body: bytes, padding: bytes) -> SenderReport:
        reports, extension = _reports(body, 4 + SENDER_INFO_LENGTH, count, "sender report")
        ssrc, ntp_timestamp, rtp_timestamp, packet_count, octet_count = unpack_from("!LQLLL", body)
        return cls(ssrc, ntp_timestamp, rtp_timestamp, packet_count, octet_count, reports, extension, padding)


@dataclass(frozen=True)
class ReceiverReport:
    ssrc: int = uint(32, 0)
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""  # profile-specific (RFC 3550 §6.4.2)
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        return RR, len(self.reports), pack("!L", self.ssrc) + b"".join(map(bytes, self.reports)) + self.extension

    @classmethod
    def decode(cls, count: int, body: bytes, padding: bytes) -> ReceiverReport:
        reports, extension = _reports(body, 4, count, "receiver report")
        return cls(unpack_from("!L", body)[0], reports, extension, padding)


@dataclass(frozen=True)
class SdesItem:
    type: int = uint(8, 1)
    value: bytes = field(default=b"", metadata={"max_len": 300})


@dataclass(frozen=True)
class SdesChunk:
    ssrc: int = uint(32, 0)
    items: tuple[SdesItem, ...] = ()

    def __bytes__(self) -> bytes:
        # A value over 255 octets overflows its length octet: a length that lies.
        data = pack("!L", self.ssrc) + b"".join(bytes([i.type, len(i.value) & 0xFF]) + i.value for i in self.items)
        return data + bytes(WORD - len(data) % WORD)  # RFC 3550 §6.5: one to four null octets end a chunk


@dataclass(frozen=True)
class SourceDescription:
    chunks: tuple[SdesChunk, ...] = ()
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        return SDES, len(self.chunks), b"".join(map(bytes, self.chunks))

    @classmethod
    def decode(cls, count: int, body: bytes, padding: bytes) -> SourceDescription:
        chunks, pos = [], 0
        for _ in range(count):
            if len(body) < pos + 4:
                raise ValueError("rtcp sdes chunk is invalid")
            ssrc, pos, items = unpack_from("!L", body, pos)[0], pos + 4, []
            while pos < len(body) and body[pos]:
                if pos + 2 > len(body) or pos + 2 + body[pos + 1] > len(body):
                    raise ValueError("rtcp sdes item is invalid")
                items.append(SdesItem(body[pos], body[pos + 2 : pos + 2 + body[pos + 1]]))
                pos += 2 + body[pos + 1]
            end = pos + 1 + (-(pos + 1) % WORD)
            if end > len(body) or any(body[pos:end]):
                raise ValueError("rtcp sdes chunk is invalid")
            chunks.append(SdesChunk(ssrc, tuple(items)))
            pos = end
        if pos != len(body):
            raise ValueError("rtcp sdes is invalid")
        return cls(tuple(chunks), padding)


@dataclass(frozen=True)
class Goodbye:
    sources: tuple[int, ...] = uint(32, ())
    reason: Optional[bytes] = None  # RFC 3550 §6.6: a length octet, the text, null octets to 32 bits
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        body = b"".join(pack("!L", ssrc) for ssrc in self.sources)
        if self.reason is not None:
            reason = bytes([len(self.reason) & 0xFF]) + self.reason
            body += reason + bytes(-len(reason) % WORD)
        return BYE, len(self.sources), body

    @classmethod
    def decode(cls, count: int, body: bytes, padding: bytes) -> Goodbye:
        if len(body) < 4 * count:
            raise ValueError("rtcp bye is invalid")
        sources, rest = unpack_from(f"!{count}L", body), body[4 * count :]
        reason = None
        if rest:
            length = 1 + rest[0]
            if len(rest) != length + (-length % WORD) or any(rest[length:]):
                raise ValueError("rtcp bye reason is invalid")
            reason = rest[1:length]
        return cls(tuple(sources), reason, padding)


@dataclass(frozen=True)
class ApplicationDefined:
    subtype: int = uint(5, 0)
    ssrc: int = uint(32, 0)
    name: bytes = b"    "  # four ASCII characters (RFC 3550 §6.7)
    data: bytes = b""
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        return APP, self.subtype, pack("!L", self.ssrc) + self.name + self.data

    @classmethod
    def decode(cls, count: int, body: bytes, padding: bytes) -> ApplicationDefined:
        if len(body) < 8:
            raise ValueError("rtcp app is invalid")
        return cls(count, unpack_from("!L", body)[0], body[4:8], body[8:], padding)


@dataclass(frozen=True)
class Feedback:
    """RTPFB or PSFB feedback of a format decoded nowhere else, or whose FCI does not fit its format."""

    packet_type: int = uint(8, RTPFB)
    fmt: int = uint(5, 0)
    sender_ssrc: int = uint(32, 0)
    media_ssrc: int = uint(32, 0)
    fci: bytes = b""
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        return self.packet_type, self.fmt, pack("!LL", self.sender_ssrc, self.media_ssrc) + self.fci


@dataclass(frozen=True)
class NackItem:
    pid: int = uint(16, 0)  # RFC 4585 §6.2.1: a lost packet
    blp: int = uint(16, 0)  # bitmask of the 16 packets after it that are lost too


@dataclass(frozen=True)
class GenericNack:
    sender_ssrc: int = uint(32, 0)
    media_ssrc: int = uint(32, 0)
    items: tuple[NackItem, ...] = ()  # RFC 4585 §6.2.1: at least one
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        fci = b"".join(pack("!HH", item.pid, item.blp) for item in self.items)
        return RTPFB, NACK_FMT, pack("!LL", self.sender_ssrc, self.media_ssrc) + fci


@dataclass(frozen=True)
class TransportFeedback:
    sender_ssrc: int = uint(32, 0)
    media_ssrc: int = uint(32, 0)
    base_sequence: int = uint(16, 0)
    status_count: int = uint(16, 0)
    reference_time: int = uint(24, 0)  # multiples of 64 ms
    feedback_count: int = uint(8, 0)
    chunks: bytes = b""  # packet status chunks, receive deltas and their zero padding, undecoded
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        time_and_count = (self.reference_time & 0xFFFFFF) << 8 | self.feedback_count
        fixed = pack("!LLHHL", self.sender_ssrc, self.media_ssrc, self.base_sequence, self.status_count, time_and_count)
        return RTPFB, TRANSPORT_CC_FMT, fixed + self.chunks


@dataclass(frozen=True)
class PictureLossIndication:
    sender_ssrc: int = uint(32, 0)
    media_ssrc: int = uint(32, 0)
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        return PSFB, PLI_FMT, pack("!LL", self.sender_ssrc, self.media_ssrc)  # RFC 4585 §6.3.1: no FCI


@dataclass(frozen=True)
class FirEntry:
    ssrc: int = uint(32, 0)
    sequence: int = uint(8, 0)
    reserved: int = uint(24, 0)  # RFC 5104 §4.3.1.1: sent as zero, ignored


@dataclass(frozen=True)
class FullIntraRequest:
    sender_ssrc: int = uint(32, 0)
    media_ssrc: int = uint(32, 0)  # RFC 5104 §4.3.1.2: unused, zero
    entries: tuple[FirEntry, ...] = ()
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        fci = b"".join(pack("!LL", e.ssrc, e.sequence << 24 | (e.reserved & 0xFFFFFF)) for e in self.entries)
        return PSFB, FIR_FMT, pack("!LL", self.sender_ssrc, self.media_ssrc) + fci


@dataclass(frozen=True)
class Remb:
    sender_ssrc: int = uint(32, 0)
    media_ssrc: int = uint(32, 0)  # draft-alvestrand-rmcat-remb-03 §2.2: always zero
    exponent: int = uint(6, 0)  # bitrate = mantissa * 2^exponent bits per second
    mantissa: int = uint(18, 0)
    ssrcs: tuple[int, ...] = uint(32, ())
    padding: bytes = b""

    @property
    def bitrate(self) -> int:
        return self.mantissa << self.exponent

    def encode(self) -> tuple[int, int, bytes]:
        fci = REMB_IDENTIFIER + pack("!L", (len(self.ssrcs) & 0xFF) << 24 | self.exponent << 18 | self.mantissa)
        fci += b"".join(pack("!L", ssrc) for ssrc in self.ssrcs)
        return PSFB, AFB_FMT, pack("!LL", self.sender_ssrc, self.media_ssrc) + fci


@dataclass(frozen=True)
class RawPacket:
    packet_type: int = uint(8, 0)
    count: int = uint(5, 0)
    body: bytes = b""
    padding: bytes = b""

    def encode(self) -> tuple[int, int, bytes]:
        return self.packet_type, self.count, self.body


RtcpPacket = Union[
    SenderReport,
    ReceiverReport,
    SourceDescription,
    Goodbye,
    ApplicationDefined,
    GenericNack,
    TransportFeedback,
    PictureLossIndication,
    FullIntraRequest,
    Remb,
    Feedback,
    RawPacket,
]


def _decode_feedback(packet_type: int, fmt: int, body: bytes, padding: bytes) -> RtcpPacket:
    if len(body) < FEEDBACK_HEADER_LENGTH:
        raise ValueError("rtcp feedback is invalid")
    sender, media = unpack_from("!LL", body)
    fci = body[FEEDBACK_HEADER_LENGTH:]
    if packet_type == RTPFB and fmt == NACK_FMT and fci and len(fci) % 4 == 0:
        nacks = (NackItem(*unpack_from("!HH", fci, pos)) for pos in range(0, len(fci), 4))
        return GenericNack(sender, media, tuple(nacks), padding)
    if packet_type == RTPFB and fmt == TRANSPORT_CC_FMT and len(fci) >= TRANSPORT_CC_FIXED_LENGTH:
        base, count, time_and_count = unpack_from("!HHL", fci)
        rest = fci[TRANSPORT_CC_FIXED_LENGTH:]
        return TransportFeedback(sender, media, base, count, time_and_count >> 8, time_and_count & 0xFF, rest, padding)
    if packet_type == PSFB and fmt == PLI_FMT and not fci:
        return PictureLossIndication(sender, media, padding)
    if packet_type == PSFB and fmt == FIR_FMT and fci and len(fci) % 8 == 0:
        words = unpack_from(f"!{len(fci) // 4}L", fci)
        entries = tuple(
            FirEntry(words[i], words[i + 1] >> 24, words[i + 1] & 0xFFFFFF) for i in range(0, len(words), 2)
        )
        return FullIntraRequest(sender, media, entries, padding)
    if packet_type == PSFB and fmt == AFB_FMT and fci[:4] == REMB_IDENTIFIER and len(fci) >= 8:
        word = unpack_from("!L", fci, 4)[0]
        if len(fci) == 8 + 4 * (word >> 24):
            ssrcs = unpack_from(f"!{word >> 24}L", fci, 8)
            return Remb(sender, media, (word >> 18) & 0x3F, word & 0x3FFFF, tuple(ssrcs), padding)
    return Feedback(packet_type, fmt, sender, media, fci, padding)


DECODERS: dict[int, Callable[[int, bytes, bytes], RtcpPacket]] = {
    SR: SenderReport.decode,
    RR: ReceiverReport.decode,
    SDES: SourceDescription.decode,
    BYE: Goodbye.decode,
    APP: ApplicationDefined.decode,
    RTPFB: lambda fmt, body, padding: _decode_feedback(RTPFB, fmt, body, padding),
    PSFB: lambda fmt, body, padding: _decode_feedback(PSFB, fmt, body, padding),
}


def encode_packet(packet: RtcpPacket) -> bytes:
    packet_type, count, body = packet.encode()
    words = (len(body) + len(packet.padding)) // WORD  # a body that is not whole words makes it lie
    first = RTCP_VERSION << 6 | bool(packet.padding) << 5 | count & MAX_COUNT  # over 31 items overflow it
    return pack("!BBH", first, packet_type & 0xFF, words & 0xFFFF) + body + packet.padding


@dataclass(frozen=True)
class CompoundPacket:
    packets: tuple[RtcpPacket, ...] = ()

    def __bytes__(self) -> bytes:
        return b"".join(map(encode_packet, self.packets))

    @classmethod
    def parse(cls, data: bytes) -> CompoundPacket:
        packets, pos = [], 0
        while pos < len(data):
            if len(data) < pos + HEADER_LENGTH:
                raise ValueError("rtcp header is invalid")
            first, packet_type, words = unpack_from("!BBH", data, pos)
            if first >> 6 != RTCP_VERSION:
                raise ValueError("rtcp version is invalid")
            end = pos + HEADER_LENGTH + WORD * words
            if len(data) < end:
                raise ValueError("rtcp length is invalid")
            body, padding = data[pos + HEADER_LENGTH : end], b""
            if first & 0x20:  # RFC 3550 §6.4.1: the last octet counts the padding, itself included
                if not body or not body[-1] or body[-1] > len(body):
                    raise ValueError("rtcp padding is invalid")
                body, padding = body[: -body[-1]], body[-body[-1] :]
            count = first & MAX_COUNT
            decoder = DECODERS.get(packet_type)
            packets.append(decoder(count, body, padding) if decoder else RawPacket(packet_type, count, body, padding))
            pos = end
        if not packets:
            raise ValueError("rtcp compound packet is invalid")
        return cls(tuple(packets))
