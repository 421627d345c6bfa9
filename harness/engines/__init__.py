"""Engines drive targets; they know nothing of protocols. Each is one interface (base.Engine)."""

from __future__ import annotations

import importlib

from harness.engines.base import Engine
from harness.target import UsageError

FUZZERS = ("atheris", "hypothesis")


def named(name: str) -> Engine:
    """The engine of that name (atheris, hypothesis, replay), imported on first use."""
    if name == "atheris":
        try:
            import atheris  # noqa: F401
        except ImportError:
            raise UsageError("atheris is not installed: pip install -e .[fuzz], or use --engine hypothesis") from None
    engine: Engine = importlib.import_module(f"harness.engines.{name}").ENGINE
    return engine
