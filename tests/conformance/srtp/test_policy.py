"""Replay window sizes a policy may ask for (RFC 3711 §3.3.2, §3.3.1)."""

import pytest

from harness.conformance.srtp_adapters import Refused
from harness.conformance.srtp_requirements import WINDOW_AT_LEAST_64, WINDOW_BELOW_2_15


@pytest.mark.parametrize("size", [1, 32, 63])
@WINDOW_AT_LEAST_64
def test_a_window_below_64_is_refused_or_never_kept(sender, receiver_with_window, size):
    try:
        receiver = receiver_with_window(size)
    except Refused:
        return
    # Accepted: then the receiver must still keep at least 64 indices.
    receiver.accepts(sender.rtp(seq=1000), sender.rtp(seq=1000 - 63))


@pytest.mark.parametrize("size", [0x8000, 0xFFFF])
@WINDOW_BELOW_2_15
def test_a_window_of_2_15_or_more_is_refused(receiver_with_window, size):
    with pytest.raises(Refused):
        receiver_with_window(size)
