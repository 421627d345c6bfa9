"""What the negotiation targets (remote_description, signaling_message) share: a fresh loopback peer connection
per input, the offer/answer calls a signaling channel drives on it, and what surfaces after them.

Every input gets a new RTCPeerConnection with an audio track, a video track and a data channel, on 127.0.0.1
only (harness.peers.loopback), closed when the input ends, also after a finding. A description is applied as
the examples shipped with aiortc apply what their signaling channel hands them (examples/datachannel-cli/cli.py,
consume_signaling): an offer by a peer that has made none, which then creates its answer and sets it as its
local description; an answer by a peer that has made its offer. So description parsing and validation,
transceiver matching, codec and header-extension negotiation, BUNDLE, DTLS roles and the remote ICE candidates
(handed to aioice) all run.

Connectivity does not: ICE would send its checks to whatever addresses the input names, and this harness sends
nothing off the host. A peer's connect task (RTCPeerConnection.__connect) starts ICE only once it has both local
candidates and remote ICE parameters, so: the task the offering peer's own offer schedules runs (settle) before
any answer is applied; the task a remote offer schedules runs while the answer's candidates are being gathered,
before there are any; the task the last description schedules finds the peer closed (close() marks it closed
before it yields), or, where a candidate is added after an answer, is cancelled before it runs.
`ice_unstarted` checks before every close that no ICE transport was started. mDNS names in remote candidates are
looked up by a stand-in that answers none (as when no host on the link has the name): no query leaves the host.

What the peer's tasks raised surfaces as itself (DRIVER.settle), and so does what reached the event loop's
exception handler (an OracleViolation when it carries no exception): nothing catches there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Optional
from unittest import mock

from aiortc import RTCDtlsTransport, RTCIceTransport, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from hypothesis import strategies as st

from harness.aio import DRIVER, surface
from harness.peers.loopback import loopback_configuration, loopback_only
from harness.protocols.sdp import SessionDescription
from harness.protocols.sdp_attributes import Group, Mid
from harness.protocols.sdp_fuzzing import session_descriptions
from harness.target import EXHAUSTION, OracleViolation

# What a fresh peer offers, in order (mids are aiortc's: the m-line index): an answer must list the same.
OFFERED_KINDS = ("audio", "video", "application")
OFFERED_MIDS = ("0", "1", "2")
ACCEPTED_OFFER_IS_ANSWERED = "accepted-offer-is-answered"
# What negotiating a description runs, and guides the fuzzer: the peer connection, the SDP codec and the
# transports a description configures.
NEGOTIATION_MODULES = (
    "aiortc.rtcpeerconnection",
    "aiortc.sdp",
    "aiortc.rtcicetransport",
    "aiortc.rtcdtlstransport",
    "aiortc.rtcrtptransceiver",
    "aiortc.rtcsctptransport",
)


@dataclass(frozen=True)
class Negotiated:
    """Where the negotiation left the peer: its signaling state, the type of its local description, and the
    addresses of the remote candidates its ICE transports were given."""

    signaling_state: str
    local_type: Optional[str]
    remote_candidates: tuple[str, ...]


class UnansweredMdns:
    """Stands in for aioice's mDNS protocol (aioice.mdns.MDnsProtocol.resolve): no query leaves the host, and no
    name is answered, as when no host on the link has it."""

    async def resolve(self, hostname: str, timeout: float = 1.0) -> None:
        return None


UNANSWERED_MDNS = UnansweredMdns()


async def unanswered_mdns(subscriber: object) -> UnansweredMdns:
    return UNANSWERED_MDNS


@contextmanager
def on_loopback() -> Iterator[None]:
    """Host candidates on 127.0.0.1 only, and mDNS names left unresolved rather than refused with an error:
    .local candidates are ordinary input here (browsers send them), not a mistake of the harness."""
    with loopback_only(), mock.patch("aioice.ice.get_or_create_mdns_protocol", unanswered_mdns):
        yield


def peer_connection() -> RTCPeerConnection:
    peer = RTCPeerConnection(loopback_configuration())
    peer.addTrack(AudioStreamTrack())
    peer.addTrack(VideoStreamTrack())
    peer.createDataChannel("chat")
    return peer


async def make_offer(peer: RTCPeerConnection) -> None:
    """The peer makes its offer; its connect task runs (and finds no remote description), as it does while the
    offer travels to the other side."""
    await peer.setLocalDescription(await peer.createOffer())
    await DRIVER.settle()


async def apply_description(peer: RTCPeerConnection, description: RTCSessionDescription) -> None:
    """The description applied as consume_signaling applies it, by a peer in the situation it is meant for."""
    if description.type == "answer":
        await make_offer(peer)
    await peer.setRemoteDescription(description)  # its refusals are the targets' rejects
    if description.type == "offer":
        await answer(peer)


async def answer(peer: RTCPeerConnection) -> None:
    """An offer setRemoteDescription accepted gets an answer: createAnswer and setLocalDescription of aiortc's own
    answer refuse nothing then (JSEP, RFC 9429 §5.3: an applied offer is answered), so whatever they raise is a
    finding, named by aiortc's frame."""
    try:
        await peer.setLocalDescription(await peer.createAnswer())
    except EXHAUSTION:
        raise
    except Exception as exc:
        raise OracleViolation(
            ACCEPTED_OFFER_IS_ANSWERED, f"answering the accepted offer raised {exc!r}"
        ).with_traceback(exc.__traceback__) from exc


def dtls_transports_of(peer: RTCPeerConnection) -> list[RTCDtlsTransport]:
    dtls = [transceiver.receiver.transport for transceiver in peer.getTransceivers()]
    dtls += [peer.sctp.transport] if peer.sctp is not None else []
    # Bundled m-sections share one; a BUNDLE group naming no m-section first leaves None (a registered bug).
    return list({id(transport): transport for transport in dtls if transport is not None}.values())


def ice_transports_of(peer: RTCPeerConnection) -> list[RTCIceTransport]:
    return [transport.transport for transport in dtls_transports_of(peer)]


def ice_unstarted(peer: RTCPeerConnection) -> None:
    """The harness's own promise (module docstring): no connectivity check was started. RTCIceTransport.start
    goes to "checking" at once; "closed" before the peer is closed is a transport BUNDLE discarded unstarted."""
    started = [transport for transport in ice_transports_of(peer) if transport.state not in ("new", "closed")]
    if started:
        raise RuntimeError(f"harness defect: ICE started on {started}, it may have sent checks off the host")


async def close(peer: RTCPeerConnection) -> None:
    """RTCPeerConnection.close; where it fails (a finding), the transports it did not get to are stopped one by one
    (RTCDtlsTransport.stop, RTCIceTransport.stop: both do nothing once stopped): no socket outlives the input."""
    try:
        await peer.close()
    except BaseException:
        for transport in dtls_transports_of(peer):
            await transport.stop()
            await transport.transport.stop()
        raise


async def on_fresh_peer(steps: Callable[[RTCPeerConnection], Awaitable[None]]) -> Negotiated:
    peer = peer_connection()
    try:
        await steps(peer)
        ice_unstarted(peer)
        local = peer.localDescription
        remote = tuple(c.ip for ice in ice_transports_of(peer) for c in ice.getRemoteCandidates())
        result = Negotiated(peer.signalingState, local.type if local is not None else None, remote)
    finally:
        await close(peer)  # before the connect task the last call scheduled runs: it finds the peer closed
        await asyncio.sleep(0)  # the closed sockets' connection_lost callbacks run now, not in the next input
    await DRIVER.settle()  # what a task of the peer raised is a finding
    return result


def negotiate(steps: Callable[[RTCPeerConnection], Awaitable[None]]) -> Negotiated:
    """`steps` played on a fresh peer, closed afterwards; nothing it started outlives the input."""
    with on_loopback():
        try:
            result = DRIVER.run_alone(on_fresh_peer(steps))
        except RuntimeError as exc:
            # PEP 479: a StopIteration raised in aiortc's coroutine reaches the await as a RuntimeError that names
            # no frame of aiortc; outside any coroutine it surfaces as itself, named by the frame that raised it.
            if isinstance(exc.__cause__, StopIteration):
                raise exc.__cause__ from None
            raise
        finally:
            escaped = DRIVER.escaped()  # this input's, whatever ended it: none is left for the next input
    surface(escaped)
    return result


# ---------------------------------------------------------------------------------------------
# Browser-shaped answers to a fresh peer's offer: its kinds, in its order, with its mids.


def as_answer_to_the_offer(
    audio: SessionDescription, video: SessionDescription, data: SessionDescription
) -> SessionDescription:
    """The session level of `audio` with the first m-section of each, renamed to the offer's mids and bundled."""
    media = []
    for mid, description in zip(OFFERED_MIDS, (audio, video, data)):
        section = description.media[0]
        attributes = tuple(Mid(mid) if isinstance(a, Mid) else a for a in section.attributes)
        media.append(replace(section, attributes=attributes))
    session = tuple(a for a in audio.attributes if not (isinstance(a, Group) and a.semantics == "BUNDLE"))
    return replace(audio, attributes=(Group("BUNDLE", OFFERED_MIDS), *session), media=tuple(media))


def answers_to_the_offer() -> st.SearchStrategy[SessionDescription]:
    """Answers a fresh peer (OFFERED_KINDS) can match to its offer, as browsers shape them."""
    return st.builds(
        as_answer_to_the_offer, *(session_descriptions(offer=False, kinds=(kind,)) for kind in OFFERED_KINDS)
    )
