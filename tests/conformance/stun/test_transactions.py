"""Answers to the agent's own checks: authenticated (RFC 8489 §9.1.4), matched by transaction ID
(RFC 8489 §6.3) and by the address the check went to (RFC 8445 §7.2.5.2.1). The agent is
controlling and nominates with its checks."""

import pytest

from harness.conformance import ice_requirements as req
from harness.conformance.ice_adapters import CONTROLLING
from harness.conformance.ice_exchange import AGENT, until

UNSIGNED = {
    "another-password": {"key": AGENT.password.encode()},
    "no-message-integrity": {"integrity": False},
}


def succeeded(agent):
    return [pair for pair in agent.pairs() if pair.state == "succeeded"]


def discarded(converse, **wrong):
    """The agent's check gets an answer `peer.success(check, **wrong)` would give: the check goes on
    as if none had come (sent again, nothing succeeded meanwhile), and the right answer then connects."""

    async def conversation(agent, peer, open_socket):
        agent.connect()
        check = await peer.request()
        peer.send(peer.success(check, **wrong), check.source)
        again = await peer.next(lambda r: r.message is not None and r.message == check.message)
        assert not succeeded(agent) and agent.state == "checking"
        peer.send(peer.success(again), again.source)
        assert await until(lambda: agent.state == "connected"), agent.pairs()

    converse(CONTROLLING, conversation)


@req.UNSIGNED_RESPONSE_DISCARDED
@pytest.mark.parametrize("wrong", sorted(UNSIGNED))
def test_an_answer_not_signed_with_the_peers_password_is_discarded(converse, wrong):
    discarded(converse, **UNSIGNED[wrong])


@req.UNKNOWN_TRANSACTION_DISCARDED
def test_an_answer_with_another_transaction_id_is_discarded(converse):
    discarded(converse, transaction_id=bytes(12))


@req.RESPONSE_FROM_ANOTHER_ADDRESS_FAILS
def test_an_answer_from_another_address_than_the_check_went_to_fails_the_pair(converse):
    async def conversation(agent, peer, open_socket):
        agent.connect()
        check = await peer.request()
        stranger = await open_socket()
        stranger.send(peer.success(check), agent.address)  # the right answer, from the wrong address
        assert await until(lambda: [pair.state for pair in agent.pairs()] == ["failed"]), agent.pairs()
        assert agent.nominated() is None and agent.state != "connected"

    converse(CONTROLLING, conversation)
