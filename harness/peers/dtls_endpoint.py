"""An aiortc RTCDtlsTransport in the server role, fed one datagram in memory, no sockets.

RTCDtlsTransport only asks its RTCIceTransport for `role`, `_recv()` and `_send()`
(aiortc/rtcdtlstransport.py: start, _recv_next, _write_ssl), so a small stand-in gives it the
datagram under test, records what it answers, and then reports the ICE connection closed with
ConnectionError, as aioice's Connection.recv does: start() then returns instead of waiting for a
second flight. The transport's state is sampled when it asks for that second datagram, i.e.
after it has handled the first. Each datagram gets a fresh transport (a fresh OpenSSL
connection); the certificate is generated once and shared, as an RTCPeerConnection shares its
own across transports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsParameters, RTCDtlsTransport

from harness.aio import DRIVER

# RFC 5245 role of the ICE agent: with the DTLS role left "auto", start() makes the transport
# the DTLS server when its ICE transport is controlling (aiortc/rtcdtlstransport.py: start).
CONTROLLING = "controlling"
CONTROLLED = "controlled"

_CERTIFICATE: Optional[RTCCertificate] = None


def certificate() -> RTCCertificate:
    """The one certificate every transport of this process uses (generating one costs milliseconds)."""
    global _CERTIFICATE
    if _CERTIFICATE is None:
        _CERTIFICATE = RTCCertificate.generateCertificate()
    return _CERTIFICATE


@dataclass
class FlightOutcome:
    """What the transport did with one datagram: its state afterwards and the datagrams it sent."""

    state: str
    encrypted: bool
    answers: list[bytes] = field(default_factory=list)


class OneDatagramIce:
    """Stands in for RTCIceTransport: delivers one datagram (if any), records sends, then reports closure."""

    def __init__(self, datagram: Optional[bytes], role: str = CONTROLLING) -> None:
        self.role = role
        self.sent: list[bytes] = []
        self.state_after_flight: Optional[str] = None
        self.dtls: Optional[RTCDtlsTransport] = None
        self._pending: Optional[bytes] = datagram

    async def _recv(self) -> bytes:
        if self._pending is not None:
            datagram, self._pending = self._pending, None
            return datagram
        if self.dtls is not None and self.state_after_flight is None:
            self.state_after_flight = self.dtls.state
        raise ConnectionError("Cannot receive data, not connected")

    async def _send(self, data: bytes) -> None:
        self.sent.append(data)


async def _deliver(datagram: Optional[bytes], role: str) -> FlightOutcome:
    ice = OneDatagramIce(datagram, role)
    dtls = RTCDtlsTransport(ice, [certificate()])  # type: ignore[arg-type]
    ice.dtls = dtls
    local = certificate().getFingerprints()  # any fingerprint: the handshake never gets that far
    try:
        await dtls.start(RTCDtlsParameters(fingerprints=local))
    finally:
        await dtls.stop()
    state = ice.state_after_flight if ice.state_after_flight is not None else dtls.state
    return FlightOutcome(state=state, encrypted=dtls.encrypted, answers=list(ice.sent))


def _run(datagram: Optional[bytes], role: str) -> FlightOutcome:
    return DRIVER.run_alone(_deliver(datagram, role))


def deliver_to_server(datagram: bytes) -> FlightOutcome:
    """Run a fresh server-role RTCDtlsTransport over one incoming datagram."""
    return _run(datagram, CONTROLLING)


def aiortc_client_hello() -> bytes:
    """The first datagram a client-role RTCDtlsTransport sends: its real ClientHello flight."""
    return _run(None, CONTROLLED).answers[0]
