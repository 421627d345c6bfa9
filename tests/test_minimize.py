from pathlib import Path

from harness.bugs import BugStore
from harness.known_bugs import KnownBug, Registry
from harness.minimize import ddmin, minimize_bug


def test_ddmin_finds_the_one_byte_that_matters():
    data = b"...............X................"
    assert ddmin(data, lambda d: b"X" in d) == b"X"


def test_ddmin_keeps_two_separated_bytes():
    data = bytes(range(100))
    assert ddmin(data, lambda d: 7 in d and 93 in d) == bytes([7, 93])


def test_ddmin_returns_the_input_when_nothing_smaller_fails():
    assert ddmin(b"AB", lambda d: d == b"AB") == b"AB"


def test_minimize_keeps_the_signature_not_just_any_bug(faulty_runner):
    # Deleting the leading K leaves an abort, a different bug: the minimizer must not drift to it.
    signature = faulty_runner.run(b"K").signature
    smallest = minimize_bug(b"KAAAAA", signature, faulty_runner.run, max_seconds=30)
    assert smallest == b"K"
    assert faulty_runner.run(smallest).signature == signature


def test_structural_reductions_come_first_and_reach_what_bytes_cannot(faulty_runner):
    # A length-prefixed record ("K" inside a record of three): deleting bytes breaks the prefix, so
    # ddmin alone cannot drop the padding records; the target's reductions drop whole records.
    def records(data):
        out, position = [], 0
        while position < len(data):
            out.append(data[position + 1 : position + 1 + data[position]])
            position += 1 + data[position]
        return out

    def encode(parts):
        return b"".join(bytes([len(part)]) + part for part in parts)

    def run(data):
        return faulty_runner.run(b"K" if b"K" in records(data) else b"")

    def without_one_record(data):
        parts = records(data)
        return [encode(parts[:i] + parts[i + 1 :]) for i in range(len(parts))]

    data = encode([b"AAAA", b"K", b"BBBBBB"])
    signature = run(data).signature
    assert minimize_bug(data, signature, run, max_seconds=30) == encode([b"AAAA", b"K"])
    assert minimize_bug(data, signature, run, max_seconds=30, reductions=without_one_record) == b"\x01K"


class CountingRunner:
    def __init__(self, runner):
        self.runner, self.runs = runner, 0

    def run(self, data):
        self.runs += 1
        return self.runner.run(data)


def test_an_input_is_minimized_once_and_then_taken_from_the_cache(tmp_path, faulty_runner):
    counting = CountingRunner(faulty_runner)
    outcome = faulty_runner.run(b"KAAAAA")
    runs_per_record = []
    for _ in range(2):  # two runs of the harness on one workdir
        store = BugStore(tmp_path / "bugs", Registry([]))
        record = store.record(faulty_runner.target, b"KAAAAA", outcome, counting, engine="replay", seed=None)
        assert Path(record.reproducer).read_bytes() == b"K"
        runs_per_record.append(counting.runs)
    assert runs_per_record[0] > 0 and runs_per_record[1] == runs_per_record[0]


def test_a_registered_reproducer_is_not_minimized_again(tmp_path, faulty_runner):
    registered = tmp_path / "regression"
    registered.write_bytes(b"KAAAAA")  # longer than it need be: a minimizer would shrink it
    outcome = faulty_runner.run(registered.read_bytes())
    registry = Registry([KnownBug(outcome.signature, "faulty", "a reason", "an upstream", registered)])
    counting = CountingRunner(faulty_runner)
    record = BugStore(tmp_path / "bugs", registry).record(
        faulty_runner.target, b"KAAAAA", outcome, counting, engine="replay", seed=None
    )
    assert counting.runs == 0
    assert Path(record.reproducer).read_bytes() == b"KAAAAA" and record.known
