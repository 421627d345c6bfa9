"""The handshake body codecs against the flights aiortc really sends, their round trips and their refusals.

No RFC prints these DTLS 1.2 messages in hex, so the examples are aiortc's own: the server flight
a server-role RTCDtlsTransport answers to its client's ClientHello (harness.peers.dtls_endpoint),
and the last flight of a client-role transport talking to the scripted peer
(harness.peers.dtls_conversation). Each message is reassembled from its fragments, decoded field
by field and re-encoded byte for byte.
"""

from __future__ import annotations

import asyncio

import pytest
from aiortc.rtcdtlstransport import SRTP_PROFILES as AIORTC_SRTP_PROFILES
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.peers.dtls_conversation import aiortc_facing
from harness.peers.dtls_endpoint import aiortc_client_hello, certificate, deliver_to_server
from harness.peers.dtls_peer import DtlsPeer
from harness.peers.dtls_peer_keys import verify
from harness.peers.dtls_peer_state import SRTP_PROFILES_BY_CODE
from harness.protocols import dtls, dtls_fuzzing
from harness.protocols.dtls_handshake import (
    ALERT_DESCRIPTIONS,
    ALERT_LEVELS,
    CLOSE_NOTIFY,
    ECDSA_SECP256R1_SHA256,
    ECDSA_SIGN,
    NAMED_CURVE,
    SECP256R1,
    UNCOMPRESSED,
    WARNING,
    X25519,
    Alert,
    Certificate,
    CertificateRequest,
    CertificateVerify,
    ChangeCipherSpec,
    ClientKeyExchange,
    Finished,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
    parse_body,
)

AIORTC_SUITES = [0xC02B, 0xCCA9, 0xC009, 0xC00A]
# The RFC 5764 §4.1.2 / RFC 7714 §14.2 code point of each profile, by OpenSSL name.
SRTP_CODE_POINTS = {f"SRTP_{p.name}".encode(): code for code, p in SRTP_PROFILES_BY_CODE.items()}


def whole_messages(datagrams: list[bytes], *, epoch: int = 0) -> dict[int, dtls.Handshake]:
    """The handshake messages of `epoch` in some datagrams, reassembled, by message_seq."""
    fragments: dict[int, list[dtls.Handshake]] = {}
    for datagram in datagrams:
        for record in dtls.Datagram.parse(datagram).records:
            if record.content_type == dtls.HANDSHAKE and record.epoch == epoch:
                for piece in dtls.parse_handshakes(record.fragment):
                    fragments.setdefault(piece.message_seq, []).append(piece)
    return {
        seq: dtls.Handshake.whole(pieces[0].msg_type, seq, dtls.reassemble(pieces)) for seq, pieces in fragments.items()
    }


def round_trips(message: dtls.Handshake):
    body = parse_body(message.msg_type, message.body)
    assert bytes(body) == message.body
    return body


@pytest.fixture(scope="module")
def client_hello_flight() -> bytes:
    return aiortc_client_hello()


@pytest.fixture(scope="module")
def server_flight(client_hello_flight: bytes) -> dict[int, dtls.Handshake]:
    return whole_messages(deliver_to_server(client_hello_flight).answers)


@pytest.fixture(scope="module")
def client_final_flight() -> list[bytes]:
    """What a client-role aiortc transport sends after the scripted server's flight, all datagrams."""

    async def capture() -> list[bytes]:
        async with aiortc_facing(DtlsPeer("server", seed=3)) as conversation:
            await conversation.handshake()
            return [d.data for d in conversation.wire if d.source == "aiortc"]

    return asyncio.run(capture())


def test_aiortc_server_hello_decodes_field_by_field(client_hello_flight, server_flight):
    hello = round_trips(server_flight[0])
    assert isinstance(hello, ServerHello)
    assert hello.server_version == dtls.DTLS_1_2  # RFC 5246 §7.4.1.3 server_version
    assert len(hello.random) == dtls.RANDOM_LENGTH
    assert len(hello.session_id) <= dtls.MAX_SESSION_ID_LENGTH
    assert hello.cipher_suite == 0xC02B  # its first preference, which its client offered first
    assert hello.compression_method == 0
    srtp = hello.extension(dtls.USE_SRTP)  # RFC 5764 §4.1.1: one profile chosen from the offer, no MKI
    assert srtp == dtls.UseSrtp([SRTP_CODE_POINTS[AIORTC_SRTP_PROFILES[0].openssl_profile]], b"")
    assert hello.extension(dtls.EXTENDED_MASTER_SECRET) == dtls.RawExtension(dtls.EXTENDED_MASTER_SECRET, b"")
    assert hello.extension(dtls.RENEGOTIATION_INFO) == dtls.RawExtension(dtls.RENEGOTIATION_INFO, b"\x00")
    assert hello.extension(dtls.EC_POINT_FORMATS) == dtls.EcPointFormats([UNCOMPRESSED])
    assert hello.extension(dtls.ENCRYPT_THEN_MAC) is None  # RFC 7366 §3: never with an AEAD suite


def test_aiortc_server_certificate_key_exchange_request_and_done(client_hello_flight, server_flight):
    (client_hello,) = dtls.client_hellos_of(dtls.Datagram.parse(client_hello_flight))
    hello, cert, exchange, request, done = (round_trips(server_flight[seq]) for seq in range(5))
    der = certificate()._cert.public_bytes(Encoding.DER)
    assert cert == Certificate([der])  # RFC 5246 §7.4.2: its one self-signed certificate
    assert isinstance(exchange, ServerKeyExchange)
    assert (exchange.curve_type, exchange.named_curve) == (NAMED_CURVE, X25519)  # RFC 8422 §5.4
    assert len(exchange.public) == 32
    assert exchange.signature_algorithm == ECDSA_SECP256R1_SHA256
    signed = client_hello.random + hello.random + exchange.params  # RFC 8422 §5.4: what the signature covers
    assert verify(der, signed, exchange.signature_algorithm, exchange.signature)
    assert not verify(der, signed[:-1] + bytes([signed[-1] ^ 1]), exchange.signature_algorithm, exchange.signature)
    assert isinstance(request, CertificateRequest)  # WebRTC asks its client for a certificate
    assert ECDSA_SIGN in request.certificate_types
    assert ECDSA_SECP256R1_SHA256 in request.signature_algorithms
    assert request.certificate_authorities == []
    assert done == ServerHelloDone() and server_flight[4].body == b""


def test_aiortc_client_final_flight_decodes_and_encodes_back(client_final_flight):
    messages = whole_messages(client_final_flight)
    types = [messages[seq].msg_type for seq in sorted(messages)]
    assert types == [dtls.CLIENT_HELLO, dtls.CERTIFICATE, dtls.CLIENT_KEY_EXCHANGE, dtls.CERTIFICATE_VERIFY]
    cert, exchange, verify_message = (round_trips(messages[seq]) for seq in sorted(messages)[1:])
    assert cert == Certificate([certificate()._cert.public_bytes(Encoding.DER)])
    assert isinstance(exchange, ClientKeyExchange) and len(exchange.public) == 32  # X25519 point, RFC 8422 §5.7
    assert isinstance(verify_message, CertificateVerify)
    assert verify_message.signature_algorithm == ECDSA_SECP256R1_SHA256
    records = [r for d in client_final_flight for r in dtls.Datagram.parse(d).records]
    change = [r for r in records if r.content_type == dtls.CHANGE_CIPHER_SPEC]
    assert [ChangeCipherSpec.parse(r.fragment) for r in change] == [ChangeCipherSpec()]
    assert bytes(ChangeCipherSpec()) == change[0].fragment == b"\x01"  # RFC 5246 §7.1
    finished = [r for r in records if r.epoch == 1]
    # Finished under the new keys: 12 + 12 (header) + the suite's explicit nonce and tag.
    assert [r.content_type for r in finished] == [dtls.HANDSHAKE]


def test_aiortc_close_notify_is_a_warning_alert():
    async def closing() -> list:
        async with aiortc_facing(DtlsPeer("client", seed=4)) as conversation:
            await conversation.handshake()
            await conversation.transport.stop()
            return conversation.peer.receive(await conversation.next_datagram())

    (item,) = asyncio.run(closing())
    assert item.content_type == dtls.ALERT and item.epoch == 1 and item.decrypted
    assert item.message == Alert(WARNING, CLOSE_NOTIFY)  # RFC 5246 §7.2.1
    assert bytes(item.message) == b"\x01\x00"


@pytest.mark.parametrize(
    "codec, data, field",
    [
        (ServerHello, bytes(34), "server_hello session_id"),
        (Certificate, b"\x00\x00\x05\x00\x00\x09ab", "certificate entry"),
        (Certificate, b"\x00\x00\x00\x00", "certificate list"),
        (ServerKeyExchange, b"\x01\x00\x17", "server_key_exchange curve_type"),
        (ServerKeyExchange, b"\x03\x00\x17\x01\x04\x04\x03\x00\x01", "server_key_exchange signature"),
        (CertificateRequest, b"\x01\x40\x00\x03\x04\x03\x00", "certificate_request signature_algorithms"),
        (ServerHelloDone, b"\x00", "server_hello_done"),
        (ClientKeyExchange, b"\x02\x04", "client_key_exchange point"),
        (CertificateVerify, b"\x04\x03\x00\x02\x30", "certificate_verify signature"),
        (Finished, bytes(11), "finished verify_data"),
        (Alert, b"\x02", "alert"),
        (ChangeCipherSpec, b"", "change_cipher_spec"),
    ],
)
def test_parse_refuses_short_or_trailing_fields(codec, data, field):
    with pytest.raises(ValueError, match=f"^dtls {field} is invalid$"):
        codec.parse(data)


def test_parse_body_leaves_unknown_types_as_bytes():
    assert parse_body(dtls.HELLO_REQUEST, b"") == b""
    assert parse_body(99, b"\x01\x02") == b"\x01\x02"


# --- round-trip properties --------------------------------------------------------------------

uint16 = st.integers(0, 0xFFFF)
short = st.binary(max_size=40)
server_hellos = st.builds(
    ServerHello,
    uint16,
    st.binary(min_size=dtls.RANDOM_LENGTH, max_size=dtls.RANDOM_LENGTH),
    st.binary(max_size=dtls.MAX_SESSION_ID_LENGTH),
    st.sampled_from(AIORTC_SUITES) | uint16,
    st.integers(0, 255),
    st.none() | dtls_fuzzing.extension_lists(),
)
certificates = st.builds(Certificate, st.lists(st.binary(min_size=1, max_size=200), max_size=3))
server_key_exchanges = st.builds(
    ServerKeyExchange,
    st.just(NAMED_CURVE),
    st.sampled_from([X25519, SECP256R1]) | uint16,
    st.binary(min_size=1, max_size=97),
    st.just(ECDSA_SECP256R1_SHA256) | uint16,
    st.binary(max_size=80),
)
certificate_requests = st.builds(
    CertificateRequest,
    st.lists(st.integers(0, 255), min_size=1, max_size=4),
    st.lists(uint16, min_size=1, max_size=8),
    st.lists(st.binary(min_size=1, max_size=30), max_size=3),
)
bodies = st.one_of(
    server_hellos,
    certificates,
    server_key_exchanges,
    certificate_requests,
    st.just(ServerHelloDone()),
    st.builds(ClientKeyExchange, st.binary(min_size=1, max_size=97)),
    st.builds(CertificateVerify, uint16, st.binary(max_size=80)),
    st.builds(Finished, st.binary(min_size=12, max_size=12)),
    st.builds(Alert, st.sampled_from(ALERT_LEVELS), st.sampled_from(ALERT_DESCRIPTIONS)),
    st.builds(Alert, st.integers(0, 255), st.integers(0, 255)),
    st.builds(ChangeCipherSpec, st.integers(0, 255)),
)


@settings(max_examples=300, deadline=None)
@given(bodies)
def test_bodies_round_trip(body):
    assert type(body).parse(bytes(body)) == body


@settings(max_examples=100, deadline=None)
@given(bodies, st.binary(min_size=1, max_size=4))
def test_trailing_bytes_are_refused_or_belong_to_a_list(body, extra):
    """A trailing byte is an error, except where the last field is a list that may absorb it whole."""
    try:
        parsed = type(body).parse(bytes(body) + extra)
    except ValueError as error:
        assert str(error).startswith("dtls ") and str(error).endswith(" is invalid")
    else:
        assert isinstance(body, ServerHello) and body.extensions is None and parsed.extensions is not None
