"""Write the seed corpus of sdp_structured, deterministically, from the SDP codec's sources.

Seeds: the recorded and browser-shaped SDPs of corpora/sdp_parse re-encoded by the codec (they
round-trip byte for byte), the RFC 8866 §5 and RFC 8839 §4.2.6 examples, and field-level
mutations of those drawn with a fixed seed. Only seeds that aiortc accepts or refuses the
documented way are kept: a seed that shows a bug belongs in a reproducer, not in the corpus.
Files are named by the SHA-1 of their content; earlier seeds are removed, subfolders are kept.

Usage, from the repository root:  python scripts/seeds_sdp.py [--seed 1] [--mutants 12]
"""

from __future__ import annotations

import argparse
import hashlib
import random
from pathlib import Path

from harness import project
from harness.protocols.sdp import SessionDescription
from harness.protocols.sdp_fuzzing import mutate
from harness.target import load_target
from harness.verdict import classify_call

ROOT = project.current().root

VECTORS_DIR = project.current().vectors


TARGET = "sdp_structured"
SOURCE = ROOT / "corpora" / "sdp_parse"

RFC_EXAMPLES = sorted(VECTORS_DIR.glob("sdp_*.sdp"))


def rfc_examples() -> list[bytes]:
    return [path.read_bytes() for path in RFC_EXAMPLES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mutants", type=int, default=12)
    parser.add_argument("--out", type=Path, default=ROOT / "corpora" / TARGET)
    args = parser.parse_args()
    print(f"seed {args.seed}")
    rng = random.Random(args.seed)
    target = load_target(TARGET)

    recorded = [p.read_bytes() for p in sorted(SOURCE.iterdir()) if p.is_file()]
    descriptions = [SessionDescription.parse(data) for data in recorded + rfc_examples()]
    candidates = [bytes(d) for d in descriptions]
    for _ in range(args.mutants * 4):  # more than needed: some mutants show bugs and are left out
        candidates.append(mutate(rng.choice(descriptions), rng))

    seeds: dict[str, bytes] = {}
    mutants = 0
    for index, data in enumerate(candidates):
        is_mutant = index >= len(descriptions)
        if is_mutant and mutants >= args.mutants:
            break
        if classify_call(target, data, with_traceback=False).is_bug:
            continue
        name = hashlib.sha1(data).hexdigest()
        mutants += is_mutant and name not in seeds
        seeds[name] = data

    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.iterdir():
        if old.is_file() and len(old.name) == 40:
            old.unlink()
    for name, data in seeds.items():
        (args.out / name).write_bytes(data)
    print(f"wrote {len(seeds)} seeds ({mutants} mutants) to {args.out}")


if __name__ == "__main__":
    main()
