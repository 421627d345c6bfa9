"""Classify what one input did to a target, and give every bug a stable signature.

accepted: the entry point returned (and the oracle, if any, held);
rejected: it raised one of the target's `rejects`, its documented way to refuse input;
bug:      anything else, of one of the kinds below.

A signature is (kind, exception type, innermost frame inside the component), written
"kind:Type@package/module.py:function"; a property violation's is (oracle, the property, the
component's frame it carries or else the target), written "oracle:property@frame-or-target".
Line numbers are left out on purpose: a hang stops at whichever line of a loop it happened to
be on, and the function is what a maintainer greps for. The same signature found twice, or on two machines, is one bug.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Callable, Optional

from harness import fresh_random
from harness.target import OracleViolation, Target
from harness.watchdog import InputTimeout, Watchdog, last_samples, looping_frames

ACCEPTED, REJECTED, BUG = "accepted", "rejected", "bug"

# Bug kinds.
EXCEPTION = "exception"  # an exception the component does not document as refusal
HANG = "hang"  # exceeded the per-input timeout
CRASH = "crash"  # died on a signal (segfault, abort, ...)
OOM = "oom"  # exhausted the memory limit
RECURSION = "recursion"  # recursed without end
EXIT = "exit"  # ended the process (os._exit, sys.exit)
ORACLE = "oracle"  # a property beyond "did not crash" failed
BUG_KINDS = (EXCEPTION, HANG, CRASH, OOM, RECURSION, EXIT, ORACLE)

UNKNOWN_FRAME = "?"


@dataclass
class Outcome:
    verdict: str
    kind: Optional[str] = None
    error: Optional[str] = None  # exception type name, signal name, or exit(status)
    frame: str = UNKNOWN_FRAME  # innermost frame inside the component: "pkg/mod.py:func"
    line: int = 0
    message: str = ""
    traceback: str = ""

    @property
    def is_bug(self) -> bool:
        return self.verdict == BUG

    @property
    def signature(self) -> Optional[str]:
        if not self.is_bug:
            return None
        return f"{self.kind}:{self.error}@{self.frame}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "Outcome":
        return cls(**data)  # type: ignore[arg-type]

    def describe(self) -> str:
        if self.is_bug:
            return f"bug {self.signature} (line {self.line}): {self.message}"
        if self.verdict == REJECTED:
            return f"rejected: {self.message}"
        return "accepted"


@functools.lru_cache(maxsize=None)
def component_root(package: str) -> Optional[Path]:
    """The directory (or single file) holding the component's code."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    return Path(spec.origin).resolve() if spec.origin else None


def stack_roots(target: Target) -> tuple[Path, ...]:
    """Where the code under test lies: the component's package, and the packages of its stack (Target.stack)."""
    roots = (component_root(package) for package in (target.component_package, *target.stack))
    return tuple(root for root in roots if root is not None)


@functools.lru_cache(maxsize=4096)
def _module_path(filename: str, roots: tuple[Path, ...]) -> tuple[bool, str]:
    """Whether `filename` lies inside one of `roots`, and its path as a signature shows it.

    Cached: the fuzzer asks for every buggy input, and resolving paths means system calls.
    """
    path = Path(filename)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None and not path.is_absolute():  # PyInstaller names frames relative to where it unpacks
        path = Path(bundle) / path
    path = path.resolve()
    for root in roots:
        try:
            path.relative_to(root)
            return True, str(path.relative_to(root.parent))
        except ValueError:
            pass
    return False, path.name


def innermost_frame(frames: list[tuple[str, int, str]], roots: tuple[Path, ...]) -> tuple[str, int]:
    """The innermost (file, line, function) inside one of `roots`, else the innermost of all.

    `frames` run outermost first, as in a Python traceback.
    """
    for filename, line, function in reversed(frames):
        inside, shown = _module_path(filename, roots)
        if inside:
            return f"{shown}:{function}", line
    if frames:
        filename, line, function = frames[-1]
        return f"{_module_path(filename, roots)[1]}:{function}", line
    return UNKNOWN_FRAME, 0


def frames_of(tb: Optional[TracebackType]) -> list[tuple[str, int, str]]:
    # No source lines read, no generator: this runs for every buggy input inside the fuzzer, known
    # bugs included (the fuzzer passes over them by their signature).
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        frames.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    return frames


# faulthandler prints "most recent call first": `  File "x.py", line 12 in func`
_FAULTHANDLER_FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


def frames_of_dump(text: str) -> list[tuple[str, int, str]]:
    """Frames of the main thread in a faulthandler dump, outermost first.

    A dump of all threads lists the newest thread first and the main thread last (CPython keeps
    its threads newest first); a dump of one thread has one block.
    """
    blocks: list[list[tuple[str, int, str]]] = []
    in_block = False
    for line in text.splitlines():
        match = _FAULTHANDLER_FRAME.match(line)
        if match:
            if not in_block:
                blocks.append([])
                in_block = True
            blocks[-1].append((match["file"], int(match["line"]), match["func"]))
        else:
            in_block = False  # a blank line or a thread header ends a stack
    return list(reversed(blocks[-1])) if blocks else []


def error_name(exc: BaseException) -> str:
    """`ValueError` for builtins, `struct.error` for the rest: unambiguous and short."""
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def bug_from_exception(kind: str, exc: BaseException, target: Target, with_traceback: bool) -> Outcome:
    frame, line = innermost_frame(frames_of(exc.__traceback__), stack_roots(target))
    if not with_traceback:  # the fuzzer needs the signature only
        return Outcome(verdict=BUG, kind=kind, error=error_name(exc), frame=frame, line=line)
    return Outcome(
        verdict=BUG,
        kind=kind,
        error=error_name(exc),
        frame=frame,
        line=line,
        message=str(exc)[:500],
        traceback="".join(traceback.format_exception(exc)),
    )


def bug_from_violation(exc: OracleViolation, target: Target, with_traceback: bool) -> Outcome:
    """A property violation: its signature is the property and where it broke: the component's own
    frame when the violation carries one (a serializer that raised), else the target."""
    roots = stack_roots(target)
    frames = frames_of(exc.__traceback__)
    frame, line = innermost_frame(frames, roots)
    if not any(_module_path(filename, roots)[0] for filename, _, _ in frames):
        frame = target.name
    return Outcome(
        verdict=BUG,
        kind=ORACLE,
        error=exc.property,
        frame=frame,
        line=line,
        message=str(exc)[:500],
        traceback="".join(traceback.format_exception(exc)) if with_traceback else "",
    )


def bug_from_dump(kind: str, error: str, dump: str, target: Target, message: str) -> Outcome:
    """A bug seen from outside the process: a signal, a hang, an exit, with its dump."""
    frame, line = innermost_frame(frames_of_dump(dump), stack_roots(target))
    return Outcome(verdict=BUG, kind=kind, error=error, frame=frame, line=line, message=message, traceback=dump)


def bug_from_overrun(target: Target, with_traceback: bool) -> Outcome:
    """A hang the watchdog interrupted: its signature is the frame every stack sample shares."""
    samples = last_samples()
    frame, line = innermost_frame(looping_frames(samples), stack_roots(target))
    shown = ""
    if with_traceback:
        shown = "\n\n".join(
            f"Stack sample {number}:\n" + "".join(f'  File "{f}", line {n}, in {func}\n' for f, n, func in frames)
            for number, frames in enumerate(samples, 1)
        )
    return Outcome(verdict=BUG, kind=HANG, error="Timeout", frame=frame, line=line,
                   message="ran longer than the timeout", traceback=shown)  # fmt: skip


_ACCEPTED = Outcome(verdict=ACCEPTED)
_REJECTED = Outcome(verdict=REJECTED)


def classify_call(target: Target, data: bytes, with_traceback: bool = True) -> Outcome:
    """Run one input in this process and classify how it ended (not hangs or signals).

    The fuzzer asks for the verdict and signature only (`with_traceback=False`): formatting a
    traceback or a message costs more than most inputs take to run.
    """
    try:
        target.run(data)
    except target.rejects as exc:
        if not with_traceback:
            return _REJECTED
        return Outcome(verdict=REJECTED, error=error_name(exc), message=str(exc)[:500])
    except OracleViolation as exc:
        return bug_from_violation(exc, target, with_traceback)
    except InputTimeout:
        return bug_from_overrun(target, with_traceback)
    except MemoryError as exc:
        return bug_from_exception(OOM, exc, target, with_traceback)
    except RecursionError as exc:
        return bug_from_exception(RECURSION, exc, target, with_traceback)
    except SystemExit as exc:
        return bug_from_exception(EXIT, exc, target, with_traceback)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # anything else the component let escape is a finding
        return bug_from_exception(EXCEPTION, exc, target, with_traceback)
    return _ACCEPTED


def watched_classifier(
    target: Target, watchdog: Watchdog, *, with_traceback: bool = True
) -> Callable[[bytes], Outcome]:
    """What every engine runs an input with: `random` where it starts for every input
    (harness.fresh_random), and the watchdog's interruption a hang wherever it lands. A closure
    over locals: in the fuzzer, this is the whole of the harness's cost per input."""
    noted, restore, run = fresh_random.NOTED, fresh_random.restore, watchdog.run

    def classify(data: bytes) -> Outcome:
        if noted.drawn:
            restore()
        outcome = run(classify_call, target, data, with_traceback)
        return outcome if outcome is not None else bug_from_overrun(target, with_traceback)

    return classify
