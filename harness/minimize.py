"""Delta debugging (Zeller's ddmin) of a reproducer, keeping the bug's signature.

libFuzzer's -minimize_crash keeps "some crash", so it can drift from one bug to another; this
minimizer only accepts a smaller input that still gives the same signature, and it needs no
atheris, so `minimize` works wherever `repro` does.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable, Optional

from harness.verdict import HANG, Outcome

DEFAULT_MAX_SECONDS = 60.0


def ddmin(
    data: bytes,
    still_fails: Callable[[bytes], bool],
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> bytes:
    """The smallest input found, within the time limit, for which `still_fails` holds."""
    deadline = time.monotonic() + max_seconds
    granularity = 2
    while len(data) >= 2 and time.monotonic() < deadline:
        chunk = max(1, len(data) // granularity)
        reduced = False
        for start in range(0, len(data), chunk):
            if time.monotonic() >= deadline:
                break
            candidate = data[:start] + data[start + chunk :]
            if candidate != data and still_fails(candidate):
                data = candidate
                granularity = max(granularity - 1, 2)
                reduced = True
                break
        if not reduced:
            if chunk == 1:
                break
            granularity = min(granularity * 2, len(data))
    return data


def reduce(
    data: bytes, still_fails: Callable[[bytes], bool], reductions: Callable[[bytes], Iterable[bytes]], deadline: float
) -> bytes:
    """The input after every structural reduction that keeps it failing, one at a time, until none does."""
    reduced = True
    while reduced and time.monotonic() < deadline:
        reduced = False
        for candidate in reductions(data):
            if time.monotonic() >= deadline:
                break
            if candidate != data and still_fails(candidate):
                data, reduced = candidate, True
                break
    return data


def minimize_bug(
    data: bytes,
    signature: str,
    run: Callable[[bytes], Outcome],
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    reductions: Optional[Callable[[bytes], Iterable[bytes]]] = None,
) -> bytes:
    """Minimize `data` through `run` (an IsolatedRunner's run), keeping `signature`: first by the target's
    structural reductions (Target.reductions) when it has them, then by ddmin over what is left of the time.

    A hang is not minimized: every trial would cost the whole per-input timeout.
    """
    if signature.startswith(HANG + ":"):
        return data
    deadline = time.monotonic() + max_seconds

    def still_fails(candidate: bytes) -> bool:
        return run(candidate).signature == signature

    if reductions is not None:
        data = reduce(data, still_fails, reductions, deadline)
    return ddmin(data, still_fails, max_seconds=max(0.0, deadline - time.monotonic()))
