"""Write the seed corpora of srtp_rtp_path and srtcp_rtcp_path: plaintext packets, named by their SHA-1.

Why: the targets protect each input before aiortc unprotects and parses it, so their seeds are
plaintext RTP and RTCP. They come from the recorded aiortc traffic in corpora/rtp_parse and
corpora/rtcp_parse, the RFC 7714 §16 RTP packet and §17 RTCP packet from vectors/
(the latter with its length field corrected: as printed it claims 56 octets of 52), and packets
built with harness.protocols.rtp/rtcp for the forms live traffic lacks (two-byte extensions,
CSRCs, padding, NACK, PLI, FIR, transport-wide feedback, APP, BYE reasons, unknown types).
Random octets come from one seeded generator; the seed is printed. Each target directory is
emptied of earlier seeds first; subfolders are left alone.

Usage, from the repository root:  python scripts/seeds_rtp.py [--seed 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random

from harness import project
from harness.protocols import rtcp, rtcp_fuzzing, rtp

ROOT = project.current().root
VECTORS_DIR = project.current().vectors

MAX_SEEDS = 40


def recorded(name: str) -> list[bytes]:
    return [path.read_bytes() for path in sorted((ROOT / "corpora" / name).iterdir()) if path.is_file()]


def vector_packet(key: str) -> bytes:
    vectors = json.loads((VECTORS_DIR / "srtp_rfc7714.json").read_text())["vectors"]
    return bytes.fromhex(next(v["inputs"][key] for v in vectors if key in v["inputs"]))


def built_rtp(rng: random.Random) -> list[bytes]:
    two_byte = rtp.TwoByteExtension((rtp.ExtensionElement(1, b"audio"), rtp.ExtensionPadding(1)))
    one_byte = rtp.OneByteExtension(
        (rtp.ExtensionElement(1, b"0"), rtp.ExtensionPadding(2), rtp.ExtensionElement(3, rng.randbytes(3)))
    )
    packets = [
        rtp.RtpPacket(111, 1, 960, 0x11223344, extension=two_byte, payload=rng.randbytes(40)),
        rtp.RtpPacket(96, 2, 3000, 0x55667788, True, (1, 2), one_byte, rng.randbytes(30), bytes(3) + b"\x04"),
        rtp.RtpPacket(0, 3, 160, 0x99AABBCC, payload=rng.randbytes(160)),
        rtp.RtpPacket(97, 4, 90000, 1, extension=rtp.RawExtension(0xABAC, rng.randbytes(8)), payload=b"\x10"),
    ]
    return [bytes(packet) for packet in packets]


def built_rtcp(rng: random.Random) -> list[bytes]:
    sender, media = 0x11223344, 0x55667788
    block = rtcp.ReportBlock(media, 12, 3, 1000, 20, 0x12345678, 65536)
    packets: list[tuple[rtcp.RtcpPacket, ...]] = [
        (rtcp.ReceiverReport(sender, (block,)), rtcp.GenericNack(sender, media, (rtcp.NackItem(100, 0x8001),))),
        (rtcp.ReceiverReport(sender), rtcp.PictureLossIndication(sender, media)),
        (rtcp.ReceiverReport(sender), rtcp.FullIntraRequest(sender, 0, (rtcp.FirEntry(media, 7),))),
        # aiortc reads transport-wide feedback as NACK pairs; these happen to increase, as NACKs do.
        (rtcp.ReceiverReport(sender), rtcp.TransportFeedback(sender, media, 1, 1, 0x000500, 0, b"\x20\x01\x04\x00")),
        (rtcp.SenderReport(sender, 1 << 32, 960, 1, 100, (block,)), rtcp.Goodbye((sender,), b"bye")),
        (rtcp.ReceiverReport(sender, padding=bytes(3) + b"\x04"), rtcp.ApplicationDefined(1, sender, b"TEST")),
        (rtcp.ReceiverReport(sender), rtcp.RawPacket(207, 0, rng.randbytes(8))),
    ]
    return [bytes(rtcp.CompoundPacket(compound)) for compound in packets]


def write(target: str, seeds: list[bytes]) -> int:
    directory = ROOT / "corpora" / target
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        if old.is_file() and len(old.name) == 40:
            old.unlink()
    unique = list(dict.fromkeys(seeds))[:MAX_SEEDS]
    for seed in unique:
        (directory / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    return len(unique)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"seed {args.seed}")
    rng = random.Random(args.seed)
    rtp_seeds = [vector_packet("rtp_packet_hex"), *built_rtp(rng), *recorded("rtp_parse")]
    rtcp_vector = bytearray(vector_packet("rtcp_packet_hex"))
    rtcp_vector[2:4] = (len(rtcp_vector) // 4 - 1).to_bytes(2, "big")
    rtcp_seeds = [bytes(rtcp_vector), *built_rtcp(rng), *recorded("rtcp_parse")]
    for seeds in (rtp_seeds, rtcp_seeds):
        for seed in seeds:  # every seed is a packet of its protocol, as our codec reads it
            (rtp.CODEC if seeds is rtp_seeds else rtcp_fuzzing.CODEC).parse(seed)
    print(f"srtp_rtp_path: {write('srtp_rtp_path', rtp_seeds)} seeds")
    print(f"srtcp_rtcp_path: {write('srtcp_rtcp_path', rtcp_seeds)} seeds")


if __name__ == "__main__":
    main()
