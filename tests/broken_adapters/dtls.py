"""Deliberately broken DTLS-SRTP transports: each must make the DTLS suite fail on its own requirement.

Each is aiortc's RTCDtlsTransport with one decision changed, behind the default adapter
(harness.conformance.dtls_adapters), so `--dtls-adapter tests/broken_adapters/dtls.py:Name` runs
the suite against it. tests/test_conformance.py names the requirement each must fail.
"""

import asyncio

from aiortc.rtcdtlstransport import (
    X509_DIGEST_ALGORITHMS,
    RTCCertificate,
    RTCDtlsParameters,
    RTCDtlsTransport,
    SRTPProtectionProfile,
)
from aiortc.rtcicetransport import RTCIceTransport
from OpenSSL import SSL

from harness.conformance.dtls_adapters import AiortcAdapter, AiortcTransport

# Long enough for a conversation to send data into the gap, short of the suite's 3 s timeout.
LATE_CHECK_SECONDS = 0.5


class AcceptsAnyCertificate(RTCDtlsTransport):
    def _validate_peer_identity(self, remoteParameters: RTCDtlsParameters) -> None:
        pass


class ChecksOnlySha256(RTCDtlsTransport):
    """Compares the SHA-256 fingerprints only: a peer signalled by SHA-384 or SHA-512 is never checked."""

    def _validate_peer_identity(self, remoteParameters: RTCDtlsParameters) -> None:
        sha256 = [f for f in remoteParameters.fingerprints if f.algorithm.lower() == "sha-256"]
        if sha256:
            super()._validate_peer_identity(RTCDtlsParameters(fingerprints=sha256))


class AcceptsWhenNoFingerprintIsUsable(RTCDtlsTransport):
    """Checks the fingerprints it can, and lets the peer in when it can check none."""

    def _validate_peer_identity(self, remoteParameters: RTCDtlsParameters) -> None:
        if any(f.algorithm.lower() in X509_DIGEST_ALGORITHMS for f in remoteParameters.fingerprints):
            super()._validate_peer_identity(remoteParameters)


class ConnectsBeforeFingerprintCheck(RTCDtlsTransport):
    """Reports 'connected' and starts delivering at once, and checks the fingerprint a little later."""

    def _validate_peer_identity(self, remoteParameters: RTCDtlsParameters) -> None:
        check = super()._validate_peer_identity
        asyncio.get_running_loop().call_later(LATE_CHECK_SECONDS, check, remoteParameters)


class SwapsSrtpKeyHalves(RTCDtlsTransport):
    """Installs the client's SRTP key and salt where the server's belong, and the other way round."""

    def _setup_srtp(self) -> None:
        role = self._role
        self._role = "client" if role == "server" else "server"
        try:
            super()._setup_srtp()
        finally:
            self._role = role


class IgnoresFatalAlertsInTheHandshake(RTCDtlsTransport):
    """Keeps waiting for more after OpenSSL gave the handshake up: stuck in 'connecting'."""

    async def _do_handshake(self) -> None:
        while not self.encrypted:
            try:
                self._ssl.do_handshake()
            except SSL.Error:  # SSL.WantReadError among them
                await self._write_ssl()
                await self._recv_next()
            else:
                self.encrypted = True


class _ClientCertificateOptional(RTCCertificate):
    """aiortc's certificate whose SSL context asks the peer for a certificate but no longer insists on one."""

    def _create_ssl_context(self, srtp_profiles: list[SRTPProtectionProfile]) -> SSL.Context:
        context = super()._create_ssl_context(srtp_profiles)
        context.set_verify(SSL.VERIFY_PEER, lambda *args: True)  # without SSL.VERIFY_FAIL_IF_NO_PEER_CERT
        return context


class AcceptsFinishedWithoutCertificateVerify(RTCDtlsTransport):
    """Treats the client's certificate as optional: connects a client that sent no CertificateVerify.

    OpenSSL itself refuses a client Certificate without a CertificateVerify, so the broken decision
    is one step earlier, where a TLS server that makes client certificates optional makes it: its
    SSL context asks for a certificate (the CertificateRequest stays in its first flight) with
    SSL.VERIFY_PEER alone instead of aiortc's VERIFY_PEER | VERIFY_FAIL_IF_NO_PEER_CERT, and the
    fingerprint check passes a peer that presented no certificate (there is nothing to compare; aiortc's
    own check would take the digest of None). A client that answers the CertificateRequest with an
    empty Certificate then owes no CertificateVerify (RFC 5246 §7.4.8): ClientHello, Certificate
    (empty), ClientKeyExchange, ChangeCipherSpec, Finished connects, a Finished that no
    CertificateVerify preceded, from a peer that proved nothing (RFC 5763 §5 wants both endpoints
    authenticated with certificates).
    """

    def __init__(self, transport: RTCIceTransport, certificates: list[RTCCertificate]) -> None:
        # A copy: the harness's one certificate (harness.peers.dtls_endpoint) serves unbroken transports too.
        super().__init__(transport, [_ClientCertificateOptional(c._key, c._cert) for c in certificates])

    def _validate_peer_identity(self, remoteParameters: RTCDtlsParameters) -> None:
        if self._ssl.get_peer_certificate() is not None:
            super()._validate_peer_identity(remoteParameters)


def _adapter(transport: type[RTCDtlsTransport]) -> type[AiortcAdapter]:
    carrier = type(f"{transport.__name__}Transport", (AiortcTransport,), {"transport_class": transport})
    return type(f"{transport.__name__}Adapter", (AiortcAdapter,), {"transport_class": carrier})


AcceptsAnyCertificateAdapter = _adapter(AcceptsAnyCertificate)
ChecksOnlySha256Adapter = _adapter(ChecksOnlySha256)
AcceptsWhenNoFingerprintIsUsableAdapter = _adapter(AcceptsWhenNoFingerprintIsUsable)
ConnectsBeforeFingerprintCheckAdapter = _adapter(ConnectsBeforeFingerprintCheck)
SwapsSrtpKeyHalvesAdapter = _adapter(SwapsSrtpKeyHalves)
IgnoresFatalAlertsInTheHandshakeAdapter = _adapter(IgnoresFatalAlertsInTheHandshake)
AcceptsFinishedWithoutCertificateVerifyAdapter = _adapter(AcceptsFinishedWithoutCertificateVerify)
