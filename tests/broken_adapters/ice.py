"""Deliberately broken ICE agents and STUN codecs: each must make the stun or ice suite fail on its own requirement.

Each is aioice with one decision changed, behind the default adapter (harness.conformance.ice_adapters),
so `--stun-adapter tests/broken_adapters/ice.py:Name` or `--ice-adapter ...` runs a suite against
it. tests/test_conformance.py names the suite and the requirement each must fail.
"""

from __future__ import annotations

from typing import Any

from aioice import Connection, stun
from aioice.ice import StunProtocol

from harness.conformance.ice_adapters import AioiceAdapter, AioiceAgent


class AcceptsAnyMessageIntegrity(Connection):
    """Takes a check's MESSAGE-INTEGRITY as it comes: any value verifies (a missing one is still refused)."""

    def request_received(self, message: stun.Message, addr: tuple[str, int], protocol: StunProtocol) -> None:
        if message._integrity_data is not None:
            key = self.local_password.encode()
            message.attributes["MESSAGE-INTEGRITY"] = stun.message_integrity(message._integrity_data, key)
        super().request_received(message, addr, protocol)


class AnswersAnyUsername(Connection):
    """Checks the MESSAGE-INTEGRITY but not whom the USERNAME names."""

    def _valid_username(self, username: str) -> bool:
        return True


class IgnoresRoleConflicts(Connection):
    """Never sees the peer's role: ICE-CONTROLLING and ICE-CONTROLLED are dropped from checks it receives."""

    def request_received(self, message: stun.Message, addr: tuple[str, int], protocol: StunProtocol) -> None:
        message.attributes.pop("ICE-CONTROLLING", None)
        message.attributes.pop("ICE-CONTROLLED", None)
        super().request_received(message, addr, protocol)


class _AddressBlindProtocol(StunProtocol):
    """Takes every response to come from where its request went."""

    def __init__(self, receiver: Connection) -> None:
        super().__init__(receiver)
        self.destinations: dict[bytes, tuple[str, int]] = {}

    def send_stun(self, message: stun.Message, addr: tuple[str, int]) -> None:
        self.destinations[message.transaction_id] = addr
        super().send_stun(message, addr)

    def datagram_received(self, data: bytes | str, addr: tuple[Any, ...]) -> None:
        try:
            message = stun.parse_message(bytes(data))  # type: ignore[arg-type]
        except ValueError:
            message = None
        if message is not None and message.message_class in (stun.Class.RESPONSE, stun.Class.ERROR):
            addr = self.destinations.get(message.transaction_id, addr)
        super().datagram_received(data, addr)


class _TrustingProtocol(StunProtocol):
    """Signs its requests, but takes any answer: the transaction is given no key to check it with."""

    async def request(
        self,
        request: stun.Message,
        addr: tuple[str, int],
        integrity_key: bytes | None = None,
        retransmissions: int | None = None,
    ) -> tuple[stun.Message, tuple[str, int]]:
        if integrity_key is not None:
            request.add_message_integrity(integrity_key)
        return await super().request(request, addr, retransmissions=retransmissions)


class _ProtocolReplaced(Connection):
    """aioice's Connection whose sockets are read by `protocol_class` instead of aioice's StunProtocol."""

    protocol_class: type[StunProtocol] = StunProtocol

    async def gather_candidates(self) -> None:
        await super().gather_candidates()
        self._protocols = [self._replaced(protocol) for protocol in self._protocols]

    def _replaced(self, protocol: StunProtocol) -> StunProtocol:
        # The socket is aioice's; the protocol reading it is replaced before any pair refers to it.
        replacement = self.protocol_class(self)
        replacement.local_candidate = protocol.local_candidate
        protocol.transport.set_protocol(replacement)
        replacement.connection_made(protocol.transport)
        return replacement


class MatchesResponsesByTransactionIdOnly(_ProtocolReplaced):
    """Matches an answer to its check by transaction ID alone, whatever address it came from."""

    protocol_class = _AddressBlindProtocol


class TakesUnsignedAnswers(_ProtocolReplaced):
    """Takes an answer to its check without checking its MESSAGE-INTEGRITY."""

    protocol_class = _TrustingProtocol


class IgnoresFingerprintAdapter(AioiceAdapter):
    """A codec that drops a final FINGERPRINT unchecked before parsing: a wrong one goes unseen."""

    def authentic(self, datagram: bytes, key: bytes) -> bool:
        fingerprint_at = len(datagram) - 8
        if fingerprint_at >= stun.HEADER_LENGTH and datagram[fingerprint_at : fingerprint_at + 2] == b"\x80\x28":
            datagram = stun.set_body_length(datagram[:fingerprint_at], fingerprint_at - stun.HEADER_LENGTH)
        return super().authentic(datagram, key)


def _adapter(connection: type[Connection]) -> type[AioiceAdapter]:
    agent = type(f"{connection.__name__}Agent", (AioiceAgent,), {"connection_class": connection})
    return type(f"{connection.__name__}Adapter", (AioiceAdapter,), {"agent_class": agent})


AcceptsAnyMessageIntegrityAdapter = _adapter(AcceptsAnyMessageIntegrity)
AnswersAnyUsernameAdapter = _adapter(AnswersAnyUsername)
IgnoresRoleConflictsAdapter = _adapter(IgnoresRoleConflicts)
MatchesResponsesByTransactionIdOnlyAdapter = _adapter(MatchesResponsesByTransactionIdOnly)
TakesUnsignedAnswersAdapter = _adapter(TakesUnsignedAnswers)
