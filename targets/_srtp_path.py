"""aiortc's SRTP receive path, keyed with the harness's fixed test key under aiortc's first SRTP profile.

repair: what an aiortc sender does to a plaintext packet (RTCDtlsTransport._send_rtp): protect it
with a fresh outbound session. entry: what the receiving RTCDtlsTransport does with the datagram
(_recv_next, then _handle_rtp_data or _handle_rtcp_data): demultiplex it, unprotect it with a
fresh inbound session, parse it and route it. Fresh sessions keep every verdict a function of its input alone.
oracle: what aiortc parsed, it serializes, and that parses again to equal fields.
"""

from __future__ import annotations

from typing import Any, Union

import pylibsrtp
from aiortc.codecs import HEADER_EXTENSIONS
from aiortc.rtcdtlstransport import SRTP_PROFILES, RtpRouter
from aiortc.rtcrtpparameters import RTCRtpParameters
from aiortc.rtp import AnyRtcpPacket, HeaderExtensionsMap, RtcpPacket, RtpPacket, is_rtcp
from pylibsrtp import Policy, Session

from harness.protocols.srtp_profiles import dtls_srtp_profile
from harness.target import EXHAUSTION, OracleViolation

PYLIBSRTP_BUFFER = 1500  # pylibsrtp.Session's fixed packet buffer (Session.__init__)
# The longest plaintexts pylibsrtp protects: its buffer less the largest trailer it reserves.
MAX_RTP_LENGTH = PYLIBSRTP_BUFFER - pylibsrtp.SRTP_MAX_TRAILER_LEN
MAX_RTCP_LENGTH = PYLIBSRTP_BUFFER - pylibsrtp.SRTP_MAX_SRTCP_TRAILER_LEN

PROFILE = SRTP_PROFILES[0]
# The harness's fixed key material, split for this profile as for every SRTP target (SrtpProfile.master_key).
MASTER_KEY = dtls_srtp_profile(PROFILE.openssl_profile).master_key

# RTCDtlsTransport configures one map with the parameters of every sender and receiver it carries
# (_register_rtp_sender, _register_rtp_receiver); RTCPeerConnection.createOffer gives each
# transceiver HEADER_EXTENSIONS[kind], so an audio and a video transceiver bring both lists.
EXTENSIONS_MAP = HeaderExtensionsMap()
for extensions in HEADER_EXTENSIONS.values():
    EXTENSIONS_MAP.configure(RTCRtpParameters(headerExtensions=extensions))
EXTENSION_IDS = tuple(sorted({e.id for extensions in HEADER_EXTENSIONS.values() for e in extensions}))

Received = Union[RtpPacket, list[AnyRtcpPacket], None]


def _session(ssrc_type: int) -> Session:
    policy = Policy(key=MASTER_KEY, ssrc_type=ssrc_type, srtp_profile=PROFILE.libsrtp_profile)
    policy.allow_repeat_tx = True  # as RTCDtlsTransport._setup_srtp sets both directions
    policy.window_size = 1024
    return Session(policy)


def protect(datagram: bytes) -> bytes:
    """The datagram as aiortc would send it; what libsrtp refuses to protect is left as it is.

    An unprotected datagram fails authentication at the receiver, which refuses it as it should.
    pylibsrtp refuses with pylibsrtp.Error (a header libsrtp cannot read) or ValueError (too long
    for its 1500-byte buffer).
    """
    session = _session(Policy.SSRC_ANY_OUTBOUND)
    try:
        return session.protect_rtcp(datagram) if is_rtcp(datagram) else session.protect(datagram)
    except (pylibsrtp.Error, ValueError):
        return datagram


def receive(datagram: bytes) -> Received:
    """The datagram through RTCDtlsTransport._recv_next and the handler it picks: None when it goes elsewhere."""
    # _recv_next reads data[0] unguarded (an empty datagram raises IndexError there): not
    # reproduced here, where it would be signed as the harness's own frame.
    if not datagram or not 127 < datagram[0] < 192:
        return None  # DTLS (20-63), or dropped
    session = _session(Policy.SSRC_ANY_INBOUND)
    # The handlers route what they parsed, outside their try: a fresh router has no sender or
    # receiver registered, so routing reaches no media code. route_rtcp catches its own ValueError
    # and route_rtp raises none, so a ValueError still means the parser refused.
    router = RtpRouter()
    if is_rtcp(datagram):
        packets = RtcpPacket.parse(session.unprotect_rtcp(datagram))
        for packet in packets:
            router.route_rtcp(packet)
        return packets
    rtp = RtpPacket.parse(session.unprotect(datagram), EXTENSIONS_MAP)
    router.route_rtp(rtp)
    return rtp


def _rtp_fields(packet: RtpPacket) -> tuple[Any, ...]:
    # Everything parse sets; padding octets other than the count are random on serialize.
    return (
        packet.version,
        packet.marker,
        packet.payload_type,
        packet.sequence_number,
        packet.timestamp,
        packet.ssrc,
        packet.csrc,
        packet.extensions,
        packet.payload,
        packet.padding_size,
    )


def _serialized(received: Union[RtpPacket, list[AnyRtcpPacket]]) -> bytes:
    """aiortc's serialization of what it parsed; its failure is a violation naming aiortc's frame."""
    try:
        if isinstance(received, RtpPacket):
            return received.serialize(EXTENSIONS_MAP)
        return b"".join(bytes(packet) for packet in received)
    except EXHAUSTION:
        raise
    except Exception as exc:
        # Re-raised with the serializer's traceback, so the signature names aiortc's failing frame.
        raise OracleViolation(
            "parsed-packet-serializes", f"aiortc cannot serialize what it parsed: {exc!r}"
        ).with_traceback(exc.__traceback__)


def _reparsed(data: bytes, rtp: bool) -> Union[RtpPacket, list[AnyRtcpPacket]]:
    try:
        return RtpPacket.parse(data, EXTENSIONS_MAP) if rtp else RtcpPacket.parse(data)
    except EXHAUSTION:
        raise
    except Exception as exc:
        raise OracleViolation(
            "serialization-parses", f"aiortc refuses its own serialization {data.hex()}: {exc!r}"
        ).with_traceback(exc.__traceback__)


def round_trip(data: bytes, received: Received) -> None:
    """What aiortc parsed, it serializes, and that parses again to the same fields."""
    if received is None:
        return
    rtp = isinstance(received, RtpPacket)
    again = _reparsed(_serialized(received), rtp)
    if isinstance(received, RtpPacket) and isinstance(again, RtpPacket):
        if _rtp_fields(received) != _rtp_fields(again):
            raise OracleViolation(
                "round-trip-keeps-packet", f"RTP round trip changed {_rtp_fields(received)} into {_rtp_fields(again)}"
            )
    elif again != received:
        raise OracleViolation("round-trip-keeps-packet", f"RTCP round trip changed {received} into {again}")
