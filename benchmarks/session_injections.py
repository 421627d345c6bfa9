"""Injections per second into a live aiortc call: the in-memory network against real UDP on 127.0.0.1.

Both session targets play the same seeded attacks in this process (no worker, no engine: what is
measured is the call and the liveness check): attacks on the connected call (the cheap, common
case, where the call is reused) and attacks on the way up (gathering, checking, handshake: a new
call each). Printed per variant: attacks, injections, findings, seconds, injections per
second; then the in-memory variant's rate as a multiple of UDP's, measured in the same run. A
measurement, not a test: it exits 0 whatever the numbers are (2 on bad arguments). Run it alone
on the machine.

usage: python benchmarks/session_injections.py [--attacks 200] [--seed 0] [--out FILE]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.peers.session import SENDERS, VARIANTS, WAY_UP  # noqa: E402
from harness.peers.session_injections import (  # noqa: E402
    CONNECTED,
    LAYERS,
    MAX_INJECTIONS,
    RAW,
    Attack,
    Injection,
    encode,
)
from harness.target import OracleViolation, load_target  # noqa: E402


def seeded_attacks(count: int, stages: tuple[str, ...], seed: int) -> list[bytes]:
    """Attacks of 1 to MAX_INJECTIONS injections of 20 to 200 random octets, every sender and layer but raw
    (an empty raw datagram kills the call: a known bug that would measure bring-up, not injection)."""
    rng = random.Random(seed)
    layers = [layer for layer in LAYERS if layer != RAW]
    return [
        encode(
            Attack(
                rng.choice(stages),
                rng.choice(("answerer", "offerer")),
                tuple(
                    Injection(rng.choice(SENDERS), rng.choice(layers), rng.randbytes(rng.randrange(20, 200)))
                    for _ in range(rng.randrange(1, MAX_INJECTIONS + 1))
                ),
            )
        )
        for _ in range(count)
    ]


def measure(variant: str, attacks: list[bytes]) -> dict[str, float]:
    target = load_target(f"session_{variant}")
    conversation = target.entry
    injections = findings = 0
    start = time.perf_counter()
    for data in attacks:
        try:
            transcript = target.run(data)
            injections += len(transcript.steps[0].injections)
        except OracleViolation:
            findings += 1
    seconds = time.perf_counter() - start
    conversation.discard()
    return {"attacks": len(attacks), "injections": injections, "findings": findings, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attacks", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.attacks < 1:
        parser.exit(2, "session_injections: --attacks must be at least 1\n")
    print(f"seed {args.seed}, {args.attacks} attacks per kind and variant", flush=True)
    lines = ["| attacks | variant | attacks run | injections | findings | seconds | injections/s |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    rates: dict[tuple[str, str], float] = {}
    for kind, stages in (("on the connected call", (CONNECTED,)), ("on the way up", WAY_UP)):
        attacks = seeded_attacks(args.attacks, stages, args.seed)
        for variant in VARIANTS:
            m = measure(variant, attacks)
            rates[kind, variant] = m["injections"] / m["seconds"]
            lines.append(
                f"| {kind} | {variant} | {m['attacks']:.0f} | {m['injections']:.0f} | {m['findings']:.0f} | "
                f"{m['seconds']:.1f} | {rates[kind, variant]:.0f} |"
            )
            print(lines[-1], flush=True)
    lines.append("")
    for kind in ("on the connected call", "on the way up"):
        ratio = rates[kind, "memory"] / rates[kind, "udp"]
        lines.append(f"- {kind}: in memory {ratio:.2f}x the injections per second of UDP")
    print("\n".join(lines[-3:]))
    if args.out:
        args.out.write_text(f"`python benchmarks/session_injections.py --attacks {args.attacks} --seed {args.seed}`\n\n"
                            + "\n".join(lines) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
