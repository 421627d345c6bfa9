"""The Target contract, and the registry that discovers targets/*.py.

A target names one entry point of the stack under test and how that entry point may refuse
bad input (docs/design.md, "The Target contract"). Everything else (engines, triage,
reports) works from this definition alone.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

ROOT = Path(__file__).resolve().parents[1]
TARGETS_DIR = ROOT / "targets"
CORPORA_DIR = ROOT / "corpora"
# RFC test vectors: a copy of ../shared/vectors (verified there, recomputed from their inputs), so
# that a clone tests on its own, and the RFC examples that folder lacks.
VECTORS_DIR = ROOT / "vectors"

# A UDP datagram on a typical path; targets for text or larger units raise it.
DEFAULT_MAX_LEN = 4096


class UsageError(Exception):
    """Bad input to the harness itself: reported as one line, exit status 2."""


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
        return CORPORA_DIR / self.name

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


def target_files(directory: Path = TARGETS_DIR) -> dict[str, Path]:
    """Target name -> file, without importing anything."""
    return {p.stem: p for p in sorted(directory.glob("*.py")) if not p.name.startswith("_")}


def load_target(name: str, directory: Path = TARGETS_DIR) -> Target:
    """Import targets/<name>.py and return its `target`; unknown names are a usage error."""
    files = target_files(directory)
    if name not in files:
        known = ", ".join(files) or "none"
        raise UsageError(f"unknown target {name!r} (known: {known})")
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))  # targets may share private helpers (_name.py)
    module_name = f"harness_targets.{name}"
    if module_name in sys.modules:
        module = sys.modules[module_name]
    else:
        spec = importlib.util.spec_from_file_location(module_name, files[name])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    target = getattr(module, "target", None)
    if not isinstance(target, Target) or target.name != name:
        raise UsageError(f"{files[name]} does not define `target = Target(name={name!r}, ...)`")
    return target


def all_targets(directory: Path = TARGETS_DIR) -> list[Target]:
    return [load_target(name, directory) for name in target_files(directory)]
