"""aiortc's DTLS-SRTP against OpenSSL's and GnuTLS's command-line peers, over UDP on 127.0.0.1, in both roles.

An aiortc RTCDtlsTransport, over a real UDP socket (harness.peers.udp_ice) and given the tool's
certificate fingerprint as a WebRTC peer would get it from SDP, handshakes with `openssl s_server`
/ `gnutls-serv` as DTLS client and with `openssl s_client` / `gnutls-cli` as DTLS server
(harness.peers.tls_tools). Each handshake is run once per case; three tests judge it:

- the handshake completes, and aiortc and the tool name the same SRTP protection profile;
- the tool's EXTRACTOR-dtls_srtp keying material equals what aiortc exports (RFC 5764 §4.2);
- an RTP packet aiortc protects unprotects, under the reference SRTP (harness.protocols.srtp),
  with the master key and salt RFC 5764 §4.2 gives aiortc's role, cut from the TOOL's keying
  material: both sides would key the same SRTP session.

Each tool offers exactly one profile; aiortc offers all of its own. OpenSSL runs under each of
aiortc's three profiles, GnuTLS 3.7.9 under the only one it shares with aiortc
(SRTP_AES128_CM_SHA1_80: it has no AEAD_AES_*_GCM). gnutls-serv prints neither profile nor keying
material: the tools module reads them from its ServerHello and its key log. The tools are
installed by .ci/run: a missing one fails these tests, it does not skip them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiortc.rtcdtlstransport import (
    SRTP_PROFILES,
    RTCCertificate,
    RTCDtlsFingerprint,
    RTCDtlsParameters,
    RTCDtlsTransport,
)

from harness.peers.dtls_endpoint import CONTROLLED, CONTROLLING
from harness.peers.tls_tools import (
    Negotiated,
    ToolPeer,
    gnutls_client,
    gnutls_server,
    openssl_client,
    openssl_server,
)
from harness.peers.udp_ice import UdpIce, udp_ice
from harness.protocols import rtp, srtp
from harness.protocols.srtp_profiles import SrtpProfile, dtls_srtp_profile
from harness.protocols.tls_crypto import DTLS_SRTP_EXPORTER_LABEL

HANDSHAKE_TIMEOUT = 5.0  # seconds; a loopback handshake takes a fraction of one
SSRC = 0x1A2B3C4D
PAYLOAD_TYPE = 111  # opus, as aiortc offers it
SEQ = 4242
RTP_PACKET = bytes(rtp.RtpPacket(PAYLOAD_TYPE, SEQ, 160 * SEQ, SSRC, payload=b"interop payload, 25 octets"))

ServerFixture = Callable[[bytes, Path], AbstractAsyncContextManager[ToolPeer]]
ClientFixture = Callable[[bytes, int, Path], AbstractAsyncContextManager[ToolPeer]]


@dataclass(frozen=True)
class Case:
    tool: str
    aiortc_role: str  # "client" or "server", the DTLS role aiortc plays
    profile: bytes  # the one SRTP protection profile the tool offers, as OpenSSL and aiortc spell it

    def __str__(self) -> str:
        return f"aiortc {self.aiortc_role} vs {self.tool}, {self.profile.decode()}"


@dataclass(frozen=True)
class Outcome:
    state: str  # aiortc's DTLS state after the handshake
    aiortc_profile: bytes  # what aiortc's OpenSSL connection selected
    aiortc_keying_material: bytes
    tool: Negotiated
    srtp_datagram: bytes  # RTP_PACKET as aiortc protected and sent it


PEER_ROLE = {"client": "server", "server": "client"}
SERVERS: dict[str, ServerFixture] = {"openssl s_server": openssl_server, "gnutls-serv": gnutls_server}
CLIENTS: dict[str, ClientFixture] = {"openssl s_client": openssl_client, "gnutls-cli": gnutls_client}
AIORTC_PROFILES = [p.openssl_profile for p in SRTP_PROFILES]
GNUTLS_PROFILES = [b"SRTP_AES128_CM_SHA1_80"]
CASES = [
    Case(tool, role, profile)
    for role, tools in (("client", SERVERS), ("server", CLIENTS))
    for tool in tools
    for profile in (GNUTLS_PROFILES if tool.startswith("gnutls") else AIORTC_PROFILES)
]


async def _stop(dtls: RTCDtlsTransport, ice: UdpIce) -> None:
    # stop() cancels the receive task without awaiting it; a crash of that task must not pass unseen.
    task = dtls._task
    await dtls.stop()
    ice.close()
    if task is not None:
        (result,) = await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), HANDSHAKE_TIMEOUT)
        if isinstance(result, Exception):  # a cancellation is a BaseException: the expected end
            raise RuntimeError(f"aiortc's receive task crashed: {result!r}") from result


async def _exchange(tool: ToolPeer, ice: UdpIce) -> Outcome:
    """Handshake, read both sides' reports, and have aiortc protect and send one RTP packet."""
    dtls = RTCDtlsTransport(ice, [RTCCertificate.generateCertificate()])  # type: ignore[arg-type]
    remote = RTCDtlsParameters(fingerprints=[RTCDtlsFingerprint("sha-256", tool.credentials.sha256_fingerprint)])
    try:
        try:
            await asyncio.wait_for(dtls.start(remote), HANDSHAKE_TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"no handshake within {HANDSHAKE_TIMEOUT:g} s:\n{tool.process.tail()}") from None
        assert dtls.state == "connected", f"aiortc's DTLS transport is {dtls.state}:\n{tool.process.tail()}"
        assert dtls._ssl is not None
        negotiated = await tool.negotiated(ice)
        exported = dtls._ssl.export_keying_material(DTLS_SRTP_EXPORTER_LABEL, len(negotiated.keying_material))
        sent_before = len(ice.sent)
        await dtls._send_rtp(RTP_PACKET)
        (srtp_datagram,) = ice.sent[sent_before:]
        return Outcome(dtls.state, dtls._ssl.get_selected_srtp_profile(), exported, negotiated, srtp_datagram)
    finally:
        await _stop(dtls, ice)


@asynccontextmanager
async def _connected(case: Case, directory: Path) -> AsyncIterator[tuple[ToolPeer, UdpIce]]:
    """The tool and aiortc's ICE stand-in, wired to each other on 127.0.0.1."""
    if case.aiortc_role == "client":
        async with SERVERS[case.tool](case.profile, directory) as tool:
            async with udp_ice(CONTROLLED, remote_port=tool.port, sock=tool.namespaced_socket) as ice:
                yield tool, ice
    else:
        async with udp_ice(CONTROLLING) as ice:  # the DTLS server learns its client's port from its first datagram
            async with CLIENTS[case.tool](case.profile, ice.local_address[1], directory) as tool:
                yield tool, ice


async def _run(case: Case, directory: Path) -> Outcome:
    async with _connected(case, directory) as (tool, ice):
        return await _exchange(tool, ice)


@pytest.fixture(scope="module", params=CASES, ids=str)
def outcome(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    case: Case = request.param
    return asyncio.run(_run(case, tmp_path_factory.mktemp("interop")))


@pytest.fixture
def case(outcome: Outcome, request: pytest.FixtureRequest) -> Case:
    return request.node.callspec.params["outcome"]


def master_key_and_salt(keying_material: bytes, profile: SrtpProfile, writer: str) -> bytes:
    """The `writer`'s ("client" or "server") SRTP master key || master salt (RFC 5764 §4.2).

    The keying material is client_write_SRTP_master_key, server_write_SRTP_master_key,
    client_write_SRTP_master_salt, server_write_SRTP_master_salt, in this order.
    """
    key_length, salt_length = profile.key_length, profile.salt_length
    assert len(keying_material) == 2 * (key_length + salt_length)
    which = ("client", "server").index(writer)
    key = keying_material[which * key_length : (which + 1) * key_length]
    salts = keying_material[2 * key_length :]
    return key + salts[which * salt_length : (which + 1) * salt_length]


def test_the_handshake_completes_and_both_name_the_profile_the_tool_offered(outcome: Outcome, case: Case) -> None:
    assert outcome.state == "connected"
    assert (outcome.aiortc_profile, outcome.tool.profile) == (case.profile, case.profile)


def test_the_tools_keying_material_equals_aiortcs(outcome: Outcome, case: Case) -> None:
    profile = dtls_srtp_profile(case.profile)
    assert len(outcome.tool.keying_material) == 2 * (profile.key_length + profile.salt_length)
    assert outcome.tool.keying_material.hex() == outcome.aiortc_keying_material.hex()


def test_aiortcs_srtp_unprotects_under_its_roles_keys_from_the_tools_material(outcome: Outcome, case: Case) -> None:
    profile = dtls_srtp_profile(case.profile)
    own = master_key_and_salt(outcome.tool.keying_material, profile, writer=case.aiortc_role)
    assert srtp.SrtpContext(profile, own).unprotect(outcome.srtp_datagram) == RTP_PACKET
    # The halves differ, so the role matters: under the tool's own half the packet is refused.
    tools = master_key_and_salt(outcome.tool.keying_material, profile, writer=PEER_ROLE[case.aiortc_role])
    with pytest.raises(srtp.SrtpAuthenticationError):
        srtp.SrtpContext(profile, tools).unprotect(outcome.srtp_datagram)
