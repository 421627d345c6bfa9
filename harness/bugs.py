"""Bug records: a triaged, deduplicated, minimized and reproducible finding on disk.

One folder per signature under <workdir>/bugs/<target>/: record.json, the minimized
`reproducer`, and the original input. Files are written atomically (temp file, fsync,
rename), so a run killed half-way keeps every bug it had recorded.

An input is minimized once: a known bug's registered reproducer is its own, and every other
result is kept under <workdir>/minimized/ by the hash of its signature and input, for the next
run that meets the same input (every night's replay of the same corpus, say).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from harness.known_bugs import Registry
from harness.minimize import minimize_bug
from harness.target import Target
from harness.verdict import Outcome
from harness.worker import IsolatedRunner


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def signature_slug(signature: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", signature)[:80]
    return f"{readable}-{sha1(signature.encode())[:8]}"


@dataclass
class BugRecord:
    target: str
    component: str
    component_version: str
    signature: str
    kind: str
    error: str
    frame: str
    line: int
    message: str
    traceback: str
    input_sha1: str
    reproducer: str  # path of the minimized reproducer
    reproducer_sha1: str
    reproduce: str  # the command that reproduces it
    engine: str
    seed: Optional[int]
    known: bool = False
    known_reason: str = ""
    upstream: str = ""
    hits: int = 1
    inputs: list[str] = field(default_factory=list)
    sender: str = ""  # who could send the reproducer (Target.sender): the finding's severity


class BugStore:
    """The bugs of one run, by signature; the first input of a signature is the one kept."""

    def __init__(self, directory: Path, registry: Registry) -> None:
        self.directory = directory
        self.registry = registry
        self.records: dict[str, BugRecord] = {}
        self.minimized = directory.parent / "minimized"

    def record(
        self,
        target: Target,
        data: bytes,
        outcome: Outcome,
        runner: IsolatedRunner,
        *,
        engine: str,
        seed: Optional[int],
        minimize_seconds: float = 60.0,
    ) -> BugRecord:
        signature = outcome.signature
        assert signature is not None, "only bugs are recorded"
        existing = self.records.get(signature)
        if existing is not None:
            existing.hits += 1
            if sha1(data) not in existing.inputs:
                existing.inputs.append(sha1(data))
            self._save(existing)
            return existing
        folder = self.directory / target.name / signature_slug(signature)
        atomic_write(folder / f"input-{sha1(data)}", data)
        smallest = self._smallest(data, signature, runner, minimize_seconds, target.reductions)
        reproducer = folder / "reproducer"
        atomic_write(reproducer, smallest)
        known = self.registry.get(signature)
        record = BugRecord(
            target=target.name,
            component=target.component,
            component_version=target.component_version,
            signature=signature,
            kind=outcome.kind or "",
            error=outcome.error or "",
            frame=outcome.frame,
            line=outcome.line,
            message=outcome.message,
            traceback=outcome.traceback,
            input_sha1=sha1(data),
            reproducer=str(reproducer),
            reproducer_sha1=sha1(smallest),
            reproduce=f"python -m harness repro {target.name} {reproducer}",
            engine=engine,
            seed=seed,
            known=known is not None,
            known_reason=known.reason if known else "",
            upstream=known.upstream if known else "",
            inputs=[sha1(data)],
            sender=target.sender_of(smallest),
        )
        self.records[signature] = record
        self._save(record)
        return record

    def _smallest(
        self,
        data: bytes,
        signature: str,
        runner: IsolatedRunner,
        minimize_seconds: float,
        reductions: Optional[Callable[[bytes], Iterable[bytes]]],
    ) -> bytes:
        known = self.registry.get(signature)
        if known is not None and known.reproducer.is_file() and known.reproducer.read_bytes() == data:
            return data
        cached = self.minimized / f"{sha1(signature.encode())[:16]}-{sha1(data)}"
        if cached.is_file():
            return cached.read_bytes()
        smallest = minimize_bug(data, signature, runner.run, max_seconds=minimize_seconds, reductions=reductions)
        atomic_write(cached, smallest)
        return smallest

    def _save(self, record: BugRecord) -> None:
        folder = Path(record.reproducer).parent
        atomic_write(folder / "record.json", json.dumps(asdict(record), indent=2).encode())

    def skip_list(self) -> set[str]:
        """The signatures a fuzzer passes over: the registry's and this run's."""
        return set(self.records) | {bug.signature for bug in self.registry.bugs}

    @property
    def new(self) -> list[BugRecord]:
        return [r for r in self.records.values() if not r.known]
