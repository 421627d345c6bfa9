"""Expected results: known non-conformance of one implementation version, with a reason.

A data file, not code edits (tlsfuzzer's expected failures, TLS-Anvil's expected results):

    [[expected]]
    implementation = "pylibsrtp"
    versions = ">=0.12.0,<=1.0.0"
    test = "srtp/test_srtcp.py::test_first_srtcp_index_is_zero[*]"
    reason = "libsrtp increments the SRTCP index before sending, so its first packet carries 1"

Each suite keeps its own file (tests/conformance/<suite>/expected_results.toml, see
harness.conformance.suites). `test` is a node id relative to tests/conformance/, where `*` matches
anything (and brackets are the node id's own). A matching test is
an expected failure: it failing is XFAIL, it passing is XPASS, which fails the run like any
other deviation from the expectations (the entry is stale, or the implementation changed).

`versions` is a PEP 440 specifier set: the releases the entry holds for (harness.versions). A release
of an implementation that the file records expectations for, but none that names this release, is not
judged: its failures are listed as failures of a release with no expectations recorded, not read as
deviations from another release's.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from packaging.specifiers import SpecifierSet

from harness.target import UsageError
from harness.versions import contains, specifier_set

FIELDS = ("implementation", "versions", "test", "reason")


@dataclass(frozen=True)
class ExpectedFailure:
    implementation: str
    versions: SpecifierSet
    test: str
    reason: str

    def holds_for(self, implementation: str, version: str) -> bool:
        return self.implementation == implementation and contains(self.versions, version)

    def matches(self, implementation: str, version: str, test: str) -> bool:
        pattern = ".*".join(re.escape(part) for part in self.test.split("*"))
        return self.holds_for(implementation, version) and re.fullmatch(pattern, test) is not None


def load(path: Path) -> list[ExpectedFailure]:
    if not path.exists():
        return []  # a suite with no known deviation
    try:
        entries = tomllib.loads(path.read_text()).get("expected", [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"expected results {path}: {exc}") from None
    loaded = []
    for number, entry in enumerate(entries, 1):
        where = f"expected results {path}: entry {number}"
        if sorted(entry) != sorted(FIELDS):
            raise UsageError(f"{where} needs exactly {', '.join(FIELDS)}")
        loaded.append(ExpectedFailure(**{**entry, "versions": specifier_set(entry["versions"], where)}))
    return loaded


def lookup(
    expectations: list[ExpectedFailure], implementation: str, version: str, test: str
) -> Optional[ExpectedFailure]:
    return next((e for e in expectations if e.matches(implementation, version, test)), None)


def unrecorded(expectations: list[ExpectedFailure], implementation: str, version: str) -> bool:
    """Whether the file records expectations for `implementation`, but for other releases than `version`."""
    mine = [e for e in expectations if e.implementation == implementation]
    return bool(mine) and not any(e.holds_for(implementation, version) for e in mine)
