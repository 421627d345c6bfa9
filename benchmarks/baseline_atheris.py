"""The minimal hand-written atheris script a maintainer would write for each target.

It is the baseline of atheris_speed.py: same function, same instrumented modules (and only
those: libFuzzer scans every counter after every input), no harness (no worker, no verdicts);
every exception is swallowed so that it never stops on a bug.

usage: python benchmarks/baseline_atheris.py TARGET [libFuzzer args]
"""

import sys

import atheris

KEY = bytes(range(1, 65))


def stun_parse():
    from aioice import stun

    return stun.parse_message


def sdp_parse():
    from aiortc import sdp

    return lambda data: sdp.SessionDescription.parse(data.decode("utf-8", "replace"))


def rtp_parse():
    from aiortc import rtp
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters as Extension
    from aiortc.rtcrtpparameters import RTCRtpParameters

    uris = [
        "urn:ietf:params:rtp-hdrext:sdes:mid",
        "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "urn:ietf:params:rtp-hdrext:toffset",
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    ]
    extensions = rtp.HeaderExtensionsMap()
    extensions.configure(RTCRtpParameters(headerExtensions=[Extension(id=i, uri=u) for i, u in enumerate(uris, 1)]))
    return lambda data: rtp.RtpPacket.parse(data, extensions)


def rtcp_parse():
    from aiortc import rtp

    return rtp.RtcpPacket.parse


def sctp_packet():
    from aiortc import rtcsctptransport

    return rtcsctptransport.parse_packet


def srtp_session():
    import pylibsrtp

    profiles = [
        (pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 30),
        (pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32, 30),
        (pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 28),
        (pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM, 44),
    ]

    def session(data):
        profile, length = profiles[data[0] % 4] if data else profiles[0]
        policy = pylibsrtp.Policy(key=KEY[:length], ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND, srtp_profile=profile)
        return pylibsrtp.Session(policy), data[1:]

    return session


def srtp_unprotect():
    session = srtp_session()

    def unprotect(data):
        s, packet = session(data)
        s.unprotect(packet)

    return unprotect


def srtcp_unprotect():
    session = srtp_session()

    def unprotect_rtcp(data):
        s, packet = session(data)
        s.unprotect_rtcp(packet)

    return unprotect_rtcp


INSTRUMENT = {
    stun_parse: "aioice.stun",
    sdp_parse: "aiortc.sdp",
    rtp_parse: "aiortc.rtp",
    rtcp_parse: "aiortc.rtp",
    sctp_packet: "aiortc.rtcsctptransport",
    srtp_unprotect: "pylibsrtp",
    srtcp_unprotect: "pylibsrtp",
}
build = {f.__name__: f for f in INSTRUMENT}[sys.argv.pop(1)]
with atheris.instrument_imports(include=[INSTRUMENT[build]]):
    drive = build()


def TestOneInput(data):
    try:
        drive(data)
    except Exception:
        pass


atheris.Setup(sys.argv, TestOneInput)
atheris.Fuzz()
