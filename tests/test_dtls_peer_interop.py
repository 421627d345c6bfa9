"""The scripted DTLS peer's happy path against OpenSSL's and GnuTLS's command-line peers, over UDP on 127.0.0.1.

The peer (harness.peers.dtls_peer), written from the RFCs, must complete a whole DTLS-SRTP
handshake with independent implementations in both roles, not only with aiortc: the tools are
those of tests/test_interop.py (harness.peers.tls_tools), and the peer's datagrams travel over
the same 127.0.0.1 socket stand-in (harness.peers.udp_ice). Both sides must name the same SRTP
profile and export the same keying material (RFC 5764 §4.2).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.peers.dtls_peer import DtlsPeer
from harness.peers.tls_tools import Negotiated, gnutls_client, gnutls_server, openssl_client, openssl_server
from harness.peers.udp_ice import UdpIce, udp_ice
from harness.protocols import dtls
from harness.protocols.tls_crypto import DTLS_SRTP_EXPORTER_LABEL

PROFILE = b"SRTP_AES128_CM_SHA1_80"  # the one profile every tool here offers
TIMEOUT = 5.0
MAX_DATAGRAMS = 32  # a tool may send each record of a flight in a datagram of its own
SERVERS = {"openssl s_server": openssl_server, "gnutls-serv": gnutls_server}
CLIENTS = {"openssl s_client": openssl_client, "gnutls-cli": gnutls_client}


async def handshake(peer: DtlsPeer, ice: UdpIce) -> None:
    """Flight after flight until the peer's handshake is complete (each side's turn as it comes)."""
    for _ in range(MAX_DATAGRAMS):
        if peer.due is not None:
            for datagram in peer.respond():
                await ice._send(datagram)
        if peer.handshake_complete:
            return
        for item in peer.receive(await asyncio.wait_for(ice._recv(), TIMEOUT)):
            assert item.error is None and item.verified is not False, item
    raise AssertionError(f"the handshake did not complete in {MAX_DATAGRAMS} datagrams")


async def with_server(tool_name: str, directory: Path) -> tuple[DtlsPeer, Negotiated]:
    peer = DtlsPeer("client", seed=3)
    async with SERVERS[tool_name](PROFILE, directory) as tool:
        async with udp_ice("controlled", remote_port=tool.port, sock=tool.namespaced_socket) as ice:
            await handshake(peer, ice)
            return peer, await tool.negotiated(ice)


async def with_client(tool_name: str, directory: Path) -> tuple[DtlsPeer, Negotiated]:
    peer = DtlsPeer("server", seed=4)
    async with udp_ice("controlling") as ice:
        async with CLIENTS[tool_name](PROFILE, ice.local_address[1], directory) as tool:
            await handshake(peer, ice)
            return peer, await tool.negotiated(ice)


@pytest.mark.parametrize("tool", [*SERVERS, *CLIENTS])
def test_the_scripted_peer_completes_a_handshake_with_the_tool_and_exports_its_keying_material(tool, tmp_path):
    run = with_server if tool in SERVERS else with_client
    peer, negotiated = asyncio.run(run(tool, tmp_path))
    assert peer.handshake_complete and peer.negotiated_srtp_profile == dtls.SRTP_AES128_CM_HMAC_SHA1_80
    assert negotiated.profile == PROFILE
    assert peer.exporter(DTLS_SRTP_EXPORTER_LABEL, len(negotiated.keying_material)) == negotiated.keying_material
