"""Attacks on a live aiortc call over an in-memory network (aioice's sockets replaced, the stack above unchanged):
the same attacks as session_udp, without the kernel.

What the input bytes mean: harness/peers/session_injections.py; the call and its network: harness/peers/session.py
and harness/peers/memory_network.py; the player, the liveness oracle and the target's definition: targets/_session.py.
"""

from harness.peers.session import MEMORY

from ._session import session_target

target = session_target("session_memory", MEMORY)
