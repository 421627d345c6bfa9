"""A candidate policy changed mid-session (JSEP RFC 8829 §3.5.3): the callee that began relay-only
widens to all candidates once the user takes the call, by a new configuration and an ICE restart."""

from aiortc.rtcconfiguration import RTCIceTransportPolicy

from harness.aio import DRIVER
from harness.conformance import ip_requirements as req
from harness.conformance.ip_adapters import candidates


@req.POLICY_CHANGES_MID_SESSION
def test_a_relay_only_endpoint_widens_to_all_candidates_after_an_ice_restart(adapter, configure):
    endpoint = adapter.create(configure(RTCIceTransportPolicy.RELAY))

    async def widen() -> tuple[str, str]:
        try:
            before = await endpoint.offer()
            return before, await endpoint.restart_with(configure(RTCIceTransportPolicy.ALL))
        finally:
            await endpoint.close()

    before, after = DRIVER.run_alone(widen())
    assert {c.type for c in candidates(before)} == {"relay"}
    assert {"host", "relay"} <= {c.type for c in candidates(after)}
