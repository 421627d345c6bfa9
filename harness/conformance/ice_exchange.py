"""The remote ICE agent a STUN or ICE conformance test plays: a UDP socket on 127.0.0.1 and the harness's STUN codec.

    wire, transaction_id = peer.check(CONTROLLING, 1, use_candidate=True, key=b"not the agent's password")
    peer.send(wire, agent.address)
    assert error_code(await peer.response(transaction_id)) == 401

Checks are built with harness.protocols.stun (USERNAME "<agent ufrag>:<peer ufrag>", RFC 8445
§7.2.2; PRIORITY; ICE-CONTROLLING or ICE-CONTROLLED; USE-CANDIDATE; MESSAGE-INTEGRITY with the
agent's password; FINGERPRINT) and can be wrong in any of those; answers to the agent's own
checks are signed with the peer's password. Transaction IDs come from the test's seeded random.
"""

from __future__ import annotations

import asyncio
import random
import socket
from dataclasses import dataclass
from typing import Awaitable, Callable, Optional

from harness import aio
from harness.aio import DRIVER
from harness.conformance.ice_adapters import (
    CONTROLLED,
    CONTROLLING,
    Address,
    Credentials,
    IceAdapter,
    IceAgentUnderTest,
)
from harness.peers.loopback import LOOPBACK
from harness.protocols.stun import (
    BINDING,
    ERROR_CODE,
    ERROR_RESPONSE,
    FINGERPRINT,
    ICE_CONTROLLED,
    ICE_CONTROLLING,
    INTEGRITY_LENGTH,
    IPV4,
    MESSAGE_INTEGRITY,
    PRIORITY,
    REQUEST,
    SUCCESS_RESPONSE,
    TRANSACTION_ID_LENGTH,
    USE_CANDIDATE,
    USERNAME,
    Attribute,
    ErrorCode,
    Message,
    XorMappedAddress,
    sign,
    unsigned,
)

REPLY_TIMEOUT = 2.0  # seconds an agent on loopback gets to answer
QUIET = 0.3  # seconds without an answer that count as none
PEER_PRIORITY = 0x6E0001FF  # a peer-reflexive priority (RFC 8445 §5.1.2.1), as in RFC 5769 §2.1
POLL = 0.01  # seconds between looks at the agent's state
AGENT = Credentials("AgNt", "agentPasswordOf22Chars")  # the agent under test's ice-ufrag and ice-pwd
PEER = Credentials("PeEr", "peerPasswordOf22Chars0")  # the remote agent's, which the test plays
AGENT_TIE_BREAKER = 1 << 63  # half way, so that the peer's may be smaller, equal or larger
SEED = 5  # of the transaction IDs the test picks


@dataclass(frozen=True)
class Received:
    wire: bytes
    source: Address
    message: Optional[Message]  # None: not STUN for the harness's codec


class RemoteAgent(asyncio.DatagramProtocol):
    """One UDP socket on 127.0.0.1 speaking STUN as the agent's peer, with `credentials`."""

    def __init__(self, credentials: Credentials, agent: Credentials, rng: random.Random) -> None:
        self.credentials = credentials
        self.agent = agent  # whose ufrag a check's USERNAME starts with, whose password signs it
        self.rng = rng
        self.inbox: list[Received] = []
        self._arrived = asyncio.Event()
        self._transport: Optional[asyncio.DatagramTransport] = None

    @classmethod
    async def open(cls, credentials: Credentials, agent: Credentials, rng: random.Random) -> RemoteAgent:
        loop = asyncio.get_running_loop()
        _, peer = await loop.create_datagram_endpoint(
            lambda: cls(credentials, agent, rng), local_addr=(LOOPBACK, 0), family=socket.AF_INET
        )
        return peer

    @property
    def address(self) -> Address:
        assert self._transport is not None
        host, port = self._transport.get_extra_info("sockname")
        return host, port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        try:
            message: Optional[Message] = Message.parse(data)
        except ValueError:
            message = None
        self.inbox.append(Received(data, (addr[0], addr[1]), message))
        self._arrived.set()

    def send(self, datagram: bytes, to: Address) -> None:
        assert to[0] == LOOPBACK, f"refusing {to[0]}: the harness talks to {LOOPBACK} only"
        assert self._transport is not None
        self._transport.sendto(datagram, to)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    async def next(self, wanted: Callable[[Received], bool], timeout: float = REPLY_TIMEOUT) -> Received:
        """The first datagram received (already or within `timeout`) that is `wanted`, taken from the inbox."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = next((r for r in self.inbox if wanted(r)), None)
            if found is not None:
                self.inbox.remove(found)
                return found
            self._arrived.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise asyncio.TimeoutError
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def request(self, timeout: float = REPLY_TIMEOUT) -> Received:
        """The agent's next check."""
        return await self.next(lambda r: r.message is not None and r.message.message_class == REQUEST, timeout)

    async def response(self, transaction_id: bytes) -> Received:
        """The agent's answer to our request `transaction_id` (AssertionError when none comes)."""
        try:
            return await self.next(lambda r: _answers(r, transaction_id))
        except asyncio.TimeoutError:
            raise AssertionError(f"no answer to check {transaction_id.hex()} within {REPLY_TIMEOUT} s") from None

    async def no_response(self, transaction_id: bytes) -> bool:
        """Whether QUIET seconds pass without an answer to `transaction_id`."""
        try:
            await self.next(lambda r: _answers(r, transaction_id), QUIET)
        except asyncio.TimeoutError:
            return True
        return False

    def transaction_id(self) -> bytes:
        return self.rng.randbytes(TRANSACTION_ID_LENGTH)

    def check(
        self,
        role: str,
        tie_breaker: int,
        *,
        use_candidate: bool = False,
        username: Optional[str] = None,
        key: Optional[bytes] = None,
        integrity: bool = True,
        fingerprint: bool = True,
        extra: tuple[Attribute, ...] = (),
        transaction_id: Optional[bytes] = None,
    ) -> tuple[bytes, bytes]:
        """A connectivity check to the agent (RFC 8445 §7.2.2), signed; (wire, transaction ID).

        `username` and `key` replace the right USERNAME and MESSAGE-INTEGRITY key; `integrity` False
        leaves MESSAGE-INTEGRITY out, `fingerprint` False FINGERPRINT; `extra` attributes go before both.
        """
        transaction_id = transaction_id or self.transaction_id()
        role_attribute = ICE_CONTROLLING if role == CONTROLLING else ICE_CONTROLLED
        attributes = [
            Attribute(USERNAME, (username or f"{self.agent.username}:{self.credentials.username}").encode()),
            unsigned(PRIORITY, PEER_PRIORITY, 4),
            unsigned(role_attribute, tie_breaker, 8),
            *([Attribute(USE_CANDIDATE, b"")] if use_candidate else []),
            *extra,
        ]
        message = Message(BINDING, REQUEST, transaction_id, tuple(attributes))
        wire = signed(message, key or self.agent.password.encode(), integrity=integrity, fingerprint=fingerprint)
        return wire, transaction_id

    def success(
        self,
        request: Received,
        *,
        transaction_id: Optional[bytes] = None,
        key: Optional[bytes] = None,
        integrity: bool = True,
    ) -> bytes:
        """The success response to the agent's check (RFC 8445 §7.3.1), signed with our password
        (or `key`; without MESSAGE-INTEGRITY when not `integrity`)."""
        assert request.message is not None
        transaction_id = transaction_id or request.message.transaction_id
        host, port = request.source
        mapped = XorMappedAddress(IPV4, port, socket.inet_aton(host)).to_attribute(transaction_id)
        message = Message(BINDING, SUCCESS_RESPONSE, transaction_id, (mapped,))
        return signed(message, key or self.credentials.password.encode(), integrity=integrity)

    def error(self, request: Received, code: int, reason: str) -> bytes:
        """An error response to the agent's check, signed with our password."""
        assert request.message is not None
        attributes = (ErrorCode(code, reason).to_attribute(),)
        message = Message(BINDING, ERROR_RESPONSE, request.message.transaction_id, attributes)
        return signed(message, self.credentials.password.encode())


def signed(message: Message, key: bytes, *, integrity: bool = True, fingerprint: bool = True) -> bytes:
    """The message with MESSAGE-INTEGRITY under `key` and FINGERPRINT (each unless told not to)."""
    tail: tuple[Attribute, ...] = (Attribute(MESSAGE_INTEGRITY, bytes(INTEGRITY_LENGTH)),) if integrity else ()
    tail += (Attribute(FINGERPRINT, bytes(4)),) if fingerprint else ()
    placeholders = Message(message.method, message.message_class, message.transaction_id, message.attributes + tail)
    return sign(bytes(placeholders), key=key)


def flip_last_bit(wire: bytes) -> bytes:
    """The datagram with its last bit inverted: in a signed message, the FINGERPRINT's."""
    return wire[:-1] + bytes([wire[-1] ^ 1])


def _answers(received: Received, transaction_id: bytes) -> bool:
    message = received.message
    return message is not None and message.message_class != REQUEST and message.transaction_id == transaction_id


def error_code(received: Received) -> Optional[int]:
    """The ERROR-CODE of an error response, None for any other message."""
    message = received.message
    if message is None or message.message_class != ERROR_RESPONSE:
        return None
    attribute = message.attribute(ERROR_CODE)
    return None if attribute is None else ErrorCode.from_attribute(attribute).code


def is_success(received: Received) -> bool:
    return received.message is not None and received.message.message_class == SUCCESS_RESPONSE


def role_of(received: Received) -> Optional[str]:
    """The role a check says its sender holds."""
    assert received.message is not None
    if received.message.attribute(ICE_CONTROLLING):
        return CONTROLLING
    return CONTROLLED if received.message.attribute(ICE_CONTROLLED) else None


async def until(condition: Callable[[], bool], timeout: float = REPLY_TIMEOUT) -> bool:
    """Whether `condition` holds within `timeout` seconds, looked at every POLL seconds."""
    return await aio.until(condition, timeout, poll=POLL)


async def connect_as_controlling(agent: IceAgentUnderTest, peer: RemoteAgent) -> float:
    """Start a controlling agent and answer its checks until it is connected; the loop time of the last answer."""
    agent.connect()
    answered = 0.0
    while agent.state != "connected":
        request = await peer.request()
        peer.send(peer.success(request), request.source)
        answered = asyncio.get_running_loop().time()
        await until(lambda: agent.state != "checking", POLL * 5)
    return answered


OpenSocket = Callable[[], Awaitable[RemoteAgent]]
Conversation = Callable[[IceAgentUnderTest, RemoteAgent, OpenSocket], Awaitable[None]]


def play(adapter: IceAdapter, role: str, conversation: Conversation) -> None:
    """A new agent in `role` (credentials AGENT, tie-breaker AGENT_TIE_BREAKER) whose only remote
    candidate is the peer's socket, gathered; the conversation gets both, and a way to open more
    sockets (other addresses, no candidates of the agent's). Everything is closed afterwards,
    whatever happened; the agent's tasks must have raised nothing, and nothing may have reached
    the event loop's exception handler."""
    DRIVER.escaped()  # what earlier tests left there is theirs

    async def run() -> IceAgentUnderTest:
        rng = random.Random(SEED)
        sockets: list[RemoteAgent] = []

        async def open_socket() -> RemoteAgent:
            sockets.append(await RemoteAgent.open(PEER, AGENT, rng))
            return sockets[-1]

        peer = await open_socket()
        agent = adapter.create(
            role, local=AGENT, remote=PEER, remote_candidates=[peer.address], tie_breaker=AGENT_TIE_BREAKER
        )
        try:
            await agent.gather()
            await conversation(agent, peer, open_socket)
        finally:
            await agent.close()
            for opened in sockets:
                opened.close()
        return agent

    agent = DRIVER.run_alone(run())
    assert not agent.errors(), agent.errors()
    escaped = DRIVER.escaped()
    assert not escaped, [context.get("exception") or context.get("message") for context in escaped]
