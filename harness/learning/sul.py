"""The transport under test as AALpy's system under learning: cached, lazy, and voting where it disagrees with itself.

AALpy asks a SUL for `pre()`, then `step(input)` per input, then `post()`. Here a step is first
looked up in the query cache (harness.learning.cache); only a word the cache cannot answer needs
a transport, and only then is one made: a new transport facing a new scripted peer
(harness.peers.dtls_moves.DtlsSession), driven through the word's prefix and then the new input.
No reset of an OpenSSL connection can be proved equivalent to a new one, so a transport serves
one word; the cache's dead words are where a transport is known to do nothing any more.

Replaying a prefix checks each answer against the cache. A transport is deterministic only
while its timers (DTLS retransmission, from 1 s on) stay out of the way, so a disagreement is
settled by a vote: the word is played on new transports until one answer sequence has a strict
majority of at least VOTES_TO_AGREE runs, and the cache takes it. A word that never agrees within
MAX_VOTING_RUNS is reported (`disagreements`), and the first answer seen is kept.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional, cast

from aalpy.base import SUL

from harness.learning.cache import QueryCache, Word
from harness.peers.dtls_moves import Answer, DtlsSession

VOTES_TO_AGREE = 3
MAX_VOTING_RUNS = 7
PROGRESS_SECONDS = 10.0  # between progress lines, each with the cache saved (an interrupted run keeps its answers)


@dataclass
class Disagreement:
    """A word on which the transport gave different answers, and how often it gave each."""

    word: Word
    tallies: list[tuple[tuple[str, ...], int]]

    def __str__(self) -> str:
        counts = "; ".join(f"{count}x {' / '.join(answers)}" for answers, count in self.tallies)
        return f"{' '.join(self.word)}: {counts}"


@dataclass
class SulStatistics:
    steps: int = 0  # inputs AALpy asked for, from the cache or not
    cached_steps: int = 0  # of these, answered by the cache
    transports: int = 0  # transports made (the real resets)
    live_steps: int = 0  # inputs played on a transport, prefixes replayed included
    votes: int = 0  # disagreements put to a vote
    disagreements: list[Disagreement] = field(default_factory=list)  # votes that never agreed


class TransportSul(SUL):
    def __init__(
        self,
        open_session: Callable[[], DtlsSession],
        cache: QueryCache,
        *,
        progress: Optional[Callable[[str], None]] = None,
    ) -> None:
        super().__init__()
        self.open_session = open_session
        self.cache = cache
        self.statistics = SulStatistics()
        self.progress = progress
        self._word: Word = ()
        self._live: Optional[DtlsSession] = None
        self._last_progress = time.monotonic()

    # --- AALpy's interface -------------------------------------------------------------------

    def pre(self) -> None:
        self._word = ()

    def post(self) -> None:
        self._close_live()
        self._report_progress()

    def step(self, letter: Optional[str]) -> Answer:
        assert letter is not None, "a Mealy machine has no empty query"
        word = (*self._word, letter)
        self._word = word
        self.statistics.steps += 1
        cached = self.cache.get(word)
        if cached is not None:
            self.statistics.cached_steps += 1
            return cached
        if self._live is None:
            self._live = self._session_at(word[:-1])
        answer = self._play(self._live, letter)
        self.cache.put(word, answer)
        if not self._live.listening:
            self.cache.mark_dead(word)
            self._close_live()
        return answer

    # --- transports --------------------------------------------------------------------------

    def initial_answer(self) -> Answer:
        """What a new transport does when started (as client: its ClientHello); cached under the empty word."""
        cached = self.cache.get(())
        if cached is None:
            session = self._new_session()
            session.close()
        return self.cache.get(()) or Answer((), "?")

    def _new_session(self) -> DtlsSession:
        self.statistics.transports += 1
        session = self.open_session()
        answer = session.start()
        if self.cache.get(()) is None:
            self.cache.put((), answer)
        return session

    def _play(self, session: DtlsSession, letter: str) -> Answer:
        self.statistics.live_steps += 1
        return session.play(letter)

    def _session_at(self, prefix: Word) -> DtlsSession:
        """A transport driven through `prefix`, each answer as the cache has it (put to a vote where it differs)."""
        session = self._new_session()
        for length in range(1, len(prefix) + 1):
            answer = self._play(session, prefix[length - 1])
            if answer != self.cache.get(prefix[:length]):
                session.close()
                return self._vote(prefix[:length], first=answer, rest=prefix[length:])
        return session

    def _run(self, word: Word) -> tuple[tuple[Answer, ...], DtlsSession]:
        session = self._new_session()
        return tuple(self._play(session, letter) for letter in word), session

    def _vote(self, word: Word, *, first: Answer, rest: Word) -> DtlsSession:
        """Settle `word`'s answers by majority, then return a transport at the end of word + rest."""
        self.statistics.votes += 1
        # Every prefix of a word replayed from the cache is in it.
        cached = tuple(cast(Answer, self.cache.get(word[:n])) for n in range(1, len(word) + 1))
        differing = (*cached[:-1], first)
        tallies: Counter[tuple[Answer, ...]] = Counter({cached: 1})
        tallies[differing] += 1
        agreed: Optional[tuple[Answer, ...]] = None
        for _ in range(MAX_VOTING_RUNS - 2):
            answers, session = self._run(word)
            session.close()
            tallies[answers] += 1
            leader, votes = tallies.most_common(1)[0]
            if votes >= VOTES_TO_AGREE and votes * 2 > sum(tallies.values()):
                agreed = leader
                break
        settled = agreed is not None
        if agreed is None:
            self.statistics.disagreements.append(
                Disagreement(word, [(tuple(map(str, a)), n) for a, n in tallies.most_common()])
            )
            agreed = cached  # type: ignore[assignment]
        elif agreed != cached:
            changed = next(n for n in range(len(word)) if agreed[n] != cached[n])
            self.cache.forget_extensions(word[:changed])
            for n, answer in enumerate(agreed, 1):
                self.cache.put(word[:n], answer)
        assert agreed is not None
        # A transport on the agreed path through word + rest, as far as the transport lets itself be found there.
        for _ in range(MAX_VOTING_RUNS):
            answers, session = self._run(word)
            if answers == agreed:
                break
            session.close()
        else:
            # It never went down that path again (said already if the vote never settled): go on from a
            # transport that went its own way.
            if settled:
                self.statistics.disagreements.append(
                    Disagreement(word, [(tuple(map(str, agreed)), 0), (tuple(map(str, answers)), MAX_VOTING_RUNS)])
                )
            answers, session = self._run(word)
        for letter in rest:
            self._play(session, letter)
        return session

    def _close_live(self) -> None:
        if self._live is not None:
            self._live.close()
            self._live = None

    def _report_progress(self) -> None:
        if self.progress is None or time.monotonic() - self._last_progress < PROGRESS_SECONDS:
            return
        self._last_progress = time.monotonic()
        self.cache.save()
        s = self.statistics
        self.progress(
            f"{s.steps} steps asked, {s.cached_steps} from the cache, {s.transports} transports, "
            f"{s.live_steps} live steps, {len(self.cache)} answers cached"
        )
