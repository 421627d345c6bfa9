"""Learn a Mealy machine of the DTLS transport under test in one role: `learn(adapter, "server", ...)`.

The learner is AALpy's L* (Rivest-Schapire counterexample processing) over the abstract alphabet
of harness.peers.dtls_moves; equivalence queries are a bounded conformance test, random
Wp-method tests, seeded (`RandomWpTests`). A hypothesis passing them is the model; it is exact
only up to that bound, which the report states.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import OpenSSL
from aalpy.automata import MealyMachine
from aalpy.base import SUL, Oracle
from aalpy.learning_algs import run_Lstar

from harness.conformance.dtls_adapters import DtlsAdapter
from harness.learning.cache import QueryCache, cache_key
from harness.learning.compare import compare
from harness.learning.reference import Reference
from harness.learning.sul import SulStatistics, TransportSul
from harness.peers.dtls_moves import ALPHABETS, Answer, DtlsSession
from harness.peers.dtls_peer import PeerCertificate
from harness.project import HARNESS_SOURCE

MODELS = {"dtls-server": "server", "dtls-client": "client"}  # model name -> role of the transport under test
# The bound of the equivalence check: random tests per hypothesis, and the mean length of their middle part.
EQUIVALENCE_TESTS = 600
MEAN_MIDDLE_LENGTH = 4
# What the answers depend on besides the implementation: the mapper and the codecs under it.
MAPPER_SOURCES = (
    *sorted((HARNESS_SOURCE / "harness" / "peers").glob("dtls_*.py")),
    *sorted((HARNESS_SOURCE / "harness" / "protocols").glob("dtls*.py")),
    *sorted((HARNESS_SOURCE / "harness" / "protocols").glob("tls_*.py")),
    HARNESS_SOURCE / "harness" / "conformance" / "dtls_adapters.py",
)


@dataclass
class Learned:
    name: str
    role: str
    implementation: str  # "aiortc 1.16.0 (pyOpenSSL 25.1.0, OpenSSL 3.x)"
    model: MealyMachine
    initial_answer: Answer  # what the transport does when started, before any input
    statistics: SulStatistics
    membership_queries: int
    equivalence_tests: int
    rounds: int
    seconds: float
    seed: int
    impostor: bool


def learn(
    adapter: DtlsAdapter,
    name: str,
    *,
    cache_dir: Optional[Path],
    seed: int = 0,
    impostor: bool = False,
    progress: Optional[Callable[[str], None]] = None,
) -> Learned:
    """Learn model `name` ("dtls-server": the transport as DTLS server) of `adapter`'s transport.

    `impostor`: the transport is told the fingerprints of another certificate than the one the peer
    presents, as when a man in the middle answers; compare it with `Reference(role, impostor=True)`.
    """
    role = MODELS[name]
    alphabet = list(ALPHABETS[role])
    implementation = f"{adapter.name} {adapter.version} (pyOpenSSL {OpenSSL.__version__}, {openssl_version()})"
    key = cache_key(implementation, type(adapter).__qualname__, name, str(impostor), *alphabet, sources=MAPPER_SOURCES)
    cache = QueryCache(cache_dir / f"{name}-{key}.jsonl" if cache_dir is not None else None)
    # One peer certificate for every session: generating one per word would cost more than the word.
    certificate = PeerCertificate.generate(random.Random(seed))
    signalled = PeerCertificate.generate(random.Random(seed + 1)) if impostor else certificate
    sul = TransportSul(
        lambda: DtlsSession(adapter, role, seed=seed, peer_certificate=certificate, signalled=signalled),
        cache,
        progress=progress,
    )
    the_rfcs = Reference(role, impostor=impostor)
    oracle = RandomWpTests(
        alphabet,
        sul,
        seed=seed,
        witnesses=lambda hypothesis: [
            d.witness for d in compare(hypothesis, sul.initial_answer(), the_rfcs).differences if d.witness
        ],
    )
    started = time.monotonic()
    try:
        model, info = run_Lstar(
            alphabet, sul, oracle, automaton_type="mealy", cache_and_non_det_check=False, return_data=True,
            print_level=0,
        )  # fmt: skip
    finally:
        cache.save()
    return Learned(
        name=name,
        role=role,
        implementation=implementation,
        model=model,
        initial_answer=sul.initial_answer(),
        statistics=sul.statistics,
        membership_queries=info["queries_learning"],
        equivalence_tests=info["queries_eq_oracle"],
        rounds=info["learning_rounds"],
        seconds=time.monotonic() - started,
        seed=seed,
        impostor=impostor,
    )


class RandomWpTests(Oracle):
    """AALpy's random Wp-method tests (Smetsers et al.), drawn from a generator of their own, seeded.

    Each test is the access word of a random state of the hypothesis, a random middle part (at least
    one move, geometric, mean MEAN_MIDDLE_LENGTH), then, at even odds, a word of the characterization
    set or one that tells the state reached from another. AALpy's own oracle finds those words with a
    search per pair of states at every hypothesis, which costs more than the tests once the cache
    answers them; here one refinement gives the shortest word for every pair (`separating_words`).
    """

    def __init__(
        self,
        alphabet: list[str],
        sul: SUL,
        *,
        seed: int,
        tests: int = EQUIVALENCE_TESTS,
        witnesses: Callable[[MealyMachine], list[tuple[str, ...]]] = lambda hypothesis: [],
    ) -> None:
        super().__init__(alphabet, sul)
        self.rng = random.Random(seed)
        self.tests = tests
        self.witnesses = witnesses

    def find_cex(self, hypothesis: MealyMachine) -> Optional[tuple[str, ...]]:
        # First the words the hypothesis would be reported by: a witness is played on the transport before it is
        # believed (the random tests may never come near a state the hypothesis merged into another).
        for witness in self.witnesses(hypothesis):
            counterexample = self._differs(hypothesis, list(witness))
            if counterexample is not None:
                return counterexample
        separating = separating_words(hypothesis)
        local: dict[str, list[tuple[str, ...]]] = {}
        for (state, _), separates in sorted(separating.items()):
            if separates not in local.setdefault(state, []):
                local[state].append(separates)
        everywhere = sorted(set(separating.values())) or [(move,) for move in self.alphabet]
        for state in hypothesis.states:
            if state.prefix is None:
                state.prefix = hypothesis.get_shortest_path(hypothesis.initial_state, state)
        for _ in range(self.tests):
            word = [*self.rng.choice(hypothesis.states).prefix, self.rng.choice(self.alphabet)]
            while self.rng.random() > 1 / (MEAN_MIDDLE_LENGTH + 1):
                word.append(self.rng.choice(self.alphabet))
            if self.rng.random() > 0.5:
                word += self.rng.choice(everywhere)
            else:
                hypothesis.execute_sequence(hypothesis.initial_state, word)
                if not local.get(hypothesis.current_state.state_id):
                    continue
                word += self.rng.choice(local[hypothesis.current_state.state_id])
            counterexample = self._differs(hypothesis, word)
            if counterexample is not None:
                return counterexample
        return None

    def _differs(self, hypothesis: MealyMachine, word: list[str]) -> Optional[tuple[str, ...]]:
        """The shortest prefix of `word` on which the hypothesis and the transport answer differently, if any."""
        self.reset_hyp_and_sul(hypothesis)
        for index, move in enumerate(word):
            self.num_steps += 1
            if hypothesis.step(move) != self.sul.step(move):
                self.sul.post()
                return tuple(word[: index + 1])
        self.sul.post()
        return None


def separating_words(model: MealyMachine) -> dict[tuple[str, str], tuple[str, ...]]:
    """For every ordered pair of states some word tells apart, the shortest such word (Moore's partition refinement:
    a pair is told apart in k+1 moves when one move takes it to a pair told apart in k)."""
    alphabet = model.get_input_alphabet()
    pairs = [(p, q) for i, p in enumerate(model.states) for q in model.states[i + 1 :]]
    words: dict[tuple[str, str], tuple[str, ...]] = {}
    for p, q in pairs:
        move = next((m for m in alphabet if p.output_fun[m] != q.output_fun[m]), None)
        if move is not None:
            words[(p.state_id, q.state_id)] = words[(q.state_id, p.state_id)] = (move,)
    while True:
        longer: dict[tuple[str, str], tuple[str, ...]] = {}
        for p, q in pairs:
            if (p.state_id, q.state_id) in words:
                continue
            for move in alphabet:
                after = words.get((p.transitions[move].state_id, q.transitions[move].state_id))
                if after is not None:
                    longer[(p.state_id, q.state_id)] = longer[(q.state_id, p.state_id)] = (move, *after)
                    break
        if not longer:
            return words
        words.update(longer)


def openssl_version() -> str:
    return OpenSSL.SSL.SSLeay_version(OpenSSL.SSL.SSLEAY_VERSION).decode()
