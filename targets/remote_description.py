"""Session descriptions from the signaling channel, applied by aiortc's RTCPeerConnection.setRemoteDescription on
a fresh peer connection (audio, video, data channel; 127.0.0.1 only), which may refuse them.

The input is one situation byte, then the SDP text. The lowest bit of the first byte picks the situation:
- even (seeds use "0"): the peer has made its offer and takes the text as its ANSWER;
- odd (seeds use "1"): the peer has made none and takes the text as an OFFER, then creates its answer and sets
  it as its local description.
The rest is mutated as SDP (harness.protocols.sdp_fuzzing CODEC), the situation byte kept (flipped now and
then), and repaired as sdp_structured repairs it. How the peer is made, driven and closed, and why
connectivity checks never start: targets/_negotiation.py.
"""

import random
from typing import Optional

from aiortc import RTCSessionDescription
from aiortc.exceptions import InvalidStateError, OperationError
from hypothesis import strategies as st

from harness.protocols.sdp import repair_fmtp_references
from harness.protocols.sdp_fuzzing import CODEC, session_descriptions
from harness.target import Target

from ._negotiation import NEGOTIATION_MODULES, Negotiated, answers_to_the_offer, apply_description, negotiate

ANSWER, OFFER = b"0", b"1"
FLIP_SITUATION = 0.05  # of mutations: the same text in the other situation


def split(data: bytes) -> tuple[bytes, bytes]:
    """The situation byte (ANSWER for an empty input) and the SDP text."""
    return data[:1] or ANSWER, data[1:]


def description_type(situation: bytes) -> str:
    return "offer" if situation[0] & 1 else "answer"


def receive(data: bytes) -> Negotiated:
    situation, text = split(data)
    # Signaling hands aiortc text; bytes that are not UTF-8 arrive as replacement characters.
    description = RTCSessionDescription(sdp=text.decode("utf-8", "replace"), type=description_type(situation))
    return negotiate(lambda peer: apply_description(peer, description))


def repair(data: bytes) -> bytes:
    return data[:1] + repair_fmtp_references(data[1:])


def mutator(data: bytes, rng: random.Random) -> Optional[bytes]:
    situation, text = split(data)
    if rng.random() < FLIP_SITUATION:
        return bytes([situation[0] ^ 1]) + text
    mutated = CODEC.mutator(text, rng)
    return None if mutated is None else situation + mutated


def crossover(first: bytes, second: bytes, rng: random.Random) -> Optional[bytes]:
    spliced = CODEC.crossover(split(first)[1], split(second)[1], rng)
    return None if spliced is None else split(first)[0] + spliced


def describe(data: bytes) -> list[str]:
    situation, text = split(data)
    if description_type(situation) == "offer":
        role = "a fresh RTCPeerConnection that has made no offer takes it as an OFFER, then creates and sets its answer"
    else:
        role = "a fresh RTCPeerConnection that has made and set its offer takes it as its ANSWER"
    return [
        f"situation byte {situation!r}: {role} (audio and video tracks, a data channel, 127.0.0.1 only)",
        "the description (after the repair):",
        *text.decode("utf-8", "replace").splitlines(),
    ]


target = Target(
    name="remote_description",
    protocol="SDP",
    component="aiortc",
    entry=receive,
    # RTCPeerConnection.setRemoteDescription's own refusals (aiortc 1.16.0, aiortc/rtcpeerconnection.py):
    # ValueError from __validate_description (ICE credentials missing, an answer's setup not active/passive,
    # rtcp-mux missing, an answer's m-sections not the offer's; lines 1395-1420), from the SDP parser
    # (aiortc/sdp.py) and from RTCSessionDescription; InvalidStateError from __validate_description (a type
    # the signaling state does not take, lines 1362-1387); OperationError where no codec is in common
    # (setRemoteDescription, line 925). InvalidAccessError is raised by addTrack only (line 1120), not here.
    # What answering an accepted offer raises is a finding (_negotiation.answer).
    rejects=(ValueError, InvalidStateError, OperationError),
    instrument=NEGOTIATION_MODULES,
    max_len=16384,
    repair=repair,
    mutator=mutator,
    crossover=crossover,
    strategy=lambda: st.one_of(
        CODEC.mutated(answers_to_the_offer()).map(ANSWER.__add__),
        CODEC.mutated(session_descriptions(offer=True)).map(OFFER.__add__),
    ),
    describe=describe,
)
