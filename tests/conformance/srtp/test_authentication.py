"""Authentication of SRTP and SRTCP (RFC 3711 §3.3 step 5, §3.4, §4.2), for every profile (AEAD ones too).

Every tampered, truncated or mis-keyed copy of a good packet is refused, and the good packet
is accepted after them: refusing the forgeries left the receiver's state alone.
"""

import pytest

from harness.conformance.srtp_exchange import Datagram, Sender, flip_bit, truncate
from harness.conformance.srtp_requirements import FAILED_AUTHENTICATION_IS_DISCARDED, SRTCP_AUTHENTICATED_PORTION
from harness.protocols.srtp_profiles import PROFILES


def bit_flips(datagram: Datagram) -> list[Datagram]:
    return [flip_bit(datagram, bit) for bit in range(len(datagram.wire) * 8)]


@FAILED_AUTHENTICATION_IS_DISCARDED
def test_every_single_bit_flip_of_an_srtp_packet_is_refused(sender, receiver):
    genuine = sender.rtp(seq=3000)
    receiver.refuses(*bit_flips(genuine))
    receiver.accepts(genuine)


@SRTCP_AUTHENTICATED_PORTION
def test_every_single_bit_flip_of_an_srtcp_packet_is_refused(sender, receiver):
    genuine = sender.rtcp(index=7)
    receiver.refuses(*bit_flips(genuine))  # header, payload, E flag, SRTCP index and tag
    receiver.accepts(genuine)


@SRTCP_AUTHENTICATED_PORTION
def test_every_single_bit_flip_of_an_unencrypted_srtcp_packet_is_refused(sender, receiver):
    # Whether the genuine packet is then accepted is test_srtcp.py's question (E flag 0).
    receiver.refuses(*bit_flips(sender.rtcp(index=7, encrypt=False)))
    receiver.accepts(sender.rtcp(index=7))


@FAILED_AUTHENTICATION_IS_DISCARDED
def test_truncated_tags_are_refused(sender, receiver, policy):
    rtp, rtcp = sender.rtp(seq=3000), sender.rtcp(index=3)
    receiver.refuses(*(truncate(rtp, n) for n in range(1, policy.profile.srtp_tag_length + 1)))
    receiver.refuses(*(truncate(rtcp, n) for n in range(1, policy.profile.srtcp_tag_length + 5)))
    receiver.accepts(rtp, rtcp)


@FAILED_AUTHENTICATION_IS_DISCARDED
def test_a_packet_of_another_profile_is_refused(sender, receiver, policy):
    """Another profile's packet under the same key material: another tag length or transform."""
    own = [sender.rtp(seq=3000), sender.rtcp(index=3)]
    for other in PROFILES:
        if other != policy.profile:
            stranger = Sender(other, other.master_key)
            # AES128_CM_SHA1_32 and _80 protect SRTCP alike (both with an 80-bit tag): same packet.
            receiver.refuses(
                *(p for p, q in zip((stranger.rtp(seq=3000), stranger.rtcp(index=3)), own) if p.wire != q.wire)
            )
    receiver.accepts(*own)


def rekeyed(key: bytes, start: int, end: int) -> bytes:
    """The key material with octets start..end changed (every bit inverted)."""
    return key[:start] + bytes(b ^ 0xFF for b in key[start:end]) + key[end:]


@pytest.mark.parametrize("part", ["master key", "master salt"])
@FAILED_AUTHENTICATION_IS_DISCARDED
def test_a_packet_under_another_master_key_or_salt_is_refused(sender, receiver, policy, key, part):
    length = policy.profile.key_length
    start, end = (0, length) if part == "master key" else (length, length + policy.profile.salt_length)
    stranger = Sender(policy.profile, rekeyed(key, start, end))
    receiver.refuses(stranger.rtp(seq=3000), stranger.rtcp(index=3))
    stranger = Sender(policy.profile, rekeyed(key, end - 1, end))  # only the last octet differs
    receiver.refuses(stranger.rtp(seq=3000), stranger.rtcp(index=3))
    receiver.accepts(sender.rtp(seq=3000), sender.rtcp(index=3))


@FAILED_AUTHENTICATION_IS_DISCARDED
def test_a_packet_moved_to_another_ssrc_is_refused(sender, receiver):
    """The SSRC selects the cryptographic context (§3.2.3) and is authenticated: it cannot be rewritten."""
    receiver.accepts(sender.rtp(seq=3000, ssrc=0x1111))
    moved = sender.rtp(seq=3001, ssrc=0x1111)
    wire = moved.wire[:8] + (0x2222).to_bytes(4, "big") + moved.wire[12:]
    receiver.refuses(moved.altered(wire, "SSRC rewritten to 00002222"))
    receiver.accepts(moved)


@FAILED_AUTHENTICATION_IS_DISCARDED
def test_datagrams_of_every_length_are_refused_without_crashing(adapter, sender, receiver):
    """Every length from 0 to the largest datagram the binding takes: a clean refusal, each time.

    Each is a good packet cut short or extended with zeros, so the header stays plausible.
    """
    genuine = sender.rtp(seq=3000, payload=bytes(range(256)) * 4)
    for length in range(adapter.max_packet_length + 1):
        wire = (genuine.wire + bytes(adapter.max_packet_length))[:length]
        if wire != genuine.wire:
            receiver.refuses(genuine.altered(wire, f"cut or extended to {length} octets"))
            receiver.refuses(Datagram(genuine.plain, wire, True, f"as SRTCP, {length} octets"))
    receiver.accepts(genuine)
