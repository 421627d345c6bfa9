"""What a WebRTC datagram is, from its first octets: RFC 7983 §7 (which updates RFC 5764 §5.1.2), and RTP from
RTCP by RFC 5761 §4.

The first octet: 0-3 STUN, 16-19 ZRTP, 20-63 DTLS, 64-79 TURN ChannelData (RFC 8656 §12.4: its payload
is demultiplexed the same way), 128-191 RTP or RTCP; anything else is dropped. RTP and RTCP share the
range; RFC 5761 §4 keeps RTP payload types 64-95 free, so a second octet (marker bit and payload type,
or the RTCP packet type) of 192-223 is RTCP.
"""

from __future__ import annotations

from typing import Optional

STUN, ZRTP, DTLS, TURN_CHANNEL, RTP, RTCP = "stun", "zrtp", "dtls", "turn-channel", "rtp", "rtcp"
FIRST_OCTET_RANGES = (  # RFC 7983 §7, in the order of its figure
    (0, 3, STUN),
    (16, 19, ZRTP),
    (20, 63, DTLS),
    (64, 79, TURN_CHANNEL),
    (128, 191, RTP),
)
RTCP_PACKET_TYPES = range(192, 224)  # RFC 5761 §4: the RTCP packet types that collide with RTP's M + PT
CHANNEL_DATA_HEADER_LENGTH = 4  # RFC 8656 §12.4: channel number, length


def kind_of(datagram: bytes) -> Optional[str]:
    """STUN, ZRTP, DTLS, TURN_CHANNEL, RTP or RTCP; None for a datagram RFC 7983 drops (or an empty one)."""
    if not datagram:
        return None
    kind = next((name for low, high, name in FIRST_OCTET_RANGES if low <= datagram[0] <= high), None)
    if kind == RTP and len(datagram) >= 2 and datagram[1] in RTCP_PACKET_TYPES:
        return RTCP
    return kind


def channel_data(datagram: bytes) -> bytes:
    """The application data of a TURN ChannelData message (RFC 8656 §12.4), cut to its length field."""
    length = int.from_bytes(datagram[2:CHANNEL_DATA_HEADER_LENGTH], "big")
    return datagram[CHANNEL_DATA_HEADER_LENGTH : CHANNEL_DATA_HEADER_LENGTH + length]


def classify(datagram: bytes) -> tuple[Optional[str], bytes]:
    """The kind of a datagram and the datagram of that kind: a ChannelData message's payload, unwrapped."""
    kind = kind_of(datagram)
    if kind == TURN_CHANNEL:
        inner = channel_data(datagram)
        return kind_of(inner), inner
    return kind, datagram
