"""The differential targets' machinery: the oracle can fail, signatures name the case, mutations keep scenarios."""

import random
from pathlib import Path

import pytest

from harness import project
from harness.target import load_target, targets_module

CORPORA_DIR = project.current().corpora


load_target("srtp_differential")
differential = targets_module("_srtp_differential")
SEEDS = sorted(p for p in (CORPORA_DIR / "srtp_differential").iterdir() if p.is_file())


def test_every_seed_is_judged_alike_and_exchanges_packets():
    for path in SEEDS:
        transcript = differential.play(path.read_bytes(), rtcp=False)
        assert any(e.operation == "unprotect" and isinstance(e.verdict, bytes) for e in transcript)
        differential.agree(path.read_bytes(), transcript, rtcp=False)


@pytest.mark.parametrize("position", [0, 1, -1])
def test_the_oracle_catches_a_pylibsrtp_that_answers_otherwise(position):
    """A transcript with one answer changed, as a broken pylibsrtp would give, is a disagreement."""
    data = SEEDS[0].read_bytes()
    transcript = differential.play(data, rtcp=False)
    exchange = transcript[position]
    if isinstance(exchange.verdict, bytes):
        changed = exchange.verdict[:-1] + bytes([exchange.verdict[-1] ^ 1])
    else:
        changed = exchange.data  # accepted as if it were the plaintext
    transcript[position] = differential.Exchange(exchange.operation, exchange.data, changed)
    with pytest.raises(differential.Disagreement):
        differential.agree(data, transcript, rtcp=False)


def test_a_disagreement_names_the_operation_the_verdicts_and_the_known_circumstance():
    known = Path(CORPORA_DIR, "srtp_differential", "regressions", "9b1cf9e9ed59e0b9ae0e270bcf59345ba045cae1")
    data = known.read_bytes()
    with pytest.raises(differential.Disagreement) as raised:
        differential.agree(data, differential.play(data, rtcp=False), rtcp=False)
    assert raised.value.property == "SrtpProtect_libsrtpAccepted_referenceIndexReuse_RocMinusOneAtRocZero"


def test_the_mutator_keeps_the_setting_and_key_and_whole_steps():
    rng = random.Random(1)
    target = load_target("srtp_differential")
    for path in SEEDS[:10]:
        data = path.read_bytes()
        for _ in range(50):
            mutated = target.mutator(data, rng)
            assert mutated is not None and len(mutated) <= target.max_len
            profile = differential.PROFILES[data[0] % 4]
            head = 1 + profile.key_length + profile.salt_length
            assert mutated[0] % 4 == data[0] % 4 and mutated[1:head] == data[1:head]
            assert (len(mutated) - head) % differential.STEP_LENGTH == 0
            data = mutated
    assert target.mutator(b"\x00\x01", rng) is None  # no whole key yet: left to byte mutation
