"""Corpus tools: merge several corpora into a coverage-preserving minimal one, prune one in place, measure one.

"Coverage" is what the fuzzer's `cov:` and `ft:` mean: libFuzzer's own merge (`-merge=1`) and its
loading of a corpus (`-runs=0`) run in the harness's atheris child (harness.engines.atheris_child), so
only the target's `instrument` modules count, the target's repair applies, and a known bug is passed
over as in fuzzing. libFuzzer's merge runs the inputs in a child of its own and starts it again past an
input that crashed it (an unknown bug, a hang in C, a known bug that cannot be passed over), so one such
input costs a restart, not the merge; inputs longer than the target's max_len are cut to it, as the
fuzzer cuts them when it loads a corpus.

merge and prune differ in what they may touch:
- `merge(target, out, inputs)` adds to `out` the inputs that bring features `out` lacks (libFuzzer's
  `-merge=1 OUT IN...`: what `out` holds counts as already kept, and stays);
- `prune(target, corpus)` shrinks one corpus in place to a minimal set of its own files, leaving its
  regressions/ (the known bugs' reproducers) alone. It writes the kept files before it deletes the
  others, so a prune killed half-way leaves a corpus that still holds every kept file; an input that
  crashed the merge's child (a bug not in the registry) is kept too, for replay to report.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional

from harness import project
from harness.bugs import atomic_write
from harness.errors import UsageError
from harness.target import Target
from harness.worker import BACKSTOP_GRACE, DEFAULT_RSS_LIMIT_MB, DEFAULT_TIMEOUT

REGRESSIONS = "regressions"  # corpora/<target>/regressions/: the known bugs' reproducers, never pruned
PROGRESS_EVERY = 2.0  # seconds between two progress lines of a long merge

_TOTAL = re.compile(r"^MERGE-INNER: (\d+) total files; (\d+) processed earlier")
_STATUS = re.compile(r"^#(\d+)\s+(?:pulse|DONE|INITED)\s+cov: (\d+) ft: (\d+)")
_FAILED = re.compile(r"^MERGE-INNER: '(.+)' caused a failure at the previous merge step")


@dataclass(frozen=True)
class Size:
    files: int
    octets: int

    @classmethod
    def of(cls, files: list[Path]) -> "Size":
        return cls(len(files), sum(f.stat().st_size for f in files))

    def __str__(self) -> str:
        return f"{self.files} files, {self.octets} bytes"


@dataclass(frozen=True)
class Coverage:
    """What libFuzzer reached with a corpus: edges (`cov:`) and features (`ft:`)."""

    edges: int
    features: int


@dataclass(frozen=True)
class MergeResult:
    target: str
    before: Size  # the inputs (and what `out` held), as given
    after: Size  # what the merged or pruned corpus holds
    coverage: Coverage  # what the kept files reach
    failed: tuple[str, ...]  # inputs that crashed the merge's child, left out

    def summary(self, verb: str) -> str:
        failed = f"; {len(self.failed)} input(s) crashed the merge and were left out" if self.failed else ""
        return (
            f"[{self.target}] {verb}: {self.before} -> {self.after}, "
            f"cov {self.coverage.edges} ft {self.coverage.features}{failed}"
        )


def inputs_of(directory: Path, *, regressions: bool = True) -> list[Path]:
    """The input files of a corpus folder (and of its subfolders, regressions/ only if asked), sorted."""
    if not directory.is_dir():
        raise UsageError(f"corpus {directory} does not exist or is not a directory")
    try:
        files = [p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".")]
    except OSError as exc:
        raise UsageError(f"corpus {directory} is unreadable: {exc.strerror or exc}") from None
    if not regressions:
        files = [p for p in files if REGRESSIONS not in p.relative_to(directory).parts[:-1]]
    return sorted(files)


class _LibFuzzer:
    """The atheris child of one target, runnable with libFuzzer flags from a folder of scratch files.

    libFuzzer's merge starts its inner runs as `argv[0] FLAGS...`, so argv[0] must be a program that
    runs the child with the target's arguments: a small shell script, written into the scratch folder.
    """

    def __init__(self, target: Target, scratch: Path, known: Iterable[str], *, timeout: float, rss_limit_mb: int):
        self.target = target
        self.scratch = scratch
        skip = scratch / "skip.txt"
        skip.write_text("\n".join(sorted(known)))
        self.program = scratch / "fuzzer"
        arguments = [str(self.program), target.name, str(project.current().targets), str(skip), str(timeout)]
        child = f"import sys; from harness.engines.atheris_child import main; sys.argv[0:1] = {arguments!r}; main()"
        # From the folder holding the harness, as the fuzzing engine starts its children.
        self.program.write_text(
            f"#!/bin/sh\ncd {shlex.quote(str(project.HARNESS_SOURCE))} && "
            f'exec {shlex.quote(sys.executable)} -c {shlex.quote(child)} "$@"\n'
        )
        self.program.chmod(0o700)
        self.flags = [
            "-seed=1",  # merging and loading mutate nothing; fixed all the same, so that a run repeats
            f"-timeout={max(1, int(timeout + BACKSTOP_GRACE))}",
            f"-rss_limit_mb={rss_limit_mb}",
            f"-max_len={target.max_len}",
            f"-artifact_prefix={scratch}/",
        ]

    def run(self, flags: list[str], on_line: Callable[[str], None]) -> int:
        # The worker's hash seed, so that an input behaves here as it does in the fuzzer and at triage.
        env = dict(os.environ, PYTHONHASHSEED="0")
        command = [str(self.program), *self.flags, *flags]
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env) as proc:
            assert proc.stderr is not None
            for raw in proc.stderr:
                on_line(raw.decode("utf-8", "replace").rstrip("\n"))
            return proc.wait()


HELD = "held-"  # the name prefix of what `out` held, beside libFuzzer's new files (named by their sha1)


def _linked_copy(files: list[Path], folder: Path, *, prefix: str = "") -> dict[str, Path]:
    """The files side by side in one flat folder (hard links where possible): what libFuzzer is given.

    Returns each link's name and the file it stands for (two folders may hold the same name).
    """
    folder.mkdir(exist_ok=True)
    links = {}
    for number, path in enumerate(files):
        link = folder / (f"{prefix}{path.name}" if prefix else f"{number:06d}-{path.name}")
        try:
            os.link(path, link)
        except OSError:
            link.write_bytes(path.read_bytes())
        links[link.name] = path
    return links


def _check_atheris() -> None:
    try:
        import atheris  # noqa: F401
    except ImportError:
        raise UsageError("merge, prune and coverage run libFuzzer through atheris: pip install -e '.[fuzz]'") from None


def _merge_into(fuzzer: _LibFuzzer, kept: Path, files: list[Path], progress: Callable[[str], None]) -> tuple[str, ...]:
    """libFuzzer's -merge=1 of `files` into the folder `kept`; returns the inputs that crashed its child."""
    name = fuzzer.target.name
    links = _linked_copy(files, fuzzer.scratch / "in")
    state = {"total": 0, "earlier": 0, "done": 0, "said": time.monotonic()}
    failed: list[str] = []

    def on_line(line: str) -> None:
        if match := _TOTAL.match(line):
            state["total"], state["earlier"], state["done"] = int(match[1]), int(match[2]), 0
        elif match := _STATUS.match(line):
            state["done"] = int(match[1])
        elif match := _FAILED.match(line):
            failed.append(str(links.get(Path(match[1]).name, match[1])))
            progress(f"[{name}] merge: {failed[-1]} crashed the merge's child; going on past it")
        now = time.monotonic()
        if now - state["said"] >= PROGRESS_EVERY and state["total"]:
            state["said"] = now
            progress(f"[{name}] merge: {state['earlier'] + state['done']}/{state['total']} files run")

    control = fuzzer.scratch / "control"
    status = fuzzer.run(["-merge=1", f"-merge_control_file={control}", str(kept), str(fuzzer.scratch / "in")], on_line)
    if status != 0:
        raise UsageError(f"libFuzzer's merge of {name} failed (status {status})")
    return tuple(failed)


def _coverage_of(fuzzer: _LibFuzzer, files: list[Path]) -> Coverage:
    """Load the files as the fuzzer loads a corpus (-runs=0) and read what its INITED line says they reach."""
    found: dict[str, int] = {}

    def on_line(line: str) -> None:
        if (match := _STATUS.match(line)) and "INITED" in line:
            found["edges"], found["features"] = int(match[2]), int(match[3])

    flat = fuzzer.scratch / "measured"
    shutil.rmtree(flat, ignore_errors=True)
    _linked_copy(files, flat)
    fuzzer.run(["-runs=0", str(flat)], on_line)
    if not found:
        raise UsageError(f"libFuzzer could not load the {len(files)} files of {fuzzer.target.name}'s corpus")
    return Coverage(found["edges"], found["features"])


def coverage(
    target: Target,
    corpus: Path,
    *,
    known: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    rss_limit_mb: int = DEFAULT_RSS_LIMIT_MB,
) -> Coverage:
    """What the fuzzer reaches when it loads `corpus` (its files, without regressions/): its INITED line."""
    _check_atheris()
    with tempfile.TemporaryDirectory(prefix="harness-coverage-") as scratch:
        fuzzer = _LibFuzzer(target, Path(scratch), known, timeout=timeout, rss_limit_mb=rss_limit_mb)
        return _coverage_of(fuzzer, inputs_of(corpus, regressions=False))


def merge(
    target: Target,
    out: Path,
    inputs: list[Path],
    *,
    known: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    rss_limit_mb: int = DEFAULT_RSS_LIMIT_MB,
    progress: Callable[[str], None] = lambda line: None,
) -> MergeResult:
    """Add to `out` the files of `inputs` (folders, with their subfolders) that bring features `out` lacks.

    `known`: the bug signatures passed over (the registry's). Files are moved into `out` one by one,
    atomically, named by sha1 as the corpora are.
    """
    _check_atheris()
    candidates = [f for folder in inputs for f in inputs_of(folder)]
    out.mkdir(parents=True, exist_ok=True)
    held = inputs_of(out, regressions=False)
    before = Size.of(held + candidates)
    # Scratch beside `out`: the kept files are renamed into it, never copied across file systems.
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.merge-", dir=out.parent) as scratch:
        fuzzer = _LibFuzzer(target, Path(scratch), known, timeout=timeout, rss_limit_mb=rss_limit_mb)
        kept = Path(scratch) / "kept"
        _linked_copy(held, kept, prefix=HELD)
        progress(f"[{target.name}] merge: {len(candidates)} candidate files into the {len(held)} of {out}")
        failed = _merge_into(fuzzer, kept, candidates, progress)
        reached = _coverage_of(fuzzer, list(kept.iterdir()))
        for path in kept.iterdir():
            if not path.name.startswith(HELD):
                os.replace(path, out / path.name)
    return MergeResult(target.name, before, Size.of(inputs_of(out, regressions=False)), reached, failed)


def prune(
    target: Target,
    corpus: Optional[Path] = None,
    *,
    known: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    rss_limit_mb: int = DEFAULT_RSS_LIMIT_MB,
    progress: Callable[[str], None] = lambda line: None,
) -> MergeResult:
    """Shrink `corpus` (default: the project's corpora/<target>) in place to a minimal set of its own files.

    Its regressions/ are neither run nor touched. The kept files are written first (atomically, named
    by sha1), and only then are the others deleted.
    """
    _check_atheris()
    corpus = corpus or project.current().corpora / target.name
    files = inputs_of(corpus, regressions=False)
    if not files:
        raise UsageError(f"corpus {corpus} holds no inputs to prune")
    before = Size.of(files)
    with tempfile.TemporaryDirectory(prefix=f".{corpus.name}.prune-", dir=corpus.parent) as scratch:
        fuzzer = _LibFuzzer(target, Path(scratch), known, timeout=timeout, rss_limit_mb=rss_limit_mb)
        kept = Path(scratch) / "kept"
        kept.mkdir()
        progress(f"[{target.name}] prune: {before} in {corpus}")
        failed = _merge_into(fuzzer, kept, files, progress)
        reached = _coverage_of(fuzzer, list(kept.iterdir()))
        keep = {path.name: path.read_bytes() for path in kept.iterdir()}
    for name, data in keep.items():
        if not (corpus / name).is_file():  # cut to max_len, or not named by its sha1 before
            atomic_write(corpus / name, data)
    for path in files:
        if path.name not in keep and str(path) not in failed:  # an input the merge could not judge stays
            path.unlink()
    return MergeResult(target.name, before, Size.of(inputs_of(corpus, regressions=False)), reached, failed)
