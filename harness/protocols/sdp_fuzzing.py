"""SDP fuzzing: mutations at the line, section, attribute and value level, browser-shaped strategies, CODEC."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Optional

from hypothesis import strategies as st

from harness.protocols.mutations import Codec, check_argument, mutate_bytes, mutate_int, mutate_items, truncate
from harness.protocols.sdp import Media, MediaDescription, Origin, SessionDescription
from harness.protocols.sdp_attributes import (
    CRLF,
    DIRECTIONS,
    FLAGS,
    ICE_PWD_LENGTHS,
    ICE_UFRAG_LENGTHS,
    TYPED,
    Attribute,
    Candidate,
    Connection,
    Extmap,
    Fingerprint,
    Flag,
    Fmtp,
    Group,
    IceOptions,
    IcePwd,
    IceUfrag,
    Line,
    MaxMessageSize,
    Mid,
    Msid,
    Rtcp,
    RtcpFb,
    Rtpmap,
    SctpPort,
    Setup,
    Ssrc,
    SsrcGroup,
    Typed,
)

# ---------------------------------------------------------------------------------------------
# Mutations: one change at the line, section, attribute or value level, or of the line endings.

# Values parsers get wrong: empty, signs, integer boundaries and overflows, non-ASCII digits that
# Python's int() accepts, whitespace and line separators other than CRLF, NUL, separators.
BOUNDARY_TEXTS = (
    "", "0", "-1", "+1", "65535", "65536", "4294967295", "4294967296", "18446744073709551616", "9" * 64,
    "1_0", "\u0661\u0662", "0x1F", "1e3", " ", "\t", "\u00e9", "\u00a0", "\u2028", "\x0b", "\x1c", "\x00",
    ":", "/", "*", ";", "=", "IN IP4", "a" * 300,
)  # fmt: skip
SEPARATORS = " /:;="


def mutate_number(text: str, rng: random.Random) -> str:
    """A decimal field at a boundary of 8, 16, 32 or 64 bits, next to it, negative, or huge."""
    value = mutate_int(int(text) if text.isdigit() and len(text) < 30 else 0, rng.choice((8, 16, 32, 64)), rng)
    return rng.choice((str(value), f"-{value}", str(value << 64)))


def mutate_text(text: str, rng: random.Random) -> str:
    """A value with one field (a space-, slash-, colon-, semicolon- or equals-separated part) changed."""
    separator = rng.choice([s for s in SEPARATORS if s in text] or [" "])
    parts = text.split(separator)
    position = rng.randrange(len(parts))
    choice = rng.randrange(6)
    if choice == 0:
        parts[position] = rng.choice(BOUNDARY_TEXTS)
    elif choice == 1:
        parts[position] = mutate_number(parts[position], rng)
    elif choice == 2:
        parts = mutate_items(parts, rng, new_item=lambda: rng.choice(BOUNDARY_TEXTS + ("x",)))
    elif choice == 3:
        parts[position] = mutate_bytes(parts[position].encode(), rng, max_len=300).decode("utf-8", "replace")
    elif choice == 4:
        parts.append(rng.choice(("extra", "1", "")))
    else:
        parts = parts[:position]  # missing fields
    return separator.join(parts)


def random_attribute(rng: random.Random) -> Line:
    """An attribute the section did not have: unknown, or a known name with a boundary value."""
    name = rng.choice((*TYPED, *FLAGS, "x-unknown", "extmap-allow-mixed", "msid-semantic", "rid", ""))
    value = rng.choice((None, rng.choice(BOUNDARY_TEXTS), "96 x", "1 2 3 4 5 6 7 8 9"))
    return Attribute(name, value)


def mutate_line(line: str, rng: random.Random) -> str:
    """One line with a changed value, type letter or attribute name, or an a= line stripped of its value."""
    kind, value = line[:2], line[2:]
    choice = rng.randrange(8)
    if choice == 0:
        return rng.choice("vosiuepcbtrzkamx") + "=" + value
    if choice == 1 and kind == "a=":
        name, colon, _ = value.partition(":")
        return f"a={name}" if colon else f"a={name}:{rng.choice(BOUNDARY_TEXTS)}"
    if choice == 2 and kind == "a=" and ":" in value:
        name, _, rest = value.partition(":")
        return f"a={name}:{mutate_text(rest, rng)}"
    return kind + mutate_text(value, rng)


def with_line_endings(lines: list[str], rng: random.Random) -> str:
    """The lines ended with LF only, a lone CR, or a mix (RFC 8866 §5 asks parsers to accept LF)."""
    choice = rng.randrange(3)
    if choice == 0:
        return "".join(line + "\n" for line in lines)
    if choice == 1:
        return "".join(line + "\r" for line in lines)
    return "".join(line + rng.choice((CRLF, "\n", "\r", "\n\r", CRLF + CRLF)) for line in lines)


def mutate(description: SessionDescription, rng: random.Random) -> bytes:
    """The description with one structural mutation, encoded (it may no longer decode)."""
    lines = description.lines()
    ending = description.line_ending
    choice = rng.randrange(7)
    if choice == 0:  # duplicate, drop, move, reverse or add a line anywhere
        new_line = lambda: str(random_attribute(rng))  # noqa: E731
        return "".join(line + ending for line in mutate_items(lines, rng, new_item=new_line)).encode()
    if choice == 1 and description.media:  # duplicate, drop, move or reverse m-sections
        return bytes(replace(description, media=tuple(mutate_items(description.media, rng))))
    if choice == 2:  # the attributes of one section
        section = rng.randrange(len(description.media) + 1)
        if section == 0:
            attributes = mutate_items(description.attributes, rng, new_item=lambda: random_attribute(rng))
            return bytes(replace(description, attributes=tuple(attributes)))
        media = list(description.media)
        attributes = mutate_items(media[section - 1].attributes, rng, new_item=lambda: random_attribute(rng))
        media[section - 1] = replace(media[section - 1], attributes=tuple(attributes))
        return bytes(replace(description, media=tuple(media)))
    if choice == 3:
        return with_line_endings(lines, rng).encode()
    if choice == 4:
        return truncate(bytes(description), rng)
    position = rng.randrange(len(lines))  # one field of one line
    lines[position] = mutate_line(lines[position], rng)
    return "".join(line + ending for line in lines).encode()


def splice(first: SessionDescription, second: SessionDescription, rng: random.Random) -> bytes:
    """The session level of one description with m-sections of both."""
    if not first.media or not second.media or rng.random() < 0.3:
        return bytes(replace(first, media=second.media))
    position = rng.randint(0, len(first.media))
    media = first.media[:position] + (rng.choice(second.media),) + first.media[position:]
    return bytes(replace(first, media=media))


# ---------------------------------------------------------------------------------------------
# Strategies: browser-shaped offers and answers, registry values mixed with random ones.

AUDIO_CODECS = (
    Rtpmap(111, "opus", 48000, "2"), Rtpmap(0, "PCMU", 8000), Rtpmap(8, "PCMA", 8000), Rtpmap(9, "G722", 8000),
    Rtpmap(126, "telephone-event", 8000), Rtpmap(63, "red", 48000, "2"),
)  # fmt: skip
VIDEO_CODECS = (
    Rtpmap(96, "VP8", 90000),
    Rtpmap(98, "VP9", 90000),
    Rtpmap(102, "H264", 90000),
    Rtpmap(45, "AV1", 90000),
)
FMTP_PARAMETERS = {
    "opus": "minptime=10;useinbandfec=1",
    "H264": "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    "VP9": "profile-id=0",
    "red": "111/111",
}
FEEDBACK = (("nack", None), ("nack", "pli"), ("ccm", "fir"), ("goog-remb", None), ("transport-cc", None))
EXTENSIONS = {
    "audio": ("urn:ietf:params:rtp-hdrext:ssrc-audio-level", "urn:ietf:params:rtp-hdrext:sdes:mid"),
    "video": (
        "urn:ietf:params:rtp-hdrext:sdes:mid",
        "urn:ietf:params:rtp-hdrext:toffset",
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    ),
}
HASH_LENGTHS = {"sha-1": 20, "sha-256": 32, "sha-384": 48, "sha-512": 64}  # RFC 8122 §5 hash functions
ADDRESSES = ("127.0.0.1", "192.0.2.1", "0.0.0.0", "2001:db8::1", "::1", "fe80::1")
CANDIDATE_TYPES = ("host", "srflx", "prflx", "relay")
CANDIDATE_EXTENSIONS = (("generation", "0"), ("network-id", "1"), ("network-cost", "10"), ("ufrag", "abcd"))
TOKEN_CHARS = "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz{|}~"
ICE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def tokens(*, min_size: int = 1, max_size: int = 16) -> st.SearchStrategy[str]:
    return st.text(TOKEN_CHARS, min_size=min_size, max_size=max_size)


def ice_credentials(*, password: bool) -> st.SearchStrategy[Typed]:
    low = (ICE_PWD_LENGTHS if password else ICE_UFRAG_LENGTHS)[0]
    return st.text(ICE_ALPHABET, min_size=low, max_size=low + 16).map(IcePwd if password else IceUfrag)


def fingerprints() -> st.SearchStrategy[Fingerprint]:
    registered = st.sampled_from(sorted(HASH_LENGTHS)).flatmap(
        lambda name: st.binary(min_size=HASH_LENGTHS[name], max_size=HASH_LENGTHS[name]).map(
            lambda digest: Fingerprint(name, ":".join(f"{b:02X}" for b in digest))
        )
    )
    other = st.builds(
        lambda name, digest: Fingerprint(name, ":".join(f"{b:02x}" for b in digest)),
        tokens(),
        st.binary(min_size=1, max_size=70),
    )
    return st.one_of(registered, other)


def candidates() -> st.SearchStrategy[Candidate]:
    addresses = st.one_of(st.sampled_from(ADDRESSES), st.ip_addresses().map(str))
    related = st.one_of(st.none(), st.tuples(addresses, st.integers(0, 65535)))
    extensions = st.lists(
        st.one_of(st.sampled_from(CANDIDATE_EXTENSIONS), st.tuples(st.just("x-ext"), tokens())), max_size=3
    )
    return st.builds(
        lambda foundation, component, transport, priority, address, port, kind, rel, ext: Candidate(
            foundation, component, transport, priority, address, port, kind,
            None if rel is None else rel[0], None if rel is None else rel[1], tuple(ext),
        ),
        st.text(ICE_ALPHABET, min_size=1, max_size=32), st.sampled_from((1, 2)) | st.integers(0, 256),
        st.sampled_from(("udp", "UDP", "tcp")), st.integers(0, 2**32 - 1), addresses, st.integers(0, 65535),
        st.sampled_from(CANDIDATE_TYPES), related, extensions,
    )  # fmt: skip


@st.composite
def _codec_lines(draw: st.DrawFn, kind: str) -> tuple[list[str], list[Line]]:
    """Payload types for the m= line, and their rtpmap, rtcp-fb and fmtp lines."""
    registry = AUDIO_CODECS if kind == "audio" else VIDEO_CODECS
    codecs = draw(st.lists(st.sampled_from(registry), min_size=1, max_size=4, unique=True))
    rates = st.sampled_from((8000, 16000, 48000, 90000)) | st.integers(0, 2**32 - 1)
    for _ in range(draw(st.integers(0, 1))):
        codecs.append(Rtpmap(draw(st.integers(96, 127)), draw(tokens()), draw(rates)))
    lines: list[Line] = []
    formats: list[str] = []
    used: set[int] = set()
    for codec in codecs:
        if codec.payload_type in used:
            continue
        used.add(codec.payload_type)
        formats.append(str(codec.payload_type))
        lines.append(codec)
        for feedback, parameter in draw(st.lists(st.sampled_from(FEEDBACK), max_size=3, unique=True)):
            lines.append(RtcpFb(str(codec.payload_type), feedback, parameter))
        if codec.encoding_name in FMTP_PARAMETERS:
            lines.append(Fmtp(str(codec.payload_type), FMTP_PARAMETERS[codec.encoding_name]))
        rtx = draw(st.integers(96, 127))
        if kind == "video" and rtx not in used and draw(st.booleans()):  # RFC 4588 retransmission
            used.add(rtx)
            formats.append(str(rtx))
            lines += [Rtpmap(rtx, "rtx", 90000), Fmtp(str(rtx), f"apt={codec.payload_type}")]
    return formats, lines


@st.composite
def _media_descriptions(draw: st.DrawFn, kind: str, mid: str, offer: bool) -> MediaDescription:
    transport: list[Line] = [draw(ice_credentials(password=False)), draw(ice_credentials(password=True))]
    transport += [IceOptions(("trickle",))] if draw(st.booleans()) else []
    transport += draw(st.lists(fingerprints(), min_size=1, max_size=3))
    transport += [Setup("actpass" if offer else draw(st.sampled_from(("active", "passive"))))]
    transport += [Mid(mid)]
    port = draw(st.sampled_from((9, 54064)) | st.integers(0, 65535))
    connection = Connection("IN", "IP4", "0.0.0.0")
    ice_lines: list[Line] = list(draw(st.lists(candidates(), max_size=3)))
    complete = draw(st.booleans())  # RFC 8840: end-of-candidates after the last candidate
    ice_lines += [Flag("end-of-candidates")] if ice_lines and complete else []
    if kind == "application":
        sctp = [SctpPort(5000), MaxMessageSize(draw(st.sampled_from((262144, 65536)) | st.integers(0, 2**64)))]
        media = Media("application", port, "UDP/DTLS/SCTP", ("webrtc-datachannel",))
        return MediaDescription(media, connections=(connection,), attributes=tuple(transport + sctp + ice_lines))
    formats, codecs = draw(_codec_lines(kind))
    extensions = draw(st.lists(st.sampled_from(EXTENSIONS[kind]), max_size=3, unique=True))
    stream = draw(st.uuids()).hex
    ssrcs = draw(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=2, unique=True))
    rtp: list[Line] = [Rtcp(9, connection), Flag(draw(st.sampled_from(DIRECTIONS)))]
    rtp += [Extmap(i + 1, uri) for i, uri in enumerate(extensions)]
    rtp += [Msid(stream, draw(st.uuids()).hex), Flag("rtcp-mux")]
    rtp += [SsrcGroup("FID", tuple(ssrcs))] if len(ssrcs) == 2 else []
    rtp += [Ssrc(ssrc, "cname", stream) for ssrc in ssrcs]
    media = Media(kind, port, "UDP/TLS/RTP/SAVPF", tuple(formats))
    return MediaDescription(media, connections=(connection,), attributes=tuple(transport + rtp + codecs + ice_lines))


def session_descriptions(
    *, offer: Optional[bool] = None, kinds: tuple[str, ...] = ("audio", "video", "application")
) -> st.SearchStrategy[SessionDescription]:
    """Offers (actpass) or answers (active/passive) with BUNDLE, ICE and DTLS, one to three m-sections of `kinds`."""
    check_argument(offer in (None, True, False), f"offer must be True, False or None, not {offer!r}")
    check_argument(
        bool(kinds) and all(kind in ("audio", "video", "application") for kind in kinds),
        f"kinds must be audio, video or application, not {kinds!r}",
    )
    return _session_descriptions(offer, kinds)


@st.composite
def _session_descriptions(draw: st.DrawFn, offer: Optional[bool], kinds: tuple[str, ...]) -> SessionDescription:
    is_offer = draw(st.booleans()) if offer is None else offer
    chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=3))
    mids = [draw(st.sampled_from((str(i), f"m{i}")) | tokens(max_size=8)) for i in range(len(chosen))]
    mids = [mid if mid not in mids[:i] else f"{mid}{i}" for i, mid in enumerate(mids)]
    media = tuple(draw(_media_descriptions(kind, mid, is_offer)) for kind, mid in zip(chosen, mids))
    attributes: list[Line] = [Group("BUNDLE", tuple(mids))] if draw(st.booleans()) or len(mids) > 1 else []
    attributes += [Attribute("msid-semantic", " WMS")] if draw(st.booleans()) else []
    attributes += [Flag("ice-lite")] if draw(st.booleans()) else []
    origin = Origin("-", draw(st.integers(0, 2**63 - 1)), draw(st.integers(0, 2**32)), "IN", "IP4", "127.0.0.1")
    return SessionDescription(origin=origin, attributes=tuple(attributes), media=media)


CODEC = Codec(parse=SessionDescription.parse, mutate=mutate, splice=splice)
