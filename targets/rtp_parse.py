"""Unprotected RTP packets, parsed by aiortc with every header extension it knows mapped."""

from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from harness.target import Target

# Every extension aiortc's HeaderExtensionsMap can decode, each on its own one-byte id, so that
# all of its extension parsers are reachable.
EXTENSION_URIS = (
    "urn:ietf:params:rtp-hdrext:sdes:mid",
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "urn:ietf:params:rtp-hdrext:toffset",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
)
EXTENSIONS = HeaderExtensionsMap()
EXTENSIONS.configure(
    RTCRtpParameters(
        headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=number, uri=uri) for number, uri in enumerate(EXTENSION_URIS, 1)
        ]
    )
)


def parse_rtp(data: bytes) -> RtpPacket:
    return RtpPacket.parse(data, EXTENSIONS)


target = Target(
    name="rtp_parse",
    protocol="RTP",
    component="aiortc",
    entry=parse_rtp,
    # aiortc.rtcdtlstransport.RTCDtlsTransport._handle_rtp_data catches ValueError around it.
    rejects=(ValueError,),
    instrument=("aiortc.rtp",),
)
