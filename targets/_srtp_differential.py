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

`play`, the entry point, plays the scenario on pylibsrtp (one sending and one receiving session)
and returns the transcript of its calls and answers; `agree`, the oracle, makes the same calls on
the reference in the same order and must get the same answers: the same protected bytes, the
same plaintext, or a refusal where pylibsrtp refused. A disagreement is an OracleViolation whose
property names the operation and each side's verdict (libsrtp's refusal in its own words, the
reference's error class), so that one root cause is one signature. The SRTCP senders start at
index 1, as libsrtp does (RFC 3711 §3.4 says 0: tests/conformance records that); that
difference is not fuzzed again.
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


def rtp_plaintext(seq: int, flags: int, length: int) -> bytes:
    """An RTP packet with the SSRC, marker, CSRCs, extension and padding the flag bits pick."""
    extension = rtp.OneByteExtension((rtp.ExtensionElement(1, bytes([seq & 0xFF])),)) if flags & 4 else None
    return bytes(
        rtp.RtpPacket(
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
    )


def rtcp_plaintext(flags: int, length: int) -> bytes:
    """An RTCP receiver report (RFC 3550 §6.4.2) of the SSRC the flags pick, with `length` // 4 words
    of profile-specific extension."""
    return rtcp.encode_packet(rtcp.ReceiverReport(SSRCS[flags & 3], extension=bytes(4 * (length // 4))))


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

    def craft(self, a: int, b: int, flags: int, length: int, arg: int) -> bytes:
        profile = self.setting.profile
        if self.rtcp:
            index = (arg & 0x7F) << 16 | a << 8 | b
            return srtp.protect_rtcp(self.keys, profile, rtcp_plaintext(flags, length), index, encrypt=not flags & 0x80)
        return srtp.protect_rtp(self.keys, profile, rtp_plaintext(a << 8 | b, flags, length), arg << 16 | a << 8 | b)

    def step(self, op: int, a: int, b: int, flags: int, length: int, arg: int) -> None:
        if op == SEND:
            self.send(rtcp_plaintext(flags, length) if self.rtcp else rtp_plaintext(a << 8 | b, flags, length))
        elif op == TAMPER and self.sent:
            last = bytearray(self.sent[-1])
            bit = (a << 8 | b) % (8 * len(last))
            last[bit // 8] ^= 0x80 >> bit % 8
            self.deliver(bytes(last))
        elif op == REPLAY and self.sent:
            self.deliver(self.sent[-1 - arg % len(self.sent)])
        elif op == CRAFT:
            self.deliver(self.craft(a, b, flags, length, arg))


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
    setting, steps = Setting.parse(data)
    scenario = Scenario(setting, rtcp)
    for offset in range(0, len(steps) - STEP_LENGTH + 1, STEP_LENGTH):
        op, a, b, flags, length, arg = steps[offset : offset + STEP_LENGTH]
        scenario.step(op & 3, a, b, flags, length, arg)
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
                f"{setting.window_size}): libsrtp {libsrtp!r}, reference {reference!r}"
            )
