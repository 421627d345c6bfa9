"""Deliberately broken DTLS-SRTP transports: each must make the DTLS suite fail on its own requirement.

Each is aiortc's RTCDtlsTransport with one decision changed, behind the default adapter
(harness.conformance.dtls_adapters), so `--dtls-adapter tests/broken_adapters/dtls.py:Name` runs
the suite against it. tests/test_conformance.py names the requirement each must fail.
"""

import asyncio

from aiortc.rtcdtlstransport import X509_DIGEST_ALGORITHMS, RTCDtlsParameters, RTCDtlsTransport
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


def _adapter(transport: type[RTCDtlsTransport]) -> type[AiortcAdapter]:
    carrier = type(f"{transport.__name__}Transport", (AiortcTransport,), {"transport_class": transport})
    return type(f"{transport.__name__}Adapter", (AiortcAdapter,), {"transport_class": carrier})


AcceptsAnyCertificateAdapter = _adapter(AcceptsAnyCertificate)
ChecksOnlySha256Adapter = _adapter(ChecksOnlySha256)
AcceptsWhenNoFingerprintIsUsableAdapter = _adapter(AcceptsWhenNoFingerprintIsUsable)
ConnectsBeforeFingerprintCheckAdapter = _adapter(ConnectsBeforeFingerprintCheck)
SwapsSrtpKeyHalvesAdapter = _adapter(SwapsSrtpKeyHalves)
IgnoresFatalAlertsInTheHandshakeAdapter = _adapter(IgnoresFatalAlertsInTheHandshake)
