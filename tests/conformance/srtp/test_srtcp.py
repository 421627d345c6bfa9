"""SRTCP (RFC 3711 §3.4): its explicit index, its own replay list, and the E flag."""

from harness.conformance.srtp_exchange import sender_report
from harness.conformance.srtp_requirements import (
    E_FLAG_CLEAR,
    FIRST_SRTCP_INDEX_IS_ZERO,
    SRTCP_INDEX_INCREMENTS,
    SRTCP_REPLAY,
)
from harness.protocols import srtp


@SRTCP_REPLAY
def test_srtcp_duplicate_is_discarded(sender, receiver):
    first = sender.rtcp(index=20)
    receiver.accepts(first, sender.rtcp(index=25))
    receiver.refuses(first, sender.rtcp(index=25))


@SRTCP_REPLAY
def test_srtcp_window_edges(sender, receiver, adapter):
    size = adapter.srtcp_window_size
    highest = 5000
    receiver.accepts(sender.rtcp(index=highest))
    receiver.refuses(sender.rtcp(index=highest - size))
    receiver.accepts(sender.rtcp(index=highest - (size - 1)))
    receiver.refuses(sender.rtcp(index=highest - (size - 1)))


@SRTCP_REPLAY
def test_srtcp_and_srtp_keep_separate_replay_lists(sender, receiver):
    receiver.accepts(sender.rtp(seq=5), sender.rtcp(index=5), sender.rtcp(index=6), sender.rtp(seq=6))
    receiver.refuses(sender.rtp(seq=5), sender.rtcp(index=5))
    receiver.accepts(sender.rtcp(index=100000))  # far ahead in SRTCP moves nothing in SRTP
    receiver.accepts(sender.rtp(seq=4))


@SRTCP_REPLAY
def test_srtcp_replay_lists_are_per_ssrc(sender, receiver):
    receiver.accepts(sender.rtcp(index=9, ssrc=1), sender.rtcp(index=9, ssrc=2))
    receiver.refuses(sender.rtcp(index=9, ssrc=1), sender.rtcp(index=9, ssrc=2))


@E_FLAG_CLEAR
def test_an_unencrypted_srtcp_packet_is_accepted_as_sent(sender, receiver):
    clear = sender.rtcp(index=30, encrypt=False)
    assert clear.plain in clear.wire  # sent in the clear
    receiver.accepts(clear)
    receiver.refuses(clear)


def indices_sent(adapter, policy, key, count):
    outbound = adapter.outbound(policy, key)
    return [srtp.srtcp_trailer(policy.profile, outbound.protect_rtcp(sender_report(0x5555, n))) for n in range(count)]


@FIRST_SRTCP_INDEX_IS_ZERO
def test_first_srtcp_index_sent_is_zero(adapter, policy, key):
    encrypted, index = indices_sent(adapter, policy, key, 1)[0]
    assert encrypted, "the first SRTCP packet was sent unencrypted"
    assert index == 0, f"the first SRTCP packet carries index {index}"


@SRTCP_INDEX_INCREMENTS
def test_srtcp_index_sent_increments_by_one(adapter, policy, key):
    indices = [index for _, index in indices_sent(adapter, policy, key, 300)]
    steps = {b - a for a, b in zip(indices, indices[1:])}
    assert steps == {1}, f"SRTCP indices sent: {indices[:5]}..., steps {sorted(steps)}"
