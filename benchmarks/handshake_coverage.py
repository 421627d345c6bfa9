"""aiortc's DTLS transport as far as each DTLS target takes it: dtls_handshake against the byte-level dtls_records.

Both targets drive aiortc's RTCDtlsTransport and guide atheris by the coverage of the same module
(aiortc.rtcdtlstransport): dtls_records mutates the bytes of one client flight to a server-role
transport; dtls_handshake plays conversations of handshake moves, with deviations, in either role.
In the same run, with the same budget, libFuzzer seed and engine (atheris, one job), each is
fuzzed from its own seed corpus, regressions/ included (libFuzzer reads the folder recursively);
dtls_records, the older target, is the baseline. Each target's seeds alone, then its
seeds with the corpus the fuzzer kept, are replayed, each in a fresh process, which measures:
- the lines of aiortc/rtcdtlstransport.py run (coverage.py, that file only, of its statements);
- the distinct handshake states reached: OpenSSL's own state string (SSL_state_string_long, through
  pyOpenSSL's get_state_string) noted after every datagram the transport handled, by a probe around
  RTCDtlsTransport._recv_next installed in the replaying process only (never while fuzzing).
Prints executions, libFuzzer's coverage of the instrumented module, lines and states, each side by
side and as the ratio dtls_handshake / dtls_records, and the states only one of them reached.
A measurement, not a test: exit 0 whatever the figures are, 2 on bad arguments. Run it alone.

The default run (60 s a target) takes about 2.5 minutes; --quick (10 s a target) about 25 s.

usage: python benchmarks/handshake_coverage.py [--seconds 60] [--seed 1] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

from fuzz_run import fuzz

from harness import project
from harness.target import load_target

ROOT = project.current().root

BASELINE, CANDIDATE = "dtls_records", "dtls_handshake"
QUICK_SECONDS = 10
REPLAY_TIMEOUT = 5.0  # seconds per input when replaying: the fuzzer's own per-input timeout


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def measure(name: str, corpus: Path) -> dict[str, Any]:
    """What the seeds alone, and the seeds with `corpus`, reach: each in a fresh process, so that both
    count what a first input runs once (aiortc's certificate, say) alike."""
    reached = {}
    for what, kept in (("seeds", None), ("fuzzed", corpus)):
        command = [sys.executable, __file__, "--measure", name, *([str(kept)] if kept is not None else [])]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{name}: replay failed: {done.stderr.strip()[-500:]}")
        reached[what] = json.loads(done.stdout)
    return reached


def measure_here(name: str, corpus: Optional[Path]) -> dict[str, Any]:
    """Replay the target's seeds (and `corpus`) under coverage.py, noting OpenSSL's state after every datagram."""
    import coverage
    from aiortc import rtcdtlstransport

    from harness.verdict import watched_classifier
    from harness.watchdog import Watchdog

    states: set[str] = set()
    handle_datagram = rtcdtlstransport.RTCDtlsTransport._recv_next

    async def probed(transport: rtcdtlstransport.RTCDtlsTransport) -> None:
        try:
            await handle_datagram(transport)
        finally:
            if transport._ssl is not None:
                states.add(transport._ssl.get_state_string().decode())

    rtcdtlstransport.RTCDtlsTransport._recv_next = probed  # type: ignore[method-assign, assignment]
    module = str(Path(rtcdtlstransport.__file__ or "").resolve())
    target = load_target(name)
    classify = watched_classifier(target, Watchdog(REPLAY_TIMEOUT), with_traceback=False)
    folders = [target.seed_dir, *([corpus] if corpus is not None and corpus.is_dir() else [])]
    inputs = [p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()]
    cov = coverage.Coverage(include=[module], data_file=None)
    cov.start()
    for data in inputs:
        classify(data)
    cov.stop()
    statements = len(cov.analysis2(module)[1])
    return {"inputs": len(inputs), "lines": len(cov.get_data().lines(module) or ()), "of": statements,
            "states": sorted(states)}  # fmt: skip


def ratio(candidate: float, baseline: float) -> str:
    return f"{candidate / baseline:.2f}" if baseline else ("inf" if candidate else "-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="atheris budget of each target")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help=f"a smoke test: {QUICK_SECONDS} s a target")
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        print(json.dumps(measure_here(sys.argv[2], Path(sys.argv[3]) if len(sys.argv) > 3 else None)))
        return 0
    args = parser.parse_args()
    seconds = QUICK_SECONDS if args.quick else args.seconds
    if seconds <= 0:
        print("handshake_coverage: error: --seconds must be positive", file=sys.stderr)
        return 2
    print(f"seed {args.seed}, {seconds} s of atheris (1 job) per target, aiortc/rtcdtlstransport.py")
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="handshake-coverage-") as tmp:
        for name in (BASELINE, CANDIDATE):
            workdir = Path(tmp) / name
            progress(f"[{name}] fuzzing for {seconds}s, seed {args.seed}")
            stats = fuzz(name, workdir, seconds, args.seed)
            rows[name] = {"executions": stats["executions"], "coverage": stats["coverage"],
                          **measure(name, workdir / "corpus" / name)}  # fmt: skip
            progress(f"[{name}] {stats['executions']} execs, {rows[name]['fuzzed']['lines']} lines")
    base, cand = rows[BASELINE], rows[CANDIDATE]
    figures = [
        ("executions", base["executions"], cand["executions"]),
        ("libFuzzer coverage (edges)", base["coverage"], cand["coverage"]),
        ("lines, seeds alone", base["seeds"]["lines"], cand["seeds"]["lines"]),
        ("lines, seeds and fuzzed corpus", base["fuzzed"]["lines"], cand["fuzzed"]["lines"]),
        ("handshake states, seeds alone", len(base["seeds"]["states"]), len(cand["seeds"]["states"])),
        ("handshake states, seeds and fuzzed corpus", len(base["fuzzed"]["states"]), len(cand["fuzzed"]["states"])),
    ]
    print(f"\nof {base['fuzzed']['of']} statements; inputs replayed: {BASELINE} {base['fuzzed']['inputs']}, "
          f"{CANDIDATE} {cand['fuzzed']['inputs']}\n")  # fmt: skip
    print(f"| figure | {BASELINE} | {CANDIDATE} | ratio |")
    print("|---|---|---|---|")
    for figure, baseline, candidate in figures:
        print(f"| {figure} | {baseline} | {candidate} | {ratio(candidate, baseline)} |")
    for name, other in ((BASELINE, CANDIDATE), (CANDIDATE, BASELINE)):
        only = sorted(set(rows[name]["fuzzed"]["states"]) - set(rows[other]["fuzzed"]["states"]))
        print(f"\nstates only {name} reached ({len(only)}): {'; '.join(only) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
