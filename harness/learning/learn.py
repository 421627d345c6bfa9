"""Learn a Mealy machine of the DTLS transport under test in one role: `learn(adapter, "server", ...)`.

The learner is AALpy's L* (Rivest-Schapire counterexample processing) over the abstract alphabet
of harness.peers.dtls_moves; equivalence queries are a bounded conformance test, AALpy's random
Wp-method oracle, seeded: sample a state's access word, a random middle part and a
distinguishing suffix, NUM_TESTS times. A hypothesis passing them is the model; it is exact only
up to that bound, which the result states.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import OpenSSL
from aalpy.automata import MealyMachine
from aalpy.learning_algs import run_Lstar
from aalpy.oracles import RandomWpMethodEqOracle

from harness.conformance.dtls_adapters import DtlsAdapter
from harness.learning.cache import QueryCache, cache_key
from harness.learning.sul import SulStatistics, TransportSul
from harness.peers.dtls_moves import ALPHABETS, Answer, DtlsSession
from harness.peers.dtls_peer import PeerCertificate
from harness.target import ROOT

MODELS = {"dtls-server": "server", "dtls-client": "client"}  # model name -> role of the transport under test
# The bound of the equivalence check: random tests, and the expected length of their middle part.
NUM_TESTS = 600
EXPECTED_MIDDLE_LENGTH = 4
# What the answers depend on besides the implementation: the mapper and the codecs under it.
MAPPER_SOURCES = (
    *sorted((ROOT / "harness" / "peers").glob("dtls_*.py")),
    *sorted((ROOT / "harness" / "protocols").glob("dtls*.py")),
    *sorted((ROOT / "harness" / "protocols").glob("tls_*.py")),
    ROOT / "harness" / "conformance" / "dtls_adapters.py",
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


def learn(
    adapter: DtlsAdapter,
    name: str,
    *,
    cache_dir: Optional[Path],
    seed: int = 0,
    progress: Optional[Callable[[str], None]] = None,
) -> Learned:
    """Learn model `name` ("dtls-server": the transport as DTLS server) of `adapter`'s transport."""
    role = MODELS[name]
    alphabet = list(ALPHABETS[role])
    implementation = f"{adapter.name} {adapter.version} (pyOpenSSL {OpenSSL.__version__}, {openssl_version()})"
    key = cache_key(implementation, type(adapter).__qualname__, name, *alphabet, sources=MAPPER_SOURCES)
    cache = QueryCache(cache_dir / f"{name}-{key}.jsonl" if cache_dir is not None else None)
    # One peer certificate for every session: generating one per word would cost more than the word.
    certificate = PeerCertificate.generate(random.Random(seed))
    sul = TransportSul(
        lambda: DtlsSession(adapter, role, seed=seed, peer_certificate=certificate), cache, progress=progress
    )
    random.seed(seed)  # AALpy's oracles draw from the random module
    oracle = RandomWpMethodEqOracle(
        alphabet, sul, expected_length=EXPECTED_MIDDLE_LENGTH, num_tests=NUM_TESTS
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
    )


def openssl_version() -> str:
    return OpenSSL.SSL.SSLeay_version(OpenSSL.SSL.SSLEAY_VERSION).decode()

