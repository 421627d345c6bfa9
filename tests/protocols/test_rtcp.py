"""The RTCP codec against RFC 7714's RTCP packet, recorded aiortc packets and aiortc's own encoders; its
strategies and mutations; and the SRTCP repair of srtcp_rtcp_path checked against pylibsrtp and aiortc."""

import json
import random

import pylibsrtp
import pytest
from aiortc import rtp as aiortc_rtp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness import project
from harness.protocols.rtcp import (
    RTPFB,
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
    SdesChunk,
    SdesItem,
    SenderReport,
    SourceDescription,
    TransportFeedback,
)
from harness.protocols.rtcp_fuzzing import CODEC, mutate, report_blocks, rtcp_compound_packets, rtcp_packets, splice
from harness.target import OracleViolation, load_target

ROOT = project.current().root
VECTORS_DIR = project.current().vectors


VECTORS = json.loads((VECTORS_DIR / "srtp_rfc7714.json").read_text())["vectors"]
RFC7714_RTCP = bytes.fromhex(next(v for v in VECTORS if "rtcp_packet_hex" in v["inputs"])["inputs"]["rtcp_packet_hex"])
RECORDED = sorted(p for p in (ROOT / "corpora/rtcp_parse").iterdir() if p.is_file())
FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None)


def recorded(prefix: str) -> bytes:
    return next(p.read_bytes() for p in RECORDED if p.read_bytes().hex().startswith(prefix))


def test_rfc7714_17_rtcp_packet_length_lies_and_decodes_once_corrected():
    with pytest.raises(ValueError, match="rtcp length is invalid"):  # 0x000d claims 56 octets of 52
        CompoundPacket.parse(RFC7714_RTCP)
    corrected = RFC7714_RTCP[:2] + (len(RFC7714_RTCP) // 4 - 1).to_bytes(2, "big") + RFC7714_RTCP[4:]
    (report,) = CompoundPacket.parse(corrected).packets
    assert isinstance(report, SenderReport)
    assert report.ssrc == int.from_bytes(b"Mars", "big")
    assert report.ntp_timestamp == int.from_bytes(b"NTP1NTP2", "big")
    assert report.rtp_timestamp == int.from_bytes(b"RTP ", "big")
    assert report.packet_count == 0x042A
    assert report.octet_count == 0xE930
    (block,) = report.reports
    assert block.ssrc == int.from_bytes(b"Luna", "big")
    assert block.fraction_lost == 0xDE
    assert block.cumulative_lost == 0xADBEEF - (1 << 24)  # signed 24 bits
    assert block.highest_sequence == block.jitter == block.last_sr == block.delay_since_last_sr == 0xDEADBEEF
    assert (report.extension, report.padding) == (b"", b"")
    assert bytes(CompoundPacket((report,))) == corrected


def test_recorded_sender_report_and_sdes_decode_field_by_field():
    raw = recorded("80c80006ec17")
    report, sdes = CompoundPacket.parse(raw).packets
    assert report == SenderReport(0xEC17BDEC, 0xEEB328302A58D584, 0xC9DEA29F, 0xE0, 0x5840)
    assert sdes == SourceDescription((SdesChunk(0xEC17BDEC, (SdesItem(1, b"d671c9ef-6d1d-48e5-9194-6028cf42e9e4"),)),))
    assert bytes(CompoundPacket((report, sdes))) == raw


def test_recorded_receiver_report_bye_and_remb_decode_field_by_field():
    (rr,) = CompoundPacket.parse(recorded("81c900071e29")).packets
    assert rr == ReceiverReport(0x1E29F613, (ReportBlock(0x389C994F, 0, 0, 0x768D, 0x1A, 0x28297A16, 0xA48B),))
    (bye,) = CompoundPacket.parse(recorded("81cb0001389c")).packets
    assert bye == Goodbye((0x389C994F,))
    (remb,) = CompoundPacket.parse(recorded("8fce0005ec17")).packets
    assert remb == Remb(0xEC17BDEC, 0, 0, 0x873F, (0x94BAC09F,))
    assert remb.bitrate == 0x873F


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.name[:8])
def test_every_recorded_packet_encodes_back_byte_for_byte(path):
    raw = path.read_bytes()
    assert bytes(CompoundPacket.parse(raw)) == raw


def test_aiortc_encoders_decode_to_the_same_values():
    nack = bytes(aiortc_rtp.RtcpRtpfbPacket(fmt=1, ssrc=1, media_ssrc=2, lost=[100, 101, 116, 200]))
    assert CompoundPacket.parse(nack).packets == (GenericNack(1, 2, (NackItem(100, 0x8001), NackItem(200, 0))),)
    pli = bytes(aiortc_rtp.RtcpPsfbPacket(fmt=1, ssrc=3, media_ssrc=4))
    assert CompoundPacket.parse(pli).packets == (PictureLossIndication(3, 4),)
    fci = aiortc_rtp.pack_remb_fci(3_000_000, [5, 6])
    (remb,) = CompoundPacket.parse(bytes(aiortc_rtp.RtcpPsfbPacket(fmt=15, ssrc=7, media_ssrc=0, fci=fci))).packets
    assert isinstance(remb, Remb) and remb.ssrcs == (5, 6)
    assert remb.bitrate == aiortc_rtp.unpack_remb_fci(fci)[0]
    sdes = aiortc_rtp.RtcpSdesPacket(chunks=[aiortc_rtp.RtcpSourceInfo(ssrc=8, items=[(1, b"abc"), (6, b"aiortc")])])
    assert CompoundPacket.parse(bytes(sdes)).packets == (
        SourceDescription((SdesChunk(8, (SdesItem(1, b"abc"), SdesItem(6, b"aiortc"))),)),
    )


def test_feedback_formats_decode_by_their_fci():
    sender, media = 0x01020304, 0x05060708
    twcc = bytes.fromhex("8f cd 0005 01020304 05060708 0001 0002 123456 07 20010400".replace(" ", ""))
    assert CompoundPacket.parse(twcc).packets == (
        TransportFeedback(sender, media, 1, 2, 0x123456, 7, bytes.fromhex("20010400")),
    )
    fir = bytes.fromhex("84ce000401020304000000000a0b0c0d09000000")
    assert CompoundPacket.parse(fir).packets == (FullIntraRequest(sender, 0, (FirEntry(0x0A0B0C0D, 9),)),)
    odd_nack = bytes.fromhex("81cd00020102030405060708")  # a NACK without FCI stays raw
    assert CompoundPacket.parse(odd_nack).packets == (Feedback(RTPFB, 1, sender, media, b""),)
    app = bytes.fromhex("81cc0003010203045445535400000001")
    assert CompoundPacket.parse(app).packets == (ApplicationDefined(1, sender, b"TEST", b"\x00\x00\x00\x01"),)
    xr = bytes.fromhex("80cf000101020304")
    assert CompoundPacket.parse(xr).packets == (RawPacket(207, 0, b"\x01\x02\x03\x04"),)


def test_bye_reason_and_padding():
    raw = bytes.fromhex("a1cb0003010203040362796500000004")
    assert CompoundPacket.parse(raw).packets == (Goodbye((0x01020304,), b"bye", b"\x00\x00\x00\x04"),)
    assert bytes(CompoundPacket.parse(raw)) == raw


@FAST
@given(rtcp_compound_packets(ssrcs=(1, 0xFFFFFFFF)))
def test_compound_packets_round_trip(compound):
    assert CompoundPacket.parse(bytes(compound)) == compound


@pytest.mark.parametrize(
    "data",
    [b"", b"\x80\xc9\x00", b"\x40\xc9\x00\x00", b"\x80\xc9\x00\x01", b"\xa0\xc9\x00\x01\x00\x00\x00\x00"],
    ids=["empty", "short", "version", "length", "padding"],
)
def test_parse_refuses_malformed_packets_with_value_error(data):
    with pytest.raises(ValueError, match="^rtcp .* is invalid$"):
        CompoundPacket.parse(data)


@pytest.mark.parametrize(
    "strategy",
    [
        lambda: rtcp_compound_packets(max_packets=0),
        lambda: rtcp_packets(ssrcs=(-1,)),
        lambda: report_blocks(ssrcs=(1, 2)),
    ],
)
def test_strategies_check_their_arguments(strategy):
    with pytest.raises(InvalidArgument):
        strategy()


@FAST
@given(rtcp_compound_packets(), rtcp_compound_packets(), st.integers(0, 2**32 - 1))
def test_mutate_and_splice_never_raise_and_return_bytes(first, second, seed):
    rng = random.Random(seed)
    for _ in range(10):
        assert isinstance(mutate(first, rng), bytes)
    assert isinstance(splice(first, second, rng), bytes)


def test_mutations_tell_lies_of_every_kind():
    rng = random.Random(3)
    block = ReportBlock(1, 2, 3, 4, 5, 6, 7)
    compound = CompoundPacket((ReceiverReport(1, (block,)), GenericNack(1, 2, (NackItem(5, 0),))))
    seen = set()
    for _ in range(600):
        try:
            packets = CompoundPacket.parse(mutate(compound, rng)).packets
        except ValueError:
            seen.add("undecodable")
            continue
        if len(packets) != 2:
            seen.add("packet count")
        elif any(p.padding for p in packets):
            seen.add("padding")
        elif type(packets[0]) is not ReceiverReport or type(packets[1]) is not GenericNack:
            seen.add("packet type")
        elif packets != compound.packets:
            seen.add("field")
    assert seen == {"undecodable", "packet count", "padding", "packet type", "field"}
    assert CODEC.crossover(bytes(compound), bytes(compound), rng) is not None


# The repair of srtcp_rtcp_path, against the component: pylibsrtp and aiortc accept what it protected,
# and refuse it once a single bit of it is flipped.

TARGET = load_target("srtcp_rtcp_path")
REPORTS = st.sampled_from((SenderReport(1), ReceiverReport(2)))
SIMPLE = st.builds(lambda first, rest: CompoundPacket((first, *rest)), REPORTS, st.lists(REPORTS, max_size=2))


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(SIMPLE, st.randoms())
def test_the_component_accepts_what_the_repair_protected_and_refuses_it_broken(compound, rng):
    plaintext = bytes(compound)
    protected = TARGET.repair(plaintext)
    assert protected != plaintext
    assert len(TARGET.entry(protected)) == len(compound.packets)
    position = rng.randrange(len(protected))
    broken = protected[:position] + bytes([protected[position] ^ 1 << rng.randrange(8)]) + protected[position + 1 :]
    if 127 < broken[0] < 192:
        with pytest.raises(pylibsrtp.Error):
            TARGET.entry(broken)
    else:  # no longer an SRTP datagram: RTCDtlsTransport._recv_next does not unprotect it
        assert TARGET.entry(broken) is None


@given(st.binary(max_size=2000))
@settings(max_examples=200, deadline=None, derandomize=True, database=None)
def test_the_repair_never_raises_and_leaves_what_it_cannot_protect(data):
    repaired = TARGET.repair(data)
    assert isinstance(repaired, bytes)
    if len(data) > 1500:
        assert repaired == data


def test_the_oracle_holds_for_recorded_packets_and_catches_what_aiortc_cannot_serialize():
    assert TARGET.oracle is not None
    for path in RECORDED:
        raw = path.read_bytes()
        TARGET.oracle(raw, TARGET.entry(TARGET.repair(raw)))
    unsorted = bytes(CompoundPacket((GenericNack(1, 2, (NackItem(9, 0), NackItem(3, 0))),)))
    with pytest.raises(OracleViolation):
        TARGET.oracle(unsorted, TARGET.entry(TARGET.repair(unsorted)))


def test_inner_counts_lie_too():
    rng = random.Random(5)
    compound = CompoundPacket((Remb(1, 0, 2, 3, (4,)),))
    decoded = set()
    for _ in range(400):
        try:
            decoded.update(type(p) for p in CompoundPacket.parse(mutate(compound, rng)).packets)
        except ValueError:
            pass
    assert Feedback in decoded, "an SSRC count that lies leaves the REMB undecodable as one"
