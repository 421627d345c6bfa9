"""The STUN codec and ICE agent under test, behind a small adapter (docs/design.md, "Conformance suites").

The stun and ice suites talk to an `IceAdapter` only, so another stack, or a deliberately broken
one, plugs in from the command line (`--stun-adapter`, `--ice-adapter`) without editing a test:

- `aioice` (the default): aioice's stun module, and its Connection with one component whose only
  host candidate is on 127.0.0.1 (harness.peers.loopback.loopback_only), no STUN or TURN server;
- `path/to/file.py:Name` or `package.module:Name`: any object with the same shape.

The suites see what the network and the application see of an agent: what it answers on the
wire (the test plays the remote agent with a plain UDP socket), the role it holds, its remote
candidates and pairs, the pair it nominated, its state, and the data it hands to the application.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import struct
from dataclasses import dataclass
from typing import Optional, Protocol

from aioice import Candidate, Connection, stun
from aioice.candidate import candidate_priority

from harness.conformance.adapters import load_adapter
from harness.peers.loopback import LOOPBACK, loopback_only

ADAPTER_ATTRIBUTES = ("name", "version", "summary", "authentic", "create")
CONTROLLING, CONTROLLED = "controlling", "controlled"
ROLES = (CONTROLLING, CONTROLLED)
COMPONENT = 1  # one component: RTP and RTCP multiplexed, as WebRTC does
Address = tuple[str, int]
# aioice's classes are the type bits C1 and C0 in place; RFC 8489 §5 numbers them 0-3.
CLASS_NUMBERS = {stun.Class.REQUEST: 0, stun.Class.INDICATION: 1, stun.Class.RESPONSE: 2, stun.Class.ERROR: 3}


@dataclass(frozen=True)
class Credentials:
    """An agent's ice-ufrag and ice-pwd (RFC 8839 §5.4)."""

    username: str
    password: str


@dataclass(frozen=True)
class StunSummary:
    """What an implementation read in a STUN message."""

    method: int
    message_class: int  # RFC 8489 §5: 0 request, 1 indication, 2 success response, 3 error response
    transaction_id: bytes
    username: Optional[str]
    xor_mapped_address: Optional[Address]


@dataclass(frozen=True)
class PairView:
    remote: Address
    state: str  # RFC 8445 §6.1.2.6: "frozen", "waiting", "in_progress", "succeeded", "failed"
    nominated: bool


class IceAgentUnderTest(Protocol):
    local: Credentials
    delivered: list[bytes]  # data handed to the application, in order

    @property
    def address(self) -> Address:
        """Its host candidate on 127.0.0.1, once gathered."""

    @property
    def role(self) -> str: ...
    @property
    def state(self) -> str:
        """One of "new", "checking", "connected" (a pair nominated), "failed" or "closed"."""

    def pairs(self) -> list[PairView]: ...
    def remote_candidates(self) -> list[Address]:
        """Signalled and peer-reflexive alike."""

    def nominated(self) -> Optional[Address]:
        """The remote address of the selected pair, if any."""

    async def gather(self) -> None:
        """Gather its host candidate, then take the remote candidates and end-of-candidates."""

    def connect(self) -> None:
        """Start the connectivity checks, and once connected hand data up; returns at once."""

    async def send(self, data: bytes) -> None:
        """Send data on the selected pair; ConnectionError when it has none (or stopped)."""

    async def close(self) -> None:
        """Close it and end every task it runs."""

    def errors(self) -> list[BaseException]:
        """What its own tasks raised, beyond ICE failing (nothing should)."""


class IceAdapter(Protocol):
    name: str
    version: str

    def summary(self, datagram: bytes) -> StunSummary:
        """The message as parsed; ValueError when the implementation takes it for no STUN message."""

    def authentic(self, datagram: bytes, key: bytes) -> bool:
        """Whether it parses as STUN (FINGERPRINT verified when present) with a MESSAGE-INTEGRITY valid under key."""

    def create(
        self,
        role: str,
        *,
        local: Credentials,
        remote: Credentials,
        remote_candidates: list[Address],
        tie_breaker: int,
    ) -> IceAgentUnderTest:
        """A new agent in `role` (on the running event loop), not yet gathered."""


class AioiceAgent:
    """aioice's Connection with an application reading from it."""

    connection_class: type[Connection] = Connection

    def __init__(
        self, role: str, local: Credentials, remote: Credentials, remote_candidates: list[Address], tie_breaker: int
    ) -> None:
        self.local = local
        self.connection = self.connection_class(
            ice_controlling=role == CONTROLLING,
            components=COMPONENT,
            use_ipv6=False,
            local_username=local.username,
            local_password=local.password,
        )
        self.connection.remote_username = remote.username
        self.connection.remote_password = remote.password
        # Private, as aioice sets it: otherwise secrets.randbits(64), and it decides role conflicts.
        self.connection._tie_breaker = tie_breaker
        self._remote_candidates = remote_candidates
        self.delivered: list[bytes] = []
        self._task: Optional[asyncio.Task[None]] = None
        self._connected = False

    @property
    def address(self) -> Address:
        candidate = self.connection.local_candidates[0]
        assert candidate.host == LOOPBACK, f"aioice gathered {candidate.host}: the harness stays on {LOOPBACK}"
        return candidate.host, candidate.port

    @property
    def role(self) -> str:
        return CONTROLLING if self.connection.ice_controlling else CONTROLLED

    @property
    def state(self) -> str:
        if self.connection._closed:
            return "closed"
        if self._task is None:
            return "new"
        if self._connected:
            return "connected"
        return "failed" if self._task.done() else "checking"

    def pairs(self) -> list[PairView]:
        return [PairView(p.remote_addr, p.state.name.lower(), p.nominated) for p in self.connection._check_list]

    def remote_candidates(self) -> list[Address]:
        return [(c.host, c.port) for c in self.connection.remote_candidates]

    def nominated(self) -> Optional[Address]:
        pair = self.connection._nominated.get(COMPONENT)
        return None if pair is None else pair.remote_addr

    async def gather(self) -> None:
        with loopback_only():
            await self.connection.gather_candidates()
        for number, (host, port) in enumerate(self._remote_candidates):
            await self.connection.add_remote_candidate(
                Candidate(
                    foundation=f"remote{number}",
                    component=COMPONENT,
                    transport="udp",
                    priority=candidate_priority(COMPONENT, "host"),
                    host=host,
                    port=port,
                    type="host",
                )
            )
        await self.connection.add_remote_candidate(None)  # end-of-candidates: a failed check list fails

    def connect(self) -> None:
        self._task = asyncio.ensure_future(self._connect_and_receive())

    async def _connect_and_receive(self) -> None:
        await self.connection.connect()
        self._connected = True
        while True:  # the application: what recv() gives is what was delivered
            try:
                self.delivered.append(await self.connection.recv())
            except ConnectionError:
                return

    async def send(self, data: bytes) -> None:
        await self.connection.send(data)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.connection.close()

    def errors(self) -> list[BaseException]:
        task = self._task
        if task is None or not task.done() or task.cancelled():
            return []
        error = task.exception()
        return [] if error is None or isinstance(error, ConnectionError) else [error]


class AioiceAdapter:
    name = "aioice"
    version = importlib.metadata.version("aioice")
    agent_class = AioiceAgent

    def summary(self, datagram: bytes) -> StunSummary:
        message = stun.parse_message(datagram)
        return StunSummary(
            method=int(message.message_method),
            message_class=CLASS_NUMBERS[message.message_class],
            transaction_id=message.transaction_id,
            username=message.attributes.get("USERNAME"),
            xor_mapped_address=message.attributes.get("XOR-MAPPED-ADDRESS"),
        )

    def authentic(self, datagram: bytes, key: bytes) -> bool:
        try:
            message = stun.parse_message(datagram)
        # aioice refuses a short integer attribute with struct.error (the registered bugs
        # exception:struct.error@aioice/stun.py:unpack_unsigned*): a refusal all the same.
        except (ValueError, struct.error):
            return False
        return message.check_message_integrity(key)

    def create(
        self,
        role: str,
        *,
        local: Credentials,
        remote: Credentials,
        remote_candidates: list[Address],
        tie_breaker: int,
    ) -> AioiceAgent:
        if role not in ROLES:
            raise ValueError(f"ICE role {role!r} is neither {CONTROLLING!r} nor {CONTROLLED!r}")
        return self.agent_class(role, local, remote, remote_candidates, tie_breaker)


def load(spec: str) -> IceAdapter:
    """The adapter a `--stun-adapter` or `--ice-adapter` value names; UsageError with one line when it names none."""
    return load_adapter(spec, what="ICE adapter", built_in={"aioice": AioiceAdapter}, attributes=ADAPTER_ATTRIBUTES)
