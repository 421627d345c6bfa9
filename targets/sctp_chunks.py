"""SCTP packets received by an established aiortc association, behind its checksum and tag checks.

Each input reaches RTCSctpTransport._handle_data of a fresh association that has completed its
handshake and has two data channels (one awaiting the peer's DCEP ACK, one negotiated), so its
chunks reach the state machine, reassembly, DCEP, SACK, FORWARD TSN and RE-CONFIG handling.
Nothing catches around that call, so any exception is a bug; the repair sets the CRC32c and
the tag the association expects, and the SCTP codec guides the mutations.
"""

import contextlib
import struct
from typing import Optional, cast

from aiortc.rtcdatachannel import RTCDataChannel, RTCDataChannelParameters
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcsctptransport import CHUNK_TYPES as AIORTC_CHUNK_TYPES
from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport, parse_packet, serialize_packet

from harness.aio import DRIVER
from harness.protocols import sctp, sctp_fuzzing
from harness.target import OracleViolation, Target

# What the association would draw at random, pinned so that a verdict depends only on the input.
LOCAL_TAG = 0x1D2E3F40
LOCAL_TSN = 0x7FFFFFF0  # near the wrap of serial number arithmetic (RFC 1982), where comparisons go wrong
PEER_TAG = 0x55AA55AA
PEER_TSN = 0xFFFFFFF8
PORT = 5000
# A DTLS record's plaintext: RTCDtlsTransport._recv_next reads at most 1500 bytes (self._ssl.recv(1500)).
MAX_PACKET = 1500


class FakeDtlsTransport:
    """What RTCSctpTransport uses of its RTCDtlsTransport: a state, the DTLS role, the receiver
    registration and _send_data, whose packets are kept here instead of being encrypted and sent."""

    state = "connected"
    _role = "client"

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self._data_receiver: Optional[object] = None

    def _register_data_receiver(self, receiver: object) -> None:
        self._data_receiver = receiver

    def _unregister_data_receiver(self, receiver: object) -> None:
        self._data_receiver = None

    async def _send_data(self, data: bytes) -> None:
        self.sent.append(data)


def _peer_packet(*chunks: sctp.Chunk) -> bytes:
    return bytes(sctp.SctpPacket(PORT, PORT, LOCAL_TAG, 0, chunks).sealed())


# The peer's side of the handshake our association starts (RFC 9260 §5.1): INIT ACK, then COOKIE ACK.
INIT_ACK = _peer_packet(
    sctp.InitChunk(
        sctp.INIT_ACK,
        0,
        PEER_TAG,
        0x100000,
        0xFFFF,
        0xFFFF,
        PEER_TSN,
        (
            sctp.ForwardTsnSupported(),
            sctp.SupportedExtensions((sctp.FORWARD_TSN, sctp.RECONFIG)),
            sctp.StateCookie(b"harness state cookie"),
        ),
    )
)
COOKIE_ACK = _peer_packet(sctp.RawChunk(sctp.COOKIE_ACK, 0, b""))


async def _established() -> RTCSctpTransport:
    transport = RTCSctpTransport(cast(RTCDtlsTransport, FakeDtlsTransport()), port=PORT)
    # The association's own fields that __init__ fills from random32() and os.urandom(), pinned.
    transport._local_verification_tag = LOCAL_TAG
    transport._local_tsn = LOCAL_TSN
    transport._last_sacked_tsn = transport._advanced_peer_ack_tsn = LOCAL_TSN - 1
    transport._reconfig_request_seq = LOCAL_TSN
    transport._hmac_key = bytes(16)
    await transport.start(RTCSctpCapabilities(maxMessageSize=65536), PORT)
    await transport._handle_data(INIT_ACK)
    await transport._handle_data(COOKIE_ACK)
    RTCDataChannel(transport, RTCDataChannelParameters(label="in-band"))  # stream 0, awaits the peer's DCEP ACK
    RTCDataChannel(transport, RTCDataChannelParameters(label="negotiated", negotiated=True, id=2))
    await DRIVER.settle()
    return transport


async def _close(transport: RTCSctpTransport, failed: bool) -> None:
    """Stop the association as RTCPeerConnection.close does; after a failure, only make sure nothing lingers."""
    try:
        with contextlib.suppress(Exception) if failed else contextlib.nullcontext():
            await transport.stop()
    finally:
        for cancel in (
            transport._t1_cancel,
            transport._t2_cancel,
            transport._t3_cancel,
            transport._reconfig_timer_cancel,
        ):
            cancel()  # the association's own timers: none may fire during a later input


async def _receive(data: bytes) -> list[bytes]:
    transport = await _established()
    failed = True
    try:
        # aiortc.rtcdtlstransport.RTCDtlsTransport._recv_next awaits this with no handler around it.
        await transport._handle_data(data)
        await DRIVER.settle()
        failed = False
    finally:
        await _close(transport, failed)
    return cast(FakeDtlsTransport, transport.transport).sent


def receive(data: bytes) -> list[bytes]:
    """The packets the association sent (handshake, DCEP, then its answers to the input)."""
    return DRIVER.run_alone(_receive(data))


def repair(data: bytes) -> bytes:
    return sctp.repair(data, local_tag=LOCAL_TAG)


def round_trip(packet: bytes, result: object) -> None:
    """Each chunk aiortc parsed serializes to the same chunk again, and to what the chunk was on the
    wire (padding zeroed) wherever the spec-derived codec also decodes the packet (the oracle is given
    the packet as delivered, repaired)."""
    try:
        source, destination, tag, chunks = parse_packet(packet)
    except ValueError:
        return
    try:
        ours = [c for c in sctp.SctpPacket.parse(packet).chunks if c.chunk_type in AIORTC_CHUNK_TYPES]
    except ValueError:
        ours = []
    for position, chunk in enumerate(chunks):
        again = parse_packet(serialize_packet(source, destination, tag, chunk))[3]
        if [type(c) for c in again] != [type(chunk)] or bytes(again[0]) != bytes(chunk):
            raise OracleViolation(
                "chunk-serialization-parses", f"aiortc's {chunk!r} does not parse back from its own serialization"
            )
        if ours and _as_chunk(bytes(chunk)) != sctp.encode_chunk(ours[position]):
            raise OracleViolation(
                "chunk-round-trip-matches-wire", f"aiortc's {chunk!r} serializes to another chunk than the one received"
            )


def _as_chunk(encoded: bytes) -> bytes:
    """The chunk re-encoded by the spec-derived codec: padding and reserved fields zeroed, which
    receivers ignore (RFC 9260 §3.2; RFC 6525 §4.5 and §4.6), so only what the chunk says is compared."""
    kind, flags, length = struct.unpack_from("!BBH", encoded)
    return sctp.encode_chunk(sctp.decode_chunk(kind, flags, encoded[4:length]))


target = Target(
    name="sctp_chunks",
    protocol="SCTP",
    component="aiortc",
    entry=receive,
    # aiortc.rtcdtlstransport.RTCDtlsTransport._recv_next calls _handle_data without a try (its caller __run
    # logs any exception and closes the DTLS transport), so the association has no way to refuse an input.
    rejects=(),
    instrument=("aiortc.rtcsctptransport", "aiortc.rtcdatachannel"),
    oracle=round_trip,
    max_len=MAX_PACKET,
    repair=repair,
    strategy=lambda: sctp_fuzzing.CODEC.mutated(
        sctp_fuzzing.sctp_packets(verification_tag=LOCAL_TAG, tsn=PEER_TSN, acked_tsn=LOCAL_TSN)
    ),
    mutator=sctp_fuzzing.CODEC.mutator,
    crossover=sctp_fuzzing.CODEC.crossover,
    # FakeDtlsTransport stands in for the DTLS transport as aiortc 1.16 uses it: RTCSctpTransport.is_server reads
    # its _role there, where 1.14 and 1.15 read the ICE transport's role through it (transport.transport.role).
    needs=("aiortc>=1.16",),
)
