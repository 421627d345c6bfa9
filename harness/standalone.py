"""Each target as a standalone libFuzzer script, the shape OSS-Fuzz and ClusterFuzzLite build and run.

A standalone script is `TestOneInput` and `atheris.Setup(sys.argv, TestOneInput); atheris.Fuzz()`, with no
harness process around it: no worker, no triage. It drives the target as the harness's fuzzer does (the
target's repair, its instrumented modules, its structure-aware mutator, `random` fresh for every input, the
watchdog, the oracle, the harness's own classifier): a refusal in `rejects` is a normal return and any
other outcome is a crash. A bug is run once more outside the classifier, so that libFuzzer's crash report
shows the component's own traceback: ClusterFuzz's crash state (the innermost frames) then tells one bug
from another as the harness's signature does.

Known bugs: while fuzzing (libFuzzer given corpus folders), the bugs known_bugs.toml held for the target
when its script was written are passed over, as the harness's fuzzer passes over its skip list: the pinned
stack's known STUN and RTP bugs are found within a thousand runs, and a fuzzer that stops on them every
night fuzzes nothing else. Run on files (libFuzzer's reproduction, ClusterFuzzLite's check of a crash),
every bug crashes, known or not; `python -m harness repro TARGET FILE` says which it is.

`python -m harness.standalone --scripts DIR --out OUT` writes one tiny script per target of the project
(`DIR/<target>.py`, importing its target module statically so that PyInstaller's analysis finds it) and,
for each, `OUT/<target>_seed_corpus.zip` and `OUT/<target>.dict`: .clusterfuzzlite/build.sh calls it.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from harness import fresh_random, project
from harness.errors import UsageError
from harness.known_bugs import Registry
from harness.target import Target, target_files
from harness.verdict import BUG, HANG, bug_from_overrun, watched_classifier
from harness.watchdog import Watchdog
from harness.worker import DEFAULT_TIMEOUT

SCRIPT = '''\
"""The {name} target as a standalone libFuzzer script (written by python -m harness.standalone)."""

import sys

import atheris

from harness import standalone
from targets import {name}  # a static import: PyInstaller's analysis follows it

# known_bugs.toml's bugs of this target when the script was written: passed over while fuzzing.
KNOWN_BUGS: tuple[str, ...] = {known}

target = {name}.target
TestOneInput = standalone.test_one_input(target, KNOWN_BUGS, sys.argv)

if __name__ == "__main__":
    atheris.Setup(standalone.libfuzzer_args(target, sys.argv), TestOneInput, **standalone.mutators(target))
    atheris.Fuzz()
'''


class Finding(Exception):
    """A bug that left no exception of its own to show: a hang, or one that did not happen again when rerun."""


def reproducing(argv: Sequence[str]) -> bool:
    """Whether libFuzzer runs the given files (and fuzzes nothing): its arguments other than flags are files."""
    paths = [arg for arg in argv[1:] if not arg.startswith("-")]
    return bool(paths) and not any(os.path.isdir(path) for path in paths)


def test_one_input(
    target: Target, known: Iterable[str] = (), argv: Sequence[str] = (), timeout: float = DEFAULT_TIMEOUT
) -> Callable[[bytes], None]:
    """The target's TestOneInput; instruments its modules first, as the harness's fuzzer child does.

    `known` bugs are passed over unless libFuzzer is reproducing files (`argv`). The watchdog's timeout is the
    worker's (libFuzzer's -timeout stays the backstop for a hang in C).
    """
    # atheris_child imports atheris, which the generator of the scripts does not need: imported here.
    from harness.engines.atheris_child import instrument_modules, passing_over

    instrument_modules(target.instrument)
    classify = watched_classifier(target, Watchdog(max(timeout, target.slow_input_seconds)), with_traceback=False)
    passes_over = passing_over(set() if reproducing(argv) else set(known))

    def one_input(data: bytes) -> None:
        outcome = classify(data)
        signature = outcome.signature
        if outcome.verdict != BUG or signature is None:
            return
        if passes_over(signature):
            return
        detail = ""
        if outcome.kind == HANG:  # the stack samples the watchdog took: the loop is in each
            detail = "\n" + bug_from_overrun(target, with_traceback=True).traceback
        else:  # again, unwatched: its exception propagates with the component's frames
            fresh_random.restore()
            try:
                target.run(data)
            except target.rejects:
                pass
        raise Finding(f"{target.name}: {signature} (python -m harness repro {target.name} FILE){detail}")

    return one_input


def libfuzzer_args(target: Target, argv: Sequence[str]) -> list[str]:
    """libFuzzer's arguments, with the target's longest input unless the caller gives one (as the harness does)."""
    args = list(argv)
    if not any(arg.startswith("-max_len=") for arg in args[1:]):
        args.insert(1, f"-max_len={target.max_len}")
    return args


def mutators(target: Target) -> dict[str, Callable[..., bytes]]:
    """atheris.Setup's custom_mutator and custom_crossover, where the target mutates structures."""
    from harness.engines.atheris_child import structure_aware

    return structure_aware(target)


def seed_inputs(corpus: Path) -> list[Path]:
    """A target's seeds, without regressions/ (known bugs' reproducers): a seed that crashes stops a libFuzzer
    process before it fuzzes; the harness's own replay runs the regressions."""
    return sorted(path for path in corpus.iterdir() if path.is_file()) if corpus.is_dir() else []


def write_seed_corpus(corpus: Path, destination: Path) -> int:
    """OSS-Fuzz's <target>_seed_corpus.zip: the seeds at the top of the archive, by their names."""
    seeds = seed_inputs(corpus)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for seed in seeds:
            # A fixed date: the same corpus gives the same archive.
            archive.writestr(zipfile.ZipInfo(seed.name, date_time=(1980, 1, 1, 0, 0, 0)), seed.read_bytes())
    return len(seeds)


def write_fuzzers(scripts: Path, out: Optional[Path], names: Optional[Sequence[str]] = None) -> list[str]:
    """One script per target in `scripts`; each target's seed corpus and dictionary in `out`. Returns the names."""
    current = project.current()
    files = target_files(current.targets)
    chosen = list(names or files)
    registry = Registry.load(current.known_bugs)
    unknown = [name for name in chosen if name not in files]
    if unknown:
        raise UsageError(f"unknown target {unknown[0]!r} (known: {', '.join(files)})")
    try:
        scripts.mkdir(parents=True, exist_ok=True)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
        for name in chosen:
            signatures = sorted(bug.signature for bug in registry.for_target(name))
            known = "".join(f"\n    {signature!r}," for signature in signatures)
            (scripts / f"{name}.py").write_text(SCRIPT.format(name=name, known=f"({known}\n)" if known else "()"))
            if out is None:
                continue
            write_seed_corpus(current.corpora / name, out / f"{name}_seed_corpus.zip")
            dictionary = current.targets / f"{name}.dict"
            if dictionary.is_file():
                (out / f"{name}.dict").write_bytes(dictionary.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot write the fuzzers: {exc}") from None
    return chosen


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.standalone", description=__doc__.splitlines()[0])
    parser.add_argument("--scripts", type=Path, required=True, help="where the per-target scripts go")
    parser.add_argument("--out", type=Path, help="where <target>_seed_corpus.zip and <target>.dict go ($OUT)")
    parser.add_argument("targets", nargs="*", metavar="TARGET", help="default: every target of the project")
    args = parser.parse_args(argv)
    try:
        written = write_fuzzers(args.scripts, args.out, args.targets)
    except UsageError as exc:
        print(f"harness.standalone: error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(str(args.scripts / f"{name}.py") for name in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
