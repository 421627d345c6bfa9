"""Consent freshness (RFC 7675 §5.1): once connected, a peer that answers no consent check for 30 s
is no longer sent to. Real time: the test waits up to 30 s (marked slow), with the agent's own
intervals (4-6 s between checks, RFC 7675 §5.1)."""

import asyncio
import random

import pytest

from harness.conformance import ice_requirements as req
from harness.conformance.ice_adapters import CONTROLLING
from harness.conformance.ice_exchange import connect_as_controlling, until

CONSENT_TIMEOUT = 30.0  # RFC 7675 §5.1
LATE = 0.5  # seconds the agent's event loop may take to act on its timer
CONSENT_SEED = 5  # aioice draws its consent intervals from the global random module


@pytest.mark.slow
@req.CONSENT_EXPIRES_AFTER_30_SECONDS
def test_an_agent_stops_sending_30_s_after_the_last_answered_check(converse):
    async def conversation(agent, peer, open_socket):
        random.seed(CONSENT_SEED)
        last_answer = await connect_as_controlling(agent, peer)
        # From here on the peer answers nothing.
        loop = asyncio.get_running_loop()
        deadline = last_answer + CONSENT_TIMEOUT + LATE
        stopped = await until(lambda: agent.state in ("closed", "failed"), deadline - loop.time())
        unanswered = len([r for r in peer.inbox if r.message is not None])
        assert stopped, (
            f"still {agent.state} {loop.time() - last_answer:.1f} s after the last answer, "
            f"{unanswered} consent checks unanswered"
        )
        with pytest.raises(ConnectionError):
            await agent.send(b"after consent expired")

    converse(CONTROLLING, conversation)
