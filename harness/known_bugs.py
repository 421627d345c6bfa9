"""The known-bug registry: a reviewed data file, signature -> reason and upstream reference.

Fuzzing reports known bugs but fails only on new signatures; replay runs each known bug's
reproducer and tells when it stops reproducing (fixed upstream?).

Each entry names the releases it applies to: `component` (the distribution at fault, which is not
always the target's: a live call's bug may be aioice's) and `versions`, a specifier set
("==1.16.0", "<1.15"). Loaded under one release, the registry holds the entries for that release
only: a bug fixed in a later release is not expected to reproduce there, and a registered
signature met under a release outside its range is new (the range is wrong, or the bug came back).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from packaging.specifiers import SpecifierSet

from harness import project
from harness.target import UsageError
from harness.versions import contains, installed_version, specifier_set

REQUIRED = ("signature", "target", "reason", "upstream", "reproducer")
RELEASES = ("component", "versions")  # both or neither: an entry without them applies to any release


@dataclass(frozen=True)
class KnownBug:
    signature: str
    target: str
    reason: str
    upstream: str
    reproducer: Path  # under corpora/<target>/regressions/, replayed as a regression
    component: str = ""  # the distribution at fault; "" (with no versions) applies to any release
    versions: SpecifierSet = SpecifierSet()

    def applies_to(self, version: Optional[str]) -> bool:
        """Whether the bug is recorded for `version` of its component (None: not installed)."""
        return not self.component or contains(self.versions, version)

    @property
    def applies(self) -> str:
        """The releases it is recorded for, as a reader writes them: "aiortc==1.16.0"."""
        return f"{self.component}{self.versions}" if self.component else "any release"


class Registry:
    """The known bugs of the installed releases (`bugs`); `elsewhere` holds those of other releases."""

    def __init__(self, bugs: list[KnownBug], elsewhere: Optional[list[KnownBug]] = None) -> None:
        self.bugs = bugs
        self.elsewhere = elsewhere or []
        self._by_signature = {bug.signature: bug for bug in bugs}

    def __contains__(self, signature: object) -> bool:
        return signature in self._by_signature

    def get(self, signature: str) -> KnownBug | None:
        return self._by_signature.get(signature)

    def for_target(self, target: str) -> list[KnownBug]:
        return [bug for bug in self.bugs if bug.target == target]

    @property
    def every_bug(self) -> list[KnownBug]:
        """Every entry, for the installed releases and the others."""
        return self.bugs + self.elsewhere

    @classmethod
    def load(
        cls, path: Optional[Path] = None, version_of: Callable[[str], Optional[str]] = installed_version
    ) -> "Registry":
        """The registry at `path`, the project's by default; a missing file is an empty registry.

        `version_of(component)` gives the release each entry is judged for (the installed one by default).
        """
        path = path or project.current().known_bugs
        if not path.exists():
            return cls([])
        try:
            entries = tomllib.loads(path.read_text()).get("bug", [])
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"known-bug registry {path} is unreadable: {exc}") from None
        bugs: list[KnownBug] = []
        elsewhere: list[KnownBug] = []
        for number, entry in enumerate(entries, 1):
            missing = [key for key in REQUIRED if not entry.get(key)]
            if missing:
                raise UsageError(f"known-bug registry {path}: entry {number} lacks {', '.join(missing)}")
            where = f"known-bug registry {path}: entry {number}"
            if sum(key in entry for key in RELEASES) == 1:
                raise UsageError(f"{where} needs both component and versions (the releases it applies to), or neither")
            bug = KnownBug(
                **{key: entry[key] for key in REQUIRED if key != "reproducer"},
                reproducer=project.current().root / entry["reproducer"],  # as the project's files are named
                component=entry.get("component", ""),
                versions=specifier_set(entry["versions"], where) if "versions" in entry else SpecifierSet(),
            )
            here = not bug.component or bug.applies_to(version_of(bug.component))
            if here and any(other.signature == bug.signature for other in bugs):
                raise UsageError(f"{where} repeats {bug.signature} for a release another entry names")
            (bugs if here else elsewhere).append(bug)
        return cls(bugs, elsewhere)
