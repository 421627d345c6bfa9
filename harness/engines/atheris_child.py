"""The libFuzzer process: one target under atheris, started by harness.engines.atheris.

Only the target's `instrument` modules are instrumented. Refusals in `rejects` are normal
returns. A bug whose signature the parent already holds (the registry's, or one found earlier
in this run) is also a normal return, so a bug that many inputs hit does not stop the fuzzer
again and again; any other bug propagates and libFuzzer writes its crash-* artifact.

A Python loop that overruns TIMEOUT (at most SUSPECT_SECONDS, or the target's slow_input_seconds) is
interrupted by the watchdog (harness.watchdog) and classified like any bug, so a known hang is passed over
too; libFuzzer's
own -timeout, set by the parent, is the backstop for a hang in C.

usage: python -m harness.engines.atheris_child TARGET TARGETS_DIR SKIP_FILE TIMEOUT [libFuzzer args]
"""

from __future__ import annotations

import gc
import hashlib
import os
import random
import signal
import sys
import types
from pathlib import Path
from typing import Callable, Optional

import atheris

from harness.target import Target, load_target
from harness.verdict import BUG, watched_classifier
from harness.watchdog import Watchdog


def instrument_modules(prefixes: tuple[str, ...]) -> int:
    """Instrument every loaded function of the given modules; the harness stays uninstrumented."""

    def wanted(module: str) -> bool:
        return any(module == p or module.startswith(p + ".") for p in prefixes)

    functions = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, types.FunctionType) and wanted(getattr(obj, "__module__", None) or "")
    ]
    for function in functions:
        atheris.instrument_func(function)
    return len(functions)


def passing_over(known: set[str]) -> Callable[[Optional[str]], bool]:
    """Whether a bug's signature is one to pass over, saying so once per signature: the harness's parent
    counts the known bugs met from these lines, and a standalone fuzzer's log reads the same."""
    met: set[str] = set()

    def passes_over(signature: Optional[str]) -> bool:
        if signature not in known:
            return False
        if signature not in met:
            met.add(signature)
            sys.stderr.write(f"harness: passed over known bug {signature}\n")
        return True

    return passes_over


# Inside the fuzzer an input this slow is a suspected hang: a known hang is passed over at this
# cost, an unknown one is confirmed (or not) by the worker with the full timeout.
SUSPECT_SECONDS = 0.25

# The share of mutations left to libFuzzer's byte mutator in a structure-aware target: bytes
# reach what the structure cannot express (and inputs that no longer decode).
BYTE_MUTATION_SHARE = 0.2


def structure_aware(
    target: Target, byte_mutate: Optional[Callable[[bytes, int], bytes]] = None
) -> dict[str, Callable[..., bytes]]:
    """atheris' custom_mutator and custom_crossover for a target that mutates structures.

    `byte_mutate` defaults to libFuzzer's own mutator, looked up on each call: atheris binds
    `atheris.Mutate` to the running fuzzer only once atheris.Fuzz() has started.
    """
    hooks: dict[str, Callable[..., bytes]] = {}
    if target.mutator is not None:
        mutate = target.mutator

        def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
            rng = random.Random(seed)
            structured = None if rng.random() < BYTE_MUTATION_SHARE else mutate(data, rng)
            if structured is None:
                structured = (byte_mutate or atheris.Mutate)(data, max_size)
            return structured[:max_size]

        hooks["custom_mutator"] = custom_mutator
    if target.crossover is not None:
        splice = target.crossover

        def custom_crossover(first: bytes, second: bytes, max_size: int, seed: int) -> bytes:
            spliced = splice(first, second, random.Random(seed))
            if spliced is None:  # libFuzzer's own crossover is not callable from Python: splice halves
                spliced = first[: len(first) // 2] + second[len(second) // 2 :]
            return spliced[:max_size]

        hooks["custom_crossover"] = custom_crossover
    return hooks


def main() -> None:
    name, targets_dir, skip_file, timeout = sys.argv[1:5]
    target = load_target(name, Path(targets_dir))
    known = set(Path(skip_file).read_text().split()) if os.path.exists(skip_file) else set()
    count = instrument_modules(target.instrument)
    sys.stderr.write(f"INFO: instrumented {count} functions of {', '.join(target.instrument)}\n")
    artifact_prefix = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("-artifact_prefix=")), "./")
    current = [b""]
    real_exit = os._exit

    def exit_with_artifact(status: int) -> None:
        # os._exit skips libFuzzer's handlers: keep the input that did it, then exit.
        data = current[0]
        path = f"{artifact_prefix}exit-{hashlib.sha1(data).hexdigest()}"
        with open(path, "wb") as handle:
            handle.write(data)
        # The line libFuzzer prints for its own artifacts, which the parent reads.
        sys.stderr.write(f"harness: os._exit({status}); Test unit written to {path}\n")
        sys.stderr.flush()
        real_exit(status)

    os._exit = exit_with_artifact  # type: ignore[assignment]

    suspect = min(float(timeout), max(SUSPECT_SECONDS, target.slow_input_seconds))
    classify = watched_classifier(target, Watchdog(suspect), with_traceback=False)
    passes_over = passing_over(known)

    def test_one_input(data: bytes) -> None:
        current[0] = data
        outcome = classify(data)
        if outcome.verdict == BUG and not passes_over(outcome.signature):
            # libFuzzer keeps the input; the parent's worker records the full traceback.
            raise RuntimeError(f"harness bug {outcome.signature}")

    # Python's own SIGINT handler would keep libFuzzer's off: the parent's interrupt at the deadline
    # must reach libFuzzer, which prints its final stats and exits.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    structure = structure_aware(target)
    atheris.Setup([sys.argv[0]] + sys.argv[5:], test_one_input, **structure)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
