"""SRTCP scenarios played on pylibsrtp and on the reference SRTP; any disagreement is a bug; plain bytes guide it.

What the scenario bytes mean: targets/_srtp_differential.py.
"""

from _srtp_differential import run

from harness.target import Target

target = Target(
    name="srtcp_differential",
    protocol="SRTCP",
    component="pylibsrtp",
    entry=lambda data: run(data, rtcp=True),
    # Nothing to refuse: every byte string is a scenario, and refusals are compared, not raised.
    rejects=(),
    instrument=("pylibsrtp",),
    max_len=1 + 46 + 6 * 64,  # setting, the longest key and salt, 64 steps
)
