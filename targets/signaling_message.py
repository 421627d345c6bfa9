"""Signaling messages as aiortc's example signaling channels read them from the network, turned into objects by
aiortc.contrib.signaling.object_from_string and handed to a fresh peer connection as the examples hand them.

The input is one message: the JSON text of a line the channel reads (TcpSocketSignaling.receive reads up to
the newline; the input's first line is the message, decoded as UTF-8 with replacement characters, see below).
What object_from_string makes of it goes where consume_signaling (examples/datachannel-cli/cli.py) sends it,
to a fresh peer connection (audio, video, data channel; 127.0.0.1 only) in the situation it is meant for:
- {"type": "offer", "sdp": ...}: a peer that has made no offer sets it as remote description, then creates
  and sets its answer;
- {"type": "answer", "sdp": ...}: a peer that has made its offer sets it as remote description;
- {"type": "candidate", "candidate": "candidate:...", "id": mid, "label": m-line index}: a peer that has made
  its offer and set an answer (without candidates, as a trickling peer sends it: answer_without_candidates)
  adds it with addIceCandidate;
- {"type": "bye"}: the loop ends and the peer is closed.
How the peer is made, driven and closed, and why connectivity checks never start: targets/_negotiation.py.
The channels' receive() decode the line strictly (data.decode("utf8")): bytes that are not UTF-8 raise
UnicodeDecodeError there, before object_from_string, and nothing catches that either; this target decodes with
replacement characters instead, to study what comes after.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from typing import Any

from aiortc import RTCIceCandidate, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.signaling import BYE, object_from_string
from hypothesis import strategies as st

from harness.aio import DRIVER
from harness.peers.loopback import answer_of
from harness.protocols.mutations import Codec
from harness.protocols.sdp import repair_fmtp_references
from harness.protocols.sdp_fuzzing import BOUNDARY_TEXTS, candidates, mutate_text, session_descriptions
from harness.protocols.sdp_fuzzing import CODEC as SDP
from harness.target import Target

from ._negotiation import (
    NEGOTIATION_MODULES,
    OFFERED_MIDS,
    Negotiated,
    answers_to_the_offer,
    apply_description,
    make_offer,
    negotiate,
    on_loopback,
    peer_connection,
)

TYPES = ("offer", "answer", "candidate", "bye", "pranswer", "rollback", "", "Offer")
KEYS = ("type", "sdp", "candidate", "id", "label", "sdpMid", "sdpMLineIndex", "x")
JSON_VALUES: tuple[Any, ...] = (None, True, 0, -1, 2**64, 1.5, "", "0", [], {}, "candidate:", *BOUNDARY_TEXTS[:8])


def first_line(data: bytes) -> str:
    """The message a channel's receive() hands object_from_string (readuntil("\\n"), then decode)."""
    return data.split(b"\n", 1)[0].decode("utf-8", "replace")


@functools.cache
def answer_without_candidates() -> str:
    """aiortc's own answer to a fresh peer's offer, without its candidates (they would come by trickle), made once."""

    async def answered() -> str:
        offerer, answerer = peer_connection(), peer_connection()
        try:
            return await answer_of(offerer, answerer)
        finally:
            await offerer.close()
            await answerer.close()

    with on_loopback():
        text = DRIVER.run_alone(answered())
    kept = [line for line in text.splitlines() if not line.startswith(("a=candidate:", "a=end-of-candidates"))]
    return "\r\n".join(kept) + "\r\n"


async def add_candidate(peer: RTCPeerConnection, answer: str, candidate: RTCIceCandidate) -> None:
    await make_offer(peer)
    await peer.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    # The connect task the answer scheduled would check the candidate's address: it is cancelled before it runs.
    await DRIVER.cancel_tasks()
    await peer.addIceCandidate(candidate)


async def closed(peer: RTCPeerConnection) -> None:
    """BYE: consume_signaling returns, and the example closes the connection."""


def receive(data: bytes) -> Negotiated:
    message = object_from_string(first_line(data))
    if isinstance(message, RTCSessionDescription):
        return negotiate(lambda peer: apply_description(peer, message))
    if isinstance(message, RTCIceCandidate):
        answer = answer_without_candidates()
        return negotiate(lambda peer: add_candidate(peer, answer, message))
    assert message is BYE
    return negotiate(closed)


# ---------------------------------------------------------------------------------------------
# Structure-aware mutation: the JSON's fields, the SDP inside (harness.protocols.sdp_fuzzing), the candidate.


@dataclass(frozen=True)
class Message:
    fields: Any  # what the JSON decodes to: a dict for every message the examples send

    def __bytes__(self) -> bytes:
        return json.dumps(self.fields).encode()

    @classmethod
    def parse(cls, data: bytes) -> Message:
        return cls(json.loads(first_line(data)))  # JSONDecodeError is a ValueError


def mutate(message: Message, rng: random.Random) -> bytes:
    """One change: of the SDP (as SDP), of the candidate line (one field), or of the JSON (a key's value, a key
    dropped or added, the type)."""
    fields = message.fields
    if not isinstance(fields, dict):
        return bytes(Message(rng.choice(({"type": "bye"}, [fields], fields))))
    fields = dict(fields)
    choice = rng.randrange(5)
    if choice == 0 and isinstance(fields.get("sdp"), str):
        sdp = SDP.mutator(fields["sdp"].encode("utf-8", "replace"), rng)  # None: no longer SDP, mutated as text
        fields["sdp"] = mutate_text(fields["sdp"], rng) if sdp is None else sdp.decode("utf-8", "replace")
    elif choice == 1 and isinstance(fields.get("candidate"), str):
        fields["candidate"] = mutate_text(fields["candidate"], rng)
    elif choice == 2 and fields:
        key = rng.choice(sorted(fields, key=str))
        if rng.random() < 0.3:
            del fields[key]
        else:
            fields[key] = rng.choice(JSON_VALUES)
    elif choice == 3:
        fields["type"] = rng.choice(TYPES)
    else:
        fields[rng.choice(KEYS)] = rng.choice(JSON_VALUES)
    return bytes(Message(fields))


def splice(first: Message, second: Message, rng: random.Random) -> bytes:
    """The fields of one message over some of the other's."""
    if not isinstance(first.fields, dict) or not isinstance(second.fields, dict):
        return bytes(second)
    taken = {key: value for key, value in second.fields.items() if rng.random() < 0.5}
    return bytes(Message({**first.fields, **taken}))


CODEC = Codec(parse=Message.parse, mutate=mutate, splice=splice)


def repair(data: bytes) -> bytes:
    """The SDP inside a description message repaired as sdp_structured repairs it; any other input as it is."""
    try:
        fields = json.loads(first_line(data))
        sdp = fields["sdp"].encode()
    except (ValueError, TypeError, KeyError, AttributeError):  # not JSON, no str "sdp" (or a lone surrogate in it)
        return data
    repaired = repair_fmtp_references(sdp)
    return data if repaired == sdp else bytes(Message({**fields, "sdp": repaired.decode()}))


def description_messages(kind: str, descriptions: st.SearchStrategy[Any]) -> st.SearchStrategy[Message]:
    return descriptions.map(lambda d: Message({"sdp": str(d), "type": kind}))


def candidate_messages() -> st.SearchStrategy[Message]:
    """As object_to_string writes them: "candidate:" and the a=candidate value, the mid and the m-line index."""
    return st.builds(
        lambda candidate, index: Message(
            {"candidate": str(candidate)[2:], "id": OFFERED_MIDS[index], "label": index, "type": "candidate"}
        ),
        candidates(),
        st.integers(0, len(OFFERED_MIDS) - 1),
    )


def messages() -> st.SearchStrategy[bytes]:
    return CODEC.mutated(
        st.one_of(
            description_messages("offer", session_descriptions(offer=True)),
            description_messages("answer", answers_to_the_offer()),
            candidate_messages(),
            st.just(Message({"type": "bye"})),
        )
    )


def describe(data: bytes) -> list[str]:
    return [
        "the line a signaling channel's receive() hands aiortc.contrib.signaling.object_from_string:",
        first_line(data),
        "then, as consume_signaling (examples/datachannel-cli/cli.py) does, on a fresh RTCPeerConnection (audio and "
        "video tracks, a data channel, 127.0.0.1 only): an offer set as remote description and answered; an answer "
        "set by a peer that made its offer; a candidate added with addIceCandidate by a peer that made its offer "
        "and set an answer without candidates; bye closes the peer",
    ]


target = Target(
    name="signaling_message",
    protocol="SDP",
    component="aiortc",
    entry=receive,
    # Nothing catches (aiortc 1.16.0): TcpSocketSignaling.receive and UnixSocketSignaling.receive
    # (aiortc/contrib/signaling.py) catch only asyncio.IncompleteReadError, around readuntil, not around
    # object_from_string; CopyAndPasteSignaling.receive catches nothing. The examples in aiortc's sdist call
    # signaling.receive(), setRemoteDescription, createAnswer, setLocalDescription and addIceCandidate in
    # consume_signaling with no try (examples/datachannel-cli/cli.py lines 19-34; videostream-cli/cli.py,
    # datachannel-filexfer/filexfer.py and datachannel-vpn/vpn.py alike), so whatever escapes ends their
    # signaling loop and the application.
    rejects=(),
    instrument=("aiortc.contrib.signaling", *NEGOTIATION_MODULES),
    max_len=16384,
    repair=repair,
    mutator=CODEC.mutator,
    crossover=CODEC.crossover,
    strategy=messages,
    describe=describe,
    # receive() takes object_from_string's answer for a message of no known type to be BYE or a refusal, as
    # in aiortc 1.14.0 on; 1.11.0 returns None for it.
    needs=("aiortc>=1.14",),
)
