"""SDP session descriptions as WebRTC peers exchange them: lines, sections and attributes.

Strategies, mutations and CODEC: harness.protocols.sdp_fuzzing. Repair: `repair_fmtp_references`.

Lines and their order: RFC 8866 §5 (v, o, s, i, u, e, p, c, b, t, r, z, k, a at session level;
m, i, c, b, k, a per media description), §5.2 origin, §5.7 connection, §5.8 bandwidth, §5.9
timing, §5.14 media. The attribute lines (their grammars, and the raw form of anything else) live
in harness.protocols.sdp_attributes.

Parsing is lenient, like a receiver's: lines may come out of order, single lines may repeat and
unknown line types may appear; those are kept as raw lines among the section's attributes, so
nothing vanishes. Encoding follows the RFC's order with the description's own line ending.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Optional

from harness.protocols.sdp_attributes import (
    CRLF,
    PROTO,
    TOKEN,
    Connection,
    Line,
    RawLine,
    invalid,
    matching,
    number,
    parse_attribute,
    words,
)


@dataclass(frozen=True)
class Origin:
    """RFC 8866 §5.2: o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>."""

    username: str
    session_id: int
    session_version: int
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "127.0.0.1"

    def __str__(self) -> str:
        return f"{self.username} {self.session_id} {self.session_version} {self.nettype} {self.addrtype} {self.address}"

    @classmethod
    def parse(cls, value: str) -> Origin:
        user, ident, version, nettype, addrtype, address = words(value, "origin", 6, 6)
        return cls(user, number(ident, "origin"), number(version, "origin"), nettype, addrtype, address)


@dataclass(frozen=True)
class Bandwidth:
    """RFC 8866 §5.8: b=<bwtype>:<bandwidth>."""

    type: str
    value: int

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"

    @classmethod
    def parse(cls, value: str) -> Bandwidth:
        kind, colon, amount = value.partition(":")
        if not colon:
            raise invalid("bandwidth")
        return cls(matching(TOKEN, kind, "bandwidth"), number(amount, "bandwidth"))


@dataclass(frozen=True)
class Timing:
    """RFC 8866 §5.9 t=<start-time> <stop-time>, with its r= lines (§5.10) kept as text."""

    start: int = 0
    stop: int = 0
    repeats: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        return [f"t={self.start} {self.stop}"] + [f"r={repeat}" for repeat in self.repeats]

    @classmethod
    def parse(cls, value: str) -> Timing:
        start, stop = words(value, "timing", 2, 2)
        return cls(number(start, "timing"), number(stop, "timing"))


@dataclass(frozen=True)
class Media:
    """RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ..."""

    kind: str
    port: int
    proto: str
    formats: tuple[str, ...]
    port_count: Optional[int] = None

    def __str__(self) -> str:
        port = str(self.port) if self.port_count is None else f"{self.port}/{self.port_count}"
        return " ".join([self.kind, port, self.proto, *self.formats])

    @classmethod
    def parse(cls, value: str) -> Media:
        parts = words(value, "media", 4)
        port, slash, count = parts[1].partition("/")
        return cls(
            matching(TOKEN, parts[0], "media"),
            number(port, "media"),
            matching(PROTO, parts[2], "media"),
            tuple(matching(TOKEN, fmt, "media") for fmt in parts[3:]),
            number(count, "media") if slash else None,
        )


@dataclass(frozen=True)
class MediaDescription:
    media: Media
    information: Optional[str] = None
    connections: tuple[Connection, ...] = ()
    bandwidths: tuple[Bandwidth, ...] = ()
    key: Optional[str] = None
    attributes: tuple[Line, ...] = ()

    def lines(self) -> list[str]:
        lines = [f"m={self.media}"]
        lines += [] if self.information is None else [f"i={self.information}"]
        lines += [f"c={c}" for c in self.connections] + [f"b={b}" for b in self.bandwidths]
        lines += [] if self.key is None else [f"k={self.key}"]
        return lines + [str(a) for a in self.attributes]


@dataclass(frozen=True)
class SessionDescription:
    version: int = 0
    origin: Optional[Origin] = None
    session_name: Optional[str] = "-"
    information: Optional[str] = None
    uri: Optional[str] = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    connection: Optional[Connection] = None
    bandwidths: tuple[Bandwidth, ...] = ()
    timings: tuple[Timing, ...] = (Timing(),)
    zone: Optional[str] = None
    key: Optional[str] = None
    attributes: tuple[Line, ...] = ()
    media: tuple[MediaDescription, ...] = ()
    line_ending: str = CRLF

    def lines(self) -> list[str]:
        optional = {"o": self.origin, "s": self.session_name, "i": self.information, "u": self.uri}
        lines = [f"v={self.version}"] + [f"{t}={v}" for t, v in optional.items() if v is not None]
        lines += [f"e={e}" for e in self.emails] + [f"p={p}" for p in self.phones]
        lines += [] if self.connection is None else [f"c={self.connection}"]
        lines += [f"b={b}" for b in self.bandwidths] + [line for t in self.timings for line in t.lines()]
        lines += [f"{t}={v}" for t, v in (("z", self.zone), ("k", self.key)) if v is not None]
        lines += [str(a) for a in self.attributes]
        return lines + [line for m in self.media for line in m.lines()]

    def __str__(self) -> str:
        return "".join(line + self.line_ending for line in self.lines())

    def __bytes__(self) -> bytes:
        return str(self).encode("utf-8")

    @classmethod
    def parse(cls, data: bytes) -> SessionDescription:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("encoding") from None
        line_ending = CRLF if CRLF in text else "\n"
        lines = [line.removesuffix("\r") for line in text.split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
        if not lines or any(len(line) < 2 or line[1] != "=" for line in lines):
            raise invalid("line")
        if not lines[0].startswith("v="):
            raise invalid("version")
        starts = [i for i, line in enumerate(lines) if line.startswith("m=")] + [len(lines)]
        session = _Section(lines[1 : starts[0]], SESSION_SINGLE, SESSION_REPEATED)
        media = tuple(
            _Section(lines[start + 1 : end], MEDIA_SINGLE, MEDIA_REPEATED).media_description(
                Media.parse(lines[start][2:])
            )
            for start, end in zip(starts, starts[1:])
        )
        return session.session_description(number(lines[0][2:], "version"), media, line_ending)


# Lines a section holds at most once (RFC 8866 §5), and how each is decoded.
Decoder = Callable[[str], object]
SESSION_SINGLE: dict[str, Decoder] = {
    "o": Origin.parse,
    "s": str,
    "i": str,
    "u": str,
    "c": Connection.parse,
    "z": str,
    "k": str,
}
MEDIA_SINGLE: dict[str, Decoder] = {"i": str, "k": str}
SESSION_REPEATED: dict[str, Decoder] = {"e": str, "p": str, "b": Bandwidth.parse}
MEDIA_REPEATED: dict[str, Decoder] = {"c": Connection.parse, "b": Bandwidth.parse}


@dataclass
class _Section:
    """The lines of one section sorted into fields; whatever does not fit stays a raw line in place."""

    lines: list[str]
    single: Mapping[str, Decoder]
    repeats: Mapping[str, Decoder]
    values: dict[str, object] = field(default_factory=dict)
    repeated: dict[str, list[object]] = field(default_factory=dict)
    timings: list[Timing] = field(default_factory=list)
    attributes: list[Line] = field(default_factory=list)

    def __post_init__(self) -> None:
        for line in self.lines:
            kind, value = line[0], line[2:]
            if kind == "a":
                self.attributes.append(parse_attribute(value))
            elif not self._take(kind, value):
                self.attributes.append(RawLine(kind, value))

    def _take(self, kind: str, value: str) -> bool:
        try:
            if kind in self.single and kind not in self.values:
                self.values[kind] = self.single[kind](value)
            elif kind in self.repeats:
                self.repeated.setdefault(kind, []).append(self.repeats[kind](value))
            elif kind == "t" and self.single is SESSION_SINGLE:
                self.timings.append(Timing.parse(value))
            elif kind == "r" and self.timings:
                self.timings[-1] = replace(self.timings[-1], repeats=self.timings[-1].repeats + (value,))
            else:
                return False
        except ValueError:
            return False
        return True

    def media_description(self, media: Media) -> MediaDescription:
        return MediaDescription(
            media,
            self.values.get("i"),  # type: ignore[arg-type]
            tuple(self.repeated.get("c", ())),  # type: ignore[arg-type]
            tuple(self.repeated.get("b", ())),  # type: ignore[arg-type]
            self.values.get("k"),  # type: ignore[arg-type]
            tuple(self.attributes),
        )

    def session_description(
        self, version: int, media: tuple[MediaDescription, ...], line_ending: str
    ) -> SessionDescription:
        names = {"o": "origin", "s": "session_name", "i": "information", "u": "uri", "c": "connection"}
        names |= {"z": "zone", "k": "key"}
        singles = {names[k]: self.values.get(k) for k in names}
        return SessionDescription(
            version=version,
            emails=tuple(self.repeated.get("e", ())),  # type: ignore[arg-type]
            phones=tuple(self.repeated.get("p", ())),  # type: ignore[arg-type]
            bandwidths=tuple(self.repeated.get("b", ())),  # type: ignore[arg-type]
            timings=tuple(self.timings),
            attributes=tuple(self.attributes),
            media=media,
            line_ending=line_ending,
            **singles,  # type: ignore[arg-type]
        )


# ---------------------------------------------------------------------------------------------
# Repair: aiortc looks up the rtpmap of every a=fmtp without checking that there is one.

DEFAULT_RTPMAP = {"audio": "opus/48000/2", "video": "VP8/90000"}


def _accepted_rtpmap(value: str, kind: str) -> Optional[int]:
    """The payload type aiortc would register for an a=rtpmap value, if any (its own int() calls)."""
    try:
        payload_type, description = value.split(" ", 1)
        parts = description.split("/")
        int(parts[1])
        if kind == "audio" and len(parts) > 2:
            int(parts[2])
        return int(payload_type)
    except (ValueError, IndexError):
        return None


def repair_fmtp_references(data: bytes) -> bytes:
    """Every a=fmtp of an m-section given an a=rtpmap of its payload type where the section lacks one.

    RFC 8866 §6.15 says the format of an fmtp is one of the media's formats; aiortc's parser relies
    on it (next() over the section's codecs, StopIteration otherwise, a known bug), so mutations of
    format parameters would all end there. Lines and sections are split as aiortc splits them
    (str.splitlines, a section per m= line); any bytes are accepted and nothing else changes.
    """
    sections: list[list[str]] = [[]]
    for line in data.decode("utf-8", "replace").splitlines(keepends=True):
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    output = sections[0]
    for section in sections[1:]:
        kind = section[0][2:].split(" ", 1)[0]
        bodies = [line.splitlines()[0] if line.splitlines() else "" for line in section]
        registered = {
            _accepted_rtpmap(body[len("a=rtpmap:") :], kind) for body in bodies if body.startswith("a=rtpmap:")
        }
        for line, body in zip(section, bodies):
            payload_type = _fmtp_payload_type(body)
            if payload_type is not None and payload_type not in registered:
                registered.add(payload_type)
                output.append(f"a=rtpmap:{payload_type} {DEFAULT_RTPMAP.get(kind, 'x/90000')}\r\n")
            output.append(line)
    return "".join(output).encode("utf-8")


def _fmtp_payload_type(body: str) -> Optional[int]:
    """The payload type aiortc's fmtp pass looks up for this line, if the line is an a=fmtp it gets that far with."""
    if not body.startswith("a=fmtp:") or " " not in body:
        return None
    try:
        return int(body[len("a=fmtp:") :].split(" ", 1)[0])
    except ValueError:
        return None
