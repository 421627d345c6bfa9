"""STUN datagrams from the network, parsed by aioice, which may refuse them with ValueError."""

from aioice import stun

from harness.target import Target

target = Target(
    name="stun_parse",
    protocol="STUN",
    component="aioice",
    entry=stun.parse_message,
    # aioice.ice.StunProtocol.datagram_received and aioice.turn's datagram_received
    # catch ValueError around stun.parse_message (and hand the datagram on, or drop it).
    rejects=(ValueError,),
    instrument=("aioice.stun",),
)
