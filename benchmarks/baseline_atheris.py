"""The atheris script a maintainer would write by hand for a target, the baseline of atheris_speed.py.

It makes the same call as the target (`target.run`: the repair, the entry point, the oracle), on
the same `instrument` modules instrumented alike, with the same custom mutator for a
structure-aware target, and nothing of the harness's per-input path around it (no verdict, no
watchdog, no reset of `random`, no skip list). Every Exception is swallowed, so it never stops on
a bug and measures speed only.

usage: python benchmarks/baseline_atheris.py TARGET [libFuzzer args]
"""

from __future__ import annotations

import signal
import sys

import atheris

from harness import project
from harness.engines.atheris_child import instrument_modules, structure_aware
from harness.target import UsageError, load_target

ROOT = project.current().root


def main() -> None:
    try:
        target = load_target(sys.argv.pop(1) if len(sys.argv) > 1 else "")
    except UsageError as exc:
        sys.exit(f"baseline_atheris: {exc}")
    # atheris 3.0's instrument_imports widens "aiortc.rtp" to all of aiortc: instrument exactly the
    # target's modules, with the harness's own function, so that only the harness around differs.
    instrument_modules(target.instrument)
    run = target.run

    def TestOneInput(data: bytes) -> None:
        try:
            run(data)
        except Exception:
            pass

    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as the harness's child: libFuzzer's own handler
    atheris.Setup(sys.argv, TestOneInput, **structure_aware(target))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
