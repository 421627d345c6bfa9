"""The Target contract, and the registry that discovers targets/*.py.

A target names one entry point of the stack under test and how that entry point may refuse
bad input (docs/design.md, "The Target contract"). Everything else (engines, triage,
reports) works from this definition alone.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Optional

from harness import project
from harness.errors import UsageError
from harness.versions import unmet

__all__ = ["Target", "OracleViolation", "UsageError", "load_target", "all_targets", "target_files", "targets_module"]

# A UDP datagram on a typical path; targets for text or larger units raise it.
DEFAULT_MAX_LEN = 4096


class OracleViolation(Exception):
    """A property beyond "did not crash" failed (round trip, differential, liveness).

    `prop` names the property ("round-trip-keeps-packet", "fingerprint-checked"): the bug's signature
    is built from it, not from the helper that raised, so renaming a helper never changes a bug.
    """

    def __init__(self, prop: str, detail: str = "") -> None:
        super().__init__(f"{prop}: {detail}" if detail else prop)
        self.property = prop


# Running out of memory or stack is a bug of its own kind (oom, recursion), wherever the component
# does it: an oracle that turns the component's exceptions into violations lets these pass first.
EXHAUSTION: tuple[type[BaseException], ...] = (MemoryError, RecursionError)


@dataclass(frozen=True)
class Target:
    name: str
    protocol: str
    component: str  # the distribution under test, e.g. "aiortc"
    entry: Callable[[bytes], Any]
    rejects: tuple[type[BaseException], ...]
    instrument: tuple[str, ...]  # module prefixes whose coverage guides the fuzzer
    oracle: Optional[Callable[[bytes, Any], None]] = None  # raises OracleViolation
    max_len: int = DEFAULT_MAX_LEN
    # The top-level package of the component when it differs from the distribution name.
    package: Optional[str] = None
    # Packages beneath the component that the entry point drives too (a live call runs aioice and
    # pylibsrtp under aiortc): a bug's place is the innermost frame in any of them, so one bug found
    # through the whole stack has the signature it has when found through its own parser.
    stack: tuple[str, ...] = ()
    # What the receiver verifies before the code behind it (a CRC32c, MESSAGE-INTEGRITY, an SRTP
    # tag), made valid for whatever the input is, so that every engine's inputs pass the gate.
    # It is part of driving the target: replay and repro apply it to the stored input too.
    repair: Optional[Callable[[bytes], bytes]] = None
    strategy: Optional[Callable[[], Any]] = field(default=None, compare=False)
    # Structure-aware mutation (harness.protocols.mutations.Codec.mutator and .crossover):
    # the input mutated, or spliced with another, as a message; None leaves it to byte mutation.
    mutator: Optional[Callable[[bytes, random.Random], Optional[bytes]]] = field(default=None, compare=False)
    crossover: Optional[Callable[[bytes, bytes, random.Random], Optional[bytes]]] = field(default=None, compare=False)
    # The scenario a structured input decodes to (a profile and its steps, a conversation), from the
    # input as delivered, in plain English, one line each: `repro` prints it, so that a maintainer can
    # rebuild the case without the harness. It may raise on an input that decodes to no scenario.
    describe: Optional[Callable[[bytes], list[str]]] = field(default=None, compare=False)
    # Who could send the input, from the input as delivered ("off-path", "on-path", "peer" for a live
    # session's attacks): a finding's severity, recorded with the bug and shown in reports and by `repro`.
    sender: Optional[Callable[[bytes], str]] = field(default=None, compare=False)
    # Simpler forms of an input as its structure sees them (a conversation without one step, a message
    # shortened, a weaker sender), tried by the minimizer before byte-level delta debugging, which cannot
    # see where a length-prefixed step begins. Each must be smaller or simpler, so that trying them ends.
    reductions: Optional[Callable[[bytes], Iterable[bytes]]] = field(default=None, compare=False)
    # The longest a sound input takes, when that is more than a fraction of a second (a live call waits on
    # its timers): the fuzzer suspects a hang only beyond it (harness.engines.atheris_child).
    slow_input_seconds: float = 0.0
    # What the target relies on beyond the component's public API, checked before it runs (unmet_needs):
    # "aiortc>=1.16" (the releases whose internals it is written against) or "module:Class.attribute" (an
    # internal it drives). Where a need is unmet the target is skipped with the reason, so that a release
    # lacking the internals is not reported as having a bug that is the harness's incompatibility.
    needs: tuple[str, ...] = ()

    def sender_of(self, data: bytes) -> str:
        """Who could send `data` (the stored input, repaired as delivered); "" for a target that does not say."""
        return self.sender(self.delivered(data)) if self.sender is not None else ""

    @property
    def component_package(self) -> str:
        return self.package or self.component

    @property
    def component_version(self) -> str:
        try:
            return importlib.metadata.version(self.component)
        except importlib.metadata.PackageNotFoundError:
            return "unknown"

    @property
    def seed_dir(self) -> Path:
        return project.current().corpora / self.name

    def delivered(self, data: bytes) -> bytes:
        """The input as the entry point gets it: repaired, when the target repairs."""
        return self.repair(data) if self.repair is not None else data

    def run(self, data: bytes) -> Any:
        """Drive the entry point once (after the repair); apply the oracle when the input was accepted.

        The oracle sees what the component saw: the repaired input.
        """
        delivered = self.delivered(data)
        result = self.entry(delivered)
        if self.oracle is not None:
            self.oracle(delivered, result)
        return result


def unmet_needs(target: Target) -> list[str]:
    """Why `target` cannot run against the installed stack: one line per unmet need (none: it can)."""
    return [reason for need in target.needs if (reason := unmet(need))]


def target_files(directory: Optional[Path] = None) -> dict[str, Path]:
    """Target name -> file, without importing anything (the project's targets by default)."""
    directory = directory or project.current().targets
    return {p.stem: p for p in sorted(directory.glob("*.py")) if not p.name.startswith("_")}


def targets_package(directory: Path) -> str:
    """Import a folder of targets as a package and return its name.

    Each folder gets a name of its own (the project's targets and a test's deliberately faulty ones
    live in one process), and its targets import their helpers relatively (`from ._srtp import ...`),
    so nothing is added to sys.path.
    """
    directory = directory.resolve()
    name = "harness_targets_" + hashlib.sha1(str(directory).encode()).hexdigest()[:12]
    if name not in sys.modules:
        init = directory / "__init__.py"
        if not init.is_file():
            raise UsageError(f"{directory} is not a package of targets: it has no __init__.py")
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(directory)])
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        spec.loader.exec_module(package)
    return name


def targets_module(name: str, directory: Optional[Path] = None) -> ModuleType:
    """A module of the targets package: a target's, or a helper's (`_session`), for tests and scripts."""
    return importlib.import_module(f"{targets_package(directory or project.current().targets)}.{name}")


def load_target(name: str, directory: Optional[Path] = None) -> Target:
    """Import the target module `name` and return its `target`; unknown names are a usage error."""
    directory = directory or project.current().targets
    files = target_files(directory)
    if name not in files:
        known = ", ".join(files) or "none"
        raise UsageError(f"unknown target {name!r} (known: {known})")
    module = targets_module(name, directory)
    target = getattr(module, "target", None)
    if not isinstance(target, Target) or target.name != name:
        raise UsageError(f"{files[name]} does not define `target = Target(name={name!r}, ...)`")
    return target


def all_targets(directory: Optional[Path] = None) -> list[Target]:
    return [load_target(name, directory) for name in target_files(directory)]
