"""The TLS 1.2 key schedule and DTLS record protection against OpenSSL, through a pyOpenSSL DTLS pair in memory.

No RFC prints vectors for the TLS 1.2 PRF, so OpenSSL is the judge: two pyOpenSSL connections,
configured by aiortc's own RTCCertificate._create_ssl_context (its suites, its SRTP profiles,
encrypt_then_mac and extended_master_secret on), finish a real handshake over memory BIOs; then
the exporter (RFC 5705), the DTLS-SRTP split (RFC 5764 §4.2), the key block (RFC 5246 §6.3), the
Finished verify_data (§7.4.9, over the DTLS transcript of RFC 6347 §4.2.6) and the record
protection of each suite (RFC 5288, RFC 7905, RFC 7366) must agree with what OpenSSL derived and
sent, in both directions. The PRF and the master secret derivation themselves are judged the
same way in tests/test_dtls_peer.py: a handshake with aiortc completes only if they are right.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiortc.rtcdtlstransport import SRTP_PROFILES as AIORTC_SRTP_PROFILES
from hypothesis import given, settings
from hypothesis import strategies as st
from OpenSSL import SSL

from harness.peers.dtls_endpoint import certificate
from harness.protocols import dtls
from harness.protocols.srtp_profiles import dtls_srtp_profile
from harness.protocols.tls_crypto import (
    AES_CBC_HMAC_SHA1,
    CIPHER_SUITES,
    CLIENT_FINISHED_LABEL,
    DTLS_SRTP_EXPORTER_LABEL,
    SERVER_FINISHED_LABEL,
    export_keying_material,
    key_block,
    prf,
    srtp_keying_material,
    verify_data,
)
from harness.protocols.tls_record_protection import RecordProtection

MAX_HANDSHAKE_ROUNDS = 20


@dataclass
class OpenSslPair:
    client: SSL.Connection
    server: SSL.Connection
    wire: list[tuple[str, bytes]]  # (sender, what it wrote), in order

    def pump(self, sender: SSL.Connection) -> bytes:
        """Move everything `sender` wrote into its peer; return it."""
        receiver = self.server if sender is self.client else self.client
        data = b""
        while True:
            try:
                chunk = sender.bio_read(65536)
            except SSL.WantReadError:
                break
            data += chunk
        if data:
            self.wire.append(("client" if sender is self.client else "server", data))
            receiver.bio_write(data)
        return data


def openssl_pair(suite_name: str) -> OpenSslPair:
    contexts = []
    for _ in range(2):
        context = certificate()._create_ssl_context(AIORTC_SRTP_PROFILES)
        context.set_cipher_list(suite_name.encode())
        contexts.append(context)
    client, server = SSL.Connection(contexts[0]), SSL.Connection(contexts[1])
    client.set_connect_state()
    server.set_accept_state()
    pair = OpenSslPair(client, server, [])
    done = set()
    for _ in range(MAX_HANDSHAKE_ROUNDS):
        for side in (client, server):
            try:
                side.do_handshake()
                done.add(id(side))
            except SSL.WantReadError:
                pass
            pair.pump(side)
        if len(done) == 2:
            return pair
    raise AssertionError("the pyOpenSSL DTLS pair did not finish its handshake")


@pytest.fixture(scope="module", params=sorted(CIPHER_SUITES), ids=lambda code: CIPHER_SUITES[code].name)
def pair(request: pytest.FixtureRequest) -> OpenSslPair:
    return openssl_pair(CIPHER_SUITES[request.param].name)


def suite_of(pair: OpenSslPair):
    return next(s for s in CIPHER_SUITES.values() if s.name == pair.client.get_cipher_name())


def secrets(pair: OpenSslPair) -> tuple[bytes, bytes, bytes]:
    return pair.client.master_key(), pair.client.client_random(), pair.client.server_random()


@pytest.mark.parametrize(
    "label, length, context",
    [(DTLS_SRTP_EXPORTER_LABEL, 60, None), (b"EXPERIMENTAL-harness", 200, None), (b"EXPERIMENTAL-harness", 33, b"ctx")],
)
def test_exporter_agrees_with_openssl(pair, label, length, context):
    master, client_random, server_random = secrets(pair)
    ours = export_keying_material(master, client_random, server_random, label, length, context)
    assert ours == pair.server.export_keying_material(label, length, context)
    assert ours == pair.client.export_keying_material(label, length, context)


@pytest.mark.parametrize("aiortc_profile", AIORTC_SRTP_PROFILES, ids=lambda p: p.openssl_profile.decode())
def test_srtp_split_agrees_with_aiortc(pair, aiortc_profile):
    """RFC 5764 §4.2: client key, server key, client salt, server salt; aiortc cuts the same view."""
    profile = dtls_srtp_profile(aiortc_profile.openssl_profile)
    view = pair.client.export_keying_material(DTLS_SRTP_EXPORTER_LABEL, 2 * (profile.key_length + profile.salt_length))
    material = srtp_keying_material(*secrets(pair), profile)
    assert material.client_master == aiortc_profile.get_key_and_salt(view, 0)
    assert material.server_master == aiortc_profile.get_key_and_salt(view, 1)
    assert material.client_write_key != material.server_write_key


def epoch_one_records(data: bytes) -> list[dtls.Record]:
    return [r for r in dtls.Datagram.parse(data).records if r.epoch == 1]


def protections(pair: OpenSslPair) -> tuple[RecordProtection, RecordProtection]:
    """(client write, server write); aiortc's contexts offer encrypt_then_mac, so CBC suites use it."""
    suite = suite_of(pair)
    keys = key_block(suite, *secrets(pair))
    etm = suite.protection == AES_CBC_HMAC_SHA1
    return RecordProtection(suite, keys.client, etm), RecordProtection(suite, keys.server, etm)


@pytest.mark.parametrize("direction", ["client", "server"])
def test_openssl_application_data_opens_with_the_key_block(pair, direction):
    sender = pair.client if direction == "client" else pair.server
    sender.send(f"from the {direction}".encode())
    (record,) = epoch_one_records(pair.pump(sender))
    protection = protections(pair)[0 if direction == "client" else 1]
    plaintext = protection.unprotect(
        record.epoch, record.sequence_number, record.content_type, record.version, record.fragment
    )
    assert plaintext == f"from the {direction}".encode()
    receiver = pair.server if direction == "client" else pair.client
    assert receiver.recv(100) == plaintext


@pytest.mark.parametrize("direction", ["client", "server"])
def test_records_protected_here_open_at_openssl(pair, direction):
    protection = protections(pair)[0 if direction == "client" else 1]
    receiver = pair.server if direction == "client" else pair.client
    suite = suite_of(pair)
    for sequence_number in (1000, 1001):  # ahead of anything OpenSSL sent in epoch 1: not a replay
        plaintext = f"record {sequence_number} to the {direction}'s peer".encode()
        iv = bytes(range(suite.record_iv_length))
        fragment = protection.protect(1, sequence_number, dtls.APPLICATION_DATA, dtls.DTLS_1_2, plaintext, iv)
        receiver.bio_write(bytes(dtls.Record(dtls.APPLICATION_DATA, dtls.DTLS_1_2, 1, sequence_number, fragment)))
        assert receiver.recv(200) == plaintext


def test_finished_verify_data_agrees_with_openssl():
    """RFC 5246 §7.4.9 over the transcript of RFC 6347 §4.2.6 (messages as if unfragmented), both Finished."""
    pair = openssl_pair("ECDHE-ECDSA-AES128-GCM-SHA256")
    client_write, server_write = protections(pair)
    master = pair.client.master_key()
    transcript = b""
    finished: dict[str, bytes] = {}
    fragments: dict[tuple[str, int], list[dtls.Handshake]] = {}
    for sender, data in pair.wire:
        for record in dtls.Datagram.parse(data).records:
            if record.content_type != dtls.HANDSHAKE:
                continue
            if record.epoch == 1:
                protection = client_write if sender == "client" else server_write
                plaintext = protection.unprotect(
                    1, record.sequence_number, dtls.HANDSHAKE, record.version, record.fragment
                )
                (message,) = dtls.parse_handshakes(plaintext)
                label = CLIENT_FINISHED_LABEL if sender == "client" else SERVER_FINISHED_LABEL
                assert message.body == verify_data(master, label, transcript)
                finished[sender] = message.body
                transcript += bytes(message)
                continue
            for piece in dtls.parse_handshakes(record.fragment):
                pieces = fragments.setdefault((sender, piece.message_seq), [])
                pieces.append(piece)
                try:
                    body = dtls.reassemble(pieces)
                except ValueError:
                    continue
                transcript += bytes(dtls.Handshake.whole(piece.msg_type, piece.message_seq, body))
    assert set(finished) == {"client", "server"}
    assert finished["client"] != finished["server"]


def test_prf_of_a_length_is_the_prefix_of_a_longer_one():
    long = prf(b"secret", b"label", b"seed", 100)
    assert len(long) == 100
    assert prf(b"secret", b"label", b"seed", 37) == long[:37]
    assert prf(b"secret", b"label", b"seee", 37) != long[:37]


suites = st.sampled_from(sorted(CIPHER_SUITES)).map(CIPHER_SUITES.__getitem__)


@settings(max_examples=60, deadline=None)
@given(
    suites, st.booleans(), st.binary(max_size=300), st.integers(0, 0xFFFF), st.integers(0, (1 << 48) - 1), st.randoms()
)
def test_protection_round_trips_and_refuses_any_changed_byte(suite, etm, plaintext, epoch, sequence_number, rng):
    keys = key_block(suite, rng.randbytes(48), rng.randbytes(32), rng.randbytes(32)).client
    protection = RecordProtection(suite, keys, etm)
    iv = rng.randbytes(suite.record_iv_length)
    fragment = protection.protect(epoch, sequence_number, dtls.HANDSHAKE, dtls.DTLS_1_2, plaintext, iv)
    assert protection.unprotect(epoch, sequence_number, dtls.HANDSHAKE, dtls.DTLS_1_2, fragment) == plaintext
    position = rng.randrange(len(fragment))
    forged = bytearray(fragment)
    forged[position] ^= 1 << rng.randrange(8)
    with pytest.raises(ValueError, match="dtls record mac is invalid"):
        protection.unprotect(epoch, sequence_number, dtls.HANDSHAKE, dtls.DTLS_1_2, bytes(forged))
    with pytest.raises(ValueError, match="dtls record mac is invalid"):  # RFC 6347 §4.1.2.1: the epoch is bound
        protection.unprotect(epoch ^ 1, sequence_number, dtls.HANDSHAKE, dtls.DTLS_1_2, fragment)
