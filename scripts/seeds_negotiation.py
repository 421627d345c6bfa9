"""Write the seed corpora of remote_description and signaling_message, deterministically.

Seeds: aiortc's own offers and answers (a fresh peer with audio, video and a data channel, and smaller ones),
the SDP seeds of sdp_parse and sdp_structured in both situations, browser-shaped offers and answers drawn from
harness.protocols.sdp_fuzzing (hypothesis, derandomized), and for signaling_message the same descriptions as
JSON messages, candidates as object_to_string writes them, and bye. Seeds that show a bug are left out (they
belong in regressions). Files are named by the SHA-1 of their content.
"""

from __future__ import annotations

import hashlib
import json

from aiortc import RTCPeerConnection
from aiortc.contrib.signaling import object_to_string
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from hypothesis import given, settings

from harness import project
from harness.aio import DRIVER
from harness.peers.loopback import loopback_configuration
from harness.target import load_target, targets_module
from harness.verdict import classify_call

ROOT = project.current().root

remote = load_target("remote_description")
signaling = load_target("signaling_message")
negotiation = targets_module("_negotiation")
messages = targets_module("signaling_message")


def drawn(strategy, count: int) -> list:
    out = []

    @settings(derandomize=True, max_examples=count, database=None, deadline=None)
    @given(strategy)
    def collect(value):
        out.append(value)

    collect()
    return out[:count]


def peer(audio: bool, video: bool, data: bool) -> RTCPeerConnection:
    pc = RTCPeerConnection(loopback_configuration())
    if audio:
        pc.addTrack(AudioStreamTrack())
    if video:
        pc.addTrack(VideoStreamTrack())
    if data:
        pc.createDataChannel("chat")
    return pc


async def aiortc_exchange(setup: tuple[bool, bool, bool]):
    offerer, answerer = peer(*setup), negotiation.peer_connection()
    try:
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        await answerer.setLocalDescription(await answerer.createAnswer())
        return offerer.localDescription, answerer.localDescription, answerer
    finally:
        await offerer.close()


async def real():
    """aiortc offers of several setups, and its answers to a fresh peer's offer, and candidates it gathered."""
    offers, answers, candidates = [], [], []
    for setup in ((True, True, True), (False, False, True), (True, False, False), (True, True, False)):
        offerer = peer(*setup)
        await offerer.setLocalDescription(await offerer.createOffer())
        offers.append(offerer.localDescription)
        await offerer.close()
    fresh = negotiation.peer_connection()
    await fresh.setLocalDescription(await fresh.createOffer())
    answerer = negotiation.peer_connection()
    await answerer.setRemoteDescription(fresh.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    answers.append(answerer.localDescription)
    for transceiver in answerer.getTransceivers():
        for candidate in transceiver.receiver.transport.transport.iceGatherer.getLocalCandidates():
            candidate.sdpMid, candidate.sdpMLineIndex = transceiver.mid, 0
            candidates.append(candidate)
    await fresh.close()
    await answerer.close()
    return offers, answers, candidates


with negotiation.on_loopback():
    offers, answers, candidates = DRIVER.run_alone(real())

ANSWER_TEXT = messages.answer_without_candidates()
sdp_seeds = [
    path.read_bytes()
    for corpus in ("sdp_parse", "sdp_structured")
    for path in sorted((ROOT / "corpora" / corpus).iterdir())
    if path.is_file()
]
browser_offers = [bytes(d) for d in drawn(negotiation.session_descriptions(offer=True), 12)]
browser_answers = [bytes(d) for d in drawn(negotiation.answers_to_the_offer(), 12)]

remote_inputs = [b"1" + o.sdp.encode() for o in offers] + [b"0" + a.sdp.encode() for a in answers]
remote_inputs += [b"0" + ANSWER_TEXT.encode()]
remote_inputs += [b"1" + o for o in browser_offers] + [b"0" + a for a in browser_answers]
remote_inputs += [s + d for d in sdp_seeds for s in (b"0", b"1")]

signal_inputs = [object_to_string(o).encode() for o in offers + answers]
signal_inputs += [json.dumps({"sdp": ANSWER_TEXT, "type": "answer"}).encode()]
signal_inputs += [object_to_string(c).encode() for c in candidates]
signal_inputs += [json.dumps({"sdp": o.decode(), "type": "offer"}).encode() for o in browser_offers]
signal_inputs += [json.dumps({"sdp": a.decode(), "type": "answer"}).encode() for a in browser_answers]
signal_inputs += [bytes(m) for m in drawn(messages.candidate_messages(), 12)]
signal_inputs += [b'{"type": "bye"}']


def write(target, inputs: list[bytes]) -> None:
    out = target.seed_dir
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if old.is_file() and len(old.name) == 40:
            old.unlink()
    kept, verdicts = 0, {}
    for data in inputs:
        outcome = classify_call(target, data, with_traceback=False)
        verdicts[outcome.verdict] = verdicts.get(outcome.verdict, 0) + 1
        if outcome.is_bug:
            continue
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
        kept += 1
    print(target.name, "kept", kept, "of", len(inputs), verdicts)


write(remote, remote_inputs)
write(signaling, signal_inputs)
