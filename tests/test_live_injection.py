"""A connected aiortc pair on 127.0.0.1 takes a datagram injected from a third socket and must stay alive.

The datagram comes from a plain UDP socket (asyncio's transports drop empty datagrams on send,
so they cannot inject one). aioice hands the DTLS transport every datagram that is not STUN,
whoever sent it: these are unauthenticated inputs.
"""

import asyncio
import socket

import pytest

from harness.peers.loopback import connected_pair

KNOWN = "known bug of the pinned stack, in known_bugs.toml: "


def inject(datagram: bytes, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.sendto(datagram, ("127.0.0.1", port))


async def states_after(datagram: bytes) -> tuple[str, str, str]:
    async with connected_pair(datachannel=True, timeout=15) as pair:
        ice = pair.offerer.sctp.transport.transport._connection  # the offerer's view of the answerer
        (nominated,) = ice._nominated.values()
        assert nominated.remote_candidate.host == "127.0.0.1"
        inject(datagram, nominated.remote_candidate.port)
        await asyncio.sleep(1.0)
        assert pair.remote_channel is not None
        return pair.answerer.sctp.transport.state, pair.answerer.connectionState, pair.remote_channel.readyState


@pytest.mark.parametrize(
    "datagram",
    [
        pytest.param(b"\x00" * 32, id="neither STUN, DTLS nor RTP"),
        pytest.param(b"\x17\xfe\xfd" + bytes(10) + b"\x00\x04abcd", id="DTLS record of an unknown epoch"),
        pytest.param(b"\x80\x60" + bytes(30), id="unauthenticated SRTP"),
        pytest.param(
            b"",
            id="empty datagram",
            marks=pytest.mark.xfail(
                strict=True, reason=KNOWN + "exception:IndexError@aiortc/rtcdtlstransport.py:_recv_next"
            ),
        ),
        pytest.param(
            b"\x80\x60" + bytes(1600),
            id="SRTP over 1500 bytes",
            marks=pytest.mark.xfail(strict=True, reason=KNOWN + "exception:ValueError@pylibsrtp/__init__.py:__process"),
        ),
    ],
)
def test_a_connected_pair_survives_an_injected_datagram(datagram):
    assert asyncio.run(states_after(datagram)) == ("connected", "connected", "open")
