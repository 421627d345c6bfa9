"""Attacks on a live aiortc call over an in-memory network (aioice's sockets replaced, the stack above unchanged):
datagrams from an off-path stranger, a spoofer on the path or the authenticated peer, at a stage of the call, at
any layer; the call must live on. The same attacks as session_udp.

What the input bytes mean: harness/peers/session_injections.py; the call: harness/peers/session.py;
the player and the liveness oracle: targets/_session.py.
"""

from _session import SLOWEST_SECONDS, conversation, describe, judge, sender

from harness.peers import session_injections
from harness.peers.session import MEMORY
from harness.target import Target

target = Target(
    name="session_memory",
    protocol="WebRTC",
    component="aiortc",
    entry=conversation(MEMORY),
    # Every datagram reaches the call through aioice's StunProtocol.datagram_received and
    # RTCDtlsTransport's receive loop (__run), which catch only what they expect (ValueError,
    # ConnectionError, SSL.Error, pylibsrtp.Error) and nothing around the call as a whole: no refusal.
    rejects=(),
    instrument=("aiortc",),
    stack=("aioice", "pylibsrtp"),
    oracle=judge,
    max_len=session_injections.MAX_LENGTH,
    strategy=session_injections.attacks,
    mutator=session_injections.mutator,
    crossover=session_injections.crossover,
    describe=describe,
    sender=sender,
    reductions=session_injections.reductions,
    slow_input_seconds=SLOWEST_SECONDS,
)
