"""Session descriptions from signaling, parsed by aiortc, which may refuse them with ValueError."""

from harness.target import Target

from ._sdp import parse_sdp

target = Target(
    name="sdp_parse",
    protocol="SDP",
    component="aiortc",
    entry=parse_sdp,
    # No aiortc caller catches around SessionDescription.parse: it runs inside
    # RTCPeerConnection.setRemoteDescription, whose own refusal of a bad description is
    # ValueError (rtcpeerconnection.py, __validate_description); sdp.py raises ValueError too.
    rejects=(ValueError,),
    instrument=("aiortc.sdp",),
    max_len=16384,
)
