"""The mutation check extended to learning: the deliberately broken transports of the DTLS suite
(tests/broken_adapters/dtls.py), learned as DTLS servers, each show their broken decision against the RFCs'
machine, where aiortc's own transport shows none.

Each broken transport has the shortest conversation that shows its broken decision (its broken path) and the
kind of finding the comparison names it by (harness.learning.compare). Two checks, one fast and one slow:

- played live, the broken path is that finding for the broken transport (harness.learning.compare.first_finding)
  and none for aiortc's: the reference tells the two apart, without any learning (fast);
- learned (harness.learning.learn, no cache), the broken transport's model has a finding of that kind whose
  witness is the broken path, and the model answers that path as the transport does; aiortc's model has no
  finding of that kind with that witness (slow: about a minute for all of them).

Two transports that break the fingerprint check need a peer that is not the one signalled: they are learned with
`impostor=True` (the transport is told the fingerprints of another certificate than the one the peer presents)
and compared with `Reference("server", impostor=True)`. ChecksOnlySha256 and AcceptsWhenNoFingerprintIsUsable
break only on what is signalled (only SHA-384 fingerprints, or none of a known hash), which no move of the
learner's alphabet changes: the conformance suite catches them, learning cannot.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional

import pytest

from harness.conformance import dtls_adapters
from harness.conformance.dtls_adapters import AiortcAdapter, DtlsAdapter
from harness.learning.compare import (
    ALERT_WITHOUT_CLOSING,
    DELIVERED_BEFORE_AUTHENTICATED,
    NOT_DELIVERED,
    Comparison,
    compare,
    first_finding,
)
from harness.learning.learn import Learned, learn
from harness.learning.reference import Reference
from harness.peers.dtls_moves import SRTP, Answer, DtlsSession
from harness.peers.dtls_peer import PeerCertificate

HANDSHAKE = ("ClientHello", "Certificate", "ClientKeyExchange", "CertificateVerify", "ChangeCipherSpec", "Finished")
# As learn() makes them for seed 0: the peer's certificate, and the one signalled in its place for an impostor.
PEER_CERTIFICATE = PeerCertificate.generate(random.Random(0))
SIGNALLED_FOR_AN_IMPOSTOR = PeerCertificate.generate(random.Random(1))


@dataclass(frozen=True)
class Mutant:
    kind: str  # the finding its broken decision is
    path: tuple[str, ...]  # the shortest conversation that shows it, as the peer plays it
    impostor: bool = False  # learned facing a peer with another certificate than the one signalled


MUTANTS = {
    # Reports 'connected' at once, checks the fingerprint 0.5 s later: the impostor is let in meanwhile.
    "ConnectsBeforeFingerprintCheck": Mutant(DELIVERED_BEFORE_AUTHENTICATED, HANDSHAKE, impostor=True),
    "AcceptsAnyCertificate": Mutant(DELIVERED_BEFORE_AUTHENTICATED, HANDSHAKE, impostor=True),
    # An empty Certificate owes no CertificateVerify: the Finished comes straight after the key exchange.
    "AcceptsFinishedWithoutCertificateVerify": Mutant(
        DELIVERED_BEFORE_AUTHENTICATED,
        ("ClientHello", "EmptyCertificate", "ClientKeyExchange", "ChangeCipherSpec", "Finished"),
    ),
    # The peer's media, under the keys the handshake gave it, no longer unprotects.
    "SwapsSrtpKeyHalves": Mutant(NOT_DELIVERED, (*HANDSHAKE, SRTP)),
    # A Certificate before any ClientHello: it sends its fatal alert and goes on waiting.
    "IgnoresFatalAlertsInTheHandshake": Mutant(ALERT_WITHOUT_CLOSING, ("Certificate",)),
}
BROKEN = "tests/broken_adapters/dtls.py:{}Adapter"


def adapter_of(name: str) -> DtlsAdapter:
    return dtls_adapters.load(BROKEN.format(name)) if name != "aiortc" else AiortcAdapter()


def play(adapter: DtlsAdapter, path: tuple[str, ...], *, impostor: bool) -> tuple[Answer, list[Answer]]:
    """The transport's answer when started, and to each move of `path`, on a new transport."""
    signalled = SIGNALLED_FOR_AN_IMPOSTOR if impostor else PEER_CERTIFICATE
    session = DtlsSession(adapter, "server", peer_certificate=PEER_CERTIFICATE, signalled=signalled)
    try:
        return session.start(), [session.play(move) for move in path]
    finally:
        session.close()


def kind_of(adapter: DtlsAdapter, mutant: Mutant) -> Optional[str]:
    start, answers = play(adapter, mutant.path, impostor=mutant.impostor)
    found = first_finding(Reference("server", impostor=mutant.impostor), start, mutant.path, answers)
    return found.kind if found else None


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_played_live_the_broken_path_is_a_finding_for_the_broken_transport_only(name):
    mutant = MUTANTS[name]
    assert kind_of(adapter_of(name), mutant) == mutant.kind
    assert kind_of(AiortcAdapter(), mutant) is None


# --- learned --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def learned() -> dict[tuple[str, bool], tuple[Learned, Comparison]]:
    """Each transport's model (learned once, on the first test that asks), and its comparison."""
    return {}


def model_of(cache: dict, name: str, *, impostor: bool) -> tuple[Learned, Comparison]:
    if (name, impostor) not in cache:
        model = learn(adapter_of(name), "dtls-server", cache_dir=None, seed=0, impostor=impostor)
        cache[name, impostor] = (
            model,
            compare(model.model, model.initial_answer, Reference("server", impostor=impostor)),
        )
    return cache[name, impostor]


def finding(comparison: Comparison, kind: str):
    found = [d for d in comparison.findings if d.kind == kind]
    assert found, f"no {kind} among {[(d.kind, ' '.join(d.witness)) for d in comparison.findings]}"
    return found[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_learning_a_broken_transport_reports_its_broken_decision_and_aiortc_does_not(learned, name):
    mutant = MUTANTS[name]
    model, comparison = model_of(learned, name, impostor=mutant.impostor)
    assert not model.statistics.disagreements
    found = finding(comparison, mutant.kind)
    # Its last move, answered as the transport answers the broken path's last move: the broken decision.
    _, answers = play(adapter_of(name), mutant.path, impostor=mutant.impostor)
    assert found.witness[-1] == mutant.path[-1] and found.learned == answers[-1]
    _, unbroken = model_of(learned, "aiortc", impostor=mutant.impostor)
    assert (mutant.kind, found.witness) not in [(d.kind, d.witness) for d in unbroken.findings]
    if mutant.kind == DELIVERED_BEFORE_AUTHENTICATED:
        assert mutant.kind not in [d.kind for d in unbroken.differences]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_learned_witness_is_the_broken_path_and_the_model_answers_it_as_the_transport_does(learned, name):
    mutant = MUTANTS[name]
    model, comparison = model_of(learned, name, impostor=mutant.impostor)
    found = finding(comparison, mutant.kind)
    assert found.witness == mutant.path
    _, answers = play(adapter_of(name), mutant.path, impostor=mutant.impostor)
    assert model.model.compute_output_seq(model.model.initial_state, list(mutant.path)) == answers
    if mutant.kind == DELIVERED_BEFORE_AUTHENTICATED:
        # Past the finding, the unauthenticated peer's data is handed up as the connected peer's.
        then = model.model.compute_output_seq(model.model.initial_state, [*mutant.path, "ApplicationData"])[-1]
        assert then.state == "connected" and then.delivered == ("data",)
