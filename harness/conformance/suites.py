"""The registry of conformance suites: each names its folder, adapter option, default and expectations.

A suite lives in tests/conformance/<name>/ with its own expected_results.toml; its tests are
judged only against the expectations of its own implementation, and its adapter module is
imported only when one of its tests runs (or the command line names its adapter).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from harness import project
from harness.target import UsageError
from harness.versions import unmet


@dataclass(frozen=True)
class Suite:
    name: str
    default: str  # the implementation under test unless the adapter option names another
    adapters: str  # the module whose load(spec) gives the adapter
    # What the suite's tests rely on beyond the adapter (harness.versions.unmet): where a release lacks it, the
    # suite is skipped there with the reason, as a target is (Target.needs), not reported as failing.
    needs: tuple[str, ...] = ()

    def unmet_needs(self) -> list[str]:
        return [reason for need in self.needs if (reason := unmet(need))]

    @property
    def folder(self) -> Path:
        return project.current().conformance / self.name

    @property
    def option(self) -> str:
        return f"--{self.name}-adapter"

    @property
    def dest(self) -> str:
        """The option's attribute name, for argparse and pytest alike."""
        return f"{self.name}_adapter"

    @property
    def expected_results(self) -> Path:
        return self.folder / "expected_results.toml"

    def load(self, spec: str) -> Any:
        """The adapter `spec` names (UsageError with one line when it names none)."""
        return importlib.import_module(self.adapters).load(spec)


SUITES: tuple[Suite, ...] = (
    Suite("srtp", "pylibsrtp", "harness.conformance.srtp_adapters"),
    Suite("dtls", "aiortc", "harness.conformance.dtls_adapters"),
    Suite("stun", "aioice", "harness.conformance.ice_adapters"),
    Suite("ice", "aioice", "harness.conformance.ice_adapters"),
    # The candidate policies are aiortc's since 1.16 (RTCConfiguration.iceTransportPolicy).
    Suite("ip", "aiortc", "harness.conformance.ip_adapters", ("aiortc.rtcconfiguration:RTCIceTransportPolicy",)),
    Suite("sdp", "aiortc", "harness.conformance.sdp_adapters"),
)


def named(names: list[str]) -> list[Suite]:
    """The suites named (all of them for none); an unknown name is a usage error."""
    by_name = {suite.name: suite for suite in SUITES}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise UsageError(f"unknown conformance suite {unknown[0]!r} (known: {', '.join(by_name)})")
    return [by_name[name] for name in names] if names else list(SUITES)


def suite_of(path: Path) -> Optional[Suite]:
    """The suite a test file belongs to, or None outside tests/conformance/<suite>/."""
    return next((suite for suite in SUITES if path.is_relative_to(suite.folder)), None)
