"""The minimal hand-written atheris script a maintainer would write for each target.

It is the baseline of atheris_speed.py: same functions, same instrumented modules, no harness
(no worker, no verdicts); every exception is swallowed so it never stops on a bug.

usage: python benchmarks/baseline_atheris.py TARGET [libFuzzer args]
"""

import sys

import atheris

with atheris.instrument_imports(include=["aioice.stun", "aiortc.rtp", "aiortc.sdp", "aiortc.rtcsctptransport"]):
    from aioice import stun
    from aiortc import rtcsctptransport, rtp, sdp
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
with atheris.instrument_imports(include=["pylibsrtp"]):
    import pylibsrtp

PROFILES = [
    (pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 30),
    (pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32, 30),
    (pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 28),
    (pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM, 44),
]
KEY = bytes(range(1, 65))

extensions = rtp.HeaderExtensionsMap()
extensions.configure(
    RTCRtpParameters(
        headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
            RTCRtpHeaderExtensionParameters(id=2, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
            RTCRtpHeaderExtensionParameters(id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
            RTCRtpHeaderExtensionParameters(id=4, uri="urn:ietf:params:rtp-hdrext:toffset"),
            RTCRtpHeaderExtensionParameters(
                id=5, uri="http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
            ),
            RTCRtpHeaderExtensionParameters(id=6, uri="urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"),
            RTCRtpHeaderExtensionParameters(id=7, uri="urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"),
        ]
    )
)


def session(data):
    profile, length = PROFILES[data[0] % 4] if data else PROFILES[0]
    policy = pylibsrtp.Policy(key=KEY[:length], ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND, srtp_profile=profile)
    return pylibsrtp.Session(policy), data[1:]


def srtp(data):
    s, packet = session(data)
    s.unprotect(packet)


def srtcp(data):
    s, packet = session(data)
    s.unprotect_rtcp(packet)


DRIVERS = {
    "stun_parse": stun.parse_message,
    "sdp_parse": lambda data: sdp.SessionDescription.parse(data.decode("utf-8", "replace")),
    "rtp_parse": lambda data: rtp.RtpPacket.parse(data, extensions),
    "rtcp_parse": rtp.RtcpPacket.parse,
    "sctp_packet": rtcsctptransport.parse_packet,
    "srtp_unprotect": srtp,
    "srtcp_unprotect": srtcp,
}
drive = DRIVERS[sys.argv.pop(1)]


def TestOneInput(data):
    try:
        drive(data)
    except Exception:
        pass


atheris.Setup(sys.argv, TestOneInput)
atheris.Fuzz()
