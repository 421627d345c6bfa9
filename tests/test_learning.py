"""harness.learning: the query cache, the system under learning, the equivalence oracle, the RFCs' machine,
the comparison, the picture, and one real learning run of aiortc's transport as DTLS server (cold, then warm).

Small machines are built by hand (AALpy's MealyMachine, outputs `Answer`s as the transport gives them);
fake transports stand in for DtlsSession where the test is about the learner's bookkeeping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Callable, Optional

import pydot
import pytest
from aalpy.automata import MealyMachine, MealyState
from aalpy.SULs import MealySUL

from harness import project
from harness.conformance.dtls_adapters import AiortcAdapter
from harness.learning import render
from harness.learning.cache import QueryCache, cache_key
from harness.learning.compare import (
    ALERT_WITHOUT_CLOSING,
    DELIVERED_BEFORE_AUTHENTICATED,
    FATAL_ALERT_IGNORED,
    NEVER_STUCK,
    NOT_DELIVERED,
    compare,
    first_finding,
)
from harness.learning.learn import RandomWpTests, learn, separating_words
from harness.learning.reference import (
    BOTH_ENDPOINTS_AUTHENTICATED,
    CLIENT_FLIGHT,
    SERVER_FLIGHT,
    Reference,
    Spec,
)
from harness.learning.sul import MAX_VOTING_RUNS, TransportSul
from harness.peers.dtls_moves import Answer, DtlsSession

ROOT = project.current().root

DELIVERED_WHEN_CONNECTED = "delivered-only-when-connected"


def answer(text: str) -> Answer:
    return Answer.parse(text)


# --- the query cache ---------------------------------------------------------------------------

A, B, C = (
    answer("ServerHello | connecting"),
    answer("- | connecting"),
    answer("Alert(fatal,unexpected_message) | failed"),
)


def test_cache_answers_what_it_was_given_and_nothing_else():
    cache = QueryCache()
    cache.put(("ClientHello",), A)
    cache.put(("ClientHello", "Certificate"), B)
    assert cache.get(("ClientHello",)) == A
    assert cache.get(("ClientHello", "Certificate")) == B
    assert cache.get(("Certificate",)) is None
    assert cache.get(("ClientHello", "Certificate", "Finished")) is None  # a live transport could do anything
    assert cache.get(()) is None
    assert len(cache) == 2


def test_cache_round_trip_keeps_every_prefix_the_start_and_the_dead_words(tmp_path):
    path = tmp_path / "deeper" / "cache.jsonl"
    cache = QueryCache(path)
    cache.put((), answer("- | connecting"))
    cache.put(("a",), A)
    cache.put(("a", "b"), B)
    cache.put(("a", "b", "c"), C)
    cache.put(("x",), answer("- | connecting | data@connecting | !stuck"))
    cache.mark_dead(("a", "b", "c"))
    cache.save()
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    # Maximal words only, each with the answers of all its prefixes; then the start and the dead words.
    assert {"word": ["a", "b", "c"], "answers": [str(A), str(B), str(C)]} in entries
    assert {"word": ["x"], "answers": ["- | connecting | data@connecting | !stuck"]} in entries
    assert not any(entry.get("word") in (["a"], ["a", "b"]) for entry in entries)
    assert {"start": "- | connecting"} in entries and {"dead": ["a", "b", "c"]} in entries
    loaded = QueryCache(path)
    for word in [(), ("a",), ("a", "b"), ("a", "b", "c"), ("x",)]:
        assert loaded.get(word) == cache.get(word), word
    assert loaded.get(("a", "b", "c", "d")) == Answer((), "failed")  # dead, after loading too
    assert len(loaded) == len(cache) == 5
    assert os.listdir(path.parent) == [path.name]  # the temporary file was renamed, not left beside it


def test_cache_save_is_atomic_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "cache.jsonl"
    cache = QueryCache(path)
    cache.put(("a",), A)
    cache.save()
    before = path.read_text()
    cache.put(("a", "b"), B)

    def interrupted(source: str, destination: str) -> None:
        raise OSError("killed before the rename")

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(OSError):
        cache.save()
    assert path.read_text() == before
    assert QueryCache(path).get(("a", "b")) is None


def test_an_in_memory_cache_writes_nothing(tmp_path):
    cache = QueryCache()
    cache.put(("a",), A)
    cache.save()  # nothing to do, no error
    assert cache.path is None


def test_every_extension_of_a_dead_word_is_nothing_sent_in_the_state_it_died_in():
    cache = QueryCache()
    cache.put(("Alert",), answer("- | failed"))
    cache.mark_dead(("Alert",))
    for word in [("Alert", "ClientHello"), ("Alert", "Finished", "ApplicationData", "SRTP")]:
        assert cache.get(word) == Answer((), "failed")
    assert cache.get(("ClientHello",)) is None  # only extensions of the dead word
    # A dead word whose own answer is unknown says nothing of its extensions.
    cache.mark_dead(("b",))
    assert cache.get(("b", "c")) is None


def test_forget_extensions_drops_answers_and_dead_marks_past_the_prefix_only():
    cache = QueryCache()
    for word in [("a",), ("a", "b"), ("a", "b", "c"), ("a", "x"), ("z",), ("z", "b")]:
        cache.put(word, A)
    cache.mark_dead(("a", "x"))
    cache.mark_dead(("z",))
    cache.forget_extensions(("a",))
    assert cache.get(("a",)) == A  # the prefix itself stays
    assert cache.get(("a", "b")) is None and cache.get(("a", "b", "c")) is None
    assert cache.get(("a", "x", "y")) is None  # its dead mark went with it
    assert cache.get(("z", "b")) == A and cache.get(("z", "q")) == Answer((), "connecting")  # elsewhere untouched


def test_cache_key_changes_with_every_part_and_every_source_byte(tmp_path):
    source = tmp_path / "mapper.py"
    source.write_text("x = 1\n")
    key = cache_key("aiortc 1.16.0", "dtls-server", sources=[source])
    assert key == cache_key("aiortc 1.16.0", "dtls-server", sources=[source])
    assert key != cache_key("aiortc 1.15.0", "dtls-server", sources=[source])
    assert key != cache_key("aiortc 1.16.0", "dtls-client", sources=[source])
    source.write_text("x = 2\n")
    assert key != cache_key("aiortc 1.16.0", "dtls-server", sources=[source])


# --- the system under learning, over fake transports ---------------------------------------------

Word = tuple[str, ...]


class FakeSession:
    """A stand-in for DtlsSession: what it answers is its factory's `answer(number, word)`; "x" kills it."""

    def __init__(self, factory: Sessions, number: int) -> None:
        self.factory, self.number = factory, number
        self.word: Word = ()
        self.listening = True
        self.closed = False
        self.played_after_close = False

    def start(self) -> Answer:
        return Answer((), "connecting")

    def play(self, move: str) -> Answer:
        self.played_after_close |= self.closed
        self.word = (*self.word, move)
        if move == "x":
            self.listening = False
            return Answer(("Alert(fatal,handshake_failure)",), "failed")
        return self.factory.answer(self.number, self.word)

    def close(self) -> None:
        self.closed = True


def deterministic(number: int, word: Word) -> Answer:
    return Answer((f"{word[-1]}{len(word)}",), "connecting")


class Sessions:
    def __init__(self, answer: Callable[[int, Word], Answer] = deterministic) -> None:
        self.answer = answer
        self.made: list[FakeSession] = []

    def __call__(self) -> FakeSession:
        session = FakeSession(self, len(self.made))
        self.made.append(session)
        return session


def query(sul: TransportSul, word: Word) -> list[Answer]:
    sul.pre()
    try:
        return [sul.step(move) for move in word]
    finally:
        sul.post()


def test_a_cached_word_makes_no_transport_the_second_time():
    sessions = Sessions()
    sul = TransportSul(sessions, QueryCache())  # type: ignore[arg-type]
    first = query(sul, ("a", "b", "c"))
    assert len(sessions.made) == 1 and sessions.made[0].closed
    assert query(sul, ("a", "b", "c")) == first
    assert query(sul, ("a", "b")) == first[:2]  # a prefix is cached with its word
    assert len(sessions.made) == 1
    assert sul.statistics.transports == 1 and sul.statistics.live_steps == 3
    assert sul.statistics.steps == 8 and sul.statistics.cached_steps == 5


def test_an_extension_replays_the_cached_prefix_on_one_new_transport():
    sessions = Sessions()
    sul = TransportSul(sessions, QueryCache())  # type: ignore[arg-type]
    query(sul, ("a", "b"))
    assert query(sul, ("a", "b", "c"))[-1] == Answer(("c3",), "connecting")
    assert len(sessions.made) == 2 and sessions.made[1].word == ("a", "b", "c")
    assert sul.statistics.votes == 0


def test_a_word_past_a_dead_prefix_makes_no_transport():
    sessions = Sessions()
    cache = QueryCache()
    sul = TransportSul(sessions, cache)  # type: ignore[arg-type]
    died = query(sul, ("a", "x"))[-1]
    assert len(sessions.made) == 1 and sessions.made[0].closed  # closed as soon as it stopped listening
    assert query(sul, ("a", "x", "b", "c")) == [Answer(("a1",), "connecting"), died] + [Answer((), "failed")] * 2
    assert len(sessions.made) == 1


def test_the_start_answer_is_cached_under_the_empty_word():
    sessions = Sessions()
    sul = TransportSul(sessions, QueryCache())  # type: ignore[arg-type]
    assert sul.initial_answer() == Answer((), "connecting")
    assert sul.initial_answer() == Answer((), "connecting")
    assert len(sessions.made) == 1


def test_a_flaky_transport_is_put_to_a_vote_and_the_majority_kept():
    # The second transport made answers "a" otherwise; every other one agrees with the first.
    def flaky(number: int, word: Word) -> Answer:
        return Answer(("odd",), "connecting") if number == 1 and word == ("a",) else deterministic(number, word)

    sessions = Sessions(flaky)
    cache = QueryCache()
    sul = TransportSul(sessions, cache)  # type: ignore[arg-type]
    query(sul, ("a",))
    assert query(sul, ("a", "b")) == [Answer(("a1",), "connecting"), Answer(("b2",), "connecting")]
    assert sul.statistics.votes == 1 and not sul.statistics.disagreements
    assert cache.get(("a",)) == Answer(("a1",), "connecting")
    assert not any(session.played_after_close for session in sessions.made)


def test_a_vote_against_the_cache_replaces_its_answers_and_forgets_what_followed():
    # The first transport was the odd one: the cache took its answer, the majority then corrects it.
    def first_is_odd(number: int, word: Word) -> Answer:
        return Answer(("odd",), "connecting") if number == 0 else deterministic(number, word)

    sessions = Sessions(first_is_odd)
    cache = QueryCache()
    sul = TransportSul(sessions, cache)  # type: ignore[arg-type]
    query(sul, ("a",))
    assert cache.get(("a",)) == Answer(("odd",), "connecting")
    query(sul, ("a", "b"))
    assert sul.statistics.votes == 1 and not sul.statistics.disagreements
    assert cache.get(("a",)) == Answer(("a1",), "connecting")
    assert cache.get(("a", "b")) == Answer(("b2",), "connecting")


def never_agrees(number: int, word: Word) -> Answer:
    return Answer((f"{word[-1]}-run{number}",), "connecting")  # every transport says something else


def test_a_transport_that_never_agrees_with_itself_is_listed_and_its_first_answer_kept():
    sessions = Sessions(never_agrees)
    cache = QueryCache()
    sul = TransportSul(sessions, cache)  # type: ignore[arg-type]
    query(sul, ("a",))
    query(sul, ("a", "b"))
    (disagreement,) = sul.statistics.disagreements
    assert disagreement.word == ("a",)
    assert sum(count for _, count in disagreement.tallies) == MAX_VOTING_RUNS
    assert ("a-run0 | connecting",) in [answers for answers, _ in disagreement.tallies]
    assert cache.get(("a",)) == Answer(("a-run0",), "connecting")
    assert "a: " in str(disagreement)


def test_after_a_vote_no_move_is_played_on_a_closed_transport():
    sessions = Sessions(never_agrees)
    cache = QueryCache()
    sul = TransportSul(sessions, cache)  # type: ignore[arg-type]
    query(sul, ("a",))
    query(sul, ("a", "b"))
    assert not any(session.played_after_close for session in sessions.made)


# --- separating words and the equivalence oracle, on small machines --------------------------------


def mealy(table: dict[str, dict[str, tuple[object, str]]]) -> MealyMachine:
    """A Mealy machine from {state: {input: (output, next state)}}; the first state is the initial one."""
    states = {name: MealyState(name) for name in table}
    for name, row in table.items():
        for letter, (output, target) in row.items():
            states[name].output_fun[letter] = output
            states[name].transitions[letter] = states[target]
    return MealyMachine(next(iter(states.values())), list(states.values()))


def test_separating_words_are_the_shortest_for_every_pair_and_absent_for_equivalent_states():
    o, x = answer("- | connecting"), answer("Alert(fatal,unexpected_message) | failed")
    machine = mealy({
        "q0": {"a": (o, "q1"), "b": (o, "q0")},
        "q1": {"a": (o, "q2"), "b": (o, "q0")},
        "q2": {"a": (x, "q2"), "b": (o, "q0")},
        "q3": {"a": (o, "q1"), "b": (o, "q0")},  # the same as q0
    })  # fmt: skip
    words = separating_words(machine)
    assert words[("q0", "q2")] == words[("q2", "q0")] == ("a",)
    assert words[("q1", "q2")] == ("a",)
    assert words[("q0", "q1")] == words[("q1", "q0")] == ("a", "a")  # one move to (q1, q2)
    assert words[("q3", "q1")] == ("a", "a")
    assert ("q0", "q3") not in words and ("q3", "q0") not in words
    for (p, q), word in words.items():
        p_out = machine.compute_output_seq(machine.get_state_by_id(p), list(word))
        q_out = machine.compute_output_seq(machine.get_state_by_id(q), list(word))
        assert p_out[-1] != q_out[-1] and p_out[:-1] == q_out[:-1]


def counter(modulus: int, *, alarm_at: Optional[int]) -> MealyMachine:
    """Counts "a" modulo `modulus` ("b" resets); "a" answers "alarm" when it takes the count to `alarm_at`."""
    table: dict[str, dict[str, tuple[object, str]]] = {}
    for n in range(modulus):
        following = (n + 1) % modulus
        table[f"c{n}"] = {
            "a": ("alarm" if following == alarm_at else "ok", f"c{following}"),
            "b": ("ok", "c0"),
        }
    return mealy(table)


def test_random_wp_tests_find_a_planted_counterexample_deterministically_for_a_seed():
    truth = counter(4, alarm_at=3)  # the third "a" in a row raises the alarm
    cexes = []
    for _ in range(2):
        hypothesis = counter(2, alarm_at=None)  # never raises it
        oracle = RandomWpTests(["a", "b"], MealySUL(truth), seed=7, tests=200)
        cex = oracle.find_cex(hypothesis)
        assert cex is not None
        truth_out = truth.compute_output_seq(truth.initial_state, list(cex))
        hypothesis_out = hypothesis.compute_output_seq(hypothesis.initial_state, list(cex))
        assert truth_out[-1] != hypothesis_out[-1] and truth_out[:-1] == hypothesis_out[:-1]  # ends where they differ
        cexes.append(cex)
    assert cexes[0] == cexes[1]


def test_random_wp_tests_find_nothing_in_an_exact_hypothesis():
    truth = counter(3, alarm_at=2)
    oracle = RandomWpTests(["a", "b"], MealySUL(truth), seed=1, tests=100)
    assert oracle.find_cex(counter(3, alarm_at=2)) is None
    assert oracle.num_steps > 100


def test_random_wp_tests_play_the_words_a_hypothesis_would_be_reported_by_before_any_random_test():
    truth = counter(6, alarm_at=5)  # five "a" in a row: farther than 0 random tests go
    witness = ("b", "a", "a", "a", "a", "a", "b")
    oracle = RandomWpTests(["a", "b"], MealySUL(truth), seed=1, tests=0, witnesses=lambda hypothesis: [witness])
    assert oracle.find_cex(counter(6, alarm_at=None)) == witness[:6]  # cut where the transport and it part
    assert oracle.find_cex(counter(6, alarm_at=5)) is None


# --- the RFCs' machine -------------------------------------------------------------------------------

SERVER_HANDSHAKE = ("ClientHello", "Certificate", "ClientKeyExchange", "CertificateVerify", "ChangeCipherSpec",
                    "Finished")  # fmt: skip
# What aiortc 1.16.0's transport answers to the happy handshake and some data, as the learner reads it.
SERVER_ANSWERS = {
    "": "- | connecting",
    "ClientHello": " ".join(SERVER_FLIGHT) + " | connecting",
    "Certificate": "- | connecting",
    "ClientKeyExchange": "- | connecting",
    "CertificateVerify": "- | connecting",
    "ChangeCipherSpec": "- | connecting",
    "Finished": "ChangeCipherSpec Finished | connected",
    "ApplicationData": "- | connected | data",
    "SRTP": "- | connected | media",
}
CLIENT_HANDSHAKE = ("ServerHello", "Certificate", "ServerKeyExchange", "CertificateRequest", "ServerHelloDone",
                    "ChangeCipherSpec", "Finished")  # fmt: skip
CLIENT_ANSWERS = {
    "": "ClientHello | connecting",
    "ServerHello": "- | connecting",
    "Certificate": "- | connecting",
    "ServerKeyExchange": "- | connecting",
    "CertificateRequest": "- | connecting",
    "ServerHelloDone": " ".join(CLIENT_FLIGHT) + " | connecting",
    "ChangeCipherSpec": "- | connecting",
    "Finished": "- | connected",
    "ApplicationData": "- | connected | data",
    "SRTP": "- | connected | media",
}


def walk(reference: Reference, moves: tuple[str, ...], answers: list[Answer]) -> frozenset[Spec]:
    """The reference states the conversation may be in; AssertionError at the first answer it does not allow."""
    specs = frozenset({reference.initial})
    for move, said in zip(moves, answers):
        allowed = [a for spec in specs for a in reference.allowed(spec, move)]
        specs = frozenset(a.then for a in allowed if a.holds(said))
        assert specs, f"{move}: {said} not among {[a.what for a in allowed]}"
    return specs


@pytest.mark.parametrize(
    "role, handshake, answers",
    [("server", SERVER_HANDSHAKE, SERVER_ANSWERS), ("client", CLIENT_HANDSHAKE, CLIENT_ANSWERS)],
)
def test_the_happy_handshake_is_allowed_step_by_step_as_written_and_as_aiortc_plays_it(role, handshake, answers):
    reference = Reference(role)
    moves = (*handshake, "ApplicationData", "SRTP", "ApplicationData")
    written = [answer(answers[move]) for move in moves]
    assert reference.start_allows(answer(answers[""]))
    (end,) = walk(reference, moves, written)
    assert end.transport == "connected"
    session = DtlsSession(AiortcAdapter(), role)
    try:
        assert session.start() == answer(answers[""])
        played = [session.play(move) for move in moves]
    finally:
        session.close()
    assert played == written  # the literal answers are aiortc's
    walk(reference, moves, played)


def test_a_server_may_ask_for_a_cookie_first():
    reference = Reference("server")
    moves = ("ClientHello", "ClientHelloWithCookie", *SERVER_HANDSHAKE[1:])
    said = [answer("HelloVerifyRequest | connecting"), answer(SERVER_ANSWERS["ClientHello"])]
    said += [answer(SERVER_ANSWERS[move]) for move in SERVER_HANDSHAKE[1:]]
    walk(reference, moves, said)


def forbidden(role: str, moves: tuple[str, ...], answers: list[str]) -> Optional[str]:
    """The kind of the first finding along the conversation (None when every answer is allowed)."""
    reference = Reference(role)
    start = answer(SERVER_ANSWERS[""] if role == "server" else CLIENT_ANSWERS[""])
    found = first_finding(reference, start, moves, [answer(a) for a in answers])
    return found.kind if found else None


def test_connected_after_a_finished_without_certificate_verify_is_not_allowed():
    moves = ("ClientHello", "Certificate", "ClientKeyExchange", "ChangeCipherSpec", "Finished")
    said = [SERVER_ANSWERS["ClientHello"], "- | connecting", "- | connecting", "- | connecting",
            "ChangeCipherSpec Finished | connected"]  # fmt: skip
    assert forbidden("server", moves, said) == DELIVERED_BEFORE_AUTHENTICATED
    # Likewise with an empty Certificate, and with none at all.
    assert forbidden("server", ("ClientHello", "EmptyCertificate", *moves[2:]), said) == DELIVERED_BEFORE_AUTHENTICATED
    assert forbidden("server", moves[:1] + moves[2:], said[:1] + said[2:]) == DELIVERED_BEFORE_AUTHENTICATED
    # Giving up instead is allowed.
    assert forbidden("server", moves, [*said[:-1], "Alert(fatal,unexpected_message) | failed"]) is None


def test_data_handed_up_before_connected_is_not_allowed():
    moves = ("ClientHello", "ApplicationData")
    assert forbidden("server", moves, [SERVER_ANSWERS["ClientHello"], "- | connecting"]) is None
    said = [SERVER_ANSWERS["ClientHello"], "- | connecting | data@connecting"]
    assert forbidden("server", moves, said) == DELIVERED_WHEN_CONNECTED
    # Delivered as 'connected' data while the transport is still connecting is not allowed either.
    reference = Reference("server")
    (spec,) = walk(reference, moves[:1], [answer(said[0])])
    assert not [a for a in reference.allowed(spec, "ApplicationData") if a.holds(answer("- | connecting | data"))]


def test_a_fatal_alert_ignored_while_connected_is_not_allowed():
    moves = (*SERVER_HANDSHAKE, "Alert")
    said = [SERVER_ANSWERS[move] for move in SERVER_HANDSHAKE]
    assert forbidden("server", moves, [*said, "- | closed"]) is None
    assert forbidden("server", moves, [*said, "- | connected"]) == FATAL_ALERT_IGNORED
    # And in the client role.
    said = [CLIENT_ANSWERS[move] for move in CLIENT_HANDSHAKE]
    assert forbidden("client", (*CLIENT_HANDSHAKE, "Alert"), [*said, "- | connected"]) == FATAL_ALERT_IGNORED


def test_a_server_that_asks_for_no_client_certificate_is_tolerated_only_until_it_would_connect():
    reference = Reference("server")
    flight = answer(" ".join(name for name in SERVER_FLIGHT if name != "CertificateRequest") + " | connecting")
    holding = [a for a in reference.allowed(reference.initial, "ClientHello") if a.holds(flight)]
    assert [(a.tolerated, a.rule) for a in holding] == [(True, BOTH_ENDPOINTS_AUTHENTICATED)]
    # The client it never asked goes on without Certificate and CertificateVerify: the Finished must not connect.
    moves = ("ClientHello", "ClientKeyExchange", "ChangeCipherSpec")
    specs = walk(reference, moves, [flight, answer("- | connecting"), answer("- | connecting")])
    allowed = [a for spec in specs for a in reference.allowed(spec, "Finished")]
    assert not [a for a in allowed if a.holds(answer("ChangeCipherSpec Finished | connected"))]
    assert [a for a in allowed if a.holds(answer("- | failed"))]


def test_gone_is_gone_for_good():
    reference = Reference("server")
    (gone,) = walk(reference, ("Alert",), [answer("- | failed")])
    for move in ("ClientHello", "ApplicationData", "SRTP"):
        (allowed,) = reference.allowed(gone, move)
        assert allowed.holds(answer("- | failed")) and not allowed.holds(answer("- | failed | data"))


# --- the comparison, on hand-built server machines ----------------------------------------------------

ALPHABET = (*SERVER_HANDSHAKE, "ApplicationData", "Alert")
FATAL = "Alert(fatal,unexpected_message) | failed"
START = answer("- | connecting")


def server_machine(changes: Optional[dict[tuple[str, str], tuple[str, str]]] = None) -> MealyMachine:
    """A server that follows the RFCs: h0..h5 through the handshake, up once connected, down once failed.

    `changes`: {(state, move): (answer, next state)} over that; states named only there are added, answering
    like the state their name starts with ("up2" like "up") unless changed too."""
    table: dict[str, dict[str, tuple[str, str]]] = {}
    for number, move in enumerate(SERVER_HANDSHAKE):
        row = {other: (FATAL, "down") for other in ALPHABET}
        row[move] = (SERVER_ANSWERS[move], f"h{number + 1}" if number < 5 else "up")
        row["ApplicationData"] = ("- | connecting", f"h{number}")
        row["Alert"] = ("- | failed", "down")
        table[f"h{number}"] = row
    table["up"] = {move: (FATAL, "down") for move in ALPHABET}
    table["up"]["ApplicationData"] = ("- | connected | data", "up")
    table["up"]["Alert"] = ("- | closed", "down")
    table["down"] = {move: ("- | failed", "down") for move in ALPHABET}
    for (state, move), change in (changes or {}).items():
        if state not in table:
            like = [name for name in table if state.startswith(name)]
            table[state] = dict(table[max(like, key=len)]) if like else {}
        table[state][move] = change
    return mealy({state: {move: (answer(text), target) for move, (text, target) in row.items()}
                  for state, row in table.items()})  # fmt: skip


def test_a_machine_that_follows_the_rfcs_has_no_difference():
    comparison = compare(server_machine(), START, Reference("server"))
    assert comparison.differences == [] and comparison.sinks == [] and comparison.differing == set()
    assert comparison.extra_states == []
    assert comparison.pairs >= 8


@pytest.mark.parametrize(
    "changes, kind, witness",
    [
        # CertificateVerify skipped: a ChangeCipherSpec right after the key exchange is taken, Finished connects
        # (the Finished of h5, where the handshake arrives also the honest way: the path makes the difference).
        ({("h3", "ChangeCipherSpec"): ("- | connecting", "h5")}, DELIVERED_BEFORE_AUTHENTICATED,
         ("ClientHello", "Certificate", "ClientKeyExchange", "ChangeCipherSpec", "Finished")),
        ({("h1", "ApplicationData"): ("- | connecting | data@connecting", "h1")}, DELIVERED_WHEN_CONNECTED,
         ("ClientHello", "ApplicationData")),
        ({("up", "Alert"): ("- | connected", "up")}, FATAL_ALERT_IGNORED, (*SERVER_HANDSHAKE, "Alert")),
        ({("up", "ClientHello"): ("Alert(fatal,unexpected_message) | connected", "up")}, ALERT_WITHOUT_CLOSING,
         (*SERVER_HANDSHAKE, "ClientHello")),
        ({("up", "ApplicationData"): ("- | connected", "up")}, NOT_DELIVERED, (*SERVER_HANDSHAKE, "ApplicationData")),
        ({("h2", "ClientKeyExchange"): ("- | connecting | !stuck", "h3")}, NEVER_STUCK,
         ("ClientHello", "Certificate", "ClientKeyExchange")),
        ({("h0", "Finished"): ("- | connecting | !KeyError", "down")}, "error", ("Finished",)),
        ({("h0", "ClientHello"): ("ServerHello Certificate CertificateRequest ServerHelloDone | connecting", "h1")},
         "deviation", ("ClientHello",)),
    ],
)  # fmt: skip
def test_each_kind_of_difference_with_its_shortest_witness(changes, kind, witness):
    comparison = compare(server_machine(changes), START, Reference("server"))
    (difference,) = [d for d in comparison.differences if d.kind != "tolerated"]
    assert difference.kind == kind and difference.witness == witness
    assert difference.finding == (kind != "deviation")
    assert comparison.findings == ([difference] if difference.finding else [])
    state, move = next(iter(changes)) if kind != DELIVERED_BEFORE_AUTHENTICATED else ("h5", "Finished")
    assert set(difference.at) == {(state, move)} and difference.state == state
    assert (state, move) in comparison.differing
    assert " ".join(witness) in difference.describe()


def test_differences_of_one_cause_are_one_counted_with_the_shortest_witness():
    # Data handed up while connecting, in three states of the handshake.
    changes = {(f"h{n}", "ApplicationData"): ("- | connecting | data@connecting", f"h{n}") for n in (1, 3, 4)}
    comparison = compare(server_machine(changes), START, Reference("server"))
    (difference,) = comparison.differences
    assert difference.kind == DELIVERED_WHEN_CONNECTED and difference.transitions == 3
    assert difference.witness == ("ClientHello", "ApplicationData")


def test_a_transition_is_counted_once_however_many_reference_states_reach_it():
    # "up" is reached with data buffered and without (ApplicationData before the Finished): two product states.
    comparison = compare(server_machine({("up", "Alert"): ("- | connected", "up")}), START, Reference("server"))
    (difference,) = comparison.differences
    assert difference.at == [("up", "Alert")] and difference.transitions == 1


def test_the_walk_stops_at_a_difference_on_its_path():
    # Past the skipped CertificateVerify (a difference at the Finished), the shorter way to the fatal alert
    # ignored once connected is not walked: its witness is the honest handshake's.
    changes = {("h3", "ChangeCipherSpec"): ("- | connecting", "h5"), ("up", "Alert"): ("- | connected", "up")}
    comparison = compare(server_machine(changes), START, Reference("server"))
    kinds = [d.kind for d in comparison.findings]
    assert kinds == [DELIVERED_BEFORE_AUTHENTICATED, FATAL_ALERT_IGNORED]
    assert comparison.findings[1].witness == (*SERVER_HANDSHAKE, "Alert")  # 7 moves, not the 6 without it


def test_tolerated_answers_are_listed_and_the_walk_goes_on_past_them():
    # A fatal alert during the handshake acted on only at the Finished (tolerated twice), and then, past the
    # tolerated alert, data handed up while connecting: a finding whose witness goes through the alert (named
    # for the alert still pending: anything but giving up is the alert ignored).
    changes = {
        ("h5", "Alert"): ("- | connecting", "h5alert"),
        ("h5alert", "Finished"): ("ChangeCipherSpec Finished | failed", "down"),
        ("h5alert", "Alert"): ("- | connecting", "h5alert"),
        ("h5alert", "ApplicationData"): ("- | connecting | data@connecting", "h5alert"),
    }
    comparison = compare(server_machine(changes), START, Reference("server"))
    tolerated = [d for d in comparison.differences if d.kind == "tolerated"]
    assert [d.witness[-1] for d in tolerated] == ["Alert", "Finished"]
    assert tolerated[0].witness == (*SERVER_HANDSHAKE[:5], "Alert")
    assert tolerated[1].witness == (*SERVER_HANDSHAKE[:5], "Alert", "Finished")
    assert all(a.tolerated for d in tolerated for a in d.allowed)
    assert not tolerated[0].finding
    (finding,) = comparison.findings
    assert finding.kind == FATAL_ALERT_IGNORED
    assert finding.witness == (*SERVER_HANDSHAKE[:5], "Alert", "ApplicationData")


def stuck_for_good(state: str) -> dict[tuple[str, str], tuple[str, str]]:
    return {(state, move): ("- | connecting", state) for move in ALPHABET}


def test_a_sink_where_the_reference_could_still_complete_is_a_finding():
    # After the Certificate, whatever the peer sends, nothing: the reference would go on with the key exchange.
    changes = {("h1", "Certificate"): ("- | connecting", "limbo"), **stuck_for_good("limbo")}
    (sink,) = compare(server_machine(changes), START, Reference("server")).sinks
    assert sink.states == ("limbo",) and sink.witness == ("ClientHello", "Certificate") and sink.finding
    assert "after 2 script moves" in sink.reference


def test_a_sink_where_the_reference_cannot_complete_either_is_no_finding():
    # A stray ChangeCipherSpec first (discarded: allowed), then nothing ever: the peer's epoch is unreadable.
    changes = {("h0", "ChangeCipherSpec"): ("- | connecting", "limbo"), **stuck_for_good("limbo")}
    comparison = compare(server_machine(changes), START, Reference("server"))
    (sink,) = comparison.sinks
    assert sink.witness == ("ChangeCipherSpec",) and not sink.finding
    assert "off script" in sink.reference
    assert not comparison.findings


def test_states_the_reference_sees_as_one_are_grouped_with_a_word_telling_them_apart():
    # After some data, the transport answers a fatal alert with "closed" instead of "failed": both allowed.
    changes = {("up", "ApplicationData"): ("- | connected | data", "up2"), ("up2", "Alert"): ("- | failed", "down")}
    comparison = compare(server_machine(changes), START, Reference("server"))
    assert comparison.differences == []
    (group,) = comparison.extra_states
    assert group.states == ("up", "up2")
    # "connected", with and without data buffered before the Finished (which Spec's text leaves out).
    assert set(group.reference.split(" or ")) == {"connected", "connected, data buffered"}
    assert group.distinguished_by == {"up2": ("Alert",)}


def test_a_start_the_reference_does_not_allow_is_a_deviation_with_an_empty_witness():
    comparison = compare(server_machine(), answer("ServerHello | connecting"), Reference("server"))
    (difference,) = comparison.differences
    assert difference.kind == "deviation" and difference.witness == ()


def test_first_finding_names_the_first_forbidden_answer_of_a_conversation_when_it_is_a_finding():
    reference = Reference("server")
    moves = [*SERVER_HANDSHAKE, "Alert", "ApplicationData"]
    said = [answer(SERVER_ANSWERS[move]) for move in SERVER_HANDSHAKE]
    found = first_finding(reference, START, moves, [*said, answer("- | connected"), answer("- | connected")])
    assert found is not None and found.kind == FATAL_ALERT_IGNORED and found.witness == (*SERVER_HANDSHAKE, "Alert")
    assert first_finding(reference, START, moves, [*said, answer("- | closed"), answer("- | closed")]) is None
    # A conversation cut short is judged as far as it goes.
    assert first_finding(reference, START, moves, said) is None
    # A first difference that is only a deviation (a flight without ServerKeyExchange) stops the judgement.
    flight = answer("ServerHello Certificate CertificateRequest ServerHelloDone | connecting")
    late = [flight, *said[1:], answer("- | connected")]
    assert first_finding(reference, START, moves, late) is None
    # So does a start the reference does not allow.
    assert first_finding(reference, answer("ClientHello | connecting"), moves[:1], said[:1]) is None


# --- the picture ------------------------------------------------------------------------------------


# pydot's parser calls pyparsing names that pyparsing deprecates: not ours to fix.
PYDOT_PARSER = pytest.mark.filterwarnings("ignore::DeprecationWarning:pydot.dot_parser")


def edges(dot: str) -> dict[tuple[str, str], dict[str, str]]:
    (graph,) = pydot.graph_from_dot_data(dot)
    found = {}
    for edge in graph.get_edges():
        attributes = {k: v.strip('"') for k, v in edge.get_attributes().items()}
        for move in attributes.get("label", "").split(" /")[0].split(","):
            found[(edge.get_source(), move)] = attributes
    return found


@PYDOT_PARSER
def test_the_picture_colours_differences_and_draws_findings_bold():
    changes = {
        ("h3", "ChangeCipherSpec"): ("- | connecting", "h5"),  # a finding
        ("h0", "ClientHello"): ("ServerHello Certificate CertificateRequest ServerHelloDone | connecting", "h1"),
        ("h5", "Alert"): ("- | connecting", "h5alert"),  # tolerated
        ("h5alert", "Finished"): ("ChangeCipherSpec Finished | failed", "down"),
    }
    machine = server_machine(changes)
    comparison = compare(machine, START, Reference("server"))
    dot = render.to_dot(machine, comparison, title='server "quoted"')
    drawn = edges(dot)
    # The deviation at the ClientHello hides the rest from the walk: only it is coloured, not bold.
    assert drawn[("h0", "ClientHello")]["color"] == render.FINDING_COLOUR
    assert "penwidth" not in drawn[("h0", "ClientHello")]
    assert "color" not in drawn[("h1", "Certificate")]
    # Reached the way the reference allows, the finding is bold and the tolerated answer orange.
    changes.pop(("h0", "ClientHello"))
    machine = server_machine(changes)
    comparison = compare(machine, START, Reference("server"))
    drawn = edges(render.to_dot(machine, comparison, title="server"))
    finding = drawn[("h5", "Finished")]  # h5 reached without CertificateVerify: the Finished connects
    assert finding["color"] == render.FINDING_COLOUR and finding["penwidth"] == "2.5"
    assert drawn[("h5", "Alert")]["color"] == render.TOLERATED_COLOUR
    assert "color" not in drawn[("h0", "ClientHello")]


@PYDOT_PARSER
def test_the_picture_fills_sink_states_and_notes_states_that_loop_silently():
    changes = {("h0", "ChangeCipherSpec"): ("- | connecting", "limbo"), **stuck_for_good("limbo")}
    machine = server_machine(changes)
    dot = render.to_dot(machine, compare(machine, START, Reference("server")), title="sink")
    (graph,) = pydot.graph_from_dot_data(dot)
    (limbo,) = graph.get_node("limbo")
    assert limbo.get_attributes()["fillcolor"] == render.SINK_FILL
    assert "every move" in limbo.get_attributes()["label"]
    assert not [edge for edge in graph.get_edges() if edge.get_source() == "limbo"]  # a note, not loops


# --- learning aiortc's transport as DTLS server, cold and warm -----------------------------------------

AIORTC_SERVER_FINDINGS = {DELIVERED_WHEN_CONNECTED, FATAL_ALERT_IGNORED, ALERT_WITHOUT_CLOSING}


def summary(learned, comparison) -> tuple:
    return (
        len(learned.model.states),
        [(d.kind, d.witness, str(d.learned), d.transitions) for d in comparison.differences],
        [(s.states, s.witness, s.finding) for s in comparison.sinks],
        [(g.states, g.distinguished_by) for g in comparison.extra_states],
    )


def test_learning_aiortc_as_server_finds_the_known_kinds_and_relearns_from_its_cache_alone(tmp_path):
    adapter = AiortcAdapter()
    cold = learn(adapter, "dtls-server", cache_dir=tmp_path, seed=0)
    assert cold.statistics.transports > 100 and not cold.statistics.disagreements
    comparison = compare(cold.model, cold.initial_answer, Reference("server"))
    assert {d.kind for d in comparison.findings} == AIORTC_SERVER_FINDINGS
    assert DELIVERED_BEFORE_AUTHENTICATED not in {d.kind for d in comparison.differences}
    (cache_file,) = tmp_path.iterdir()
    assert cache_file.name.startswith("dtls-server-") and cache_file.suffix == ".jsonl"
    # Each finding's witness, played on a new transport, gives the model's answers.
    for finding in comparison.findings:
        session = DtlsSession(adapter, "server")
        try:
            session.start()
            live = [session.play(move) for move in finding.witness]
        finally:
            session.close()
        assert live == cold.model.compute_output_seq(cold.model.initial_state, list(finding.witness)), finding.kind
    warm = learn(adapter, "dtls-server", cache_dir=tmp_path, seed=0)
    assert warm.statistics.transports == 0 and warm.statistics.live_steps == 0
    assert warm.statistics.cached_steps == warm.statistics.steps
    assert summary(warm, compare(warm.model, warm.initial_answer, Reference("server"))) == summary(cold, comparison)


# --- the command line ---------------------------------------------------------------------------------


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


@pytest.mark.parametrize(
    "args, message",
    [
        (["learn", "nope"], "no model 'nope'"),
        (["learn", "dtls-server", "--dtls-adapter", "os:path"], "os:path"),
        (["learn", "dtls-server", "--out", "pyproject.toml/models"], "cannot be written"),
    ],
)
def test_learn_refuses_bad_input_with_one_line_and_status_2(args, message, tmp_path):
    result = harness(*args, "--cache", str(tmp_path / "cache"))
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cache").exists()
