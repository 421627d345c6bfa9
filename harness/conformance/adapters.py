"""One loader of implementations under test for every suite: a built-in name, `file.py:Name` or `module:Name`.

A suite's adapter option (`--srtp-adapter`, `--dtls-adapter`, ...) takes such a spec; `Name` is
called with no argument and must give an object with the attributes the suite's adapter
protocol names. Every way a spec can be wrong is a one-line UsageError.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

from harness.target import UsageError


def load_adapter(
    spec: str, *, what: str, built_in: Mapping[str, Callable[[], Any]], attributes: tuple[str, ...]
) -> Any:
    """The adapter `spec` names; `what` ("SRTP adapter") starts every complaint."""
    if spec in built_in:
        return built_in[spec]()
    where, _, attribute = spec.rpartition(":")
    if not where or not attribute:
        names = ", ".join(repr(name) for name in built_in)
        raise UsageError(f"{what} {spec!r}: expected {names}, 'file.py:Name' or 'module:Name'")
    try:
        module = _module_of_file(spec, where, what) if where.endswith(".py") else importlib.import_module(where)
    except ImportError as exc:
        raise UsageError(f"{what} {spec!r}: {exc}") from None
    factory = getattr(module, attribute, None)
    if factory is None:
        raise UsageError(f"{what} {spec!r}: {where} has no {attribute}")
    if not callable(factory):
        raise UsageError(f"{what} {spec!r}: {attribute} is not a class or function")
    try:
        adapter = factory()
    except Exception as exc:  # whatever building it raised, the spec is what was wrong
        raise UsageError(f"{what} {spec!r}: {attribute}() failed: {type(exc).__name__}: {exc}") from None
    missing = [a for a in attributes if not hasattr(adapter, a)]
    if missing:
        raise UsageError(f"{what} {spec!r} lacks {', '.join(missing)}")
    return adapter


def _module_of_file(spec: str, where: str, what: str) -> Any:
    path = Path(where).resolve()
    module_spec = importlib.util.spec_from_file_location(f"adapter_{path.stem}", path)
    if module_spec is None or module_spec.loader is None or not path.is_file():
        raise UsageError(f"{what} {spec!r}: no such file {where}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module  # dataclasses look their module up there
    module_spec.loader.exec_module(module)
    return module
