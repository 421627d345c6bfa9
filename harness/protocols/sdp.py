"""SDP session descriptions as WebRTC peers exchange them: lines, sections and the attributes WebRTC uses.

Lines and their order: RFC 8866 §5 (v, o, s, i, u, e, p, c, b, t, r, z, k, a at session level;
m, i, c, b, k, a per media description), §5.2 origin, §5.7 connection, §5.8 bandwidth, §5.9
timing, §5.14 media. Attributes decoded into fields where they have a grammar: fingerprint
(RFC 8122 §5), setup (RFC 4145 §4), ice-ufrag, ice-pwd, ice-options, candidate (RFC 8839 §5.1,
§5.4, §5.6), rtpmap and fmtp (RFC 8866 §6.6, §6.15), rtcp-fb (RFC 4585 §4.2), extmap (RFC 8285
§8), ssrc and ssrc-group (RFC 5576 §4.1, §4.2), msid (RFC 8830 §2), mid and group (RFC 5888 §4,
§5; BUNDLE RFC 9143), rtcp (RFC 3605 §2.1), sctp-port and max-message-size (RFC 8841 §5.1,
§6.1), crypto (RFC 4568 §9.1), and the property attributes rtcp-mux (RFC 5761 §5.1.1),
bundle-only (RFC 9143 §6), end-of-candidates (RFC 8840), ice-lite and the directions (RFC 8866
§6.7). Anything else, or a value its grammar does not describe exactly, stays raw.

Parsing is lenient, like a receiver's: lines may come out of order, single lines may repeat and
unknown line types may appear; those are kept as raw lines among the section's attributes, so
nothing vanishes. Encoding follows the RFC's order with the description's own line ending.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from typing import Callable, ClassVar, Mapping, Optional

from hypothesis import strategies as st

from harness.protocols.mutations import Codec, mutate_bytes, mutate_int, mutate_items, truncate

# RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/"; ufrag 4 to 256 characters, password 22 to 256.
ICE_CHARS = re.compile(r"[A-Za-z0-9+/]+")
ICE_UFRAG_LENGTHS = (4, 256)
ICE_PWD_LENGTHS = (22, 256)
# RFC 8866 §9: token-char is any visible ASCII character except these separators.
TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
NUMBER = re.compile(r"[0-9]+")
NON_WS = re.compile(r"[^ \t]+")
PROTO = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+(/[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+)*")  # RFC 8866 §9 proto
# RFC 8122 §5: fingerprint = 2UHEX *(":" 2UHEX) (lower case is accepted as well, as in the wild).
FINGERPRINT = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*")
SETUP_ROLES = ("active", "passive", "actpass", "holdconn")  # RFC 4145 §4
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")  # RFC 8866 §6.7
FLAGS = frozenset(("rtcp-mux", "bundle-only", "end-of-candidates", "ice-lite", *DIRECTIONS))
CRLF = "\r\n"  # RFC 8866 §5: lines end with CRLF; parsers SHOULD accept a lone LF


def invalid(name: str) -> ValueError:
    return ValueError(f"sdp {name} is invalid")


def number(text: str, name: str) -> int:
    if not NUMBER.fullmatch(text):
        raise invalid(name)
    return int(text)


def matching(pattern: re.Pattern[str], text: str, name: str) -> str:
    if not pattern.fullmatch(text):
        raise invalid(name)
    return text


def words(value: Optional[str], name: str, minimum: int, maximum: Optional[int] = None) -> list[str]:
    """The space-separated fields of a value, which must count minimum..maximum."""
    if value is None:
        raise invalid(name)
    parts = value.split(" ")
    if len(parts) < minimum or (maximum is not None and len(parts) > maximum) or "" in parts:
        raise invalid(name)
    return parts


class Line:
    """One line of a section's attribute list (an a= line, or a raw line kept in place)."""


@dataclass(frozen=True)
class RawLine(Line):
    """A line of a type unknown here, repeated where one is allowed, or not matching its grammar."""

    type: str
    value: str

    def __str__(self) -> str:
        return f"{self.type}={self.value}"


@dataclass(frozen=True)
class Attribute(Line):
    """An a= line without a decoded grammar: name and optional value (RFC 8866 §5.13)."""

    name: str
    value: Optional[str] = None

    def __str__(self) -> str:
        return f"a={self.name}" if self.value is None else f"a={self.name}:{self.value}"


class Typed(Line):
    """An attribute decoded into fields; `encode_value` and `decode` are exact inverses."""

    NAME: ClassVar[str]

    def encode_value(self) -> Optional[str]:
        raise NotImplementedError

    @classmethod
    def decode(cls, value: Optional[str]) -> Typed:
        raise NotImplementedError

    def __str__(self) -> str:
        return str(Attribute(self.NAME, self.encode_value()))


@dataclass(frozen=True)
class Flag(Line):
    """A property attribute without a value: rtcp-mux, bundle-only, a direction, ..."""

    name: str

    def __str__(self) -> str:
        return f"a={self.name}"


@dataclass(frozen=True)
class Fingerprint(Typed):
    NAME = "fingerprint"
    hash_function: str
    fingerprint: str

    def encode_value(self) -> str:
        return f"{self.hash_function} {self.fingerprint}"

    @classmethod
    def decode(cls, value: Optional[str]) -> Fingerprint:
        hash_function, fingerprint = words(value, "fingerprint", 2, 2)
        return cls(matching(TOKEN, hash_function, "fingerprint"), matching(FINGERPRINT, fingerprint, "fingerprint"))


@dataclass(frozen=True)
class Setup(Typed):
    NAME = "setup"
    role: str

    def encode_value(self) -> str:
        return self.role

    @classmethod
    def decode(cls, value: Optional[str]) -> Setup:
        if value not in SETUP_ROLES:
            raise invalid("setup")
        return cls(value)


@dataclass(frozen=True)
class IceUfrag(Typed):
    NAME = "ice-ufrag"
    LENGTHS: ClassVar[tuple[int, int]] = ICE_UFRAG_LENGTHS
    text: str

    def encode_value(self) -> str:
        return self.text

    @classmethod
    def decode(cls, value: Optional[str]) -> Typed:
        low, high = cls.LENGTHS
        if value is None or not ICE_CHARS.fullmatch(value) or not low <= len(value) <= high:
            raise invalid(cls.NAME)
        return cls(value)


@dataclass(frozen=True)
class IcePwd(IceUfrag):
    NAME = "ice-pwd"
    LENGTHS: ClassVar[tuple[int, int]] = ICE_PWD_LENGTHS


@dataclass(frozen=True)
class IceOptions(Typed):
    NAME = "ice-options"
    tags: tuple[str, ...]

    def encode_value(self) -> str:
        return " ".join(self.tags)

    @classmethod
    def decode(cls, value: Optional[str]) -> IceOptions:
        return cls(tuple(matching(TOKEN, tag, "ice-options") for tag in words(value, "ice-options", 1)))


@dataclass(frozen=True)
class Candidate(Typed):
    """RFC 8839 §5.1, with the related address and port and the extensions as pairs."""

    NAME = "candidate"
    foundation: str
    component: int
    transport: str
    priority: int
    address: str
    port: int
    type: str
    related_address: Optional[str] = None
    related_port: Optional[int] = None
    extensions: tuple[tuple[str, str], ...] = ()

    def encode_value(self) -> str:
        parts = [self.foundation, str(self.component), self.transport, str(self.priority), self.address]
        parts += [str(self.port), "typ", self.type]
        if self.related_address is not None:
            parts += ["raddr", self.related_address]
        if self.related_port is not None:
            parts += ["rport", str(self.related_port)]
        for name, value in self.extensions:
            parts += [name, value]
        return " ".join(parts)

    @classmethod
    def decode(cls, value: Optional[str]) -> Candidate:
        parts = words(value, "candidate", 8)
        if parts[6] != "typ" or len(parts) % 2:
            raise invalid("candidate")
        pairs = list(zip(parts[8::2], parts[9::2]))
        related_address = pairs.pop(0)[1] if pairs and pairs[0][0] == "raddr" else None
        related_port = number(pairs.pop(0)[1], "candidate") if pairs and pairs[0][0] == "rport" else None
        if any(name in ("raddr", "rport") for name, _ in pairs):
            raise invalid("candidate")  # out of order: not the grammar, stays raw
        return cls(
            matching(ICE_CHARS, parts[0], "candidate"),
            number(parts[1], "candidate"),
            matching(TOKEN, parts[2], "candidate"),
            number(parts[3], "candidate"),
            parts[4],
            number(parts[5], "candidate"),
            matching(TOKEN, parts[7], "candidate"),
            related_address,
            related_port,
            tuple(pairs),
        )


@dataclass(frozen=True)
class Rtpmap(Typed):
    NAME = "rtpmap"
    payload_type: int
    encoding_name: str
    clock_rate: int
    encoding_parameters: Optional[str] = None  # channels, for audio

    def encode_value(self) -> str:
        text = f"{self.payload_type} {self.encoding_name}/{self.clock_rate}"
        return text if self.encoding_parameters is None else f"{text}/{self.encoding_parameters}"

    @classmethod
    def decode(cls, value: Optional[str]) -> Rtpmap:
        payload_type, encoding = words(value, "rtpmap", 2, 2)
        parts = encoding.split("/")
        if not 2 <= len(parts) <= 3:
            raise invalid("rtpmap")
        parameters = matching(NUMBER, parts[2], "rtpmap") if len(parts) == 3 else None
        name = matching(TOKEN, parts[0], "rtpmap")
        return cls(number(payload_type, "rtpmap"), name, number(parts[1], "rtpmap"), parameters)


@dataclass(frozen=True)
class Fmtp(Typed):
    """RFC 8866 §6.15: the parameters are format-specific; WebRTC codecs use key=value pairs joined by ';'."""

    NAME = "fmtp"
    format: str
    parameters: str

    def encode_value(self) -> str:
        return f"{self.format} {self.parameters}"

    @classmethod
    def decode(cls, value: Optional[str]) -> Fmtp:
        if value is None or " " not in value:
            raise invalid("fmtp")
        format, parameters = value.split(" ", 1)
        return cls(matching(TOKEN, format, "fmtp"), parameters)


@dataclass(frozen=True)
class RtcpFb(Typed):
    NAME = "rtcp-fb"
    payload_type: str  # a format or "*"
    type: str
    parameter: Optional[str] = None

    def encode_value(self) -> str:
        text = f"{self.payload_type} {self.type}"
        return text if self.parameter is None else f"{text} {self.parameter}"

    @classmethod
    def decode(cls, value: Optional[str]) -> RtcpFb:
        parts = words(value, "rtcp-fb", 2)
        parameter = " ".join(parts[2:]) if len(parts) > 2 else None
        return cls(matching(TOKEN, parts[0], "rtcp-fb"), matching(TOKEN, parts[1], "rtcp-fb"), parameter)


@dataclass(frozen=True)
class Extmap(Typed):
    NAME = "extmap"
    id: int
    uri: str
    direction: Optional[str] = None
    attributes: Optional[str] = None

    def encode_value(self) -> str:
        text = str(self.id) if self.direction is None else f"{self.id}/{self.direction}"
        text += f" {self.uri}"
        return text if self.attributes is None else f"{text} {self.attributes}"

    @classmethod
    def decode(cls, value: Optional[str]) -> Extmap:
        parts = words(value, "extmap", 2)
        ident, _, direction = parts[0].partition("/")
        if direction and direction not in DIRECTIONS:
            raise invalid("extmap")
        attributes = " ".join(parts[2:]) if len(parts) > 2 else None
        return cls(number(ident, "extmap"), parts[1], direction or None, attributes)


@dataclass(frozen=True)
class Ssrc(Typed):
    NAME = "ssrc"
    ssrc: int
    attribute: str
    value: Optional[str] = None

    def encode_value(self) -> str:
        return f"{self.ssrc} {self.attribute}" + ("" if self.value is None else f":{self.value}")

    @classmethod
    def decode(cls, value: Optional[str]) -> Ssrc:
        if value is None or " " not in value:
            raise invalid("ssrc")
        ssrc, rest = value.split(" ", 1)
        name, colon, attribute_value = rest.partition(":")
        return cls(number(ssrc, "ssrc"), matching(TOKEN, name, "ssrc"), attribute_value if colon else None)


@dataclass(frozen=True)
class SsrcGroup(Typed):
    NAME = "ssrc-group"
    semantics: str
    ssrcs: tuple[int, ...]

    def encode_value(self) -> str:
        return " ".join([self.semantics, *map(str, self.ssrcs)])

    @classmethod
    def decode(cls, value: Optional[str]) -> SsrcGroup:
        parts = words(value, "ssrc-group", 1)
        return cls(matching(TOKEN, parts[0], "ssrc-group"), tuple(number(p, "ssrc-group") for p in parts[1:]))


@dataclass(frozen=True)
class Msid(Typed):
    NAME = "msid"
    stream_id: str
    track_id: Optional[str] = None

    def encode_value(self) -> str:
        return self.stream_id if self.track_id is None else f"{self.stream_id} {self.track_id}"

    @classmethod
    def decode(cls, value: Optional[str]) -> Msid:
        parts = words(value, "msid", 1, 2)
        return cls(*(matching(NON_WS, part, "msid") for part in parts))


@dataclass(frozen=True)
class Mid(Typed):
    NAME = "mid"
    tag: str

    def encode_value(self) -> str:
        return self.tag

    @classmethod
    def decode(cls, value: Optional[str]) -> Mid:
        return cls(matching(TOKEN, value or "", "mid"))


@dataclass(frozen=True)
class Group(Typed):
    NAME = "group"
    semantics: str
    tags: tuple[str, ...] = ()

    def encode_value(self) -> str:
        return " ".join([self.semantics, *self.tags])

    @classmethod
    def decode(cls, value: Optional[str]) -> Group:
        parts = [matching(TOKEN, part, "group") for part in words(value, "group", 1)]
        return cls(parts[0], tuple(parts[1:]))


@dataclass(frozen=True)
class Rtcp(Typed):
    NAME = "rtcp"
    port: int
    connection: Optional[Connection] = None

    def encode_value(self) -> str:
        return str(self.port) if self.connection is None else f"{self.port} {self.connection}"

    @classmethod
    def decode(cls, value: Optional[str]) -> Rtcp:
        parts = words(value, "rtcp", 1, 4)
        connection = Connection.parse(" ".join(parts[1:])) if len(parts) > 1 else None
        return cls(number(parts[0], "rtcp"), connection)


@dataclass(frozen=True)
class SctpPort(Typed):
    NAME = "sctp-port"
    port: int

    def encode_value(self) -> str:
        return str(self.port)

    @classmethod
    def decode(cls, value: Optional[str]) -> Typed:
        return cls(number(value or "", cls.NAME))


@dataclass(frozen=True)
class MaxMessageSize(SctpPort):
    NAME = "max-message-size"


@dataclass(frozen=True)
class Crypto(Typed):
    NAME = "crypto"
    tag: int
    suite: str
    key_params: str
    session_params: tuple[str, ...] = ()

    def encode_value(self) -> str:
        return " ".join([str(self.tag), self.suite, self.key_params, *self.session_params])

    @classmethod
    def decode(cls, value: Optional[str]) -> Crypto:
        parts = words(value, "crypto", 3)
        return cls(number(parts[0], "crypto"), matching(TOKEN, parts[1], "crypto"), parts[2], tuple(parts[3:]))


TYPED: dict[str, type[Typed]] = {
    kind.NAME: kind
    for kind in (
        Fingerprint, Setup, IceUfrag, IcePwd, IceOptions, Candidate, Rtpmap, Fmtp, RtcpFb, Extmap,
        Ssrc, SsrcGroup, Msid, Mid, Group, Rtcp, SctpPort, MaxMessageSize, Crypto,
    )
}  # fmt: skip


def parse_attribute(text: str) -> Line:
    """An a= line's text (after "a="): decoded when a grammar describes it exactly, else raw."""
    name, colon, value = text.partition(":")
    raw = Attribute(name, value if colon else None)
    if not colon and name in FLAGS:
        return Flag(name)
    kind = TYPED.get(name)
    if kind is None:
        return raw
    try:
        decoded = kind.decode(raw.value)
    except ValueError:
        return raw
    return decoded if str(decoded) == str(raw) else raw


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
class Connection:
    """RFC 8866 §5.7: c=<nettype> <addrtype> <connection-address> (the address may carry /ttl/count)."""

    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "0.0.0.0"

    def __str__(self) -> str:
        return f"{self.nettype} {self.addrtype} {self.address}"

    @classmethod
    def parse(cls, value: str) -> Connection:
        return cls(*(matching(NON_WS, part, "connection") for part in words(value, "connection", 3, 3)))


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
    if offer not in (None, True, False):
        raise ValueError(f"offer must be True, False or None, not {offer!r}")
    if not kinds or any(kind not in ("audio", "video", "application") for kind in kinds):
        raise ValueError(f"kinds must be audio, video or application, not {kinds!r}")
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


CODEC = Codec(parse=SessionDescription.parse, mutate=mutate, splice=splice)
