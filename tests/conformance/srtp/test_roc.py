"""The rollover counter and packet index (RFC 3711 §3.3.1), at the receiver and at the sender.

Every payload names its own index, so a packet decrypted under the wrong ROC cannot pass.
"""

import random

import pytest

from harness.conformance.srtp_exchange import judged_as_the_reference_judges, rtp_packet
from harness.conformance.srtp_requirements import INDEX_ESTIMATE, RECEIVER_UPDATES_ROC, SENDER_INCREMENTS_ROC
from harness.protocols import srtp


@RECEIVER_UPDATES_ROC
def test_sequence_wrap_increments_the_roc_at_the_receiver(sender, receiver):
    receiver.accepts(sender.rtp(seq=65534), sender.rtp(seq=65535), sender.rtp(seq=0, roc=1), sender.rtp(seq=1, roc=1))


@RECEIVER_UPDATES_ROC
def test_several_wraps_in_steps_below_2_15(sender, receiver):
    for index in range(40000, 4 * 65536, 30000):
        receiver.accepts(sender.rtp(seq=index & 0xFFFF, roc=index >> 16))


@INDEX_ESTIMATE
def test_reordering_across_the_wrap_still_decrypts(sender, receiver):
    receiver.accepts(
        sender.rtp(seq=65530),
        sender.rtp(seq=2, roc=1),
        sender.rtp(seq=65533),  # late, from before the wrap: v = ROC-1
        sender.rtp(seq=0, roc=1),
        sender.rtp(seq=65535),
        sender.rtp(seq=3, roc=1),
    )
    receiver.refuses(sender.rtp(seq=65533), sender.rtp(seq=0, roc=1))  # and each only once


@RECEIVER_UPDATES_ROC
def test_a_late_packet_from_before_the_wrap_does_not_move_the_roc_back(sender, receiver):
    receiver.accepts(sender.rtp(seq=65535), sender.rtp(seq=5, roc=1), sender.rtp(seq=65534))
    receiver.accepts(sender.rtp(seq=6, roc=1))


@SENDER_INCREMENTS_ROC
def test_sequence_wrap_increments_the_roc_at_the_sender(adapter, policy, key):
    outbound = adapter.outbound(policy, key)
    keys = srtp.session_keys(policy.profile, key, rtcp=False)
    # Across two wraps, in steps the sender can follow (below 2^15).
    for index in [65534, 65535, 65536, 65537, *range(85537, 2 * 65536 - 1, 20000), 2 * 65536 - 1, 2 * 65536]:
        seq = index & 0xFFFF
        plain = rtp_packet(0x4444, seq, f"index {index}".encode())
        wire = outbound.protect(plain)
        try:
            recovered = srtp.unprotect_rtp(keys, policy.profile, wire, index)
        except srtp.SrtpError as exc:
            raise AssertionError(f"SEQ {seq} was not protected at index {index} (ROC {index >> 16}): {exc}") from None
        assert recovered == plain


def walk(rng: random.Random, length: int) -> list[int]:
    """Indices of a stream that starts above 2^15 in ROC 0 and crosses several wraps, with late packets."""
    index = rng.randrange(1 << 15, 1 << 16)
    indices = []
    for _ in range(length):
        index += rng.choice([1, 1, 1, rng.randrange(2, 3000), rng.randrange(3000, 1 << 15)])
        indices.append(index)
        if rng.random() < 0.2:
            indices.append(index - rng.randrange(1, 2000))  # a late one, or a replay
    return indices


@pytest.mark.parametrize("seed", [1, 2, 3])
@INDEX_ESTIMATE
def test_index_estimation_agrees_with_the_reference(sender, receiver, policy, key, window, seed):
    reference = srtp.SrtpContext(policy.profile, key, window_size=window)
    datagrams = (sender.rtp(seq=index & 0xFFFF, roc=index >> 16) for index in walk(random.Random(seed), 600))
    judged_as_the_reference_judges(receiver, reference, datagrams, seed)
