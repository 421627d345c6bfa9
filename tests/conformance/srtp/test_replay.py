"""Replay protection of SRTP (RFC 3711 §3.3, §3.3.2) at the receiver under test.

A sender that can put a packet at any index plays the adversary's recordings back.
"""

import random

import pytest

from harness.conformance.srtp_exchange import flip_bit, judged_as_the_reference_judges
from harness.conformance.srtp_requirements import (
    ACCEPTANCE_RULE,
    LIST_UPDATED_AFTER_AUTHENTICATION,
    REPLAYED_IS_DISCARDED,
)
from harness.protocols import srtp


@REPLAYED_IS_DISCARDED
def test_duplicate_is_discarded(sender, receiver):
    first = sender.rtp(seq=1000)
    receiver.accepts(first)
    receiver.refuses(first)
    receiver.refuses(first)


@REPLAYED_IS_DISCARDED
def test_duplicate_behind_the_highest_is_discarded(sender, receiver):
    receiver.accepts(sender.rtp(seq=1000), sender.rtp(seq=1005))
    receiver.refuses(sender.rtp(seq=1000))


@ACCEPTANCE_RULE
def test_packet_older_than_the_window_is_refused(sender, receiver, window):
    receiver.accepts(sender.rtp(seq=10), sender.rtp(seq=10 + window + 100))
    receiver.refuses(sender.rtp(seq=11))


@ACCEPTANCE_RULE
def test_packets_ahead_of_the_window_are_accepted(sender, receiver, window):
    receiver.accepts(sender.rtp(seq=100), sender.rtp(seq=101), sender.rtp(seq=101 + window), sender.rtp(seq=30000))


@ACCEPTANCE_RULE
def test_unseen_packets_inside_the_window_are_accepted_once(sender, receiver, window):
    receiver.accepts(sender.rtp(seq=5000))
    late = [sender.rtp(seq=5000 - back) for back in (1, 2, window // 2, window - 1)]
    receiver.accepts(*late)
    receiver.refuses(*late)


@pytest.mark.parametrize("size", [64, 100, 128, 1024, 0x7FFF])
@ACCEPTANCE_RULE
def test_window_edges_exactly(sender, receiver_with_window, size):
    """The window asked for is the window kept, to the index, and it moves with the highest index."""
    receiver = receiver_with_window(size)
    highest = 40000  # far enough from 0 that every edge below stays in ROC 0
    receiver.accepts(sender.rtp(seq=highest))
    receiver.refuses(sender.rtp(seq=highest - size))  # just outside: assumed received
    receiver.accepts(sender.rtp(seq=highest + 1))  # the window moves on by one:
    receiver.refuses(sender.rtp(seq=highest + 1 - size))  # its oldest index falls out, unseen
    receiver.accepts(sender.rtp(seq=highest + 1 - (size - 1)))  # the oldest index inside
    receiver.refuses(sender.rtp(seq=highest + 1 - (size - 1)))


@LIST_UPDATED_AFTER_AUTHENTICATION
def test_forged_packet_does_not_burn_its_index(sender, receiver):
    receiver.accepts(sender.rtp(seq=2000))
    genuine = sender.rtp(seq=2001)
    receiver.refuses(flip_bit(genuine, len(genuine.wire) * 8 - 1))  # same index, bad tag
    receiver.accepts(genuine)


@LIST_UPDATED_AFTER_AUTHENTICATION
def test_forged_packet_far_ahead_does_not_move_the_window(sender, receiver, window):
    receiver.accepts(sender.rtp(seq=2000))
    ahead = sender.rtp(seq=2000 + window + 10)
    receiver.refuses(flip_bit(ahead, len(ahead.wire) * 8 - 1))
    receiver.accepts(sender.rtp(seq=1999), sender.rtp(seq=2000 - (window - 1)))  # still inside


@LIST_UPDATED_AFTER_AUTHENTICATION
def test_forged_first_packet_does_not_start_the_stream(sender, receiver):
    forged = sender.rtp(seq=40000)
    receiver.refuses(flip_bit(forged, len(forged.wire) * 8 - 1))
    # Had the forgery set s_l to 40000, SEQ 10 would be estimated in ROC 1 and fail authentication.
    receiver.accepts(sender.rtp(seq=10), sender.rtp(seq=20000))


@REPLAYED_IS_DISCARDED
def test_replay_lists_are_per_ssrc(sender, receiver):
    receiver.accepts(sender.rtp(seq=700, ssrc=1), sender.rtp(seq=700, ssrc=2))
    receiver.refuses(sender.rtp(seq=700, ssrc=1), sender.rtp(seq=700, ssrc=2))


def generated_sequence(rng: random.Random, length: int) -> list[int]:
    """Packet indices as a network delivers them, in the style of libsrtp's rdbx and replay drivers.

    A sender's run (starting anywhere, sometimes just before a SEQ wrap, and making jumps of up to
    2^13, so that even a few lost in a row keep the next packet within the 2^15 that index
    estimation can place) is lost, reordered within a few hundred places, or duplicated.
    """
    index = rng.choice([rng.randrange(0, 1 << 16), (1 << 16) - rng.randrange(1, 300)])
    sent = []
    while len(sent) < length:
        index += rng.choice([1] * 20 + [rng.randrange(2, 50), rng.randrange(50, 1 << 13)])
        sent.append(index)
    delivered = []
    for index in sent:
        roll = rng.random()
        if roll < 0.05:
            continue  # lost
        delivered.append(index)
        if roll > 0.95:
            delivered.append(index)  # duplicated on the way
    for _ in range(length // 10):  # late arrivals: a packet moved up to a few hundred places
        i = rng.randrange(len(delivered))
        delivered.insert(min(len(delivered), i + rng.randrange(1, 400)), delivered.pop(i))
    for _ in range(length // 20):  # an adversary's replays of anything seen before
        i = rng.randrange(1, len(delivered))
        delivered.insert(i, delivered[rng.randrange(i)])
    return delivered


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@ACCEPTANCE_RULE
def test_generated_sequences_are_judged_as_the_reference_judges(sender, receiver, policy, key, window, seed):
    """Every verdict on a long sequence with reordering, gaps, loss and replays matches the reference's."""
    reference = srtp.SrtpContext(policy.profile, key, window_size=window)
    datagrams = (
        sender.rtp(seq=index & 0xFFFF, roc=index >> 16) for index in generated_sequence(random.Random(seed), 1500)
    )
    judged_as_the_reference_judges(receiver, reference, datagrams, seed)
