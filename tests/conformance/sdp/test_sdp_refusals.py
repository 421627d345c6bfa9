"""However a description is broken, taking it ends in one of two ways: taken, or refused with the stack's
own refusal (W3C webrtc-pc §4.4.1; aiortc: ValueError and its InvalidStateError/OperationError), never
with another exception escaping setRemoteDescription into the application that called it."""

import random

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sdp_edits import parsed

from harness.conformance import sdp_requirements as req
from harness.conformance.sdp_adapters import KINDS
from harness.protocols.sdp_fuzzing import mutate

EXAMPLES = 60  # about 10 ms each against aiortc


@req.REFUSED_AS_DOCUMENTED
@settings(
    max_examples=EXAMPLES,
    derandomize=True,  # a fixed seed: the same mutations every run
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),  # the first counterexample as found; shrinking would cost minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32 - 1))
def test_a_mutated_description_is_taken_or_refused_with_the_stacks_refusal(
    adapter, offer, answer, taken_or_refused, kind, seed
):
    real = {"offer": offer, "answer": answer}[kind]
    mutated = mutate(parsed(real), random.Random(seed)).decode("utf-8", "replace")
    taken_or_refused(adapter.take_remote(kind, mutated))
