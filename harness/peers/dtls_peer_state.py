"""The handshake state of the scripted DTLS peer: what was offered, chosen, sent and received, and the keys.

State follows the messages that actually crossed the wire in either direction, so a test's lie
(a ServerHello picking a suite never offered, say) is what this side goes on with. The keys:
premaster from ECDHE (RFC 8422 §5.10), master secret (RFC 5246 §8.1, or RFC 7627 §4 with the
session hash up to and including ClientKeyExchange), key block (RFC 5246 §6.3) installed as
epoch 1; the results of a finished handshake are the exporter (RFC 5705) and the DTLS-SRTP keys
(RFC 5764 §4.2).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any, Optional

from cryptography import x509

from harness.peers.dtls_peer_keys import EphemeralKey, PeerCertificate
from harness.peers.dtls_record_layer import RecordLayer
from harness.protocols import dtls
from harness.protocols.dtls import Handshake, Uint16List, UseSrtp
from harness.protocols.dtls_handshake import (
    ClientHello,
    ClientKeyExchange,
    Finished,
    HelloVerifyRequest,
    ServerHello,
    ServerKeyExchange,
    find_extension,
    parse_body,
)
from harness.protocols.srtp_profiles import SrtpProfile, dtls_srtp_profile
from harness.protocols.tls_crypto import (
    AES_CBC_HMAC_SHA1,
    CIPHER_SUITES,
    SrtpKeyingMaterial,
    export_keying_material,
    extended_master_secret,
    handshake_hash,
    key_block,
    master_secret,
    srtp_keying_material,
)
from harness.protocols.tls_record_protection import RecordProtection

# RFC 5764 §4.1.2 and RFC 7714 §14.2 code points of the profiles the reference SRTP knows.
SRTP_PROFILES_BY_CODE: dict[int, SrtpProfile] = {
    dtls.SRTP_AES128_CM_HMAC_SHA1_80: dtls_srtp_profile(b"SRTP_AES128_CM_SHA1_80"),
    dtls.SRTP_AES128_CM_HMAC_SHA1_32: dtls_srtp_profile(b"SRTP_AES128_CM_SHA1_32"),
    dtls.SRTP_AEAD_AES_128_GCM: dtls_srtp_profile(b"SRTP_AEAD_AES_128_GCM"),
    dtls.SRTP_AEAD_AES_256_GCM: dtls_srtp_profile(b"SRTP_AEAD_AES_256_GCM"),
}
NEW_EPOCH = 1  # RFC 6347 §4.1: the first handshake's keys are epoch 1 (no renegotiation here)
# What a received item is called, as conversations and learned models name it.
HANDSHAKE_NAMES = {
    dtls.HELLO_REQUEST: "HelloRequest",
    dtls.CLIENT_HELLO: "ClientHello",
    dtls.SERVER_HELLO: "ServerHello",
    dtls.HELLO_VERIFY_REQUEST: "HelloVerifyRequest",
    dtls.CERTIFICATE: "Certificate",
    dtls.SERVER_KEY_EXCHANGE: "ServerKeyExchange",
    dtls.CERTIFICATE_REQUEST: "CertificateRequest",
    dtls.SERVER_HELLO_DONE: "ServerHelloDone",
    dtls.CERTIFICATE_VERIFY: "CertificateVerify",
    dtls.CLIENT_KEY_EXCHANGE: "ClientKeyExchange",
    dtls.FINISHED: "Finished",
}
CONTENT_NAMES = {
    dtls.HANDSHAKE: "Handshake",  # a handshake record that could not be opened
    dtls.CHANGE_CIPHER_SPEC: "ChangeCipherSpec",
    dtls.ALERT: "Alert",
    dtls.APPLICATION_DATA: "ApplicationData",
}


@dataclass
class Received:
    """One received record, or one handshake message (or fragment) of a record: what it was and how it fared.

    A datagram that does not even split into records is one item with epoch, sequence_number
    and version -1 and the parse error.
    """

    content_type: int
    epoch: int
    sequence_number: int
    version: int
    msg_type: Optional[int] = None
    message_seq: Optional[int] = None
    message: Any = None  # the typed body, Alert, ChangeCipherSpec, or application data bytes
    decrypted: bool = False  # the record was protected and opened with its epoch's keys
    error: Optional[str] = None  # why it could not be opened or parsed ("dtls record mac is invalid", ...)
    verified: Optional[bool] = None  # ServerKeyExchange and CertificateVerify signatures, Finished verify_data
    complete: bool = True  # False for a fragment of a message not yet whole, or a message ahead of its turn
    retransmission: bool = False  # a handshake message_seq already processed: not processed again
    duplicate: bool = False  # the record's epoch and sequence number came before (RFC 6347 §4.1.2.6)

    @property
    def name(self) -> str:
        """What it is: "ServerHello", "Alert", "ChangeCipherSpec", "Handshake(99)", "Record(99)"."""
        if self.content_type == dtls.HANDSHAKE and self.msg_type is not None:
            return HANDSHAKE_NAMES.get(self.msg_type, f"Handshake({self.msg_type})")
        return CONTENT_NAMES.get(self.content_type, f"Record({self.content_type})")

    def for_message(self, msg_type: int, message_seq: int) -> Received:
        return replace(self, msg_type=msg_type, message_seq=message_seq)


class HandshakeState:
    def __init__(
        self,
        role: str,
        rng: random.Random,
        certificate: PeerCertificate,
        *,
        cipher_suites: tuple[int, ...],
        groups: tuple[int, ...],
        srtp_profiles: tuple[int, ...],
        mki: bytes,
        extended_master_secret: bool,
        encrypt_then_mac: bool,
        request_certificate: bool,
        cookie: Optional[bytes],
    ) -> None:
        self.role = role
        self.rng = rng
        self.local_certificate = certificate
        self.cipher_suites = cipher_suites  # offered as client, in preference order as server
        self.groups = groups
        self.srtp_profiles = srtp_profiles
        self.offer_mki = mki  # the MKI this side puts in use_srtp (RFC 5764 §4.1.1)
        self.offer_extended_master_secret = extended_master_secret
        self.offer_encrypt_then_mac = encrypt_then_mac
        self.request_certificate = request_certificate
        self.cookie = cookie  # server role: the cookie a ClientHello must carry (RFC 6347 §4.2.1)
        self.records = RecordLayer(rng)
        self.transcript = bytearray()  # RFC 6347 §4.2.6: every message as if sent in one fragment
        self.next_send_seq = 0
        self.next_receive_seq = 0
        self._fragments: dict[int, list[Handshake]] = {}
        self.due: Optional[str] = "client_hello" if role == "client" else None  # the flight respond() sends
        # What the hellos said: randoms, the client's offer, the server's choice.
        self.client_random = b""
        self.server_random = rng.randbytes(dtls.RANDOM_LENGTH) if role == "server" else b""
        if role == "client":
            self.client_random = rng.randbytes(dtls.RANDOM_LENGTH)
        self.cookie_received = b""
        self.client_hello_record_sequence = 0
        self.offered: Optional[ClientHello] = None
        self.cipher_suite: Optional[int] = None
        self.group: Optional[int] = None
        self.extended_master_secret = False
        self.encrypt_then_mac = False
        self.negotiated_srtp_profile: Optional[int] = None
        self.negotiated_mki = b""
        # Keys and what the peer showed.
        self._ephemeral: dict[int, EphemeralKey] = {}
        self.peer_public = b""
        self.premaster_secret: Optional[bytes] = None
        self.master_secret: Optional[bytes] = None
        self.peer_certificates: list[bytes] = []
        self.certificate_requested = False
        self.finished_sent = False
        self.finished_received: Optional[bool] = None
        self.alerts_received: list[Any] = []
        self.application_data_received: list[bytes] = []

    # --- what the hellos say -----------------------------------------------------------------

    def _adopt_client_hello(self, hello: ClientHello) -> None:
        self.offered = hello
        self.client_random = hello.random

    def _choose(self) -> None:
        """Server role: the first of its own preferences the client offered (none: left for a test to set)."""
        assert self.offered is not None
        groups = find_extension(self.offered.extensions, dtls.SUPPORTED_GROUPS)
        offered_groups = groups.values if isinstance(groups, Uint16List) else []
        srtp = find_extension(self.offered.extensions, dtls.USE_SRTP)
        offered_profiles = srtp.profiles if isinstance(srtp, UseSrtp) else []
        self.cipher_suite = next((s for s in self.cipher_suites if s in self.offered.cipher_suites), None)
        self.group = next((g for g in self.groups if g in offered_groups), None)
        self.negotiated_srtp_profile = next((p for p in self.srtp_profiles if p in offered_profiles), None)
        self.negotiated_mki = self.offer_mki
        self.extended_master_secret = self.offer_extended_master_secret and self.offered_extension(
            dtls.EXTENDED_MASTER_SECRET
        )
        self.encrypt_then_mac = self.offer_encrypt_then_mac and self.offered_extension(dtls.ENCRYPT_THEN_MAC)

    def offered_extension(self, extension_type: int) -> bool:
        return self.offered is not None and self.offered.extension(extension_type) is not None

    def _adopt_server_hello(self, hello: ServerHello) -> None:
        self.server_random = hello.random
        self.cipher_suite = hello.cipher_suite
        self.extended_master_secret = hello.extension(dtls.EXTENDED_MASTER_SECRET) is not None
        self.encrypt_then_mac = hello.extension(dtls.ENCRYPT_THEN_MAC) is not None
        srtp = hello.extension(dtls.USE_SRTP)
        if isinstance(srtp, UseSrtp):
            self.negotiated_srtp_profile = srtp.profiles[0] if srtp.profiles else None
            self.negotiated_mki = srtp.mki
        else:
            self.negotiated_srtp_profile, self.negotiated_mki = None, b""

    # --- the transcript and what sending changes ---------------------------------------------

    def _append_transcript(self, message: Handshake) -> None:
        self.transcript += bytes(Handshake.whole(message.msg_type, message.message_seq, message.body))

    def _note_sent(self, message: Handshake) -> None:
        self.next_send_seq = max(self.next_send_seq, message.message_seq + 1)
        self.due = None
        try:
            body = parse_body(message.msg_type, message.body)
        except ValueError:
            body = message.body  # a malformed message a test sent on purpose: in the transcript as it is
        if isinstance(body, HelloVerifyRequest):
            return  # RFC 6347 §4.2.1: not in the transcript
        if isinstance(body, ClientHello):
            self._adopt_client_hello(body)
        elif isinstance(body, ServerHello):
            self._adopt_server_hello(body)
        elif isinstance(body, ServerKeyExchange):
            self.group = body.named_curve
        elif isinstance(body, Finished):
            self.finished_sent = True
        self._append_transcript(message)
        if isinstance(body, ClientKeyExchange):
            self._derive_keys()

    def _after_received(self, msg_type: int) -> None:
        if self.role == "client" and msg_type == dtls.SERVER_HELLO_DONE:
            self.due = "client_final_flight"
        elif self.role == "server" and msg_type == dtls.FINISHED:
            self.due = "server_final_flight"

    # --- keys --------------------------------------------------------------------------------

    def ephemeral(self, group: int) -> EphemeralKey:
        """This peer's ECDHE key on `group`, drawn from the seeded generator the first time it is needed."""
        if group not in self._ephemeral:
            self._ephemeral[group] = EphemeralKey(group, self.rng)
        return self._ephemeral[group]

    def _derive_keys(self, item: Optional[Received] = None) -> None:
        """After ClientKeyExchange: premaster, master secret, and the key block installed as epoch 1."""
        suite = CIPHER_SUITES.get(self.cipher_suite or -1)
        try:
            if self.group is None or suite is None:
                raise ValueError("dtls cipher_suite or group is invalid")
            self.premaster_secret = self.ephemeral(self.group).exchange(self.peer_public)
        except ValueError as error:
            if item is not None:
                item.error = str(error)
            return
        if self.extended_master_secret:
            self.master_secret = extended_master_secret(self.premaster_secret, handshake_hash(bytes(self.transcript)))
        else:
            self.master_secret = master_secret(self.premaster_secret, self.client_random, self.server_random)
        keys = key_block(suite, self.master_secret, self.client_random, self.server_random)
        etm = self.encrypt_then_mac and suite.protection == AES_CBC_HMAC_SHA1  # RFC 7366 §3: block ciphers only
        client, server = RecordProtection(suite, keys.client, etm), RecordProtection(suite, keys.server, etm)
        write, read = (client, server) if self.role == "client" else (server, client)
        self.records.install(NEW_EPOCH, write=write, read=read)

    # --- results -----------------------------------------------------------------------------

    @property
    def handshake_complete(self) -> bool:
        return self.finished_sent and self.finished_received is True

    @property
    def peer_certificate(self) -> Optional[x509.Certificate]:
        return x509.load_der_x509_certificate(self.peer_certificates[0]) if self.peer_certificates else None

    @property
    def mki(self) -> bytes:
        """The MKI of the use_srtp the ServerHello carried (RFC 5764 §4.1.1)."""
        return self.negotiated_mki

    def exporter(self, label: bytes, length: int, context: Optional[bytes] = None) -> bytes:
        """RFC 5705 keying material of this handshake."""
        if self.master_secret is None:
            raise RuntimeError("no master secret yet")
        return export_keying_material(
            self.master_secret, self.client_random, self.server_random, label, length, context
        )

    def srtp_keying_material(self) -> SrtpKeyingMaterial:
        """RFC 5764 §4.2: the negotiated profile and the client and server write keys and salts."""
        if self.master_secret is None or self.negotiated_srtp_profile not in SRTP_PROFILES_BY_CODE:
            raise RuntimeError("no SRTP profile negotiated, or no master secret yet")
        profile = SRTP_PROFILES_BY_CODE[self.negotiated_srtp_profile]
        return srtp_keying_material(self.master_secret, self.client_random, self.server_random, profile)
