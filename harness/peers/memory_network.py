"""A network of UDP endpoints in memory: what aioice's sockets become in the in-memory session.

aioice makes its host sockets with the event loop's `create_datagram_endpoint`
(aioice/ice.py, Connection.get_component_candidates). While `MemoryNetwork.attached(loop)` is
active, that call gives an endpoint of this network instead of a socket: an address on 127.0.0.1
with a port of its own, and a transport whose `sendto` hands the datagram to the endpoint bound to
the destination, on the next round of the loop. The stack above runs unchanged (ICE checks,
DTLS, SCTP, SRTP); only the kernel is left out, which is what the in-memory session is for
(throughput). `deliver` puts a datagram on the network from any source address, which is how an
off-path or on-path sender is played without a socket.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, Optional
from unittest import mock

LOOPBACK = "127.0.0.1"
FIRST_PORT = 40000  # ports of the network's endpoints count up from here
Address = tuple[str, int]


class MemoryTransport(asyncio.DatagramTransport):
    def __init__(self, network: MemoryNetwork, protocol: asyncio.DatagramProtocol, address: Address) -> None:
        super().__init__()
        self._network = network
        self._protocol = protocol
        self.address = address
        self._closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        # No "socket": aioice then leaves the receive buffer size alone.
        return self.address if name == "sockname" else default

    def sendto(self, data: bytes | bytearray | memoryview, addr: Optional[Address] = None) -> None:  # type: ignore[override]
        if not self._closing and addr is not None:
            self._network.deliver(bytes(data), source=self.address, destination=(addr[0], addr[1]))

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._network.unbind(self.address)
            asyncio.get_running_loop().call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()


class MemoryNetwork:
    def __init__(self) -> None:
        self._endpoints: dict[Address, MemoryTransport] = {}
        self._ports = itertools.count(FIRST_PORT)
        self.delivered = 0  # datagrams handed to an endpoint: the throughput the benchmark counts
        # Callables that see every datagram put on the network, delivered or not (a capture's recorder).
        self.taps: list[Callable[[bytes, Address, Address], None]] = []

    async def create_datagram_endpoint(
        self, protocol_factory: Callable[[], asyncio.DatagramProtocol], local_addr: Optional[Address] = None, **_: Any
    ) -> tuple[MemoryTransport, asyncio.DatagramProtocol]:
        """The loop's create_datagram_endpoint, for 127.0.0.1 only (the house rule holds in memory too)."""
        host = local_addr[0] if local_addr else LOOPBACK
        if host != LOOPBACK:
            raise OSError(f"the in-memory network has {LOOPBACK} only, not {host}")
        protocol = protocol_factory()
        transport = MemoryTransport(self, protocol, (LOOPBACK, next(self._ports)))
        self._endpoints[transport.address] = transport
        protocol.connection_made(transport)
        return transport, protocol

    def unbind(self, address: Address) -> None:
        self._endpoints.pop(address, None)

    def deliver(self, data: bytes, *, source: Address, destination: Address) -> None:
        """Hand `data` to the endpoint bound to `destination`, as sent from `source`; dropped if none is."""
        for tap in self.taps:
            tap(data, source, destination)
        endpoint = self._endpoints.get(destination)
        if endpoint is not None and not endpoint.is_closing():
            self.delivered += 1
            asyncio.get_running_loop().call_soon(endpoint._protocol.datagram_received, data, source)

    @contextmanager
    def attached(self, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
        """Endpoints made on `loop` meanwhile are this network's."""
        with mock.patch.object(loop, "create_datagram_endpoint", self.create_datagram_endpoint):
            yield
