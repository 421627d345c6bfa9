"""The SDP codec: RFC examples field by field, recorded SDPs byte for byte, round trips, mutations, repair."""

import random

import pytest
from aiortc import sdp as aiortc_sdp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness import project
from harness.protocols.sdp import Bandwidth, Media, Origin, SessionDescription, Timing, repair_fmtp_references
from harness.protocols.sdp_attributes import (
    Attribute,
    Candidate,
    Connection,
    Fingerprint,
    Flag,
    IceOptions,
    IcePwd,
    IceUfrag,
    RawLine,
    Rtpmap,
    parse_attribute,
)
from harness.protocols.sdp_fuzzing import CODEC, mutate, session_descriptions, splice
from harness.target import OracleViolation, load_target

ROOT = project.current().root
VECTORS_DIR = project.current().vectors


SLOW_STRATEGY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RECORDED = sorted(p for p in (ROOT / "corpora" / "sdp_parse").iterdir() if p.is_file())


def crlf(*lines: str) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode()


# The RFCs' own examples, kept in vectors/ for the tests and the seed script alike.
RFC8866_EXAMPLE = (VECTORS_DIR / "sdp_rfc8866_section5.sdp").read_bytes()
RFC8839_EXAMPLE = (VECTORS_DIR / "sdp_rfc8839_section4.2.6.sdp").read_bytes()


def test_rfc8866_example_decodes_field_by_field_and_encodes_back():
    d = SessionDescription.parse(RFC8866_EXAMPLE)
    assert d.version == 0
    assert d.origin == Origin("jdoe", 3724394400, 3724394405, "IN", "IP4", "198.51.100.1")
    assert d.session_name == "Call to John Smith"
    assert d.information == "SDP Offer #1"
    assert d.uri == "http://www.jdoe.example.com/home.html"
    assert d.emails == ("Jane Doe <jane@jdoe.example.com>",)
    assert d.phones == ("+1 617 555-6011",)
    assert d.connection == Connection("IN", "IP4", "198.51.100.1")
    assert d.timings == (Timing(0, 0),)
    assert d.media[0].media == Media("audio", 49170, "RTP/AVP", ("0",))
    assert d.media[1].media == Media("audio", 49180, "RTP/AVP", ("0",))
    assert d.media[2].media == Media("video", 51372, "RTP/AVP", ("99",))
    assert d.media[2].connections == (Connection("IN", "IP6", "2001:db8::2"),)
    assert d.media[2].attributes == (Rtpmap(99, "h263-1998", 90000),)
    assert bytes(d) == RFC8866_EXAMPLE


def test_rfc8839_example_decodes_ice_attributes_and_encodes_back():
    d = SessionDescription.parse(RFC8839_EXAMPLE)
    assert d.session_name == ""
    assert d.attributes == (
        IceOptions(("ice2",)),
        Attribute("ice-pacing", "50"),  # no grammar here: kept raw
        IcePwd("asd88fgpdd777uzjYhagZg"),
        IceUfrag("8hhY"),
    )
    audio = d.media[0]
    assert audio.bandwidths == (Bandwidth("RS", 0), Bandwidth("RR", 0))
    assert audio.attributes[0] == Rtpmap(0, "PCMU", 8000)
    assert audio.attributes[1] == Candidate("1", 1, "UDP", 2130706431, "203.0.113.141", 8998, "host")
    assert audio.attributes[2] == Candidate(
        "2", 1, "UDP", 1694498815, "192.0.2.3", 45664, "srflx", related_address="203.0.113.141", related_port=8998
    )
    assert bytes(d) == RFC8839_EXAMPLE


def test_rfc8122_example_fingerprint_decodes():
    line = parse_attribute("fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB")
    assert line == Fingerprint("sha-1", "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB")


@pytest.mark.parametrize("path", RECORDED, ids=[p.name[:8] for p in RECORDED])
def test_recorded_sdp_decodes_and_encodes_back_byte_for_byte(path):
    data = path.read_bytes()
    description = SessionDescription.parse(data)
    assert bytes(description) == data
    raw = {a.name for m in description.media for a in m.attributes if isinstance(a, Attribute)}
    assert raw <= {"msid-semantic", "extmap-allow-mixed", "rtcp-rsize", "sctpmap", "rid", "simulcast"}


def test_lenient_parse_keeps_what_does_not_fit_in_place():
    data = crlf("v=0", "s=first", "s=second", "x=unknown", "a=setup:sideways", "a=rtcp-mux", "m=audio 9 RTP/AVP 0")
    d = SessionDescription.parse(data)
    assert d.session_name == "first"
    assert d.attributes == (
        RawLine("s", "second"),
        RawLine("x", "unknown"),
        Attribute("setup", "sideways"),
        Flag("rtcp-mux"),
    )
    assert SessionDescription.parse(bytes(d)) == d


def test_line_feeds_alone_are_accepted_and_kept():
    data = RFC8866_EXAMPLE.replace(b"\r\n", b"\n")
    d = SessionDescription.parse(data)
    assert d.line_ending == "\n" and bytes(d) == data


@pytest.mark.parametrize(
    "data", [b"", b"\xff\xfe", b"not sdp\r\n", b"o=- 1 1 IN IP4 1.2.3.4\r\n", b"v=0\r\nm=audio\r\n"]
)
def test_what_is_not_a_session_description_is_refused_with_value_error(data):
    with pytest.raises(ValueError, match="^sdp "):
        SessionDescription.parse(data)
    assert CODEC.mutator(data, random.Random(0)) is None


@SLOW_STRATEGY
@given(session_descriptions())
def test_generated_descriptions_round_trip_and_aiortc_reads_them_alike(description):
    data = bytes(description)
    assert SessionDescription.parse(data) == description
    parsed = aiortc_sdp.SessionDescription.parse(data.decode())
    assert [m.kind for m in parsed.media] == [m.media.kind for m in description.media]
    candidates = [sum(isinstance(a, Candidate) for a in m.attributes) for m in description.media]
    assert [len(m.ice_candidates) for m in parsed.media] == candidates


@pytest.mark.parametrize("arguments", [{"kinds": ()}, {"kinds": ("text",)}, {"offer": "yes"}])
def test_strategy_arguments_are_checked(arguments):
    with pytest.raises(InvalidArgument):
        session_descriptions(**arguments)


def test_strategy_makes_offers_and_answers_of_every_kind():
    seen = set()

    @settings(max_examples=80, database=None, derandomize=True)
    @given(session_descriptions())
    def collect(description):
        for media in description.media:
            setup = next(a.role for a in media.attributes if hasattr(a, "role"))
            seen.add((media.media.kind, setup))

    collect()
    assert {kind for kind, _ in seen} == {"audio", "video", "application"}
    assert {setup for _, setup in seen} == {"actpass", "active", "passive"}


@SLOW_STRATEGY
@given(session_descriptions(), st.randoms(use_true_random=False))
def test_mutate_returns_bytes_and_splice_keeps_both_sides(description, rng):
    for _ in range(10):
        assert isinstance(mutate(description, rng), bytes)
    spliced = SessionDescription.parse(splice(description, description, rng))
    assert spliced.origin == description.origin and set(spliced.media) <= set(description.media)


def test_mutations_reach_every_level():
    description = SessionDescription.parse(RECORDED[0].read_bytes())
    original = bytes(description)
    outputs = [mutate(description, random.Random(seed)) for seed in range(400)]
    assert all(isinstance(o, bytes) for o in outputs)
    assert sum(o != original for o in outputs) > 300
    assert any(b"\r\n" not in o and b"\n" in o for o in outputs), "LF line endings"
    assert any(o.count(b"m=") < original.count(b"m=") for o in outputs), "a dropped m-section or line"
    assert any(o.count(b"m=") > original.count(b"m=") for o in outputs), "a duplicated m-section or line"
    assert any(b"18446744073709551616" in o or b"4294967296" in o for o in outputs), "boundary values"
    assert any(o.startswith(original[:40]) and len(o) < len(original) - 40 for o in outputs), "truncation"


def without_rtpmap(description_text: str, payload_type: int) -> str:
    return "".join(
        line for line in description_text.splitlines(keepends=True) if not line.startswith(f"a=rtpmap:{payload_type} ")
    )


def test_repair_supplies_the_rtpmap_aiortc_looks_up_and_aiortc_fails_without_it():
    broken = without_rtpmap(RECORDED[0].read_text(), 99)  # its a=fmtp:99 (H264 parameters) stays
    with pytest.raises(StopIteration):
        aiortc_sdp.SessionDescription.parse(broken)
    repaired = repair_fmtp_references(broken.encode()).decode()
    video = aiortc_sdp.SessionDescription.parse(repaired).media[1]
    codec = next(c for c in video.rtp.codecs if c.payloadType == 99)
    assert codec.parameters == {"level-asymmetry-allowed": "1", "packetization-mode": "1", "profile-level-id": "42001f"}
    with pytest.raises(StopIteration):  # broken again after the repair: aiortc fails the same way
        aiortc_sdp.SessionDescription.parse(without_rtpmap(repaired, 99))


@SLOW_STRATEGY
@given(session_descriptions())
def test_repair_leaves_consistent_descriptions_alone(description):
    assert repair_fmtp_references(bytes(description)) == bytes(description)


@settings(max_examples=300)
@given(
    st.binary(max_size=300) | st.text(max_size=300).map(lambda t: ("v=0\nm=audio 9 RTP/AVP 1\na=fmtp:" + t).encode())
)
def test_repair_accepts_any_bytes(data):
    assert isinstance(repair_fmtp_references(data), bytes)


def test_target_oracle_holds_for_recorded_sdp_and_catches_a_serialization_that_fails():
    target = load_target("sdp_structured")
    for path in RECORDED[:5]:
        target.run(path.read_bytes())
    with pytest.raises(OracleViolation):
        target.run(RFC8866_EXAMPLE.replace(b"c=IN IP4 198.51.100.1", b"c=IN IP4 host.example.com"))
