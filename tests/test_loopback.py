"""The loopback peers stay on 127.0.0.1, and the host-address patch does not outlive its scope."""

import asyncio

import aioice.ice

from harness.peers.loopback import candidate_addresses, connected_pair, loopback_only


def test_connected_pair_offers_only_loopback_candidates() -> None:
    async def run() -> tuple[str, str]:
        async with connected_pair(audio=True, datachannel=True, timeout=10) as pair:
            assert pair.offerer.connectionState == pair.answerer.connectionState == "connected"
            return pair.offer_sdp, pair.answer_sdp

    for sdp in asyncio.run(run()):
        addresses = candidate_addresses(sdp)
        assert addresses and set(addresses) == {"127.0.0.1"}
        connection_lines = [line for line in sdp.splitlines() if line.startswith("c=")]
        assert connection_lines and set(connection_lines) == {"c=IN IP4 127.0.0.1"}


def test_loopback_only_is_undone_on_exit() -> None:
    original = aioice.ice.get_host_addresses
    original_mdns = aioice.ice.get_or_create_mdns_protocol
    with loopback_only():
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]
        assert aioice.ice.get_or_create_mdns_protocol is not original_mdns
    assert aioice.ice.get_host_addresses is original
    assert aioice.ice.get_or_create_mdns_protocol is original_mdns


def test_loopback_only_is_undone_after_an_error() -> None:
    original = aioice.ice.get_host_addresses
    try:
        with loopback_only():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert aioice.ice.get_host_addresses is original
