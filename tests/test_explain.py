"""What repro says after the verdict: known or new, and the scenario a structured input decodes to."""

import struct
from typing import Callable, Optional

import pytest

from harness import project
from harness.explain import explain
from harness.known_bugs import Registry
from harness.stateful import Conversation
from harness.target import Target, load_target
from harness.verdict import ACCEPTED, BUG, Outcome, classify_call

CORPORA_DIR = project.current().corpora
ROOT = project.current().root


STATEFUL_DIR = ROOT / "tests" / "stateful_targets"
# What the lock does on b"1239" (tests/test_stateful.py runs it); made here, so that these tests
# never drive the lock's shared subject.
KEY_9 = Outcome(BUG, kind="exception", error="KeyError", frame="_lock_component.py:press")
NOTHING_KNOWN = Registry([])


@pytest.fixture
def lock() -> Target:
    return load_target("lock", STATEFUL_DIR)


def registry_with(tmp_path, signature: str) -> Registry:
    path = tmp_path / "known.toml"
    path.write_text(
        f'[[bug]]\nsignature = "{signature}"\ntarget = "lock"\nreason = "the open lock has no key 9"\n'
        'upstream = "lock issue 1"\nreproducer = "corpora/lock/regressions/1239"\n'
    )
    return Registry.load(path)


def test_a_registered_signature_is_known_with_its_reason_upstream_and_reproducer(lock, tmp_path):
    lines = explain(lock, b"1239", KEY_9, registry_with(tmp_path, "exception:KeyError@_lock_component.py:press"))
    assert lines[0] == (
        "known bug: the open lock has no key 9 (lock issue 1), registered reproducer corpora/lock/regressions/1239"
    )


def test_an_unregistered_signature_is_new(lock, tmp_path):
    registry = registry_with(tmp_path, "exception:KeyError@_lock_component.py:elsewhere")
    lines = explain(lock, b"1239", KEY_9, registry)
    assert lines[0] == "new: this signature is not in the registry (known_bugs.toml)"


def test_an_input_without_a_bug_is_neither_known_nor_new_and_a_plain_target_describes_nothing(lock, tmp_path):
    registry = registry_with(tmp_path, "exception:KeyError@_lock_component.py:press")
    assert explain(lock, b"123", Outcome(ACCEPTED), registry)[0] == "scenario:"
    assert explain(load_target("rtp_parse"), b"", Outcome(ACCEPTED), NOTHING_KNOWN) == []


def test_the_scenario_of_a_conversation_is_its_steps_in_order(lock):
    assert explain(lock, b"1239", KEY_9, NOTHING_KNOWN)[1:] == [
        "scenario:",
        "  on a subject as setup() leaves it, in order:",
        "  1. press '1'",
        "  2. press '2'",
        "  3. press '3'",
        "  4. press '9'",
    ]
    assert explain(lock, b"", Outcome(ACCEPTED), NOTHING_KNOWN) == ["scenario:", "  no steps"]


def words_target(repair: Optional[Callable[[bytes], bytes]] = None) -> Target:
    """A conversation of ASCII words: an octet above 0x7f decodes to no scenario."""
    conversation: Conversation = Conversation(
        setup=list, decode=lambda data: data.decode("ascii").split(), step=list.append, alive=bool
    )
    return Target(
        name="words",
        protocol="TEST",
        component="harness",
        entry=conversation,
        rejects=(),
        instrument=(),
        describe=conversation.describe,
        repair=repair,
    )


def test_an_input_that_decodes_to_no_scenario_says_so_in_one_line():
    lines = explain(words_target(), b"open \xff", Outcome(ACCEPTED), NOTHING_KNOWN)
    assert len(lines) == 1 and lines[0].startswith("the input does not decode to a scenario (UnicodeDecodeError: ")


def test_the_scenario_is_of_the_input_as_delivered_after_the_repair():
    lines = explain(words_target(repair=bytes.upper), b"open sesame", Outcome(ACCEPTED), NOTHING_KNOWN)
    assert lines[-2:] == ["  1. OPEN", "  2. SESAME"]


def explained(name: str, reproducer: str) -> list[str]:
    target = load_target(name)
    data = (CORPORA_DIR / name / "regressions" / reproducer).read_bytes()
    return explain(target, data, classify_call(target, data), Registry.load())


def test_a_registered_srtp_differential_bug_is_known_and_its_scenario_named():
    lines = explained("srtp_differential", "18c947a6717e1040bb30a364397041e87f06e7b3")
    # By hand: 0c = profile 0 | window 3 << 2 | allow_repeat_tx 0 << 4; key 01..10 and salt 11..1e;
    # then two SENDs (op 00): SEQ 9c40 = 40000 and 1c41 = 7233, flags 0, 0x14 = 20 payload octets.
    assert lines[0].startswith("known bug: libsrtp rounds the replay window up to a multiple of 32")
    assert lines[0].endswith(
        "registered reproducer corpora/srtp_differential/regressions/18c947a6717e1040bb30a364397041e87f06e7b3"
    )
    assert lines[1:4] == [
        "scenario:",
        "  SRTP: profile AES128_CM_SHA1_80, replay window 32767, allow_repeat_tx off",
        f"  master key {bytes(range(1, 17)).hex()}, master salt {bytes(range(17, 31)).hex()}",
    ]
    assert lines[5] == "  steps, in order:"
    steps = lines[6:]
    assert [step.split(" (")[0] for step in steps] == ["  1. send RTP SEQ 40000", "  2. send RTP SEQ 7233"]
    assert "SSRC 0x5501a0b2" in steps[0] and "payload 20 octets 0x40" in steps[0]


def test_a_registered_srtcp_differential_bug_is_known_and_its_crafted_packet_named():
    lines = explained("srtcp_differential", "4bed0e7cd9089df2233a4e824bc9422716ce1cb9")
    # By hand: 44 = profile 0 | window 1 << 2 (128); after 30 key octets one step ab da f8 c6 64 10:
    # op 0xab & 3 = CRAFT, index (0x10 << 16) | 0xdaf8, flags c6: SSRC 2 (0xffffffff), E=0; 0x64 = 100.
    assert lines[0].startswith("known bug: Under the AES-CM profiles libsrtp refuses an authentic SRTCP packet")
    assert lines[2] == "  SRTCP: profile AES128_CM_SHA1_80, replay window 128, allow_repeat_tx off"
    assert lines[-1] == (
        "  1. craft: the reference protects an RTCP receiver report (SSRC 0xffffffff, no report blocks, "
        "profile-specific extension 100 octets 0x00) at SRTCP index 1104632 (0x10daf8) with E=0 (unencrypted) "
        "and delivers it to the receiver"
    )


def test_a_tamper_or_replay_before_anything_was_delivered_is_described_as_doing_nothing():
    target = load_target("srtp_differential")
    tamper, send, replay = (struct.pack("!BHBBB", op, 1000, 0, 20, 0) for op in (1, 0, 2))
    steps = explain(target, bytes(31) + tamper + send + replay, Outcome(ACCEPTED), NOTHING_KNOWN)[-3:]
    assert steps[0].startswith("  1. tamper: ") and steps[0].endswith("nothing was delivered yet: does nothing")
    assert steps[1].startswith("  2. send RTP SEQ 1000 (")
    assert steps[2] == "  3. replay: deliver the last datagram again"
