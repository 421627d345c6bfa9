"""Unprotected RTCP compound packets, parsed by aiortc, which may refuse them with ValueError."""

from aiortc.rtp import RtcpPacket

from harness.target import Target

target = Target(
    name="rtcp_parse",
    protocol="RTCP",
    component="aiortc",
    entry=RtcpPacket.parse,
    # aiortc.rtcdtlstransport.RTCDtlsTransport._handle_rtcp_data catches ValueError around it.
    rejects=(ValueError,),
    instrument=("aiortc.rtp",),
)
