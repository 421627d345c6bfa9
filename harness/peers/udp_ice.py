"""An ICE stand-in for aiortc's RTCDtlsTransport over a real UDP socket on 127.0.0.1.

RTCDtlsTransport only asks its RTCIceTransport for `role` (with the DTLS role left "auto", the
controlling side becomes the DTLS server), `_recv()` and `_send()` (aiortc/rtcdtlstransport.py:
start, _recv_next, _write_ssl, _send_rtp). This stand-in gives it one UDP socket bound to
127.0.0.1 and one remote peer on 127.0.0.1: a DTLS client is told its server's port; a DTLS
server learns its client's port from the first datagram, since a command-line client such as
gnutls-cli cannot be told which local port to use. Every datagram either way is recorded, so a
test can read the handshake in the clear or the SRTP packet a transport protected. Closing
reports ConnectionError from `_recv` and `_send`, as aioice's Connection does.

    async with udp_ice(CONTROLLED, remote_port=server_port) as ice:
        dtls = RTCDtlsTransport(ice, [RTCCertificate.generateCertificate()])
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Optional

LOOPBACK = "127.0.0.1"
MAX_DATAGRAM = 65535
Address = tuple[str, int]


def _assert_loopback(address: Address) -> None:
    # The house rule: nothing the harness does sends a packet off this host.
    assert address[0] == LOOPBACK, f"refusing {address[0]}: the harness talks to {LOOPBACK} only"


class UdpIce(asyncio.DatagramProtocol):
    """Stands in for RTCIceTransport: one UDP socket on 127.0.0.1 and one peer on 127.0.0.1."""

    def __init__(self, role: str, remote: Optional[Address]) -> None:
        if remote is not None:
            _assert_loopback(remote)
        self.role = role
        self.remote = remote  # None until a DTLS server hears from its client
        self.sent: list[bytes] = []  # every datagram the transport sent, in order
        self.received: list[bytes] = []  # every datagram from the peer, in order
        self._inbox: asyncio.Queue[Optional[bytes]] = asyncio.Queue()
        self._transport: Optional[asyncio.DatagramTransport] = None
        self._closed = False

    @property
    def local_address(self) -> Address:
        assert self._transport is not None
        host, port = self._transport.get_extra_info("sockname")
        return host, port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector loop hands over a _SelectorDatagramTransport, which is no DatagramTransport subclass.
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if self.remote is None and addr[0] == LOOPBACK:
            self.remote = addr
        if addr != self.remote:
            return  # not our peer: dropped, as an ICE agent drops datagrams off its selected pair
        self.received.append(data)
        self._inbox.put_nowait(data)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.close()

    async def _recv(self) -> bytes:
        if self._closed:
            raise ConnectionError("Cannot receive data, not connected")
        data = await self._inbox.get()
        if data is None:
            raise ConnectionError("Cannot receive data, not connected")
        return data

    async def _send(self, data: bytes) -> None:
        if self._closed or self._transport is None or self.remote is None:
            raise ConnectionError("Cannot send data, not connected")
        _assert_loopback(self.remote)
        self.sent.append(data)
        self._transport.sendto(data, self.remote)

    def close(self) -> None:
        """Report the ICE connection closed, as aioice does: _recv and _send raise ConnectionError."""
        if not self._closed:
            self._closed = True
            self._inbox.put_nowait(None)  # wakes a transport waiting in _recv
            if self._transport is not None:
                self._transport.close()


@asynccontextmanager
async def udp_ice(
    role: str, *, remote_port: Optional[int] = None, sock: Optional[socket.socket] = None
) -> AsyncIterator[UdpIce]:
    """A UdpIce on a socket bound to 127.0.0.1 (a new one, or `sock`), closed on exit.

    `remote_port`: the peer's port on 127.0.0.1; None to learn it from the first datagram.
    `sock`: an already bound UDP socket, e.g. one made inside another network namespace.
    """
    loop = asyncio.get_running_loop()
    remote = None if remote_port is None else (LOOPBACK, remote_port)
    ice = UdpIce(role, remote)
    if sock is None:
        await loop.create_datagram_endpoint(lambda: ice, local_addr=(LOOPBACK, 0), family=socket.AF_INET)
    else:
        await loop.create_datagram_endpoint(lambda: ice, sock=sock)
    try:
        _assert_loopback(ice.local_address)
        yield ice
    finally:
        ice.close()
