"""Browser-shaped session descriptions, mutated line by line and field by field, parsed by aiortc, which
may refuse them with ValueError; what it accepts must serialize, and its serialization parse back to
the same text. Guided by the SDP codec's grammar and mutations (harness.protocols.sdp)."""

from aiortc import sdp

from harness.protocols.sdp import repair_fmtp_references
from harness.protocols.sdp_fuzzing import CODEC, session_descriptions
from harness.target import EXHAUSTION, OracleViolation, Target

from ._sdp import parse_sdp


def serializes(description: sdp.SessionDescription) -> str:
    # RTCPeerConnection.localDescription and remoteDescription call str() on the parsed description.
    try:
        return str(description)
    except EXHAUSTION:
        raise
    except Exception as exc:
        message = f"str() of an accepted description raised {exc!r}"
        raise OracleViolation("parsed-description-serializes", message) from exc


def serialization_parses(text: str) -> sdp.SessionDescription:
    try:
        return sdp.SessionDescription.parse(text)
    except EXHAUSTION:
        raise
    except Exception as exc:
        raise OracleViolation("serialization-parses", f"aiortc's own serialization does not parse: {exc!r}") from exc


def serialization_is_stable(text: str, again: str) -> None:
    # aiortc's descriptions define no equality: compare what they serialize to.
    if again != text:
        raise OracleViolation(
            "serialization-stable", f"serialize-parse-serialize changed the text: {text!r} became {again!r}"
        )


def round_trip(data: bytes, description: sdp.SessionDescription) -> None:
    text = serializes(description)
    serialization_is_stable(text, serializes(serialization_parses(text)))


target = Target(
    name="sdp_structured",
    protocol="SDP",
    component="aiortc",
    entry=parse_sdp,
    # No aiortc caller catches around SessionDescription.parse: it runs inside
    # RTCPeerConnection.setRemoteDescription, whose own refusal of a bad description is
    # ValueError (rtcpeerconnection.py, __validate_description); sdp.py raises ValueError too.
    rejects=(ValueError,),
    instrument=("aiortc.sdp",),
    oracle=round_trip,
    max_len=16384,
    repair=repair_fmtp_references,
    mutator=CODEC.mutator,
    crossover=CODEC.crossover,
    strategy=lambda: CODEC.mutated(session_descriptions()),
)
