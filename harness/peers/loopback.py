"""Two aiortc peers talking to each other over 127.0.0.1 only.

The harness records real traffic (seed corpora) and runs live checks, but must never send a
packet beyond the loopback interface. aiortc asks a public STUN server when it is given no
configuration, and aioice gathers a candidate on every interface of the machine (and skips
127.0.0.1), so both defaults are overridden here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

LOOPBACK = "127.0.0.1"
DEFAULT_TIMEOUT = 20.0

# "a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ ..."
_CANDIDATE_ADDRESS = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) ", re.MULTILINE)


def _loopback_addresses(use_ipv4: bool = True, use_ipv6: bool = True) -> list[str]:
    # Stands in for aioice.ice.get_host_addresses: one IPv4 loopback address, never IPv6.
    return [LOOPBACK]


async def _no_mdns(*args: Any, **kwargs: Any) -> Any:
    # mDNS would multicast to 224.0.0.251; our peers never offer .local candidates, so any
    # attempt means something is wrong and must fail loudly rather than leave the host.
    raise RuntimeError("mDNS resolution is disabled on the loopback harness")


@contextmanager
def loopback_only() -> Iterator[None]:
    """Make aioice gather host candidates on 127.0.0.1 only, and refuse mDNS, while active."""
    with (
        mock.patch("aioice.ice.get_host_addresses", _loopback_addresses),
        mock.patch("aioice.ice.get_or_create_mdns_protocol", _no_mdns),
    ):
        yield


def loopback_configuration() -> RTCConfiguration:
    """No ICE servers: without this aiortc would query a public STUN server."""
    return RTCConfiguration(iceServers=[])


def candidate_addresses(sdp: str) -> list[str]:
    """The connection address of every a=candidate line in an SDP text."""
    return _CANDIDATE_ADDRESS.findall(sdp)


async def answer_of(offerer: RTCPeerConnection, answerer: RTCPeerConnection) -> str:
    """The answerer's answer to the offerer's new offer: the offer set on both sides, the answer on the
    answerer's only (the offerer has not taken it yet)."""
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    return answerer.localDescription.sdp


@dataclass
class LoopbackPair:
    offerer: RTCPeerConnection
    answerer: RTCPeerConnection
    offer_sdp: str
    answer_sdp: str
    # The offerer's "fuzz" channel and the answerer's end of it, when one was requested.
    channel: RTCDataChannel | None = None
    remote_channel: RTCDataChannel | None = None


async def _wait_connected(pair: LoopbackPair, remote_channels: list[RTCDataChannel], timeout: float) -> None:
    def channels_open() -> bool:
        if pair.channel is None:
            return True
        if not remote_channels:
            return False
        pair.remote_channel = remote_channels[0]
        return pair.channel.readyState == "open" and pair.remote_channel.readyState == "open"

    async def ready() -> None:
        while not (
            pair.offerer.connectionState == "connected"
            and pair.answerer.connectionState == "connected"
            and channels_open()
        ):
            if "failed" in (pair.offerer.connectionState, pair.answerer.connectionState):
                raise ConnectionError("loopback peer connection failed")
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(ready(), timeout)
    except TimeoutError:
        raise TimeoutError(
            f"loopback pair not connected within {timeout:g} s "
            f"(offerer {pair.offerer.connectionState}, answerer {pair.answerer.connectionState})"
        ) from None


@asynccontextmanager
async def connected_pair(
    *, audio: bool = False, video: bool = False, datachannel: bool = False, timeout: float = DEFAULT_TIMEOUT
) -> AsyncIterator[LoopbackPair]:
    """Offer/answer between two fresh peers on loopback; yields once both are connected.

    Each requested medium is sent in both directions; the data channel (label "fuzz") is
    open on both ends before this yields. Both peers are closed on exit.
    """
    with loopback_only():
        offerer = RTCPeerConnection(loopback_configuration())
        answerer = RTCPeerConnection(loopback_configuration())
        try:
            for pc in (offerer, answerer):
                if audio:
                    pc.addTrack(AudioStreamTrack())
                if video:
                    pc.addTrack(VideoStreamTrack())
            channel = offerer.createDataChannel("fuzz") if datachannel else None
            remote_channels: list[RTCDataChannel] = []
            answerer.on("datachannel", remote_channels.append)

            await answer_of(offerer, answerer)
            await offerer.setRemoteDescription(answerer.localDescription)

            pair = LoopbackPair(offerer, answerer, offerer.localDescription.sdp, answerer.localDescription.sdp, channel)
            await _wait_connected(pair, remote_channels, timeout)
            yield pair
        finally:
            await offerer.close()
            await answerer.close()
