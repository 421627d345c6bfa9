"""The capture codec against an independent one (dpkt), every link type it reads, and malformed files."""

import io
import struct
from pathlib import Path

import dpkt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.protocols import demux, pcap

UDP_V4 = pcap.Segment(pcap.UDP, ("127.0.0.1", 40000), ("127.0.0.1", 40001), b"\x00\x01\x00\x00stun-ish")
TCP_V4 = pcap.Segment(pcap.TCP, ("127.0.0.1", 38001), ("127.0.0.1", 38002), b'{"type": "offer"}\n', 1234)
UDP_V6 = pcap.Segment(pcap.UDP, ("::1", 5000), ("::1", 5001), b"\x80\x60\x00\x01rtp-ish")
SEGMENTS = (UDP_V4, TCP_V4, UDP_V6)


def _recomputed_by_dpkt(frame: bytes) -> bytes:
    """The frame as dpkt writes it with its own checksums (it fills in a checksum left 0)."""
    ip = dpkt.ip.IP(frame) if frame[0] >> 4 == 4 else dpkt.ip6.IP6(frame)
    if isinstance(ip, dpkt.ip.IP):
        ip.sum = 0
    ip.data.sum = 0
    return bytes(ip)


@pytest.mark.parametrize("segment", SEGMENTS, ids=["udp4", "tcp4", "udp6"])
def test_frames_written_here_carry_the_checksums_dpkt_computes(segment):
    frame = pcap.frame_of(segment)
    assert _recomputed_by_dpkt(frame) == frame
    assert pcap.segment_of(pcap.Packet(pcap.LINKTYPE_RAW, 0, frame)) == segment


def test_a_pcapng_written_here_is_read_by_dpkt_with_its_frames_and_nanosecond_timestamps():
    packets = [
        pcap.Packet(pcap.LINKTYPE_RAW, 1_700_000_000_123_456_789 + n, pcap.frame_of(s)) for n, s in enumerate(SEGMENTS)
    ]
    secrets = [pcap.Secrets(pcap.TLS_KEY_LOG, b"CLIENT_RANDOM 00 11\n")]
    data = pcap.write_pcapng(packets, secrets)
    read_by_dpkt = list(dpkt.pcapng.Reader(io.BytesIO(data)))
    assert [buf for _, buf in read_by_dpkt] == [p.data for p in packets]
    assert [round(ts * 1e6) for ts, _ in read_by_dpkt] == [round(p.timestamp_ns / 1e3) for p in packets]
    again = pcap.read(data)
    assert again.packets == packets and again.secrets == secrets


@pytest.mark.parametrize("nano", [False, True])
def test_a_pcap_written_by_dpkt_is_read_here(nano):
    frames = [bytes(dpkt.ethernet.Ethernet(data=dpkt.ip.IP(pcap.frame_of(s)), type=0x0800)) for s in (UDP_V4, TCP_V4)]
    frames.append(bytes(dpkt.ethernet.Ethernet(data=dpkt.ip6.IP6(pcap.frame_of(UDP_V6)), type=0x86DD)))
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, linktype=dpkt.pcap.DLT_EN10MB, nano=nano)
    for number, frame in enumerate(frames):
        writer.writepkt(frame, ts=1_700_000_000 + number)
    capture = pcap.read(out.getvalue())
    assert [pcap.segment_of(p) for p in capture.packets] == list(SEGMENTS)
    assert [p.timestamp_ns for p in capture.packets] == [(1_700_000_000 + n) * 10**9 for n in range(3)]


def test_our_pcap_round_trips_and_dpkt_reads_it():
    packets = [pcap.Packet(pcap.LINKTYPE_RAW, 5 * 10**9 + 7, pcap.frame_of(s)) for s in SEGMENTS]
    data = pcap.write_pcap(packets, pcap.LINKTYPE_RAW)
    assert pcap.read(data).packets == packets
    assert [buf for _, buf in dpkt.pcap.Reader(io.BytesIO(data))] == [p.data for p in packets]


IP4, IP6 = pcap.frame_of(UDP_V4), pcap.frame_of(UDP_V6)


@pytest.mark.parametrize(
    "link_type, frame, segment",
    [
        (pcap.LINKTYPE_NULL, struct.pack("<I", 2) + IP4, UDP_V4),  # host byte order
        (pcap.LINKTYPE_NULL, struct.pack("<I", 30) + IP6, UDP_V6),
        (pcap.LINKTYPE_LOOP, struct.pack(">I", 2) + IP4, UDP_V4),  # network byte order
        (pcap.LINKTYPE_LOOP, struct.pack(">I", 24) + IP6, UDP_V6),
        (pcap.LINKTYPE_ETHERNET, bytes(12) + b"\x81\x00\x00\x05\x08\x00" + IP4, UDP_V4),  # an 802.1Q tag
        (pcap.LINKTYPE_LINUX_SLL, bytes(14) + b"\x08\x00" + IP4, UDP_V4),
        (pcap.LINKTYPE_LINUX_SLL2, b"\x86\xdd" + bytes(18) + IP6, UDP_V6),
        (pcap.LINKTYPE_IPV4, IP4, UDP_V4),
        (pcap.LINKTYPE_IPV6, IP6, UDP_V6),
        (pcap.LINKTYPE_ETHERNET, bytes(12) + b"\x08\x06" + bytes(28), None),  # ARP: passed over
    ],
)
def test_every_link_type_gives_its_udp_payload(link_type, frame, segment):
    assert pcap.segment_of(pcap.Packet(link_type, 0, frame)) == segment


def test_ipv4_fragments_and_ipv6_extension_headers():
    fragment = bytearray(IP4)
    fragment[6] = 0x20  # more fragments
    assert pcap.segment_of(pcap.Packet(pcap.LINKTYPE_RAW, 0, bytes(fragment))) is None
    # A hop-by-hop options header (8 octets) before the UDP header.
    hop_by_hop = bytearray(IP6[:40]) + bytes([17, 0]) + bytes(6) + IP6[40:]
    hop_by_hop[6] = 0
    hop_by_hop[4:6] = (len(IP6) - 40 + 8).to_bytes(2, "big")
    assert pcap.segment_of(pcap.Packet(pcap.LINKTYPE_RAW, 0, bytes(hop_by_hop))) == UDP_V6


def test_a_big_endian_pcapng_section_with_a_microsecond_interface():
    def block(block_type: int, body: bytes) -> bytes:
        return struct.pack(">II", block_type, len(body) + 12) + body + struct.pack(">I", len(body) + 12)

    frame = IP4 + bytes(-len(IP4) % 4)
    data = (
        block(pcap.SECTION_HEADER, struct.pack(">IHHq", pcap.BYTE_ORDER_MAGIC, 1, 0, -1))
        + block(pcap.INTERFACE_DESCRIPTION, struct.pack(">HHI", pcap.LINKTYPE_RAW, 0, 0))
        + block(pcap.ENHANCED_PACKET, struct.pack(">IIIII", 0, 0, 2_000_001, len(IP4), len(IP4)) + frame)
    )
    (packet,) = pcap.read(data).packets
    assert packet.timestamp_ns == 2_000_001_000 and pcap.segment_of(packet) == UDP_V4


@pytest.mark.parametrize(
    "data, field",
    [
        (b"", "file header"),
        (b"\x00" * 24, "magic number"),
        (struct.pack("<IHHiIII", pcap.PCAP_MICROSECONDS, 2, 4, 0, 0, 65535, 1) + bytes(10), "packet record header"),
        (
            struct.pack("<IHHiIII", pcap.PCAP_MICROSECONDS, 2, 4, 0, 0, 65535, 1) + struct.pack("<IIII", 0, 0, 99, 99),
            "packet record length",
        ),
        (struct.pack("<II", pcap.SECTION_HEADER, 28) + struct.pack("<I", 0xDEADBEEF) + bytes(16), "byte-order magic"),
        (pcap.write_pcapng([])[:-1], "block"),
    ],
)
def test_malformed_captures_are_refused_with_the_field_named(data, field):
    with pytest.raises(ValueError, match=f"pcap {field}.* is invalid"):
        pcap.read(data)


@given(st.binary(max_size=200))
def test_any_bytes_are_a_capture_or_a_value_error(data):
    for candidate in (data, pcap.write_pcapng([])[:28] + data, pcap.write_pcap([], 1) + data):
        try:
            capture = pcap.read(candidate)
        except ValueError:
            continue
        for packet in capture.packets:
            try:
                pcap.segment_of(packet)
            except ValueError:
                pass


@pytest.mark.parametrize(
    "datagram, kind",
    [
        (b"\x00\x01", demux.STUN),
        (b"\x03", demux.STUN),
        (b"\x04", None),
        (b"\x10", demux.ZRTP),
        (b"\x13", demux.ZRTP),
        (b"\x14", demux.DTLS),
        (b"\x3f", demux.DTLS),
        (b"\x40", demux.TURN_CHANNEL),
        (b"\x4f", demux.TURN_CHANNEL),
        (b"\x50", None),
        (b"\x7f", None),
        (b"\x80\x60", demux.RTP),  # payload type 96
        (b"\x80\xe0", demux.RTP),  # marker and payload type 96: 224, past RTCP's range
        (b"\x80\xc8", demux.RTCP),  # sender report, 200
        (b"\x81\xdf", demux.RTCP),  # 223, the last RTCP type RFC 5761 reserves
        (b"\xbf\xc0", demux.RTCP),
        (b"\xc0\xc8", None),
        (b"", None),
    ],
)
def test_rfc_7983_first_octet_ranges_and_rfc_5761_rtcp_types(datagram, kind):
    assert demux.kind_of(datagram) == kind


def test_turn_channel_data_is_unwrapped_to_what_it_carries():
    inner = b"\x80\xc8" + bytes(26)
    assert demux.classify(b"\x40\x00" + len(inner).to_bytes(2, "big") + inner + b"\x00\x00") == (demux.RTCP, inner)


CAPTURES = Path(__file__).parent / "captures"


@pytest.mark.parametrize("name", ["loopback-ethernet.pcap", "loopback-ethernet-nano.pcap", "loopback-sll2.pcap"])
def test_captures_tcpdump_wrote_on_the_loopback_interface(name):
    """tcpdump 4.99 on Linux: `-i lo` (Ethernet), `-i any` (LINUX_SLL2), microsecond and nanosecond files."""
    (packet,) = pcap.read((CAPTURES / name).read_bytes()).packets
    expected = pcap.Segment(pcap.UDP, ("127.0.0.1", 45677), ("127.0.0.1", 45678), b"\x00\x01\x00\x00tcpdump")
    assert pcap.segment_of(packet) == expected
