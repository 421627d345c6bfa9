"""The version matrix and the release check: the harness run against other releases of the stack.

Each setup (the pinned stack, or the pinned stack with some releases put in place of its own: a
requirement such as `pylibsrtp==0.12.0`, a wheel, or a local checkout) gets a venv of its own under
the work folder, made with pip and kept for the next run. The harness is installed there from its
source, and run there on this project (`--project`): the replay of every corpus with its known
bugs' reproducers, and every conformance suite. What each run gives is judged here, by what the
registry and the expected results record for the releases that venv holds:

- `matrix`: a side-by-side report (Markdown and JSON): every known bug and every conformance
  requirement, its verdict under each setup;
- `check --with SPEC`: what changed against the pinned stack (tests that fail or pass anew, bugs that
  appeared or vanished); worse is exit status 1.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness import project
from harness.bugs import atomic_write
from harness.conformance import expected
from harness.conformance.report import OUTCOMES
from harness.conformance.suites import SUITES
from harness.errors import UsageError
from harness.known_bugs import Registry

STACK = ("aiortc", "aioice", "pylibsrtp")
# The pinned stack and the older releases the matrix runs by default: each pip can install beside the
# other two pins, except aioice 0.9 and 0.10, which aiortc 1.16 refuses (it needs aioice>=0.12), so
# their venvs hold the newest aiortc that takes them (the resolver's choice, shown in the report).
DEFAULT_RELEASES = (
    "pinned",
    "aiortc==1.14.0",
    "aiortc==1.15.0",
    "aioice==0.9.0",
    "aioice==0.10.2",
    "pylibsrtp==0.12.0",
)
PINNED = "pinned"
FAILS = ("FAIL", "ERROR", "XFAIL", "UNJUDGED")  # a test outcome where the implementation does not do what the test asks
PASSES = ("PASS", "XPASS")
Say = Callable[[str], None]


@dataclass(frozen=True)
class Candidate:
    """One release put in place of the pinned one of its component."""

    component: str
    install: str  # what pip is given
    label: str  # how reports name it


def candidate(spec: str) -> Candidate:
    """`spec` as a candidate: `name<specifiers>`, a wheel file, or a checkout; anything else is a usage error."""
    path = Path(spec).expanduser()
    if spec.endswith(".whl"):
        if not path.is_file():
            raise UsageError(f"wheel {spec} does not exist")
        return Candidate(_of_stack(path.name.split("-")[0], spec), str(path.resolve()), path.name)
    if path.is_dir():
        return Candidate(_checkout_name(path), str(path.resolve()), f"checkout {path}")
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        raise UsageError(f"{spec!r} is no requirement (pylibsrtp==1.0.0), wheel or checkout") from None
    name = _of_stack(requirement.name, spec)
    if not requirement.specifier or requirement.url or requirement.marker or requirement.extras:
        raise UsageError(f"{spec!r}: give the release as {name}==VERSION (a version specifier and nothing else)")
    return Candidate(name, f"{name}{requirement.specifier}", f"{name}{requirement.specifier}")


def _of_stack(name: str, spec: str) -> str:
    name = canonicalize_name(name)
    if name not in STACK:
        raise UsageError(f"{spec!r} is not a release of the stack under test ({', '.join(STACK)})")
    return name


def _checkout_name(path: Path) -> str:
    try:
        name = tomllib.loads((path / "pyproject.toml").read_text())["project"]["name"]
    except (OSError, tomllib.TOMLDecodeError, KeyError):
        raise UsageError(f"{path} is not a checkout of {', '.join(STACK)}: no pyproject.toml naming one") from None
    return _of_stack(name, str(path))


@dataclass(frozen=True)
class Setup:
    """The pinned stack with `candidates` in place of their components' pins (none: the pinned stack)."""

    candidates: tuple[Candidate, ...] = ()

    @classmethod
    def of(cls, specs: list[str]) -> "Setup":
        if specs == [PINNED]:
            return cls()
        candidates = tuple(candidate(spec) for spec in specs)
        components = [c.component for c in candidates]
        twice = next((name for name in components if components.count(name) > 1), None)
        if twice:
            raise UsageError(f"{twice} is given twice: one release of each component")
        return cls(candidates)

    @property
    def label(self) -> str:
        return " + ".join(c.label for c in self.candidates) or PINNED

    @property
    def slug(self) -> str:
        readable = re.sub(r"[^A-Za-z0-9.]+", "-", self.label)[:48]
        return f"{readable}-{hashlib.sha1(self.label.encode()).hexdigest()[:8]}"

    def attempts(self, pins: dict[str, str]) -> list[list[str]]:
        """What pip is asked for: the others pinned first, then, where they refuse, the others of the stack free."""
        mine = {c.component: c.install for c in self.candidates}
        pinned = [mine.get(name, requirement) for name, requirement in pins.items()] + [
            c.install for c in self.candidates if c.component not in pins
        ]
        freed = [requirement for name, requirement in pins.items() if name not in STACK] + list(mine.values())
        freed += [name for name in STACK if name not in mine]  # any release pip finds that takes the candidates
        return [pinned] if not self.candidates else [pinned, freed]


def harness_pins(source: Path) -> dict[str, str]:
    """The harness's own pins (its stack, and what the replay and the suites run on), by distribution."""
    try:
        wanted = tomllib.loads((source / "pyproject.toml").read_text())["project"]["dependencies"]
    except (OSError, tomllib.TOMLDecodeError, KeyError):
        raise UsageError(f"the matrix installs the harness from its source: {source}/pyproject.toml is unreadable")
    return {canonicalize_name(Requirement(r).name): r for r in wanted}


@dataclass
class Run:
    """What one setup's venv holds and what the harness run there gave."""

    label: str
    holds: dict[str, str] = field(default_factory=dict)  # distribution -> version
    note: str = ""  # how the venv came to hold it, or why it could not be made
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)  # replay: skipped, errors, found
    tests: dict[str, dict[str, str]] = field(default_factory=dict)  # conformance: test -> outcome, implementation
    requirements: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> requirement, verdict, tests
    suites_unrun: dict[str, str] = field(default_factory=dict)  # suite -> why it could not run here

    @property
    def found(self) -> set[str]:
        """Every bug signature the replay met (known or not) in the targets that ran."""
        return {s for t in self.targets.values() if not t["skipped"] for s in t["found"]}


def _pip(python: Path, arguments: list[str], log: Path) -> Optional[str]:
    """Run pip in a venv; None when it worked, else its last error line."""
    command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *arguments]
    with open(log, "a") as handle:
        handle.write("$ " + " ".join(command) + "\n")
        handle.flush()
        done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT)
    if done.returncode == 0:
        return None
    this_run = log.read_text().rsplit("\n$ ", 1)[-1]
    lines = [line for line in this_run.splitlines() if line.startswith("ERROR")]
    return lines[0] if lines else f"pip exited with status {done.returncode}"


def venv_for(setup: Setup, workdir: Path, say: Say) -> tuple[Path, str]:
    """The venv of `setup` (made once, reused), and how it came to hold what it holds."""
    source = project.HARNESS_SOURCE
    pins = harness_pins(source)
    folder = workdir / "matrix" / "venvs" / setup.slug
    python, marker = folder / "bin" / "python", folder / "harness-matrix.json"
    attempts = setup.attempts(pins)
    if marker.is_file() and json.loads(marker.read_text()).get("attempts") == attempts:
        say(f"[{setup.label}] reusing {folder}")
        return python, json.loads(marker.read_text())["note"]
    say(f"[{setup.label}] making {folder}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True)
    log = folder / "pip.log"
    refusals: list[str] = []
    for asked in attempts:
        say(f"[{setup.label}] pip install {' '.join(asked)}")
        failure = _pip(python, ["--prefer-binary", *asked], log)  # an old release's newest sdist may not build
        if failure is None:
            break
        refusals.append(failure)
    if len(refusals) == len(attempts):
        raise InstallError(f"pip cannot install {setup.label}: {refusals[-1]} (log: {log})")
    note = f"pins refused ({refusals[0]}); the stack resolved by pip" if refusals else "the other releases pinned"
    failure = _pip(python, ["--no-deps", "--editable", str(source)], log)  # the harness follows its source
    if failure is not None:
        raise InstallError(f"the harness does not install in {folder}: {failure} (log: {log})")
    atomic_write(marker, json.dumps({"attempts": attempts, "note": note}).encode())
    return python, note


class InstallError(Exception):
    """A setup's venv could not be made: its column says why, the other setups still run."""


def _holds(python: Path) -> dict[str, str]:
    """The releases of the stack a venv holds."""
    code = "import importlib.metadata as m, json, sys; print(json.dumps({d: m.version(d) for d in sys.argv[1:]}))"
    done = subprocess.run([str(python), "-c", code, *STACK], capture_output=True, text=True)
    if done.returncode != 0:
        raise InstallError(f"the venv {python.parent.parent} lacks part of the stack: {done.stderr.splitlines()[-1]}")
    return dict(json.loads(done.stdout))


def _harness(python: Path, arguments: list[str], log: Path) -> int:
    """The harness in the venv, on this project; its output goes to `log`."""
    command = [str(python), "-m", "harness", "--project", str(project.current().root), *arguments]
    with open(log, "w") as handle:
        return subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT).returncode


def run_setup(setup: Setup, workdir: Path, say: Say) -> Run:
    """Make (or reuse) the venv of `setup`, replay every corpus and run every suite there."""
    started = time.monotonic()
    run = Run(setup.label)
    try:
        python, run.note = venv_for(setup, workdir, say)
        holds = _holds(python)
    except InstallError as exc:
        run.note = str(exc)
        say(f"[{setup.label}] {exc}")
        return run
    run.holds = holds
    say(f"[{setup.label}] holds {', '.join(f'{name} {version}' for name, version in run.holds.items())}")
    folder = workdir / "matrix" / "runs" / setup.slug
    folder.mkdir(parents=True, exist_ok=True)
    say(f"[{setup.label}] replaying every corpus (log: {folder / 'replay.log'})")
    status = _harness(python, ["replay", "--workdir", str(folder / "replay")], folder / "replay.log")
    replayed = folder / "replay" / "report" / "report.json"
    if status not in (0, 1, 2) or not replayed.is_file():
        raise UsageError(f"the replay under {setup.label} ended with status {status}: see {folder / 'replay.log'}")
    registered = Registry.load(version_of=run.holds.get)  # as the replay in the venv judged
    for target in json.loads(replayed.read_text())["targets"]:
        run.targets[target["name"]] = {
            "skipped": target.get("skipped", ""),
            "errors": target["errors"],
            "found": sorted(_met(target, registered)),
        }
    for suite in SUITES:  # one run each: a suite that cannot load under this release does not stop the others
        say(f"[{setup.label}] running the {suite.name} suite (log: {folder / f'{suite.name}.log'})")
        report = folder / "conformance" / suite.name
        status = _harness(python, ["conformance", suite.name, "--report", str(report)], folder / f"{suite.name}.log")
        if status not in (0, 1) or not (report / "report.json").is_file():
            run.suites_unrun[suite.name] = _last_error(folder / f"{suite.name}.log")
            say(f"[{setup.label}] the {suite.name} suite could not run: {run.suites_unrun[suite.name]}")
            continue
        _take_results(run, json.loads((report / "report.json").read_text()))
    atomic_write(folder / "run.json", json.dumps(run.__dict__, indent=2).encode())
    say(f"[{setup.label}] done in {time.monotonic() - started:.0f} s")
    return run


def _met(target: dict[str, Any], registered: Registry) -> set[str]:
    """The signatures one target's replay met: those it recorded, and the registered ones whose reproducer the
    engine ran again at the end and saw reproduce (a timing-dependent one may do so only there)."""
    recorded = {bug["signature"] for bug in target["bugs"]}
    if not target["runs"]:
        return recorded
    gone = {signature for run in target["runs"] for signature in run["no_longer_reproducing"]}
    return recorded | {bug.signature for bug in registered.for_target(target["name"]) if bug.signature not in gone}


def _last_error(log: Path) -> str:
    """What stopped a run, from its log: pytest's or the harness's last error line."""
    wanted = re.compile(r"\s*(E |\S*Error|harness: error|harness: the \S+ suite is skipped here)")
    lines = [line.strip() for line in log.read_text().splitlines() if wanted.match(line)]
    found = next((line for line in lines if line.startswith("E ")), lines[-1] if lines else "no report")
    return re.sub(r" \(/[^)]*\)", "", found)[:300]  # without the venv's paths


def _take_results(run: Run, report: dict[str, Any]) -> None:
    """One suite's conformance report into `run`: each test's outcome, each requirement's verdict and tests."""
    for requirement in report["requirements"]:
        key = f"RFC {requirement['rfc']} §{requirement['section']} {requirement['keyword']}: {requirement['text']}"
        entry = run.requirements.setdefault(key, {"verdict": "SKIP", "tests": []})
        entry["verdict"] = min(entry["verdict"], requirement["verdict"], key=OUTCOMES.index)  # the worst of the suites'
        for test in requirement["tests"]:
            entry["tests"].append(test["test"])
            run.tests[test["test"]] = {"outcome": test["outcome"], "implementation": test["implementation"]}


def unjudged(run: Run) -> dict[str, list[str]]:
    """Per "suite: implementation version" with no expectations recorded for that release: its failing tests."""
    recorded = {suite.name: expected.load(suite.expected_results) for suite in SUITES}
    found: dict[str, list[str]] = {}
    for test, result in sorted(run.tests.items()):
        suite = test.split("/")[0]
        name, _, version = result["implementation"].partition(" ")
        if suite in recorded and expected.unrecorded(recorded[suite], name, version):
            failing = found.setdefault(f"{suite}: {result['implementation']}", [])
            failing += [test] if result["outcome"] in FAILS else []
    return found


def bug_verdicts(run: Run, registry_file: Optional[Path] = None) -> dict[str, str]:
    """Every known bug's verdict under `run`, judged by what the registry records for the releases it holds."""
    registry = Registry.load(registry_file, version_of=run.holds.get)
    verdicts = {}
    for bug in registry.every_bug:
        target = run.targets.get(bug.target)
        recorded = bug in registry.bugs
        if not run.holds or target is None:
            verdict = "not run"
        elif target["skipped"]:
            verdict = "skipped"
        elif bug.signature in target["found"]:
            verdict = "reproduces" if recorded else "reproduces, unrecorded here"
        else:
            verdict = "no longer reproduces" if recorded else "absent"
        verdicts[bug.signature] = verdict
    return verdicts


def new_bugs(run: Run, registry_file: Optional[Path] = None) -> list[str]:
    """Signatures the replay met that no entry of the registry names, for any release."""
    every = {bug.signature for bug in Registry.load(registry_file).every_bug}
    return sorted(s for s in run.found if s not in every)


def requirement_verdict(run: Run, key: str) -> str:
    entry = run.requirements.get(key)
    if entry is None:
        return "-"
    return "FAIL (not judged)" if entry["verdict"] == "UNJUDGED" else str(entry["verdict"])


def matrix_data(runs: list[Run], registry_file: Optional[Path] = None) -> dict[str, Any]:
    """The side-by-side report's data: every known bug and every requirement, a verdict per setup."""
    registry = Registry.load(registry_file)
    verdicts = {run.label: bug_verdicts(run, registry_file) for run in runs}
    notes = {run.label: unjudged(run) for run in runs}
    keys = sorted({key for run in runs for key in run.requirements})
    return {
        "setups": [
            {
                "label": run.label,
                "holds": run.holds,
                "note": run.note,
                "skipped": {name: t["skipped"] for name, t in run.targets.items() if t["skipped"]},
                "errors": {name: t["errors"] for name, t in run.targets.items() if t["errors"]},
                "suites_unrun": run.suites_unrun,
                "new_bugs": new_bugs(run, registry_file) if run.holds else [],
                "unjudged": notes[run.label],
            }
            for run in runs
        ],
        "known_bugs": [
            {
                "signature": bug.signature,
                "target": bug.target,
                "recorded_for": bug.applies,
                "verdicts": {run.label: verdicts[run.label][bug.signature] for run in runs},
            }
            for bug in registry.every_bug
        ],
        "requirements": [
            {
                "requirement": key,
                "verdicts": {run.label: requirement_verdict(run, key) for run in runs},
            }
            for key in keys
        ],
    }


def _reproduces(verdict: str) -> Optional[bool]:
    """Whether a known bug's verdict says it reproduced (None: it did not run)."""
    return None if verdict in ("skipped", "not run") else verdict.startswith("reproduces")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def matrix_markdown(data: dict[str, Any], command: str) -> str:
    setups = data["setups"]
    labels = [setup["label"] for setup in setups]
    lines = [
        "# Version matrix",
        "",
        f"`{command}`: the known-bug replay and every conformance suite under each setup.",
        "",
    ]
    lines += [_row(["setup", *STACK, "how"]), _row(["---"] * (len(STACK) + 2))]
    for setup in setups:
        lines.append(_row([setup["label"], *(setup["holds"].get(name, "-") for name in STACK), setup["note"]]))
    changing = [bug for bug in data["known_bugs"] if len(set(map(_reproduces, bug["verdicts"].values())) - {None}) > 1]
    lines += ["", "## Known bugs", ""]
    lines.append(f"{len(data['known_bugs'])} registered; {len(changing)} reproduce under some setups and not others.")
    lines += ["", _row(["signature", "target", "recorded for", *labels]), _row(["---"] * (len(labels) + 3))]
    for bug in data["known_bugs"]:
        lines.append(_row([f"`{bug['signature']}`", bug["target"], bug["recorded_for"], *bug["verdicts"].values()]))
    lines += ["", "## Conformance requirements", ""]
    lines += [_row(["requirement", *labels]), _row(["---"] * (len(labels) + 1))]
    for requirement in data["requirements"]:
        lines.append(_row([requirement["requirement"], *(requirement["verdicts"].get(label, "-") for label in labels)]))
    for setup in setups:
        items = [f"new bug (in no registry entry): `{signature}`" for signature in setup["new_bugs"]]
        items += [f"target skipped: {name}: {why}" for name, why in setup["skipped"].items()]
        items += [f"target could not run: {name}: {'; '.join(errors)}" for name, errors in setup["errors"].items()]
        items += [f"suite not run: {name}: {why}" for name, why in setup["suites_unrun"].items()]
        for where, failing in setup["unjudged"].items():
            items.append(f"{where}: no expectations recorded: {len(failing)} tests fail, listed, not judged")
            items += [f"  - `{test}`" for test in failing]
        if items:
            lines += ["", f"## {setup['label']}", ""] + [
                item if item.startswith("  ") else f"- {item}" for item in items
            ]
    return "\n".join(lines) + "\n"


def comparison(pinned: Run, candidate: Run) -> tuple[list[str], bool]:
    """What changed from the pinned stack to the candidate, one line each, and whether it got worse."""

    def fails(run: Run, test: str) -> Optional[bool]:
        outcome = run.tests.get(test, {}).get("outcome")
        return True if outcome in FAILS else False if outcome in PASSES else None

    tests = sorted(set(pinned.tests) & set(candidate.tests))
    failing = [t for t in tests if fails(pinned, t) is False and fails(candidate, t)]
    passing = [t for t in tests if fails(pinned, t) and fails(candidate, t) is False]
    skipped = {name: t["skipped"] for name, t in candidate.targets.items() if t["skipped"]}
    compared = {name for name in pinned.targets if name not in skipped}
    before = {s for name in compared for s in pinned.targets[name]["found"]}
    after = {s for name in compared if name in candidate.targets for s in candidate.targets[name]["found"]}
    lines = [
        f"{candidate.label} ({', '.join(f'{n} {v}' for n, v in candidate.holds.items())}) against the pinned stack"
    ]
    lines += [f"new failure: {test}" for test in failing]
    lines += [f"new pass: {test}" for test in passing]
    lines += [f"bug appeared: {signature}" for signature in sorted(after - before)]
    lines += [f"bug vanished: {signature}" for signature in sorted(before - after)]
    lines += [f"target skipped: {name}: {why}" for name, why in sorted(skipped.items())]
    lines += [f"suite not run: {name}: {why}" for name, why in sorted(candidate.suites_unrun.items())]
    for where, tests_failing in unjudged(candidate).items():
        lines.append(f"{where}: no expectations recorded: {len(tests_failing)} tests fail, listed, not judged")
        lines += [f"  {test}" for test in tests_failing]
    worse = bool(failing or after - before)
    lines.append("worse than the pinned stack" if worse else "nothing got worse")
    return lines, worse


def cmd_matrix(args: Any, say: Say, out: Say) -> int:
    """python -m harness matrix: every setup run in turn, then the side-by-side report written and printed."""
    setups = [Setup.of([spec]) for spec in args.versions]  # every SPEC checked before any venv is made
    runs = [run_setup(setup, args.workdir, say) for setup in setups]
    command = "python -m harness matrix --versions " + " ".join(args.versions)
    data = matrix_data(runs, args.registry)
    folder = args.report or args.workdir / "matrix"
    markdown = matrix_markdown(data, command)
    atomic_write(folder / "report.md", markdown.encode())
    atomic_write(folder / "report.json", json.dumps({"command": command, **data}, indent=2).encode())
    out(markdown)
    say(f"report: {folder / 'report.md'}, {folder / 'report.json'}")
    return 0


def cmd_check(args: Any, say: Say, out: Say) -> int:
    """python -m harness check --with SPEC: exit 1 when the candidate is worse than the pinned stack."""
    chosen = Setup.of(args.candidates)
    pinned = run_setup(Setup(), args.workdir, say)
    candidate_run = run_setup(chosen, args.workdir, say)
    if not candidate_run.holds:
        raise UsageError(candidate_run.note)
    lines, worse = comparison(pinned, candidate_run)
    for line in lines:
        out(line)
    return 1 if worse else 0
