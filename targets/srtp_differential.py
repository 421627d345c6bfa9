"""SRTP scenarios on pylibsrtp and on the reference SRTP; any disagreement is a bug; step and SEQ moves guide it.

What the scenario bytes mean: targets/_srtp_differential.py.
"""

import functools

from harness.target import Target

from ._srtp_differential import MAX_STEPS, STEP_LENGTH, agree, describe, mutate, play

target = Target(
    name="srtp_differential",
    protocol="SRTP",
    component="pylibsrtp",
    entry=functools.partial(play, rtcp=False),
    # Nothing to refuse: every byte string is a scenario, and pylibsrtp's refusals are recorded, not raised.
    rejects=(),
    instrument=("pylibsrtp",),
    oracle=functools.partial(agree, rtcp=False),
    mutator=mutate,
    describe=functools.partial(describe, rtcp=False),
    max_len=1 + 46 + STEP_LENGTH * MAX_STEPS,  # the setting, the longest key and salt, the steps
)
