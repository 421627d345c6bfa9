"""The RTP codec against RFC 7714's RTP packet, RFC 8285's extension layout and recorded aiortc packets;
its strategies and mutations; and the SRTP repair of srtp_rtp_path checked against pylibsrtp and aiortc."""

import json
import random
from dataclasses import replace

import pylibsrtp
import pytest
from aiortc.rtp import RtpPacket as AiortcRtpPacket
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness import project
from harness.protocols.rtp import (
    CODEC,
    ONE_BYTE_PROFILE,
    ExtensionElement,
    ExtensionPadding,
    OneByteExtension,
    RawExtension,
    RtpPacket,
    TwoByteExtension,
    header_extensions,
    mutate,
    paddings,
    rtp_packets,
    splice,
)
from harness.target import OracleViolation, load_target

ROOT = project.current().root
VECTORS_DIR = project.current().vectors


VECTORS = json.loads((VECTORS_DIR / "srtp_rfc7714.json").read_text())["vectors"]
RECORDED = sorted(p for p in (ROOT / "corpora/rtp_parse").iterdir() if p.is_file())
FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None)


def recorded(prefix: str) -> bytes:
    return next(p.read_bytes() for p in RECORDED if p.read_bytes().hex().startswith(prefix))


def test_rfc7714_16_rtp_packet_decodes_field_by_field_and_encodes_back():
    raw = bytes.fromhex(VECTORS[0]["inputs"]["rtp_packet_hex"])
    packet = RtpPacket.parse(raw)
    assert packet.version == 2
    assert packet.padding == b""
    assert packet.extension is None
    assert packet.csrc == ()
    assert packet.marker is False
    assert packet.payload_type == 0x40
    assert packet.sequence_number == 0xF17B == VECTORS[0]["inputs"]["sequence_number"]
    assert packet.timestamp == 0x8041F8D3
    assert packet.ssrc == 0x5501A0B2 == int(VECTORS[0]["inputs"]["ssrc_hex"], 16)
    assert packet.payload == b"Gallia est omnis divisa in partes tres"
    assert bytes(packet) == raw


def test_rfc8285_4_2_one_byte_example_layout_decodes_with_its_padding():
    # The layout RFC 8285 §4.2 draws (IDs, data octets are ours): length=3; ID L=0 data; ID L=1
    # data data; 0 (pad) 0 (pad); ID L=3 data data data data.
    raw = bytes.fromhex("900000010000000200000003bede000310aa21bbbb000033ccccccccff")
    extension = RtpPacket.parse(raw).extension
    assert extension == OneByteExtension(
        (
            ExtensionElement(1, b"\xaa"),
            ExtensionElement(2, b"\xbb\xbb"),
            ExtensionPadding(2),
            ExtensionElement(3, b"\xcc" * 4),
        )
    )
    assert bytes(RtpPacket.parse(raw)) == raw


def test_one_byte_id_15_stops_processing_and_keeps_the_rest_raw():
    raw = bytes.fromhex("900000010000000200000003bede000110aaf1ee")
    assert RtpPacket.parse(raw).extension == OneByteExtension((ExtensionElement(1, b"\xaa"),), b"\xf1\xee")


def test_two_byte_and_unknown_profiles():
    raw = bytes.fromhex("900000010000000200000003100500020100020361626300")
    assert RtpPacket.parse(raw).extension == TwoByteExtension(
        (ExtensionElement(1, b""), ExtensionElement(2, b"abc"), ExtensionPadding(1)), appbits=5
    )
    raw = bytes.fromhex("900000010000000200000003abac000101020304")
    assert RtpPacket.parse(raw).extension == RawExtension(0xABAC, b"\x01\x02\x03\x04")


def test_recorded_aiortc_audio_packet_decodes_field_by_field():
    raw = recorded("90e077c3")  # aiortc's Opus packet: mid and audio level extensions
    packet = RtpPacket.parse(raw)
    assert (packet.version, packet.padding, packet.csrc) == (2, b"", ())
    assert packet.marker is True
    assert packet.payload_type == 96
    assert packet.sequence_number == 0x77C3
    assert packet.timestamp == 0x93A41D30
    assert packet.ssrc == 0x389C994F
    assert packet.extension == OneByteExtension((ExtensionElement(1, b"0"), ExtensionElement(2, b"\x7f")))
    assert packet.payload == bytes.fromhex("fcfffe")
    assert bytes(packet) == raw


def test_recorded_aiortc_video_packet_decodes_field_by_field():
    raw = recorded("90e17a02")  # aiortc's VP8 packet: mid, abs-send-time, padding between elements
    packet = RtpPacket.parse(raw)
    assert packet.marker is True
    assert packet.payload_type == 97
    assert packet.sequence_number == 0x7A02
    assert packet.timestamp == 0xC9DEDD38
    assert packet.ssrc == 0xEC17BDEC
    assert packet.extension == OneByteExtension(
        (ExtensionElement(1, b"1"), ExtensionElement(3, bytes.fromhex("c15335")), ExtensionPadding(2))
    )
    assert len(packet.payload) == len(raw) - 24
    assert bytes(packet) == raw


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.name[:8])
def test_every_recorded_packet_encodes_back_byte_for_byte(path):
    raw = path.read_bytes()
    assert bytes(RtpPacket.parse(raw)) == raw


@FAST
@given(rtp_packets(extension_ids=(1, 2, 3)))
def test_packets_round_trip(packet):
    assert RtpPacket.parse(bytes(packet)) == packet


def stops_at_id_15(packet: RtpPacket) -> bool:
    return isinstance(packet.extension, OneByteExtension) and bool(packet.extension.rest)


@FAST
@given(rtp_packets(extension_ids=(1, 2, 3)).filter(lambda packet: not stops_at_id_15(packet)))
def test_aiortc_reads_the_same_header_fields(packet):
    # aiortc reads an ID 15 element as any other (RFC 8285 §4.2 says to stop there), so those are left out.
    theirs = AiortcRtpPacket.parse(bytes(packet))
    assert (theirs.payload_type, theirs.sequence_number, theirs.timestamp, theirs.ssrc) == (
        packet.payload_type,
        packet.sequence_number,
        packet.timestamp,
        packet.ssrc,
    )
    assert (theirs.marker, theirs.csrc, theirs.payload, theirs.padding_size) == (
        packet.marker,
        list(packet.csrc),
        packet.payload,
        len(packet.padding),
    )


@pytest.mark.parametrize(
    "data",
    [b"", b"\x80" * 11, b"\x40" + bytes(11), b"\x81" + bytes(11), b"\x90" + bytes(11), b"\xa0" + bytes(11)],
    ids=["empty", "short", "version", "csrc", "extension", "padding"],
)
def test_parse_refuses_malformed_packets_with_value_error(data):
    with pytest.raises(ValueError, match="^rtp .* is invalid$"):
        RtpPacket.parse(data)


@pytest.mark.parametrize(
    "strategy",
    [
        lambda: rtp_packets(payload_types=(128,)),
        lambda: rtp_packets(max_payload_size=-1),
        lambda: header_extensions(ids=(0,)),
        lambda: paddings(max_size=256),
    ],
)
def test_strategies_check_their_arguments(strategy):
    with pytest.raises(InvalidArgument):
        strategy()


@FAST
@given(rtp_packets(), rtp_packets(), st.integers(0, 2**32 - 1))
def test_mutate_and_splice_never_raise_and_return_bytes(first, second, seed):
    rng = random.Random(seed)
    for _ in range(10):
        assert isinstance(mutate(first, rng), bytes)
    assert isinstance(splice(first, second, rng), bytes)


def test_mutations_tell_lies_of_every_kind():
    rng = random.Random(7)
    extension = OneByteExtension((ExtensionElement(1, b"ab"), ExtensionPadding(1)))
    packet = RtpPacket(96, 1, 2, 3, csrc=(4,), extension=extension, padding=b"\x00\x02")
    seen = set()
    for _ in range(600):
        data = mutate(packet, rng)
        try:
            again = RtpPacket.parse(data)
        except ValueError:
            seen.add("undecodable")
            continue
        if again.csrc != packet.csrc:
            seen.add("csrc")
        if again.extension is None or isinstance(again.extension, (TwoByteExtension, RawExtension)):
            seen.add("extension form")
        elif again.extension != packet.extension:
            seen.add("extension element")
        if again.payload_type != packet.payload_type or again.ssrc != packet.ssrc:
            seen.add("header field")
    assert seen == {"undecodable", "csrc", "extension form", "extension element", "header field"}
    assert any(CODEC.mutator(bytes(packet), rng) != bytes(packet) for _ in range(5))


# The repair of srtp_rtp_path, against the component: pylibsrtp and aiortc accept what it protected,
# and refuse it once a single bit of it is flipped.

TARGET = load_target("srtp_rtp_path")


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(rtp_packets(payload_types=range(0, 64)).map(lambda p: replace(p, extension=None)), st.randoms())
def test_the_component_accepts_what_the_repair_protected_and_refuses_it_broken(packet, rng):
    plaintext = bytes(packet)
    protected = TARGET.repair(plaintext)
    assert protected != plaintext and protected[:12] == plaintext[:12]
    received = TARGET.entry(protected)
    assert received.payload == packet.payload and received.ssrc == packet.ssrc
    position = rng.randrange(12, len(protected))
    broken = protected[:position] + bytes([protected[position] ^ 1 << rng.randrange(8)]) + protected[position + 1 :]
    with pytest.raises(pylibsrtp.Error):
        TARGET.entry(broken)


@given(st.binary(max_size=2000))
@settings(max_examples=200, deadline=None, derandomize=True, database=None)
def test_the_repair_never_raises_and_leaves_what_it_cannot_protect(data):
    repaired = TARGET.repair(data)
    assert isinstance(repaired, bytes)
    if len(data) > 1500:
        assert repaired == data


def test_the_oracle_holds_for_recorded_packets_and_catches_a_changed_field():
    assert TARGET.oracle is not None
    for path in RECORDED:
        raw = path.read_bytes()
        TARGET.oracle(raw, TARGET.entry(TARGET.repair(raw)))
    received = TARGET.entry(TARGET.repair(raw))
    received.payload_type = 200  # 8 bits where 7 fit: serialize spills it into the marker bit
    with pytest.raises(OracleViolation):
        TARGET.oracle(raw, received)


def test_extension_profile_constant_is_the_venerable_bede():
    assert ONE_BYTE_PROFILE.to_bytes(2, "big") == b"\xbe\xde"
