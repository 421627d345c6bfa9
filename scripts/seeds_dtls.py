"""Write the seed corpus of the dtls_records target: first client flights built around aiortc's own ClientHello.

Why: the server-role transport only gets past OpenSSL's record layer with well-framed DTLS, and
the best-framed ClientHello is the one aiortc itself sends. This script captures it in memory
(no sockets), replaces its 32 random bytes with seeded ones (so the files do not change from run
to run on the same aiortc/OpenSSL), and writes it whole, fragmented, with cookies, with varied
use_srtp offers and next to other records, each file named by the SHA-1 of its content. Earlier
seeds (SHA-1 names) are removed first; subfolders such as regressions/ are left alone.

Usage, from the repository root:  python scripts/seeds_dtls.py [--seed 1] [--out corpora]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
from dataclasses import replace
from pathlib import Path

from harness import project
from harness.peers.dtls_endpoint import aiortc_client_hello
from harness.protocols import dtls
from harness.protocols.dtls import ClientHello, Datagram, Handshake, Record, UseSrtp

ROOT = project.current().root

TARGET = "dtls_records"
SHA1_NAME = re.compile(r"^[0-9a-f]{40}$")


def flight(
    hello: ClientHello, *, sizes: tuple[int, ...] = (), message_seq: int = 0, version: int = dtls.DTLS_1_0
) -> Datagram:
    """The hello in handshake records, cut into fragments of `sizes` (RFC 6347 §4.2.3)."""
    fragments = dtls.fragment_message(Handshake.whole(dtls.CLIENT_HELLO, message_seq, bytes(hello)), list(sizes))
    return Datagram([dtls.handshake_record(f, sequence_number=n, version=version) for n, f in enumerate(fragments)])


def with_srtp(hello: ClientHello, offer: UseSrtp) -> ClientHello:
    extensions = [offer if e.extension_type == dtls.USE_SRTP else e for e in hello.extensions or []]
    return replace(hello, extensions=extensions)


def seeds(hello: ClientHello, rng: random.Random) -> list[bytes]:
    alert = Record(dtls.ALERT, dtls.DTLS_1_2, 0, 1, b"\x02\x28")  # fatal handshake_failure (RFC 5246 §7.2)
    close_notify = Record(dtls.ALERT, dtls.DTLS_1_2, 0, 1, b"\x01\x00")
    change_cipher_spec = Record(dtls.CHANGE_CIPHER_SPEC, dtls.DTLS_1_2, 0, 1, b"\x01")
    application_data = Record(dtls.APPLICATION_DATA, dtls.DTLS_1_2, 1, 0, rng.randbytes(40))
    cookie_request = bytes(dtls.HelloVerifyRequest(dtls.DTLS_1_0, b"c" * 20))
    verify_request = Handshake.whole(dtls.HELLO_VERIFY_REQUEST, 0, cookie_request)
    whole = flight(hello)
    flights = [
        whole,
        flight(hello, version=dtls.DTLS_1_2),
        flight(hello, sizes=(60,)),
        flight(hello, sizes=(40, 40)),
        Datagram(flight(hello, sizes=(50, 50)).records[::-1]),  # fragments out of order
        flight(hello, message_seq=1),  # a gap: the server expects message_seq 0
        flight(replace(hello, extensions=None)),
        flight(replace(hello, extensions=[])),
        flight(replace(hello, session_id=rng.randbytes(dtls.MAX_SESSION_ID_LENGTH))),
        flight(with_srtp(hello, UseSrtp([dtls.SRTP_AES128_CM_HMAC_SHA1_80]))),
        flight(with_srtp(hello, UseSrtp([dtls.SRTP_AEAD_AES_128_GCM], rng.randbytes(4)))),
        flight(with_srtp(hello, UseSrtp([dtls.SRTP_NULL_HMAC_SHA1_32, 0xABCD]))),
        flight(with_srtp(hello, UseSrtp([]))),
        flight(with_srtp(hello, UseSrtp([dtls.SRTP_AEAD_AES_256_GCM], rng.randbytes(dtls.MAX_MKI_LENGTH)))),
        Datagram(whole.records + [close_notify]),
        Datagram(whole.records + [change_cipher_spec]),
        Datagram(whole.records + [replace(whole.records[0], sequence_number=1)]),  # the hello twice
        Datagram([replace(whole.records[0], epoch=1)]),
        Datagram([replace(whole.records[0], sequence_number=dtls.MAX_SEQUENCE_NUMBER)]),
        Datagram([alert]),
        Datagram([change_cipher_spec]),
        Datagram([application_data]),
        Datagram([dtls.handshake_record(verify_request, sequence_number=0)]),
        Datagram([dtls.handshake_record(Handshake.whole(dtls.HELLO_REQUEST, 0, b""), sequence_number=0)]),
    ]
    flights += [flight(replace(hello, cookie=rng.randbytes(size))) for size in (1, 32, dtls.MAX_COOKIE_LENGTH)]
    return [bytes(f) for f in flights]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "corpora")
    args = parser.parse_args()
    print(f"seed {args.seed}")
    rng = random.Random(args.seed)
    (record,) = Datagram.parse(aiortc_client_hello()).records
    (message,) = dtls.parse_handshakes(record.fragment)
    hello = replace(ClientHello.parse(message.body), random=rng.randbytes(dtls.RANDOM_LENGTH))
    directory = args.out / TARGET
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        if old.is_file() and SHA1_NAME.match(old.name):
            old.unlink()
    written = {hashlib.sha1(data).hexdigest(): data for data in seeds(hello, rng)}
    for name, data in written.items():
        (directory / name).write_bytes(data)
    print(f"{len(written)} seeds written to {directory}")


if __name__ == "__main__":
    main()
