"""The message builders of the scripted DTLS peer: each returns a whole handshake message, ready to send or not.

A builder fills every field from the handshake state (RFC 5246 §7.4, RFC 6347 §4.2, RFC 5764
§4.1.1, RFC 8422 §5) and numbers the message with the next message_seq; its keyword arguments
override any field, which is how a test lies: another SRTP profile or MKI, a suite never offered,
a signature by another key, a wrong verify_data. `message_seq=` renumbers it; the hellos'
`without=` drops extensions by type.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

from cryptography.hazmat.primitives.asymmetric import ec

from harness.peers.dtls_peer_keys import sign
from harness.peers.dtls_peer_state import HandshakeState
from harness.protocols import dtls, tls_crypto
from harness.protocols.dtls import (
    ClientHello,
    EcPointFormats,
    Extension,
    Handshake,
    HelloVerifyRequest,
    RawExtension,
    Uint16List,
    UseSrtp,
)
from harness.protocols.dtls_handshake import (
    ECDSA_SECP256R1_SHA256,
    ECDSA_SIGN,
    NAMED_CURVE,
    NULL_COMPRESSION,
    UNCOMPRESSED,
    Certificate,
    CertificateRequest,
    CertificateVerify,
    ClientKeyExchange,
    Finished,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
)
from harness.protocols.tls_crypto import AES_CBC_HMAC_SHA1, CIPHER_SUITES, CLIENT_FINISHED_LABEL, SERVER_FINISHED_LABEL

# RFC 5746 §3.4, §3.6: an initial handshake's renegotiation_info carries an empty renegotiated_connection.
INITIAL_RENEGOTIATION_INFO = RawExtension(dtls.RENEGOTIATION_INFO, b"\x00")


def _without(extensions: list[Extension], types: tuple[int, ...]) -> list[Extension]:
    return [e for e in extensions if e.extension_type not in types]


class MessageBuilders(HandshakeState):
    def _whole(self, msg_type: int, body: Any, message_seq: Optional[int]) -> Handshake:
        return Handshake.whole(msg_type, self.next_send_seq if message_seq is None else message_seq, bytes(body))

    def _needs(self, value: Optional[Any], what: str) -> Any:
        if value is None:
            raise RuntimeError(f"the {self.role} has no {what} yet: pass one explicitly")
        return value

    def client_hello(
        self,
        *,
        message_seq: Optional[int] = None,
        srtp_profiles: Optional[list[int]] = None,
        mki: Optional[bytes] = None,
        without: tuple[int, ...] = (),
        **fields: Any,
    ) -> Handshake:
        """RFC 6347 §4.2.1 ClientHello: the cookie of a HelloVerifyRequest if one came, the same random again."""
        extensions: list[Extension] = [
            INITIAL_RENEGOTIATION_INFO,
            Uint16List(dtls.SUPPORTED_GROUPS, list(self.groups)),
            EcPointFormats([UNCOMPRESSED]),
            Uint16List(dtls.SIGNATURE_ALGORITHMS, [ECDSA_SECP256R1_SHA256]),
            UseSrtp(
                list(self.srtp_profiles if srtp_profiles is None else srtp_profiles),
                self.offer_mki if mki is None else mki,
            ),
        ]
        if self.offer_extended_master_secret:
            extensions.append(RawExtension(dtls.EXTENDED_MASTER_SECRET, b""))
        if self.offer_encrypt_then_mac:
            extensions.append(RawExtension(dtls.ENCRYPT_THEN_MAC, b""))
        hello = ClientHello(
            dtls.DTLS_1_2,
            self.client_random,
            b"",
            self.cookie_received,
            list(self.cipher_suites),
            [NULL_COMPRESSION],
            _without(extensions, without),
        )
        return self._whole(dtls.CLIENT_HELLO, replace(hello, **fields), message_seq)

    def hello_verify_request(
        self, *, message_seq: Optional[int] = None, cookie: Optional[bytes] = None, **fields: Any
    ) -> Handshake:
        """RFC 6347 §4.2.1: server_version SHOULD be DTLS 1.0 whatever is negotiated, then the cookie."""
        request = HelloVerifyRequest(dtls.DTLS_1_0, self._needs(cookie or self.cookie, "cookie"))
        return self._whole(dtls.HELLO_VERIFY_REQUEST, replace(request, **fields), message_seq)

    def server_hello(
        self,
        *,
        message_seq: Optional[int] = None,
        srtp_profiles: Optional[list[int]] = None,
        mki: Optional[bytes] = None,
        without: tuple[int, ...] = (),
        **fields: Any,
    ) -> Handshake:
        """RFC 5246 §7.4.1.3 with the chosen suite, and use_srtp with the chosen profile and MKI (RFC 5764 §4.1.1)."""
        suite = fields.pop("cipher_suite", self.cipher_suite)
        extensions: list[Extension] = [INITIAL_RENEGOTIATION_INFO, EcPointFormats([UNCOMPRESSED])]
        profiles = srtp_profiles
        if profiles is None and self.negotiated_srtp_profile is not None:
            profiles = [self.negotiated_srtp_profile]
        if profiles is not None:
            extensions.append(UseSrtp(profiles, self.negotiated_mki if mki is None else mki))
        if self.extended_master_secret:
            extensions.append(RawExtension(dtls.EXTENDED_MASTER_SECRET, b""))
        chosen = CIPHER_SUITES.get(suite if suite is not None else -1)
        if self.encrypt_then_mac and chosen is not None and chosen.protection == AES_CBC_HMAC_SHA1:
            extensions.append(RawExtension(dtls.ENCRYPT_THEN_MAC, b""))  # RFC 7366 §2: not with AEAD suites
        hello = ServerHello(
            dtls.DTLS_1_2,
            self.server_random,
            b"",
            self._needs(suite, "cipher suite in common"),
            NULL_COMPRESSION,
            _without(extensions, without),
        )
        return self._whole(dtls.SERVER_HELLO, replace(hello, **fields), message_seq)

    def certificate(
        self, certificates: Optional[list[bytes]] = None, *, message_seq: Optional[int] = None
    ) -> Handshake:
        """RFC 5246 §7.4.2: this peer's certificate by default; [] for an empty list, or any DER certificates."""
        listed = [self.local_certificate.der] if certificates is None else certificates
        return self._whole(dtls.CERTIFICATE, Certificate(listed), message_seq)

    def server_key_exchange(
        self,
        *,
        message_seq: Optional[int] = None,
        group: Optional[int] = None,
        public: Optional[bytes] = None,
        signature_algorithm: int = ECDSA_SECP256R1_SHA256,
        signature: Optional[bytes] = None,
        signing_key: Optional[ec.EllipticCurvePrivateKey] = None,
    ) -> Handshake:
        """RFC 8422 §5.4: this peer's ECDHE point, signed over client_random + server_random + params."""
        group = self._needs(group if group is not None else self.group, "group in common")
        exchange = ServerKeyExchange(
            NAMED_CURVE, group, self.ephemeral(group).public if public is None else public, signature_algorithm, b""
        )
        if signature is None:
            signed = self.client_random + self.server_random + exchange.params
            signature = sign(signing_key or self.local_certificate.key, signed, signature_algorithm)
        return self._whole(dtls.SERVER_KEY_EXCHANGE, replace(exchange, signature=signature), message_seq)

    def certificate_request(self, *, message_seq: Optional[int] = None, **fields: Any) -> Handshake:
        """RFC 5246 §7.4.4 with RFC 8422 §5.5: ecdsa_sign, ecdsa_secp256r1_sha256, no CA names."""
        request = CertificateRequest([ECDSA_SIGN], [ECDSA_SECP256R1_SHA256], [])
        return self._whole(dtls.CERTIFICATE_REQUEST, replace(request, **fields), message_seq)

    def server_hello_done(self, *, message_seq: Optional[int] = None) -> Handshake:
        return self._whole(dtls.SERVER_HELLO_DONE, ServerHelloDone(), message_seq)

    def client_key_exchange(
        self, *, message_seq: Optional[int] = None, public: Optional[bytes] = None, group: Optional[int] = None
    ) -> Handshake:
        """RFC 8422 §5.7: this peer's ECDHE point on the server's group (or on `group`)."""
        group = self._needs(self.group if group is None else group, "group from a ServerKeyExchange")
        return self._whole(
            dtls.CLIENT_KEY_EXCHANGE,
            ClientKeyExchange(self.ephemeral(group).public if public is None else public),
            message_seq,
        )

    def certificate_verify(
        self,
        *,
        message_seq: Optional[int] = None,
        signature_algorithm: int = ECDSA_SECP256R1_SHA256,
        signature: Optional[bytes] = None,
        signing_key: Optional[ec.EllipticCurvePrivateKey] = None,
    ) -> Handshake:
        """RFC 5246 §7.4.8: a signature over every handshake message sent and received so far."""
        if signature is None:
            signature = sign(signing_key or self.local_certificate.key, bytes(self.transcript), signature_algorithm)
        return self._whole(dtls.CERTIFICATE_VERIFY, CertificateVerify(signature_algorithm, signature), message_seq)

    def finished(self, *, message_seq: Optional[int] = None, verify_data: Optional[bytes] = None) -> Handshake:
        """RFC 5246 §7.4.9: PRF(master_secret, this side's label, Hash(transcript))[0..11]."""
        if verify_data is None:
            label = CLIENT_FINISHED_LABEL if self.role == "client" else SERVER_FINISHED_LABEL
            master = self._needs(self.master_secret, "master secret")
            verify_data = tls_crypto.verify_data(master, label, bytes(self.transcript))
        return self._whole(dtls.FINISHED, Finished(verify_data), message_seq)
