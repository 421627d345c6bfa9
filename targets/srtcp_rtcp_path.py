"""Plaintext RTCP compound packets, protected as aiortc sends them, then unprotected and parsed as its DTLS
transport receives them; it may refuse them with pylibsrtp.Error or ValueError; RTCP structure guides the fuzzer."""

import pylibsrtp

from harness.protocols.rtcp_fuzzing import CODEC, rtcp_compound_packets
from harness.target import Target

from ._srtp_path import MAX_RTCP_LENGTH, protect, receive, round_trip

target = Target(
    name="srtcp_rtcp_path",
    protocol="RTCP",
    component="aiortc",
    entry=receive,
    # aiortc.rtcdtlstransport.RTCDtlsTransport._recv_next catches pylibsrtp.Error around unprotect_rtcp,
    # and RTCDtlsTransport._handle_rtcp_data catches ValueError around RtcpPacket.parse (_handle_rtp_data
    # around RtpPacket.parse, for a packet type outside 192-208 that demultiplexes as RTP).
    rejects=(pylibsrtp.Error, ValueError),
    instrument=("aiortc.rtp", "aiortc.rtcdtlstransport"),
    oracle=round_trip,
    repair=protect,
    mutator=CODEC.mutator,
    crossover=CODEC.crossover,
    strategy=lambda: CODEC.mutated(rtcp_compound_packets()),
    # What pylibsrtp can protect: its 1500-byte buffer less the largest SRTCP trailer (see srtp_rtp_path).
    max_len=MAX_RTCP_LENGTH,
)
