"""The named ways a move of the scripted DTLS peer can deviate: each one's words, the moves it fits, its effect.

A conversation of the dtls_handshake target (harness.peers.dtls_scripts) is a sequence of moves
of harness.peers.dtls_moves, each played as it is or with one deviation from this small set:

- in a field, through the message builder's overrides (harness.peers.dtls_peer_messages): a
  wrong verify_data, a signature by another key, another certificate, a hello whose use_srtp or
  cipher suites lie, a message_seq out of turn, an ECDHE share that is no point, another alert;
- on the wire, by rewriting the datagrams the move produced: lost, duplicated, tampered, labelled
  with the next epoch, fragmented, followed by a replay of the peer's first record, or held back
  until after the next step (a reordered pair).

A deviation's text and its effect sit side by side, so that what `repro` prints is what is done.
The order of DEVIATIONS is part of the encoding of every stored conversation: append, never reorder.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Optional

from harness.peers.dtls_moves import ALPHABETS, SRTP
from harness.peers.dtls_peer import DtlsPeer, PeerCertificate, tamper
from harness.protocols import dtls
from harness.protocols.dtls import HANDSHAKE, USE_SRTP, Datagram, fragment_message, parse_handshakes
from harness.protocols.dtls_handshake import CLOSE_NOTIFY, VERIFY_DATA_LENGTH, WARNING

# Someone else than the peer the transport was told of (RFC 8122 §5: its fingerprints match none
# signalled): its certificate and key stand in for the peer's in the impersonating deviations.
IMPOSTOR = PeerCertificate.generate(random.Random(0x1A9057E8), common_name="impostor")

HELLOS = ("ClientHello", "ClientHelloWithCookie", "ServerHello")
# Moves that send no handshake message (SRTP sends no DTLS record at all).
NOT_HANDSHAKE = ("ChangeCipherSpec", "ApplicationData", "Alert", SRTP)
HANDSHAKE_MOVES = tuple(sorted({m for moves in ALPHABETS.values() for m in moves if m not in NOT_HANDSHAKE}))
DTLS_MOVES = tuple(sorted({m for moves in ALPHABETS.values() for m in moves if m != SRTP}))

# A profile aiortc does not offer (it offers AES128_CM_SHA1_80 and the two AEAD-GCM ones, RFC 7714).
UNOFFERED_SRTP_PROFILE = dtls.SRTP_AES128_CM_HMAC_SHA1_32
UNOFFERED_CIPHER_SUITE = 0x002F  # TLS_RSA_WITH_AES_128_CBC_SHA: aiortc's cipher list is ECDHE-ECDSA only
MKI = b"\x01\x02\x03\x04"
OVERSIZED_DATA = bytes(range(256)) * 6 + bytes(range(64))  # 1600 octets: RTCDtlsTransport reads recv(1500)
FRAGMENTS = 3  # pieces a fragmented message is cut into

Overrides = Callable[[DtlsPeer, str], dict[str, Any]]  # the builder's overrides, given the peer and the move
Rewrite = Callable[[DtlsPeer, list[bytes]], list[bytes]]  # the move's datagrams as they reach the transport


@dataclass(frozen=True)
class Deviation:
    name: str
    text: str  # how the step reads after the move's words: "the peer sends a Finished, <text>"
    moves: tuple[str, ...]  # the moves it fits
    overrides: Optional[Overrides] = None
    rewrite: Optional[Rewrite] = None
    # Delivered after the next step's datagrams, not now (the player holds them).
    held: bool = False
    # Played before the handshake completes, it leaves the peer unproven as the one signalled.
    impersonates: bool = False
    # The transport still gets the message whole and as built, only delivered otherwise (twice, later, in pieces).
    keeps_message: bool = False

    def __str__(self) -> str:
        return self.name


def _fields(**values: Any) -> Overrides:
    return lambda peer, move: dict(values)


def _cipher_suite(peer: DtlsPeer, move: str) -> dict[str, Any]:
    # A ClientHello offers a list; a ServerHello picks one.
    if move == "ServerHello":
        return {"cipher_suite": UNOFFERED_CIPHER_SUITE}
    return {"cipher_suites": [UNOFFERED_CIPHER_SUITE]}


def _tampered(peer: DtlsPeer, datagrams: list[bytes]) -> list[bytes]:
    tampered = []
    for datagram in datagrams:
        for index, record in enumerate(Datagram.parse(datagram).records):
            if record.fragment:
                datagram = tamper(datagram, record=index)
        tampered.append(datagram)
    return tampered


def _next_epoch(peer: DtlsPeer, datagrams: list[bytes]) -> list[bytes]:
    relabelled = []
    for datagram in datagrams:
        parsed = Datagram.parse(datagram)
        for record in parsed.records:
            record.epoch += 1
        relabelled.append(bytes(parsed))
    return relabelled


def _fragmented(peer: DtlsPeer, datagrams: list[bytes]) -> list[bytes]:
    """Handshake messages in epoch-0 records cut into pieces, each in a record (with a fresh sequence
    number from the peer's record layer) and a datagram of its own; protected records stay whole,
    as the peer cannot open what it sealed."""
    cut: list[bytes] = []
    for datagram in datagrams:
        for record in Datagram.parse(datagram).records:
            if record.content_type != HANDSHAKE or record.epoch != 0:
                cut.append(bytes(Datagram([record])))
                continue
            for message in parse_handshakes(record.fragment):
                size = max(len(message.body) // FRAGMENTS, 1)
                for piece in fragment_message(message, [size] * (FRAGMENTS - 1)):
                    peer.records.queue(HANDSHAKE, bytes(piece), epoch=0)
                    cut += peer.flush()
    return cut


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation("lost", "lost on the way: the transport never gets it", DTLS_MOVES, rewrite=lambda peer, d: []),
    Deviation(
        "twice",
        "delivered twice (a duplicate, RFC 6347 §4.1.2.6)",
        DTLS_MOVES,
        rewrite=lambda peer, d: d + d,
        keeps_message=True,
    ),
    Deviation(
        "after_next",
        "held back and delivered after the next step's datagrams (a reordered pair)",
        DTLS_MOVES,
        held=True,
        keeps_message=True,
    ),
    Deviation(
        "tampered",
        "with the last octet of each record flipped (a forged MAC or AEAD tag, or a corrupt message in the clear)",
        DTLS_MOVES,
        rewrite=_tampered,
    ),
    Deviation("next_epoch", "in records labelled with the next epoch (RFC 6347 §4.1)", DTLS_MOVES, rewrite=_next_epoch),
    Deviation(
        "replayed_first",
        "followed by the peer's first record of the conversation again, byte for byte (a replay)",
        DTLS_MOVES,
        rewrite=lambda peer, d: [*d, peer.replay(0)],
        keeps_message=True,
    ),
    Deviation(
        "fragmented",
        f"each message sent in the clear cut into {FRAGMENTS} fragments, a datagram each (RFC 6347 §4.2.3)",
        HANDSHAKE_MOVES,
        rewrite=_fragmented,
        keeps_message=True,
    ),
    Deviation(
        "stale_message_seq",
        "numbered with the message_seq before its own, as a retransmission is (RFC 6347 §4.2.2)",
        HANDSHAKE_MOVES,
        overrides=lambda peer, move: {"message_seq": max(peer.next_send_seq - 1, 0)},
    ),
    Deviation(
        "skipped_message_seq",
        "numbered one message_seq ahead, leaving a gap (RFC 6347 §4.2.2)",
        HANDSHAKE_MOVES,
        overrides=lambda peer, move: {"message_seq": peer.next_send_seq + 1},
    ),
    Deviation(
        "wrong_verify_data",
        f"with verify_data of {VERIFY_DATA_LENGTH} zero octets, which is wrong (RFC 5246 §7.4.9)",
        ("Finished",),
        overrides=_fields(verify_data=bytes(VERIFY_DATA_LENGTH)),
    ),
    Deviation(
        "foreign_signature",
        "signed with the impostor's key, not the key of the certificate the peer presents",
        ("CertificateVerify", "ServerKeyExchange"),
        overrides=_fields(signing_key=IMPOSTOR.key),
        impersonates=True,
    ),
    Deviation(
        "foreign_certificate",
        "carrying the impostor's certificate, which matches no signalled fingerprint (RFC 8122 §5)",
        ("Certificate",),
        overrides=_fields(certificates=[IMPOSTOR.der]),
        impersonates=True,
    ),
    Deviation(
        "no_srtp_profiles",
        "with a use_srtp extension that lists no profile (RFC 5764 §4.1.1: at least one)",
        HELLOS,
        overrides=_fields(srtp_profiles=[]),
    ),
    Deviation(
        "unoffered_srtp_profile",
        "with use_srtp naming only SRTP_AES128_CM_HMAC_SHA1_32, which aiortc does not offer (RFC 5764 §4.1.1)",
        HELLOS,
        overrides=_fields(srtp_profiles=[UNOFFERED_SRTP_PROFILE]),
    ),
    Deviation(
        "without_use_srtp",
        "without the use_srtp extension: no DTLS-SRTP (RFC 5764 §4.1.1)",
        HELLOS,
        overrides=_fields(without=(USE_SRTP,)),
    ),
    Deviation(
        "srtp_mki",
        f"with use_srtp carrying a {len(MKI)}-octet MKI, where aiortc uses none (RFC 5764 §4.1.1)",
        HELLOS,
        overrides=_fields(mki=MKI),
    ),
    Deviation(
        "unoffered_cipher_suite",
        "with TLS_RSA_WITH_AES_128_CBC_SHA (0x002f) as its cipher suite, which aiortc does not offer",
        HELLOS,
        overrides=_cipher_suite,
    ),
    Deviation(
        "invalid_share",
        "with an ECDHE public value of 32 zero octets, which is no valid share (RFC 8422 §5.11, RFC 7748 §6.1)",
        ("ClientKeyExchange", "ServerKeyExchange"),
        overrides=_fields(public=bytes(32)),
    ),
    Deviation("warning_alert", "at level warning instead of fatal", ("Alert",), overrides=_fields(level=WARNING)),
    Deviation(
        "close_notify",
        "as a close_notify warning instead (RFC 5246 §7.2.1)",
        ("Alert",),
        overrides=_fields(level=WARNING, description=CLOSE_NOTIFY),
    ),
    Deviation("empty_data", "with no octets", ("ApplicationData",), overrides=_fields(data=b"")),
    Deviation(
        "oversized_data",
        f"of {len(OVERSIZED_DATA)} octets, more than the 1500 RTCDtlsTransport reads from a record",
        ("ApplicationData",),
        overrides=_fields(data=OVERSIZED_DATA),
    ),
)
BY_NAME = {deviation.name: deviation for deviation in DEVIATIONS}


def deviations_of(move: str) -> tuple[Optional[Deviation], ...]:
    """The ways `move` can be played: as it is (None) first, then each deviation that fits it, in DEVIATIONS order."""
    return (None, *(deviation for deviation in DEVIATIONS if move in deviation.moves))
