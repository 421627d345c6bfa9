"""The live session under attack: the call fixtures, who sends what, the attack encoding, and the liveness oracle."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.aio import DRIVER
from harness.known_bugs import Registry
from harness.peers import session_injections as attacks
from harness.peers.memory_network import MemoryNetwork
from harness.peers.session import (
    ANSWERER,
    MEMORY,
    OFF_PATH,
    ON_PATH,
    PEER,
    SENDERS,
    STRANGER,
    UDP,
    VARIANTS,
    open_session,
)
from harness.peers.session_injections import (
    CONNECTED,
    RAW,
    SCTP,
    SRTP,
    STUN,
    Attack,
    Injection,
    decode,
    deliver,
    encode,
)
from harness.protocols import stun
from harness.stateful import Transcript
from harness.target import OracleViolation, load_target, targets_module
from harness.verdict import classify_call

TRANSACTION = bytes(range(12))
# A check with the attributes the stun layer fills in: USERNAME, MESSAGE-INTEGRITY and FINGERPRINT.
UDP_TARGET, MEMORY_TARGET = load_target(f"session_{UDP}"), load_target(f"session_{MEMORY}")
played = targets_module("_session")
REGISTRY = Registry.load()  # the targets' player and oracle (targets/_session.py)
BINDING_REQUEST = bytes(
    stun.Message(
        stun.BINDING,
        stun.REQUEST,
        TRANSACTION,
        (
            stun.Attribute(stun.USERNAME, b"to be set"),
            stun.Attribute(stun.MESSAGE_INTEGRITY, bytes(20)),
            stun.Attribute(stun.FINGERPRINT, bytes(4)),
        ),
    )
)
ABORT = bytes(12) + bytes([6, 0, 0, 4])  # an SCTP packet holding one ABORT chunk (RFC 9260 §3.3.7)


@pytest.fixture(autouse=True, scope="module")
def calls_closed_at_the_end():
    """The targets keep their live call between inputs: close it, or its decoder threads keep pytest alive."""
    yield
    for target in (UDP_TARGET, MEMORY_TARGET):
        target.entry.discard()


def run(coro):
    try:
        return DRIVER.run(coro)
    finally:
        DRIVER.end_tasks()


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_call_comes_up_and_its_liveness_check_sees_what_it_stops_doing(variant):
    async def check():
        session = await open_session(variant)
        try:
            assert session.up()
            assert await session.alive(1.0) is None
            session.sides[ANSWERER].channel.close()
            await session.sides[ANSWERER].pc.close()
            return await session.alive(1.0)
        finally:
            await session.close()

    assert run(check()) == "connected"


def test_an_open_channel_that_carries_nothing_is_seen():
    async def check():
        session = await open_session(MEMORY)
        try:
            session.network.deliver = lambda *args, **kwargs: None  # the network goes silent, both ends say open
            return await session.alive(0.3)
        finally:
            await session.close()

    assert run(check()) == "data"


def test_the_memory_network_has_127_0_0_1_only():
    async def bind_elsewhere():
        await MemoryNetwork().create_datagram_endpoint(lambda: None, local_addr=("10.0.0.1", 0))

    with pytest.raises(OSError, match="127.0.0.1 only"):
        run(bind_elsewhere())


def sent_by(sender, layer, message):
    """The datagrams the victim's address got for one injection, with their sources, and what the peer holds."""

    async def capture():
        session = await open_session(MEMORY)
        seen = []
        deliver_on = session.network.deliver
        victim_address = session.sides[ANSWERER].address

        def recording(data, *, source, destination):
            if destination == victim_address and data and data[0] < 4:  # STUN, by RFC 7983's first octet
                seen.append((source, data))
            deliver_on(data, source=source, destination=destination)

        session.network.deliver = recording
        try:
            how = await deliver(session, ANSWERER, Injection(sender, layer, message))
            injected = [(source, data) for source, data in seen if data[8:20] == TRANSACTION]
            peer = session.peer_of(ANSWERER)
            return how, injected, peer.address, session.sides[ANSWERER].ice.local_password.encode()
        finally:
            await session.close()

    return run(capture())


@pytest.mark.parametrize(
    ("sender", "from_the_peer", "verifies"), [(OFF_PATH, False, False), (ON_PATH, True, False), (PEER, True, True)]
)
def test_each_sender_speaks_from_its_address_with_the_keys_it_holds(sender, from_the_peer, verifies):
    how, injected, peer_address, victim_password = sent_by(sender, STUN, BINDING_REQUEST)
    ((source, datagram),) = injected
    assert source == (peer_address if from_the_peer else STRANGER)
    username, integrity, _ = stun.Message.parse(datagram).attributes
    prefix = datagram[: stun.HEADER_LENGTH + len(bytes(username))]
    assert (stun.message_integrity(prefix, victim_password) == integrity.value) is verifies


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_every_byte_string_is_an_attack_and_its_encoding_is_canonical(data):
    attack = decode(data)
    assert decode(encode(attack)) == attack
    assert len(attack.injections) <= attacks.MAX_INJECTIONS


def verdict_of(sender, broken):
    attack = Attack(CONNECTED, ANSWERER, (Injection(sender, SCTP, ABORT),))
    return Transcript([attack], [played.Verdict(attack, (), broken)], alive=broken is None)


@pytest.mark.parametrize("broken", ["connected", "channel", "data", "media"])
def test_without_keys_whatever_the_call_stops_doing_is_a_finding(broken):
    with pytest.raises(OracleViolation):
        played.judge(b"", verdict_of(ON_PATH, broken))


def test_the_peer_may_end_its_call_but_not_leave_it_open_and_dead():
    for ended in ("connected", "channel"):
        played.judge(b"", verdict_of(PEER, ended))
    with pytest.raises(OracleViolation) as violation:
        played.judge(b"", verdict_of(PEER, "data"))
    assert violation.value.property == played.SILENTLY_DEAD


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_target_reuses_a_live_call_and_replaces_one_an_input_killed(variant):
    target = {UDP: UDP_TARGET, MEMORY: MEMORY_TARGET}[variant]
    conversation = target.entry
    conversation.discard()
    harmless = encode(Attack(CONNECTED, ANSWERER, (Injection(OFF_PATH, SRTP, b"\x80\x60" + bytes(30)),)))
    fatal_for_the_channel = encode(Attack(CONNECTED, ANSWERER, (Injection(PEER, SCTP, ABORT),)))
    try:
        for _ in range(2):
            assert target.run(harmless).alive
        assert conversation.setups == 1
        assert not target.run(fatal_for_the_channel).alive  # the peer aborted its association: no finding
        assert target.run(harmless).alive
        assert conversation.setups == 2
    finally:
        conversation.discard()


def registered(signature):
    """The message of a known bug's reproducer, as its own target delivers it."""
    bug = REGISTRY.get(signature)
    return load_target(bug.target).delivered(bug.reproducer.read_bytes())


# Known bugs of the parser targets reach the live call: from which sender, at which layer (their severity).
THROUGH_THE_CALL = [
    ("exception:IndexError@aiortc/rtcdtlstransport.py:_recv_next", OFF_PATH, RAW),
    ("exception:struct.error@aioice/stun.py:unpack_unsigned", OFF_PATH, RAW),
    ("exception:struct.error@aioice/stun.py:unpack_unsigned_64", OFF_PATH, RAW),
    ("exception:struct.error@aiortc/rtcsctptransport.py:__init__", PEER, SCTP),
    ("exception:struct.error@aiortc/rtcsctptransport.py:__bytes__", PEER, SCTP),
]


@pytest.mark.parametrize(("signature", "weakest", "layer"), THROUGH_THE_CALL)
def test_a_known_bug_reaches_the_call_from_its_weakest_sender_with_its_own_signature(signature, weakest, layer):
    message = registered(signature)

    def attack(sender):
        return encode(Attack(CONNECTED, ANSWERER, (Injection(sender, layer, message),)))

    assert classify_call(MEMORY_TARGET, attack(weakest), True).signature == signature
    for weaker in SENDERS[: SENDERS.index(weakest)]:
        assert classify_call(MEMORY_TARGET, attack(weaker), True).signature is None, weaker


def test_the_udp_and_memory_targets_play_the_same_attacks():
    assert UDP_TARGET.strategy is MEMORY_TARGET.strategy and UDP_TARGET.mutator is MEMORY_TARGET.mutator
    assert UDP_TARGET.describe is MEMORY_TARGET.describe and UDP_TARGET.sender is MEMORY_TARGET.sender
