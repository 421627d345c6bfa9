"""The WebRTC endpoint whose handling of session descriptions is under test, behind a small adapter.

The SDP suite talks to an `SdpAdapter` only, so another stack, or a deliberately broken one, plugs
in from the command line (`--sdp-adapter`) without editing a test:

- `aiortc` (the default): aiortc's RTCPeerConnection with an audio track, a video track and a data
  channel, on 127.0.0.1 only (harness.peers.loopback);
- `path/to/file.py:Name` or `package.module:Name`: any object with the same shape.

The suite sees what a signaling peer sees of an endpoint: the descriptions it writes, whether it
takes a remote description or refuses it (and with which exception), and the DTLS role it takes.
Every RTCPeerConnection is closed before its adapter call returns, before its ICE agent sends a
single check: a description under test names addresses, and nothing may be sent to them.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from typing import Optional, Protocol

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.exceptions import InvalidAccessError, InvalidStateError, OperationError
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from harness.aio import DRIVER
from harness.conformance.adapters import load_adapter
from harness.peers.loopback import answer_of, loopback_configuration, loopback_only

ADAPTER_ATTRIBUTES = ("name", "version", "refusals", "offer", "answer", "take_remote")
OFFER, ANSWER = "offer", "answer"
KINDS = (OFFER, ANSWER)


@dataclass(frozen=True)
class Outcome:
    """What an endpoint did with a remote description."""

    refusal: Optional[type[BaseException]] = None  # what its setRemoteDescription raised, if it refused
    message: str = ""
    # The DTLS roles ("client", "server"; "auto" while undecided) of its transports afterwards: after
    # its own answer for an offer it took (the answer fixes the role), after the answer otherwise.
    dtls_roles: frozenset[str] = frozenset()
    local: str = ""  # its own description: the offer it had made, or the answer it made to the offer

    @property
    def accepted(self) -> bool:
        return self.refusal is None

    def __str__(self) -> str:
        if self.refusal is None:
            return f"accepted (DTLS roles {', '.join(sorted(self.dtls_roles)) or 'none'})"
        return f"refused with {self.refusal.__name__}: {self.message}"


class SdpAdapter(Protocol):
    name: str
    version: str
    refusals: tuple[type[BaseException], ...]  # the exceptions its stack documents refusing a description with

    def offer(self) -> str:
        """The SDP text of a fresh endpoint's offer."""

    def answer(self) -> str:
        """The SDP text of the answer a fresh endpoint makes to another fresh endpoint's offer."""

    def take_remote(self, kind: str, sdp: str) -> Outcome:
        """A fresh endpoint takes `sdp`: kind "offer" as an offer (and answers it when it took it);
        kind "answer" as the answer to the offer it has made first."""


def _endpoint() -> RTCPeerConnection:
    endpoint = RTCPeerConnection(loopback_configuration())
    endpoint.addTrack(AudioStreamTrack())
    endpoint.addTrack(VideoStreamTrack())
    endpoint.createDataChannel("sdp")
    return endpoint


def _dtls_roles(endpoint: RTCPeerConnection) -> frozenset[str]:
    transports = [t.receiver.transport for t in endpoint.getTransceivers()]
    transports += [endpoint.sctp.transport] if endpoint.sctp is not None else []
    return frozenset(transport._role for transport in transports)


class AiortcAdapter:
    name = "aiortc"
    version = importlib.metadata.version("aiortc")
    # What RTCPeerConnection.setRemoteDescription raises itself: ValueError from __validate_description
    # (and aiortc/sdp.py's own int() and unpacking), InvalidStateError for the signaling state,
    # OperationError when no codec is common; InvalidAccessError is aiortc's other W3C error type.
    refusals: tuple[type[BaseException], ...] = (ValueError, InvalidStateError, InvalidAccessError, OperationError)

    def offer(self) -> str:
        return DRIVER.run_alone(self._offer())

    def answer(self) -> str:
        return DRIVER.run_alone(self._answer())

    def take_remote(self, kind: str, sdp: str) -> Outcome:
        if kind not in KINDS:
            raise ValueError(f"description kind {kind!r} is neither {OFFER!r} nor {ANSWER!r}")
        return DRIVER.run_alone(self._take_remote(kind, sdp))

    async def _offer(self) -> str:
        with loopback_only():
            offerer = _endpoint()
            try:
                await offerer.setLocalDescription(await offerer.createOffer())
                return offerer.localDescription.sdp
            finally:
                await offerer.close()

    async def _answer(self) -> str:
        with loopback_only():
            offerer, answerer = _endpoint(), _endpoint()
            try:
                return await answer_of(offerer, answerer)
            finally:
                await offerer.close()
                await answerer.close()

    async def _take_remote(self, kind: str, sdp: str) -> Outcome:
        with loopback_only():
            endpoint = _endpoint()
            try:
                if kind == ANSWER:
                    await endpoint.setLocalDescription(await endpoint.createOffer())
                try:
                    await endpoint.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
                except Exception as exc:  # which exception it refuses with is what the suite judges
                    return Outcome(type(exc), str(exc))
                if kind == OFFER:
                    await endpoint.setLocalDescription(await endpoint.createAnswer())
                # Read before close(): it is called with no await in between, so the connect task
                # setRemoteDescription / setLocalDescription scheduled finds the endpoint closed.
                return Outcome(dtls_roles=_dtls_roles(endpoint), local=endpoint.localDescription.sdp)
            finally:
                await endpoint.close()


def load(spec: str) -> SdpAdapter:
    """The adapter an `--sdp-adapter` value names; UsageError with one line when it names none."""
    return load_adapter(spec, what="SDP adapter", built_in={"aiortc": AiortcAdapter}, attributes=ADAPTER_ATTRIBUTES)
