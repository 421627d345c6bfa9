"""What learning a model of the DTLS transport costs, from an empty query cache and again with it warm.

For each model (dtls-server, dtls-client), in one run: learn from an empty cache in a new
folder, then learn again over the cache the first run left. Printed per run: states, membership
queries, equivalence tests, moves asked, moves answered from the cache, transports made (the
real resets), moves played on them, disagreements put to a vote, and wall time; then the warm
relearn's time as a fraction of the cold one, and both against the goals (cold at most 600 s on
2 cores, warm at most a tenth of cold). The warm relearn must give the same model: a difference
is printed. A measurement, not a test: it exits 0 whatever the numbers are (2 on bad
arguments). Run it alone on the machine.

usage: python benchmarks/learning.py [--models dtls-server,dtls-client] [--seed 0] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.conformance.dtls_adapters import AiortcAdapter  # noqa: E402
from harness.learning.learn import MODELS, Learned, learn  # noqa: E402

COLD_GOAL_SECONDS = 600.0
WARM_GOAL_FRACTION = 0.1
COLUMNS = ("run", "states", "membership", "equivalence", "moves asked", "from cache", "transports", "live moves",
           "votes", "seconds")  # fmt: skip


def row(run: str, learned: Learned) -> list[str]:
    s = learned.statistics
    return [
        run,
        str(len(learned.model.states)),
        str(learned.membership_queries),
        str(learned.equivalence_tests),
        str(s.steps),
        str(s.cached_steps),
        str(s.transports),
        str(s.live_steps),
        str(s.votes),
        f"{learned.seconds:.1f}",
    ]


def table(rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated (default all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write the table here")
    args = parser.parse_args()
    names = args.models.split(",")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.exit(2, f"learning.py: error: no model {unknown[0]!r} (models: {', '.join(MODELS)})\n")
    lines = [f"# Learning cost, aiortc {AiortcAdapter.version}, seed {args.seed}", ""]
    adapter = AiortcAdapter()
    for name in names:
        with tempfile.TemporaryDirectory() as cache:
            print(f"[{name}] cold", file=sys.stderr, flush=True)
            cold = learn(adapter, name, cache_dir=Path(cache), seed=args.seed)
            print(f"[{name}] warm", file=sys.stderr, flush=True)
            warm = learn(adapter, name, cache_dir=Path(cache), seed=args.seed)
        fraction = warm.seconds / cold.seconds
        same = str(cold.model) == str(warm.model)
        warm_verdict = "met" if fraction <= WARM_GOAL_FRACTION else "NOT met"
        cold_verdict = "met" if cold.seconds <= COLD_GOAL_SECONDS else "NOT met"
        lines += [f"## {name}", "", *table([row("cold", cold), row("warm", warm)]), ""]
        lines.append(
            f"warm / cold: {fraction:.3f} (goal <= {WARM_GOAL_FRACTION}: {warm_verdict}); "
            f"cold {cold.seconds:.0f} s (goal <= {COLD_GOAL_SECONDS:.0f} s: {cold_verdict}); "
            f"the warm relearn gives {'the same model' if same else 'ANOTHER MODEL'}"
        )
        lines.append("")
        print("\n".join(lines[-6:]), flush=True)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
