"""Expected results: known non-conformance of one implementation version, with a reason.

A data file, not code edits (tlsfuzzer's expected failures, TLS-Anvil's expected results):

    [[expected]]
    implementation = "pylibsrtp"
    version = "1.0.0"
    test = "srtp/test_srtcp.py::test_first_srtcp_index_is_zero[*]"
    reason = "libsrtp increments the SRTCP index before sending, so its first packet carries 1"

Each suite keeps its own file (tests/conformance/<suite>/expected_results.toml, see
harness.conformance.suites). `test` is a node id relative to tests/conformance/, where `*` matches
anything (and brackets are the node id's own). A matching test is
an expected failure: it failing is XFAIL, it passing is XPASS, which fails the run like any
other deviation from the expectations (the entry is stale, or the implementation changed).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from harness.target import UsageError

FIELDS = ("implementation", "version", "test", "reason")


@dataclass(frozen=True)
class ExpectedFailure:
    implementation: str
    version: str
    test: str
    reason: str

    def matches(self, implementation: str, version: str, test: str) -> bool:
        pattern = ".*".join(re.escape(part) for part in self.test.split("*"))
        return (self.implementation, self.version) == (implementation, version) and re.fullmatch(
            pattern, test
        ) is not None


def load(path: Path) -> list[ExpectedFailure]:
    if not path.exists():
        return []  # a suite with no known deviation
    try:
        entries = tomllib.loads(path.read_text()).get("expected", [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"expected results {path}: {exc}") from None
    for number, entry in enumerate(entries, 1):
        if sorted(entry) != sorted(FIELDS):
            raise UsageError(f"expected results {path}: entry {number} needs exactly {', '.join(FIELDS)}")
    return [ExpectedFailure(**entry) for entry in entries]


def lookup(
    expectations: list[ExpectedFailure], implementation: str, version: str, test: str
) -> Optional[ExpectedFailure]:
    return next((e for e in expectations if e.matches(implementation, version, test)), None)
