"""How a fuzzing budget is spread over targets: evenly, or as the targets earn it."""

from harness.engines.base import EngineRun, Sample
from harness.schedule import BUG_WORTH, EarnedSplit, EvenSplit
from harness.target import Target


def targets(*names: str) -> list[Target]:
    return [Target(name, "TEST", "c", entry=bytes, rejects=(), instrument=()) for name in names]


def slice_of(target: Target, seconds: float, gained: int = 0, signatures: tuple[str, ...] = ()) -> EngineRun:
    run = EngineRun("atheris", target.name, 1, seconds, None, seconds=seconds, coverage=100 + gained)
    run.coverage_at_start = 100
    run.exposed = {signature: 1.0 for signature in signatures}
    return run


def play(split, budget: float, earning: dict[str, tuple[int, tuple[str, ...]]]) -> dict[str, float]:
    """Seconds each target gets, when each of its slices earns what `earning` says."""
    given: dict[str, float] = {}
    left = budget
    while (turn := split.next(left)) is not None:
        target, seconds = turn
        given[target.name] = given.get(target.name, 0.0) + seconds
        left -= seconds
        gained, signatures = earning[target.name]
        split.earned(target, slice_of(target, seconds, gained, signatures))
    return given


def test_the_even_split_gives_each_target_its_share_of_what_is_left():
    given = play(EvenSplit(targets("a", "b", "c"), 90.0), 90.0, {n: (0, ()) for n in "abc"})
    assert given == {"a": 30.0, "b": 30.0, "c": 30.0}


def test_the_earned_split_gives_the_second_half_to_the_targets_still_gaining():
    earning = {"gaining": (50, ()), "finding": (0, ("bug",)), "stuck": (0, ())}
    given = play(EarnedSplit(targets("gaining", "finding", "stuck"), 300.0), 300.0, earning)
    # Half the budget evenly, then slices of 50 s to the best earner: the last slice takes what is left.
    assert given == {"gaining": 200.0, "finding": 50.0, "stuck": 50.0}


def test_a_new_signature_is_worth_bug_worth_edges_and_only_once():
    split = EarnedSplit(targets("a", "b"), 100.0)
    a, b = targets("a", "b")
    split.next(100.0), split.earned(a, slice_of(a, 25.0, gained=BUG_WORTH - 1))
    split.next(75.0), split.earned(b, slice_of(b, 25.0, signatures=("x",)))
    assert split.next(50.0)[0].name == "b"  # a signature outweighs BUG_WORTH - 1 edges
    split.earned(b, slice_of(b, 25.0, signatures=("x",)))  # the same one again earns nothing
    assert split.next(25.0)[0].name == "a"


def test_when_nothing_is_earned_the_target_fuzzed_least_goes_next_and_a_broken_one_never():
    split = EarnedSplit(targets("a", "b", "c"), 60.0)
    a, b, c = targets("a", "b", "c")
    for target in (a, b, c):
        assert split.next(60.0)[0] == target
        split.earned(target, None if target is c else slice_of(target, 10.0 if target is a else 5.0))
    assert split.next(30.0)[0].name == "b"
    assert all(split.next(30.0)[0].name != "c" for _ in range(3))


def test_absorbing_a_later_slice_continues_the_curves_in_the_targets_own_time():
    first = EngineRun("atheris", "a", 1, 10.0, None, seconds=10.0, executions=100, coverage=50, exposed={"x": 4.0})
    later = EngineRun(
        "atheris", "a", 1, 10.0, None, seconds=10.0, executions=80, coverage=60, exposed={"x": 1.0, "y": 2.0}
    )
    later.timeline = [Sample(5.0, 40, 55, 3, 1)]
    first.absorb(later)
    assert (first.seconds, first.executions, first.coverage, first.budget) == (20.0, 180, 60, 20.0)
    assert first.exposed == {"x": 4.0, "y": 12.0}
    assert [(p.seconds, p.executions, p.bugs) for p in first.timeline] == [(15.0, 140, 2)]
