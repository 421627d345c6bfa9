"""The known-bug registry: a reviewed data file, signature -> reason and upstream reference.

Fuzzing reports known bugs but fails only on new signatures; replay runs each known bug's
reproducer and tells when it stops reproducing (fixed upstream?).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness.target import ROOT, UsageError

REGISTRY_FILE = ROOT / "known_bugs.toml"
REQUIRED = ("signature", "target", "reason", "upstream", "reproducer")


@dataclass(frozen=True)
class KnownBug:
    signature: str
    target: str
    reason: str
    upstream: str
    reproducer: Path  # under corpora/<target>/regressions/, replayed as a regression


class Registry:
    def __init__(self, bugs: list[KnownBug]) -> None:
        self.bugs = bugs
        self._by_signature = {bug.signature: bug for bug in bugs}

    def __contains__(self, signature: object) -> bool:
        return signature in self._by_signature

    def get(self, signature: str) -> KnownBug | None:
        return self._by_signature.get(signature)

    def for_target(self, target: str) -> list[KnownBug]:
        return [bug for bug in self.bugs if bug.target == target]

    @classmethod
    def load(cls, path: Path = REGISTRY_FILE) -> "Registry":
        if not path.exists():
            return cls([])
        try:
            entries = tomllib.loads(path.read_text()).get("bug", [])
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"known-bug registry {path} is unreadable: {exc}") from None
        bugs = []
        for number, entry in enumerate(entries, 1):
            missing = [key for key in REQUIRED if not entry.get(key)]
            if missing:
                raise UsageError(f"known-bug registry {path}: entry {number} lacks {', '.join(missing)}")
            fields = {key: entry[key] for key in REQUIRED}
            fields["reproducer"] = ROOT / entry["reproducer"]
            bugs.append(KnownBug(**fields))
        return cls(bugs)
