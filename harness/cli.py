"""python -m harness: list, fuzz, repro, replay, minimize, nightly, conformance, learn, matrix, check,
merge, prune, import.

Exit status: 0 clean; 1 a new bug or a finding triage could not reproduce (for repro: the input
triggers a bug; for conformance: a deviation from the expected results; for learn: a finding not
in the known-bug registry; for check: the candidate release is worse than the pinned one); 2 usage
or environment error, as one line on stderr (with the report of what was done, when some targets
ran); 130 interrupted, with the report of what was done.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from harness import engines, matrix, project
from harness.bugs import BugStore, atomic_write
from harness.conformance import suites
from harness.engines import replay as replay_engine
from harness.engines.base import Campaign, Engine, EngineRun
from harness.explain import explain
from harness.known_bugs import Registry
from harness.matrix import DEFAULT_RELEASES
from harness.minimize import minimize_bug
from harness.report import RunReport, TargetReport
from harness.schedule import MIN_SECONDS_PER_TARGET, SPLITS, split_named
from harness.target import Target, UsageError, all_targets, load_target, unmet_needs
from harness.worker import DEFAULT_RSS_LIMIT_MB, DEFAULT_TIMEOUT, IsolatedRunner, WorkerError

EXIT_CLEAN, EXIT_NEW_BUG, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
SLICE_SEED_STRIDE = 1000  # a later slice's seeds stay clear of the jobs' and restarts' of the earlier ones
DEFAULT_NIGHTLY_BUDGET = 450.0  # seconds for the whole nightly job: about 28 s for each of 16 targets
DEFAULT_FUZZ_BUDGET = 60.0
LEARNABLE = ("dtls-server", "dtls-client")  # harness.learning.learn.MODELS, without importing AALpy up front


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def out(text: str) -> None:
    """Standard output, for a reader that may stop reading early (`| head`)."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # and the rest goes nowhere


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="harness", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--project",
        type=Path,
        help=f"targets, corpora, registries, suites (default: ${project.ENVIRONMENT_VARIABLE}, else this checkout)",
    )
    parser.add_argument("--targets-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--corpora", type=Path, help="seed corpora, a folder per target (default: the project's)")
    parser.add_argument("--registry", type=Path, help="the known-bug registry (default: the project's)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    listing = commands.add_parser("list", help="the targets, with protocol, component and installed version")
    listing.add_argument("--json", action="store_true", help="as one JSON array (a workflow's matrix reads it)")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--timeout", type=positive_float, default=DEFAULT_TIMEOUT, help="seconds per input (a hang beyond)"
        )
        sub.add_argument("--rss-limit-mb", type=positive_int, default=DEFAULT_RSS_LIMIT_MB, help="memory per process")
        sub.add_argument("--workdir", type=Path, help="corpus, bugs, logs, reports (default: the project's .harness)")

    def engine_options(sub: argparse.ArgumentParser, budget: float) -> None:
        sub.add_argument("--budget", type=positive_float, default=budget, help=f"seconds (default {budget:g})")
        sub.add_argument("--seed", type=positive_int, help="base seed (default: random, printed)")
        sub.add_argument(
            "--jobs", type=positive_int, default=os.cpu_count() or 1, help="fuzzer processes (default: one per core)"
        )
        sub.add_argument(
            "--split",
            choices=SPLITS,
            default=SPLITS[0],
            help="between targets: earned (slices to those still gaining coverage or bugs; default) or even",
        )

    fuzz = commands.add_parser("fuzz", help="fuzz one target or all")
    fuzz.add_argument("target", nargs="?")
    fuzz.add_argument("--all", action="store_true", help="every target, the budget split between them")
    fuzz.add_argument("--engine", choices=engines.FUZZERS, default="atheris")
    fuzz.add_argument("--runs", type=positive_int, help="inputs to run (per target), instead of a time budget")
    engine_options(fuzz, DEFAULT_FUZZ_BUDGET)
    common(fuzz)

    repro = commands.add_parser("repro", help="run one input, print its verdict and traceback")
    repro.add_argument("target")
    repro.add_argument("file", type=Path)
    common(repro)

    replay = commands.add_parser("replay", help="run every corpus file through its target")
    replay.add_argument("target", nargs="?")
    replay.add_argument("--corpus", type=Path, help="a corpus folder (default corpora/<target>)")
    replay.add_argument(
        "--optimized",
        action="store_true",
        help="also under python -O: list the verdicts that change (known ones: known_assert_validation.toml)",
    )
    common(replay)

    minimize = commands.add_parser("minimize", help="shrink an input, keeping its bug signature")
    minimize.add_argument("target")
    minimize.add_argument("file", type=Path)
    minimize.add_argument("--out", type=Path, help="where to write it (default FILE.min)")
    minimize.add_argument("--max-seconds", type=positive_float, default=60.0)
    common(minimize)

    nightly = commands.add_parser("nightly", help="replay every corpus, then fuzz every target; write the report")
    nightly.add_argument("--targets", nargs="+", metavar="TARGET", help="these targets only (one runner's share)")
    engine_options(nightly, DEFAULT_NIGHTLY_BUDGET)
    common(nightly)

    merge = commands.add_parser("merge", help="a coverage-preserving minimal corpus from several (libFuzzer's -merge)")
    merge.add_argument("target")
    merge.add_argument("out", type=Path, metavar="OUT", help="the corpus to add to (made if missing)")
    merge.add_argument("inputs", type=Path, nargs="+", metavar="IN", help="corpora to take from")
    common(merge)

    prune = commands.add_parser("prune", help="shrink one corpus in place to a minimal set; regressions/ untouched")
    prune.add_argument("target")
    prune.add_argument("corpus", type=Path, nargs="?", metavar="DIR", help="default: the project's corpora/<target>")
    common(prune)

    importing = commands.add_parser("import", help="inputs from pcap/pcapng captures, demultiplexed by RFC 7983")
    importing.add_argument("captures", type=Path, nargs="+", metavar="CAPTURE")
    importing.add_argument(
        "--keys", type=Path, action="append", default=[], metavar="FILE", help="a key log (CLIENT_RANDOM, SRTP lines)"
    )
    importing.add_argument("--out", dest="import_to", type=Path, metavar="CORPORA_DIR", help="default: the project's")

    conformance = commands.add_parser(
        "conformance", help="run the conformance suites; print and write the per-requirement report"
    )
    conformance.add_argument(
        "suites", nargs="*", metavar="SUITE", help=f"default all: {', '.join(s.name for s in suites.SUITES)}"
    )
    for suite in suites.SUITES:
        conformance.add_argument(
            suite.option,
            dest=suite.dest,
            default=suite.default,
            help=f"{suite.name} implementation: {suite.default}, file.py:Name or module:Name",
        )
    conformance.add_argument("--report", type=Path, help="report folder (default: the project's .harness/conformance)")
    conformance.epilog = "Arguments after -- are passed on to pytest."

    learn = commands.add_parser(
        "learn", help="learn the DTLS transport's state machine, compare it with the RFCs', draw both"
    )
    learn.add_argument("models", nargs="*", metavar="MODEL", help=f"default all: {', '.join(LEARNABLE)}")
    learn.add_argument("--dtls-adapter", default="aiortc", help="the transport: aiortc, file.py:Name or module:Name")
    learn.add_argument("--seed", type=int, default=0, help="of the equivalence oracle's walks (default 0)")
    learn.add_argument(
        "--impostor", action="store_true", help="the peer presents another certificate than the one signalled"
    )
    learn.add_argument("--cache", type=Path, help="the query cache (default: the project's .harness/learning-cache)")
    learn.add_argument("--no-cache", action="store_true", help="ask the transport everything again")
    learn.add_argument("--out", type=Path, help="where the pictures and reports go (default: the project's models/)")

    report = commands.add_parser(
        "report", help="one HTML page of a work folder: the last nightly's bugs and plots, conformance, models"
    )
    report.add_argument("--workdir", type=Path, help="the work folder (default: the project's .harness)")
    report.add_argument("--conformance", type=Path, help="the conformance report folder (default: WORKDIR/conformance)")
    report.add_argument("--models", type=Path, help="the learned models' pictures (default: the project's models/)")
    report.add_argument("--html", type=Path, help="the page to write (default: WORKDIR/report/report.html)")

    matrix = commands.add_parser(
        "matrix", help="replay the known bugs and run the suites under other releases (a venv each): side by side"
    )
    matrix.add_argument(
        "--versions",
        nargs="+",
        metavar="SPEC",
        default=list(DEFAULT_RELEASES),
        help=f"setups: 'pinned', name==VERSION, a wheel or a checkout (default: {' '.join(DEFAULT_RELEASES)})",
    )
    matrix.add_argument("--workdir", type=Path, help="venvs and runs (default: the project's .harness)")
    matrix.add_argument("--report", type=Path, help="where report.md and report.json go (default: WORKDIR/matrix)")

    check = commands.add_parser(
        "check", help="run the suites and the replay against a release candidate: what changed from the pinned stack"
    )
    check.add_argument(
        "--with",
        dest="candidates",
        action="append",
        required=True,
        metavar="SPEC",
        help="name==VERSION, a wheel or a checkout of aiortc, aioice or pylibsrtp (repeatable)",
    )
    check.add_argument("--workdir", type=Path, help="venvs and runs (default: the project's .harness)")
    return parser


def cmd_list(args: argparse.Namespace) -> int:
    targets = all_targets(args.targets_dir)
    if args.json:
        listed = [
            {"name": t.name, "protocol": t.protocol, "component": t.component, "version": t.component_version}
            for t in targets
        ]
        out(json.dumps(listed))
        return EXIT_CLEAN
    width = max(len(t.name) for t in targets)
    for t in targets:
        guides = [word for word, hook in (("repair", t.repair), ("mutator", t.mutator), ("oracle", t.oracle)) if hook]
        unmet = "; ".join(unmet_needs(t))
        guides += [f"skipped here: {unmet}"] if unmet else []
        out(f"{t.name:<{width}}  {t.protocol:<6} {t.component} {t.component_version}  {' '.join(guides)}".rstrip())
    return EXIT_CLEAN


def runner_for(target: Target, args: argparse.Namespace) -> IsolatedRunner:
    return IsolatedRunner(target, targets_dir=args.targets_dir, timeout=args.timeout, rss_limit_mb=args.rss_limit_mb)


def cmd_repro(args: argparse.Namespace) -> int:
    target = load_target(args.target, args.targets_dir)
    data = replay_engine.read_input(args.file)
    with runner_for(target, args) as runner:
        outcome = runner.run(data)
    out(f"{target.name} ({target.component} {target.component_version}) on {args.file}: {outcome.describe()}")
    for line in explain(target, data, outcome, Registry.load(args.registry)):
        out(line)
    if outcome.traceback:
        out(outcome.traceback.rstrip())
    return EXIT_NEW_BUG if outcome.is_bug else EXIT_CLEAN


def cmd_minimize(args: argparse.Namespace) -> int:
    target = load_target(args.target, args.targets_dir)
    data = replay_engine.read_input(args.file)
    with runner_for(target, args) as runner:
        outcome = runner.run(data)
        if outcome.signature is None:
            raise UsageError(f"{args.file} does not trigger a bug in {target.name} ({outcome.verdict})")
        smallest = minimize_bug(
            data, outcome.signature, runner.run, max_seconds=args.max_seconds, reductions=target.reductions
        )
    destination = args.out or args.file.with_name(args.file.name + ".min")
    atomic_write(destination, smallest)
    sender = f", sent by the {target.sender_of(smallest)} sender" if target.sender is not None else ""
    out(f"{outcome.signature}: {len(data)} -> {len(smallest)} bytes{sender}, written to {destination}")
    return EXIT_CLEAN


def selected_targets(args: argparse.Namespace) -> list[Target]:
    name = getattr(args, "target", None)
    if getattr(args, "all", False) and name:
        raise UsageError("give a target or --all, not both")
    if name:
        return [load_target(name, args.targets_dir)]
    if getattr(args, "targets", None):
        return [load_target(each, args.targets_dir) for each in dict.fromkeys(args.targets)]
    if args.command == "fuzz" and not args.all:
        raise UsageError("fuzz needs a target name or --all")
    return all_targets(args.targets_dir)


def prepare_workdir(workdir: Path) -> None:
    """A work folder that cannot be written is a one-line error before any work, not a traceback after."""
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        atomic_write(workdir / ".writable", b"")
    except OSError as exc:
        raise UsageError(f"work folder {workdir} cannot be written: {exc.strerror or exc}") from None


class Campaigner:
    """Runs engines over targets for fuzz, replay and nightly, and keeps what each run gave."""

    def __init__(self, args: argparse.Namespace, targets: list[Target]) -> None:
        self.args = args
        self.store = BugStore(args.workdir / "bugs", Registry.load(args.registry))
        self.reports = {t.name: TargetReport.of(t) for t in targets}
        self.fuzzing_started: Optional[float] = None
        self.exposed: dict[str, float] = {}  # signature -> seconds into the fuzzing, first exposed
        self.slices: dict[tuple[str, str], int] = {}  # (target, engine) -> runs so far

    def run(
        self, engine: Engine, target: Target, *, budget: Optional[float] = None, runs: Optional[int] = None
    ) -> Optional[EngineRun]:
        args = self.args
        runs_before = [r for r in self.reports[target.name].runs if r.engine == engine.name]
        jobs, seed = engine.jobs_for(getattr(args, "jobs", 1)), getattr(args, "seed", None)
        slices = self.slices.get((target.name, engine.name), 0)
        self.slices[(target.name, engine.name)] = slices + 1
        if seed is not None:  # a later slice of the same target fuzzes on from new seeds
            seed += SLICE_SEED_STRIDE * slices
        amount = f"{runs} runs" if runs else f"{budget:.1f} s" if budget else "every file"
        seeded = f", seed {seed}" if seed is not None and engine.name != "replay" else ""
        say(f"[{target.name}] {engine.name}: {amount}{seeded}, jobs {jobs}")
        started = time.monotonic()
        with runner_for(target, args) as runner:
            campaign = Campaign(
                target,
                runner,
                self.store,
                args.workdir,
                seed=seed or 0,
                budget=budget,
                runs=runs,
                jobs=jobs,
                targets_dir=args.targets_dir,
                corpus=getattr(args, "corpus", None),
                seeds=args.corpora / target.name,
                progress=say,
                started=started,
            )
            try:
                result = engine.run(campaign)
            except (UsageError, WorkerError) as exc:  # this target cannot run: the others still do
                error = str(exc).splitlines()[0]
                self.reports[target.name].errors.append(f"{engine.name}: {error}")
                say(f"harness: error: {error}")
                return None
        if engine.name != "replay":
            self.fuzzing_started = self.fuzzing_started or started
            for signature, seconds in result.exposed.items():
                self.exposed.setdefault(signature, started - self.fuzzing_started + seconds)
        say(result.summary())
        if runs_before:
            runs_before[0].absorb(result)
        else:
            self.reports[target.name].runs.append(result)
        return result


def cmd_replay_optimized(args: argparse.Namespace) -> int:
    """replay --optimized: the verdicts that change under python -O; exit 1 on one not recorded or one gone."""
    from harness import optimized

    recorded = optimized.known()
    chosen = selected_targets(args)
    targets = optimized.stateless(chosen)
    if args.target and not targets:
        raise UsageError(f"{args.target} is stateful: --optimized replays the targets one input drives from scratch")
    surprises = 0
    for target in targets:
        corpus = args.corpus or args.corpora / target.name
        found = {(c.target, c.input): c for c in optimized.changes(target, corpus, targets_dir=args.targets_dir)}
        for key, change in found.items():
            known = recorded.get(key)
            surprises += known is None or known[0] != change
            out(f"{change} ({'known' if known is not None and known[0] == change else 'NEW'})")
        if args.corpus is None:
            for key, (change, _) in recorded.items():
                if key[0] == target.name and key not in found:
                    surprises += 1
                    out(f"{change}: recorded, no longer changes under -O (fixed?)")
    out(f"{len(targets)} target(s) replayed under -O beside the defaults; {surprises} change(s) not as recorded")
    return EXIT_NEW_BUG if surprises else EXIT_CLEAN


def cmd_campaign(args: argparse.Namespace) -> int:
    """fuzz, replay and nightly: run, triage, report; exit 1 on a new signature."""
    if getattr(args, "optimized", False):
        return cmd_replay_optimized(args)
    started = time.monotonic()
    targets = selected_targets(args)
    # A target whose needs this stack does not meet is skipped with the reason: not a bug of this release.
    skipped = {t.name: (t, "; ".join(unmet)) for t in targets if (unmet := unmet_needs(t))}
    for name, (_, reason) in skipped.items():
        say(f"[{name}] skipped: {reason}")
    targets = [t for t in targets if t.name not in skipped]
    fuzzer = engines.named(getattr(args, "engine", "atheris")) if args.command != "replay" else None
    runs = getattr(args, "runs", None)
    if fuzzer is not None and runs is None and args.budget / max(len(targets), 1) < MIN_SECONDS_PER_TARGET:
        raise UsageError(
            f"a budget of {args.budget:g} s is less than {MIN_SECONDS_PER_TARGET:g} s for each of the "
            f"{len(targets)} targets: give --budget {MIN_SECONDS_PER_TARGET * len(targets):g} or more"
        )
    if getattr(args, "corpus", None) is not None and not replay_engine.corpus_files(args.corpus):
        raise UsageError(f"corpus {args.corpus} holds no inputs")
    prepare_workdir(args.workdir)
    if fuzzer is not None and args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 2**31)
    campaigner = Campaigner(args, targets)
    interrupted = False
    try:
        if args.command != "fuzz":
            replay = engines.named("replay")
            for target in targets:
                campaigner.run(replay, target)
        if fuzzer is not None:
            say(f"seed {args.seed} (rerun with --seed {args.seed})")
            if runs:
                for target in targets:
                    campaigner.run(fuzzer, target, runs=runs)
            else:
                deadline = started + args.budget
                split = split_named(args.split, targets, deadline - time.monotonic())
                while (turn := split.next(deadline - time.monotonic())) is not None:
                    target, seconds = turn
                    split.earned(target, campaigner.run(fuzzer, target, budget=seconds))
        if args.command == "nightly" and fuzzer is not None:
            for target in targets:  # the night's corpus keeps what adds coverage (harness.corpus)
                merge_working_corpus(args, target, campaigner.reports[target.name])
    except KeyboardInterrupt:
        interrupted = True
    reports = campaigner.reports
    for name, (target, reason) in skipped.items():
        reports[name] = TargetReport.of(target)
        reports[name].skipped = reason
    for record in campaigner.store.records.values():
        reports[record.target].bugs.append(record)
    report = RunReport(
        command="python -m harness " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        seed=getattr(args, "seed", None),
        budget=None if fuzzer is None or runs else args.budget,
        seconds=time.monotonic() - started,
        workdir=args.workdir,
        targets=list(reports.values()),
        interrupted=interrupted,
        exposed=campaigner.exposed,
    )
    paths = report.write(args.workdir / "report")
    out(report.markdown())
    say("report: " + ", ".join(str(p) for p in paths))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a") as handle:
            handle.write(report.markdown())
    if interrupted:
        raise KeyboardInterrupt
    if report.new_bugs or report.unreproduced:
        return EXIT_NEW_BUG
    return EXIT_USAGE if report.errors else EXIT_CLEAN


def merge_working_corpus(args: argparse.Namespace, target: Target, report: TargetReport) -> None:
    """Prune the work folder's corpus of `target` (a nightly's last step); the report says files before and after."""
    from harness import corpus

    folder = args.workdir / "corpus" / target.name
    if not folder.is_dir() or not corpus.inputs_of(folder):
        return
    try:
        result = corpus.prune(target, folder, **corpus_options(args))
    except UsageError as exc:
        report.errors.append(f"merge: {exc}")
        say(f"harness: error: {exc}")
        return
    report.merged = f"{result.before} -> {result.after}"
    say(result.summary("merged"))


def corpus_options(args: argparse.Namespace) -> dict[str, Any]:
    """What merge and prune take from the command line: the known bugs to pass over, the limits, the progress."""
    known = [bug.signature for bug in Registry.load(args.registry).bugs]
    return {"known": known, "timeout": args.timeout, "rss_limit_mb": args.rss_limit_mb, "progress": say}


def cmd_corpus(args: argparse.Namespace) -> int:
    """merge and prune (harness.corpus): the result's files, bytes and coverage on standard output."""
    from harness import corpus

    target = load_target(args.target, args.targets_dir)
    if args.command == "merge":
        result = corpus.merge(target, args.out, args.inputs, **corpus_options(args))
    else:
        result = corpus.prune(target, args.corpus or args.corpora / target.name, **corpus_options(args))
    out(result.summary(args.command))
    return EXIT_CLEAN


def cmd_import(args: argparse.Namespace) -> int:
    """import (harness.capture): a line per target, with how many of its inputs are new."""
    from harness import capture
    from harness.target import target_files

    destination = args.import_to or args.corpora
    counts = capture.import_captures(
        args.captures, destination, key_files=args.keys, targets=target_files(args.targets_dir), progress=say
    )
    for target, (found, new) in counts.items():
        out(f"[{target}] {found} inputs, {new} new, in {destination / target}")
    if not counts:
        out("the captures hold no input for any target")
    return EXIT_CLEAN


def cmd_conformance(args: argparse.Namespace) -> int:
    """The suites under tests/conformance/ through pytest and the conformance plugin."""
    import pytest

    chosen = []
    for suite in suites.named(args.suites):
        unmet = suite.unmet_needs()
        if unmet:
            say(f"harness: the {suite.name} suite is skipped here: {'; '.join(unmet)}")
        else:
            chosen.append(suite)
    if not chosen:
        return EXIT_CLEAN
    for suite in chosen:
        # A bad adapter is a one-line usage error here, not pytest's. Only the suites that run load
        # theirs: the adapters import the stack under test, which no other command needs up front.
        suite.load(getattr(args, suite.dest))
        if not suite.folder.is_dir():
            raise UsageError(f"the conformance suites are in a source checkout: {suite.folder} does not exist")
    status = pytest.main(
        [
            *(str(suite.folder) for suite in chosen),
            "-q",
            "-p",
            "no:cacheprovider",
            *(f"{suite.option}={getattr(args, suite.dest)}" for suite in chosen),
            f"--conformance-report={args.report}",
            *args.pytest_args,
        ]
    )
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    report = args.report / "report.md"
    if summary and report.is_file():
        with open(summary, "a") as handle:
            handle.write(report.read_text())
    if status == pytest.ExitCode.OK:
        return EXIT_CLEAN
    if status == pytest.ExitCode.TESTS_FAILED:
        return EXIT_NEW_BUG
    raise UsageError(f"pytest could not run the conformance suites (exit status {int(status)})")


def _said_of(name: str) -> Callable[[str], None]:
    """Progress lines of one model, each said with the model's name in front."""
    return lambda line: say(f"[{name}] {line}")


def cmd_learn(args: argparse.Namespace) -> int:
    """Learn each model, compare it with the reference, write its picture and report; exit 1 on a new finding."""
    # Imported here: AALpy and the transport under test are for this command only.
    from harness.conformance import dtls_adapters
    from harness.learning import compare, learn, reference, render, report

    unknown = [name for name in args.models if name not in LEARNABLE]
    if unknown:
        raise UsageError(f"no model {unknown[0]!r}: the models are {', '.join(LEARNABLE)}")
    adapter = dtls_adapters.load(args.dtls_adapter)
    registry = Registry.load(args.registry)
    try:  # a folder that cannot be written is a one-line error before the learning, not a traceback after
        (args.out / "witnesses").mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=args.out).close()
    except OSError as exc:
        raise UsageError(f"output folder {args.out} cannot be written: {exc.strerror or exc}") from None
    new = 0
    for name in args.models or LEARNABLE:
        say(f"[{name}] learning {adapter.name} {adapter.version}, seed {args.seed}")
        learned = learn.learn(
            adapter,
            name,
            cache_dir=None if args.no_cache else args.cache,
            seed=args.seed,
            impostor=args.impostor,
            progress=_said_of(name),
        )
        the_rfcs = reference.Reference(learned.role, impostor=args.impostor)
        comparison = compare.compare(learned.model, learned.initial_answer, the_rfcs)
        name += "-impostor" if args.impostor else ""
        title = f"{name}: {learned.implementation}"
        dot = args.out / f"{name}.dot"
        atomic_write(dot, render.to_dot(learned.model, comparison, title=title).encode())
        svg = render.render_svg(dot)
        witnesses = {}
        for finding in comparison.findings:
            witness = args.out / "witnesses" / f"{name}-{finding.kind}"
            atomic_write(witness, report.witness_input(learned, finding))
            witnesses[finding.kind] = os.path.relpath(witness)
        text = report.lines(learned, comparison, registry, witnesses)
        text.append("")
        text.append(f"Picture: {svg}" if svg else f"Picture: {dot} (Graphviz's dot is not installed: no SVG)")
        atomic_write(args.out / f"{name}.md", ("\n".join(text) + "\n").encode())
        out("\n".join(text))
        new += len(report.new_findings(comparison, registry))
    return EXIT_NEW_BUG if new else EXIT_CLEAN


def cmd_report(args: argparse.Namespace) -> int:
    """Bundle what the work folder holds into one HTML page."""
    from harness import html_report

    destination = args.html or args.workdir / "report" / "report.html"
    contents = html_report.bundle(
        args.workdir,
        args.conformance or args.workdir / "conformance",
        args.models or project.current().models,
        destination,
    )
    out(f"{destination}: {', '.join(contents)}")
    return EXIT_CLEAN


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": cmd_list,
    "repro": cmd_repro,
    "minimize": cmd_minimize,
    "fuzz": cmd_campaign,
    "replay": cmd_campaign,
    "nightly": cmd_campaign,
    "conformance": cmd_conformance,
    "learn": cmd_learn,
    "report": cmd_report,
    "matrix": lambda args: matrix.cmd_matrix(args, say, out),
    "check": lambda args: matrix.cmd_check(args, say, out),
    "merge": cmd_corpus,
    "prune": cmd_corpus,
    "import": cmd_import,
}


def locate(args: argparse.Namespace) -> None:
    """Choose the project, and take from it every folder and file the command line left unsaid."""
    chosen = project.use(args.project) if args.project else project.current()
    args.targets_dir = args.targets_dir or chosen.targets
    args.corpora = args.corpora or chosen.corpora
    args.registry = args.registry or chosen.known_bugs
    defaults = {"workdir": chosen.workdir, "cache": chosen.workdir / "learning-cache", "out": chosen.models}
    if args.command == "conformance":
        defaults["report"] = chosen.workdir / "conformance"
    if args.command == "minimize":
        del defaults["out"]  # FILE.min beside the input
    for name, default in defaults.items():
        if getattr(args, name, default) is None:
            setattr(args, name, default)
    for name, value in vars(args).items():
        if isinstance(value, Path):  # the fuzzer's and worker's processes run in another folder
            setattr(args, name, value.absolute())
    if not args.targets_dir.is_dir():
        raise UsageError(f"targets folder {args.targets_dir} does not exist")


def main(argv: Optional[Sequence[str]] = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    # What follows "--" is pytest's (conformance only): the suites named before it are positional too.
    passed_on: list[str] = []
    if "--" in words:
        words, passed_on = words[: words.index("--")], words[words.index("--") + 1 :]
    parser = build_parser()
    args = parser.parse_args(words)
    if passed_on and args.command != "conformance":
        parser.error("only conformance passes arguments after -- on (to pytest)")
    args.pytest_args = passed_on
    started = time.monotonic()
    try:
        locate(args)
        status = COMMANDS[args.command](args)
    except (UsageError, WorkerError) as exc:
        say(f"harness: error: {str(exc).splitlines()[0]}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        say("harness: interrupted; the bugs recorded so far are on disk, with the report of what was done")
        return EXIT_INTERRUPTED
    if args.command not in ("list", "repro"):
        say(f"harness: {args.command} finished in {time.monotonic() - started:.0f} s")
    return status


def entry_point() -> None:
    sys.exit(main())
