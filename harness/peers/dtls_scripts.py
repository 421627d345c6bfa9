"""Conversations of the dtls_handshake target as bytes: which role, which moves, in what order, with which deviations.

A script is what the scripted DTLS peer plays against a fresh transport (docs/design.md,
"Stateful targets"): a start, then up to MAX_MOVES moves of harness.peers.dtls_moves, each as
it is or with one deviation of harness.peers.dtls_deviations. It lives beside the moves whose
alphabet it encodes (harness/protocols/ knows no peer). The encoding is compact and total, so
that every byte string is a conversation and byte-level minimization drops whole steps:

- octet 0, the start: bit 0 the role of the transport under test (0 DTLS server, 1 client), bit 1
  whether an impostor speaks in place of the peer the transport was told of; other bits unused;
- one octet per move: the low nibble picks the move in the role's alphabet, the high nibble the
  deviation among those that fit it (`deviations_of`), both modulo their count;
- octets after MAX_MOVES moves are no part of the conversation.

The order of ALPHABETS (harness.peers.dtls_moves) and of DEVIATIONS is part of the encoding of
every stored conversation (corpora/dtls_handshake/): a move or deviation added at the end of its
list keeps them; one inserted or reordered changes what they play.

`decode(encode(script)) == script` for every script; `encode(decode(data))` is the canonical
form of `data`. The mutator inserts, drops, swaps and repeats moves and changes one's deviation,
one's move or the start; the crossover splices two conversations; `scripts()` is the hypothesis
strategy (the happy handshake of a role, mutated, or moves at random). Each step's str reads
as the action, so that `repro` prints a case a maintainer can replay by hand.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Optional, Union

from hypothesis import strategies as st

from harness.conformance.dtls_adapters import CLIENT, ROLES, SERVER
from harness.peers.dtls_deviations import Deviation, deviations_of
from harness.peers.dtls_moves import ALPHABETS, APPLICATION_DATA, SRTP

MAX_MOVES = 24  # a happy handshake and its data take 9 moves: the rest is room for detours
MAX_LENGTH = 1 + MAX_MOVES
IMPOSTOR_BIT = 0b10
NIBBLE = 16

# What each move sends, as the step reads: "the peer sends <words>".
MOVE_WORDS = {
    "ClientHello": "a ClientHello without a cookie",
    "ClientHelloWithCookie": "a ClientHello with the cookie of a HelloVerifyRequest (or one the transport never sent)",
    "HelloVerifyRequest": "a HelloVerifyRequest with a cookie",
    "ServerHello": "a ServerHello choosing from the transport's offer",
    "Certificate": "a Certificate with its certificate",
    "EmptyCertificate": "a Certificate with no certificate in it",
    "ServerKeyExchange": "a ServerKeyExchange (its ECDHE share, signed)",
    "CertificateRequest": "a CertificateRequest",
    "ServerHelloDone": "a ServerHelloDone",
    "ClientKeyExchange": "a ClientKeyExchange (its ECDHE share)",
    "CertificateVerify": "a CertificateVerify (its signature over the handshake so far)",
    "ChangeCipherSpec": "a ChangeCipherSpec (and writes under the new keys from then on)",
    "Finished": "a Finished (verify_data over the handshake so far; zeros before any key exchange)",
    "ApplicationData": f"application data ({len(APPLICATION_DATA)} octets)",
    "Alert": "a fatal handshake_failure alert",
    SRTP: "an RTP packet under SRTP with its half of the negotiated keys (before any, a key nobody negotiated)",
}
# The moves of a whole handshake with mutual authentication (RFC 5246 §7.3), then data and media.
HAPPY: dict[str, tuple[str, ...]] = {
    SERVER: (
        "ClientHello",
        "Certificate",
        "ClientKeyExchange",
        "CertificateVerify",
        "ChangeCipherSpec",
        "Finished",
        "ApplicationData",
        SRTP,
    ),
    CLIENT: (
        "ServerHello",
        "Certificate",
        "ServerKeyExchange",
        "CertificateRequest",
        "ServerHelloDone",
        "ChangeCipherSpec",
        "Finished",
        "ApplicationData",
        SRTP,
    ),
}


@dataclass(frozen=True)
class Start:
    """A new transport in `role`, told the fingerprints of the peer's certificate (RFC 8122 §5)."""

    role: str
    impostor: bool = False  # someone with another certificate speaks in the peer's place from then on

    def __str__(self) -> str:
        told = "told the sha-256, sha-384 and sha-512 fingerprints of the scripted peer's certificate"
        start = f"start a new aiortc RTCDtlsTransport as the DTLS {self.role}, {told}"
        if self.impostor:
            return f"{start}; from then on an impostor with another certificate and key plays the peer"
        return start


@dataclass(frozen=True)
class Move:
    """The peer's next move (a name of ALPHABETS[role]), as it is or with one deviation."""

    move: str
    deviation: Optional[Deviation] = None

    def __str__(self) -> str:
        words = f"the peer sends {MOVE_WORDS.get(self.move, self.move)}"
        return f"{words}, {self.deviation.text}" if self.deviation is not None else words


Step = Union[Start, Move]


@dataclass(frozen=True)
class Script:
    start: Start
    moves: tuple[Move, ...] = ()

    @property
    def steps(self) -> tuple[Step, ...]:
        return (self.start, *self.moves)


def decode(data: bytes) -> Script:
    """The conversation `data` is (every byte string is one)."""
    first = data[0] if data else 0
    start = Start(ROLES[first & 1], bool(first & IMPOSTOR_BIT))
    alphabet = ALPHABETS[start.role]
    moves = []
    for octet in data[1:MAX_LENGTH]:
        move = alphabet[(octet % NIBBLE) % len(alphabet)]
        ways = deviations_of(move)
        moves.append(Move(move, ways[(octet // NIBBLE) % len(ways)]))
    return Script(start, tuple(moves))


def encode(script: Script) -> bytes:
    """The octets of `script` (see the module docstring); ValueError for a move or deviation its role cannot play."""
    start = ROLES.index(script.start.role) | (IMPOSTOR_BIT if script.start.impostor else 0)
    alphabet = ALPHABETS[script.start.role]
    octets = [start]
    for move in script.moves[:MAX_MOVES]:
        if move.move not in alphabet or move.deviation not in deviations_of(move.move):
            raise ValueError(f"dtls script move {move} is invalid for the {script.start.role}")
        octets.append(deviations_of(move.move).index(move.deviation) * NIBBLE + alphabet.index(move.move))
    return bytes(octets)


def happy(role: str) -> Script:
    """The whole handshake of a role, then application data and an SRTP packet."""
    return Script(Start(role), tuple(Move(move) for move in HAPPY[role]))


# --- mutation ---------------------------------------------------------------------------------


def _any_move(role: str, rng: random.Random) -> Move:
    move = rng.choice(ALPHABETS[role])
    return Move(move, rng.choice(deviations_of(move)))


def mutate_script(script: Script, rng: random.Random) -> Script:
    """`script` with one change: a move inserted, dropped, swapped with the next, repeated, given another
    deviation or replaced by another move; or another start (role or impostor)."""
    role = script.start.role
    moves = list(script.moves)
    choice = rng.choice(
        ("insert", "drop", "swap", "repeat", "deviate", "replace", "start") if moves else ("insert", "start")
    )
    at = rng.randrange(len(moves)) if moves else 0
    full = len(moves) >= MAX_MOVES
    if choice == "start":
        # Another role reads the same moves in its own alphabet: only those it has survive.
        start = Start(rng.choice(ROLES), rng.random() < 0.5)
        return Script(start, tuple(move for move in moves if move.move in ALPHABETS[start.role]))
    if choice == "insert" and not full:
        moves.insert(rng.randint(0, len(moves)), _any_move(role, rng))
    elif choice == "repeat" and not full:
        moves.insert(at, moves[at])
    elif choice == "swap" and len(moves) > 1:
        at = min(at, len(moves) - 2)
        moves[at], moves[at + 1] = moves[at + 1], moves[at]
    elif choice == "deviate":
        moves[at] = replace(moves[at], deviation=rng.choice(deviations_of(moves[at].move)))
    elif choice == "replace":
        moves[at] = _any_move(role, rng)
    else:  # a drop, or an insert, repeat or swap that has no room
        del moves[at]
    return Script(script.start, tuple(moves))


def splice_scripts(first: Script, second: Script, rng: random.Random) -> Script:
    """The start and a prefix of `first`, then a suffix of `second` (the moves `first`'s role has)."""
    head = first.moves[: rng.randint(0, len(first.moves))]
    tail = second.moves[rng.randint(0, len(second.moves)) :]
    alphabet = ALPHABETS[first.start.role]
    return Script(first.start, (*head, *(move for move in tail if move.move in alphabet))[:MAX_MOVES])


def mutator(data: bytes, rng: random.Random) -> bytes:
    """Target.mutator: the conversation `data` is, with one change (every input is a conversation)."""
    return encode(mutate_script(decode(data), rng))


def crossover(first: bytes, second: bytes, rng: random.Random) -> bytes:
    """Target.crossover: two conversations spliced."""
    return encode(splice_scripts(decode(first), decode(second), rng))


def _mutated(script: Script, rng: random.Random, rounds: int) -> bytes:
    for _ in range(rounds):
        script = mutate_script(script, rng)
    return encode(script)


def scripts() -> st.SearchStrategy[bytes]:
    """Encoded conversations: a role's happy handshake with up to four changes, or moves at random."""
    happy_ones = st.builds(
        _mutated, st.sampled_from(ROLES).map(happy), st.randoms(use_true_random=False), st.integers(0, 4)
    )
    return st.one_of(happy_ones, st.binary(max_size=MAX_LENGTH))
