"""SRTP packet index estimation and replay lists (RFC 3711 §3.3.1, §3.3.2, §3.4, Appendix A).

The receiver keeps, per SSRC, the rollover counter ROC and the highest sequence number s_l
received; a packet's 48-bit index i = 2^16 * v + SEQ takes v from {ROC - 1, ROC, ROC + 1}
modulo 2^32 by the rule of Appendix A, and ROC and s_l move only after the packet authenticated,
and only forward (§3.3.1). The replay list is a sliding window of `window_size` indices ending
at the highest one received (§3.3.2): an index ahead of it is new, one inside it is accepted
once, one at `window_size` or more behind it is too old. SRTCP keeps its own list, keyed by the
31-bit SRTCP index that travels in the packet (§3.4).

Distances between indices are taken modulo the index space (2^48, or 2^31 for SRTCP), as signed
numbers: an estimate of ROC - 1 when ROC is 0 (v = 2^32 - 1, Appendix A's "mod 2^32") lies just
behind the highest index, not 2^48 ahead of it. Nothing here raises on a refusal: the verdicts
are values, and harness.protocols.srtp turns them into its errors.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

SEQ_BITS = 16  # RFC 3550 §5.1: the RTP sequence number
ROC_MODULUS = 1 << 32  # RFC 3711 §3.3.1: a 32-bit rollover counter
HALF_SEQ = 1 << 15  # RFC 3711 Appendix A: 32768, half the sequence space
INDEX_MODULUS = 1 << 48  # RFC 3711 §3.3.1: i = 2^16 * ROC + SEQ, 48 bits
SRTCP_INDEX_MODULUS = 1 << 31  # RFC 3711 §3.4: a 31-bit SRTCP index
MIN_WINDOW_SIZE = 64  # RFC 3711 §3.3.2: SRTP-WINDOW-SIZE MUST be at least 64
SRTCP_WINDOW_SIZE = 128  # libsrtp's SRTCP replay database (rdb.h, rdb_bits_in_bitmask): fixed


def estimate_index(roc: int, s_l: int, seq: int) -> int:
    """The 48-bit index of a packet with `seq`, given the receiver's ROC and s_l (RFC 3711 Appendix A)."""
    if not 0 <= roc < ROC_MODULUS or not 0 <= s_l <= 0xFFFF or not 0 <= seq <= 0xFFFF:
        raise ValueError("SRTP index estimate input is invalid")
    if s_l < HALF_SEQ:
        v = (roc - 1) % ROC_MODULUS if seq - s_l > HALF_SEQ else roc
    else:
        v = (roc + 1) % ROC_MODULUS if s_l - HALF_SEQ > seq else roc
    return v << SEQ_BITS | seq


def distance(index: int, highest: int, modulus: int = INDEX_MODULUS) -> int:
    """index - highest as a signed number modulo `modulus`: positive when `index` is ahead."""
    half = modulus >> 1
    return (index - highest + half) % modulus - half


def advance(roc: int, s_l: int, index: int) -> tuple[int, int]:
    """ROC and s_l once the packet at `index` authenticated: moved to it if it is ahead (RFC 3711 §3.3.1)."""
    if distance(index, roc << SEQ_BITS | s_l) > 0:
        return index >> SEQ_BITS, index & 0xFFFF
    return roc, s_l


class Verdict(enum.Enum):
    """What the replay list says of an index before the packet is authenticated (RFC 3711 §3.3.2)."""

    NEW = "ahead of the window, or the first index of the list"
    UNSEEN = "inside the window and not received yet"
    DUPLICATE = "inside the window and received already"
    TOO_OLD = "behind the window"

    @property
    def accepted(self) -> bool:
        return self in (Verdict.NEW, Verdict.UNSEEN)


@dataclass
class ReplayList:
    """A sliding window of `window_size` indices ending at the highest index added (RFC 3711 §3.3.2)."""

    window_size: int
    modulus: int = INDEX_MODULUS
    highest: Optional[int] = None
    seen: int = 0  # bit k set: index `highest - k` was added

    def __post_init__(self) -> None:
        if not 1 <= self.window_size < self.modulus >> 1:
            raise ValueError("SRTP replay window size is invalid")

    def verdict(self, index: int) -> Verdict:
        if self.highest is None:
            return Verdict.NEW
        delta = distance(index, self.highest, self.modulus)
        if delta > 0:
            return Verdict.NEW
        if -delta >= self.window_size:
            return Verdict.TOO_OLD
        return Verdict.DUPLICATE if self.seen >> -delta & 1 else Verdict.UNSEEN

    def add(self, index: int) -> None:
        """Record an authenticated index: the window slides forward to it if it is ahead."""
        index %= self.modulus
        if self.highest is None:
            self.highest, self.seen = index, 1
            return
        delta = distance(index, self.highest, self.modulus)
        if delta > 0:
            self.highest = index
            self.seen = (self.seen << delta | 1) & ((1 << self.window_size) - 1)
        elif -delta < self.window_size:
            self.seen |= 1 << -delta


def srtcp_replay_list() -> ReplayList:
    """The SRTCP replay list of one SSRC: libsrtp's fixed window of 128 over the 31-bit index (RFC 3711 §3.4)."""
    return ReplayList(SRTCP_WINDOW_SIZE, SRTCP_INDEX_MODULUS)
