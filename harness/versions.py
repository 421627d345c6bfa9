"""Versions of the stack under test: the installed one of a distribution, and the ranges data files name.

The known-bug registry and the conformance suites' expected results record the releases each entry
applies to as a version specifier set (`packaging.specifiers`, PEP 440: "==1.16.0", ">=0.12.0,<=1.0.0"),
so that the harness run against another release judges it by what is recorded for that release.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import Optional

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from harness.errors import UsageError


def installed_version(distribution: str) -> Optional[str]:
    """The installed version of `distribution`, or None where it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def specifier_set(text: str, where: str) -> SpecifierSet:
    """`text` as a specifier set; `where` names the entry in the one-line error when it is none.

    An empty set would match every release: a data file says which releases it means.
    """
    try:
        specifiers = SpecifierSet(text)
    except InvalidSpecifier:
        raise UsageError(f"{where}: {text!r} is not a version specifier set (such as '==1.16.0')") from None
    if not str(specifiers):
        raise UsageError(f"{where}: an empty version specifier set names no release")
    return specifiers


def contains(specifiers: SpecifierSet, version: Optional[str]) -> bool:
    """Whether `version` is one of the releases `specifiers` names (a pre-release counts; none installed never)."""
    if version is None:
        return False
    try:
        return specifiers.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


def unmet(need: str) -> Optional[str]:
    """Why `need` (Target.needs: "aiortc>=1.16" or "module:Class.attribute") is unmet here, or None when met."""
    if ":" in need:
        module_name, _, path = need.partition(":")
        try:
            found: object = importlib.import_module(module_name)
        except ImportError:
            return f"needs {need}: no module {module_name}"
        for attribute in path.split("."):
            if not hasattr(found, attribute):
                return f"needs {need}: {attribute} is missing"
            found = getattr(found, attribute)
        return None
    try:
        requirement = Requirement(need)
    except InvalidRequirement:
        raise UsageError(f"target need {need!r} is neither 'distribution<specifiers>' nor 'module:attribute'") from None
    version = installed_version(requirement.name)
    if contains(requirement.specifier, version):
        return None
    return f"needs {need}, has {requirement.name} {version or 'not installed'}"
