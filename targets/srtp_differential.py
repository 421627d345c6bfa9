"""SRTP scenarios played on pylibsrtp and on the reference SRTP; any disagreement is a bug; plain bytes guide it.

What the scenario bytes mean: targets/_srtp_differential.py.
"""

import functools

from _srtp_differential import agree, play

from harness.target import Target

target = Target(
    name="srtp_differential",
    protocol="SRTP",
    component="pylibsrtp",
    entry=functools.partial(play, rtcp=False),
    # Nothing to refuse: every byte string is a scenario, and pylibsrtp's refusals are recorded, not raised.
    rejects=(),
    instrument=("pylibsrtp",),
    oracle=functools.partial(agree, rtcp=False),
    max_len=1 + 46 + 6 * 64,  # setting, the longest key and salt, 64 steps
)
