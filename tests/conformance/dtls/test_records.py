"""The DTLS record layer and handshake transport of RFC 6347, against the transport under test."""

import pytest

from harness.conformance import dtls_requirements as req
from harness.conformance.dtls_adapters import CLIENT, ROLES, SERVER
from harness.conformance.dtls_exchange import (
    CLIENT_FLIGHT,
    SERVER_FLIGHT,
    ApplicationData,
    Check,
    Expect,
    ExpectDelivered,
    ExpectState,
    Flight,
    HandshakeFlights,
    Send,
    Start,
)
from harness.protocols import dtls

COOKIE = b"harness cookie"


def replay_last_record(peer):
    return [peer.replay(len(peer.sent_records) - 1)]


def tampered_application_data(peer):
    peer.application_data(b"forged")
    (datagram,) = peer.flush()
    return [peer.tamper(datagram)]


def plaintext_application_data(peer):
    peer.application_data(b"in the clear", epoch=0)
    return peer.flush()


@req.DUPLICATE_RECORD_DISCARDED
@pytest.mark.parametrize("role", ROLES)
def test_a_replayed_application_data_record_is_delivered_once(converse, role):
    converse(
        role,
        Start(),
        HandshakeFlights(),
        ApplicationData(b"once"),
        Send(replay_last_record),
        ExpectDelivered([b"once"]),
        ExpectState("connected"),
    )


@req.INVALID_RECORD_DISCARDED
@pytest.mark.parametrize("role", ROLES)
def test_a_record_failing_its_mac_is_dropped_and_the_association_survives(converse, role):
    converse(
        role,
        Start(),
        HandshakeFlights(),
        Send(tampered_application_data),
        ApplicationData(b"genuine"),
        ExpectDelivered([b"genuine"]),
        ExpectState("connected"),
    )


@req.INVALID_RECORD_DISCARDED
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "datagram", [b"", b"\x17", b"\x17\xfe\xfd\x00\x01", bytes(13), b"\x17\xfe\xfd\x00\x01" + bytes(6) + b"\xff\xff"],
    ids=["empty", "one-octet", "short-header", "zero-header", "length-overrun"],
)  # fmt: skip
def test_a_datagram_that_is_no_record_changes_nothing(converse, role, datagram):
    converse(
        role,
        Start(),
        HandshakeFlights(),
        Send(lambda peer: [datagram]),
        ApplicationData(b"still here"),
        ExpectDelivered([b"still here"]),
        ExpectState("connected"),
    )


@req.EARLIER_EPOCH_DISCARDED
@pytest.mark.parametrize("role", ROLES)
def test_application_data_in_the_clear_after_the_handshake_is_discarded(converse, role):
    converse(
        role,
        Start(),
        HandshakeFlights(),
        Send(plaintext_application_data),
        ExpectDelivered([]),
        ExpectState("connected"),
    )


def client_hello_in_fragments_backwards(peer):
    peer.send(peer.client_hello(), fragments=[40, 40, 40])
    return list(reversed(peer.flush(records_per_datagram=1)))


@req.FRAGMENTS_REASSEMBLED
def test_a_client_hello_in_fragments_arriving_backwards_is_reassembled(converse):
    converse(SERVER, Start(), Send(client_hello_in_fragments_backwards), Expect(*SERVER_FLIGHT))


def client_flight_in_small_fragments(peer):
    # Each message is built once the one before is sent: CertificateVerify signs the transcript so far.
    for build in (peer.certificate, peer.client_key_exchange, peer.certificate_verify):
        message = build()
        peer.send(message, fragments=[17] * (len(message.body) // 17))
    peer.change_cipher_spec()
    peer.send(peer.finished())
    return peer.flush(records_per_datagram=2)


@req.FRAGMENTS_REASSEMBLED
def test_a_client_flight_in_17_octet_fragments_completes_the_handshake(converse):
    converse(
        SERVER,
        Start(),
        Flight(),
        Expect(*SERVER_FLIGHT),
        Send(client_flight_in_small_fragments),
        Expect("ChangeCipherSpec", "Finished"),
        ExpectState("connected"),
    )


@req.UNANSWERED_FLIGHT_RETRANSMITTED
def test_the_server_sends_its_flight_again_when_the_client_stays_silent(converse):
    converse(SERVER, Start(), Flight(), Expect(*SERVER_FLIGHT), Expect(*SERVER_FLIGHT, retransmitted=True, within=2.5))


@req.UNANSWERED_FLIGHT_RETRANSMITTED
def test_the_client_sends_its_client_hello_again_when_the_server_stays_silent(converse):
    converse(CLIENT, Start(), Expect("ClientHello"), Expect("ClientHello", retransmitted=True, within=2.5))


def client_hellos(exchange):
    return [item.message for item in exchange.received if item.msg_type == dtls.CLIENT_HELLO]


def same_hello_with_the_cookie(exchange) -> bool:
    first, second = client_hellos(exchange)
    return second.cookie == COOKIE and (first.random, first.session_id, first.cipher_suites) == (
        second.random,
        second.session_id,
        second.cipher_suites,
    )


@req.CLIENT_ANSWERS_COOKIE
def test_the_client_repeats_its_client_hello_with_the_cookie(converse):
    converse(
        CLIENT,
        Start(),
        Expect("ClientHello"),
        Flight(),  # the peer's HelloVerifyRequest
        Expect("ClientHello"),
        Check("the second ClientHello is the first with the cookie", same_hello_with_the_cookie),
        Flight(),
        Expect(*CLIENT_FLIGHT),
        cookie=COOKIE,
    )


@req.SERVER_EXCHANGES_COOKIE
def test_the_server_answers_a_new_client_hello_with_a_hello_verify_request(converse):
    converse(SERVER, Start(), Flight(), Expect("HelloVerifyRequest"))
