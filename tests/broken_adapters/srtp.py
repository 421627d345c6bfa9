"""Deliberately broken SRTP implementations: pylibsrtp, each with one promise broken.

The conformance suite must fail against every one of them (tests/test_conformance.py runs it
with `--srtp-adapter tests/broken_adapters/srtp.py:<Name>`); a suite that lets one through has
a hole. Each class breaks one promise in one area, the way a real implementation gets it wrong.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from harness.conformance.srtp_adapters import PylibsrtpAdapter, PylibsrtpEndpoint, Refused, SrtpPolicy
from harness.protocols import srtp


def rtp_stream(packet: bytes) -> tuple[int, int]:
    """(SSRC, SEQ) of an RTP or SRTP packet."""
    seq, _, ssrc = struct.unpack_from("!HII", packet, 2)
    return ssrc, seq


@dataclass
class BrokenEndpoint:
    """pylibsrtp's endpoint, with the hooks the broken implementations override."""

    inner: PylibsrtpEndpoint
    policy: SrtpPolicy
    key: bytes
    adapter: PylibsrtpAdapter
    accepted: dict[bytes, bytes] = field(default_factory=dict)  # wire -> plaintext
    highest: dict[int, int] = field(default_factory=dict)  # SSRC -> highest SEQ accepted

    def protect(self, packet: bytes) -> bytes:
        return self.inner.protect(packet)

    def protect_rtcp(self, packet: bytes) -> bytes:
        return self.inner.protect_rtcp(packet)

    def unprotect(self, packet: bytes) -> bytes:
        plain = self.inner.unprotect(packet)
        ssrc, seq = rtp_stream(plain)
        self.highest[ssrc] = max(seq, self.highest.get(ssrc, seq))
        self.accepted[packet] = plain
        return plain

    def unprotect_rtcp(self, packet: bytes) -> bytes:
        plain = self.inner.unprotect_rtcp(packet)
        self.accepted[packet] = plain
        return plain

    def fresh_unprotect(self, packet: bytes) -> bytes:
        """The packet through a new session: no replay list, ROC 0, s_l its own SEQ."""
        return self.adapter.inbound(self.policy, self.key).unprotect(packet)


class AcceptsRtpDuplicates(BrokenEndpoint):
    """Replay: a duplicate SRTP packet is delivered again (a replay list that is never consulted)."""

    def unprotect(self, packet: bytes) -> bytes:
        if packet in self.accepted:
            return self.accepted[packet]
        return super().unprotect(packet)


class WindowOneTooWide(BrokenEndpoint):
    """Window edge: a packet exactly SRTP-WINDOW-SIZE behind the highest is still judged unseen."""

    def unprotect(self, packet: bytes) -> bytes:
        try:
            return super().unprotect(packet)
        except Refused:
            ssrc, seq = rtp_stream(packet)
            window = self.policy.window_size or self.adapter.default_window_size
            if self.highest.get(ssrc, -1) - seq != window:
                raise
            return self.fresh_unprotect(packet)


class IgnoresLastTagBit(BrokenEndpoint):
    """Authentication: the last bit of the tag is not compared (an off-by-one in a tag compare)."""

    def unprotect(self, packet: bytes) -> bytes:
        try:
            return super().unprotect(packet)
        except Refused:
            return super().unprotect(packet[:-1] + bytes([packet[-1] ^ 1]))


class NeverIncrementsRoc(BrokenEndpoint):
    """ROC: the receiver keeps ROC 0 past the SEQ wrap, so packets after it fail authentication."""

    def unprotect(self, packet: bytes) -> bytes:
        ssrc, seq = rtp_stream(packet)
        if seq < self.highest.get(ssrc, 0) - 0x8000:  # a SEQ past the wrap
            return self.fresh_unprotect(packet)
        return super().unprotect(packet)


class AcceptsSrtcpDuplicates(BrokenEndpoint):
    """SRTCP: a duplicate SRTCP packet is delivered again (no SRTCP replay list)."""

    def unprotect_rtcp(self, packet: bytes) -> bytes:
        if packet in self.accepted:
            return self.accepted[packet]
        return super().unprotect_rtcp(packet)


@dataclass
class ForgeryBurnsIndex(BrokenEndpoint):
    """Replay list order: the index of a packet that fails authentication is recorded as received."""

    burned: set[tuple[int, int]] = field(default_factory=set)  # (SSRC, SEQ)

    def unprotect(self, packet: bytes) -> bytes:
        stream = rtp_stream(packet)
        if stream in self.burned:
            raise Refused("replay check failed (bad index)")
        try:
            return super().unprotect(packet)
        except Refused:
            self.burned.add(stream)
            raise


class CutsLongPlaintexts(BrokenEndpoint):
    """Round trip: an SRTP plaintext over 1200 octets comes back cut to 1200 (a receive buffer sized
    for a smaller MTU than the datagrams it takes)."""

    def unprotect(self, packet: bytes) -> bytes:
        return super().unprotect(packet)[:1200]


def broken(endpoint: type[BrokenEndpoint]) -> type[PylibsrtpAdapter]:
    """An adapter whose receiving endpoints are `endpoint`; sending stays pylibsrtp's own."""

    class Broken(PylibsrtpAdapter):
        name = f"pylibsrtp-{endpoint.__name__}"

        def inbound(self, policy: SrtpPolicy, key: bytes) -> BrokenEndpoint:  # type: ignore[override]
            return endpoint(super().inbound(policy, key), policy, key, PylibsrtpAdapter())

    Broken.__name__ = endpoint.__name__
    return Broken


AcceptsRtpDuplicatesAdapter = broken(AcceptsRtpDuplicates)
WindowOneTooWideAdapter = broken(WindowOneTooWide)
IgnoresLastTagBitAdapter = broken(IgnoresLastTagBit)
NeverIncrementsRocAdapter = broken(NeverIncrementsRoc)
AcceptsSrtcpDuplicatesAdapter = broken(AcceptsSrtcpDuplicates)
ForgeryBurnsIndexAdapter = broken(ForgeryBurnsIndex)
CutsLongPlaintextsAdapter = broken(CutsLongPlaintexts)


class ConformingSrtcpIndexAdapter(PylibsrtpAdapter):
    """pylibsrtp 1.0.0 with its one known non-conformance fixed: the first SRTCP index sent is 0.

    Not broken but better: the suite must report the expected failure's unexpected pass (XPASS)
    and fail the run, so that a stale expected-results entry cannot linger.
    """

    def outbound(self, policy: SrtpPolicy, key: bytes) -> ReferenceSrtcpSender:  # type: ignore[override]
        return ReferenceSrtcpSender(super().outbound(policy, key), srtp.SrtpContext(policy.profile, key))


@dataclass
class ReferenceSrtcpSender:
    """pylibsrtp's sending endpoint, except that SRTCP is protected by the reference from index 0."""

    inner: PylibsrtpEndpoint
    reference: srtp.SrtpContext

    def protect(self, packet: bytes) -> bytes:
        return self.inner.protect(packet)

    def protect_rtcp(self, packet: bytes) -> bytes:
        return self.reference.protect_rtcp(packet)

    def unprotect(self, packet: bytes) -> bytes:
        return self.inner.unprotect(packet)

    def unprotect_rtcp(self, packet: bytes) -> bytes:
        return self.inner.unprotect_rtcp(packet)


class UnrecordedReleaseAdapter(PylibsrtpAdapter):
    """Not broken: pylibsrtp as a release the suite records no expectations for. Its known deviations are
    another release's, so they are listed as not judged, and the run does not fail on them."""

    version = "0.0.1"
