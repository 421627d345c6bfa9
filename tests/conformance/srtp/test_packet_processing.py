"""SRTP packet processing end to end (RFC 3711 §3.3): what the implementation protects, it unprotects
to the packet that was sent, at every length it takes."""

import pytest

from harness.conformance.srtp_adapters import Refused
from harness.conformance.srtp_exchange import Datagram, rtp_packet
from harness.conformance.srtp_requirements import DECRYPTS_TO_THE_PACKET_SENT


@DECRYPTS_TO_THE_PACKET_SENT
def test_packets_of_every_length_protect_and_unprotect(adapter, policy, key, receiver):
    """Plaintexts of every length the binding protects come back unchanged; longer ones are refused."""
    outbound = adapter.outbound(policy, key)
    largest = None
    for length in range(12, adapter.max_packet_length + 1):
        plain = rtp_packet(0x3333, length, bytes(length - 12))
        try:
            wire = outbound.protect(plain)
        except Refused:
            largest = largest or length - 1
            continue
        assert largest is None, f"refused to protect {largest + 1} octets but protected {length}"
        receiver.accepts(Datagram(plain, wire, False, f"RTP of {length} octets"))
    with pytest.raises(Refused):
        outbound.protect(rtp_packet(0x3333, 0, bytes(adapter.max_packet_length)))
