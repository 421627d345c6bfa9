"""Coverage behind the integrity check: blind byte fuzzing against structure-aware fuzzing.

For each structure-aware target (sctp_chunks, stun_integrity, srtp_rtp_path, srtcp_rtcp_path by
default), in the same run, with the same budget, libFuzzer seed and seed inputs (the first few of
the target's corpus, so that what is reached is mostly what the fuzzer found):
- blind: the same receiver fed the fuzzer's bytes as they are: no repair of what the receiver
  verifies, no custom mutator or crossover. Its seeds are the structured seeds repaired once, so
  both sides start from the same valid messages on the wire;
- structured: the target as defined (repair, custom mutator and crossover).
Each produced corpus is then replayed under coverage.py, measuring only the target's
`instrument` modules, and the lines and branches reached are printed, together with the lines
*behind the gate*: those not reached by a message refused at the gate (a repaired seed whose
last byte, part of its CRC32c, FINGERPRINT or SRTP tag, is flipped). Goal: structured reaches at
least 2x the blind lines behind the gate. A measurement, not a test: exit 0 whatever the
figures are, 2 on bad arguments.

usage: python benchmarks/structure_coverage.py [--seconds 60] [--seed 1] [--seeds 3] [--targets a,b]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fuzz_run import fuzz  # noqa: E402

from harness.target import Target, load_target, target_files  # noqa: E402

DEFAULT_TARGETS = ("sctp_chunks", "stun_integrity", "srtp_rtp_path", "srtcp_rtcp_path")
GOAL = 2.0
REPLAY_TIMEOUT = 1.0  # seconds per input when replaying a corpus under coverage

# A renamed copy of a real target, so both variants run through the unchanged engine.
VARIANT = """import dataclasses

from harness.target import load_target

target = dataclasses.replace(load_target({name!r}), name={variant!r}{changes})
"""
BLIND_CHANGES = ", repair=None, mutator=None, crossover=None, strategy=None"


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def seeds_of(target: Target, count: int) -> list[bytes]:
    """The first `count` seed files by name (sha1): a fixed, unbiased pick."""
    return [p.read_bytes() for p in sorted(target.seed_dir.glob("*")) if p.is_file()][:count]


def write_inputs(folder: Path, inputs: list[bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for data in inputs:
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def measure(variant: str, targets_dir: Path, corpus: Path, gate: Path) -> dict:
    """Lines and branches of the instrumented modules reached by the corpus (in a fresh process)."""
    command = [sys.executable, __file__, "--measure", variant, str(targets_dir), str(corpus), str(gate)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{variant}: coverage replay failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)


def measure_here(variant: str, targets_dir: Path, corpus: Path, gate: Path) -> dict:
    import coverage

    from harness.verdict import watched_classifier
    from harness.watchdog import Watchdog

    # The fuzzer passes over known hangs, so a corpus may hold one: interrupt it as the fuzzer did.
    watchdog = Watchdog(REPLAY_TIMEOUT)
    target = load_target(variant, targets_dir)
    files = sorted({f for f in map(module_file, loaded_modules(target.instrument)) if f.endswith(".py")})

    def reached(driven: Target, inputs: list[bytes]) -> tuple[set[tuple[str, int]], int]:
        cov = coverage.Coverage(branch=True, include=files, data_file=None)
        classify = watched_classifier(driven, watchdog, with_traceback=False)
        cov.start()
        for data in inputs:
            classify(data)
        cov.stop()
        recorded = cov.get_data()
        lines = {(f, line) for f in recorded.measured_files() for line in recorded.lines(f) or ()}
        report = corpus.parent / f"{variant}-coverage.json"
        cov.json_report(outfile=str(report))
        branches = json.loads(report.read_text())["totals"]["covered_branches"]
        return lines, branches

    inputs = [p.read_bytes() for p in sorted(corpus.iterdir()) if p.is_file()]
    lines, branches = reached(target, inputs)
    gate_lines, _ = reached(dataclasses.replace(target, repair=None), [gate.read_bytes()])  # on the wire as is
    return {"inputs": len(inputs), "lines": len(lines), "branches": branches, "behind_gate": len(lines - gate_lines)}


def loaded_modules(prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in list(sys.modules) if any(m == p or m.startswith(p + ".") for p in prefixes)]


def module_file(name: str) -> str:
    return str(Path(sys.modules[name].__file__ or "").resolve())


def ratio(structured: float, blind: float) -> str:
    return f"{structured / blind:.2f}" if blind else ("inf" if structured else "-")


def compare(name: str, seconds: int, seed: int, seed_count: int, work: Path) -> dict:
    target = load_target(name)
    seeds = seeds_of(target, seed_count)
    if not seeds or target.repair is None:
        raise RuntimeError(f"{name}: needs seeds in corpora/{name} and a repair")
    repair = target.repair
    wire = [repair(data) for data in seeds]
    gate = work / "gate-refused"
    gate.write_bytes(wire[0][:-1] + bytes([wire[0][-1] ^ 0xFF]))
    targets_dir = work / "targets"
    targets_dir.mkdir()
    row: dict = {"target": name, "seeds": len(seeds)}
    for side, changes, inputs in (("blind", BLIND_CHANGES, wire), ("structured", "", seeds)):
        variant = f"{name}_{side}"
        (targets_dir / f"{variant}.py").write_text(VARIANT.format(name=name, variant=variant, changes=changes))
        workdir = work / side
        write_inputs(workdir / "corpus" / variant, inputs)
        progress(f"[{name}] fuzzing {side} for {seconds}s, seed {seed}")
        stats = fuzz(variant, workdir, seconds, seed, targets_dir=targets_dir)
        covered = measure(variant, targets_dir, workdir / "corpus" / variant, gate)
        row[side] = {"executions": stats["executions"], **covered}
        progress(f"[{name}] {side}: {stats['executions']} execs, {covered}")
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--targets", default=",".join(DEFAULT_TARGETS))
    parser.add_argument("--seeds", type=int, default=3, help="seed inputs per side (few: the fuzzer finds the rest)")
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        print(json.dumps(measure_here(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))))
        return 0
    args = parser.parse_args()
    names = [n for n in args.targets.split(",") if n]
    unknown = [n for n in names if n not in target_files()]
    if args.seconds <= 0 or args.seeds <= 0 or unknown or not names:
        print(f"structure_coverage: error: unknown targets {unknown}, or a budget or seed count <= 0", file=sys.stderr)
        return 2
    print(f"seed {args.seed}, {args.seconds} s per side, {args.seeds} seed inputs per side, 1 job")
    rows = []
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"structure-{name}-") as tmp:
            try:
                rows.append(compare(name, args.seconds, args.seed, args.seeds, Path(tmp)))
            except RuntimeError as exc:
                progress(f"[{name}] skipped: {exc}")
    print()
    print(
        "| target | seeds | blind execs | structured execs | blind lines | structured lines | blind branches "
        "| structured branches | blind behind gate | structured behind gate | ratio behind gate |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        b, s = row["blind"], row["structured"]
        print(f"| {row['target']} | {row['seeds']} | {b['executions']} | {s['executions']} | {b['lines']} | "
              f"{s['lines']} | {b['branches']} | {s['branches']} | {b['behind_gate']} | {s['behind_gate']} | "
              f"{ratio(s['behind_gate'], b['behind_gate'])} |")  # fmt: skip
    print(f"\ngoal: structured >= {GOAL:g}x blind lines behind the gate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
