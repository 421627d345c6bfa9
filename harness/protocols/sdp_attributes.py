"""SDP attribute lines and the grammar pieces they share (RFC 8866 §9 tokens, numbers, words).

Attributes decoded into fields where they have a grammar: fingerprint (RFC 8122 §5), setup (RFC 4145
§4), ice-ufrag, ice-pwd, ice-options, candidate (RFC 8839 §5.1, §5.4, §5.6), rtpmap and fmtp (RFC
8866 §6.6, §6.15), rtcp-fb (RFC 4585 §4.2), extmap (RFC 8285 §8), ssrc and ssrc-group (RFC 5576
§4.1, §4.2), msid (RFC 8830 §2), mid and group (RFC 5888 §4, §5), rtcp (RFC 3605 §2.1), sctp-port
and max-message-size (RFC 8841 §5.1, §6.1), crypto (RFC 4568 §9.1), and the property attributes;
any other attribute, or one that does not re-encode to the same text, stays raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Optional

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
