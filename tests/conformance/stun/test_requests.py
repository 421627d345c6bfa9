"""Checks the agent must refuse (RFC 8489 §9.1.3, §6.3, §6.3.1; RFC 8445 §7.3), sent from an address
that is no candidate of the agent's, to a controlled agent already checking its one pair.

Each check says the peer is controlling and nominates (USE-CANDIDATE): taken, it would teach the
agent a peer-reflexive candidate and a pair (RFC 8445 §7.3.1.3, §7.3.1.4) and mark it nominated
(§7.3.1.5). Refused, it changes nothing, and the same check signed right afterwards is taken:
the stranger's address was worth learning, so nothing changing was the agent's decision.
"""

from harness.conformance import ice_requirements as req
from harness.conformance.ice_adapters import CONTROLLED, CONTROLLING
from harness.conformance.ice_exchange import (
    AGENT,
    PEER,
    error_code,
    flip_last_bit,
    is_success,
)
from harness.protocols.stun import UNKNOWN_ATTRIBUTES, Attribute, parse_unknown_attributes

PEER_TIE_BREAKER = 1  # smaller than the agent's: no role conflict either way
UNKNOWN_REQUIRED_TYPE = 0x7F31  # comprehension-required (RFC 8489 §14), unassigned


def state_of(agent):
    """What a check could change: remote candidates, pairs, the nominated pair, the role."""
    return frozenset(agent.remote_candidates()), frozenset(agent.pairs()), agent.nominated(), agent.role


async def checking(agent, peer):
    """The agent checks its one pair; the peer leaves its checks unanswered."""
    agent.connect()
    await peer.request()


async def taken_when_signed_right(agent, stranger):
    wire, transaction_id = stranger.check(CONTROLLING, PEER_TIE_BREAKER, use_candidate=True)
    stranger.send(wire, agent.address)
    assert is_success(await stranger.response(transaction_id))
    assert stranger.address in agent.remote_candidates()


def refused(converse, bad_check, *, answer):
    """The stranger's `bad_check` (wire and transaction ID, from the stranger's RemoteAgent) gets `answer`
    (an error code, or None for no answer at all) and changes nothing."""

    async def conversation(agent, peer, open_socket):
        await checking(agent, peer)
        stranger = await open_socket()
        before = state_of(agent)
        wire, transaction_id = bad_check(stranger)
        stranger.send(wire, agent.address)
        if answer is None:
            assert await stranger.no_response(transaction_id)
        else:
            assert error_code(await stranger.response(transaction_id)) == answer
        assert state_of(agent) == before
        await taken_when_signed_right(agent, stranger)

    converse(CONTROLLED, conversation)


@req.REQUEST_WITHOUT_CREDENTIALS_REJECTED
def test_a_check_without_message_integrity_is_rejected_with_400(converse):
    refused(
        converse,
        lambda stranger: stranger.check(CONTROLLING, PEER_TIE_BREAKER, use_candidate=True, integrity=False),
        answer=400,
    )


@req.WRONG_INTEGRITY_REJECTED
def test_a_check_signed_with_another_password_is_rejected_with_401(converse):
    refused(
        converse,
        lambda stranger: stranger.check(CONTROLLING, PEER_TIE_BREAKER, use_candidate=True, key=PEER.password.encode()),
        answer=401,
    )


@req.WRONG_USERNAME_REJECTED
def test_a_check_for_another_agents_username_is_rejected_with_401(converse):
    # Signed with the agent's own password: only the USERNAME ("<receiver>:<sender>") is wrong.
    other = f"{AGENT.username[::-1]}:{PEER.username}"
    refused(
        converse,
        lambda stranger: stranger.check(CONTROLLING, PEER_TIE_BREAKER, use_candidate=True, username=other),
        answer=401,
    )


@req.BAD_FINGERPRINT_DISCARDED
def test_a_check_with_a_wrong_fingerprint_is_discarded(converse):
    def bad_check(stranger):
        wire, transaction_id = stranger.check(CONTROLLING, PEER_TIE_BREAKER, use_candidate=True)
        return flip_last_bit(wire), transaction_id

    refused(converse, bad_check, answer=None)


@req.UNKNOWN_REQUIRED_ATTRIBUTE_REJECTED
def test_a_check_with_an_unknown_comprehension_required_attribute_gets_420(converse):
    async def conversation(agent, peer, open_socket):
        await checking(agent, peer)
        stranger = await open_socket()
        unknown = Attribute(UNKNOWN_REQUIRED_TYPE, bytes(4))
        wire, transaction_id = stranger.check(CONTROLLING, PEER_TIE_BREAKER, use_candidate=True, extra=(unknown,))
        stranger.send(wire, agent.address)
        response = await stranger.response(transaction_id)
        assert error_code(response) == 420, response.message
        listed = response.message.attribute(UNKNOWN_ATTRIBUTES)
        assert listed is not None and parse_unknown_attributes(listed) == (UNKNOWN_REQUIRED_TYPE,)

    converse(CONTROLLED, conversation)


@req.BAD_FINGERPRINT_DISCARDED
def test_a_check_without_fingerprint_is_discarded(converse):
    # ICE agents use FINGERPRINT (RFC 8445 §7.2.2): a message without it is no ICE check.
    refused(
        converse,
        lambda stranger: stranger.check(CONTROLLING, PEER_TIE_BREAKER, use_candidate=True, fingerprint=False),
        answer=None,
    )
