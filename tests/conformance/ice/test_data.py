"""Data once a pair is selected (RFC 8445 §12): the application gets what comes over the selected
pair, not what any other address sends to the agent's port (RFC 7983 demultiplexes by first octet:
both datagrams here are DTLS or RTP, never STUN)."""

import asyncio

import pytest

from harness.conformance import ice_requirements as req
from harness.conformance.ice_adapters import CONTROLLING
from harness.conformance.ice_exchange import QUIET, connect_as_controlling, until

# What an off-path sender might inject, and what the peer sends afterwards on the selected pair.
INJECTED = {
    "dtls": bytes.fromhex("17fefd0001000000000000000d") + b"injected data",  # a DTLS 1.2 application_data record
    "rtp": bytes.fromhex("80600001000000000badcafe") + b"injected media",  # RTP version 2, PT 96
}
FROM_THE_PEER = bytes.fromhex("17fefd0001000000000001000c") + b"peer's data!"


@req.DATA_ONLY_FROM_THE_SELECTED_PAIR
@pytest.mark.parametrize("kind", sorted(INJECTED))
def test_data_from_an_address_that_is_no_candidate_is_not_delivered_once_connected(converse, kind):
    async def conversation(agent, peer, open_socket):
        await connect_as_controlling(agent, peer)
        assert agent.nominated() == peer.address
        stranger = await open_socket()
        stranger.send(INJECTED[kind], agent.address)
        await asyncio.sleep(QUIET)
        peer.send(FROM_THE_PEER, agent.address)
        assert await until(lambda: FROM_THE_PEER in agent.delivered), agent.delivered
        assert agent.delivered == [FROM_THE_PEER]

    converse(CONTROLLING, conversation)
