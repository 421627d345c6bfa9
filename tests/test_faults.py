"""The harness survives its targets: every way a target can fail is its own bug kind."""

import random
import time

import pytest

from harness import fresh_random
from harness.verdict import ACCEPTED, REJECTED
from harness.watchdog import Watchdog

EXPECTED = {
    b"K": "exception:KeyError@_faulty_component.py:parse",
    b"H": "hang:Timeout@_faulty_component.py:parse",
    b"L": "hang:Timeout@_faulty_component.py:spin",  # the loop, not the helper it was in when sampled
    b"A": "crash:SIGABRT@_faulty_component.py:parse",
    b"N": "crash:SIGSEGV@_faulty_component.py:parse",
    b"M": "oom:MemoryError@_faulty_component.py:parse",
    b"R": "recursion:RecursionError@_faulty_component.py:recurse",
    b"X": "exit:exit(3)@_faulty_component.py:parse",
    b"S": "exit:SystemExit@_faulty_component.py:parse",
    b"O": "oracle:echo-kept@faulty",  # the property, not the helper that raised
}


@pytest.mark.parametrize("head", sorted(EXPECTED))
def test_each_fault_is_captured_with_its_signature_and_the_worker_goes_on(faulty_runner, head):
    outcome = faulty_runner.run(head + b"tail")
    assert outcome.signature == EXPECTED[head]
    assert outcome.line > 0, "the frame inside the component carries its line"
    assert faulty_runner.run(b"fine").verdict == ACCEPTED


def test_documented_refusal_is_not_a_bug(faulty_runner):
    outcome = faulty_runner.run(b"V")
    assert outcome.verdict == REJECTED and outcome.signature is None


def test_same_input_gives_same_outcome_every_time(faulty_runner):
    first, second = faulty_runner.run(b"K1"), faulty_runner.run(b"K1")
    assert first == second


def test_signature_ignores_the_rest_of_the_input(faulty_runner):
    assert faulty_runner.run(b"Kabc").signature == faulty_runner.run(b"K" + bytes(40)).signature


def test_a_hang_in_a_loop_keeps_one_signature_wherever_it_is_interrupted(faulty_runner):
    assert {faulty_runner.run(b"L").signature for _ in range(3)} == {"hang:Timeout@_faulty_component.py:spin"}


def test_a_hang_in_c_is_ended_by_the_backstop_with_the_main_threads_frame(faulty_runner):
    outcome = faulty_runner.run(b"hang in C")
    assert outcome.signature == "hang:Timeout@_faulty_component.py:parse"
    assert faulty_runner.run(b"fine").verdict == ACCEPTED


class LateWatchdog(Watchdog):
    """Sends its interruption late: by then the input has returned (the race of a real overrun)."""

    def _interrupt(self) -> None:
        time.sleep(0.3)
        super()._interrupt()


def test_an_interruption_sent_after_the_input_returned_never_lands_between_inputs():
    watchdog = LateWatchdog(0.1)
    result = watchdog.run(lambda: time.sleep(0.2) or "returned")  # overruns, and returns meanwhile
    between_inputs = time.monotonic() + 1.0
    while time.monotonic() < between_inputs:
        pass  # the worker's serve loop, say: an InputTimeout meant for the input would land here
    assert result == "returned"


def test_every_input_starts_from_the_same_state_of_random_whatever_the_last_one_did():
    fresh_random.restore()
    assert not fresh_random.NOTED.drawn
    first_draws = [random.random(), random.randint(0, 1 << 30)]
    for last_input in (
        lambda: None,
        lambda: random.getrandbits(64),
        lambda: random.seed(99),
        lambda: random.shuffle([1, 2]),
    ):
        last_input()
        if fresh_random.NOTED.drawn:
            fresh_random.restore()
        assert [random.random(), random.randint(0, 1 << 30)] == first_draws
