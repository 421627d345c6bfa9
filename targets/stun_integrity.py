"""STUN datagrams, signed with the agents' passwords, received by two aioice ICE agents past the integrity check.

Each input is repaired (header length, MESSAGE-INTEGRITY, FINGERPRINT: requests and indications
signed with the receiving agent's password, responses with the peer's) and delivered through
StunProtocol.datagram_received from 127.0.0.1 to a fresh controlled agent that knows no remote
candidate (a check from an unknown address: peer-reflexive candidate, RFC 8445 §7.3.1.3) and a
fresh controlling agent that was signalled the sender's address (a triggered check, §7.3.1.4).
Both agents have a Binding transaction pending with a fixed ID, so a response reaches
stun.Transaction.response_received. Nothing catches around datagram_received: it runs from the
event loop's datagram callback, so any exception is a finding, and so is one that a task the
datagram started (a triggered check) ends with. The oracle checks that what aioice parsed
serializes and parses again to the same message, and that aioice can parse what it sent.
"""

import asyncio
import contextlib
from typing import Any, Optional

from aioice import Candidate, Connection, stun
from aioice.candidate import candidate_priority
from aioice.ice import StunProtocol

from harness.aio import DRIVER
from harness.protocols.stun import ERROR_RESPONSE, SUCCESS_RESPONSE, sign, split_message_type
from harness.protocols.stun_fuzzing import CODEC, binding_responses, ice_checks, stun_messages
from harness.target import EXHAUSTION, OracleViolation, Target

LOCAL_USERNAME, LOCAL_PASSWORD = "LoCa", "localPasswordOf22Chars"
REMOTE_USERNAME, REMOTE_PASSWORD = "ReMo", "remotePasswordOf22Char"
CHECK_USERNAME = f"{LOCAL_USERNAME}:{REMOTE_USERNAME}"  # RFC 8445 §7.2.2: receiver's ufrag first
LOCAL_ADDR, PEER_ADDR = ("127.0.0.1", 50001), ("127.0.0.1", 50002)
PENDING_TRANSACTION_ID = bytes.fromhex("b7e7a701bc34d686fa87dfae")
TIE_BREAKER = 1 << 63  # half way, so that a peer's tie-breaker may win or lose (RFC 8445 §7.3.1.1)


def repair(data: bytes) -> bytes:
    """Sign with the key the receiver checks: its own password for requests, the peer's for responses."""
    is_response = len(data) >= 2 and split_message_type(int.from_bytes(data[:2], "big") & 0x3FFF)[1] in (
        SUCCESS_RESPONSE,
        ERROR_RESPONSE,
    )
    return sign(data, key=(REMOTE_PASSWORD if is_response else LOCAL_PASSWORD).encode())


class RecordingTransport(asyncio.DatagramTransport):
    """Stands in for the UDP socket: keeps what the agent sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []

    def sendto(self, data: Any, addr: Any = None) -> None:
        self.sent.append(bytes(data))


async def agent(*, controlling: bool) -> tuple[StunProtocol, RecordingTransport]:
    connection = Connection(
        ice_controlling=controlling, local_username=LOCAL_USERNAME, local_password=LOCAL_PASSWORD, use_ipv6=False
    )
    connection.remote_username, connection.remote_password = REMOTE_USERNAME, REMOTE_PASSWORD
    # Private state, set as aioice itself sets it: the tie-breaker is otherwise random (and decides
    # role conflicts); connect() marks early checks done before it processes incoming checks, and
    # gather_candidates() registers each local socket's protocol, which pairing looks up.
    connection._tie_breaker = TIE_BREAKER
    connection._early_checks_done = True
    protocol = StunProtocol(connection)
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.local_candidate = Candidate(
        foundation="local", component=1, transport="udp", priority=candidate_priority(1, "host"),
        host=LOCAL_ADDR[0], port=LOCAL_ADDR[1], type="host",
    )  # fmt: skip
    connection._protocols.append(protocol)
    if controlling:
        await connection.add_remote_candidate(
            Candidate(foundation="peer", component=1, transport="udp", priority=candidate_priority(1, "host"),
                      host=PEER_ADDR[0], port=PEER_ADDR[1], type="host")
        )  # fmt: skip
    return protocol, transport


async def pending_transaction(protocol: StunProtocol) -> None:
    """A Binding transaction of the agent's own, awaiting its response. Its refusal (TransactionError)
    is caught, as check_start catches it, so that anything else it raises is a finding."""
    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST, transaction_id=PENDING_TRANSACTION_ID)
    request.attributes["USERNAME"] = f"{REMOTE_USERNAME}:{LOCAL_USERNAME}"
    with contextlib.suppress(stun.TransactionError):
        await protocol.request(request, PEER_ADDR, integrity_key=REMOTE_PASSWORD.encode())


async def deliver(data: bytes) -> list[bytes]:
    """The datagram received by both agents, each with a Binding transaction pending; what they sent."""
    sent: list[bytes] = []
    for controlling in (False, True):
        protocol, transport = await agent(controlling=controlling)
        asyncio.ensure_future(pending_transaction(protocol))  # the driver keeps the task
        await asyncio.sleep(0)  # the transaction starts (and sends its request)
        protocol.datagram_received(data, PEER_ADDR)
        # The tasks the datagram started (triggered checks) run until they wait on their own
        # transactions, and a response ends the pending one: what any of them raised is a finding.
        await DRIVER.settle()
        await DRIVER.cancel_tasks()  # the first agent's checks end before the second agent hears the datagram
        sent += transport.sent
    return sent


def receive(data: bytes) -> tuple[Optional[stun.Message], list[bytes]]:
    sent = DRIVER.run_alone(deliver(data))
    try:
        message: Optional[stun.Message] = stun.parse_message(data)
    except ValueError:  # not STUN for aioice: handed to the application as data
        message = None
    return message, sent


def without_fingerprint(message: stun.Message) -> dict[str, Any]:
    """The attributes that describe the message: FINGERPRINT is a CRC of the bytes received."""
    return {name: value for name, value in message.attributes.items() if name != "FINGERPRINT"}


def serialized(message: stun.Message) -> bytes:
    copy = stun.Message(message.message_method, message.message_class, message.transaction_id)
    copy.attributes = without_fingerprint(message)
    try:
        return bytes(copy)
    except EXHAUSTION:
        raise
    except Exception as exc:
        detail = f"aioice cannot serialize what it parsed, {message}: {exc!r}"
        raise OracleViolation("parsed-message-serializes", detail) from exc


def parsed_again(message: stun.Message, data: bytes) -> None:
    try:
        again = stun.parse_message(data)
    except EXHAUSTION:
        raise
    except Exception as exc:
        detail = f"aioice cannot parse its serialization of {message}: {exc!r}"
        raise OracleViolation("serialization-parses", detail) from exc
    fields = (message.message_method, message.message_class, message.transaction_id, without_fingerprint(message))
    if (again.message_method, again.message_class, again.transaction_id, again.attributes) != fields:
        raise OracleViolation("round-trip-keeps-message", f"{message} serializes to {again}")


def sent_parses(datagram: bytes) -> None:
    try:
        stun.parse_message(datagram)
    except EXHAUSTION:
        raise
    except Exception as exc:
        detail = f"aioice sent {datagram.hex()}, which it cannot parse: {exc!r}"
        raise OracleViolation("sent-datagram-parses", detail) from exc


def round_trips(data: bytes, result: tuple[Optional[stun.Message], list[bytes]]) -> None:
    """What aioice parsed serializes and parses again to the same message; what it sent parses."""
    message, sent = result
    if message is not None:
        parsed_again(message, serialized(message))
    for datagram in sent:
        sent_parses(datagram)


target = Target(
    name="stun_integrity",
    protocol="STUN",
    component="aioice",
    entry=receive,
    # Nothing catches around aioice.ice.StunProtocol.datagram_received: asyncio's datagram
    # transport (_SelectorDatagramTransport._read_ready) calls it bare, so whatever escapes ends
    # in the loop's exception handler and the datagram's processing is cut short.
    rejects=(),
    instrument=("aioice.ice", "aioice.stun"),
    repair=repair,
    mutator=CODEC.mutator,
    crossover=CODEC.crossover,
    strategy=lambda: CODEC.mutated(
        ice_checks(username=CHECK_USERNAME) | binding_responses(transaction_id=PENDING_TRANSACTION_ID) | stun_messages()
    ),
    oracle=round_trips,
    # agent() names the local ICE credentials (Connection's local_username and local_password), which aioice
    # takes from 0.10.0 on.
    needs=("aioice>=0.10",),
)
