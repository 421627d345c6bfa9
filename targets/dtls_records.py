"""One datagram of DTLS records handed to an aiortc RTCDtlsTransport acting as the DTLS server mid-handshake.

Nothing around RTCDtlsTransport.start() catches, so any exception is a bug; the oracle checks the
transport stays in a state aiortc defines for an unauthenticated first flight, and that whatever
it answers is well-framed DTLS. Record and handshake lengths that overrun are repaired; the
mutator lies in record framing, handshake fragments and ClientHello fields (harness.protocols.dtls).
"""

from harness.peers.dtls_endpoint import FlightOutcome, deliver_to_server
from harness.protocols.dtls import HANDSHAKE, VERSIONS, Datagram, parse_handshakes, repair_lengths
from harness.protocols.dtls_fuzzing import CODEC, datagrams
from harness.target import OracleViolation, Target

# RFC 6347 §4.2.4: one client flight cannot finish a handshake whose server Finished needs the
# client's second flight, so the only states aiortc defines for it are still negotiating
# ("connecting") or given up ("failed": an SSL error, or a close_notify). Never "connected".
STATES_AFTER_ONE_FLIGHT = ("connecting", "failed")


def answers_are_dtls(data: bytes, outcome: FlightOutcome) -> None:
    """The transport stays unconnected, and every datagram it sends decodes as DTLS records again."""
    if outcome.state not in STATES_AFTER_ONE_FLIGHT or outcome.encrypted:
        raise OracleViolation(
            "unconnected-after-one-flight",
            f"DTLS server is {outcome.state!r} (encrypted={outcome.encrypted}) after one flight",
        )
    for answer in outcome.answers:
        try:
            records = Datagram.parse(answer).records
            for record in records:
                if record.content_type == HANDSHAKE and record.epoch == 0:
                    parse_handshakes(record.fragment)
        except ValueError as exc:
            message = f"DTLS server answered a datagram that is not DTLS: {exc}"
            raise OracleViolation("answers-are-dtls", message) from exc
        if any(record.version not in VERSIONS for record in records):
            raise OracleViolation("answers-are-dtls", "DTLS server answered with a record version that is not DTLS")


target = Target(
    name="dtls_records",
    protocol="DTLS",
    component="aiortc",
    entry=deliver_to_server,
    # aiortc.rtcpeerconnection.RTCPeerConnection.__connect awaits RTCDtlsTransport.start() with no
    # try around it (it runs under asyncio.ensure_future), and start() itself catches only
    # SSL.Error and ConnectionError inside _do_handshake: nothing else is a documented refusal.
    rejects=(),
    # OpenSSL's C record layer and handshake are not instrumentable by atheris (no Python frames);
    # coverage of the Python side that dispatches datagrams and drives the handshake guides it.
    instrument=("aiortc.rtcdtlstransport",),
    oracle=answers_are_dtls,
    max_len=4096,
    repair=repair_lengths,
    strategy=lambda: CODEC.mutated(datagrams()),
    mutator=CODEC.mutator,
    crossover=CODEC.crossover,
)
