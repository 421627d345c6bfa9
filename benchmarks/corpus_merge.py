"""What `merge` keeps of a corpus the fuzzer grew: files, bytes and coverage after, as ratios of before.

For each target, in one run: fuzz it with the harness (`python -m harness fuzz`, atheris, a fixed
seed and budget, from its seeds) into a fresh work folder, so that its working corpus is what one
night grows; measure that corpus's coverage as the fuzzer measures a corpus it loads (libFuzzer's
INITED `cov:` and `ft:`, harness.corpus.coverage); merge it into an empty folder (harness.corpus.merge);
print files, bytes, edges and features before and after, and the ratios after / before. Merge keeps
every feature by construction, so the coverage ratios should be 1.00 and the files ratio well below.
A measurement, not a test: it exits 0 whatever the numbers are (2 on bad arguments). Run it alone.

usage: python benchmarks/corpus_merge.py [--budget 30] [--seed 1] [--jobs 2] [--targets sdp_parse,stun_parse]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import corpus, project
from harness.errors import UsageError
from harness.known_bugs import Registry
from harness.target import load_target


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=30.0, help="fuzzing seconds per target (default 30)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--targets", default="sdp_parse,stun_parse", help="text and binary (default sdp_parse,stun_parse)"
    )
    args = parser.parse_args()
    known = [bug.signature for bug in Registry.load(project.current().known_bugs).bugs]
    try:
        targets = [load_target(name) for name in args.targets.split(",")]
    except UsageError as exc:
        parser.exit(2, f"corpus_merge: error: {exc}\n")
    print(f"seed {args.seed}, budget {args.budget:g} s per target, jobs {args.jobs}")
    print("| target | files | bytes | edges | features | merge seconds |")
    print("|---|---|---|---|---|---|")
    for target in targets:
        with tempfile.TemporaryDirectory(prefix="corpus-merge-") as scratch:
            work = Path(scratch) / "work"
            command = [sys.executable, "-m", "harness", "fuzz", target.name, "--budget", f"{args.budget:g}"]
            command += ["--seed", str(args.seed), "--jobs", str(args.jobs), "--workdir", str(work)]
            progress(f"[{target.name}] {' '.join(command[1:])}")
            subprocess.run(command, stdout=subprocess.DEVNULL, check=False)  # exit 1 on a new bug: still measured
            grown = work / "corpus" / target.name
            before_size = corpus.Size.of(corpus.inputs_of(grown))
            before = corpus.coverage(target, grown, known=known)
            started = time.monotonic()
            merged = corpus.merge(target, Path(scratch) / "merged", [grown], known=known, progress=progress)
            seconds = time.monotonic() - started
        after, reached = merged.after, merged.coverage
        print(
            f"| {target.name} | {before_size.files} -> {after.files} ({after.files / before_size.files:.2f})"
            f" | {before_size.octets} -> {after.octets} ({after.octets / before_size.octets:.2f})"
            f" | {before.edges} -> {reached.edges} ({reached.edges / before.edges:.2f})"
            f" | {before.features} -> {reached.features} ({reached.features / before.features:.2f})"
            f" | {seconds:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
