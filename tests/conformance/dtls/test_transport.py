"""What a WebRTC application is promised of the transport's states (W3C webrtc-pc §5.5.1): checked
after every conversation of the suite (Exchange.check_contract), and here where they end."""

import pytest

from harness.conformance import dtls_requirements as req
from harness.conformance.dtls_adapters import CLIENT, ROLES, SERVER
from harness.conformance.dtls_exchange import (
    SERVER_FLIGHT,
    ApplicationData,
    CloseNetwork,
    Expect,
    ExpectSendRefused,
    ExpectState,
    Flight,
    HandshakeFlights,
    Send,
    Start,
)
from harness.protocols.dtls_handshake import CLOSE_NOTIFY, FATAL, HANDSHAKE_FAILURE, INTERNAL_ERROR, WARNING


def finished(peer):
    peer.send(peer.finished())
    return peer.flush()


def alert(level, description):
    def build(peer):
        peer.alert(level, description)
        return peer.flush()

    return build


@req.STATES_IN_ORDER
@pytest.mark.parametrize("role", ROLES)
def test_a_whole_session_goes_new_connecting_connected_closed(converse, role):
    exchange = converse(role, Start(), HandshakeFlights(), ExpectState("connected"))
    assert exchange.transport.states == ["new", "connecting", "connected", "closed"]  # closed by stop()


@req.FAILED_AFTER_ERROR
def test_a_network_lost_during_the_handshake_fails_the_server(converse):
    converse(
        SERVER, Start(), Flight(), Expect(*SERVER_FLIGHT), CloseNetwork(), ExpectState("failed"), ExpectSendRefused()
    )


@req.FAILED_AFTER_ERROR
def test_a_network_lost_during_the_handshake_fails_the_client(converse):
    converse(CLIENT, Start(), Expect("ClientHello"), CloseNetwork(), ExpectState("failed"), ExpectSendRefused())


@req.FAILED_AFTER_ERROR
def test_a_fatal_alert_during_the_handshake_fails_the_server(converse):
    converse(
        SERVER, Start(), Flight(), Expect(*SERVER_FLIGHT), Send(alert(FATAL, HANDSHAKE_FAILURE)), ExpectState("failed")
    )


@req.FAILED_AFTER_ERROR
def test_a_fatal_alert_during_the_handshake_fails_the_client(converse):
    converse(CLIENT, Start(), Expect("ClientHello"), Send(alert(FATAL, HANDSHAKE_FAILURE)), ExpectState("failed"))


@req.FAILED_AFTER_ERROR
@pytest.mark.parametrize("role", ROLES)
def test_a_fatal_alert_once_connected_fails_the_transport(converse, role):
    converse(
        role,
        Start(),
        HandshakeFlights(),
        Send(alert(FATAL, INTERNAL_ERROR)),
        ExpectState("failed"),
        ExpectSendRefused(),
    )


@req.STATES_IN_ORDER
@pytest.mark.parametrize("role", ROLES)
def test_a_close_notify_once_connected_closes_the_transport(converse, role):
    converse(
        role,
        Start(),
        HandshakeFlights(),
        Send(alert(WARNING, CLOSE_NOTIFY)),
        ExpectState("closed"),
        ExpectSendRefused(),
    )


@req.CONNECTED_MEANS_AUTHENTICATED
def test_data_sent_before_the_peers_finished_is_not_handed_up_before_connected(converse):
    converse(
        SERVER,
        Start(),
        Flight(),
        Expect(*SERVER_FLIGHT),
        Flight(omit=("finished",)),
        ApplicationData(b"sent between the ChangeCipherSpec and the Finished"),
        Send(finished),
        Expect("ChangeCipherSpec", "Finished"),
        ExpectState("connected"),
    )
