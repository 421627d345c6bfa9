"""SRTP conformance exchanges that read like the wire: a sender crafts, the receiver judges.

    sender = Sender(profile, key)
    receiver.accepts(sender.rtp(seq=1000))
    receiver.refuses(sender.rtp(seq=1000))            # the same index again: a replay
    receiver.refuses(flip_bit(sender.rtp(seq=1001), 100))

The sender is the reference SRTP of harness.protocols.srtp, so it can put a packet at any index
(ROC and SEQ), which no real sender would; the receiver is the implementation under test.
Accepting means giving back exactly the plaintext that was protected: a packet decrypted at
the wrong index fails even when the implementation raises nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from harness.conformance.srtp_adapters import Refused, SrtpEndpoint
from harness.protocols import rtcp, rtp, srtp
from harness.protocols.srtp_profiles import SrtpProfile

DEFAULT_SSRC = 0x5501A0B2
PAYLOAD_TYPE = 96  # the first dynamic payload type (RFC 3551 §6)


@dataclass(frozen=True)
class Datagram:
    plain: bytes  # what the sending application handed over, and must come out again
    wire: bytes  # what travels
    rtcp: bool
    label: str  # for messages: "RTP SSRC 5501a0b2 ROC 0 SEQ 1000"

    def altered(self, wire: bytes, how: str) -> "Datagram":
        return replace(self, wire=wire, label=f"{self.label}, {how}")


def flip_bit(datagram: Datagram, bit: int) -> Datagram:
    """The datagram with one bit inverted, bit 0 being the most significant of the first octet."""
    wire = bytearray(datagram.wire)
    wire[bit // 8] ^= 0x80 >> (bit % 8)
    return datagram.altered(bytes(wire), f"bit {bit} flipped")


def truncate(datagram: Datagram, octets: int) -> Datagram:
    """The datagram without its last `octets` octets."""
    return datagram.altered(datagram.wire[:-octets], f"{octets} octets cut")


def rtp_packet(ssrc: int, seq: int, payload: bytes, timestamp: int = 0) -> bytes:
    """A plain RTP packet: no CSRC, extension or padding (RFC 3550 §5.1)."""
    return bytes(rtp.RtpPacket(PAYLOAD_TYPE, seq, timestamp, ssrc, payload=payload))


def sender_report(ssrc: int, packet_count: int = 0) -> bytes:
    """An RTCP SR with no report block (RFC 3550 §6.4.1): SRTCP's first packet must be SR or RR."""
    return rtcp.encode_packet(rtcp.SenderReport(ssrc, packet_count=packet_count))


class Sender:
    """Protects packets with the reference SRTP at whatever index a test names."""

    def __init__(self, profile: SrtpProfile, key: bytes, ssrc: int = DEFAULT_SSRC) -> None:
        self.profile = profile
        self.ssrc = ssrc
        self.rtp_keys = srtp.session_keys(profile, key, rtcp=False)
        self.rtcp_keys = srtp.session_keys(profile, key, rtcp=True)

    def rtp(self, seq: int, *, roc: int = 0, ssrc: int | None = None, payload: bytes | None = None) -> Datagram:
        ssrc = self.ssrc if ssrc is None else ssrc
        # The payload names its own index, so a packet decrypted at another index cannot pass.
        payload = f"ROC {roc} SEQ {seq} of {ssrc:08x}".encode() if payload is None else payload
        plain = rtp_packet(ssrc, seq, payload, timestamp=seq * 160)
        wire = srtp.protect_rtp(self.rtp_keys, self.profile, plain, (roc << 16) | seq)
        return Datagram(plain, wire, False, f"RTP SSRC {ssrc:08x} ROC {roc} SEQ {seq}")

    def rtcp(self, index: int, *, encrypt: bool = True, ssrc: int | None = None) -> Datagram:
        ssrc = self.ssrc if ssrc is None else ssrc
        plain = sender_report(ssrc, packet_count=index)
        wire = srtp.protect_rtcp(self.rtcp_keys, self.profile, plain, index, encrypt=encrypt)
        return Datagram(plain, wire, True, f"SRTCP SSRC {ssrc:08x} index {index} E={int(encrypt)}")


class Receiver:
    """The implementation under test on the receiving side, with a judgement per datagram."""

    def __init__(self, endpoint: SrtpEndpoint) -> None:
        self.endpoint = endpoint
        self.last_refusal = ""

    def _unprotect(self, datagram: Datagram) -> bytes:
        unprotect = self.endpoint.unprotect_rtcp if datagram.rtcp else self.endpoint.unprotect
        return unprotect(datagram.wire)

    def judges(self, datagram: Datagram) -> bool:
        """True when accepted with the plaintext that was sent, False when refused."""
        try:
            plain = self._unprotect(datagram)
        except Refused as exc:
            self.last_refusal = str(exc)
            return False
        if plain != datagram.plain:
            raise AssertionError(f"{datagram.label}: accepted as {plain.hex()}, sent {datagram.plain.hex()}")
        return True

    def accepts(self, *datagrams: Datagram) -> None:
        for datagram in datagrams:
            if not self.judges(datagram):
                raise AssertionError(f"{datagram.label}: refused ({self.last_refusal}), expected accepted")

    def refuses(self, *datagrams: Datagram) -> None:
        for datagram in datagrams:
            if self.judges(datagram):
                raise AssertionError(f"{datagram.label}: accepted, expected refused")


def judged_as_the_reference_judges(
    receiver: Receiver, reference: srtp.SrtpContext, datagrams: Iterable[Datagram], seed: int
) -> None:
    """Each datagram, in order, is accepted by the receiver exactly when the reference accepts it."""
    for position, datagram in enumerate(datagrams):
        unprotect = reference.unprotect_rtcp if datagram.rtcp else reference.unprotect
        try:
            unprotect(datagram.wire)
            expected = True
        except srtp.SrtpError:
            expected = False
        if receiver.judges(datagram) != expected:
            raise AssertionError(
                f"seed {seed}, datagram {position}: {datagram.label} {'refused' if expected else 'accepted'}, "
                f"the reference {'accepts' if expected else 'refuses'} it"
            )
