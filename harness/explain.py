"""What `repro` says after the verdict: whether the bug is known, and the scenario the input plays.

A maintainer of the component reads this instead of the harness: the registry entry names the
reason, the upstream report and the stored reproducer; the scenario (Target.describe) is the input
in words, enough to write a test of their own.
"""

from __future__ import annotations

from pathlib import Path

from harness import project
from harness.known_bugs import Registry
from harness.target import Target
from harness.verdict import Outcome


def explain(target: Target, data: bytes, outcome: Outcome, registry: Registry) -> list[str]:
    """The lines after the verdict: known or new (for a bug), then the scenario (when the target describes one)."""
    lines: list[str] = []
    if outcome.signature is not None:
        known = registry.get(outcome.signature)
        if known is None:
            lines.append("new: this signature is not in the registry (known_bugs.toml)")
        else:
            lines.append(
                f"known bug: {known.reason} ({known.upstream}), registered reproducer {_shown(known.reproducer)}"
            )
    if target.describe is not None:
        try:
            if target.sender is not None:
                lines.append(f"sent by: the {target.sender_of(data)} sender (its severity)")
            scenario = target.describe(target.delivered(data))
        except Exception as exc:  # repro ends with its verdict, not with the describer's traceback
            return [*lines, f"the input does not decode to a scenario ({type(exc).__name__}: {exc})"]
        lines += ["scenario:", *(f"  {line}" for line in scenario)]
    return lines


def _shown(path: Path) -> str:
    """A path in the checkout as known_bugs.toml writes it, relative to the checkout."""
    return project.current().shown(path)
