"""SCTP packets from the DTLS channel, parsed by aiortc, which may refuse them with ValueError."""

from aiortc.rtcsctptransport import parse_packet

from harness.target import Target

target = Target(
    name="sctp_packet",
    protocol="SCTP",
    component="aiortc",
    entry=parse_packet,
    # aiortc.rtcsctptransport.RTCSctpTransport._handle_data catches ValueError around it.
    rejects=(ValueError,),
    instrument=("aiortc.rtcsctptransport",),
)
