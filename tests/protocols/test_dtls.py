"""The DTLS codec against aiortc's own flights, its round trips, its mutations and its repair.

No RFC prints a DTLS 1.2 ClientHello in hex, so the examples are the real ClientHello an aiortc
client-role RTCDtlsTransport sends and the real flight a server-role one answers, captured in
memory (harness.peers.dtls_endpoint), decoded field by field and re-encoded byte for byte.
"""

import random

import pytest
from aiortc.rtcdtlstransport import SRTP_PROFILES as AIORTC_SRTP_PROFILES
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.peers.dtls_endpoint import aiortc_client_hello, certificate, deliver_to_server
from harness.protocols import dtls, dtls_fuzzing
from harness.protocols.dtls import (
    ClientHello,
    Datagram,
    Handshake,
    HelloVerifyRequest,
    Record,
    UseSrtp,
    parse_handshakes,
    reassemble,
    repair_lengths,
)
from harness.protocols.dtls_fuzzing import CODEC

# RFC 5764 §4.1.2 / RFC 7714 §14.2 code points of the profiles aiortc offers, by OpenSSL name.
SRTP_CODE_POINTS = {
    b"SRTP_AES128_CM_SHA1_80": dtls.SRTP_AES128_CM_HMAC_SHA1_80,
    b"SRTP_AEAD_AES_128_GCM": dtls.SRTP_AEAD_AES_128_GCM,
    b"SRTP_AEAD_AES_256_GCM": dtls.SRTP_AEAD_AES_256_GCM,
}


@pytest.fixture(scope="module")
def client_flight() -> bytes:
    return aiortc_client_hello()


@pytest.fixture(scope="module")
def server_flight(client_flight: bytes) -> bytes:
    (answer,) = deliver_to_server(client_flight).answers
    return answer


def test_aiortc_client_hello_decodes_field_by_field_and_encodes_back(client_flight):
    datagram = Datagram.parse(client_flight)
    (record,) = datagram.records
    assert record.content_type == dtls.HANDSHAKE  # RFC 6347 §4.1 type
    assert record.version == dtls.DTLS_1_0  # version: OpenSSL's first record claims DTLS 1.0
    assert record.epoch == 0  # epoch
    assert record.sequence_number == 0  # sequence_number
    assert int.from_bytes(client_flight[11:13], "big") == len(record.fragment)  # length
    (message,) = parse_handshakes(record.fragment)
    assert message.msg_type == dtls.CLIENT_HELLO  # RFC 6347 §4.2.2 msg_type
    assert message.length == len(message.body)  # length
    assert message.message_seq == 0  # message_seq
    assert message.fragment_offset == 0  # fragment_offset
    assert int.from_bytes(record.fragment[9:12], "big") == len(message.body)  # fragment_length
    hello = ClientHello.parse(message.body)
    assert hello.client_version == dtls.DTLS_1_2  # RFC 5246 §7.4.1.2 client_version
    assert len(hello.random) == dtls.RANDOM_LENGTH  # random
    assert hello.session_id == b""  # session_id
    assert hello.cookie == b""  # RFC 6347 §4.2.1 cookie: first ClientHello has none
    assert hello.cipher_suites == [0xC02B, 0xCCA9, 0xC009, 0xC00A]  # aiortc's ECDHE-ECDSA list
    assert hello.compression_methods == [0]  # null only
    assert hello.extensions is not None
    types = [e.extension_type for e in hello.extensions]
    assert set(types) >= {dtls.USE_SRTP, dtls.SUPPORTED_GROUPS, dtls.EC_POINT_FORMATS, dtls.SIGNATURE_ALGORITHMS}
    assert dtls.EXTENDED_MASTER_SECRET in types and dtls.RENEGOTIATION_INFO in types
    assert hello.extension(dtls.USE_SRTP) == UseSrtp(
        [SRTP_CODE_POINTS[p.openssl_profile] for p in AIORTC_SRTP_PROFILES], b""
    )  # RFC 5764 §4.1.1: aiortc's profiles in its order, no MKI
    assert hello.extension(dtls.EC_POINT_FORMATS) == dtls.EcPointFormats([0])  # uncompressed
    assert hello.extension(dtls.EXTENDED_MASTER_SECRET) == dtls.RawExtension(dtls.EXTENDED_MASTER_SECRET, b"")
    assert hello.extension(dtls.RENEGOTIATION_INFO) == dtls.RawExtension(dtls.RENEGOTIATION_INFO, b"\x00")
    assert bytes(hello) == message.body
    assert bytes(message) == record.fragment
    assert bytes(datagram) == client_flight


def test_aiortc_server_flight_is_several_records_with_a_fragmented_certificate(server_flight):
    datagram = Datagram.parse(server_flight)
    assert len(datagram.records) > 1  # RFC 6347 §4.1.1: several records in one datagram
    assert [r.sequence_number for r in datagram.records] == list(range(len(datagram.records)))
    messages = [m for r in datagram.records for m in parse_handshakes(r.fragment)]
    assert [m.msg_type for m in messages if m.is_whole][0] == dtls.SERVER_HELLO
    assert messages[-1].msg_type == dtls.SERVER_HELLO_DONE and messages[-1].body == b""
    certificates = [m for m in messages if m.msg_type == dtls.CERTIFICATE]
    assert len({m.message_seq for m in certificates}) == 1
    body = reassemble(certificates)  # RFC 6347 §4.2.3: fragments put back by offset
    der = certificate()._cert.public_bytes(Encoding.DER)
    # RFC 5246 §7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>.
    assert body == (len(der) + 3).to_bytes(3, "big") + len(der).to_bytes(3, "big") + der
    assert bytes(datagram) == server_flight


def test_hello_verify_request_encodes_version_then_cookie_vector():
    cookie = bytes(range(20))
    message = HelloVerifyRequest(dtls.DTLS_1_0, cookie)
    assert bytes(message) == b"\xfe\xff\x14" + cookie  # RFC 6347 §4.2.1: server_version, cookie<0..2^8-1>
    assert HelloVerifyRequest.parse(bytes(message)) == message
    with pytest.raises(ValueError, match="dtls hello_verify_request"):
        HelloVerifyRequest.parse(b"\xfe\xff\x14" + cookie[:-1])


@settings(max_examples=200, deadline=None)
@given(dtls_fuzzing.datagrams())
def test_datagrams_round_trip(datagram):
    assert Datagram.parse(bytes(datagram)) == datagram


@settings(max_examples=200, deadline=None)
@given(dtls_fuzzing.client_hellos())
def test_client_hellos_round_trip(hello):
    assert ClientHello.parse(bytes(hello)) == hello


@settings(max_examples=100, deadline=None)
@given(dtls_fuzzing.hello_verify_requests())
def test_hello_verify_requests_round_trip(message):
    assert HelloVerifyRequest.parse(bytes(message)) == message


@settings(max_examples=100, deadline=None)
@given(dtls_fuzzing.client_hello_flights())
def test_fragmented_flights_reassemble_to_the_hello(flight):
    fragments = [m for r in flight.records for m in parse_handshakes(r.fragment)]
    body = reassemble(fragments)
    assert bytes(ClientHello.parse(body)) == body
    assert reassemble(fragments[::-1]) == body  # RFC 6347 §4.2.3: fragments may arrive in any order
    assert sum(len(f.body) for f in fragments) == fragments[0].length


def test_parse_refuses_a_record_that_overruns_the_datagram(client_flight):
    with pytest.raises(ValueError, match="dtls record length is invalid"):
        Datagram.parse(client_flight[:-1])
    with pytest.raises(ValueError, match="dtls datagram is invalid"):
        Datagram.parse(b"")


def test_reassemble_refuses_a_gap():
    message = Handshake.whole(dtls.CLIENT_HELLO, 0, bytes(range(30)))
    first, _, third = dtls.fragment_message(message, [10, 10])
    with pytest.raises(ValueError, match="fragments"):
        reassemble([first, third])


def test_strategies_check_their_arguments():
    with pytest.raises(InvalidArgument):
        dtls_fuzzing.dtls_records(epoch=1 << 16)
    with pytest.raises(InvalidArgument):
        dtls_fuzzing.datagrams(max_records=0)
    with pytest.raises(InvalidArgument):
        dtls_fuzzing.client_hellos(with_cookie=1)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(dtls_fuzzing.datagrams(), st.integers(0, 2**32 - 1))
def test_mutate_returns_bytes_and_the_mutator_stacks(datagram, seed):
    rng = random.Random(seed)
    data = CODEC.mutate(datagram, rng)
    assert isinstance(data, bytes)
    for _ in range(3):
        mutated = CODEC.mutator(data, rng)
        assert mutated is None or isinstance(mutated, bytes)
        data = mutated if mutated is not None else data
    assert isinstance(CODEC.crossover(bytes(datagram), data, rng) or b"", bytes)


def test_mutations_reach_every_layer(client_flight):
    """Over seeds, the one mutation lands on record headers, lengths, handshake framing and hello fields."""
    seen = set()
    original = Datagram.parse(client_flight)
    for seed in range(600):
        data = CODEC.mutate(Datagram.parse(client_flight), random.Random(seed))
        try:
            mutated = Datagram.parse(data)
        except ValueError:
            seen.add("framing broken")
            continue
        if len(mutated.records) != len(original.records):
            seen.add("records added or dropped")
        for before, after in zip(original.records, mutated.records):
            if (before.epoch, before.sequence_number) != (after.epoch, after.sequence_number):
                seen.add("epoch or sequence")
        hellos = dtls.client_hellos_of(mutated)
        if hellos and hellos[0].cookie:
            seen.add("cookie")
        if hellos and isinstance(srtp := hellos[0].extension(dtls.USE_SRTP), UseSrtp) and not srtp.profiles:
            seen.add("empty srtp profiles")
    assert seen == {
        "framing broken",
        "records added or dropped",
        "epoch or sequence",
        "cookie",
        "empty srtp profiles",
    }


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_repair_accepts_any_bytes_and_is_idempotent(data):
    repaired = repair_lengths(data)
    assert len(repaired) == len(data)
    assert repair_lengths(repaired) == repaired


def _inflate_record_length(data: bytes) -> bytes:
    return data[:11] + (len(data)).to_bytes(2, "big") + data[13:]


def test_repair_makes_the_server_answer_and_breaking_it_again_silences_it(client_flight):
    broken = _inflate_record_length(client_flight)
    assert deliver_to_server(broken).answers == []  # RFC 6347 §4.1.2.7: the overrunning record is dropped
    repaired = repair_lengths(broken)
    assert repaired == client_flight
    assert deliver_to_server(repaired).answers != []
    assert deliver_to_server(_inflate_record_length(repaired)).answers == []


def test_repair_keeps_a_length_that_claims_less_than_is_there(client_flight):
    short = Record(dtls.ALERT, dtls.DTLS_1_2, 0, 1, b"\x01\x00")
    data = bytes(short)[:11] + b"\x00\x01" + bytes(short)[13:]
    assert repair_lengths(data) == data


def test_the_target_oracle_refuses_a_connected_server_and_an_answer_that_is_not_dtls(client_flight):
    from harness.peers.dtls_endpoint import FlightOutcome
    from harness.target import OracleViolation, load_target

    oracle = load_target("dtls_records").oracle
    assert oracle is not None
    oracle(client_flight, deliver_to_server(client_flight))  # a real answer passes
    with pytest.raises(OracleViolation, match="connected"):
        oracle(client_flight, FlightOutcome(state="connected", encrypted=True))
    with pytest.raises(OracleViolation, match="not DTLS"):
        oracle(client_flight, FlightOutcome(state="connecting", encrypted=False, answers=[client_flight[:-1]]))
