"""Write the seed attacks of the session targets (corpora/session_udp/, corpora/session_memory/).

Each layer's message is the smallest seed of the parser target of that layer (the RFC 5769 request
among the STUN ones), so the seeds start from real messages; every layer is sent by every sender
once the call is connected, and once at every other stage by one sender in turn.

    python scripts/session_seeds.py
"""

import hashlib
import itertools
import json

from harness import project
from harness.peers.session import ANSWERER, OFFERER, SENDERS
from harness.peers.session_injections import CONNECTED, LAYERS, RAW, STAGES, STUN, Attack, Injection, encode

CORPORA_DIR = project.current().corpora
VECTORS_DIR = project.current().vectors


LAYER_SEEDS = {"dtls": "dtls_records", "srtp": "rtp_parse", "srtcp": "rtcp_parse", "sctp": "sctp_packet"}


def smallest_seed(target: str) -> bytes:
    files = [path for path in (CORPORA_DIR / target).iterdir() if path.is_file()]  # regressions/ left out
    return min(files, key=lambda path: (path.stat().st_size, path.name)).read_bytes()


def messages() -> dict[str, bytes]:
    vectors = json.loads((VECTORS_DIR / "stun_rfc5769.json").read_text())["vectors"]
    request = next(v for v in vectors if v["id"] == "rfc5769-2.1-request-short-term")["inputs"]["message_hex"]
    found = {layer: smallest_seed(target) for layer, target in LAYER_SEEDS.items()}
    return {RAW: bytes(32), STUN: bytes.fromhex(request), **found}


def attacks() -> list[Attack]:
    by_layer = messages()
    connected = [
        Attack(CONNECTED, victim, (Injection(sender, layer, by_layer[layer]),))
        for (sender, layer), victim in zip(itertools.product(SENDERS, LAYERS), itertools.cycle((ANSWERER, OFFERER)))
    ]
    senders, victims = itertools.cycle(SENDERS), itertools.cycle((ANSWERER, OFFERER))
    others = [
        Attack(stage, next(victims), (Injection(next(senders), layer, by_layer[layer]),))
        for stage in STAGES
        if stage != CONNECTED
        for layer in LAYERS
    ]
    return connected + others


if __name__ == "__main__":
    for target in ("session_udp", "session_memory"):
        folder = CORPORA_DIR / target
        folder.mkdir(exist_ok=True)
        for attack in attacks():
            data = encode(attack)
            (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
        print(f"{target}: {sum(path.is_file() for path in folder.iterdir())} seeds")
