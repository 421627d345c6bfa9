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
