"""The project the harness works on: its targets, corpora, registries, suites and work folder.

One configuration, chosen once per process: the CLI's `--project DIR`, else the environment
variable WEBRTC_HARNESS_PROJECT, else the checkout this harness was imported from (a source tree,
or an editable install of one). An installed wheel carries the harness, not a project, so it is
pointed at one. Choosing a project exports it to the environment, so that the worker and fuzzer
processes the harness starts work on the same project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from harness.errors import UsageError

ENVIRONMENT_VARIABLE = "WEBRTC_HARNESS_PROJECT"
# The folder holding the harness package: children started with `python -m harness...` run from
# it, so that they import this harness whether it is installed or run from a checkout.
HARNESS_SOURCE = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def targets(self) -> Path:
        """A package of one module per fuzz target; helpers are its _private modules."""
        return self.root / "targets"

    @property
    def corpora(self) -> Path:
        return self.root / "corpora"

    @property
    def known_bugs(self) -> Path:
        return self.root / "known_bugs.toml"

    @property
    def known_assert_validation(self) -> Path:
        return self.root / "known_assert_validation.toml"

    @property
    def conformance(self) -> Path:
        """The conformance suites, a folder each with its expected_results.toml."""
        return self.root / "tests" / "conformance"

    @property
    def vectors(self) -> Path:
        return self.root / "vectors"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def workdir(self) -> Path:
        """Where a run keeps its corpus, bugs, logs and reports unless told otherwise."""
        return self.root / ".harness"

    def shown(self, path: Path) -> str:
        """`path` as a reader of this project's reports wants it: from the project's root when under it."""
        resolved = path.resolve()
        return str(resolved.relative_to(self.root)) if resolved.is_relative_to(self.root) else str(path)

    @classmethod
    def at(cls, root: Path) -> "Project":
        root = root.expanduser().resolve()
        if not (root / "targets" / "__init__.py").is_file():
            raise UsageError(f"{root} is not a harness project: it has no targets/ package")
        return cls(root)


_chosen: Optional[Project] = None


def use(root: Path) -> Project:
    """Work on the project at `root` from now on, in this process and the processes it starts."""
    global _chosen
    _chosen = Project.at(root)
    os.environ[ENVIRONMENT_VARIABLE] = str(_chosen.root)
    return _chosen


def current() -> Project:
    """The chosen project; the first call chooses it from the environment, else the checkout."""
    global _chosen
    if _chosen is None:
        configured = os.environ.get(ENVIRONMENT_VARIABLE)
        if configured:
            _chosen = Project.at(Path(configured))
        elif (HARNESS_SOURCE / "targets" / "__init__.py").is_file():
            _chosen = Project.at(HARNESS_SOURCE)
        else:
            raise UsageError(f"no project to work on: pass --project DIR or set {ENVIRONMENT_VARIABLE}")
    return _chosen
