"""Regenerate the seed corpora in corpora/<target>/ from real aiortc traffic on 127.0.0.1.

Why: coverage-guided fuzzing starts far deeper from well-formed inputs than from nothing, and
the best well-formed inputs are the ones the stack under test itself exchanges. This script
runs two aiortc peers against each other on loopback (audio, video and a data channel),
records what each layer receives, and writes a small, varied selection of it, plus:
  - the four RFC 5769 STUN messages from vectors/stun_rfc5769.json;
  - SRTP/SRTCP seeds re-protected with the harness's fixed test keys, one copy per profile,
    so that they authenticate in the srtp_unprotect/srtcp_unprotect targets;
  - SDP from aiortc in several transceiver setups, and hand-written browser-shaped SDP.

Live traffic differs on every run (ICE credentials, DTLS keys, SSRCs, sequence numbers,
timestamps, transaction ids), so a regenerated corpus holds different files. Selection is
deterministic given the recorded traffic; no other randomness is used. Each target directory
is emptied of earlier seeds (files named by a SHA-1) before it is rewritten; subfolders such
as regressions/ are left alone.

Usage, from the repository root:  python scripts/record_corpora.py [--out corpora]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import struct
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import aioice.ice
from aioice import stun
from aiortc import RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcsctptransport import RTCSctpTransport
from aiortc.rtp import is_rtcp
from pylibsrtp import Policy, Session

from harness import project
from harness.peers.loopback import candidate_addresses, connected_pair, loopback_configuration, loopback_only
from harness.protocols.srtp_profiles import PROFILES, SrtpProfile

ROOT = project.current().root
VECTORS_DIR = project.current().vectors

MAX_FILES = 40
PER_CLASS = 3  # seeds kept per feature class (same message type, flags and size)
WIRE_SEEDS = 4  # unauthenticated on-the-wire packets per SRTP/SRTCP target
LIVE_SECONDS = 7.0  # past aioice's first consent freshness check (4-6 s)
SHA1_NAME = re.compile(r"^[0-9a-f]{40}$")
TARGETS = ("stun_parse", "rtp_parse", "rtcp_parse", "srtp_unprotect", "srtcp_unprotect", "sctp_packet", "sdp_parse")


# --- recording ------------------------------------------------------------------------------


@dataclass
class Recording:
    datagrams: list[bytes] = field(default_factory=list)  # every UDP datagram aioice received
    rtp: list[bytes] = field(default_factory=list)  # after SRTP unprotect
    rtcp: list[bytes] = field(default_factory=list)  # after SRTCP unprotect
    sctp: list[bytes] = field(default_factory=list)  # after DTLS decryption


@contextmanager
def observing(rec: Recording) -> Iterator[None]:
    """Record the argument of each receive path, then call the original unchanged."""
    datagram_received = aioice.ice.StunProtocol.datagram_received
    handle_rtp = RTCDtlsTransport._handle_rtp_data
    handle_rtcp = RTCDtlsTransport._handle_rtcp_data
    handle_sctp = RTCSctpTransport._handle_data

    def on_datagram(self: Any, data: bytes, addr: Any) -> None:
        rec.datagrams.append(bytes(data))
        datagram_received(self, data, addr)

    async def on_rtp(self: Any, data: bytes, arrival_time_ms: int) -> None:
        rec.rtp.append(bytes(data))
        await handle_rtp(self, data, arrival_time_ms)

    async def on_rtcp(self: Any, data: bytes) -> None:
        rec.rtcp.append(bytes(data))
        await handle_rtcp(self, data)

    async def on_sctp(self: Any, data: bytes) -> None:
        rec.sctp.append(bytes(data))
        await handle_sctp(self, data)

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(aioice.ice.StunProtocol, "datagram_received", on_datagram))
        stack.enter_context(mock.patch.object(RTCDtlsTransport, "_handle_rtp_data", on_rtp))
        stack.enter_context(mock.patch.object(RTCDtlsTransport, "_handle_rtcp_data", on_rtcp))
        stack.enter_context(mock.patch.object(RTCSctpTransport, "_handle_data", on_sctp))
        yield


# Data channel payload sizes: empty, small, around aiortc's 1188-byte DATA chunk limit, and
# several chunks' worth, so that fragmented messages are recorded.
MESSAGE_SIZES = (0, 1, 17, 300, 1187, 1188, 1189, 1300, 3000, 9000)


async def record_live(rec: Recording) -> None:
    """Audio, video and data channels in both directions between two loopback peers."""
    with observing(rec):
        async with connected_pair(audio=True, video=True, datachannel=True) as pair:
            for sdp in (pair.offer_sdp, pair.answer_sdp):
                check_loopback_sdp(sdp)
            assert pair.channel is not None and pair.remote_channel is not None
            # A second channel, unordered and without retransmissions, adds other DCEP and DATA flags.
            lossy = pair.offerer.createDataChannel("fuzz-lossy", ordered=False, maxRetransmits=0)
            deadline = asyncio.get_running_loop().time() + LIVE_SECONDS
            round_ = 0
            while asyncio.get_running_loop().time() < deadline:
                for size in MESSAGE_SIZES:
                    text = (f"{round_}:" + "x" * size)[:size]
                    blob = bytes((round_ + i) % 256 for i in range(size))
                    pair.channel.send(text)
                    pair.remote_channel.send(blob)
                    if lossy.readyState == "open":
                        lossy.send(blob)
                round_ += 1
                await asyncio.sleep(0.5)
            lossy.close()  # stream reset (RE-CONFIG chunks)
            await asyncio.sleep(0.5)


def check_loopback_sdp(sdp: str) -> None:
    addresses = candidate_addresses(sdp)
    if not addresses or set(addresses) != {"127.0.0.1"}:
        raise SystemExit(f"refusing to continue: non-loopback candidates {addresses}")


# --- SDP ------------------------------------------------------------------------------------


async def _negotiate(setup: Callable[[RTCPeerConnection, RTCPeerConnection], None]) -> list[str]:
    """Offer and answer for one transceiver setup; the peers need not connect."""
    with loopback_only():
        offerer = RTCPeerConnection(loopback_configuration())
        answerer = RTCPeerConnection(loopback_configuration())
        try:
            setup(offerer, answerer)
            await offerer.setLocalDescription(await offerer.createOffer())
            await answerer.setRemoteDescription(offerer.localDescription)
            await answerer.setLocalDescription(await answerer.createAnswer())
            sdps = [offerer.localDescription.sdp, answerer.localDescription.sdp]
        finally:
            await offerer.close()
            await answerer.close()
    for sdp in sdps:
        check_loopback_sdp(sdp)
    return sdps


def _setup_audio(o: RTCPeerConnection, a: RTCPeerConnection) -> None:
    o.addTrack(AudioStreamTrack())
    a.addTrack(AudioStreamTrack())


def _setup_video(o: RTCPeerConnection, a: RTCPeerConnection) -> None:
    o.addTrack(VideoStreamTrack())


def _setup_both(o: RTCPeerConnection, a: RTCPeerConnection) -> None:
    o.addTrack(AudioStreamTrack())
    o.addTrack(VideoStreamTrack())
    a.addTrack(VideoStreamTrack())


def _setup_datachannel(o: RTCPeerConnection, a: RTCPeerConnection) -> None:
    o.createDataChannel("fuzz")


def _setup_all(o: RTCPeerConnection, a: RTCPeerConnection) -> None:
    _setup_both(o, a)
    o.createDataChannel("fuzz")


def _setup_directions(o: RTCPeerConnection, a: RTCPeerConnection) -> None:
    o.addTransceiver(AudioStreamTrack(), direction="sendonly")
    o.addTransceiver("video", direction="recvonly")
    a.addTrack(VideoStreamTrack())


def _setup_two_audio(o: RTCPeerConnection, a: RTCPeerConnection) -> None:
    o.addTrack(AudioStreamTrack())
    o.addTrack(AudioStreamTrack())
    a.addTrack(AudioStreamTrack())


SDP_SETUPS = (
    _setup_audio,
    _setup_video,
    _setup_both,
    _setup_datachannel,
    _setup_all,
    _setup_directions,
    _setup_two_audio,
)


def _sdp(*lines: str) -> str:
    return "\r\n".join(lines) + "\r\n"


# Browser-shaped descriptions written from RFC 8866 (syntax), RFC 8829 (JSEP offers and answers),
# RFC 8841 (SCTP over DTLS) and RFC 8843 (BUNDLE). Addresses are documentation ranges
# (RFC 5737, RFC 3849); keys, ids and fingerprints are invented.
_FP_A = "sha-256 " + ":".join("%02X" % ((i * 37 + 11) % 256) for i in range(32))
_FP_B = "sha-256 " + ":".join("%02X" % ((i * 53 + 7) % 256) for i in range(32))

HANDWRITTEN_SDP = (
    # Chrome-like offer: audio, video with RTX, data channel, all bundled on one transport.
    _sdp(
        "v=0",
        "o=- 5161093187262219330 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1 2",
        "a=extmap-allow-mixed",
        "a=msid-semantic: WMS streamA",
        "m=audio 50400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
        "c=IN IP4 192.0.2.20",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=candidate:1001 1 udp 2122260223 192.0.2.20 50400 typ host generation 0 network-id 1",
        "a=candidate:2002 1 udp 1686052607 198.51.100.7 61122 typ srflx raddr 192.0.2.20 rport 50400 generation 0",
        "a=ice-ufrag:Qm7e",
        "a=ice-pwd:g3Xw9rTnS0bq1LcVYz2uKd5a",
        "a=ice-options:trickle",
        "a=fingerprint:" + _FP_A,
        "a=setup:actpass",
        "a=mid:0",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=sendrecv",
        "a=msid:streamA audioA",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=rtcp-fb:111 transport-cc",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:63 red/48000/2",
        "a=fmtp:63 111/111",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:13 CN/8000",
        "a=rtpmap:110 telephone-event/48000",
        "a=rtpmap:126 telephone-event/8000",
        "a=ssrc:1122334455 cname:k2PqZr8sYtWv0bNc",
        "a=ssrc:1122334455 msid:streamA audioA",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 45 46",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:Qm7e",
        "a=ice-pwd:g3Xw9rTnS0bq1LcVYz2uKd5a",
        "a=ice-options:trickle",
        "a=fingerprint:" + _FP_A,
        "a=setup:actpass",
        "a=mid:1",
        "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        "a=sendrecv",
        "a=msid:streamA videoA",
        "a=rtcp-mux",
        "a=rtcp-rsize",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 goog-remb",
        "a=rtcp-fb:96 transport-cc",
        "a=rtcp-fb:96 ccm fir",
        "a=rtcp-fb:96 nack",
        "a=rtcp-fb:96 nack pli",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=rtpmap:98 VP9/90000",
        "a=rtcp-fb:98 nack pli",
        "a=fmtp:98 profile-id=0",
        "a=rtpmap:99 rtx/90000",
        "a=fmtp:99 apt=98",
        "a=rtpmap:45 AV1/90000",
        "a=rtcp-fb:45 nack",
        "a=rtpmap:46 rtx/90000",
        "a=fmtp:46 apt=45",
        "a=ssrc-group:FID 2233445566 3344556677",
        "a=ssrc:2233445566 cname:k2PqZr8sYtWv0bNc",
        "a=ssrc:2233445566 msid:streamA videoA",
        "a=ssrc:3344556677 cname:k2PqZr8sYtWv0bNc",
        "a=ssrc:3344556677 msid:streamA videoA",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 0.0.0.0",
        "a=ice-ufrag:Qm7e",
        "a=ice-pwd:g3Xw9rTnS0bq1LcVYz2uKd5a",
        "a=ice-options:trickle",
        "a=fingerprint:" + _FP_A,
        "a=setup:actpass",
        "a=mid:2",
        "a=sctp-port:5000",
        "a=max-message-size:262144",
    ),
    # Chrome-like answer to the offer above: video declined to receive only, DTLS active.
    _sdp(
        "v=0",
        "o=- 802217700411 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1 2",
        "a=msid-semantic: WMS",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:Zr1b",
        "a=ice-pwd:M0vQp7sYk2LwTn9eHc4aJx6d",
        "a=ice-options:trickle",
        "a=fingerprint:" + _FP_B,
        "a=setup:active",
        "a=mid:0",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=sendrecv",
        "a=msid:- audioB",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:0 PCMU/8000",
        "a=ssrc:998877665 cname:Hh4sT0gWm1QeYp7X",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:Zr1b",
        "a=ice-pwd:M0vQp7sYk2LwTn9eHc4aJx6d",
        "a=fingerprint:" + _FP_B,
        "a=setup:active",
        "a=mid:1",
        "a=recvonly",
        "a=rtcp-mux",
        "a=rtcp-rsize",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 nack pli",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 0.0.0.0",
        "a=ice-ufrag:Zr1b",
        "a=ice-pwd:M0vQp7sYk2LwTn9eHc4aJx6d",
        "a=fingerprint:" + _FP_B,
        "a=setup:active",
        "a=mid:2",
        "a=sctp-port:5000",
        "a=max-message-size:262144",
    ),
    # Firefox-like offer: session-level fingerprint and ICE, end-of-candidates, big max-message-size.
    _sdp(
        "v=0",
        "o=mozilla...THIS_IS_SDPARTA-128.0 4709922353716152221 0 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=fingerprint:" + _FP_B,
        "a=group:BUNDLE 0 1",
        "a=ice-options:trickle",
        "a=msid-semantic:WMS *",
        "m=audio 49170 UDP/TLS/RTP/SAVPF 109 9 0 8 101",
        "c=IN IP4 203.0.113.40",
        "a=candidate:0 1 UDP 2122252543 203.0.113.40 49170 typ host",
        "a=candidate:1 1 UDP 8331263 198.51.100.90 62001 typ relay raddr 198.51.100.90 rport 62001",
        "a=end-of-candidates",
        "a=sendrecv",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level",
        "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1",
        "a=fmtp:101 0-15",
        "a=ice-pwd:7a1c5e0b9d3f2468ace13579bdf02468",
        "a=ice-ufrag:4f0e1d2c",
        "a=mid:0",
        "a=msid:{5a2c9e10-4b7d-4f3e-9a61-0c8d2b7e5f41} {c3e8a1d2-7f60-4b59-8e14-2d9a6c0b3f75}",
        "a=rtcp-mux",
        "a=rtpmap:109 opus/48000/2",
        "a=rtpmap:9 G722/8000/1",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000/1",
        "a=setup:actpass",
        "a=ssrc:3735928559 cname:{0b6f4e2a-91c3-4d58-a7e0-5c1f8d3b6a29}",
        "m=application 49170 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 203.0.113.40",
        "a=sendrecv",
        "a=ice-pwd:7a1c5e0b9d3f2468ace13579bdf02468",
        "a=ice-ufrag:4f0e1d2c",
        "a=mid:1",
        "a=setup:actpass",
        "a=sctp-port:5000",
        "a=max-message-size:1073741823",
    ),
    # Firefox-like answer: audio only, data channel rejected with port 0.
    _sdp(
        "v=0",
        "o=mozilla...THIS_IS_SDPARTA-128.0 1290357718204761131 0 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=fingerprint:" + _FP_A,
        "a=group:BUNDLE 0",
        "a=ice-options:trickle",
        "a=msid-semantic:WMS *",
        "m=audio 9 UDP/TLS/RTP/SAVPF 109 101",
        "c=IN IP4 0.0.0.0",
        "a=recvonly",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1",
        "a=fmtp:101 0-15",
        "a=ice-pwd:0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "a=ice-ufrag:a9b8c7d6",
        "a=mid:0",
        "a=rtcp-mux",
        "a=rtpmap:109 opus/48000/2",
        "a=rtpmap:101 telephone-event/8000",
        "a=setup:passive",
        "m=application 0 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 0.0.0.0",
        "a=inactive",
        "a=mid:1",
    ),
    # IPv6 host and server-reflexive candidates, IPv6 connection data.
    _sdp(
        "v=0",
        "o=- 301 1 IN IP6 2001:db8::10",
        "s=-",
        "c=IN IP6 2001:db8::10",
        "t=0 0",
        "a=ice-ufrag:v6uf",
        "a=ice-pwd:v6passwordv6passwordv6",
        "a=fingerprint:" + _FP_A,
        "a=setup:actpass",
        "a=group:BUNDLE a1",
        "m=audio 52000 UDP/TLS/RTP/SAVPF 96",
        "c=IN IP6 2001:db8::10",
        "a=mid:a1",
        "a=sendonly",
        "a=rtcp-mux",
        "a=rtcp:52000 IN IP6 2001:db8::10",
        "a=rtpmap:96 opus/48000/2",
        "a=candidate:61 1 udp 2122262783 2001:db8::10 52000 typ host",
        "a=candidate:62 1 udp 1686055167 2001:db8:ffff::7 40400 typ srflx raddr 2001:db8::10 rport 52000",
        "a=end-of-candidates",
    ),
    # TCP candidates (RFC 6544): active, passive and simultaneous-open.
    _sdp(
        "v=0",
        "o=- 7000 3 IN IP4 192.0.2.55",
        "s=tcp candidates",
        "t=0 0",
        "a=group:BUNDLE v0",
        "a=msid-semantic:WMS *",
        "m=video 9 UDP/TLS/RTP/SAVPF 102 103",
        "c=IN IP4 192.0.2.55",
        "a=mid:v0",
        "a=sendrecv",
        "a=ice-ufrag:TcP1",
        "a=ice-pwd:tcpcandidatespassword01",
        "a=fingerprint:" + _FP_B,
        "a=setup:passive",
        "a=rtcp-mux",
        "a=rtpmap:102 H264/90000",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "a=rtcp-fb:102 nack",
        "a=rtcp-fb:102 nack pli",
        "a=rtpmap:103 rtx/90000",
        "a=fmtp:103 apt=102",
        "a=candidate:7 1 tcp 1518280447 192.0.2.55 9 typ host tcptype active",
        "a=candidate:8 1 tcp 1518214911 192.0.2.55 443 typ host tcptype passive",
        "a=candidate:9 1 tcp 1518149375 192.0.2.55 51515 typ host tcptype so",
        "a=candidate:10 1 udp 2122194687 192.0.2.55 51516 typ host",
        "a=ssrc-group:FID 41 42",
        "a=ssrc:41 cname:tcpcname",
        "a=ssrc:42 cname:tcpcname",
    ),
    # Simulcast offer (RFC 8853) with three rids, and an ice-lite peer.
    _sdp(
        "v=0",
        "o=- 42 42 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=ice-lite",
        "a=group:BUNDLE m0",
        "m=video 9 UDP/TLS/RTP/SAVPF 100 101",
        "c=IN IP4 0.0.0.0",
        "a=mid:m0",
        "a=sendonly",
        "a=ice-ufrag:SiMu",
        "a=ice-pwd:simulcastsimulcastsim1",
        "a=fingerprint:" + _FP_A,
        "a=setup:actpass",
        "a=rtcp-mux",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:2 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        "a=rtpmap:100 VP8/90000",
        "a=rtpmap:101 rtx/90000",
        "a=fmtp:101 apt=100",
        "a=rid:hi send",
        "a=rid:mid send max-width=640;max-height=360",
        "a=rid:lo send max-width=320;max-height=180",
        "a=simulcast:send hi;mid;lo",
        "a=candidate:1 1 udp 2130706431 192.0.2.77 3478 typ host",
    ),
    # Legacy data channel syntax (draft-ietf-mmusic-sctp-sdp-05), still met in the wild.
    _sdp(
        "v=0",
        "o=- 9 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE data",
        "a=msid-semantic: WMS",
        "m=application 9 DTLS/SCTP 5000",
        "c=IN IP4 0.0.0.0",
        "a=ice-ufrag:oLdS",
        "a=ice-pwd:legacysctpmapsyntax0001",
        "a=fingerprint:" + _FP_B,
        "a=setup:actpass",
        "a=mid:data",
        "a=sctpmap:5000 webrtc-datachannel 1024",
    ),
)


# --- selection ------------------------------------------------------------------------------


def _spread(items: list[bytes]) -> list[bytes]:
    """Reorder a length-sorted list so that any prefix spans it: ends first, then midpoints."""
    order: list[int] = []
    seen: set[int] = set()
    n, parts = len(items), 1
    while len(order) < n:
        for k in range(parts + 1):
            i = round(k * (n - 1) / parts)
            if i not in seen:
                seen.add(i)
                order.append(i)
        parts *= 2
    return [items[i] for i in order]


def select(
    items: Iterable[bytes], feature: Callable[[bytes], Hashable], limit: int, per_class: int = PER_CLASS
) -> list[bytes]:
    """Up to `limit` distinct items, round-robin over feature classes, deterministically.

    At most `per_class` items come from one class: near-duplicates add files, not coverage.
    """
    groups: dict[str, list[bytes]] = {}
    for item in sorted(set(items), key=lambda b: (len(b), b)):
        groups.setdefault(repr(feature(item)), []).append(item)
    queues = [_spread(groups[key])[:per_class] for key in sorted(groups)]
    chosen: list[bytes] = []
    depth = 0
    while len(chosen) < limit and any(depth < len(q) for q in queues):
        for queue in queues:
            if depth < len(queue) and len(chosen) < limit:
                chosen.append(queue[depth])
        depth += 1
    return chosen


def stun_feature(data: bytes) -> Hashable:
    message = stun.parse_message(data)
    return (int(message.message_method), int(message.message_class), tuple(sorted(message.attributes)))


def rtp_feature(data: bytes) -> Hashable:
    # V/P/X/CC, M/PT and the length (payload sizes vary little in the recorded streams).
    return (data[0], data[1], len(data))


def rtcp_feature(data: bytes) -> Hashable:
    """(packet type, count/format) of each packet in the compound packet."""
    parts, offset = [], 0
    while offset + 4 <= len(data):
        parts.append((data[offset + 1], data[offset] & 0x1F))
        offset += 4 * (struct.unpack_from("!H", data, offset + 2)[0] + 1)
    return tuple(parts)


def sctp_feature(data: bytes) -> Hashable:
    """(chunk type, flags) of each chunk, and a length class."""
    parts, offset = [], 12
    while offset + 4 <= len(data):
        chunk_type, flags, length = struct.unpack_from("!BBH", data, offset)
        parts.append((chunk_type, flags))
        offset += max(4, (length + 3) & ~3)
    return (tuple(parts), len(data).bit_length())


# --- SRTP seeds -----------------------------------------------------------------------------


def _policy(profile: SrtpProfile, ssrc_type: int) -> Policy:
    return Policy(
        key=profile.master_key,
        ssrc_type=ssrc_type,
        srtp_profile=getattr(Policy, "SRTP_PROFILE_" + profile.name),
    )


def protected_seeds(plaintexts: list[bytes], wire: list[bytes], rtcp: bool) -> list[bytes]:
    """Each plaintext protected under every profile (index byte first), plus wire packets."""
    seeds = []
    for index, profile in enumerate(PROFILES):
        for plain in plaintexts:
            # A fresh session per packet, like the fuzz target's inbound side.
            outbound = Session(_policy(profile, Policy.SSRC_ANY_OUTBOUND))
            packet = outbound.protect_rtcp(plain) if rtcp else outbound.protect(plain)
            inbound = Session(_policy(profile, Policy.SSRC_ANY_INBOUND))
            back = inbound.unprotect_rtcp(packet) if rtcp else inbound.unprotect(packet)
            assert back == plain, f"{profile.name} seed does not round-trip"
            seeds.append(bytes([index]) + packet)
    return seeds + [b"\x00" + packet for packet in wire]


# --- output ---------------------------------------------------------------------------------


def write_corpus(out: Path, target: str, inputs: list[bytes]) -> int:
    directory = out / target
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        if old.is_file() and SHA1_NAME.match(old.name):
            old.unlink()
    names = set()
    for data in inputs:
        name = hashlib.sha1(data).hexdigest()
        names.add(name)
        (directory / name).write_bytes(data)
    return len(names)


async def record(out: Path) -> dict[str, int]:
    rec = Recording()
    await record_live(rec)

    # The answerer starts ICE checks before the offerer has the answer: any STUN exchanged
    # then (answered with errors, or not at all) is recorded too.
    sdp_texts: list[str] = []
    with observing(rec):
        for setup in SDP_SETUPS:
            sdp_texts += await _negotiate(setup)
    sdp_texts += HANDWRITTEN_SDP

    stun_live = []
    for datagram in rec.datagrams:
        try:
            stun.parse_message(datagram)
        except ValueError:
            continue
        stun_live.append(datagram)
    vectors = json.loads((VECTORS_DIR / "stun_rfc5769.json").read_text())["vectors"]
    stun_rfc = [bytes.fromhex(v["inputs"]["message_hex"]) for v in vectors]

    # Datagrams that are neither STUN nor DTLS are SRTP or SRTCP (RFC 7983 demultiplexing).
    media_wire = [d for d in rec.datagrams if d and 127 < d[0] < 192]
    srtp_wire = select([d for d in media_wire if not is_rtcp(d)], rtp_feature, WIRE_SEEDS)
    srtcp_wire = select([d for d in media_wire if is_rtcp(d)], rtcp_feature, WIRE_SEEDS)
    per_profile = (MAX_FILES - WIRE_SEEDS) // len(PROFILES)

    corpora = {
        "stun_parse": stun_rfc + select(stun_live, stun_feature, MAX_FILES - len(stun_rfc)),
        "rtp_parse": select(rec.rtp, rtp_feature, MAX_FILES),
        "rtcp_parse": select(rec.rtcp, rtcp_feature, MAX_FILES),
        "srtp_unprotect": protected_seeds(select(rec.rtp, rtp_feature, per_profile), srtp_wire, rtcp=False),
        "srtcp_unprotect": protected_seeds(select(rec.rtcp, rtcp_feature, per_profile), srtcp_wire, rtcp=True),
        "sctp_packet": select(rec.sctp, sctp_feature, MAX_FILES),
        "sdp_parse": select([t.encode("utf-8") for t in sdp_texts], lambda b: b, MAX_FILES),
    }
    print(
        f"recorded {len(rec.datagrams)} datagrams ({len(stun_live)} STUN), {len(rec.rtp)} RTP, "
        f"{len(rec.rtcp)} RTCP, {len(rec.sctp)} SCTP packets"
    )
    return {target: write_corpus(out, target, corpora[target]) for target in TARGETS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("corpora"), help="corpus root (default: corpora)")
    args = parser.parse_args(argv)
    counts = asyncio.run(record(args.out))
    for target, count in counts.items():
        print(f"{target:16} {count:3d} files -> {args.out / target}")
    for target, count in counts.items():
        if count == 0:
            print(f"error: no seeds for {target}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
