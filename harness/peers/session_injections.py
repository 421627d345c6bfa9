"""Attacks on a live session as bytes: at which stage, on which side, who sends what at which layer.

An attack is what the session targets play (docs/design.md, "Stateful targets"): the stage of
the call it happens in, the side it is aimed at (the victim), and up to MAX_INJECTIONS
injections, each a sender (harness.peers.session: off-path, on-path, peer), a layer and that
layer's message. The encoding is compact and total, so every byte string is an attack:

- octet 0: the stage, an index into STAGES (modulo its length);
- octet 1: bit 0 the victim (0 the answerer, 1 the offerer); other bits unused;
- each injection: one octet (high nibble the sender, low nibble the layer, each modulo its
  count), a two-octet length, then that many octets of the message (fewer if the input ends).

Byte-level minimization cannot see where an injection begins, so the targets give the minimizer
`reductions`: whole injections dropped, senders weakened, messages shortened.

The order of STAGES, SENDERS and LAYERS is part of the encoding of every stored attack
(corpora/session_*/): add at the end.

What each layer makes of its message before it goes out (`deliver`), so that what the victim
verifies first does not stop every input at the door, with the keys the sender holds:

- raw: the octets as they are;
- stun: USERNAME set to the check's "<victim>:<peer>" (the ufrags travel in the clear), then
  length, MESSAGE-INTEGRITY and FINGERPRINT made valid (harness.protocols.stun.sign) under the
  victim's ICE password if the peer sends it, under a made-up key otherwise;
- dtls: from the peer once the call is keyed, the octets as application data under the DTLS keys
  (what the victim's SCTP then reads); otherwise a datagram of DTLS records (first octet in the
  DTLS range of RFC 7983);
- srtp / srtcp: an RTP / RTCP packet (version 2, RFC 7983's range) protected with the peer's real
  SRTP keys if the peer sends it once keyed, with a forged tag otherwise. The peer's own streams'
  SSRCs are left alone: a peer may break its own stream, and that is no finding;
- sctp: an SCTP packet with the association's ports and verification tag, DATA chunks numbered
  ahead of the peer's own TSNs (so that they are not dropped as duplicates by chance), and a valid CRC32c,
  sent by the peer under the DTLS keys once keyed; anyone else can only forge the DTLS record
  around it.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Optional

import pylibsrtp
from hypothesis import strategies as st

from harness.peers.session import (
    ANSWERER,
    CHECKING,
    GATHERING,
    HANDSHAKE,
    OFFERER,
    PEER,
    SENDERS,
    LiveSession,
    PeerKeys,
)
from harness.protocols import dtls, dtls_fuzzing, rtcp_fuzzing, rtp, sctp, sctp_fuzzing, stun, stun_fuzzing
from harness.protocols.mutations import Codec

CONNECTED, RENEGOTIATION, CLOSING = "connected", "renegotiation", "closing"  # stages of a connected call
STAGES = (CONNECTED, GATHERING, CHECKING, HANDSHAKE, RENEGOTIATION, CLOSING)
RAW, STUN, DTLS, SRTP, SRTCP, SCTP = "raw", "stun", "dtls", "srtp", "srtcp", "sctp"
LAYERS = (RAW, STUN, DTLS, SRTP, SRTCP, SCTP)
MAX_INJECTIONS = 8
MAX_MESSAGE = 1500
MAX_LENGTH = 2 + MAX_INJECTIONS * (3 + MAX_MESSAGE)
NIBBLE = 16

TSN_AHEAD = 2**16  # how far ahead of the peer's own next TSN injected DATA chunks go (_with_tsns_ahead)
FORGED_KEY = b"not the ICE password"  # what a sender without the password signs with
FORGED_SRTP_TAG = bytes(10)  # an HMAC-SHA1-80 tag of zeros
SRTCP_E_AND_INDEX = struct.pack("!I", 0x80000001)  # encrypted, index 1 (RFC 3711 §3.4)
DTLS_FIRST_OCTETS = range(20, 64)  # RFC 7983 §7
RTCP_TYPES_AS_AIORTC_SEES_THEM = range(192, 209)  # aiortc.rtp.is_rtcp: second octet 192..208
GCM_NONCE_AND_TAG = (8, 16)  # AES-GCM's explicit nonce before and tag after the ciphertext (RFC 5288 §3)

LAYER_WORDS = {
    RAW: "a raw datagram",
    STUN: "a STUN message",
    DTLS: "DTLS",
    SRTP: "an SRTP packet",
    SRTCP: "an SRTCP packet",
    SCTP: "an SCTP packet",
}
STAGE_WORDS = {
    CONNECTED: "once the call is connected",
    GATHERING: "once the victim has gathered its candidates, before the call connects",
    CHECKING: "while ICE checks run (both descriptions set)",
    HANDSHAKE: "when the victim's DTLS handshake starts",
    RENEGOTIATION: "in a renegotiation of the connected call (a new offer set, before its answer)",
    CLOSING: "while the victim closes the call (RTCPeerConnection.close started)",
}


@dataclass(frozen=True)
class Injection:
    sender: str
    layer: str
    message: bytes

    def __str__(self) -> str:
        preview = self.message[:24].hex(" ") + (" ..." if len(self.message) > 24 else "")
        words = LAYER_WORDS[self.layer]
        return f"the {self.sender} sender sends {words} built from {len(self.message)} octets [{preview}]"


@dataclass(frozen=True)
class Attack:
    stage: str
    victim: str
    injections: tuple[Injection, ...]

    def lines(self) -> list[str]:
        heading = f"a live call; {STAGE_WORDS[self.stage]}, aimed at the {self.victim}:"
        steps = [f"{number}. {injection}" for number, injection in enumerate(self.injections, 1)]
        return [heading, *(steps or ["(no injection)"]), "then: is the call still alive?"]

    @property
    def sender(self) -> str:
        """The strongest sender the attack needs: its severity (off-path < on-path < peer)."""
        ranks = [SENDERS.index(injection.sender) for injection in self.injections]
        return SENDERS[max(ranks)] if ranks else SENDERS[0]


def decode(data: bytes) -> Attack:
    stage = STAGES[data[0] % len(STAGES)] if data else CONNECTED
    victim = OFFERER if len(data) > 1 and data[1] & 1 else ANSWERER
    injections: list[Injection] = []
    position = 2
    while position < len(data) and len(injections) < MAX_INJECTIONS:
        kind = data[position]
        length = int.from_bytes(data[position + 1 : position + 3].ljust(2, b"\0"), "big")
        message = data[position + 3 : position + 3 + min(length, MAX_MESSAGE)]
        sender, layer = SENDERS[(kind // NIBBLE) % len(SENDERS)], LAYERS[(kind % NIBBLE) % len(LAYERS)]
        injections.append(Injection(sender, layer, message))
        position += 3 + length
    return Attack(stage, victim, tuple(injections))


def encode(attack: Attack) -> bytes:
    out = bytearray([STAGES.index(attack.stage), int(attack.victim == OFFERER)])
    for injection in attack.injections:
        kind = SENDERS.index(injection.sender) * NIBBLE + LAYERS.index(injection.layer)
        out += bytes([kind]) + len(injection.message).to_bytes(2, "big") + injection.message
    return bytes(out)


# -- what goes out --


async def deliver(session: LiveSession, victim: str, injection: Injection) -> str:
    """Send one injection to the victim as its sender can; returns how it went out, in words."""
    keys = session.keys(victim)
    keyed = injection.sender == PEER
    message, layer = injection.message, injection.layer
    if layer in (DTLS, SCTP) and keyed and keys.dtls is not None:
        payload = _sctp_packet(message, keys) if layer == SCTP else message
        await keys.dtls._send_data(payload)
        return f"{len(payload)} octets under the DTLS keys"
    datagram = _datagram(layer, message, keys, keyed)
    if datagram is None:
        return "not sent: the peer's libsrtp refused to protect it"
    return session.send(injection.sender, victim, datagram)


def _datagram(layer: str, message: bytes, keys: PeerKeys, keyed: bool) -> Optional[bytes]:
    if layer == STUN:
        key = keys.ice_password if keyed and keys.ice_password is not None else FORGED_KEY
        return stun.sign(_with_username(message, keys.ice_username), key=key)
    if layer == DTLS:
        return _in_dtls_range(message)
    if layer == SRTP:
        return _protected(_rtp_packet(message, keys.live_ssrcs), keys.srtp if keyed else None, rtcp=False)
    if layer == SRTCP:
        return _protected(_rtcp_packet(message), keys.srtp if keyed else None, rtcp=True)
    if layer == SCTP:
        nonce, tag = GCM_NONCE_AND_TAG
        forged = bytes(nonce) + _sctp_packet(message, keys) + bytes(tag)
        return bytes(dtls.Record(dtls.APPLICATION_DATA, dtls.DTLS_1_2, epoch=1, sequence_number=0, fragment=forged))
    return message


def _with_username(message: bytes, username: str) -> bytes:
    try:
        parsed = stun.Message.parse(message)
    except ValueError:
        return message
    attributes = tuple(
        stun.Attribute(stun.USERNAME, username.encode()) if attribute.type == stun.USERNAME else attribute
        for attribute in parsed.attributes
    )
    return bytes(replace(parsed, attributes=attributes))


def _in_dtls_range(message: bytes) -> bytes:
    if not message or message[0] in DTLS_FIRST_OCTETS:
        return message
    return bytes([DTLS_FIRST_OCTETS[0] + message[0] % len(DTLS_FIRST_OCTETS)]) + message[1:]


def _rtp_packet(message: bytes, live_ssrcs: frozenset[int]) -> bytes:
    packet = bytearray(message.ljust(12, b"\0"))
    packet[0] = 0x80 | (packet[0] & 0x3F)
    if packet[1] in RTCP_TYPES_AS_AIORTC_SEES_THEM:
        packet[1] &= 0x7F
    (ssrc,) = struct.unpack_from("!I", packet, 8)
    if ssrc in live_ssrcs:
        struct.pack_into("!I", packet, 8, ssrc ^ 1)
    return bytes(packet)


def _rtcp_packet(message: bytes) -> bytes:
    packet = bytearray(message.ljust(8, b"\0"))
    packet[0] = 0x80 | (packet[0] & 0x3F)
    if packet[1] not in RTCP_TYPES_AS_AIORTC_SEES_THEM:
        packet[1] = 200 + packet[1] % 9
    return bytes(packet)


def _protected(packet: bytes, srtp: Any, *, rtcp: bool) -> Optional[bytes]:
    if srtp is None:
        return packet + (SRTCP_E_AND_INDEX if rtcp else b"") + FORGED_SRTP_TAG
    try:
        return srtp.protect_rtcp(packet) if rtcp else srtp.protect(packet)
    except (pylibsrtp.Error, ValueError):  # the peer's own libsrtp refuses (too long, say): nothing to send
        return None


def _sctp_packet(message: bytes, keys: PeerKeys) -> bytes:
    source, destination = keys.sctp_ports
    header = struct.pack("!HH", source, destination)
    packet = _with_tsns_ahead(header + message[4:].ljust(sctp.COMMON_HEADER_LENGTH - 4, b"\0"), keys.sctp_next_tsn)
    return sctp.seal(packet, verification_tag=keys.sctp_tag)


def _with_tsns_ahead(packet: bytes, next_tsn: int) -> bytes:
    """The DATA chunks' TSNs set to TSN_AHEAD past the peer's next one and counting: a TSN the association has
    seen is dropped as a duplicate (RFC 9260 §6.2), and which are seen depends on its random initial TSN, so a
    message would be taken or not by chance; ahead of the peer's own, it is taken and its stream is left alone."""
    out, tsn = bytearray(packet), (next_tsn + TSN_AHEAD) % 2**32
    for position, kind, length in sctp.chunk_headers(packet):
        if kind == sctp.DATA and length >= sctp.CHUNK_HEADER_LENGTH + 4 and position + 8 <= len(out):
            struct.pack_into("!I", out, position + sctp.CHUNK_HEADER_LENGTH, tsn)
            tsn = (tsn + 1) % 2**32
    return bytes(out)


# -- generation and mutation --

LAYER_CODECS: dict[str, Codec[Any]] = {
    STUN: stun_fuzzing.CODEC,
    DTLS: dtls_fuzzing.CODEC,
    SRTP: rtp.CODEC,
    SRTCP: rtcp_fuzzing.CODEC,
    SCTP: sctp_fuzzing.CODEC,
}


def _messages(layer: str) -> st.SearchStrategy[bytes]:
    if layer == STUN:
        return stun_fuzzing.CODEC.mutated(stun_fuzzing.stun_messages())
    if layer == DTLS:
        return dtls_fuzzing.CODEC.mutated(dtls_fuzzing.datagrams())
    if layer == SRTP:
        return rtp.CODEC.mutated(rtp.rtp_packets())
    if layer == SRTCP:
        return rtcp_fuzzing.CODEC.mutated(rtcp_fuzzing.rtcp_compound_packets())
    if layer == SCTP:
        return sctp_fuzzing.CODEC.mutated(sctp_fuzzing.sctp_packets())
    return st.binary(max_size=64)


@st.composite
def _injections(draw: st.DrawFn) -> Injection:
    layer = draw(st.sampled_from(LAYERS))
    return Injection(draw(st.sampled_from(SENDERS)), layer, draw(_messages(layer))[:MAX_MESSAGE])


def attacks(*, stages: tuple[str, ...] = STAGES) -> st.SearchStrategy[bytes]:
    """Encoded attacks: a stage, a victim, one to three injections of messages built by the layers' codecs."""
    return st.builds(
        Attack,
        st.sampled_from(stages),
        st.sampled_from((ANSWERER, OFFERER)),
        st.tuples(_injections()) | st.lists(_injections(), min_size=1, max_size=3).map(tuple),
    ).map(encode)


def mutator(data: bytes, rng: random.Random) -> Optional[bytes]:
    """One change to the attack: a message mutated by its layer's codec, or a sender, layer, stage or victim changed,
    or an injection dropped or repeated."""
    attack = decode(data)
    injections = list(attack.injections)
    choice = rng.randrange(6) if injections else 5
    if choice <= 1:
        index = rng.randrange(len(injections))
        injection = injections[index]
        codec = LAYER_CODECS.get(injection.layer)
        mutated = codec.mutator(injection.message, rng) if codec is not None else None
        if mutated is None:
            return None  # not a message of its layer any more: byte mutation takes it from here
        injections[index] = replace(injection, message=mutated[:MAX_MESSAGE])
    elif choice == 2:
        index = rng.randrange(len(injections))
        injections[index] = replace(injections[index], sender=rng.choice(SENDERS))
    elif choice == 3:
        index = rng.randrange(len(injections))
        if rng.random() < 0.5:
            del injections[index]
        elif len(injections) < MAX_INJECTIONS:
            injections.insert(index, injections[index])
    elif choice == 4:
        index = rng.randrange(len(injections))
        injections[index] = replace(injections[index], layer=rng.choice(LAYERS))
    else:
        attack = replace(attack, stage=rng.choice(STAGES), victim=rng.choice((ANSWERER, OFFERER)))
    return encode(replace(attack, injections=tuple(injections)))


def reductions(data: bytes) -> Iterator[bytes]:
    """Simpler attacks for the minimizer (Target.reductions), simplest change first: the canonical encoding, one
    injection fewer, one injection from a weaker sender (so a finding ends with the weakest sender that still
    does it: its severity), then one message shorter by a chunk, halves first."""
    attack = decode(data)
    injections = list(attack.injections)
    yield encode(attack)
    for index in range(len(injections)):
        yield encode(replace(attack, injections=tuple(injections[:index] + injections[index + 1 :])))
    for index, injection in enumerate(injections):
        for weaker in SENDERS[: SENDERS.index(injection.sender)]:
            yield _with(attack, index, replace(injection, sender=weaker))
    for index, injection in enumerate(injections):
        message, chunk = injection.message, len(injection.message) // 2
        while chunk >= 1:
            for start in range(0, len(message), chunk):
                yield _with(attack, index, replace(injection, message=message[:start] + message[start + chunk :]))
            chunk //= 2


def _with(attack: Attack, index: int, injection: Injection) -> bytes:
    injections = list(attack.injections)
    injections[index] = injection
    return encode(replace(attack, injections=tuple(injections)))


def crossover(first: bytes, second: bytes, rng: random.Random) -> Optional[bytes]:
    """The first attack's stage and victim, with injections of both, spliced at random points."""
    one, two = decode(first), decode(second)
    if not one.injections or not two.injections:
        return None
    cut_one, cut_two = rng.randrange(len(one.injections) + 1), rng.randrange(len(two.injections) + 1)
    spliced = (one.injections[:cut_one] + two.injections[cut_two:])[:MAX_INJECTIONS]
    return encode(replace(one, injections=spliced))
