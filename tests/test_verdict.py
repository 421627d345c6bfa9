from pathlib import Path

import pytest

from harness.known_bugs import Registry
from harness.target import OracleViolation, Target, UsageError
from harness.verdict import classify_call, frames_of_dump, innermost_frame

# As faulthandler writes all threads: newest first, the main thread last (here it holds no GIL,
# so another thread is "Current").
DUMP = """Timeout (0:00:02)!
Current thread 0x00007e (most recent call first):
  File "/work/harness/watchdog.py", line 90 in _run

Thread 0x00007f (most recent call first):
  File "/site/pkg/inner.py", line 12 in deep
  File "/site/pkg/outer.py", line 40 in parse
  File "/work/harness/verdict.py", line 150 in classify_call
"""
ONE_THREAD = """Fatal Python error: Aborted

Current thread 0x00007f (most recent call first):
  File "/site/pkg/inner.py", line 12 in deep
"""


def test_faulthandler_dump_is_read_outermost_first_and_only_the_main_thread():
    frames = frames_of_dump(DUMP)
    assert frames == [
        ("/work/harness/verdict.py", 150, "classify_call"),
        ("/site/pkg/outer.py", 40, "parse"),
        ("/site/pkg/inner.py", 12, "deep"),
    ]
    assert frames_of_dump(ONE_THREAD) == [("/site/pkg/inner.py", 12, "deep")]
    assert frames_of_dump("no frames at all") == []


def test_innermost_frame_prefers_the_component():
    frames = [("/site/pkg/outer.py", 40, "parse"), ("/usr/lib/python3.11/struct.py", 5, "unpack")]
    assert innermost_frame(frames, (Path("/site/pkg"),)) == ("pkg/outer.py:parse", 40)
    assert innermost_frame(frames, ()) == ("struct.py:unpack", 5)


def test_a_bug_through_the_stack_is_named_by_its_innermost_package_of_the_stack():
    # A live call: aiortc's receive loop calls pylibsrtp, which fails in its own code.
    frames = [
        ("/site/aiortc/rtcdtlstransport.py", 670, "_recv_next"),
        ("/site/pylibsrtp/__init__.py", 200, "__process"),
        ("/usr/lib/python3.11/struct.py", 5, "unpack"),
    ]
    assert innermost_frame(frames, (Path("/site/aiortc"),)) == ("aiortc/rtcdtlstransport.py:_recv_next", 670)
    stack = (Path("/site/aiortc"), Path("/site/pylibsrtp"))
    assert innermost_frame(frames, stack) == ("pylibsrtp/__init__.py:__process", 200)


def test_a_rejected_type_is_not_a_bug_and_its_subclass_is_not_either():
    target = Target("t", "TEST", "x", entry=lambda d: int(d), rejects=(ValueError,), instrument=())
    assert classify_call(target, b"zz").verdict == "rejected"
    unicode = Target("u", "TEST", "x", entry=lambda d: d.decode("ascii"), rejects=(ValueError,), instrument=())
    assert classify_call(unicode, b"\xff").verdict == "rejected"  # UnicodeDecodeError is a ValueError


def test_an_undocumented_exception_is_a_bug_named_with_its_module():
    import struct

    target = Target("t", "TEST", "x", entry=lambda d: struct.unpack("!L", d), rejects=(ValueError,), instrument=())
    outcome = classify_call(target, b"1")
    assert outcome.signature is not None and outcome.signature.startswith("exception:struct.error@")


def test_registry_entries_need_every_field(tmp_path):
    path = tmp_path / "known.toml"
    path.write_text('[[bug]]\nsignature = "exception:KeyError@a.py:f"\ntarget = "t"\nreason = "r"\n')
    with pytest.raises(UsageError, match="lacks upstream, reproducer"):
        Registry.load(path)


def test_registry_looks_up_by_signature(tmp_path):
    path = tmp_path / "known.toml"
    path.write_text(
        '[[bug]]\nsignature = "s1"\ntarget = "t"\nreason = "r"\nupstream = "u"\n'
        'reproducer = "corpora/t/regressions/x"\n'
    )
    registry = Registry.load(path)
    assert "s1" in registry and "s2" not in registry
    assert registry.for_target("t")[0].reason == "r"


def test_the_shipped_registry_loads_and_its_reproducers_exist():
    registry = Registry.load()
    for bug in registry.bugs:
        assert bug.reproducer.is_file(), bug.reproducer
        assert "regressions" in bug.reproducer.parts


def _violates(prop: str):
    def check(data: bytes, result: object) -> None:
        raise OracleViolation(prop, "the oracle says no")

    return check


def test_a_violation_is_named_by_its_property_not_by_the_helper_that_raised():
    def named_one_way(data: bytes, result: object) -> None:
        _violates("echo-kept")(data, result)

    def renamed_helper(data: bytes, result: object) -> None:
        _violates("echo-kept")(data, result)

    signatures = {
        classify_call(Target("t", "TEST", "x", entry=bytes, rejects=(), instrument=(), oracle=oracle), b"").signature
        for oracle in (named_one_way, renamed_helper)
    }
    assert signatures == {"oracle:echo-kept@t"}


def test_a_violation_carrying_the_components_frame_names_it():
    import json

    def parses_again(data: bytes, result: object) -> None:
        try:
            json.loads("{")
        except ValueError as exc:
            raise OracleViolation("serialization-parses", str(exc)).with_traceback(exc.__traceback__)

    target = Target("t", "TEST", "json", entry=bytes, rejects=(), instrument=(), oracle=parses_again)
    outcome = classify_call(target, b"")
    assert outcome.signature == "oracle:serialization-parses@json/decoder.py:raw_decode"
