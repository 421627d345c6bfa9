"""The SCTP codec (harness.protocols.sctp): CRC32c vectors, recorded packets, round trips, mutations, repair.

RFC 9260 prints no packet in hex, so the decoding examples are packets aiortc itself sent
(corpora/sctp_packet, recorded from a live pair), read from their files and checked field by field.
"""

import random
from pathlib import Path

import google_crc32c
import pytest
from aiortc.rtcsctptransport import DataChunk as AiortcDataChunk
from aiortc.rtcsctptransport import ForwardTsnChunk as AiortcForwardTsnChunk
from aiortc.rtcsctptransport import SackChunk as AiortcSackChunk
from aiortc.rtcsctptransport import parse_packet, serialize_packet
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness import project
from harness.protocols import sctp, sctp_fuzzing
from harness.protocols.crc32c import crc32c
from harness.target import load_target, targets_module

ROOT = project.current().root

RECORDED = ROOT / "corpora" / "sctp_packet"


def recorded(prefix: str) -> bytes:
    (path,) = RECORDED.glob(prefix + "*")
    return path.read_bytes()


# RFC 3720 Appendix B.4 (the CRC32c examples RFC 9260 Appendix A relies on): the CRC as printed, in wire order.
@pytest.mark.parametrize(
    "data, printed_crc",
    [
        (bytes(32), "aa 36 91 8a"),  # 32 bytes of zeroes
        (b"\xff" * 32, "43 ab a8 62"),  # 32 bytes of ones
        (bytes(range(32)), "4e 79 dd 46"),  # 32 bytes of incrementing 00..1f
        (bytes(reversed(range(32))), "5c db 3f 11"),  # 32 bytes of decrementing 1f..00
        (
            bytes.fromhex(
                "01c00000 00000000 00000000 00000000 14000000 00000400 00000014 00000018"
                "28000000 00000000 02000000 00000000"
            ),
            "56 3a 96 d9",
        ),  # an iSCSI SCSI Read (10) PDU
    ],
)
def test_crc32c_matches_the_rfc3720_examples(data, printed_crc):
    assert crc32c(data).to_bytes(4, "little") == bytes.fromhex(printed_crc)


@given(st.binary(max_size=300))
def test_crc32c_agrees_with_the_crc_aiortc_uses(data):
    assert crc32c(data) == google_crc32c.value(data)


def test_a_recorded_init_decodes_field_by_field():
    data = recorded("25c2864b")
    packet = sctp.SctpPacket.parse(data)
    assert packet.source_port == 5000
    assert packet.destination_port == 5000
    assert packet.verification_tag == 0  # RFC 9260 §8.5.1: an INIT carries tag 0
    assert packet.checksum == sctp.checksum_of(data)
    (init,) = packet.chunks
    assert isinstance(init, sctp.InitChunk)
    assert init.chunk_type == sctp.INIT
    assert init.flags == 0
    assert init.initiate_tag == int.from_bytes(data[16:20], "big") != 0
    assert init.advertised_rwnd == 1024 * 1024
    assert init.outbound_streams == 65535
    assert init.inbound_streams == 65535
    assert init.initial_tsn == int.from_bytes(data[28:32], "big")
    assert init.parameters == (sctp.ForwardTsnSupported(), sctp.SupportedExtensions((sctp.FORWARD_TSN, sctp.RECONFIG)))
    assert bytes(packet) == data


def test_a_recorded_init_ack_carries_a_state_cookie():
    data = recorded("cd126692")
    (init_ack,) = sctp.SctpPacket.parse(data).chunks
    assert isinstance(init_ack, sctp.InitChunk) and init_ack.chunk_type == sctp.INIT_ACK
    cookie = init_ack.parameters[-1]
    assert isinstance(cookie, sctp.StateCookie)
    assert len(cookie.cookie) == 24  # aiortc's cookie: a 4-byte timestamp and an HMAC-SHA1
    assert bytes(sctp.SctpPacket.parse(data)) == data


def test_recorded_reconfig_sack_and_data_decode_field_by_field():
    (reset,) = sctp.SctpPacket.parse(recorded("2f08699f")).chunks
    assert isinstance(reset, sctp.ParametersChunk) and reset.chunk_type == sctp.RECONFIG
    (request,) = reset.parameters
    assert isinstance(request, sctp.OutgoingResetRequest)
    assert request.streams == (3,)
    (response_chunk,) = sctp.SctpPacket.parse(recorded("0cabf126")).chunks
    assert isinstance(response_chunk, sctp.ParametersChunk)
    (response,) = response_chunk.parameters
    assert isinstance(response, sctp.ReconfigResponse)
    assert response.result == 1  # RFC 6525 §4.4: success, performed
    assert response.next_tsns == ()
    (sack,) = sctp.SctpPacket.parse(recorded("f322b06a")).chunks
    assert isinstance(sack, sctp.SackChunk) and sack.gaps == () and sack.duplicates == ()
    (data,) = sctp.SctpPacket.parse(recorded("d1faafa9")).chunks
    assert isinstance(data, sctp.DataChunk)
    assert data.flags == sctp.FLAG_BEGIN | sctp.FLAG_END | sctp.FLAG_UNORDERED
    assert data.stream_id == 3
    assert data.protocol == sctp.PPID_BINARY
    assert data.user_data == b"\x02"


def test_every_recorded_packet_decodes_and_encodes_back_byte_for_byte():
    files = [path for path in RECORDED.iterdir() if path.is_file()]
    assert files
    for path in files:
        assert bytes(sctp.SctpPacket.parse(path.read_bytes())) == path.read_bytes(), path.name


def test_chunks_aiortc_serializes_decode_to_the_same_fields():
    data = AiortcDataChunk(flags=sctp.FLAG_BEGIN, body=None)
    data.tsn, data.stream_id, data.stream_seq, data.protocol, data.user_data = 7, 2, 9, sctp.PPID_STRING, b"hi"
    sack = AiortcSackChunk()
    sack.cumulative_tsn, sack.advertised_rwnd, sack.gaps, sack.duplicates = 100, 5000, [(2, 3), (5, 5)], [99]
    forward = AiortcForwardTsnChunk()
    forward.cumulative_tsn, forward.streams = 42, [(1, 2), (3, 4)]
    expected = [
        sctp.DataChunk(sctp.FLAG_BEGIN, 7, 2, 9, sctp.PPID_STRING, b"hi"),
        sctp.SackChunk(0, 100, 5000, ((2, 3), (5, 5)), (99,)),
        sctp.ForwardTsnChunk(0, 42, ((1, 2), (3, 4))),
    ]
    for chunk, ours in zip((data, sack, forward), expected):
        packet = serialize_packet(5000, 5000, 1, chunk)
        assert sctp.SctpPacket.parse(packet).chunks == (ours,)
        assert sctp.encode_chunk(ours) == bytes(chunk)


@settings(max_examples=300, deadline=None)
@given(sctp_fuzzing.sctp_packets())
def test_packets_round_trip_and_aiortc_accepts_them(packet):
    data = bytes(packet)
    assert sctp.SctpPacket.parse(data) == packet
    assert len(parse_packet(data)[3]) <= len(packet.chunks)  # a correct checksum, chunks it can parse


@pytest.mark.parametrize(
    "data",
    [
        b"\x13\x88\x13\x88\x00\x00\x00",  # shorter than the common header
        bytes(12) + b"\x00\x00\x00\x03",  # a chunk length below the chunk header
        bytes(12) + b"\x00\x00\x00\x40" + bytes(8),  # a chunk length past the packet
        bytes(12) + b"\x03\x00\x00\x14" + bytes(8) + b"\x00\x01\x00\x00",  # a SACK that counts a missing gap
        bytes(12) + b"\x00\x03\x00\x08\x00\x00\x00\x01",  # a DATA chunk without TSN, stream, PPID
        bytes(12) + b"\x82\x00\x00\x08\x00\x10\x00\x04",  # a RE-CONFIG response without its fields
    ],
)
def test_malformed_packets_are_refused_with_value_error(data):
    with pytest.raises(ValueError, match="^SCTP .* is invalid$"):
        sctp.SctpPacket.parse(data)


def test_unknown_chunk_and_parameter_types_decode_raw():
    unknown = sctp.RawChunk(0xC1, 0x12, b"\x01\x02\x03")
    init = sctp.InitChunk(sctp.INIT, 0, 1, 2, 3, 4, 5, (sctp.RawParameter(0x8001, b"\xaa"),))
    packet = sctp.SctpPacket(1, 2, 3, 0, (unknown, init)).sealed()
    assert sctp.SctpPacket.parse(bytes(packet)) == packet


def test_strategies_check_their_arguments():
    with pytest.raises(InvalidArgument):
        sctp_fuzzing.sctp_packets(max_chunks=0)
    with pytest.raises(InvalidArgument):
        sctp_fuzzing.sctp_packets(verification_tag=1 << 32)
    with pytest.raises(InvalidArgument):
        sctp_fuzzing.data_chunks(max_user_data=0)


@settings(max_examples=300, deadline=None)
@given(sctp_fuzzing.sctp_packets(), st.randoms(use_true_random=False))
def test_mutate_returns_bytes_and_never_raises(packet, rng):
    mutated = sctp_fuzzing.mutate(packet, rng)
    assert isinstance(mutated, bytes)
    again = sctp_fuzzing.CODEC.mutator(mutated, rng)
    assert again is None or isinstance(again, bytes)


def test_mutate_changes_most_packets():
    rng = random.Random(1)
    packet = sctp.SctpPacket(
        5000, 5000, 1, 0, (sctp.DataChunk(3, 1, 0, 0, sctp.PPID_BINARY, b"x"), sctp.SackChunk(0, 1, 2, ((1, 2),), ()))
    ).sealed()
    changed = sum(sctp_fuzzing.mutate(packet, rng) != bytes(packet) for _ in range(200))
    assert changed > 150


@given(sctp_fuzzing.sctp_packets(), sctp_fuzzing.sctp_packets(), st.randoms(use_true_random=False))
def test_splice_gives_a_decodable_packet(first, second, rng):
    spliced = sctp_fuzzing.CODEC.crossover(bytes(first), bytes(second), rng)
    assert isinstance(sctp.SctpPacket.parse(spliced), sctp.SctpPacket)


@given(st.binary(max_size=200), st.integers(0, 0xFFFFFFFF))
def test_repair_takes_any_bytes_and_keeps_their_length(data, tag):
    assert len(sctp.repair(data, local_tag=tag)) == len(data)


@given(sctp_fuzzing.sctp_packets(), st.integers(0, 0xFFFFFFFF))
def test_repaired_packets_pass_aiortcs_checksum_and_breaking_it_fails(packet, tag):
    repaired = sctp.repair(bytes(packet), local_tag=tag)
    parse_packet(repaired)
    broken = repaired[:8] + bytes([repaired[8] ^ 1]) + repaired[9:]
    with pytest.raises(ValueError, match="checksum"):
        parse_packet(broken)


# The repair against the association itself (the sctp_chunks target): it answers what it accepted.


@pytest.fixture(scope="module")
def association():
    load_target("sctp_chunks")
    return targets_module("sctp_chunks")


def answers(module, data: bytes) -> list[sctp.Chunk]:
    """The chunks the association sent after its handshake (INIT, COOKIE ECHO, DCEP OPEN) and before its ABORT."""
    sent = module.receive(data)
    return [chunk for packet in sent[3:-1] for chunk in sctp.SctpPacket.parse(packet).chunks]


def test_the_association_acknowledges_a_repaired_data_packet_only(association):
    chunk = sctp.DataChunk(3, association.PEER_TSN, 2, 0, sctp.PPID_BINARY, b"hello")
    unrepaired = bytes(sctp.SctpPacket(5000, 5000, 0xBAD, 0xBAD, (chunk,)))
    repaired = association.repair(unrepaired)
    acks = answers(association, repaired)
    assert [type(c) for c in acks] == [sctp.SackChunk]
    assert acks[0].cumulative_tsn == association.PEER_TSN
    assert answers(association, unrepaired) == []
    wrong_crc = repaired[:8] + bytes([repaired[8] ^ 0x80]) + repaired[9:]
    assert answers(association, wrong_crc) == []
    wrong_tag = sctp.seal(repaired, verification_tag=association.LOCAL_TAG ^ 1)
    assert answers(association, wrong_tag) == []


def test_the_association_answers_a_repaired_init_whose_tag_is_zero(association):
    init = sctp.InitChunk(sctp.INIT, 0, 0x1234, 0x10000, 16, 16, 99, ())
    repaired = association.repair(bytes(sctp.SctpPacket(5000, 5000, 0xBAD, 0, (init,))))
    assert repaired[4:8] == bytes(4)
    assert [c.chunk_type for c in answers(association, repaired)] == [sctp.INIT_ACK]
    with_local_tag = sctp.seal(repaired, verification_tag=association.LOCAL_TAG)
    assert answers(association, with_local_tag) == []


def test_the_target_verdict_depends_only_on_the_input(association):
    dcep_ack = sctp.DataChunk(3, association.PEER_TSN, 0, 0, sctp.PPID_DCEP, b"\x02")
    packet = sctp.SctpPacket(5000, 5000, 0, 0, (dcep_ack,))
    first = association.receive(association.repair(bytes(packet)))
    assert association.receive(association.repair(bytes(packet))) == first


def test_the_repair_is_what_every_seed_needs(association):
    seeds = [path for path in (ROOT / "corpora" / "sctp_chunks").iterdir() if path.is_file()]
    assert 10 <= len(seeds) <= 40
    assert all(association.repair(path.read_bytes()) == path.read_bytes() for path in seeds)


def test_seed_files_are_named_by_their_sha1():
    import hashlib

    for path in (Path(ROOT) / "corpora" / "sctp_chunks").iterdir():
        if path.is_file():
            assert path.name == hashlib.sha1(path.read_bytes()).hexdigest()


def test_the_round_trip_oracle_ignores_reserved_fields_as_receivers_do(association):
    """A RECONFIG Add Outgoing Streams with reserved bits set, which aiortc echoes verbatim: the same
    chunk to a receiver (RFC 6525 §4.5: reserved is ignored). The nightly job once flagged it."""
    reserved_set = bytes.fromhex("820000100011000c89ab33db00000004")
    packet = association.repair(bytes.fromhex("138813881d2e3f40df06edef") + reserved_set)
    association.round_trip(packet, None)  # raised OracleViolation while reserved bits were compared


def test_the_round_trip_oracle_holds_for_every_seed(association):
    for path in (ROOT / "corpora" / "sctp_chunks").iterdir():
        if path.is_file():
            association.round_trip(path.read_bytes(), None)
