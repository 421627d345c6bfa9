"""pylibsrtp against the reference SRTP (harness.protocols.srtp): one scenario, both implementations.

Every input is a scenario, and every byte string is one: no input is malformed, so plain byte
mutation explores the space. The first octet picks the profile, the replay window and
allow_repeat_tx; the master key and salt follow; then 6-octet steps, each
`op, a, b, flags, length, arg`:

- SEND: the application gives the sender a plaintext (SEQ `a b`, SSRC, marker, CSRCs, header
  extension and padding from `flags`, `length` payload octets); what it protects goes to the
  receiver. The reference must protect it to the same bytes, so each side's packets are also
  the other's: protected by one, unprotected by the other, both ways.
- TAMPER: the last datagram sent, with bit (`a b`) flipped, to the receiver.
- REPLAY: an earlier datagram (`arg` back), to the receiver again.
- CRAFT: what no real sender sends: the reference's transform protects at any index (ROC `arg`,
  SEQ `a b`; for SRTCP index `arg a b`, E flag from `flags`), to the receiver.

`decode` reads the bytes as a setting and actions (Send, Tamper, Replay, Craft), the one reading
of a scenario: `describe` writes it in words for `repro`, and `play`, the entry point, plays it on
pylibsrtp (one sending and one receiving session) and returns the transcript of its calls and
answers; `agree`, the oracle, makes the same calls on the reference in the same order and must get
the same answers: the same protected bytes, the same plaintext, or a refusal where pylibsrtp
refused. A disagreement is an OracleViolation whose property names the operation and each side's
verdict (libsrtp's refusal in its own words, the reference's error class), so that one root cause
is one signature. The SRTCP senders start at index 1, as libsrtp does (RFC 3711 §3.4 says 0:
tests/conformance records that); that difference is not fuzzed again.
"""

from __future__ import annotations

import functools
import random
import re
import struct
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

import pylibsrtp

from harness import libsrtp
from harness.protocols import rtcp, rtp, srtp, srtp_replay
from harness.protocols.srtp_profiles import PROFILES, TEST_KEY_MATERIAL, SrtpProfile
from harness.target import OracleViolation

WINDOW_SIZES = (64, 128, 1024, 0x7FFF)  # each a size libsrtp accepts, its edge 0x7fff among them
SSRCS = (0x5501A0B2, 0x00000001, 0xFFFFFFFF, 0x1234ABCD)
STEP_LENGTH = 6
SEND, TAMPER, REPLAY, CRAFT = range(4)
# libsrtp's first SRTCP index (srtp_protect_rtcp increments before it sends).
LIBSRTP_FIRST_SRTCP_INDEX = 1

Verdict = Union[bytes, str]  # the output, or the refusal in the implementation's words


class Disagreement(OracleViolation):
    """pylibsrtp and the reference judged one packet differently; the property names how."""


def _words(text: str) -> str:
    return "".join(word[0].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", text))


def _name(verdict: Verdict) -> str:
    return "Accepted" if isinstance(verdict, bytes) else _words(verdict)


def _libsrtp(call: Callable[[bytes], bytes], data: bytes) -> Verdict:
    try:
        return call(data)
    except pylibsrtp.Error as exc:
        return str(exc)


def _reference(call: Callable[[bytes], bytes], data: bytes) -> Verdict:
    try:
        return call(data)
    except srtp.SrtpError as exc:
        return type(exc).__name__.removeprefix("Srtp").removesuffix("Error")


def setting_length(first: int) -> int:
    """Octets before the steps: the setting octet `first`, then its profile's master key and salt."""
    profile = PROFILES[first % len(PROFILES)]
    return 1 + profile.key_length + profile.salt_length


@dataclass(frozen=True)
class Setting:
    profile: SrtpProfile
    window_size: int
    allow_repeat_tx: bool
    key: bytes

    @classmethod
    def parse(cls, data: bytes) -> tuple["Setting", bytes]:
        first = data[0] if data else 0
        profile = PROFILES[first % len(PROFILES)]
        head = setting_length(first)
        # Missing key octets come from the harness's test key, so every input names a whole key.
        key = (data[1:head] + TEST_KEY_MATERIAL[len(data[1:head]) :])[: head - 1]
        setting = cls(profile, WINDOW_SIZES[first >> 2 & 3], bool(first >> 4 & 1), key)
        return setting, data[head:]

    def libsrtp(self, ssrc_type: int) -> pylibsrtp.Session:
        return libsrtp.session(
            self.profile, self.key, ssrc_type, window_size=self.window_size, allow_repeat_tx=self.allow_repeat_tx
        )

    def reference(self) -> srtp.SrtpContext:
        return srtp.SrtpContext(
            self.profile,
            self.key,
            window_size=self.window_size,
            allow_repeat_tx=self.allow_repeat_tx,
            first_srtcp_index=LIBSRTP_FIRST_SRTCP_INDEX,
        )


def rtp_packet(seq: int, flags: int, length: int) -> rtp.RtpPacket:
    """An RTP packet with the SSRC, marker, CSRCs, extension and padding the flag bits pick."""
    extension = rtp.OneByteExtension((rtp.ExtensionElement(1, bytes([seq & 0xFF])),)) if flags & 4 else None
    return rtp.RtpPacket(
        payload_type=96,
        sequence_number=seq,
        timestamp=seq * 160,
        ssrc=SSRCS[flags & 3],
        marker=bool(flags & 8),
        csrc=tuple(range(1, 1 + (flags >> 4 & 3))),
        extension=extension,
        payload=bytes([seq & 0xFF]) * length,
        padding=b"\x00\x00\x00\x04" if flags & 0x40 else b"",
    )


def receiver_report(flags: int, length: int) -> rtcp.ReceiverReport:
    """An RTCP receiver report (RFC 3550 §6.4.2) of the SSRC the flags pick, with `length` // 4 words
    of profile-specific extension."""
    return rtcp.ReceiverReport(SSRCS[flags & 3], extension=bytes(4 * (length // 4)))


Plaintext = Union[rtp.RtpPacket, rtcp.ReceiverReport]


def _encoded(plaintext: Plaintext) -> bytes:
    return bytes(plaintext) if isinstance(plaintext, rtp.RtpPacket) else rtcp.encode_packet(plaintext)


def _octets(data: bytes) -> str:
    """A run of one octet (what the plaintexts here carry) as its length and value; anything else in hex."""
    return f"{len(data)} octets {data[0]:#04x}" if len(set(data)) == 1 else data.hex() or "none"


def _in_words(plaintext: Plaintext) -> str:
    """The plaintext's fields, as a maintainer would set them to build it again."""
    if isinstance(plaintext, rtcp.ReceiverReport):
        return (
            f"an RTCP receiver report (SSRC {plaintext.ssrc:#010x}, no report blocks, "
            f"profile-specific extension {_octets(plaintext.extension)})"
        )
    fields = [f"PT {plaintext.payload_type}", f"timestamp {plaintext.timestamp}", f"SSRC {plaintext.ssrc:#010x}"]
    fields += ["marker set"] if plaintext.marker else []
    fields += [f"CSRCs {', '.join(map(str, plaintext.csrc))}"] if plaintext.csrc else []
    fields += [f"header extension {bytes(plaintext.extension).hex()}"] if plaintext.extension is not None else []
    fields += [f"payload {_octets(plaintext.payload)}"]
    fields += [f"padding {plaintext.padding.hex()}"] if plaintext.padding else []
    return f"RTP SEQ {plaintext.sequence_number} ({', '.join(fields)})"


@dataclass(frozen=True)
class Send:
    plaintext: Plaintext

    def __str__(self) -> str:
        if isinstance(self.plaintext, rtcp.ReceiverReport):
            protects = "protects it at its next SRTCP index (libsrtp's first is 1)"
        else:
            protects = "protects it"
        return f"send {_in_words(self.plaintext)}: the sender {protects}, the receiver unprotects the result"


@dataclass(frozen=True)
class Tamper:
    bit: int  # taken modulo the datagram's length in bits when played

    def __str__(self) -> str:
        return (
            f"tamper: deliver the last datagram again with bit {self.bit} flipped (bit 0 is the high bit of "
            "its first octet; the number is taken modulo its length in bits)"
        )


@dataclass(frozen=True)
class Replay:
    back: int  # 0 is the last datagram delivered; taken modulo how many were delivered when played

    def __str__(self) -> str:
        if self.back == 0:
            return "replay: deliver the last datagram again"
        return (
            f"replay: deliver again the datagram delivered {self.back} before the last one (counting back "
            "modulo the number delivered)"
        )


@dataclass(frozen=True)
class Craft:
    """What no real sender sends: the reference's transform protects `plaintext` at `index`."""

    plaintext: Plaintext
    index: int  # SRTP: ROC * 2^16 + SEQ; SRTCP: the 31-bit SRTCP index
    encrypt: bool = True  # SRTCP's E flag

    def __str__(self) -> str:
        if isinstance(self.plaintext, rtcp.ReceiverReport):
            encrypted = "encrypted" if self.encrypt else "unencrypted"
            at = f"SRTCP index {self.index} ({self.index:#x}) with E={int(self.encrypt)} ({encrypted})"
        else:
            at = f"ROC {self.index >> 16} (index {self.index:#x})"
        return f"craft: the reference protects {_in_words(self.plaintext)} at {at} and delivers it to the receiver"


Action = Union[Send, Tamper, Replay, Craft]


def _action(op: int, a: int, b: int, flags: int, length: int, arg: int, *, rtcp: bool) -> Action:
    """One 6-octet step (the module's docstring says what each octet means)."""
    value = a << 8 | b  # a SEQ, a bit to flip, or an SRTCP index's low 16 bits
    if op == SEND:
        return Send(receiver_report(flags, length) if rtcp else rtp_packet(value, flags, length))
    if op == TAMPER:
        return Tamper(value)
    if op == REPLAY:
        return Replay(arg)
    if rtcp:
        return Craft(receiver_report(flags, length), (arg & 0x7F) << 16 | value, encrypt=not flags & 0x80)
    return Craft(rtp_packet(value, flags, length), arg << 16 | value)


def decode(data: bytes, *, rtcp: bool) -> tuple[Setting, list[Action]]:
    """The scenario `data` is: its setting, and its whole steps as actions (trailing octets are no step)."""
    setting, body = Setting.parse(data)
    steps = [body[i : i + STEP_LENGTH] for i in range(0, len(body) - STEP_LENGTH + 1, STEP_LENGTH)]
    return setting, [_action(op & 3, a, b, flags, length, arg, rtcp=rtcp) for op, a, b, flags, length, arg in steps]


def describe(data: bytes, *, rtcp: bool) -> list[str]:
    """The scenario in words (Target.describe): the policy, the key, then each step in order."""
    setting, actions = decode(data, rtcp=rtcp)
    key_length = setting.profile.key_length
    repeat = "on" if setting.allow_repeat_tx else "off"
    steps: list[str] = []
    delivering = False
    for number, action in enumerate(actions, 1):
        # Only a SEND or CRAFT delivers; until one has, a TAMPER or REPLAY has nothing to work on.
        idle = isinstance(action, (Tamper, Replay)) and not delivering
        delivering = delivering or isinstance(action, (Send, Craft))
        steps.append(f"{number}. {action}" + (" -- nothing was delivered yet: does nothing" if idle else ""))
    return [
        f"{'SRTCP' if rtcp else 'SRTP'}: profile {setting.profile.name}, replay window {setting.window_size}, "
        f"allow_repeat_tx {repeat}",
        f"master key {setting.key[:key_length].hex()}, master salt {setting.key[key_length:].hex()}",
        "pylibsrtp: one sending session (SSRC any outbound) and one receiving session (SSRC any inbound) under "
        "that policy; the reference SRTP gets the same calls in the same order and must give the same answers",
        "steps, in order:" if steps else "no steps",
        *steps,
    ]


@dataclass(frozen=True)
class Exchange:
    """One call the scenario made on pylibsrtp, and what pylibsrtp answered."""

    operation: str  # "protect" or "unprotect"
    data: bytes
    verdict: Verdict


def _method(side: object, operation: str, rtcp: bool) -> Callable[[bytes], bytes]:
    """protect or unprotect of one side, for RTP or RTCP."""
    return getattr(side, f"{operation}_rtcp" if rtcp else operation)


@dataclass
class Scenario:
    """The scenario played on pylibsrtp alone: its transcript is what the reference must agree with."""

    setting: Setting
    rtcp: bool
    transcript: list[Exchange] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sender = self.setting.libsrtp(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
        self.receiver = self.setting.libsrtp(pylibsrtp.Policy.SSRC_ANY_INBOUND)

    def send(self, plaintext: bytes) -> None:
        verdict = _libsrtp(_method(self.sender, "protect", self.rtcp), plaintext)
        self.transcript.append(Exchange("protect", plaintext, verdict))
        if isinstance(verdict, bytes):
            self.deliver(verdict)

    def deliver(self, datagram: bytes) -> None:
        self.sent.append(datagram)
        verdict = _libsrtp(_method(self.receiver, "unprotect", self.rtcp), datagram)
        self.transcript.append(Exchange("unprotect", datagram, verdict))

    @functools.cached_property
    def keys(self) -> srtp.SessionKeys:
        """The session keys CRAFT protects with, derived once per scenario."""
        return srtp.session_keys(self.setting.profile, self.setting.key, rtcp=self.rtcp)

    def craft(self, craft: Craft) -> bytes:
        profile, plaintext = self.setting.profile, _encoded(craft.plaintext)
        if self.rtcp:
            return srtp.protect_rtcp(self.keys, profile, plaintext, craft.index, encrypt=craft.encrypt)
        return srtp.protect_rtp(self.keys, profile, plaintext, craft.index)

    def play(self, action: Action) -> None:
        if isinstance(action, Send):
            self.send(_encoded(action.plaintext))
        elif isinstance(action, Tamper) and self.sent:
            last = bytearray(self.sent[-1])
            bit = action.bit % (8 * len(last))
            last[bit // 8] ^= 0x80 >> bit % 8
            self.deliver(bytes(last))
        elif isinstance(action, Replay) and self.sent:
            self.deliver(self.sent[-1 - action.back % len(self.sent)])
        elif isinstance(action, Craft):
            self.deliver(self.craft(action))


MAX_STEPS = 64


def mutate(data: bytes, rng: random.Random) -> Optional[bytes]:
    """The scenario with one change a network or an adversary would make, or None when `data` does
    not yet hold a whole key (libFuzzer mutates it as bytes then).

    A step's SEQ (or SRTCP index) moves a little, or to a wrap or 2^15 away, where estimation
    turns; a step is repeated, dropped, swapped with the next one or given another operation; or
    the window or allow_repeat_tx changes (the profile, which sets the key's length, stays). Small
    moves keep the scenario inside the window and the ROC it has reached, which random bytes
    rarely do.
    """
    if not data:
        return None
    head = setting_length(data[0])
    if len(data) < head:
        return None
    body = data[head:]
    steps = [bytearray(body[i : i + STEP_LENGTH]) for i in range(0, len(body) - STEP_LENGTH + 1, STEP_LENGTH)]
    if not steps:
        steps.append(bytearray(rng.randbytes(STEP_LENGTH)))
    at = rng.randrange(len(steps))
    choice = rng.randrange(6)
    if choice == 0:  # move a SEQ or index
        value = steps[at][1] << 8 | steps[at][2]
        value += rng.choice([rng.randint(-300, 300), 0x8000, -0x8000, 0x10000 - value - rng.randint(1, 3)])
        steps[at][1:3] = (value & 0xFFFF).to_bytes(2, "big")
    elif choice == 1:
        steps.insert(at, bytearray(steps[at]))
    elif choice == 2 and len(steps) > 1:
        del steps[at]
    elif choice == 3 and at + 1 < len(steps):
        steps[at], steps[at + 1] = steps[at + 1], steps[at]
    elif choice == 4:
        steps[at][0] = rng.randrange(4)
    else:  # another window or allow_repeat_tx; the profile, and so where the steps start, stays
        return bytes([data[0] & 3 | rng.randrange(8) << 2]) + data[1:]
    return data[:head] + b"".join(steps[:MAX_STEPS])


def play(data: bytes, *, rtcp: bool) -> list[Exchange]:
    """The entry point: the scenario on pylibsrtp, every call and answer in order."""
    setting, actions = decode(data, rtcp=rtcp)
    scenario = Scenario(setting, rtcp)
    for action in actions:
        scenario.play(action)
    return scenario.transcript


def _circumstance(setting: Setting, context: srtp.SrtpContext, exchange: Exchange, rtcp: bool) -> str:
    """What sets this packet apart, when it is a case the two are known to read differently.

    - At ROC 0, RFC 3711 Appendix A estimates a SEQ more than 2^15 ahead of s_l as ROC-1, that
      is 2^32-1 (the reference does), where libsrtp keeps ROC 0 while its index is at most 2^15
      (srtp_rdbx_estimate_index).
    - libsrtp rounds the replay window up to a multiple of 32 (its bitvector), so it keeps a few
      indices more than asked for (0x7fff keeps 0x8000).
    Naming these cases in the signature keeps every other disagreement with the same verdicts
    apart from them. `context` is the reference side that judged, in its state before the call.
    """
    data = exchange.data
    if rtcp or len(data) < rtp.FIXED_HEADER_LENGTH:
        return ""
    seq, ssrc = struct.unpack_from("!H", data, 2)[0], struct.unpack_from("!I", data, 8)[0]
    state = context.rtp_state(ssrc, sender=exchange.operation == "protect")
    if state is None:
        return ""
    roc, s_l = state
    index = srtp_replay.estimate_index(roc, s_l, seq)
    if roc == 0 and index >> 16:
        return "_RocMinusOneAtRocZero"
    behind = -srtp_replay.distance(index, roc << 16 | s_l)
    window = setting.window_size
    if window <= behind < -(-window // 32) * 32:
        return "_InsideLibsrtpRoundedWindow"
    return ""


def agree(data: bytes, transcript: list[Exchange], *, rtcp: bool) -> None:
    """The oracle: the reference, given the same calls in the same order, answers each alike.

    Protect: the same bytes, or both refuse. Unprotect: both accept with the same plaintext, or
    both refuse (the reasons may differ).
    """
    setting, _ = Setting.parse(data)
    sides = {"protect": setting.reference(), "unprotect": setting.reference()}
    kind = "Srtcp" if rtcp else "Srtp"
    for exchange in transcript:
        context = sides[exchange.operation]
        circumstance = _circumstance(setting, context, exchange, rtcp)
        reference = _reference(_method(context, exchange.operation, rtcp), exchange.data)
        libsrtp = exchange.verdict
        if (isinstance(libsrtp, bytes) or isinstance(reference, bytes)) and libsrtp != reference:
            operation = exchange.operation.capitalize()
            name = f"{kind}{operation}_libsrtp{_name(libsrtp)}_reference{_name(reference)}{circumstance}"
            raise Disagreement(
                name,
                f"{kind} {exchange.operation} of {exchange.data.hex()} ({setting.profile.name}, window "
                f"{setting.window_size}): libsrtp {libsrtp!r}, reference {reference!r}",
            )
