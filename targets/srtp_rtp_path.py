"""Plaintext RTP packets, protected as aiortc sends them, then unprotected and parsed as its DTLS transport
receives them; it may refuse them with pylibsrtp.Error or ValueError; RTP packet structure guides the fuzzer."""

import pylibsrtp

from harness.protocols.rtp import CODEC, rtp_packets
from harness.target import Target

from ._srtp_path import EXTENSION_IDS, MAX_RTP_LENGTH, protect, receive, round_trip

target = Target(
    name="srtp_rtp_path",
    protocol="RTP",
    component="aiortc",
    entry=receive,
    # aiortc.rtcdtlstransport.RTCDtlsTransport._recv_next catches pylibsrtp.Error around unprotect,
    # and RTCDtlsTransport._handle_rtp_data catches ValueError around RtpPacket.parse (_handle_rtcp_data
    # around RtcpPacket.parse, for a marker and payload type that demultiplex as RTCP, RFC 5761 §4).
    rejects=(pylibsrtp.Error, ValueError),
    instrument=("aiortc.rtp", "aiortc.rtcdtlstransport"),
    oracle=round_trip,
    repair=protect,
    mutator=CODEC.mutator,
    crossover=CODEC.crossover,
    strategy=lambda: CODEC.mutated(rtp_packets(extension_ids=EXTENSION_IDS)),
    # What pylibsrtp can protect: its 1500-byte buffer less the largest SRTP trailer, so the unprotect
    # "packet is too long" ValueError (known, srtp_unprotect) cannot pass for the parser's refusal here.
    max_len=MAX_RTP_LENGTH,
)
