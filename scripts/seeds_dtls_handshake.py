"""Write the seed corpus of dtls_handshake: conversations, named by their SHA-1.

Why: a conversation is a start and moves (harness/peers/dtls_scripts.py). The seeds give the
fuzzer every kind of path through RTCDtlsTransport: the whole handshake in both roles, with and
without data and media after it; the cookie exchange; an impostor in the peer's place; a wrong
Finished; a certificate and signature of someone else; hellos without DTLS-SRTP or with profiles
and suites aiortc does not offer; fragments, duplicates, replays, records of the next epoch; and
alerts before and after the handshake. None delivers data before the peer's Finished (a known bug,
whose reproducer is under regressions/). Nothing here is random. The corpus directory is emptied
of earlier seeds first; subfolders are left alone.

Usage, from the repository root:  python scripts/seeds_dtls_handshake.py
"""

from __future__ import annotations

import hashlib

from harness import project
from harness.conformance.dtls_adapters import CLIENT, SERVER
from harness.peers.dtls_deviations import BY_NAME
from harness.peers.dtls_scripts import HAPPY, Move, Script, Start, encode

ROOT = project.current().root

HANDSHAKE_LENGTH = {SERVER: 6, CLIENT: 7}  # the moves of HAPPY before application data and media


def script(role: str, *moves: str, impostor: bool = False, **deviations: str) -> bytes:
    """The moves by name; `deviations` maps a move's position (as "at<n>", from 0) to a deviation's name."""
    chosen = {int(key.removeprefix("at")): BY_NAME[name] for key, name in deviations.items()}
    played = tuple(Move(move, chosen.get(position)) for position, move in enumerate(moves))
    return encode(Script(Start(role, impostor), played))


def seeds() -> list[bytes]:
    found = []
    for role in (SERVER, CLIENT):
        happy = HAPPY[role]
        handshake = happy[: HANDSHAKE_LENGTH[role]]
        finished = len(handshake) - 1
        found += [
            script(role, *happy),
            script(role, *handshake),
            script(role, *happy, impostor=True),
            script(role, *handshake, **{f"at{finished}": "wrong_verify_data"}),
            script(role, *handshake, **{"at0": "without_use_srtp"}),
            script(role, *handshake, **{"at0": "unoffered_srtp_profile"}),
            script(role, *handshake, **{"at0": "fragmented", "at1": "fragmented"}),
            script(role, *handshake, **{f"at{finished}": "twice"}),
            script(role, *handshake, **{f"at{finished}": "tampered"}),
            script(role, *handshake, **{f"at{finished - 1}": "next_epoch"}),
            script(role, *happy, "Alert", **{f"at{len(happy)}": "close_notify"}),
            script(role, *happy, "Alert", "ApplicationData"),
            script(role, *happy, "ApplicationData", **{f"at{len(happy)}": "replayed_first"}),
            script(role, *happy, "ApplicationData", **{f"at{len(happy)}": "oversized_data"}),
            script(role, "SRTP", "Alert"),
        ]
    found += [
        script(SERVER, *HAPPY[SERVER], **{"at1": "foreign_certificate", "at3": "foreign_signature"}),
        script(CLIENT, *HAPPY[CLIENT], **{"at1": "foreign_certificate", "at2": "foreign_signature"}),
        script(CLIENT, "HelloVerifyRequest", *HAPPY[CLIENT]),
        script(SERVER, "ClientHelloWithCookie", *HAPPY[SERVER][1:]),
        script(SERVER, "ClientHello", "EmptyCertificate", *HAPPY[SERVER][2:]),
        script(CLIENT, *HAPPY[CLIENT], **{"at0": "srtp_mki"}),
        script(SERVER, *HAPPY[SERVER], **{"at2": "invalid_share"}),
        script(SERVER, *HAPPY[SERVER], **{"at0": "unoffered_cipher_suite"}),
        script(SERVER, *HAPPY[SERVER], **{"at2": "after_next"}),
        script(CLIENT, *HAPPY[CLIENT], **{"at3": "stale_message_seq", "at4": "skipped_message_seq"}),
    ]
    return found


def main() -> None:
    corpus = ROOT / "corpora" / "dtls_handshake"
    corpus.mkdir(parents=True, exist_ok=True)
    for old in corpus.iterdir():
        if old.is_file():
            old.unlink()
    for seed in seeds():
        (corpus / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f"wrote {len(list(corpus.glob('*')))} entries under {corpus.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
