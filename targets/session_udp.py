"""Attacks on a live aiortc call over UDP on 127.0.0.1: datagrams from an off-path stranger, a spoofer on the path
or the authenticated peer, at a stage of the call, at any layer; the call must live on.

What the input bytes mean: harness/peers/session_injections.py; the call: harness/peers/session.py;
the player, the liveness oracle and the target's definition: targets/_session.py.
"""

from harness.peers.session import UDP

from ._session import session_target

target = session_target("session_udp", UDP)
