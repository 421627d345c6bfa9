"""Fixtures of the SRTP suite: the implementation under test (--srtp-adapter), under each policy.

Every test runs under each of harness.conformance.srtp_adapters.POLICIES the implementation
offers: libsrtp's defaults, and the policy aiortc's DTLS transport installs for each profile.
"""

from dataclasses import replace
from typing import Callable

import pytest

from harness.conformance.pytest_plugin import adapter_of
from harness.conformance.srtp_adapters import POLICIES, SrtpAdapter, SrtpPolicy
from harness.conformance.srtp_exchange import Receiver, Sender
from harness.conformance.suites import named


@pytest.fixture
def adapter(request: pytest.FixtureRequest) -> SrtpAdapter:
    return adapter_of(request.config, *named(["srtp"]))


@pytest.fixture(params=POLICIES, ids=lambda policy: policy.name)
def policy(request: pytest.FixtureRequest, adapter: SrtpAdapter) -> SrtpPolicy:
    if request.param.profile not in adapter.profiles:
        pytest.skip(f"{adapter.name} does not offer {request.param.profile.name}")
    return request.param


@pytest.fixture
def key(policy: SrtpPolicy) -> bytes:
    return policy.profile.master_key


@pytest.fixture
def sender(policy: SrtpPolicy, key: bytes) -> Sender:
    return Sender(policy.profile, key)


@pytest.fixture
def receiver(adapter: SrtpAdapter, policy: SrtpPolicy, key: bytes) -> Receiver:
    return Receiver(adapter.inbound(policy, key))


@pytest.fixture
def window(adapter: SrtpAdapter, policy: SrtpPolicy) -> int:
    """The replay window the receiver under this policy keeps."""
    return policy.window_size or adapter.default_window_size


@pytest.fixture
def receiver_with_window(adapter: SrtpAdapter, policy: SrtpPolicy, key: bytes) -> Callable[[int], Receiver]:
    """A receiver under this policy with another replay window size."""
    return lambda size: Receiver(adapter.inbound(replace(policy, window_size=size), key))
