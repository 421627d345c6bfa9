"""The minimal atheris script a maintainer would write by hand for each target.

The baseline of atheris_speed.py: the same function as the target's entry, the same
`instrument` modules (instrumented alike), and nothing of the harness around it (no worker, no verdicts, no
skip list). Every Exception is swallowed, so it never stops on a bug and measures speed only.

usage: python benchmarks/baseline_atheris.py TARGET [libFuzzer args]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "targets")]

from harness.engines.atheris_child import instrument_modules  # noqa: E402

Driver = Callable[[bytes], Any]


def stun_parse() -> Driver:
    from aioice import stun

    def drive(data: bytes) -> Any:
        return stun.parse_message(data)

    return drive


def sdp_parse() -> Driver:
    from aiortc import sdp

    def drive(data: bytes) -> Any:
        return sdp.SessionDescription.parse(data.decode("utf-8", "replace"))

    return drive


def rtp_parse() -> Driver:
    from aiortc.rtp import RtpPacket
    from rtp_parse import EXTENSIONS  # the target's HeaderExtensionsMap, every extension mapped

    def drive(data: bytes) -> Any:
        return RtpPacket.parse(data, EXTENSIONS)

    return drive


def rtcp_parse() -> Driver:
    from aiortc.rtp import RtcpPacket

    def drive(data: bytes) -> Any:
        return RtcpPacket.parse(data)

    return drive


def sctp_packet() -> Driver:
    from aiortc.rtcsctptransport import parse_packet

    def drive(data: bytes) -> Any:
        return parse_packet(data)

    return drive


def srtp_unprotect() -> Driver:
    from _srtp import inbound_session  # the target's fresh-session-per-input helper

    def drive(data: bytes) -> Any:
        session, packet = inbound_session(data)
        return session.unprotect(packet)

    return drive


def srtcp_unprotect() -> Driver:
    from _srtp import inbound_session

    def drive(data: bytes) -> Any:
        session, packet = inbound_session(data)
        return session.unprotect_rtcp(packet)

    return drive


# Driver, and the module prefix the target's `instrument` names.
DRIVERS: dict[str, tuple[Callable[[], Driver], str]] = {
    "stun_parse": (stun_parse, "aioice.stun"),
    "sdp_parse": (sdp_parse, "aiortc.sdp"),
    "rtp_parse": (rtp_parse, "aiortc.rtp"),
    "rtcp_parse": (rtcp_parse, "aiortc.rtp"),
    "sctp_packet": (sctp_packet, "aiortc.rtcsctptransport"),
    "srtp_unprotect": (srtp_unprotect, "pylibsrtp"),
    "srtcp_unprotect": (srtcp_unprotect, "pylibsrtp"),
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in DRIVERS:
        sys.exit(f"usage: baseline_atheris.py {{{','.join(DRIVERS)}}} [libFuzzer args]")
    build, prefix = DRIVERS[sys.argv.pop(1)]
    drive = build()
    # atheris 3.0's instrument_imports widens "aiortc.rtp" to all of aiortc (it keeps only the
    # top-level package), which would slow the baseline; instrument exactly the target's
    # modules, with the same function the harness uses, so only the harness around differs.
    instrument_modules((prefix,))

    def TestOneInput(data: bytes) -> None:
        try:
            drive(data)
        except Exception:
            pass

    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
