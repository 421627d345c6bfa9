"""The answers a transport gave to input words, kept on disk: a relearn asks the transport nothing it answered before.

A word's answers are stored with every prefix's (a transport answers a prefix the same whatever
follows it). A word after which the transport stopped listening is marked dead: no task of the
transport runs any more, so nothing sent to it can change what it does, and every extension of
the word answers "nothing sent, same state" without a transport (the only reset that can be
proved equivalent). One file per system under learning, named by a key that changes whenever
what could change the answers changes: the implementation and its version, the role, the
alphabet, and the source of the mapper (the scripted peer and its codecs).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable, Optional

from harness.peers.dtls_moves import Answer

Word = tuple[str, ...]


class QueryCache:
    def __init__(self, path: Optional[Path] = None) -> None:
        self.path = path  # None: in memory only
        self._answers: dict[Word, Answer] = {}
        self._dead: set[Word] = set()
        if path is not None and path.exists():
            self._load(path)

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, word: Word) -> Optional[Answer]:
        """The answer to the last input of `word`, if known (directly, or because a prefix left the transport dead)."""
        if word in self._answers:
            return self._answers[word]
        for length in range(len(word) - 1, -1, -1):
            if word[:length] in self._dead:
                at_death = self._answers.get(word[:length])
                return Answer((), at_death.state) if at_death is not None else None
        return None

    def put(self, word: Word, answer: Answer) -> None:
        self._answers[word] = answer

    def mark_dead(self, word: Word) -> None:
        self._dead.add(word)

    def forget_extensions(self, prefix: Word) -> None:
        """Drop every answer past `prefix` (its answers turned out to be on another path), and the dead marks there."""
        self._answers = {w: a for w, a in self._answers.items() if w[: len(prefix)] != prefix or len(w) <= len(prefix)}
        self._dead = {w for w in self._dead if w[: len(prefix)] != prefix or len(w) < len(prefix)}

    def save(self) -> None:
        """Write the cache atomically (temp file, fsync, rename): maximal words and dead words, a JSON line each."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        prefixes = {w[:n] for w in self._answers for n in range(len(w))}
        lines = [
            json.dumps({"word": list(word), "answers": [str(self._answers[word[:n]]) for n in range(1, len(word) + 1)]})
            for word in sorted(self._answers)
            if word not in prefixes and all(word[:n] in self._answers for n in range(1, len(word) + 1))
        ]
        if () in self._answers:
            lines.append(json.dumps({"start": str(self._answers[()])}))
        lines += [json.dumps({"dead": list(word)}) for word in sorted(self._dead)]
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name)
        try:
            with os.fdopen(handle, "w") as file:
                file.write("\n".join(lines) + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise

    def _load(self, path: Path) -> None:
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if "start" in entry:
                self._answers[()] = Answer.parse(entry["start"])
            elif "dead" in entry:
                self._dead.add(tuple(entry["dead"]))
            else:
                word = tuple(entry["word"])
                for length, answer in enumerate(entry["answers"], 1):
                    self._answers[word[:length]] = Answer.parse(answer)


def cache_key(*parts: str, sources: Iterable[Path]) -> str:
    """A short name that changes with any of `parts` or the bytes of any of `sources`."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    for source in sorted(sources):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]
