"""Fixtures of the DTLS suite: the transport under test (--dtls-adapter) facing the scripted peer.

`converse("server", Start(), Flight(), Expect(...), ...)` plays one conversation with a new
transport in that role (offering `transport_profiles`, OpenSSL names, default all) and a new
DtlsPeer in the other (its options as keywords, `srtp_profiles` code points among them), on the
harness's event loop, and stops the transport afterwards whatever happened.
"""

from typing import Any, Callable

import pytest

from harness.aio import DRIVER
from harness.conformance.dtls_adapters import CLIENT, SERVER, DtlsAdapter
from harness.conformance.dtls_exchange import Exchange, Step, play
from harness.conformance.pytest_plugin import adapter_of
from harness.conformance.suites import named
from harness.peers.dtls_peer import DtlsPeer


@pytest.fixture
def adapter(request: pytest.FixtureRequest) -> DtlsAdapter:
    return adapter_of(request.config, *named(["dtls"]))


@pytest.fixture
def converse(adapter: DtlsAdapter) -> Callable[..., Exchange]:
    def run(role: str, *steps: Step, transport_profiles: Any = None, **peer_options: Any) -> Exchange:
        transport = adapter.create(role, srtp_profiles=transport_profiles)
        peer = DtlsPeer(CLIENT if role == SERVER else SERVER, seed=7, **peer_options)
        exchange = Exchange(transport, peer)

        async def conversation() -> None:
            try:
                await play(exchange, *steps)
            finally:
                await transport.stop()

        DRIVER.run_alone(conversation())
        return exchange

    return run
