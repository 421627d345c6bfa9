"""The conversation codec of dtls_handshake: total, round-tripping, mutations keep conversations, steps in words."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.conformance.dtls_adapters import CLIENT, ROLES, SERVER
from harness.peers.dtls_deviations import BY_NAME, DEVIATIONS, deviations_of
from harness.peers.dtls_moves import ALPHABETS
from harness.peers.dtls_scripts import (
    MAX_LENGTH,
    MAX_MOVES,
    MOVE_WORDS,
    NIBBLE,
    Move,
    Script,
    Start,
    crossover,
    decode,
    encode,
    happy,
    mutate_script,
    mutator,
    scripts,
)

DERANDOMIZED = settings(max_examples=200, derandomize=True, database=None, deadline=None)


@st.composite
def any_scripts(draw: st.DrawFn) -> Script:
    start = Start(draw(st.sampled_from(ROLES)), draw(st.booleans()))
    moves = draw(st.lists(st.sampled_from(ALPHABETS[start.role]), max_size=MAX_MOVES))
    return Script(start, tuple(Move(move, draw(st.sampled_from(deviations_of(move)))) for move in moves))


@DERANDOMIZED
@given(any_scripts())
def test_a_script_decodes_from_its_encoding(script):
    data = encode(script)
    assert len(data) == 1 + len(script.moves)
    assert decode(data) == script


@DERANDOMIZED
@given(st.binary(max_size=2 * MAX_LENGTH))
def test_every_byte_string_is_a_conversation_and_its_canonical_form_reads_alike(data):
    script = decode(data)
    assert len(script.moves) == max(min(len(data), MAX_LENGTH) - 1, 0)
    assert decode(encode(script)) == script


def test_dropping_an_octet_after_the_start_drops_exactly_that_move():
    """What lets byte-level minimization (ddmin) shrink a finding as a conversation."""
    data = encode(happy(SERVER))
    for position in range(1, len(data)):
        shorter = decode(data[:position] + data[position + 1 :])
        moves = list(happy(SERVER).moves)
        del moves[position - 1]
        assert shorter == Script(Start(SERVER), tuple(moves))


def test_the_start_octet_names_the_role_and_the_impostor():
    assert [decode(bytes([octet])).start for octet in range(4)] == [
        Start(SERVER),
        Start(CLIENT),
        Start(SERVER, impostor=True),
        Start(CLIENT, impostor=True),
    ]
    assert decode(b"") == Script(Start(SERVER))


def test_every_move_has_words_and_its_ways_fit_a_nibble():
    for alphabet in ALPHABETS.values():
        for move in alphabet:
            assert move in MOVE_WORDS
            assert len(deviations_of(move)) <= NIBBLE
    assert len(BY_NAME) == len(DEVIATIONS), "names are unique"
    moves = {move for alphabet in ALPHABETS.values() for move in alphabet}
    for deviation in DEVIATIONS:
        assert set(deviation.moves) <= moves and deviation.moves, deviation
        assert deviation.overrides or deviation.rewrite or deviation.held, f"{deviation} does nothing"


def test_a_step_reads_as_the_action():
    assert str(Move("Finished", BY_NAME["wrong_verify_data"])) == (
        "the peer sends a Finished (verify_data over the handshake so far; zeros before any key exchange), "
        "with verify_data of 12 zero octets, which is wrong (RFC 5246 §7.4.9)"
    )
    assert str(Start(CLIENT)) == (
        "start a new aiortc RTCDtlsTransport as the DTLS client, told the sha-256, sha-384 and sha-512 "
        "fingerprints of the scripted peer's certificate"
    )
    assert str(Move("ServerHello")) == "the peer sends a ServerHello choosing from the transport's offer"


def test_every_mutation_keeps_a_conversation_within_the_cap_and_reaches_every_kind_of_change():
    rng = random.Random(3)
    seen = set()
    data = encode(happy(CLIENT))
    for _ in range(2000):
        before = decode(data)
        data = mutator(data, rng)
        after = decode(data)
        assert len(data) <= MAX_LENGTH and encode(after) == data
        seen.add(_change(before, after))
    assert {"insert", "drop", "swap", "deviate", "replace", "start"} <= seen


def _change(before: Script, after: Script) -> str:
    if after.start != before.start:
        return "start"
    if len(after.moves) != len(before.moves):
        return "insert" if len(after.moves) > len(before.moves) else "drop"
    changed = [i for i, (a, b) in enumerate(zip(before.moves, after.moves)) if a != b]
    if len(changed) == 2:
        return "swap"
    if len(changed) == 1:
        i = changed[0]
        return "deviate" if before.moves[i].move == after.moves[i].move else "replace"
    return "none"


def test_mutation_and_crossover_are_seeded():
    first, second = encode(happy(SERVER)), encode(happy(CLIENT))
    runs = [
        [(mutator(first, rng), crossover(first, second, rng)) for _ in range(50)]
        for rng in (random.Random(9), random.Random(9))
    ]
    assert runs[0] == runs[1]


def test_a_crossover_keeps_the_first_start_and_the_moves_its_role_has():
    rng = random.Random(4)
    for _ in range(200):
        spliced = decode(crossover(encode(happy(SERVER)), encode(happy(CLIENT)), rng))
        assert spliced.start == Start(SERVER)
        assert all(move.move in ALPHABETS[SERVER] for move in spliced.moves)


def test_another_start_keeps_only_the_moves_of_its_role():
    rng = random.Random(5)
    script = happy(SERVER)
    for _ in range(300):
        mutated = mutate_script(script, rng)
        assert all(move.move in ALPHABETS[mutated.start.role] for move in mutated.moves)


@DERANDOMIZED
@given(scripts())
def test_the_strategy_draws_conversations(data):
    assert len(data) <= MAX_LENGTH
    assert decode(encode(decode(data))) == decode(data)
