"""Role conflicts (RFC 8445 §7.3.1.1, §7.2.5.1): both agents think they control, or both that they
are controlled; the tie-breakers decide. The agent's tie-breaker is AGENT_TIE_BREAKER (2^63); the
peer sends its check while the agent checks its own pair."""

import pytest

from harness.conformance import ice_requirements as req
from harness.conformance.ice_adapters import CONTROLLED, CONTROLLING, ROLES
from harness.conformance.ice_exchange import AGENT_TIE_BREAKER, error_code, is_success, role_of

SMALLER_OR_EQUAL = pytest.mark.parametrize(
    "peer_tie_breaker", [AGENT_TIE_BREAKER - 1, AGENT_TIE_BREAKER], ids=["smaller", "equal"]
)
OTHER_ROLE = {CONTROLLING: CONTROLLED, CONTROLLED: CONTROLLING}


def conflict(converse, role, peer_tie_breaker, *, expect_487):
    """The agent in `role` gets a check from a peer claiming the same role with `peer_tie_breaker`:
    it answers 487 and keeps its role, or answers with success and takes the other role."""

    async def conversation(agent, peer, open_socket):
        agent.connect()
        await peer.request()
        wire, transaction_id = peer.check(role, peer_tie_breaker, use_candidate=role == CONTROLLING)
        peer.send(wire, agent.address)
        answer = await peer.response(transaction_id)
        if expect_487:
            assert error_code(answer) == 487, answer.message
            assert agent.role == role
        else:
            assert is_success(answer), answer.message
            assert agent.role == OTHER_ROLE[role]

    converse(role, conversation)


@req.BOTH_CONTROLLING_RESOLVED
@SMALLER_OR_EQUAL
def test_a_controlling_agent_with_the_larger_or_equal_tie_breaker_answers_487_and_stays_controlling(
    converse, peer_tie_breaker
):
    conflict(converse, CONTROLLING, peer_tie_breaker, expect_487=True)


@req.BOTH_CONTROLLING_RESOLVED
def test_a_controlling_agent_with_the_smaller_tie_breaker_switches_to_controlled(converse):
    conflict(converse, CONTROLLING, AGENT_TIE_BREAKER + 1, expect_487=False)


@req.BOTH_CONTROLLED_RESOLVED
@SMALLER_OR_EQUAL
def test_a_controlled_agent_with_the_larger_or_equal_tie_breaker_switches_to_controlling(converse, peer_tie_breaker):
    conflict(converse, CONTROLLED, peer_tie_breaker, expect_487=False)


@req.BOTH_CONTROLLED_RESOLVED
def test_a_controlled_agent_with_the_smaller_tie_breaker_answers_487_and_stays_controlled(converse):
    conflict(converse, CONTROLLED, AGENT_TIE_BREAKER + 1, expect_487=True)


@req.ROLE_SWITCHED_ON_487
@pytest.mark.parametrize("role", ROLES)
def test_an_agent_whose_check_gets_487_switches_role_and_checks_again(converse, role):
    async def conversation(agent, peer, open_socket):
        agent.connect()
        check = await peer.request()
        assert role_of(check) == role
        peer.send(peer.error(check, 487, "Role Conflict"), check.source)
        again = await peer.next(
            lambda r: r.message is not None and r.message.message_class == check.message.message_class
            and r.message.transaction_id != check.message.transaction_id
        )  # fmt: skip
        assert role_of(again) == OTHER_ROLE[role] == agent.role

    converse(role, conversation)
