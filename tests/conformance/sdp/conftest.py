"""Fixtures of the SDP suite: the endpoint under test (--sdp-adapter), the descriptions it wrote, and verdicts.

`offer` and `answer` are the SDP texts the endpoint wrote (its offer; its answer to an offer of the
same shape), made once per run; the tests edit them (sdp_edits) and hand the result to a fresh
endpoint with `take_offer` / `take_answer`, then judge the Outcome with `refused`, `taken` and
`taken_or_refused`: a refusal counts only when made with the exceptions the adapter names as its
stack's refusals (`adapter.refusals`).
"""

from typing import Callable

import pytest

from harness.conformance.pytest_plugin import adapter_of
from harness.conformance.sdp_adapters import ANSWER, OFFER, Outcome, SdpAdapter
from harness.conformance.suites import named

Take = Callable[[str], Outcome]
Verdict = Callable[[Outcome], None]


@pytest.fixture(scope="session")
def adapter(request: pytest.FixtureRequest) -> SdpAdapter:
    return adapter_of(request.config, *named(["sdp"]))


@pytest.fixture(scope="session")
def offer(adapter: SdpAdapter) -> str:
    return adapter.offer()


@pytest.fixture(scope="session")
def answer(adapter: SdpAdapter) -> str:
    return adapter.answer()


@pytest.fixture
def take_offer(adapter: SdpAdapter) -> Take:
    return lambda sdp: adapter.take_remote(OFFER, sdp)


@pytest.fixture
def take_answer(adapter: SdpAdapter) -> Take:
    return lambda sdp: adapter.take_remote(ANSWER, sdp)


@pytest.fixture
def refused(adapter: SdpAdapter) -> Verdict:
    def check(outcome: Outcome) -> None:
        assert not outcome.accepted, f"{outcome}: the description should have been refused"
        assert issubclass(outcome.refusal, adapter.refusals), f"{outcome}: not one of {adapter.refusals}"

    return check


@pytest.fixture
def taken() -> Verdict:
    def check(outcome: Outcome) -> None:
        assert outcome.accepted, f"{outcome}: the description should have been taken"

    return check


@pytest.fixture
def taken_or_refused(adapter: SdpAdapter) -> Verdict:
    def check(outcome: Outcome) -> None:
        assert outcome.refusal is None or issubclass(outcome.refusal, adapter.refusals), (
            f"{outcome}: neither taken nor refused with one of {adapter.refusals}"
        )

    return check
