"""SRTCP packets unprotected by pylibsrtp under the profile the first byte picks; refusal is pylibsrtp.Error."""

import pylibsrtp

from harness.target import Target

from ._srtp import inbound_session


def unprotect_rtcp(data: bytes) -> bytes:
    session, packet = inbound_session(data)
    return session.unprotect_rtcp(packet)


target = Target(
    name="srtcp_unprotect",
    protocol="SRTCP",
    component="pylibsrtp",
    entry=unprotect_rtcp,
    # aiortc.rtcdtlstransport.RTCDtlsTransport._recv_next catches pylibsrtp.Error around it.
    rejects=(pylibsrtp.Error,),
    instrument=("pylibsrtp",),
    max_len=2048,  # above pylibsrtp's 1500-byte session buffer, as UDP allows
)
