"""Write corpora/stun_integrity/: STUN messages addressed to the target's ICE agents, named by sha1.

Sources: the four RFC 5769 messages (vectors/stun_rfc5769.json) and the messages a live
aiortc pair exchanged (corpora/stun_parse/), re-addressed to the target's agents (requests get
its USERNAME, responses the pending transaction's ID), plus messages built with the codec for
the branches behind the integrity check: both roles and tie-breakers on either side of the
agent's, USE-CANDIDATE, error responses, IPv6, unknown attributes, MESSAGE-INTEGRITY-SHA256,
the non-Binding methods and an indication. Every seed is signed as the target's repair would and
must be accepted by the target without a finding. Usage: python scripts/seeds_stun.py [--seed N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from dataclasses import replace

from harness import project
from harness.protocols import stun
from harness.target import load_target

ROOT = project.current().root

VECTORS_DIR = project.current().vectors


VECTORS = VECTORS_DIR / "stun_rfc5769.json"
RECORDED = ROOT / "corpora" / "stun_parse"
OUTPUT = ROOT / "corpora" / "stun_integrity"


def readdressed(message: stun.Message, *, username: str, pending_id: bytes) -> stun.Message:
    """An ICE check for the target's agent (its USERNAME), or a response to its pending transaction."""
    if message.message_class in (stun.SUCCESS_RESPONSE, stun.ERROR_RESPONSE):
        address = message.attribute(stun.XOR_MAPPED_ADDRESS)
        if address is not None:  # keep the address it carried, re-encoded for the new transaction ID
            decoded = stun.XorMappedAddress.from_attribute(address, message.transaction_id)
            items = tuple(decoded.to_attribute(pending_id) if a is address else a for a in message.attributes)
            message = replace(message, attributes=items)
        return replace(message, transaction_id=pending_id)
    if message.attribute(stun.PRIORITY) is None:  # not an ICE check (RFC 5769 §2.4): kept, it fails USERNAME
        return message
    items = tuple(stun.Attribute(stun.USERNAME, username.encode()) if a.type == stun.USERNAME else a
                  for a in message.attributes)  # fmt: skip
    return replace(message, attributes=items)


def sealed(*body: stun.Attribute, fingerprint: bool = True) -> tuple[stun.Attribute, ...]:
    seal = (stun.Attribute(stun.MESSAGE_INTEGRITY, bytes(20)),)
    return body + seal + ((stun.Attribute(stun.FINGERPRINT, bytes(4)),) if fingerprint else ())


def built(rng: random.Random, *, username: str, pending_id: bytes) -> list[stun.Message]:
    """Messages for the branches behind the integrity check, with random transaction IDs and values."""
    user = stun.Attribute(stun.USERNAME, username.encode())
    priority = stun.unsigned(stun.PRIORITY, rng.randrange(2**32), 4)
    low, high = rng.randrange(2**63), rng.randrange(2**63, 2**64)  # either side of the agents' tie-breaker
    messages = []
    for role in (stun.ICE_CONTROLLING, stun.ICE_CONTROLLED):
        for tie_breaker in (low, high):
            tie = stun.unsigned(role, tie_breaker, 8)
            messages.append(stun.Message(stun.BINDING, stun.REQUEST, rng.randbytes(12), sealed(user, priority, tie)))
            nominate = stun.Attribute(stun.USE_CANDIDATE, b"")
            messages.append(
                stun.Message(stun.BINDING, stun.REQUEST, rng.randbytes(12), sealed(user, priority, tie, nominate))
            )
    unknown_required = stun.Attribute(rng.randrange(0x0030, 0x7FFF), rng.randbytes(5))
    unknown_optional = stun.Attribute(rng.randrange(0x8030, 0xFFFF), rng.randbytes(7))
    sha256 = stun.Attribute(stun.MESSAGE_INTEGRITY_SHA256, bytes(32))
    messages += [
        stun.Message(stun.BINDING, stun.REQUEST, rng.randbytes(12), sealed(user, priority, unknown_required)),
        stun.Message(stun.BINDING, stun.REQUEST, rng.randbytes(12), sealed(user, priority, unknown_optional)),
        stun.Message(stun.BINDING, stun.REQUEST, rng.randbytes(12), (user, priority, sha256) + sealed()),
        stun.Message(stun.BINDING, stun.REQUEST, rng.randbytes(12), sealed(user, priority, fingerprint=False)),
        stun.Message(stun.BINDING, stun.INDICATION, rng.randbytes(12), (stun.Attribute(stun.FINGERPRINT, bytes(4)),)),
    ]
    messages += [stun.Message(method, stun.REQUEST, rng.randbytes(12), sealed(user)) for method in stun.METHODS[1:4]]
    for family, length in ((stun.IPV4, 4), (stun.IPV6, 16)):
        address = stun.XorMappedAddress(family, rng.randrange(1, 2**16), rng.randbytes(length))
        body = sealed(address.to_attribute(pending_id))
        messages.append(stun.Message(stun.BINDING, stun.SUCCESS_RESPONSE, pending_id, body))
    for code in (400, 401, 420, 487, 500):
        error = stun.ErrorCode(code, "seed").to_attribute()
        extra = (stun.unknown_attributes((unknown_required.type,)),) if code == 420 else ()
        messages.append(stun.Message(stun.BINDING, stun.ERROR_RESPONSE, pending_id, sealed(error, *extra)))
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=5769)
    seed = parser.parse_args().seed
    print(f"seed {seed}")
    target = load_target("stun_integrity")
    from stun_integrity import CHECK_USERNAME, PENDING_TRANSACTION_ID  # the target's own agents

    vectors = [bytes.fromhex(v["inputs"]["message_hex"]) for v in json.loads(VECTORS.read_text())["vectors"]]
    recorded = [p.read_bytes() for p in sorted(RECORDED.iterdir()) if p.is_file()]
    sources = [stun.Message.parse(data) for data in vectors + recorded]
    messages = [readdressed(m, username=CHECK_USERNAME, pending_id=PENDING_TRANSACTION_ID) for m in sources]
    messages += built(random.Random(seed), username=CHECK_USERNAME, pending_id=PENDING_TRANSACTION_ID)

    OUTPUT.mkdir(parents=True, exist_ok=True)
    seeds = {}
    for message in messages:
        assert target.repair is not None
        data = target.repair(bytes(message))
        target.run(data)  # a seed that raises is a finding, not a seed: fail here
        seeds[hashlib.sha1(data).hexdigest()] = data
    for name, data in sorted(seeds.items()):
        (OUTPUT / name).write_bytes(data)
    print(f"wrote {len(seeds)} seeds to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
