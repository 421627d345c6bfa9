"""A scripted DTLS 1.2 peer: builds each handshake message, sends it whole or not, and judges what comes back.

For conformance conversations in the manner of tlsfuzzer ("send this, expect that") against
aiortc's RTCDtlsTransport, in either role, without sockets: the peer turns messages into
datagrams and datagrams into `Received` items; the test moves the bytes.

    peer = DtlsPeer("client", seed=7)
    datagrams = peer.respond()                 # the standard next flight: here the ClientHello
    items = peer.receive(datagram)             # what came back, decrypted, parsed and verified
    peer.send(peer.certificate([]))            # or a flight built message by message, with lies
    peer.send(peer.client_key_exchange(), fragments=[20])
    peer.change_cipher_spec()
    peer.send(peer.finished(verify_data=bytes(12)))
    datagrams = peer.flush(records_per_datagram=1)

The handshake (RFC 5246 §7.3, RFC 6347 §4.2.4) is full ECDHE-ECDSA with mutual authentication,
as WebRTC needs (RFC 8827 §6.5): the state follows what was actually sent and received, so a
ServerHello that picks another suite or SRTP profile makes this peer use that one too. The
transcript hashes every message as if sent whole (RFC 6347 §4.2.6), without the first
ClientHello and the HelloVerifyRequest of a cookie exchange (§4.2.1). Messages are numbered by
message_seq (§4.2.2): one below the next expected is a retransmission, reported and not
processed again. Builders and defaults: harness.peers.dtls_peer_messages.
"""

from __future__ import annotations

import random
from typing import Any, Literal, Optional

from harness.peers.dtls_peer_keys import PeerCertificate, verify
from harness.peers.dtls_peer_messages import MessageBuilders
from harness.peers.dtls_peer_state import Received
from harness.peers.dtls_record_layer import tamper
from harness.protocols import dtls
from harness.protocols.dtls import ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC, HANDSHAKE, Datagram, Handshake, Record
from harness.protocols.dtls_handshake import (
    SECP256R1,
    X25519,
    Alert,
    Certificate,
    CertificateRequest,
    CertificateVerify,
    ChangeCipherSpec,
    ClientHello,
    ClientKeyExchange,
    Finished,
    HelloVerifyRequest,
    ServerHello,
    ServerKeyExchange,
    parse_body,
)
from harness.protocols.tls_crypto import CLIENT_FINISHED_LABEL, SERVER_FINISHED_LABEL, verify_data

__all__ = ["DtlsPeer", "PeerCertificate", "Received", "tamper"]

Role = Literal["client", "server"]


class DtlsPeer(MessageBuilders):
    """One scripted DTLS 1.2 endpoint; see the module docstring, and MessageBuilders for the builders."""

    def __init__(
        self,
        role: Role,
        *,
        certificate: Optional[PeerCertificate] = None,
        cipher_suites: tuple[int, ...] = (0xC02B,),
        groups: tuple[int, ...] = (X25519, SECP256R1),
        srtp_profiles: tuple[int, ...] = (
            dtls.SRTP_AEAD_AES_256_GCM,
            dtls.SRTP_AEAD_AES_128_GCM,
            dtls.SRTP_AES128_CM_HMAC_SHA1_80,
        ),
        mki: bytes = b"",
        extended_master_secret: bool = True,
        encrypt_then_mac: bool = True,
        request_certificate: bool = True,
        cookie: Optional[bytes] = None,
        seed: int = 0,
    ) -> None:
        if role not in ("client", "server"):
            raise ValueError("role must be 'client' or 'server'")
        rng = random.Random(seed)
        super().__init__(
            role,
            rng,
            certificate if certificate is not None else PeerCertificate.generate(rng),
            cipher_suites=cipher_suites,
            groups=groups,
            srtp_profiles=srtp_profiles,
            mki=mki,
            extended_master_secret=extended_master_secret,
            encrypt_then_mac=encrypt_then_mac,
            request_certificate=request_certificate,
            cookie=cookie,
        )

    # --- the standard next flight ------------------------------------------------------------

    def respond(
        self, *, omit: tuple[str, ...] = (), records_per_datagram: Optional[int] = None, **overrides: dict[str, Any]
    ) -> list[bytes]:
        """Send the flight the handshake calls for now, as datagrams; `omit` and `overrides` name builders.

        `peer.respond(omit=("certificate_verify",), finished={"verify_data": bytes(12)})` sends the
        client's last flight without CertificateVerify and with a wrong Finished.
        """
        due = self.due
        if due is None:
            raise RuntimeError(f"the {self.role} has no flight to send now")
        for step in FLIGHTS[due](self):
            if step not in omit:
                self.send_step(step, **overrides.get(step, {}))
        return self.flush(records_per_datagram=records_per_datagram)

    def send_step(self, step: str, **overrides: Any) -> None:
        """Queue one step of a flight by its builder's name ("finished", "change_cipher_spec"), with overrides."""
        if step == "change_cipher_spec":
            self.change_cipher_spec()
            return
        if step == "hello_verify_request":
            # RFC 6347 §4.2.1: the HelloVerifyRequest takes the ClientHello's record sequence number.
            self.records.skip_to(self.client_hello_record_sequence)
        self.send(getattr(self, step)(**overrides))

    # --- sending -----------------------------------------------------------------------------

    def send(
        self,
        message: Handshake,
        *,
        fragments: Optional[list[int]] = None,
        epoch: Optional[int] = None,
        sequence_number: Optional[int] = None,
        version: int = dtls.DTLS_1_2,
        transcript: bool = True,
    ) -> list[Record]:
        """Queue a handshake message in records (one per fragment, RFC 6347 §4.2.3) of the write epoch.

        `fragments` are the fragment sizes (the last takes the rest); `epoch`, `sequence_number`
        and `version` override the record header; `transcript=False` leaves the message out of the
        transcript and the state (a message "never sent" as far as this peer's handshake goes).
        """
        pieces = dtls.fragment_message(message, fragments) if fragments else [message]
        records = []
        for index, piece in enumerate(pieces):
            number = None if sequence_number is None else sequence_number + index
            records.append(
                self.records.queue(HANDSHAKE, bytes(piece), epoch=epoch, sequence_number=number, version=version)
            )
        if transcript:
            self._note_sent(message)
        return records

    def change_cipher_spec(self, **record_options: Any) -> Record:
        """Queue a ChangeCipherSpec (RFC 5246 §7.1), then write in the next epoch with the new keys."""
        record = self.records.queue(CHANGE_CIPHER_SPEC, bytes(ChangeCipherSpec()), **record_options)
        self.records.change_write_epoch()
        return record

    def application_data(self, data: bytes, **record_options: Any) -> Record:
        return self.records.queue(APPLICATION_DATA, data, **record_options)

    def alert(self, level: int, description: int, **record_options: Any) -> Record:
        return self.records.queue(ALERT, bytes(Alert(level, description)), **record_options)

    def flush(self, *, records_per_datagram: Optional[int] = None) -> list[bytes]:
        """The queued records as datagrams: all in one, or `records_per_datagram` in each."""
        return self.records.flush(records_per_datagram=records_per_datagram)

    def replay(self, *indices: int) -> bytes:
        """A datagram of records already sent (indices into `sent_records`), byte for byte."""
        return self.records.replay(*indices)

    @property
    def sent_records(self) -> list[Record]:
        return self.records.sent

    # --- receiving ---------------------------------------------------------------------------

    def receive(self, datagram: bytes) -> list[Received]:
        """Every record of a datagram: opened with its epoch's keys, handshake messages reassembled and processed."""
        try:
            records = Datagram.parse(datagram).records
        except ValueError as error:
            return [
                Received(
                    content_type=datagram[0] if datagram else -1,
                    epoch=-1,
                    sequence_number=-1,
                    version=-1,
                    error=str(error),
                )
            ]
        items: list[Received] = []
        for record in records:
            items.extend(self._receive_record(record))
        return items

    def _receive_record(self, record: Record) -> list[Received]:
        item = Received(record.content_type, record.epoch, record.sequence_number, record.version)
        item.duplicate = self.records.seen_before(record)
        try:
            plaintext = self.records.open(record)
        except ValueError as error:
            item.error = str(error)
            return [item]
        item.decrypted = self.records.reads_protected(record.epoch)
        try:
            if record.content_type == HANDSHAKE:
                return [self._receive_fragment(item, fragment) for fragment in dtls.parse_handshakes(plaintext)]
            if record.content_type == CHANGE_CIPHER_SPEC:
                item.message = ChangeCipherSpec.parse(plaintext)
                self.records.change_read_epoch()
            elif record.content_type == ALERT:
                item.message = Alert.parse(plaintext)
                self.alerts_received.append(item.message)
            elif record.content_type == APPLICATION_DATA:
                item.message = plaintext
                self.application_data_received.append(plaintext)
            else:
                item.message = plaintext
        except ValueError as error:
            item.error = str(error)
        return [item]

    def _receive_fragment(self, record_item: Received, fragment: Handshake) -> Received:
        item = record_item.for_message(fragment.msg_type, fragment.message_seq)
        if fragment.message_seq < self.next_receive_seq:
            item.retransmission = True  # RFC 6347 §4.2.4: an earlier flight again; not processed twice
            return item
        pieces = self._fragments.setdefault(fragment.message_seq, [])
        pieces.append(fragment)
        try:
            body = dtls.reassemble(pieces)
        except ValueError:
            item.complete = False  # RFC 6347 §4.2.3: more fragments to come
            return item
        if fragment.message_seq > self.next_receive_seq:
            item.complete = False  # a later message before an earlier one: kept until its turn (§4.2.2)
            return item
        del self._fragments[fragment.message_seq]
        self.next_receive_seq += 1
        self._process(item, Handshake.whole(fragment.msg_type, fragment.message_seq, body))
        return item

    def _process(self, item: Received, message: Handshake) -> None:
        try:
            body = parse_body(message.msg_type, message.body)
        except ValueError as error:
            item.error = str(error)
            self._append_transcript(message)
            return
        item.message = body
        if isinstance(body, ClientHello):
            self._receive_client_hello(body, message, item.sequence_number)
            return
        if isinstance(body, HelloVerifyRequest):
            self.cookie_received = body.cookie
            self.transcript = bytearray()  # RFC 6347 §4.2.1: neither the first ClientHello nor this counts
            self.due = "client_hello"
            return
        if isinstance(body, ServerHello):
            self._adopt_server_hello(body)
        elif isinstance(body, Certificate):
            self.peer_certificates = body.certificates
        elif isinstance(body, ServerKeyExchange):
            item.verified = self._verify_peer(
                self.client_random + self.server_random + body.params, body.signature_algorithm, body.signature
            )
            self.group, self.peer_public = body.named_curve, body.public
        elif isinstance(body, CertificateRequest):
            self.certificate_requested = True
        elif isinstance(body, CertificateVerify):
            item.verified = self._verify_peer(bytes(self.transcript), body.signature_algorithm, body.signature)
        elif isinstance(body, Finished):
            item.verified = self._finished_verifies(body)
            self.finished_received = item.verified
        self._append_transcript(message)
        if isinstance(body, ClientKeyExchange):
            self.peer_public = body.public
            self._derive_keys(item)
        self._after_received(message.msg_type)

    def _receive_client_hello(self, hello: ClientHello, message: Handshake, record_sequence: int) -> None:
        self.client_hello_record_sequence = record_sequence
        self._adopt_client_hello(hello)
        self._choose()
        self.transcript = bytearray()  # RFC 6347 §4.2.1: only the ClientHello that is answered counts
        if self.cookie is not None and hello.cookie != self.cookie:
            self.due = "hello_verify_request"
            return
        self._append_transcript(message)
        self.due = "server_flight"

    def _verify_peer(self, data: bytes, algorithm: int, signature: bytes) -> bool:
        return bool(self.peer_certificates) and verify(self.peer_certificates[0], data, algorithm, signature)

    def _finished_verifies(self, finished: Finished) -> bool:
        if self.master_secret is None:
            return False
        label = SERVER_FINISHED_LABEL if self.role == "client" else CLIENT_FINISHED_LABEL
        return finished.verify_data == verify_data(self.master_secret, label, bytes(self.transcript))

    # --- tampering ---------------------------------------------------------------------------

    tamper = staticmethod(tamper)


def _client_final_flight(peer: DtlsPeer) -> list[str]:
    steps = ["certificate"] if peer.certificate_requested else []
    steps.append("client_key_exchange")
    if peer.certificate_requested:
        steps.append("certificate_verify")
    return [*steps, "change_cipher_spec", "finished"]


def _server_flight(peer: DtlsPeer) -> list[str]:
    steps = ["server_hello", "certificate", "server_key_exchange"]
    if peer.request_certificate:
        steps.append("certificate_request")
    return [*steps, "server_hello_done"]


# RFC 5246 §7.3 / RFC 6347 §4.2.4: the flights of a full handshake, by what is due.
FLIGHTS = {
    "client_hello": lambda peer: ["client_hello"],
    "hello_verify_request": lambda peer: ["hello_verify_request"],
    "server_flight": _server_flight,
    "client_final_flight": _client_final_flight,
    "server_final_flight": lambda peer: ["change_cipher_spec", "finished"],
}
