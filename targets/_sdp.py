"""The SDP targets' entry point: aiortc's parser on the text signaling would hand it."""

from aiortc import sdp


def parse_sdp(data: bytes) -> sdp.SessionDescription:
    # Signaling hands aiortc text; bytes that are not UTF-8 arrive as replacement characters.
    return sdp.SessionDescription.parse(data.decode("utf-8", "replace"))
