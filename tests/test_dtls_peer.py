"""The scripted DTLS peer against aiortc's RTCDtlsTransport, in memory, in both roles, and its deviations.

The happy path must end with aiortc "connected" having checked the peer certificate's
fingerprint, application data crossing both ways, and both sides holding the same SRTP keys:
the exporter output equals what aiortc's OpenSSL exports, and, behaviourally, an RTP packet
aiortc protects with `_send_rtp` opens with the reference SRTP (harness.protocols.srtp) under the
peer-derived key of aiortc's half (RFC 5764 §4.2), and one the peer protects under its own half
reaches aiortc's receiver. OpenSSL is the only judge of the PRF, the master secrets, the key
block and the record protection: a handshake completes only if they are right.

The deviation tests record how aiortc 1.16 (OpenSSL underneath) reacts to one lie at a time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from aiortc.rtcdtlstransport import SRTP_PROFILES as AIORTC_SRTP_PROFILES
from aiortc.rtp import RtpPacket
from OpenSSL import SSL

from harness.peers.dtls_conversation import Conversation, aiortc_facing
from harness.peers.dtls_endpoint import certificate
from harness.peers.dtls_pair import RecordingReceiver
from harness.peers.dtls_peer import DtlsPeer, PeerCertificate, Received, tamper
from harness.peers.dtls_peer_state import SRTP_PROFILES_BY_CODE
from harness.protocols import dtls, srtp
from harness.protocols.dtls_handshake import (
    DECODE_ERROR,
    DECRYPT_ERROR,
    FATAL,
    HANDSHAKE_FAILURE,
    ILLEGAL_PARAMETER,
    SECP256R1,
    UNEXPECTED_MESSAGE,
    X25519,
    Alert,
    HelloVerifyRequest,
)
from harness.protocols.tls_crypto import CIPHER_SUITES, DTLS_SRTP_EXPORTER_LABEL

T = TypeVar("T")

AIORTC_SUITES = [0xC02B, 0xCCA9, 0xC009, 0xC00A]
# The RFC 5764 §4.1.2 / RFC 7714 §14.2 code point of each profile, by OpenSSL name.
SRTP_CODES = {f"SRTP_{p.name}".encode(): code for code, p in SRTP_PROFILES_BY_CODE.items()}
SSRC = 0x1234ABCD
PAYLOAD_TYPE = 111
OTHER = PeerCertificate.generate(random.Random(99))  # a certificate and key aiortc was not told about


def run(peer: DtlsPeer, scenario: Callable[[Conversation], Awaitable[T]]) -> T:
    async def main() -> T:
        async with aiortc_facing(peer) as conversation:
            return await scenario(conversation)

    return asyncio.run(main())


def rtp(seq: int) -> bytes:
    packet = RtpPacket(payload_type=PAYLOAD_TYPE, sequence_number=seq, timestamp=160 * seq, ssrc=SSRC)
    packet.payload = f"RTP {seq}".encode()
    return packet.serialize()


class DataReceiver:
    def __init__(self) -> None:
        self.data: list[bytes] = []

    async def _handle_data(self, data: bytes) -> None:
        self.data.append(data)


def assert_clean(items: list[Received]) -> None:
    for item in items:
        assert item.error is None, item
        assert item.verified in (None, True), item


async def check_connected_session(conversation: Conversation) -> None:
    """Application data both ways, the exporter, and SRTP keys in both directions."""
    peer, transport = conversation.peer, conversation.transport
    assert conversation.states == ["connecting", "connected"]
    assert peer.handshake_complete
    assert peer.peer_certificate == certificate()._cert
    assert transport._ssl is not None
    assert transport._ssl.get_cipher_name() == CIPHER_SUITES[peer.cipher_suite].name

    # Application data, peer to aiortc and back (RFC 6347 §4.1: epoch 1 records).
    receiver = DataReceiver()
    transport._register_data_receiver(receiver)
    peer.application_data(b"to aiortc")
    await conversation.send(peer.flush())
    await transport._send_data(b"to the peer")
    (item,) = peer.receive(await conversation.next_datagram())
    assert (item.content_type, item.epoch, item.decrypted, item.message) == (
        dtls.APPLICATION_DATA,
        1,
        True,
        b"to the peer",
    )
    assert receiver.data == [b"to aiortc"]

    # The keying material, by value and by behaviour.
    keys = peer.srtp_keying_material()
    length = 2 * (keys.profile.key_length + keys.profile.salt_length)
    assert peer.exporter(DTLS_SRTP_EXPORTER_LABEL, length) == transport._ssl.export_keying_material(
        DTLS_SRTP_EXPORTER_LABEL, length
    )
    assert keys.profile.name.encode() in transport._ssl.get_selected_srtp_profile()
    aiortc_half, peer_half = (
        (keys.server_master, keys.client_master) if peer.role == "client" else (keys.client_master, keys.server_master)
    )
    await transport._send_rtp(rtp(7))
    assert srtp.SrtpContext(keys.profile, aiortc_half).unprotect(await conversation.next_datagram()) == rtp(7)
    recording = RecordingReceiver()
    transport._rtp_router.register_receiver(recording, ssrcs=[SSRC], payload_types=[PAYLOAD_TYPE])
    await conversation.send([srtp.SrtpContext(keys.profile, peer_half).protect(rtp(8))])
    await conversation.send([srtp.SrtpContext(keys.profile, aiortc_half).protect(rtp(9))])  # the wrong half
    await conversation.send([peer.replay(len(peer.sent_records) - 1)])  # and a DTLS record replayed
    await conversation.drained()
    assert [(p.ssrc, p.sequence_number) for p in recording.rtp] == [(SSRC, 8)]
    assert receiver.data == [b"to aiortc"]  # the replayed record was discarded (RFC 6347 §4.1.2.6)


@pytest.mark.parametrize("group", [X25519, SECP256R1], ids=["x25519", "P-256"])
@pytest.mark.parametrize("suite", AIORTC_SUITES, ids=lambda code: CIPHER_SUITES[code].name)
@pytest.mark.parametrize("role", ["client", "server"])
def test_handshake_with_aiortc_connects_and_keys_srtp(role, suite, group):
    # OpenSSL, as server, needs its certificate's curve (P-256) among the client's groups (see below).
    groups = (group,) if group == SECP256R1 or role == "server" else (group, SECP256R1)
    peer = DtlsPeer(role, cipher_suites=(suite,), groups=groups, seed=suite + group)

    async def scenario(conversation: Conversation) -> None:
        await conversation.handshake()
        assert peer.group == group and peer.cipher_suite == suite
        # RFC 7366: OpenSSL negotiates encrypt_then_mac for the CBC suites, never with AEAD.
        assert peer.encrypt_then_mac == (CIPHER_SUITES[suite].mac_key_length > 0)
        assert peer.extended_master_secret
        await check_connected_session(conversation)

    run(peer, scenario)


@pytest.mark.parametrize("aiortc_profile", AIORTC_SRTP_PROFILES, ids=lambda p: p.openssl_profile.decode())
@pytest.mark.parametrize("role", ["client", "server"])
def test_each_srtp_profile_is_negotiated_and_keyed(role, aiortc_profile):
    code = SRTP_CODES[aiortc_profile.openssl_profile]
    peer = DtlsPeer(role, srtp_profiles=(code,), seed=code)

    async def scenario(conversation: Conversation) -> None:
        await conversation.handshake()
        assert peer.negotiated_srtp_profile == code and peer.mki == b""
        await check_connected_session(conversation)

    run(peer, scenario)


@pytest.mark.parametrize("suite", [0xC02B, 0xC009])
@pytest.mark.parametrize("role", ["client", "server"])
def test_without_extended_master_secret_nor_encrypt_then_mac(role, suite):
    """RFC 5246 §8.1's master secret from the randoms, and RFC 5246 §6.2.3.2 MAC-then-encrypt."""
    peer = DtlsPeer(role, cipher_suites=(suite,), extended_master_secret=False, encrypt_then_mac=False, seed=5)

    async def scenario(conversation: Conversation) -> None:
        await conversation.handshake()
        assert not peer.extended_master_secret and not peer.encrypt_then_mac
        await check_connected_session(conversation)

    run(peer, scenario)


def test_server_cookie_exchange_with_aiortc():
    """RFC 6347 §4.2.1: HelloVerifyRequest with the cookie, the ClientHello again with it, then the handshake."""
    peer = DtlsPeer("server", cookie=b"\x5a" * 20, seed=11)

    async def scenario(conversation: Conversation) -> None:
        conversation.start()
        first = peer.receive(await conversation.next_datagram())
        assert peer.due == "hello_verify_request"
        (answer,) = peer.respond()
        await conversation.send([answer])
        verify_request = dtls.Datagram.parse(answer).records[0]
        assert verify_request.sequence_number == first[0].sequence_number  # the ClientHello's record number
        (second,) = peer.receive(await conversation.next_datagram())
        assert second.message.cookie == b"\x5a" * 20 and second.message.random == first[0].message.random
        assert second.message_seq == 1
        await conversation.handshake()
        await check_connected_session(conversation)

    run(peer, scenario)


def test_client_cookie_exchange_with_openssl():
    """The peer as client against a pyOpenSSL server that asks for a cookie, all in memory."""
    context = certificate()._create_ssl_context(AIORTC_SRTP_PROFILES)
    context.set_options(SSL.OP_COOKIE_EXCHANGE)
    context.set_cookie_generate_callback(lambda connection: b"oven-fresh")
    context.set_cookie_verify_callback(lambda connection, cookie: cookie == b"oven-fresh")
    server = SSL.Connection(context)
    server.set_accept_state()
    peer = DtlsPeer("client", seed=12)
    received: list[Received] = []
    for _ in range(6):
        for datagram in peer.respond() if peer.due else []:
            server.bio_write(datagram)
        try:
            server.do_handshake()
        except SSL.WantReadError:
            pass
        received += peer.receive(server.bio_read(65536))
        if peer.handshake_complete:
            break
    assert isinstance(received[0].message, HelloVerifyRequest) and received[0].message.cookie == b"oven-fresh"
    assert peer.handshake_complete
    assert_clean(received)
    assert peer.exporter(b"EXTRACTOR-dtls_srtp", 60) == server.export_keying_material(b"EXTRACTOR-dtls_srtp", 60)


async def client_to_last_flight(conversation: Conversation) -> None:
    """As client: send the ClientHello and take aiortc's server flight."""
    conversation.start()
    await conversation.send(conversation.peer.respond())
    assert_clean(conversation.peer.receive(await conversation.next_datagram()))
    assert conversation.peer.due == "client_final_flight"


async def server_to_first_flight(conversation: Conversation) -> None:
    conversation.start()
    conversation.peer.receive(await conversation.next_datagram())
    assert conversation.peer.due == "server_flight"


async def expect_fatal_alert(conversation: Conversation, description: int) -> None:
    items = conversation.peer.receive(await conversation.next_datagram())
    assert [(i.content_type, i.message) for i in items] == [(dtls.ALERT, Alert(FATAL, description))]
    assert items[0].epoch == 0  # aiortc's write epoch is still 0: the alert goes in the clear
    await asyncio.wait_for(conversation.started, conversation.timeout)
    assert conversation.states == ["connecting", "failed"]


@pytest.mark.parametrize(
    "lie, alert",
    [
        ({"finished": {"verify_data": bytes(12)}}, DECRYPT_ERROR),
        ({"certificate_verify": {"signing_key": OTHER.key}}, DECRYPT_ERROR),
        ({"certificate": {"certificates": []}, "omit": ("certificate_verify",)}, HANDSHAKE_FAILURE),
        ({"omit": ("change_cipher_spec",)}, UNEXPECTED_MESSAGE),
    ],
    ids=["wrong verify_data", "CertificateVerify by another key", "empty Certificate", "Finished before CCS"],
)
def test_aiortc_server_refuses_a_lying_client(lie, alert):
    peer = DtlsPeer("client", seed=21)

    async def scenario(conversation: Conversation) -> None:
        await client_to_last_flight(conversation)
        await conversation.send(peer.respond(**lie))
        await expect_fatal_alert(conversation, alert)

    run(peer, scenario)


@pytest.mark.parametrize(
    "lie, alert",
    [
        ({"server_hello": {"srtp_profiles": [dtls.SRTP_AES128_CM_HMAC_SHA1_32]}}, DECODE_ERROR),
        ({"server_hello": {"srtp_profiles": [dtls.SRTP_AEAD_AES_256_GCM, dtls.SRTP_AEAD_AES_128_GCM]}}, DECODE_ERROR),
        ({"server_hello": {"mki": b"\x01\x02"}}, DECODE_ERROR),
        ({"server_hello": {"cipher_suite": 0xC02F}}, ILLEGAL_PARAMETER),
        ({"server_key_exchange": {"signing_key": OTHER.key}}, DECRYPT_ERROR),
        ({"certificate": {"certificates": []}}, DECODE_ERROR),
    ],
    ids=["SRTP profile never offered", "two SRTP profiles", "an MKI", "suite never offered", "SKE by another key",
         "empty Certificate"],
)  # fmt: skip
def test_aiortc_client_refuses_a_lying_server(lie, alert):
    peer = DtlsPeer("server", seed=22)

    async def scenario(conversation: Conversation) -> None:
        await server_to_first_flight(conversation)
        await conversation.send(peer.respond(**lie))
        await expect_fatal_alert(conversation, alert)

    run(peer, scenario)


def test_aiortc_server_refuses_a_client_without_its_certificate_curve_in_supported_groups():
    """OpenSSL's ECDSA P-256 certificate is not usable when the client lists only x25519: handshake_failure."""
    peer = DtlsPeer("client", groups=(X25519,), seed=27)

    async def scenario(conversation: Conversation) -> None:
        conversation.start()
        await conversation.send(peer.respond())
        await expect_fatal_alert(conversation, HANDSHAKE_FAILURE)

    run(peer, scenario)


def test_another_certificate_than_the_fingerprinted_one_fails_after_the_handshake():
    """DTLS completes (OpenSSL's verify callback accepts anything); aiortc's fingerprint check then fails, silently."""
    peer = DtlsPeer("client", seed=23)

    async def scenario(conversation: Conversation) -> None:
        await client_to_last_flight(conversation)
        flight = peer.respond(certificate={"certificates": [OTHER.der]}, certificate_verify={"signing_key": OTHER.key})
        items = await conversation.exchange(flight)
        assert_clean(items)
        assert peer.handshake_complete  # aiortc's Finished came and verified
        await asyncio.wait_for(conversation.started, conversation.timeout)
        assert conversation.states == ["connecting", "failed"]
        assert peer.alerts_received == []  # no alert tells the peer why

    run(peer, scenario)


def test_a_server_hello_without_use_srtp_completes_dtls_then_fails():
    peer = DtlsPeer("server", seed=24)

    async def scenario(conversation: Conversation) -> None:
        await server_to_first_flight(conversation)
        assert_clean(await conversation.exchange(peer.respond(server_hello={"without": (dtls.USE_SRTP,)})))
        await conversation.send(peer.respond())
        await asyncio.wait_for(conversation.started, conversation.timeout)
        assert conversation.states == ["connecting", "failed"]  # "no SRTP profile negotiated"

    run(peer, scenario)


def test_fragmented_flight_one_record_per_datagram_and_retransmissions_recognised():
    peer = DtlsPeer("client", cipher_suites=(0xCCA9,), seed=25)

    async def scenario(conversation: Conversation) -> None:
        conversation.start()
        await conversation.send(peer.respond())
        server_flight = await conversation.next_datagram()
        peer.receive(server_flight)
        again = peer.receive(server_flight)  # the same flight once more: recognised, not processed twice
        assert all(i.duplicate for i in again)
        assert all(i.retransmission for i in again if i.content_type == dtls.HANDSHAKE)
        assert peer.due == "client_final_flight"
        peer.send(peer.certificate(), fragments=[100, 100, 100])  # RFC 6347 §4.2.3
        peer.send(peer.client_key_exchange(), fragments=[5])
        peer.send(peer.certificate_verify(), fragments=[30, 30])
        peer.change_cipher_spec()
        peer.send(peer.finished(), fragments=[4])
        datagrams = peer.flush(records_per_datagram=1)
        assert len(datagrams) == 4 + 2 + 3 + 1 + 2
        assert_clean(await conversation.exchange(datagrams))
        await asyncio.wait_for(conversation.started, conversation.timeout)
        await check_connected_session(conversation)

    run(peer, scenario)


def test_tampered_records_are_reported_by_the_peer_and_dropped_by_aiortc():
    peer = DtlsPeer("server", seed=26)

    async def scenario(conversation: Conversation) -> None:
        await conversation.handshake()
        receiver = DataReceiver()
        conversation.transport._register_data_receiver(receiver)
        peer.application_data(b"forged")
        await conversation.send([tamper(peer.flush()[0])])  # the tag's last byte
        peer.application_data(b"genuine")
        await conversation.send(peer.flush())
        await conversation.drained()
        await conversation.transport._send_data(b"from aiortc")
        datagram = await conversation.next_datagram()
        (item,) = peer.receive(tamper(datagram, offset=0))
        assert item.error == "dtls record mac is invalid" and item.message is None
        assert receiver.data == [b"genuine"]
        assert conversation.states == ["connecting", "connected"]

    run(peer, scenario)
