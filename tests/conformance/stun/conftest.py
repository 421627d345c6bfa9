"""Fixtures of the STUN suite: the implementation under test (--stun-adapter), its codec and its agent.

`converse(role, conversation)` plays one conversation (harness.conformance.ice_exchange.play)
between a new agent in that role and the remote agent the test plays, and closes both afterwards.
"""

import functools
from typing import Callable

import pytest

from harness.conformance.ice_adapters import IceAdapter
from harness.conformance.ice_exchange import play
from harness.conformance.pytest_plugin import adapter_of
from harness.conformance.suites import named


@pytest.fixture
def adapter(request: pytest.FixtureRequest) -> IceAdapter:
    return adapter_of(request.config, *named(["stun"]))


@pytest.fixture
def converse(adapter: IceAdapter) -> Callable[..., None]:
    return functools.partial(play, adapter)
