"""Replay and forgery of SRTP/SRTCP at aiortc's RTCDtlsTransport, keyed by a real DTLS handshake.

The other tests of this folder judge SRTP sessions the harness keys itself (the adapter under
test); these drive aiortc 1.16 end to end instead: a connected pair of RTCDtlsTransport in memory
(harness.peers.dtls_pair), the client protecting real RTP and RTCP packets with its own
_send_rtp, the wire capturing every datagram, and a stand-in receiver registered with the
server's transport recording what its router hands over, i.e. what reaches the application.
An adversary on the wire replays captured datagrams, or forges tampered copies and gets them in
before the genuine packet. Every test also checks that both transports stay "connected"
throughout: a discarded datagram is dropped, not a reason to close the session.

Every test runs under each SRTP protection profile aiortc offers (both sides restricted to it,
as aiortc's own tests do), since the tag sits elsewhere in an AEAD SRTCP packet (RFC 7714 §9)
than in an AES-CM one (RFC 3711 §3.4).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest
from aiortc.rtcdtlstransport import SRTP_PROFILES, SRTPProtectionProfile
from aiortc.rtp import RtcpSenderInfo, RtcpSrPacket, RtpPacket

from harness.conformance.srtp_requirements import (
    FAILED_AUTHENTICATION_IS_DISCARDED,
    LIST_UPDATED_AFTER_AUTHENTICATION,
    REPLAYED_IS_DISCARDED,
    SRTCP_AUTHENTICATED_PORTION,
    SRTCP_REPLAY,
)
from harness.peers.dtls_pair import DtlsPair, RecordingReceiver, dtls_pair
from harness.protocols import srtp
from harness.protocols.srtp_profiles import SrtpProfile, dtls_srtp_profile

T = TypeVar("T")

pytestmark = [pytest.mark.implementation("aiortc"), pytest.mark.filterwarnings("error")]


SSRC = 0x5501A0B2
PAYLOAD_TYPE = 111  # opus, as aiortc offers it
REPLAYS = 5  # how many times each captured datagram is played back
FIRST_SEQ = 1000


# What the server's application sees: RTP as (SSRC, SEQ, payload), a sender report as (SSRC, its number).
RtpSeen = tuple[int, int, bytes]
RtcpSeen = object


def rtp_payload(seq: int) -> bytes:
    return f"RTP SEQ {seq} of {SSRC:08x}".encode()


def sender_report(number: int) -> RtcpSenderInfo:
    return RtcpSenderInfo(ntp_timestamp=number << 32, rtp_timestamp=160 * number, packet_count=number, octet_count=0)


class Media:
    """The client's media towards the server, and what the server's receiver gets of it.

    The receiver listens to SSRC and to SSRC ^ 1, so that a forged copy whose SSRC had a bit
    flipped would be handed to it (and seen) if the transport accepted it.
    """

    def __init__(self, pair: DtlsPair) -> None:
        self.pair = pair
        self.receiver = RecordingReceiver.register(pair.server.dtls, ssrcs=[SSRC, SSRC ^ 1], payload_type=PAYLOAD_TYPE)

    async def rtp(self, seq: int, *, deliver: bool = True) -> bytes:
        """Have the client send one RTP packet; the captured SRTP datagram (held back unless `deliver`)."""
        packet = RtpPacket(payload_type=PAYLOAD_TYPE, sequence_number=seq, timestamp=160 * seq, ssrc=SSRC)
        packet.payload = rtp_payload(seq)
        return await self.pair.send_rtp(self.pair.client, packet.serialize(), deliver=deliver)

    async def rtcp(self, number: int, *, deliver: bool = True) -> bytes:
        """Have the client send sender report `number` (its packet count); the captured SRTCP datagram."""
        report = RtcpSrPacket(ssrc=SSRC, sender_info=sender_report(number))
        return await self.pair.send_rtp(self.pair.client, bytes(report), deliver=deliver)

    async def inject(self, *datagrams: bytes) -> None:
        """Put datagrams in the server's receive queue, and wait until it has handled them all."""
        for datagram in datagrams:
            self.pair.inject(self.pair.server, datagram)
        await self.pair.drained(self.pair.server)

    def rtp_seen(self) -> list[RtpSeen]:
        return [(p.ssrc, p.sequence_number, p.payload) for p in self.receiver.rtp]

    def rtcp_seen(self) -> list[RtcpSeen]:
        # Any other packet type stays as it is: it equals no report the client sent.
        return [(p.ssrc, p.sender_info.packet_count) if isinstance(p, RtcpSrPacket) else p for p in self.receiver.rtcp]

    def assert_still_connected(self) -> None:
        for endpoint in (self.pair.server, self.pair.client):
            assert endpoint.dtls.state == "connected", f"the {endpoint.name} went {endpoint.states}"
            assert endpoint.states == ["connecting", "connected"], f"the {endpoint.name} went {endpoint.states}"
        assert not self.receiver.disconnected


def rtp_sent(*seqs: int) -> list[RtpSeen]:
    return [(SSRC, seq, rtp_payload(seq)) for seq in seqs]


def rtcp_sent(*numbers: int) -> list[RtcpSeen]:
    return [(SSRC, number) for number in numbers]


def run(profile: SRTPProtectionProfile, scenario: Callable[[Media], Awaitable[T]]) -> T:
    """Run a scenario over a fresh pair keyed with `profile`; no task may outlive the pair."""

    async def main() -> T:
        async with dtls_pair(srtp_profiles=[profile]) as pair:
            assert pair.profile == profile
            result = await scenario(Media(pair))
        leftover = asyncio.all_tasks() - {asyncio.current_task()}
        assert not leftover, f"tasks left after the pair was torn down: {leftover}"
        return result

    return asyncio.run(main())


@pytest.fixture(params=SRTP_PROFILES, ids=lambda p: p.openssl_profile.decode())
def profile(request: pytest.FixtureRequest) -> SRTPProtectionProfile:
    return request.param


@pytest.fixture(autouse=True)
def nothing_logged_at_warning(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """aiortc logs a crash of its receive task as a warning, asyncio a leaked task as an error."""
    yield
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


# -- SRTP and SRTCP layout (RFC 3711 §3.1, §3.4; RFC 7714 §8, §9) ---------------------------------------------


def srtp_profile(profile: SRTPProtectionProfile) -> SrtpProfile:
    """The harness's description of an aiortc profile (tag lengths, AEAD or not)."""
    return dtls_srtp_profile(profile.openssl_profile)


def srtcp_spans(datagram: bytes, profile: SRTPProtectionProfile) -> tuple[int, int, int]:
    """(start of the tag, end of the tag, start of the E flag and SRTCP index) in an SRTCP datagram."""
    return srtp.srtcp_spans(srtp_profile(profile), len(datagram))


def flip(datagram: bytes, offset: int, mask: int = 0x01) -> bytes:
    altered = bytearray(datagram)
    altered[offset] ^= mask
    return bytes(altered)


def cut(datagram: bytes, start: int, end: int) -> bytes:
    return datagram[:start] + datagram[end:]


def next_seq(datagram: bytes) -> bytes:
    """The datagram claiming the next sequence number (the index of the packet after it)."""
    (seq,) = struct.unpack_from("!H", datagram, 2)
    return datagram[:2] + struct.pack("!H", (seq + 1) & 0xFFFF) + datagram[4:]


def next_srtcp_index(datagram: bytes, profile: SRTPProtectionProfile) -> bytes:
    """The datagram claiming the next SRTCP index, its E flag kept."""
    _, _, trailer = srtcp_spans(datagram, profile)
    (word,) = struct.unpack_from("!I", datagram, trailer)
    word = (word & 0x80000000) | ((word + 1) & 0x7FFFFFFF)
    return datagram[:trailer] + struct.pack("!I", word) + datagram[trailer + srtp.SRTCP_WORD_LENGTH :]


@dataclass(frozen=True)
class Tamper:
    name: str
    alter: Callable[[bytes, SRTPProtectionProfile], bytes]

    def __str__(self) -> str:
        return self.name


RTP_TAMPERS = [
    Tamper("payload bit flipped", lambda d, p: flip(d, srtp.RTP_HEADER_LENGTH)),
    Tamper("header sequence number set to the next packet's", lambda d, p: next_seq(d)),
    Tamper("header timestamp bit flipped", lambda d, p: flip(d, 7)),
    Tamper("header SSRC bit flipped", lambda d, p: flip(d, 11)),
    Tamper("header marker bit flipped", lambda d, p: flip(d, 1, 0x80)),
    Tamper("tag bit flipped", lambda d, p: flip(d, len(d) - 1)),
    Tamper("tag truncated by one octet", lambda d, p: d[:-1]),
    Tamper("tag cut off", lambda d, p: d[: -srtp_profile(p).srtp_tag_length]),
]

RTCP_TAMPERS = [
    Tamper("payload bit flipped", lambda d, p: flip(d, srtp.RTCP_HEADER_LENGTH)),
    Tamper("header SSRC bit flipped", lambda d, p: flip(d, 7)),
    Tamper("E flag cleared", lambda d, p: flip(d, srtcp_spans(d, p)[2], 0x80)),
    Tamper("SRTCP index set to the next packet's", next_srtcp_index),
    Tamper("tag bit flipped", lambda d, p: flip(d, srtcp_spans(d, p)[1] - 1)),
    Tamper("tag truncated by one octet", lambda d, p: cut(d, srtcp_spans(d, p)[1] - 1, srtcp_spans(d, p)[1])),
    Tamper("tag cut off", lambda d, p: cut(d, *srtcp_spans(d, p)[:2])),
]

# Whether the forged packet is the first the server would see of the stream (libsrtp then
# authenticates it against its template, before any per-SSRC state exists), or comes mid-stream.
POSITIONS = ["first packet of the stream", "mid-stream"]


# -- 1. a replayed datagram is delivered once ---------------------------------------------------------------


@REPLAYED_IS_DISCARDED
def test_replayed_srtp_is_delivered_once(profile):
    async def scenario(media: Media) -> list[RtpSeen]:
        first = await media.rtp(FIRST_SEQ)
        latest = await media.rtp(FIRST_SEQ + 1)
        await media.inject(*[first] * REPLAYS)  # behind the highest index, inside the window
        await media.inject(*[latest] * REPLAYS)  # the highest index itself
        await media.rtp(FIRST_SEQ + 2)  # the stream goes on
        media.assert_still_connected()
        return media.rtp_seen()

    assert run(profile, scenario) == rtp_sent(FIRST_SEQ, FIRST_SEQ + 1, FIRST_SEQ + 2)


@SRTCP_REPLAY
def test_replayed_srtcp_is_delivered_once(profile):
    async def scenario(media: Media) -> list[RtcpSeen]:
        first = await media.rtcp(1)
        latest = await media.rtcp(2)
        await media.inject(*[first] * REPLAYS)
        await media.inject(*[latest] * REPLAYS)
        await media.rtcp(3)
        media.assert_still_connected()
        return media.rtcp_seen()

    assert run(profile, scenario) == rtcp_sent(1, 2, 3)


# -- 2. a forged copy that gets in first is discarded, and does not burn the genuine packet's index ---------


@dataclass
class Forgery:
    """What the server's application had seen once the forgeries were in, and at the end."""

    genuine: list[RtpSeen] | list[RtcpSeen]  # what the client sent, in order
    seen_after_forgeries: list[RtpSeen] | list[RtcpSeen]
    seen_at_end: list[RtpSeen] | list[RtcpSeen]


async def forge_first(media: Media, tamper: Tamper, position: str, *, rtcp: bool) -> Forgery:
    """Tampered copies of a held-back packet go in first, then the genuine packet and the next one.

    Packets are numbered by SEQ (RTP) or by the report's packet count (RTCP).
    """
    send, seen, sent = (media.rtcp, media.rtcp_seen, rtcp_sent) if rtcp else (media.rtp, media.rtp_seen, rtp_sent)
    earlier = [FIRST_SEQ] if position == "mid-stream" else []
    for number in earlier:
        await send(number)
    genuine = await send(FIRST_SEQ + 1, deliver=False)
    following = await send(FIRST_SEQ + 2, deliver=False)
    forged = tamper.alter(genuine, media.pair.profile)
    assert forged != genuine
    await media.inject(*[forged] * REPLAYS)
    seen_after_forgeries = seen()
    await media.inject(genuine, following)
    media.assert_still_connected()
    return Forgery(sent(*earlier, FIRST_SEQ + 1, FIRST_SEQ + 2), seen_after_forgeries, seen())


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("tamper", RTP_TAMPERS, ids=str)
@FAILED_AUTHENTICATION_IS_DISCARDED
def test_tampered_srtp_is_never_delivered(profile, tamper, position):
    outcome = run(profile, lambda media: forge_first(media, tamper, position, rtcp=False))
    assert outcome.seen_after_forgeries == outcome.genuine[:-2]
    assert outcome.seen_at_end == outcome.genuine  # nothing forged slipped in later either


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("tamper", RTP_TAMPERS, ids=str)
@LIST_UPDATED_AFTER_AUTHENTICATION
def test_tampered_srtp_does_not_burn_the_genuine_index(profile, tamper, position):
    outcome = run(profile, lambda media: forge_first(media, tamper, position, rtcp=False))
    assert outcome.seen_at_end[-2:] == outcome.genuine[-2:]


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("tamper", RTCP_TAMPERS, ids=str)
@SRTCP_AUTHENTICATED_PORTION
def test_tampered_srtcp_is_never_delivered(profile, tamper, position):
    outcome = run(profile, lambda media: forge_first(media, tamper, position, rtcp=True))
    assert outcome.seen_after_forgeries == outcome.genuine[:-2]
    assert outcome.seen_at_end == outcome.genuine


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("tamper", RTCP_TAMPERS, ids=str)
@LIST_UPDATED_AFTER_AUTHENTICATION
def test_tampered_srtcp_does_not_burn_the_genuine_index(profile, tamper, position):
    outcome = run(profile, lambda media: forge_first(media, tamper, position, rtcp=True))
    assert outcome.seen_at_end[-2:] == outcome.genuine[-2:]
